"""Access control through AppTest: only active administrators see anything beyond sign-in."""

import html
import re
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard import auth, session_routes
from data_access import migrate, schema, sessions, users
from data_access.engine import make_engine
from tests.story import PASSWORD

from .conftest import PAGES

PAGE_SCRIPTS = sorted(PAGES.glob("*.py"))


@pytest.fixture
def story(story_db):
    return story_db.engine, story_db.ids


@pytest.fixture
def entry(story_db, make_app):
    """A new AppTest of the entrypoint (a new browser tab) on the story database."""
    return lambda: make_app(story_db)


def redirect_of(at) -> str | None:
    """The address the page sends the browser to (after a sign-in or a sign-out), if any."""
    for element in at.get("html"):
        found = re.search(r'href="([^"]+)"', element.proto.body)
        if found:
            return html.unescape(found.group(1))
    return None


def follow(url: str, engine, browser) -> str:
    """Open `url` (a session route) as the browser would: keep the cookie it sets or clears;
    the address it sends the browser on to."""
    routes = Starlette(routes=session_routes.make_routes(lambda: engine))
    with TestClient(routes, base_url="http://rastro.test") as client:
        answer = client.get(url, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    cookie = SimpleCookie(answer.headers.get("set-cookie", ""))
    if sessions.COOKIE in cookie:
        value = cookie[sessions.COOKIE].value
        browser.hold(value or None)
    return answer.headers["location"]


def load(make, address: str):
    """A new tab at `address` ("/?contacto=3"): a fresh AppTest with that query."""
    at = make()
    for key, value in parse_qsl(urlsplit(address).query):
        at.query_params[key] = value
    return at.run()


def sign_in(at, username, password=PASSWORD, *, engine=None, browser=None, make=None):
    """Fill the sign-in form of `at`. With `engine`, `browser` and `make`, also follow the
    redirect as a browser does (the route sets the cookie) and return the page it lands on."""
    at.run()
    at.text_input(key="sign_in_user").input(username)
    at.text_input(key="sign_in_password").input(password)
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    url = redirect_of(at)
    if url is None or make is None:
        return at
    assert url.startswith("/auth/session?nonce=")
    return load(make, follow(url, engine, browser))


def shown(at):
    parts = []
    for kind in ("title", "markdown", "caption", "error", "warning", "info", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def audit(engine, action=None):
    with engine.connect() as conn:
        return users.audit_log(conn, action=action)


def test_a_visitor_sees_only_the_sign_in_page_even_with_a_deep_link(story, entry):
    _, ids = story
    at = entry()
    at.query_params["contacto"] = str(ids["jose"])
    at.run()
    assert not at.exception
    assert "Usuarios autorizados: Administradores." in shown(at)
    assert at.text_input(key="sign_in_password").proto.type == 1  # a password field
    assert "José Núñez" not in shown(at)
    assert not at.get("text_input") or all(t.key != "busqueda" for t in at.text_input)


@pytest.fixture
def signed_in(story_db, entry, browser):
    """`signed_in(username, **query)`: sign in through the form with that deep link, follow the
    redirect to the cookie route, and return the page the browser lands on."""

    def go(username, password=PASSWORD, **query):
        at = entry()
        for key, value in query.items():
            at.query_params[key] = value
        return sign_in(at, username, password, engine=story_db.engine, browser=browser, make=entry)

    return go


def test_an_administrator_signs_in_and_the_deep_link_still_opens(story, signed_in, browser):
    engine, ids = story
    at = signed_in("Ana.Admin ", contacto=str(ids["jose"]))  # case and spaces do not matter
    assert sessions.COOKIE in browser.cookies
    assert at.query_params["contacto"] == str(ids["jose"])
    assert "Los próximos envíos no se realizarán" in shown(at)
    assert "Sesión de Ana Administradora (administrador)" in shown(at)
    trail = audit(engine)
    assert trail["action"].to_list()[:3] == ["card_opened", "session_started", "login_ok"]
    assert trail["contact_id"][0] == ids["jose"]


def test_the_sign_in_sends_the_browser_to_the_cookie_route_with_the_link(story, entry):
    _, ids = story
    at = entry()
    at.query_params["contacto"] = str(ids["jose"])
    url = redirect_of(sign_in(at, "ana.admin"))
    query = dict(parse_qsl(urlsplit(url).query))
    assert urlsplit(url).path == "/auth/session"
    assert sessions.plausible(query["nonce"]) and query["next"] == f"/?contacto={ids['jose']}"
    body = at.get("html")[0].proto.body
    assert "window.location.replace(" in body and "Continuar" in body


def test_a_reload_and_a_new_tab_open_directly(story, signed_in, entry):
    _, ids = story
    signed_in("ana.admin")
    reload = entry().run()
    assert reload.text_input(key="busqueda") is not None
    assert not any(t.key == "sign_in_password" for t in reload.text_input)
    tab = load(entry, f"/?contacto={ids['jose']}")
    assert "Los próximos envíos no se realizarán" in shown(tab)


def test_a_new_token_at_each_sign_in(story, signed_in, browser):
    signed_in("ana.admin")
    first = browser.cookies[sessions.COOKIE]
    browser.hold(None)
    signed_in("ana.admin")
    assert browser.cookies[sessions.COOKIE] != first


@pytest.mark.parametrize("cookie", ["", "forjada", "A" * 43, "<script>", "x" * 5000])
def test_a_forged_cookie_gets_the_sign_in_page(story, entry, browser, cookie):
    _, ids = story
    browser.cookies[sessions.COOKIE] = cookie
    at = load(entry, f"/?contacto={ids['jose']}")
    assert not at.exception
    assert any(t.key == "sign_in_password" for t in at.text_input)
    assert "José Núñez" not in shown(at)


def test_a_seller_is_refused_on_every_url(story, signed_in, entry):
    engine, ids = story
    at = signed_in("victor.ventas", contacto=str(ids["jose"]))
    assert "No autorizado" in shown(at)
    assert "José Núñez" not in shown(at)
    assert not any(t.key == "busqueda" for t in at.text_input)
    assert audit(engine, "access_denied")["username"].to_list() == ["victor.ventas"]
    again = load(entry, f"/?contacto={ids['jose']}")  # the seller's cookie: still refused
    assert "No autorizado" in shown(again) and "José Núñez" not in shown(again)


@pytest.mark.parametrize(
    "username, password", [("ana.admin", "equivocada-123"), ("nadie.existe", PASSWORD), ("", "")]
)
def test_wrong_password_and_unknown_user_get_the_same_answer(story, username, password, entry):
    engine, _ = story
    at = sign_in(entry(), username, password)
    assert "Usuario o contraseña incorrectos." in [e.value for e in at.error]
    assert at.text_input(key="sign_in_user") is not None
    assert audit(engine, "login_failed").height == 1


def test_a_disabled_account_is_told_only_after_the_right_password(story, entry):
    at = sign_in(entry(), "dora.baja")
    assert "Tu cuenta está desactivada" in at.error[0].value
    at = sign_in(entry(), "dora.baja", "equivocada-123")
    assert at.error[0].value == "Usuario o contraseña incorrectos."


def test_five_failures_lock_the_username_without_revealing_if_it_exists(story, entry):
    engine, _ = story
    for username in ("ana.admin", "fantasma"):
        for _ in range(5):
            at = sign_in(entry(), username, "equivocada-123")
            assert "incorrectos" in at.error[0].value
        at = sign_in(entry(), username, PASSWORD)
        assert (
            "Demasiados intentos fallidos con este usuario. Espera 15 minutos" in at.error[0].value
        )
    assert audit(engine, "login_throttled").height == 2
    # other usernames are not affected
    assert redirect_of(sign_in(entry(), "victor.ventas")).startswith("/auth/session?")


def test_sign_out_ends_the_session_and_the_route_clears_the_cookie(
    story, signed_in, entry, browser
):
    engine, ids = story
    at = signed_in("ana.admin")
    old = browser.cookies[sessions.COOKIE]
    at.button(key="sign_out").click().run()
    url = redirect_of(at)
    assert urlsplit(url).path == "/auth/signout"
    landing = follow(url, engine, browser)
    assert sessions.COOKIE not in browser.cookies  # cleared by the route
    after = load(entry, landing)
    assert "Has cerrado la sesión." in shown(after)
    assert any(t.key == "sign_in_password" for t in after.text_input)
    assert "aviso" not in after.query_params
    # the old cookie, replayed by hand, gets the sign-in page
    browser.hold(old)
    replay = load(entry, f"/?contacto={ids['jose']}")
    assert any(t.key == "sign_in_password" for t in replay.text_input)
    assert "José Núñez" not in shown(replay)
    ended = audit(engine, "session_ended")
    assert ended.height == 1 and ended["detail"][0].startswith("cierre de sesión")


def _age(engine, **columns):
    """Move every session's times back (columns: created_at or last_seen_at -> timedelta)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            schema.user_sessions.update().values(
                **{name: now - delta for name, delta in columns.items()}
            )
        )


@pytest.mark.parametrize(
    "aged, notice, detail",
    [
        ({"last_seen_at": timedelta(minutes=31)}, "caducado por inactividad", "inactividad"),
        (
            {"created_at": timedelta(hours=12, minutes=1)},
            "duración máxima (12 horas)",
            "duración máxima",
        ),
    ],
)
def test_idle_and_over_age_sessions_end(story, signed_in, monkeypatch, aged, notice, detail):
    engine, _ = story
    monkeypatch.setenv("RASTRO_IDLE_MINUTES", "30")
    at = signed_in("ana.admin")
    _age(engine, **aged)
    at.run()
    assert notice in shown(at)
    assert any(t.key == "sign_in_password" for t in at.text_input)
    assert audit(engine)["action"][0] == "session_ended"
    assert audit(engine)["detail"][0].startswith(detail)


@pytest.mark.parametrize(
    "change, notice",
    [
        (lambda conn: users.set_active(conn, "ana.admin", False), "la cuenta ya no está activa"),
        (
            lambda conn: users.set_password(conn, "ana.admin", "otra-clave-larga-1"),
            "la contraseña de la cuenta ha cambiado",
        ),
    ],
)
def test_disabling_or_a_new_password_ends_the_session_at_the_next_click(
    story, signed_in, entry, change, notice
):
    engine, _ = story
    at = signed_in("ana.admin")
    with engine.begin() as conn:
        change(conn)
    at.run()
    assert notice in shown(at)
    assert any(t.key == "sign_in_password" for t in at.text_input)
    assert notice in shown(entry().run())  # a reload says it too (once per tab)


def test_a_card_view_is_audited_once(story, signed_in):
    engine, ids = story
    at = signed_in("ana.admin", contacto=str(ids["pedro"]))
    at.run()
    at.run()
    assert audit(engine, "card_opened")["contact_id"].to_list() == [ids["pedro"]]


def test_no_users_yet_says_how_to_create_one(tmp_path, make_app):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    at = make_app(url)
    at.run()
    assert "python -m data_access users add" in shown(at)


# --- every page checks the role itself ------------------------------------------------------


def test_there_are_pages_to_check():
    assert PAGE_SCRIPTS, "app_pages/ must hold the page scripts"
    assert {p.name for p in PAGE_SCRIPTS} == set(ADMIN_VIEW), "say what each page draws"


@pytest.mark.parametrize("page", PAGE_SCRIPTS, ids=lambda p: p.name)
@pytest.mark.parametrize("who", [None, "victor.ventas", "dora.baja"])
def test_no_page_renders_data_without_an_administrator(story_db, make_app, page, who):
    """Run each page script on its own (as an old session or a direct URL could): whatever
    the page, a visitor, a seller or a disabled admin gets a refusal and nothing else."""
    at = make_app(story_db, page, user=who)
    at.query_params["contacto"] = str(story_db.ids["jose"])
    at.run()
    assert not at.exception
    refusals = [e.value for e in at.warning] + [e.value for e in at.error]
    assert any("Inicia sesión" in r or "No autorizado" in r for r in refusals), refusals
    page_elements = [e for e in at.main.children.values()]
    assert len(page_elements) == 1, "nothing but the refusal may be drawn"


# What each page draws for an administrator: its title and the widget it starts from.
ADMIN_VIEW = {
    "contactos.py": ("Qué pasó con los correos de un contacto", "text_input", "busqueda"),
    "informes.py": ("Informes de rebotes, spam y envíos no realizados", "date_input", "desde"),
    "importar.py": ("Importar eventos de entrega", "selectbox", "import_provider"),
    # Recepción starts from its table of providers (a table, not a widget: no key).
    "recepcion.py": ("Recepción de eventos en vivo", "dataframe", None),
    "bloqueados.py": ("Contactos bloqueados", "multiselect", "motivos"),
}


@pytest.mark.parametrize("page", PAGE_SCRIPTS, ids=lambda p: p.name)
def test_every_page_works_for_an_administrator(story_db, make_app, page):
    title, kind, key = ADMIN_VIEW[page.name]
    at = make_app(story_db, page, user="ana.admin")
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [title]
    assert getattr(at, kind)(key=key) is not None if key else len(getattr(at, kind)) == 1
    refusals = [e.value for e in at.warning] + [e.value for e in at.error]
    assert not any("Inicia sesión" in r or "No autorizado" in r for r in refusals), refusals
    assert len(at.main.children) > 1, "more than a refusal is drawn"


# --- single sign-on -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email, expected",
    [
        ("ana.admin@crm.test", "Qué pasó con los correos de un contacto"),
        ("VICTOR.VENTAS@crm.test", "No autorizado"),
        ("dora.baja@crm.test", "no está autorizada en Rastro"),
        ("desconocido@otra.test", "no está autorizada en Rastro"),
    ],
)
def test_single_sign_on_maps_the_email_to_a_role(
    story, monkeypatch, email, expected, entry, browser
):
    engine, _ = story
    monkeypatch.setattr(auth, "sso_configured", lambda: True)
    monkeypatch.setattr(auth, "_sso_email", lambda: email)
    at = entry().run()
    assert not at.exception
    url = redirect_of(at)
    if url is not None:  # a known account: the browser gets its cookie, then the page
        at = load(entry, follow(url, engine, browser))
    assert not at.exception
    assert expected in shown(at)
    actions = audit(engine)["action"].to_list()
    assert ("login_ok" in actions) == (not email.startswith(("dora", "desconocido")))
    assert ("session_started" in actions) == ("login_ok" in actions)


def test_single_sign_on_does_not_silently_restart_an_ended_session(
    story, monkeypatch, signed_in, entry
):
    engine, _ = story
    monkeypatch.setattr(auth, "sso_configured", lambda: True)
    monkeypatch.setattr(auth, "_sso_email", lambda: None)
    signed_in("ana.admin")
    _age(engine, last_seen_at=timedelta(hours=1))
    monkeypatch.setattr(auth, "_sso_email", lambda: "ana.admin@crm.test")
    at = entry().run()
    assert "caducado por inactividad" in shown(at)
    assert redirect_of(at) is None
    (button,) = [b for b in at.button if b.label.startswith("Continuar como")]
    assert button.label == "Continuar como ana\\.admin\u2060\\@crm\\.test"  # Markdown-escaped
    button.click().run()
    assert urlsplit(redirect_of(at)).path == "/auth/session"
