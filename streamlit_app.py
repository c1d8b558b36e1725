"""Rastro's entrypoint: page config, language switch, who is signed in, and navigation.

Data pages are registered only for an active administrator; anyone else gets the sign-in page
or the refusal, whatever the URL. Every page checks the role again itself (auth.require_admin).

The page scripts live in app_pages/, not pages/: Streamlit treats a pages/ folder beside the
entrypoint as a legacy multipage app until some session has called st.navigation (a deep link
right after a server start ran the page without this file), and AppTest does so on every run.
"""

import streamlit as st

from dashboard import auth, ui
from dashboard.i18n import t

st.set_page_config(page_title=t("app.title"), page_icon="📬", layout="wide")
ui.render_language_switch(st.sidebar)  # first, so that page titles use the chosen language
ui.engine_or_stop()

user = auth.current_user()
if user is None:
    pages = [st.Page(auth.render_sign_in, title=ui.text("auth.page"), icon=":material/login:",
                     url_path="entrar", default=True)]
elif not user.is_admin:
    pages = [st.Page(auth.render_refusal, title=ui.text("auth.refusal_page"),
                     icon=":material/block:", url_path="no-autorizado", default=True)]
else:
    pages = [
        # The default page lives at "/": a card is shared as /?contacto=<id>.
        st.Page("app_pages/contactos.py", title=ui.text("contacts.page"), icon=":material/search:",
                default=True),
        st.Page("app_pages/informes.py", title=ui.text("reports.page"),
                icon=":material/bar_chart:", url_path="informes"),
    ]
auth.render_session_box(st.sidebar, user)
st.navigation(pages).run()
