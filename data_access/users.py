"""Dashboard accounts, sign-in with throttling, and the audit trail. No Streamlit here: the
CLI (`python -m data_access users|audit`) and the dashboard share these functions.

Passwords are hashed with argon2id (argon2-cffi, its recommended memory-hard parameters) and
never stored or logged in clear. After `max_failures` failed attempts for a username within
`window`, further attempts for that username are refused unchecked until `lockout` has passed
since the last failure, whether or not the username exists, and the answer never says which.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from . import schema, vocab
from .quarantine import UNSTORABLE, storable_text
from .text import normalise_email

TIME = pl.Datetime("us", "UTC")
HASHER = PasswordHasher()
# Verified when the username does not exist, so both answers take the same time.
_DUMMY_HASH = HASHER.hash("rastro-no-such-user")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@+-]{1,149}$")
MIN_PASSWORD = 10

USERS_SCHEMA = {
    "username": pl.Utf8,
    "display_name": pl.Utf8,
    "email": pl.Utf8,
    "role": pl.Utf8,
    "active": pl.Boolean,
    "has_password": pl.Boolean,
    "created_at": TIME,
    "updated_at": TIME,
}
AUDIT_SCHEMA = {
    "occurred_at": TIME,
    "action": pl.Utf8,
    "username": pl.Utf8,
    "contact_id": pl.Int64,
    "detail": pl.Utf8,
}


class UserError(ValueError):
    """A request about users that cannot be done; the message is Spanish and meant for people."""


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    active: bool
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.active and self.role == vocab.ADMIN


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


# Outcomes of `authenticate`.
OK, BAD_CREDENTIALS, THROTTLED, DISABLED = "ok", "bad_credentials", "throttled", "disabled"


@dataclass(frozen=True)
class LoginResult:
    outcome: str
    user: User | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def _check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_RE.match(name):
        raise UserError(
            "Nombre de usuario no válido: de 2 a 150 caracteres, letras minúsculas sin tildes, "
            "números y . _ @ + -"
        )
    return name


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserError(f"La contraseña debe tener al menos {MIN_PASSWORD} caracteres.")
    if UNSTORABLE.search(password):
        raise UserError(
            "La contraseña no puede contener el carácter nulo ni caracteres UTF-16 sueltos."
        )
    if password != password.strip():
        raise UserError("La contraseña no puede empezar ni terminar con espacios.")
    return password


def _row_to_user(row) -> User:
    return User(row.username, row.display_name, row.role, bool(row.active), row.email)


def get_user(conn: sa.Connection, username: str) -> User | None:
    u = schema.users.c
    row = conn.execute(
        sa.select(u.username, u.display_name, u.role, u.active, u.email).where(
            u.username == normalise_username(username)
        )
    ).first()
    return None if row is None else _row_to_user(row)


def user_for_email(conn: sa.Connection, email: str) -> User | None:
    """The account whose email is `email` (for single sign-on), or None."""
    if not email:
        return None
    u = schema.users.c
    row = conn.execute(
        sa.select(u.username, u.display_name, u.role, u.active, u.email).where(
            u.email == normalise_email(email)
        )
    ).first()
    return None if row is None else _row_to_user(row)


def count_users(conn: sa.Connection) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(schema.users)).scalar_one()


def add_user(
    conn: sa.Connection,
    username: str,
    *,
    display_name: str,
    role: str,
    password: str | None,
    email: str | None = None,
) -> User:
    """Create an account; `password` may be None for a single-sign-on-only account."""
    name = _check_username(username)
    if role not in vocab.ROLES:
        raise UserError("Rol no válido: usa admin o seller.")
    if get_user(conn, name) is not None:
        raise UserError(f"Ya existe el usuario {name}.")
    email = normalise_email(email) if email else None
    if email and user_for_email(conn, email) is not None:
        raise UserError(f"Ya hay un usuario con el correo {email}.")
    now = _now()
    conn.execute(
        schema.users.insert(),
        {
            "username": name,
            "display_name": (display_name or name).strip()[:300],
            "email": email,
            "role": role,
            "active": True,
            "password_hash": HASHER.hash(_check_password(password)) if password else None,
            "created_at": now,
            "updated_at": now,
        },
    )
    return get_user(conn, name)


def _update(conn: sa.Connection, username: str, **values) -> None:
    name = normalise_username(username)
    done = conn.execute(
        schema.users.update()
        .where(schema.users.c.username == name)
        .values(**values, updated_at=_now())
    )
    if done.rowcount == 0:
        raise UserError(f"No existe el usuario {name}.")


def set_password(conn: sa.Connection, username: str, password: str) -> int:
    """Change the password and end every open session of the account (the number ended)."""
    from . import sessions  # here: sessions builds on this module

    _update(conn, username, password_hash=HASHER.hash(_check_password(password)))
    return sessions.end_user_sessions(conn, username, vocab.SESSION_PASSWORD)


def set_active(conn: sa.Connection, username: str, active: bool) -> int:
    """Enable or disable an account; disabling ends its open sessions (the number ended)."""
    from . import sessions  # here: sessions builds on this module

    _update(conn, username, active=active)
    if active:
        return 0
    return sessions.end_user_sessions(conn, username, vocab.SESSION_DISABLED)


def list_users(conn: sa.Connection) -> pl.DataFrame:
    """Every account, without its hash; schema USERS_SCHEMA."""
    u = schema.users.c
    rows = conn.execute(
        sa.select(
            u.username,
            u.display_name,
            u.email,
            u.role,
            u.active,
            u.password_hash.is_not(None),
            u.created_at,
            u.updated_at,
        ).order_by(u.username)
    ).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=USERS_SCHEMA, orient="row")


# --- signing in -----------------------------------------------------------------------------


def _is_throttled(conn, username: str, now: datetime, policy: LoginPolicy) -> bool:
    a = schema.audit_log.c
    last_ok = conn.execute(
        sa.select(sa.func.max(a.occurred_at)).where(a.username == username, a.action == "login_ok")
    ).scalar_one()
    since = now - policy.window
    if last_ok is not None and last_ok > since:
        since = last_ok
    failures = conn.execute(
        sa.select(sa.func.count(), sa.func.max(a.occurred_at)).where(
            a.username == username, a.action == "login_failed", a.occurred_at > since
        )
    ).one()
    count, last_failure = failures
    return count >= policy.max_failures and last_failure > now - policy.lockout


def authenticate(
    conn: sa.Connection,
    username: str,
    password: str,
    *,
    policy: LoginPolicy = LoginPolicy(),
    now: datetime | None = None,
) -> LoginResult:
    """Check a username and password, record the attempt in the audit trail, say what happened.

    A signed-in seller gets OK with its user: the caller refuses non-administrators (and
    records `access_denied`), so that the refusal can say why.
    """
    now = now or _now()
    # Whatever a person typed is recorded (and throttled) as text every database can store: a
    # NUL or a lone surrogate is written as its escape. A name that is not a valid username can
    # never be an account, so it is not looked up; it still costs one hash, like any other.
    name = storable_text(normalise_username(username))[:150] or "-"
    if _is_throttled(conn, name, now, policy):
        record(conn, "login_throttled", name, at=now)
        return LoginResult(THROTTLED)
    u = schema.users.c
    row = None
    if USERNAME_RE.match(name):
        row = conn.execute(
            sa.select(u.username, u.display_name, u.role, u.active, u.email, u.password_hash).where(
                u.username == name
            )
        ).first()
    stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
    # A password no account can have (a lone surrogate cannot even be encoded) is checked as
    # an empty one: it fails like any wrong password, in the same time.
    typed = password if isinstance(password, str) and not UNSTORABLE.search(password) else ""
    try:
        HASHER.verify(stored, typed)
        matched = row is not None and row.password_hash is not None and typed == password
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matched = False
    if not matched:
        record(conn, "login_failed", name, at=now, detail="credenciales incorrectas")
        return LoginResult(BAD_CREDENTIALS)
    user = _row_to_user(row)
    if not user.active:
        record(conn, "login_failed", name, at=now, detail="cuenta desactivada")
        return LoginResult(DISABLED)
    if HASHER.check_needs_rehash(row.password_hash):
        _update(conn, name, password_hash=HASHER.hash(password))
    record(conn, "login_ok", name, at=now, detail="contraseña")
    return LoginResult(OK, user)


# --- audit trail ----------------------------------------------------------------------------


def record(
    conn: sa.Connection,
    action: str,
    username: str,
    *,
    contact_id: int | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry to the audit trail."""
    conn.execute(
        schema.audit_log.insert(),
        {
            "occurred_at": at or _now(),
            "action": action,
            "username": (username or "-")[:150],
            "contact_id": contact_id,
            "detail": detail,
        },
    )


def audit_log(
    conn: sa.Connection,
    *,
    limit: int = 100,
    username: str | None = None,
    action: str | None = None,
) -> pl.DataFrame:
    """The newest audit entries first; schema AUDIT_SCHEMA."""
    a = schema.audit_log.c
    query = sa.select(a.occurred_at, a.action, a.username, a.contact_id, a.detail)
    if username:
        query = query.where(a.username == normalise_username(username))
    if action:
        query = query.where(a.action == action)
    rows = conn.execute(query.order_by(a.occurred_at.desc(), a.id.desc()).limit(limit)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=AUDIT_SCHEMA, orient="row")
