"""Contactos: find a contact and read what happened with the emails sent to it."""

import streamlit as st

from dashboard import auth, card, data, search, ui

user = auth.require_admin()
st.title(ui.text("contacts.title"))
ui.render_settings_problems(st)

contact_id, problem = search.contact_from_url()
if problem:
    st.warning(problem)
search.render_search()
if contact_id is None:
    st.stop()

with ui.database_errors_shown():
    found = data.contact_card(contact_id)
if not found.found:
    st.warning(ui.text("link.unknown", value=contact_id))
    st.stop()
auth.record_card_opened(user, contact_id)
st.divider()
card.render_card(st.container(), found, data.settings(), actor=user)
