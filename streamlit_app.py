"""Rastro's entrypoint: page config, language switch, who is signed in, and navigation.

Data pages are registered only for an active administrator; anyone else gets the sign-in page
or the refusal, whatever the URL. Every page checks the role again itself (auth.require_admin).

The page scripts live in app_pages/, not pages/: Streamlit treats a pages/ folder beside the
entrypoint as a legacy multipage app until some session has called st.navigation (a deep link
right after a server start ran the page without this file), and AppTest does so on every run.
"""

import streamlit as st

from dashboard import auth, ui, warmup
from dashboard.i18n import t

st.set_page_config(page_title=t("app.title"), page_icon="📬", layout="wide")
ui.render_language_switch(st.sidebar)  # first, so that page titles use the chosen language
warmup.start()  # the chart stack's slow first import, in the background (dashboard/warmup.py)
ui.engine_or_stop()

# (script, title key, icon, URL path); the first is the default page at "/".
PAGES = [
    ("app_pages/contactos.py", "contacts.page", ":material/search:", "contactos"),
    ("app_pages/informes.py", "reports.page", ":material/bar_chart:", "informes"),
    ("app_pages/importar.py", "import.page", ":material/upload_file:", "importar"),
]

user = auth.current_user()
if user is not None and user.is_admin:
    pages = [
        st.Page(script, title=ui.text(title), icon=icon, url_path=path, default=i == 0)
        for i, (script, title, icon, path) in enumerate(PAGES)
    ]
else:
    # The same URLs answer with the sign-in page (or the refusal), so a shared link such as
    # /informes?desde=... survives the sign-in instead of ending on "page not found".
    show = auth.render_sign_in if user is None else auth.render_refusal
    title = ui.text("auth.page" if user is None else "auth.refusal_page")
    pages = [
        st.Page(show, title=title, url_path=path, default=i == 0)
        for i, (_script, _title, _icon, path) in enumerate(PAGES)
    ]
auth.render_session_box(st.sidebar, user)
st.navigation(pages, position="sidebar" if user is not None and user.is_admin else "hidden").run()
