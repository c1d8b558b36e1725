"""Dashboard sessions: the server side of the session cookie. No Streamlit here: the dashboard,
its sign-in routes and the CLI share these functions.

How a session lives (the README says the same for people):
1. A sign-in (password or single sign-on) calls `begin`: a row with a one-time nonce, valid for
   NONCE_TTL. The browser is sent to `/auth/session?nonce=...`.
2. That route calls `redeem`: the nonce is spent (once), the row gets a new random token, and
   the token goes to the browser in an HttpOnly cookie (COOKIE). Only SHA-256 digests of the
   nonce and the token are stored.
3. Every run of a page, fragment or callback calls `check` with the cookie's token: the session
   is open while it has not ended, its account is active, it is younger than the absolute
   lifetime and it was used within the idle timeout. `check` ends it otherwise (and says why).
   Activity (`last_seen_at`) is written at most once per SEEN_EVERY and session, so most clicks
   only read; the idle timeout therefore counts from a time up to SEEN_EVERY old, and a session
   may end up to that much earlier than the timeout, never later.
4. `end` (sign-out) and `end_user_sessions` (account disabled, password changed) end sessions
   everywhere: every later check of their tokens fails.
Starts and ends are recorded in the audit trail (`session_started`, `session_ended`, with why).
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl
import sqlalchemy as sa

from . import schema, users, vocab

COOKIE = "rastro_session"
NONCE_TTL = timedelta(minutes=2)  # between a sign-in and the browser opening its link
SEEN_EVERY = timedelta(minutes=1)  # activity is written at most this often per session
DEFAULT_IDLE = timedelta(minutes=30)
DEFAULT_LIFETIME = timedelta(hours=12)
# token_urlsafe(32) is 43 characters; anything else is not ours and is not even looked up.
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")

# The audit trail is Spanish: why a session ended, how it started.
END_TEXT = {
    vocab.SESSION_LOGOUT: "cierre de sesión",
    vocab.SESSION_IDLE: "inactividad",
    vocab.SESSION_LIFETIME: "duración máxima de la sesión",
    vocab.SESSION_DISABLED: "cuenta desactivada",
    vocab.SESSION_PASSWORD: "contraseña cambiada",
    vocab.SESSION_UNUSED: "enlace de entrada sin usar",
}
METHOD_TEXT = {"password": "contraseña", "sso": "inicio de sesión único"}

TIME = pl.Datetime("us", "UTC")
SESSIONS_SCHEMA = {
    "id": pl.Int64,
    "username": pl.Utf8,
    "method": pl.Utf8,
    "created_at": TIME,
    "last_seen_at": TIME,
    "ended_at": TIME,
    "end_reason": pl.Utf8,
}


@dataclass(frozen=True)
class Limits:
    """How long a session may be idle, and how long it may last at all."""

    idle: timedelta = DEFAULT_IDLE
    lifetime: timedelta = DEFAULT_LIFETIME


@dataclass(frozen=True)
class SessionCheck:
    """What `check` found: the account of an open session, or why the session is over. All
    None: there is no such session (no cookie, a forged one, or one never redeemed)."""

    user: users.User | None = None
    session_id: int | None = None
    ended_reason: str | None = None  # one of vocab.SESSION_END_REASONS

    @property
    def open(self) -> bool:
        return self.user is not None


def _now() -> datetime:
    return datetime.now(UTC)


def digest(secret: str) -> str:
    """What is stored of a token or nonce: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def plausible(secret: object) -> bool:
    """True for something shaped like our tokens and nonces (checked before any lookup)."""
    return isinstance(secret, str) and bool(_SECRET_RE.match(secret))


def begin(conn: sa.Connection, username: str, method: str, *, now: datetime | None = None) -> str:
    """Start a sign-in for `username` (who has just proved who they are) and return the one-time
    nonce the browser exchanges for its cookie (`redeem`). Earlier nonces of the same account
    that were never used are ended (`unused`)."""
    if method not in vocab.SESSION_METHODS:
        raise ValueError(f"método de entrada desconocido: {method!r}")
    now = now or _now()
    s = schema.user_sessions.c
    user_id = conn.execute(
        sa.select(schema.users.c.id).where(
            schema.users.c.username == users.normalise_username(username)
        )
    ).scalar_one()
    conn.execute(
        schema.user_sessions.update()
        .where(
            s.user_id == user_id,
            s.token_hash.is_(None),
            s.ended_at.is_(None),
            s.created_at <= now - NONCE_TTL,
        )
        .values(ended_at=now, end_reason=vocab.SESSION_UNUSED, nonce_hash=None)
    )
    nonce = secrets.token_urlsafe(32)
    conn.execute(
        schema.user_sessions.insert(),
        {
            "user_id": user_id,
            "method": method,
            "nonce_hash": digest(nonce),
            "created_at": now,
            "last_seen_at": now,
        },
    )
    return nonce


