"""Who is looking: sign-in (password or single sign-on), idle timeout, sign-out, and the check
that every page makes before it reads any data. Only active administrators see Rastro.

The account is read again from the database on every run, so disabling a user or changing
their role takes effect at their next click.
"""

import time

import streamlit as st

from data_access import users, vocab

from . import data
from .ui import database_errors_shown, engine_or_stop, text

USER_KEY = "auth_user"  # {"username": ...} of the signed-in account
SEEN_KEY = "auth_seen"  # time of the last activity (seconds since the epoch)
NOTICE_KEY = "auth_notice"  # catalogue key to show once on the sign-in page


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


def _start_session(user: users.User) -> None:
    st.session_state[USER_KEY] = {"username": user.username}
    st.session_state[SEEN_KEY] = time.time()


def _end_session(notice: str | None = None) -> None:
    for key in (USER_KEY, SEEN_KEY):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE_KEY] = notice


def _record(action: str, username: str, **details) -> None:
    with database_errors_shown():
        data.record(action, username, **details)


def _sign_in_with_sso(email: str) -> None:
    with database_errors_shown():
        user = data.sign_in_with_sso(email)
    if user is None:
        st.session_state[NOTICE_KEY] = "auth.sso_unknown"
        return
    _start_session(user)


def current_user() -> users.User | None:
    """The signed-in account (still active), or None; ends idle sessions."""
    if USER_KEY not in st.session_state:
        email = _sso_email()
        if email and st.session_state.get(NOTICE_KEY) != "auth.sso_unknown":
            _sign_in_with_sso(email)
    session = st.session_state.get(USER_KEY)
    if not session:
        return None
    settings = data.settings()
    now = time.time()
    if now - st.session_state.get(SEEN_KEY, now) > settings.idle_minutes * 60:
        _record("session_expired", session["username"])
        _end_session("auth.expired")
        return None
    with database_errors_shown():
        user = data.account(session["username"])
    if user is None or not user.active:
        _end_session("auth.disabled_now")
        return None
    st.session_state[SEEN_KEY] = now
    return user


def require_admin() -> users.User:
    """First thing every page does: stop unless an active administrator is signed in."""
    engine_or_stop()
    user = current_user()
    if user is None:
        st.warning(text("auth.sign_in_first"), icon=":material/lock:")
        st.stop()
    if not user.is_admin:
        st.error(text("auth.not_authorised"), icon=":material/block:")
        st.stop()
    return user


# --- pages and sidebar ----------------------------------------------------------------------


def render_sign_in() -> None:
    """The sign-in page (the only page a visitor without a session can reach)."""
    st.title(text("app.title"))
    st.caption(text("auth.who"))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.warning(text(notice), icon=":material/info:")
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
    if sso_configured():
        st.button(text("auth.sso"), on_click=st.login, icon=":material/key:")


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
        _start_session(result.user)
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
        _record("logout", user.username)
        _end_session("auth.signed_out")
        if _sso_email():
            st.logout()
        st.rerun()


def record_card_opened(user: users.User, contact_id: int) -> None:
    """Audit a card view once per contact and session (not on every click inside it)."""
    key = "auth_last_card"
    if st.session_state.get(key) == contact_id:
        return
    _record("card_opened", user.username, contact_id=contact_id)
    st.session_state[key] = contact_id
