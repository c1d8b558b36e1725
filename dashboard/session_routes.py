"""The HTTP side of dashboard sessions (Starlette; no Streamlit here, so that the server can import
it outside any script run). Mounted by streamlit_app.py through `st.App(routes=..., middleware=...)`.

Streamlit 1.67 has no way for a script to set a cookie, so a sign-in goes through two routes:
    GET /auth/session?nonce=...&next=/path   spends the one-time nonce the script stored
        (data_access.sessions.redeem), sets the session cookie (HttpOnly, SameSite=Lax, Path=/,
        Secure when the request came over HTTPS) and answers 303 to `next`;
    GET /auth/signout?next=/path             clears the cookie and answers 303 to `next`. The
        script has already ended the session in the database, so this route ends nothing and a
        link to it from elsewhere can do no harm.
`next` must be a path of this site (see `safe_next`): anything else becomes "/".

`PageAddresses` fixes addresses with more than one path segment (none of them Streamlit's), such as /app_pages/importar.py:
Streamlit answers them with its page, whose relative asset links (./static/...) then resolve
under the wrong folder and draw a blank page. They are sent to the page they name, whose
sign-in or refusal then shows as on any other address.
"""

import logging
from collections.abc import Callable, Iterable
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from data_access import sessions
from data_access.engine import DatabaseUnavailable

from .settings import load_settings

log = logging.getLogger("rastro.sessions")
SESSION_PATH = "/auth/session"
SIGNOUT_PATH = "/auth/signout"
MAX_NEXT = 2000
# First path segments that belong to Streamlit or to our own routes: never redirected.
RESERVED = frozenset(
    {"_stcore", "static", "media", "component", "app", "auth", "oauth2callback", "webhooks"}
)


def safe_next(raw: object) -> str:
    """`raw` when it is a path of this site ("/", "/informes?desde=..."), else "/": no scheme,
    no host ("//host"), no backslash (browsers read it as "/"), no control characters or spaces
    (browsers drop tabs and newlines, so "/\\t/host" would become "//host")."""
    if not isinstance(raw, str) or not raw.startswith("/") or len(raw) > MAX_NEXT:
        return "/"
    if raw.startswith("//") or "\\" in raw or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in raw):
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return "/"
    return raw


def session_url(nonce: str, next_path: str) -> str:
    """Where the browser goes after a sign-in to get its cookie."""
    return f"{SESSION_PATH}?{urlencode({'nonce': nonce, 'next': safe_next(next_path)})}"


def signout_url(next_path: str) -> str:
    """Where the browser goes after a sign-out to lose its cookie."""
    return f"{SIGNOUT_PATH}?{urlencode({'next': safe_next(next_path)})}"


def _redirect(request: Request) -> RedirectResponse:
    answer = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    answer.headers["Cache-Control"] = "no-store"  # the nonce's URL must not be replayed
    answer.headers["Referrer-Policy"] = "no-referrer"
    return answer


def _secure(request: Request) -> bool:
    # Uvicorn has already applied X-Forwarded-Proto from a trusted proxy (FORWARDED_ALLOW_IPS,
    # loopback by default) to the scheme.
    return request.url.scheme == "https"


def make_routes(engine: Callable[[], sa.Engine]) -> list[Route]:
    """The two routes, reading and writing the database `engine()` returns."""

    def redeem(nonce: str) -> str | None:
        with engine().begin() as conn:
            return sessions.redeem(conn, nonce)

    async def open_session(request: Request) -> Response:
        nonce = request.query_params.get("nonce", "")
        try:
            token = await run_in_threadpool(redeem, nonce) if sessions.plausible(nonce) else None
        except (sa.exc.SQLAlchemyError, DatabaseUnavailable) as error:
            detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            log.warning("sesión: base de datos no disponible: %s", detail)
            return PlainTextResponse(
                "La base de datos no está disponible ahora; vuelve a intentarlo en un momento.",
                503,
                headers={"Retry-After": "30", "Cache-Control": "no-store"},
            )
        answer = _redirect(request)
        if token is None:  # spent, expired or made up: the page asks to sign in again
            return answer
        answer.set_cookie(
            sessions.COOKIE,
            token,
            max_age=load_settings().session_hours * 3600,
            path="/",
            httponly=True,
            samesite="lax",
            secure=_secure(request),
        )
        return answer

    async def sign_out(request: Request) -> Response:
        answer = _redirect(request)
        answer.delete_cookie(
            sessions.COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request)
        )
        return answer

    return [
        Route(SESSION_PATH, open_session, methods=["GET"], name="session_open"),
        Route(SIGNOUT_PATH, sign_out, methods=["GET"], name="session_sign_out"),
    ]


class PageAddresses:
    """Pure ASGI middleware: a GET for a path of two or more segments outside RESERVED (or
    ending in "/") is answered 303 with the page it names, keeping the query string:
    /app_pages/importar.py -> /importar, /informes/x -> /informes, /a/b -> /."""

    def __init__(self, app, pages: Iterable[str] = (), scripts: dict[str, str] | None = None):
        self.app = app
        self.pages = frozenset(pages)  # URL paths of the pages ("" for the default one)
        self.scripts = dict(scripts or {})  # script stem -> URL path

    def target(self, path: str) -> str | None:
        """Where `path` is sent, or None when it is left to Streamlit."""
        segments = [s for s in path.split("/") if s]
        # Any reserved segment, not only the first: the browser finds the app's base path by
        # asking for /<page>/_stcore/health and needs that to fail, not to be redirected.
        if not segments or RESERVED.intersection(segments):
            return None
        if len(segments) < 2 and not path.endswith("/"):
            return None
        if segments[0] in self.pages:
            return "/" + segments[0]
        stem = segments[-1].removesuffix(".py")
        if stem in self.scripts:
            return "/" + self.scripts[stem]
        return "/"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        target = self.target(scope["path"])
        if target is None:
            return await self.app(scope, receive, send)
        query = scope.get("query_string", b"").decode("latin-1")
        answer = RedirectResponse(target + ("?" + query if query else ""), status_code=303)
        await answer(scope, receive, send)
