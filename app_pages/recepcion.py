"""Recepción: the providers' webhooks, their URLs, checks, traffic, backlog and quarantine."""

import streamlit as st

from dashboard import auth, ui, webhooks_view

auth.require_admin()
st.title(ui.text("webhooks.title"))
st.caption(ui.text("webhooks.intro"))

with ui.database_errors_shown():
    config, table = webhooks_view.status_table()
webhooks_view.render_status(st.container(), config, table, webhooks_view.base_url())
webhooks_view.render_settings(st.container())
