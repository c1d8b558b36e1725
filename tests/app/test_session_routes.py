"""The session routes through Starlette's TestClient on both engines (the cookie's attributes,
single-use nonces, open-redirect safety), and the addresses that used to draw a blank page."""

from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from dashboard import session_routes
from dashboard.session_routes import PageAddresses, safe_next
from data_access import sessions, users

GOOD = "una-contraseña-larga"


@pytest.fixture
def engine(empty_engine):
    with empty_engine.begin() as conn:
        users.add_user(conn, "ana", display_name="Ana", role="admin", password=GOOD)
    return empty_engine


def client(engine, base="http://rastro.test"):
    app = Starlette(routes=session_routes.make_routes(lambda: engine))
    return TestClient(app, base_url=base, follow_redirects=False)


def nonce_for(engine):
    with engine.begin() as conn:
        return sessions.begin(conn, "ana", "password")


def cookie_of(answer) -> tuple[SimpleCookie, str]:
    raw = answer.headers.get("set-cookie", "")
    return SimpleCookie(raw), raw


@pytest.mark.parametrize(
    "base, secure", [("http://rastro.test", False), ("https://rastro.test", True)]
)
def test_the_route_sets_an_httponly_lax_cookie_once(engine, monkeypatch, base, secure):
    monkeypatch.setenv("RASTRO_SESSION_HOURS", "8")
    nonce = nonce_for(engine)
    with client(engine, base) as http:
        url = session_routes.session_url(nonce, "/informes?desde=2026-01-01&hasta=2026-02-01")
        answer = http.get(url)
        again = http.get(url)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/informes?desde=2026-01-01&hasta=2026-02-01"
    assert answer.headers["cache-control"] == "no-store"
    jar, raw = cookie_of(answer)
    morsel = jar[sessions.COOKIE]
    assert sessions.plausible(morsel.value)
    assert morsel["httponly"] and morsel["samesite"].lower() == "lax" and morsel["path"] == "/"
    assert morsel["max-age"] == str(8 * 3600)
    assert ("Secure" in raw) is secure
    with engine.begin() as conn:
        assert sessions.check(conn, morsel.value).user.username == "ana"
    # the same nonce again: sent on, without a cookie
    assert again.status_code == 303 and "set-cookie" not in again.headers


def test_a_proxied_https_request_gets_a_secure_cookie(engine):
    # What uvicorn does with X-Forwarded-Proto from a trusted proxy: the scheme becomes https.
    with client(engine, "https://rastro.test") as http:
        answer = http.get(session_routes.session_url(nonce_for(engine), "/"))
    assert "Secure" in answer.headers["set-cookie"]


@pytest.mark.parametrize("nonce", ["", "inventado", "A" * 43, "a" * 3000])
def test_a_bad_nonce_sets_nothing(engine, nonce):
    with client(engine) as http:
        answer = http.get("/auth/session", params={"nonce": nonce, "next": "/importar"})
    assert answer.status_code == 303 and answer.headers["location"] == "/importar"
    assert "set-cookie" not in answer.headers


def test_an_expired_nonce_sets_nothing(engine):
    with engine.begin() as conn:
        nonce = sessions.begin(
            conn, "ana", "password", now=sessions._now() - sessions.NONCE_TTL - timedelta(1)
        )
    with client(engine) as http:
        assert "set-cookie" not in http.get(session_routes.session_url(nonce, "/")).headers


def test_sign_out_clears_the_cookie(engine):
    with client(engine) as http:
        answer = http.get(session_routes.signout_url("/?aviso=salida"))
    assert answer.status_code == 303 and answer.headers["location"] == "/?aviso=salida"
    jar, raw = cookie_of(answer)
    assert jar[sessions.COOKIE].value == "" and "Max-Age=0" in raw and "HttpOnly" in raw


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "informes",
        "https://ev.il/x",
        "//ev.il/x",
        "/\\ev.il",
        "\\\\ev.il",
        "/\t/ev.il",
        "/\n/ev.il",
        "/ /ev.il",
        "javascript:alert(1)",
        "http:/ev.il",
        "/" + "a" * 3000,
        42,
    ],
)
def test_next_must_be_a_path_of_this_site(raw):
    assert safe_next(raw) == "/"


@pytest.mark.parametrize(
    "raw", ["/", "/informes?desde=2026-01-01", "/?contacto=12", "/importar", "/%2F%2Fev.il"]
)
def test_paths_of_this_site_are_kept(raw):
    assert safe_next(raw) == raw


def test_the_routes_redirect_only_inside_the_site(engine):
    with client(engine) as http:
        for target in ("https://ev.il/", "//ev.il/", "/\\ev.il"):
            answer = http.get("/auth/signout", params={"next": target})
            assert answer.headers["location"] == "/"


# --- addresses with more than one segment ---------------------------------------------------

PAGES = ["informes", "importar", "recepcion"]
SCRIPTS = {
    "contactos": "",
    "informes": "informes",
    "importar": "importar",
    "recepcion": "recepcion",
}


@pytest.mark.parametrize(
    "path, target",
    [
        ("/app_pages/importar.py", "/importar"),
        ("/app_pages/contactos.py", "/"),
        ("/app_pages/importar", "/importar"),
        ("/app_pages/", "/"),
        ("/informes/", "/informes"),
        ("/informes/algo/mas", "/informes"),
        ("/a/b", "/"),
        ("/", None),
        ("/importar", None),
        ("/app_pages", None),
        ("/_stcore/health", None),
        ("/static/js/index.js", None),
        ("/media/abc.png", None),
        ("/webhooks/sendgrid", None),
        ("/auth/session", None),
        ("/app/static/logo.png", None),
        ("/informes/_stcore/health", None),  # the browser's probe for the base path
        ("/informes/_stcore/host-config", None),
        ("/app_pages/static/js/index.js", None),
    ],
)
def test_page_addresses(path, target):
    assert PageAddresses(None, pages=PAGES, scripts=SCRIPTS).target(path) == target


def test_the_middleware_keeps_the_query_and_passes_the_rest():
    app = Starlette(
        routes=[
            Route(
                "/{path:path}",
                lambda request: PlainTextResponse("streamlit"),
                methods=["GET", "POST"],
            )
        ],
        middleware=[Middleware(PageAddresses, pages=PAGES, scripts=SCRIPTS)],
    )
    with TestClient(app, follow_redirects=False) as http:
        moved = http.get("/app_pages/informes.py?desde=2026-01-01")
        assert moved.status_code == 303
        assert moved.headers["location"] == "/informes?desde=2026-01-01"
        assert http.get("/informes").text == "streamlit"
        assert http.post("/app_pages/importar.py").text == "streamlit"
