"""Who is looking: sign-in (password or single sign-on), the session cookie, sign-out, and the
check that every page, fragment and callback makes before it reads any data. Only active
administrators see Rastro.

A sign-in leaves the browser a session cookie (data_access.sessions, dashboard.session_routes):
a reload or a new tab opens the page directly while the session lasts. Every run reads the
cookie the tab connected with and checks its session in the database: an ended session, an
idle or over-age one, or a disabled account ends the session at the next click, whether that
click reruns the whole page, a fragment (`fragment`) or a callback (`callback`).
"""

import functools
import json
from html import escape
from urllib.parse import urlencode

import streamlit as st

from data_access import users, vocab

from . import data
from .markdown import md_escape
from .session_routes import session_url, signout_url
from .ui import database_errors_shown, engine_or_stop, text

NOTICE_KEY = "auth_notice"  # catalogue key to show once on the sign-in page
# Where the browser must go now, to get its cookie ({"nonce": ...}: the URL is made when drawn,
# once the page and its address are known) or to lose it ({"url": ...}).
REDIRECT_KEY = "auth_redirect"
SSO_TRIED_KEY = "auth_sso_tried"  # single sign-on was tried in this tab (not again on reruns)
PATH_KEY = "auth_path"  # URL path of this run's page, where a sign-in returns to
SEEN_KEY = "auth_ended_seen"  # ended sessions whose notice this tab has shown
RERUN_KEY = "auth_guard_rerun"  # a fragment or callback found no session and asked for a rerun
NOTICE_PARAM, SIGNED_OUT = "aviso", "salida"  # /?aviso=salida after a sign-out
# Why a session ended -> what the sign-in page says.
END_NOTICES = {
    vocab.SESSION_LOGOUT: "auth.signed_out",
    vocab.SESSION_IDLE: "auth.expired",
    vocab.SESSION_LIFETIME: "auth.lifetime",
    vocab.SESSION_DISABLED: "auth.disabled_now",
    vocab.SESSION_PASSWORD: "auth.password_changed",
}
GUARDED: list[str] = []  # every fragment and callback made here ("module.name")
FRAGMENTS: list[str] = []  # the fragments among them (tests/app/test_guards runs each one)


def sso_configured() -> bool:
    """True when `.streamlit/secrets.toml` has an [auth] section (OIDC through st.login)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def _sso_email() -> str | None:
    if not sso_configured():
        return None
    try:
        if st.user.is_logged_in:
            return st.user.get("email")
    except (AttributeError, KeyError):
        return None
    return None


def _record(action: str, username: str, **details) -> None:
    with database_errors_shown():
        data.record(action, username, **details)


def _next_path() -> str:
    """This page's address with its query (a shared link survives the sign-in)."""
    path = "/" + st.session_state.get(PATH_KEY, "")
    query = {k: v for k, v in st.query_params.to_dict().items() if k != NOTICE_PARAM}
    return path + ("?" + urlencode(query) if query else "")


def remember_page(url_path: str) -> None:
    """Called by the entrypoint with the URL path of the page it is about to run."""
    st.session_state[PATH_KEY] = url_path
    st.session_state.pop(RERUN_KEY, None)  # a full run: the guards may ask again


def _start_session(user: users.User, method: str) -> None:
    """Send the browser to get its cookie for a new session of `user`."""
    with database_errors_shown():
        nonce = data.begin_session(user.username, method)
    st.session_state[REDIRECT_KEY] = {"nonce": nonce}


def _sign_in_with_sso(email: str) -> None:
    st.session_state[SSO_TRIED_KEY] = True
    with database_errors_shown():
        user = data.sign_in_with_sso(email)
    if user is None:
        st.session_state[NOTICE_KEY] = "auth.sso_unknown"
        return
    _start_session(user, "sso")


def _note_ended(session_id: int, reason: str) -> None:
    """Say once per tab why its session ended."""
    seen = st.session_state.setdefault(SEEN_KEY, [])
    if session_id in seen:
        return
    seen.append(session_id)
    if reason in END_NOTICES:
        st.session_state[NOTICE_KEY] = END_NOTICES[reason]


def current_user() -> users.User | None:
    """The account of this tab's open session, or None; ends the session when it is over."""
    token = data.session_token()
    ended = False
    if token is not None:
        with database_errors_shown():
            found = data.check_session(token)
        if found.open:
            return found.user
        if found.ended_reason is not None:
            ended = True
            _note_ended(found.session_id, found.ended_reason)
    # Single sign-on starts a session by itself in a fresh browser; after a session ended, the
    # sign-in page offers to continue instead (otherwise the idle timeout would mean nothing).
    email = _sso_email()
    pending = REDIRECT_KEY in st.session_state
    if email and not ended and not pending and not st.session_state.get(SSO_TRIED_KEY):
        _sign_in_with_sso(email)
    return None


def _draw_refusal(user: users.User | None) -> None:
    if user is None:
        st.warning(text("auth.sign_in_first"), icon=":material/lock:")
    else:
        st.error(text("auth.not_authorised"), icon=":material/block:")


def require_admin() -> users.User:
    """First thing every page does: stop unless an active administrator is signed in."""
    engine_or_stop()
    user = current_user()
    if user is None or not user.is_admin:
        _draw_refusal(user)
        st.stop()
    return user


