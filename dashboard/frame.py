"""The frame every page runs in: the entrypoint marks the session, and every page checks it.

Why: Streamlit serves the legacy `pages/` folder on its own until some session has run
`st.navigation`, so right after a server start a deep link such as `/contactos` would run the
page script without the entrypoint (no page config, no language switch, no future checks). A
page reached that way sends the visitor through the entrypoint, keeping the URL parameters.
"""

import streamlit as st

ENTRYPOINT = "streamlit_app.py"
_MARK = "_rastro_entered"


def enter() -> None:
    """Called by the entrypoint on every run, before the page runs."""
    st.session_state[_MARK] = True


def require_entrypoint() -> None:
    """Called first by every page: reroute a session the entrypoint never ran for.

    Once any session has run the entrypoint, Streamlit no longer serves `pages/` on its own, so
    a session that has been through the entrypoint once can only reach pages through it.
    """
    if not st.session_state.get(_MARK):
        st.switch_page(ENTRYPOINT, query_params=st.query_params.to_dict())