def redeem(conn: sa.Connection, nonce: str, *, now: datetime | None = None) -> str | None:
    """Spend a sign-in nonce (once, within NONCE_TTL) and return the new session's token; None
    for a nonce that is unknown, spent, expired or whose sign-in was ended meanwhile."""
    if not plausible(nonce):
        return None
    now = now or _now()
    s = schema.user_sessions.c
    token = secrets.token_urlsafe(32)
    # One UPDATE: of two requests with the same nonce, only one finds it (the other's WHERE no
    # longer matches once the first has written), on both engines.
    row = conn.execute(
        schema.user_sessions.update()
        .where(
            s.nonce_hash == digest(nonce),
            s.token_hash.is_(None),
            s.ended_at.is_(None),
            s.created_at > now - NONCE_TTL,
        )
        .values(token_hash=digest(token), nonce_hash=None, last_seen_at=now)
        .returning(s.id, s.user_id, s.method)
    ).first()
    if row is None:
        return None
    detail = f"{METHOD_TEXT[row.method]}; sesión {row.id}"
    users.record(conn, "session_started", _username(conn, row.user_id), detail=detail, at=now)
    return token


def check(
    conn: sa.Connection, token: object, limits: Limits = Limits(), *, now: datetime | None = None
) -> SessionCheck:
    """The session of `token` as it is now; ends it (and says why) when its account is no
    longer active, it is older than `limits.lifetime` or idle longer than `limits.idle`.
    Writes only when it ends a session or its activity is older than SEEN_EVERY."""
    if not plausible(token):
        return SessionCheck()
    now = now or _now()
    s, u = schema.user_sessions.c, schema.users.c
    row = conn.execute(
        sa.select(
            s.id,
            s.created_at,
            s.last_seen_at,
            s.ended_at,
            s.end_reason,
            u.username,
            u.display_name,
            u.role,
            u.active,
            u.email,
        )
        .join_from(schema.user_sessions, schema.users, u.id == s.user_id)
        .where(s.token_hash == digest(token))
    ).first()
    if row is None:
        return SessionCheck()
    if row.ended_at is not None:
        return SessionCheck(session_id=row.id, ended_reason=row.end_reason)
    reason = None
    if not row.active:
        reason = vocab.SESSION_DISABLED
    elif now - row.created_at >= limits.lifetime:
        reason = vocab.SESSION_LIFETIME
    elif now - row.last_seen_at > limits.idle:
        reason = vocab.SESSION_IDLE
    if reason is not None:
        _end(conn, s.id == row.id, reason, now)
        return SessionCheck(session_id=row.id, ended_reason=reason)
    if now - row.last_seen_at >= SEEN_EVERY:
        conn.execute(
            schema.user_sessions.update()
            .where(s.id == row.id, s.last_seen_at <= now - SEEN_EVERY)
            .values(last_seen_at=now)
        )
    user = users.User(row.username, row.display_name, row.role, bool(row.active), row.email)
    return SessionCheck(user=user, session_id=row.id)


def end(
    conn: sa.Connection,
    token: object,
    reason: str = vocab.SESSION_LOGOUT,
    *,
    now: datetime | None = None,
) -> bool:
    """End the session of `token` (sign-out); False when it was not open."""
    if not plausible(token):
        return False
    s = schema.user_sessions.c
    return _end(conn, s.token_hash == digest(token), reason, now or _now()) > 0


def end_user_sessions(
    conn: sa.Connection, username: str, reason: str, *, now: datetime | None = None
) -> int:
    """End every open session (and unused sign-in link) of an account; the number of sessions
    that were open."""
    user_id = conn.execute(
        sa.select(schema.users.c.id).where(
            schema.users.c.username == users.normalise_username(username)
        )
    ).scalar_one_or_none()
    if user_id is None:
        return 0
    return _end(conn, schema.user_sessions.c.user_id == user_id, reason, now or _now())


def _end(conn: sa.Connection, where, reason: str, now: datetime) -> int:
    """End the open sessions matching `where`; audit the ones that had started."""
    if reason not in vocab.SESSION_END_REASONS:
        raise ValueError(f"motivo de fin de sesión desconocido: {reason!r}")
    s = schema.user_sessions.c
    ended = conn.execute(
        schema.user_sessions.update()
        .where(where, s.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason, nonce_hash=None)
        .returning(s.id, s.user_id, s.token_hash)
    ).all()
    started = [row for row in ended if row.token_hash is not None]
    for row in sorted(started, key=lambda r: r.id):
        detail = f"{END_TEXT[reason]}; sesión {row.id}"
        users.record(conn, "session_ended", _username(conn, row.user_id), detail=detail, at=now)
    return len(started)


def _username(conn: sa.Connection, user_id: int) -> str:
    u = schema.users.c
    return conn.execute(sa.select(u.username).where(u.id == user_id)).scalar_one()


def list_sessions(
    conn: sa.Connection, *, username: str | None = None, open_only: bool = True, limit: int = 100
) -> pl.DataFrame:
    """Sessions, newest first (only the started ones); schema SESSIONS_SCHEMA."""
    s, u = schema.user_sessions.c, schema.users.c
    query = (
        sa.select(
            s.id, u.username, s.method, s.created_at, s.last_seen_at, s.ended_at, s.end_reason
        )
        .join_from(schema.user_sessions, schema.users, u.id == s.user_id)
        .where(s.token_hash.is_not(None))
    )
    if username:
        query = query.where(u.username == users.normalise_username(username))
    if open_only:
        query = query.where(s.ended_at.is_(None))
    rows = conn.execute(query.order_by(s.id.desc()).limit(limit)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=SESSIONS_SCHEMA, orient="row")
