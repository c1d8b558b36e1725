"""The session cookie in Chromium against a real `streamlit run`: a reload and a new tab stay
signed in, a deep link opens its target, a replayed or forged cookie gets the sign-in page, a
disabled account's live search stops at the next keystroke, a seller's cookie shows nothing, and
page-script addresses answer with the sign-in or the refusal instead of a blank page."""

import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from data_access import migrate, schema, sessions, users
from data_access.engine import make_engine
from tests.story import PASSWORD, load_story
from tests.support.serve import sign_in, start_streamlit, stop

from .conftest import EDITORS

TIMEOUT = 20_000
SEARCH = "Buscar contacto por nombre o correo"
SIGN_IN_TEXT = "Usuarios autorizados: Administradores."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Its own database: these tests disable accounts and age sessions."""
    folder = tmp_path_factory.mktemp("e2e-sessions")
    url = f"sqlite:///{folder / 'story.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    ids = load_story(engine)
    with engine.begin() as conn:
        users.add_user(conn, "eva.admin", display_name="Eva", role="admin", password=PASSWORD)
        users.add_user(conn, "otto.admin", display_name="Otto", role="admin", password=PASSWORD)
    process, base = start_streamlit(
        url, folder / "streamlit.log", {**EDITORS, "RASTRO_IDLE_MINUTES": "30"}
    )
    yield base, ids, engine
    stop(process)
    engine.dispose()


def new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="es-ES")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    return page


def session_cookie(page):
    found = [c for c in page.context.cookies() if c["name"] == sessions.COOKIE]
    return found[0] if found else None


def no_traceback(page):
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def test_reload_and_a_new_tab_keep_the_admin_in(browser, server, artifacts):
    base, ids, _ = server
    page = new_page(browser)
    sign_in(page, base, "ana.admin", PASSWORD)
    cookie = session_cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["secure"]  # plain http here; see the Secure test below
    assert sessions.COOKIE not in page.evaluate("document.cookie")
    page.reload()
    expect(page.get_by_label(SEARCH)).to_be_visible()
    expect(page.get_by_text(SIGN_IN_TEXT)).to_have_count(0)
    tab = page.context.new_page()  # same browser, new tab, a card's shared link
    tab.set_default_timeout(TIMEOUT)
    tab.goto(f"{base}/?contacto={ids['jose']}")
    expect(tab.get_by_text("Los próximos envíos no se realizarán")).to_be_visible()
    expect(tab.get_by_text(SIGN_IN_TEXT)).to_have_count(0)
    tab.screenshot(path=str(artifacts / "session-new-tab.png"))
    page.context.close()


def test_a_deep_link_survives_the_sign_in(browser, server):
    base, _, _ = server
    page = new_page(browser)
    page.goto(f"{base}/informes?desde=2026-03-01&hasta=2026-03-31")
    page.get_by_label("Usuario").fill("ana.admin")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_text("Informes de rebotes, spam y envíos no realizados")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/informes\?.*desde=2026-03-01"))
    assert "nonce" not in page.url
    page.context.close()


def test_after_sign_out_the_old_cookie_replayed_gets_the_sign_in_page(browser, server, artifacts):
    base, ids, _ = server
    page = new_page(browser)
    sign_in(page, base, "ana.admin", PASSWORD)
    old = session_cookie(page)
    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page.get_by_text("Has cerrado la sesión.")).to_be_visible()
    assert session_cookie(page) is None  # cleared by /auth/signout
    page.screenshot(path=str(artifacts / "session-signed-out.png"))
    page.context.close()

    replay = new_page(browser)
    replay.context.add_cookies([{k: old[k] for k in ("name", "value", "domain", "path")}])
    replay.goto(f"{base}/?contacto={ids['jose']}")
    expect(replay.get_by_text(SIGN_IN_TEXT)).to_be_visible()
    expect(replay.get_by_text("José Núñez Peña")).to_have_count(0)
    no_traceback(replay)
    replay.context.close()


def test_a_disabled_users_live_search_is_refused_at_the_next_keystroke(browser, server):
    base, _, engine = server
    page = new_page(browser)
    sign_in(page, base, "eva.admin", PASSWORD)
    box = page.get_by_label(SEARCH)
    box.press_sequentially("nune", delay=40)
    expect(page.get_by_role("button", name=re.compile("José Núñez Peña"))).to_be_visible()
    with engine.begin() as conn:
        users.set_active(conn, "eva.admin", False)
    box.press_sequentially("z", delay=40)  # the fragment reruns alone
    expect(page.get_by_text("la cuenta ya no está activa")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("José Núñez Peña"))).to_have_count(0)
    expect(page.get_by_label(SEARCH)).to_have_count(0)
    no_traceback(page)
    page.context.close()


def test_an_idle_session_is_refused_at_the_next_keystroke_and_on_reload(browser, server):
    base, _, engine = server
    page = new_page(browser)
    sign_in(page, base, "otto.admin", PASSWORD)
    with engine.begin() as conn:
        conn.execute(
            schema.user_sessions.update().values(
                last_seen_at=datetime.now(UTC) - timedelta(minutes=31)
            )
        )
    page.get_by_label(SEARCH).press_sequentially("nune", delay=40)
    expect(page.get_by_text("Tu sesión ha caducado por inactividad")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("José Núñez Peña"))).to_have_count(0)
    page.reload()
    expect(page.get_by_text(SIGN_IN_TEXT)).to_be_visible()
    no_traceback(page)
    page.context.close()


def test_a_sellers_cookie_shows_no_data(browser, server):
    base, ids, _ = server
    page = new_page(browser)
    page.goto(f"{base}/?contacto={ids['jose']}")
    page.get_by_label("Usuario").fill("victor.ventas")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_text("No autorizado").first).to_be_visible()
    assert session_cookie(page) is not None
    for path in (f"/?contacto={ids['jose']}", "/informes", "/importar", "/app_pages/informes.py"):
        page.goto(base + path)
        expect(page.get_by_text("No autorizado").first).to_be_visible()
        expect(page.get_by_text("José Núñez Peña")).to_have_count(0)
        expect(page.get_by_label(SEARCH)).to_have_count(0)
    page.context.close()


@pytest.mark.parametrize("value", ["forjada", "A" * 43, "%3Cscript%3E", "x" * 3000])
def test_a_forged_cookie_gets_the_sign_in_page(browser, server, value):
    base, ids, _ = server
    page = new_page(browser)
    host = base.split("//")[1].split(":")[0]
    page.context.add_cookies(
        [{"name": sessions.COOKIE, "value": value, "domain": host, "path": "/"}]
    )
    page.goto(f"{base}/?contacto={ids['jose']}")
    expect(page.get_by_text(SIGN_IN_TEXT)).to_be_visible()
    expect(page.get_by_text("José Núñez Peña")).to_have_count(0)
    no_traceback(page)
    page.context.close()


@pytest.mark.parametrize(
    "who, expected",
    [(None, SIGN_IN_TEXT), ("victor.ventas", "No autorizado"), ("ana.admin", "Importar eventos")],
)
def test_page_script_addresses_are_never_blank(browser, server, who, expected, artifacts):
    base, _, _ = server
    page = new_page(browser)
    if who == "ana.admin":
        sign_in(page, base, who, PASSWORD)
    elif who:
        _sign_in_seller(page, base)
    page.goto(f"{base}/app_pages/importar.py")
    expect(page.get_by_text(expected).first).to_be_visible()
    expect(page).to_have_url(f"{base}/importar")
    no_traceback(page)
    if who is None:
        page.screenshot(path=str(artifacts / "session-app-pages-address.png"))
    page.context.close()


def _sign_in_seller(page, base):
    page.goto(base)
    page.get_by_label("Usuario").fill("victor.ventas")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_text("No autorizado").first).to_be_visible()


def test_behind_an_https_proxy_the_cookie_is_secure(server):
    """Uvicorn trusts X-Forwarded-Proto from loopback (FORWARDED_ALLOW_IPS): as a local TLS
    proxy would send it, the cookie comes back Secure."""
    base, _, engine = server
    with engine.begin() as conn:
        nonce = sessions.begin(conn, "ana.admin", "password")
    request = urllib.request.Request(
        f"{base}/auth/session?nonce={nonce}&next=/", headers={"X-Forwarded-Proto": "https"}
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request, timeout=10)
    assert answer.value.code == 303
    cookie = answer.value.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    with engine.connect() as conn:
        started = users.audit_log(conn, action="session_started", username="ana.admin")
    assert started.height >= 1
