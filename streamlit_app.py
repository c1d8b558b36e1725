"""Rastro's entrypoint: page config, language switch and navigation over pages/."""

import streamlit as st

from dashboard import frame, ui
from dashboard.i18n import t

st.set_page_config(page_title=t("app.title"), page_icon="📬", layout="wide")
frame.enter()
ui.render_language_switch(st.sidebar)  # first, so that page titles use the chosen language

pages = [
    # The default page lives at "/": a card is shared as /?contacto=<id>.
    st.Page("pages/contactos.py", title=ui.text("contacts.page"), icon=":material/search:",
            default=True),
]
st.navigation(pages).run()
