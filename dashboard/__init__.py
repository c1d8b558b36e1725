"""Rastro's Streamlit dashboard: auth, cached data wrappers, components, charts, catalogue."""
