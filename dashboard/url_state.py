"""Filters kept in the URL for widgets whose URL value must be a code, not a translated label
(segmented controls and multiselects with a `format_func`): read once into the widget's state,
written back after the widget is drawn. Widgets that store plain values (dates, text, page
numbers) use Streamlit's own `bind="query-params"` instead."""

import streamlit as st


def from_url(key: str, parse) -> None:
    """Initialise a widget's state from the URL the first time the page is drawn."""
    if key not in st.session_state:
        raw = st.query_params.get_all(key)
        st.session_state[key] = parse(raw if len(raw) > 1 else (raw[0] if raw else None))


def to_url(key: str, value: str | None) -> None:
    """Put `value` in the URL under `key` (or remove the key when there is no value)."""
    if value:
        st.query_params[key] = value
    elif key in st.query_params:
        del st.query_params[key]
