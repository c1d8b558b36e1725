"""Rastro's entrypoint: page config and navigation over pages/ (registered explicitly)."""

import streamlit as st

from dashboard.i18n import t

st.set_page_config(page_title=t("app.title"), page_icon="📬", layout="wide")

navigation = st.navigation([st.Page("pages/inicio.py", title=t("home.page"), default=True)])
navigation.run()
