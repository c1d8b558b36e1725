"""Rastro's entrypoint: page config, language switch, who is signed in, and navigation.

Data pages are registered only for an active administrator; anyone else gets the sign-in page
or the refusal, whatever the URL. Every page checks the role again itself (auth.require_admin).

The page scripts live in app_pages/, not pages/: Streamlit treats a pages/ folder beside the
entrypoint as a legacy multipage app until some session has called st.navigation (a deep link
right after a server start ran the page without this file), and AppTest does so on every run.

The same server also receives the providers' webhooks: `app = st.App(...)` (found by
`streamlit run`, which then serves through uvicorn) mounts the routes of
data_access.webhooks.http beside the app, and its lifespan runs the inbox worker. It also
mounts the session routes (dashboard.session_routes: the cookie is set and cleared there) and
the middleware that sends addresses such as /app_pages/importar.py to their page. Uvicorn
imports this file as a module and every session runs it as __main__: the page code is under
the guard, so an import builds the App and nothing else.
"""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from dashboard import auth, chrome, data, session_routes, ui, warmup
from dashboard.i18n import t
from data_access.webhooks import http as webhooks

# (script, title key, icon, URL path); the first is the default page at "/".
PAGES = [
    ("app_pages/contactos.py", "contacts.page", ":material/search:", "contactos"),
    ("app_pages/informes.py", "reports.page", ":material/bar_chart:", "informes"),
    ("app_pages/bloqueados.py", "blocks.page", ":material/block:", "bloqueados"),
    ("app_pages/importar.py", "import.page", ":material/upload_file:", "importar"),
    ("app_pages/recepcion.py", "webhooks.page", ":material/webhook:", "recepcion"),
]

webhooks.service.use_database_url(data.database_url)  # the dashboard's database
app = st.App(
    __file__,
    # The session routes use the same engine as the webhooks: one pool per server process.
    routes=webhooks.routes + session_routes.make_routes(webhooks.service.engine),
    lifespan=webhooks.lifespan,
    middleware=[
        Middleware(
            session_routes.PageAddresses,
            pages=[path for *_, path in PAGES[1:]],
            scripts={Path(script).stem: path for script, *_, path in PAGES}
            | {Path(PAGES[0][0]).stem: ""},
        )
    ],
)


def main() -> None:
    st.set_page_config(page_title=t("app.title"), page_icon="📬", layout="wide")
    ui.render_language_switch(st.sidebar)  # first, so that page titles use the chosen language
    warmup.start()  # the chart stack's slow first import, in the background (dashboard/warmup.py)
    chrome.render_chrome_text(ui.language())  # Streamlit's own English words, in Spanish
    ui.engine_or_stop()

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
    position = "sidebar" if user is not None and user.is_admin else "hidden"
    page = st.navigation(pages, position=position)
    auth.remember_page(page.url_path)  # where a sign-in from this page comes back to
    page.run()


if __name__ == "__main__":  # a session's run (and AppTest); not uvicorn importing the module
    main()