def fragment(func=None, *, run_every=None):
    """`st.fragment` whose every run first checks the session exactly as a full run does. A
    fragment rerunning alone that finds no administrator draws nothing and reruns the whole
    page, which then shows the sign-in or the refusal (without an entrypoint to do so, as in a
    page script run on its own, it draws the refusal in its place)."""

    def decorate(body):
        @functools.wraps(body)
        def guarded(*args, **kwargs):
            user = current_user()
            if user is None or not user.is_admin:
                if not st.session_state.get(RERUN_KEY):
                    st.session_state[RERUN_KEY] = True
                    st.rerun()
                _draw_refusal(user)
                return None
            return body(*args, **kwargs)

        guarded.rastro_guarded = True
        GUARDED.append(f"{body.__module__}.{body.__qualname__}")
        FRAGMENTS.append(f"{body.__module__}.{body.__qualname__}")
        return st.fragment(guarded, run_every=run_every)

    return decorate(func) if func is not None else decorate


def callback(func):
    """A widget callback (on_click, on_change) that does nothing unless an administrator's
    session is open; the run that follows it then shows the sign-in or the refusal."""

    @functools.wraps(func)
    def guarded(*args, **kwargs):
        user = current_user()
        if user is None or not user.is_admin:
            return None
        return func(*args, **kwargs)

    guarded.rastro_guarded = True
    GUARDED.append(f"{func.__module__}.{func.__qualname__}")
    return guarded


# --- pages and sidebar ----------------------------------------------------------------------


def _render_redirect(url: str) -> None:
    """Send the browser to `url` now (a script cannot set cookies; that route can), with a
    link for a browser that runs no JavaScript."""
    st.info(text("auth.redirecting"), icon=":material/hourglass_top:")
    target = json.dumps(url).replace("<", "\\u003c")
    st.html(
        f'<a href="{escape(url)}" target="_self">{escape(text("auth.continue"))}</a>'
        f"<script>window.location.replace({target});</script>",
        unsafe_allow_javascript=True,
    )


def render_sign_in() -> None:
    """The sign-in page (the only page a visitor without a session can reach)."""
    redirect = st.session_state.pop(REDIRECT_KEY, None)
    if redirect:
        nonce = redirect.get("nonce")
        _render_redirect(session_url(nonce, _next_path()) if nonce else redirect["url"])
        return
    st.title(text("app.title"))
    st.caption(text("auth.who"))
    if st.query_params.get(NOTICE_PARAM) == SIGNED_OUT:
        del st.query_params[NOTICE_PARAM]
        st.session_state.setdefault(NOTICE_KEY, "auth.signed_out")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        hours = data.settings().session_hours
        st.warning(text(notice, hours=hours), icon=":material/info:")
    with database_errors_shown():
        nobody = data.count_accounts() == 0
    if nobody:
        st.info(text("auth.no_users"))
    with st.form("sign_in", enter_to_submit=True):
        username = st.text_input(
            text("auth.username"), key="sign_in_user", max_chars=150, autocomplete="username"
        )
        password = st.text_input(
            text("auth.password"),
            key="sign_in_password",
            type="password",
            max_chars=1024,
            autocomplete="current-password",
        )
        submitted = st.form_submit_button(text("auth.submit"), type="primary")
    if submitted:
        _sign_in(username, password)
    _render_sso_button()


def _render_sso_button() -> None:
    if not sso_configured():
        return
    email = _sso_email()
    if email is None:
        st.button(text("auth.sso"), on_click=st.login, icon=":material/key:")
    elif st.button(text("auth.sso_continue", email=md_escape(email)), icon=":material/key:"):
        _sign_in_with_sso(email)  # the identity provider still knows who this is
        st.rerun()


def _sign_in(username: str, password: str) -> None:
    settings = data.settings()
    policy = users.LoginPolicy(
        max_failures=settings.login_max_failures,
        lockout=settings.login_lockout,
        window=settings.login_lockout,
    )
    with database_errors_shown():
        result = data.sign_in_with_password(username, password, policy)
    if result.outcome == users.OK:
        _start_session(result.user, "password")
        st.rerun()
    message = {
        users.BAD_CREDENTIALS: "auth.bad_credentials",
        users.THROTTLED: "auth.throttled",
        users.DISABLED: "auth.disabled",
    }[result.outcome]
    st.error(text(message, minutes=int(settings.login_lockout.total_seconds() // 60)))


def render_refusal() -> None:
    """What a signed-in seller (or any non-administrator) sees, on every URL."""
    st.title(text("app.title"))
    st.error(text("auth.not_authorised"), icon=":material/block:")


def render_session_box(container, user: users.User | None) -> None:
    if user is None:
        return
    role = text("role." + user.role) if user.role in vocab.ROLES else user.role
    container.caption(text("auth.signed_in_as", name=user.display_name, role=role))
    if container.button(text("auth.sign_out"), key="sign_out", icon=":material/logout:"):
        with database_errors_shown():
            data.end_session(data.session_token())  # in every tab and browser at once
        # Then the browser loses the cookie (and the identity provider's, after single sign-on).
        after = "/auth/logout" if _sso_email() else f"/?{NOTICE_PARAM}={SIGNED_OUT}"
        st.session_state[REDIRECT_KEY] = {"url": signout_url(after)}
        st.rerun()


def record_card_opened(user: users.User, contact_id: int) -> None:
    """Audit a card view once per contact and session (not on every click inside it)."""
    key = "auth_last_card"
    if st.session_state.get(key) == contact_id:
        return
    _record("card_opened", user.username, contact_id=contact_id)
    st.session_state[key] = contact_id
