"""Importar eventos: bring in a provider's delivery events and see what happened to each."""

import streamlit as st

from dashboard import auth, import_view, ui

auth.require_admin()
st.title(ui.text("import.title"))
st.caption(ui.text("import.intro"))

request = import_view.render_form(st.container())
if request is not None:
    reports = import_view.run_imports(st.container(), *request)
    import_view.render_results(st.container(), reports)
import_view.render_quarantine(st.container())
