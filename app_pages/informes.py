"""Informes: how healthy the sending is, where the problems come from, who is affected."""

import streamlit as st

from dashboard import auth, data, report_view, ui

auth.require_admin()
st.title(ui.text("reports.title"))
ui.render_settings_problems(st)

selected = report_view.render_filters(st.container())
if selected is None:
    st.stop()
with ui.database_errors_shown():
    found = data.report(selected)
settings = data.settings()
report_view.render_headline(st.container(), found, settings)
if found.empty:
    st.info(ui.text("reports.empty"))
    st.stop()
picks = report_view.render_charts(st.container(), found)
report_view.render_drill(st.container(), found, settings, picks)
