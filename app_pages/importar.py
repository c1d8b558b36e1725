"""Importar: bring in a provider's delivery events, or the CRM's contacts, and see what
happened to each record."""

import streamlit as st

from dashboard import auth, import_view, ui

auth.require_admin()
kind = import_view.render_kind(st.container())
reports = []
if kind == import_view.CONTACTS:
    st.title(ui.text("crm_import.title"))
    st.caption(ui.text("crm_import.intro"))
    files = import_view.render_contacts_form(st.container())
    if files is not None:
        reports = import_view.run_contact_imports(st.container(), files)
        import_view.render_contact_results(st.container(), reports)
else:
    st.title(ui.text("import.title"))
    st.caption(ui.text("import.intro"))
    request = import_view.render_form(st.container())
    if request is not None:
        reports = import_view.run_imports(st.container(), *request)
        import_view.render_results(st.container(), reports)
# Open when this import sent records there: their reasons are the next thing to read.
import_view.render_quarantine(st.container(), expanded=any(r.quarantined for r in reports))
