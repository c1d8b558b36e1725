"""The app's one door to the data layer: every connection the dashboard opens is opened here.

The engine is a cached resource (one per URL and process). What the pages read to show —
search, cards, reports — is cached data with a TTL (RASTRO_CACHE_TTL_SECONDS), keyed by the
database URL so that two databases never share results. Accounts, the audit trail, imports
and the quarantine are never cached: they must be current on every run.
"""

import os
import threading
from collections.abc import Callable

import polars as pl
import sqlalchemy as sa
import streamlit as st

import data_access as da
from data_access import crm_contacts, ingest, open_database, sessions, users
from data_access.config import ENV_VAR
from data_access.reports import AFFECTED_SCHEMA, DrillTarget
from data_access.webhooks import status as webhook_status

from .settings import load_settings

TTL = load_settings().cache_ttl_seconds  # fixed when the module is imported
SSO = "inicio de sesión único"  # audit detail of a single sign-on (the audit trail is Spanish)


def settings():
    """The current settings (read from the environment on every run: cheap)."""
    return load_settings()


def database_url() -> str | None:
    """DATABASE_URL, else the Streamlit secret `connections.sql.url`, else None (embedded)."""
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    try:
        return st.secrets["connections"]["sql"]["url"]
    except (KeyError, FileNotFoundError):
        return None


def engine(progress: Callable[[str, dict], None] | None = None) -> sa.Engine:
    """The Engine for the configured database (one per URL and process). The first call of a
    process opens it (`progress` is then told each step: bootstrap.STEPS)."""
    return _engine_for(database_url(), progress)


# One engine per URL and process, opened by the first run that asks. Not st.cache_resource:
# opening reports its steps to the page (progress), and a cached function may not draw.
_ENGINES: dict[str | None, sa.Engine] = {}
_OPENING = threading.Lock()


def engine_opened() -> bool:
    """Whether this process has already opened the configured database (the next `engine()`
    is then immediate)."""
    return database_url() in _ENGINES


def first_start() -> bool:
    """Whether opening the configured database may take a while worth telling: the embedded
    default with no file yet (a fresh clone), or an opening already under way in this process
    (the webhook worker building the demo world)."""
    from data_access import bootstrap, config

    if database_url() is not None:
        return False
    return not config.EMBEDDED_PATH.exists() or bootstrap._OPENING.locked()


def _engine_for(url: str | None, progress=None) -> sa.Engine:
    # Opening migrates, and fills the embedded default with demo data on first start.
    engine = _ENGINES.get(url)
    if engine is None:
        with _OPENING:  # a second session waits for the first one's opening
            engine = _ENGINES.get(url)
            if engine is None:
                engine = _ENGINES[url] = open_database(url, progress=progress)
    return engine


def _url_key() -> tuple[str, int]:
    """The cache key of every query below: the database, and its data version (the newest
    event id), so that an event stored by an import or a webhook shows on the next run
    instead of after the TTL."""
    return str(engine().url), _data_version(str(engine().url))


@st.cache_data(ttl=1, show_spinner=False, max_entries=20)
def _data_version(url: str) -> int:
    # Read at most once a second per database, whoever asks: one primary-key lookup.
    with engine().connect() as conn:
        return da.data_version(conn)


# --- what the pages show (cached) -----------------------------------------------------------


def search(text: str, limit: int = 20) -> pl.DataFrame:
    """`data_access.search_contacts`, cached."""
    return _search(_url_key(), text, limit)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=2000)
def _search(url: str, text: str, limit: int) -> pl.DataFrame:
    with engine().connect() as conn:
        return da.search_contacts(conn, text, limit=limit)


def contact_card(contact_id: int) -> da.ContactCard:
    """`data_access.contact_card`, cached."""
    return _contact_card(_url_key(), contact_id)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=500)
def _contact_card(url: str, contact_id: int) -> da.ContactCard:
    with engine().connect() as conn:
        return da.contact_card(conn, contact_id)


def report(f) -> "da.reports.Report":
    """`data_access.reports.report`, cached."""
    return _report(_url_key(), f)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=200)
def _report(url: str, f):
    with engine().connect() as conn:
        return da.reports.report(conn, f)


def campaigns() -> pl.DataFrame:
    """`data_access.reports.campaign_list`, cached."""
    return _campaigns(_url_key())


@st.cache_data(ttl=TTL, show_spinner=False)
def _campaigns(url: str) -> pl.DataFrame:
    with engine().connect() as conn:
        return da.reports.campaign_list(conn)


def data_days():
    """`data_access.reports.data_days` (first and last day with data, or None), cached."""
    return _data_days(_url_key())


@st.cache_data(ttl=TTL, show_spinner=False)
def _data_days(url: str):
    with engine().connect() as conn:
        return da.reports.data_days(conn)


def affected(f, target: DrillTarget, limit: int, offset: int) -> tuple[pl.DataFrame, int]:
    """`data_access.reports.affected_contacts_of` for a drill-down target, cached."""
    return _affected(_url_key(), f, target, limit, offset)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=200)
def _affected(url: str, f, target: DrillTarget, limit: int, offset: int):
    with engine().connect() as conn:
        return da.reports.affected_contacts_of(conn, f, target, limit=limit, offset=offset)


def affected_reader(f, target: DrillTarget, limit: int) -> Callable[[], pl.DataFrame]:
    """A function that reads up to `limit` affected contacts of a drill-down when called (not
    cached: the list can be large and is read once). The engine is taken now, in the page's
    run, because the download button calls the function in a thread with no Streamlit run."""
    bound, token, limits = engine(), session_token(), settings().session_limits

    def read() -> pl.DataFrame:
        # The press comes later, outside any run: check the session again, as a click would.
        with bound.begin() as conn:
            found = sessions.check(conn, token, limits)
            if not found.open or not found.user.is_admin:
                return pl.DataFrame(schema=AFFECTED_SCHEMA)
            return da.reports.affected_contacts_of(conn, f, target, limit=limit)[0]

    return read


def block_counts(f: "da.blocks.BlockFilter") -> pl.DataFrame:
    """`data_access.blocks.block_counts`, cached."""
    return _block_counts(_url_key(), f)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=200)
def _block_counts(url: str, f):
    with engine().connect() as conn:
        return da.blocks.block_counts(conn, f)


def blocked_page(f: "da.blocks.BlockFilter", limit: int, offset: int) -> pl.DataFrame:
    """`data_access.blocks.blocked_page`, cached."""
    return _blocked_page(_url_key(), f, limit, offset)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=200)
def _blocked_page(url: str, f, limit: int, offset: int):
    with engine().connect() as conn:
        return da.blocks.blocked_page(conn, f, limit=limit, offset=offset)


def blocked_reader(f: "da.blocks.BlockFilter") -> Callable[[], pl.DataFrame]:
    """A function that reads every blocked contact in the filter when called (for the
    downloads: not cached, read once; the engine is taken now, as for `affected_reader`)."""
    bound = engine()

    def read() -> pl.DataFrame:
        with bound.connect() as conn:
            return da.blocks.blocked_page(conn, f, limit=None)

    return read


def lift_block(
    contact_id: int, reason: str, *, username: str, comment: str, renewed_consent: bool
) -> "da.blocks.Lift":
    """`data_access.blocks.lift_block` in one transaction (the account's role is read again
    inside it); then the cached reads are dropped, so that the card and the lists show it.
    Raises `blocks.LiftRefused`."""
    with engine().begin() as conn:
        done = da.blocks.lift_block(
            conn,
            contact_id,
            reason,
            username=username,
            comment=comment,
            renewed_consent=renewed_consent,
        )
    st.cache_data.clear()
    return done


# --- imports and the quarantine (never cached) ----------------------------------------------


def import_upload(provider: str, content: bytes, **options) -> ingest.ImportReport:
    """`data_access.ingest.import_bytes` (options: source, default_origin, default_campaign,
    unknown_recipients); after a stored file the cached reads are dropped, so that cards and
    reports show what was just stored. Raises `ingest.ImportRefused` for a refused file."""
    report = ingest.import_bytes(engine(), provider, content, **options)
    st.cache_data.clear()
    return report


def import_contacts_upload(
    content: bytes, *, source: str, progress=None
) -> crm_contacts.ContactsReport:
    """`data_access.crm_contacts.import_contacts_bytes` (progress(done, total) as rows are
    written); the cached reads are dropped afterwards, as after an events import. Raises
    `ingest.ImportRefused` for a file that is not a contacts CSV."""
    report = crm_contacts.import_contacts_bytes(engine(), content, source=source, progress=progress)
    st.cache_data.clear()
    return report


def recent_quarantine(limit: int) -> pl.DataFrame:
    """`data_access.recent_quarantine`: the newest quarantined records (QUARANTINE_SCHEMA)."""
    with engine().connect() as conn:
        return da.recent_quarantine(conn, limit=limit)


def webhook_overview(config) -> pl.DataFrame:
    """`data_access.webhooks.status.overview`: each provider's webhook figures, live."""
    with engine().connect() as conn:
        return webhook_status.overview(conn, config)


# --- accounts and the audit trail (never cached: re-read on every click) --------------------


def account(username: str) -> users.User | None:
    """The account called `username`, as it is now (None when there is none)."""
    with engine().connect() as conn:
        return users.get_user(conn, username)


def count_accounts() -> int:
    with engine().connect() as conn:
        return users.count_users(conn)


def record(action: str, username: str, **details) -> None:
    """Append one entry to the audit trail (details: contact_id, detail)."""
    with engine().begin() as conn:
        users.record(conn, action, username, **details)


def sign_in_with_password(
    username: str, password: str, policy: users.LoginPolicy
) -> users.LoginResult:
    """`users.authenticate`; an account that is not an administrator is also recorded as
    refused (`access_denied`, with its role), in the same transaction as the sign-in."""
    with engine().begin() as conn:
        result = users.authenticate(conn, username, password, policy=policy)
        if result.outcome == users.OK and not result.user.is_admin:
            users.record(
                conn, "access_denied", result.user.username, detail="rol " + result.user.role
            )
    return result


def sign_in_with_sso(email: str) -> users.User | None:
    """The active account with this email, after recording the sign-in (and the refusal of a
    non-administrator); None, recorded as refused, when no active account has it."""
    with engine().begin() as conn:
        user = users.user_for_email(conn, email)
        if user is None or not user.active:
            users.record(conn, "access_denied", email, detail=SSO)
            return None
        users.record(conn, "login_ok", user.username, detail=SSO)
        if not user.is_admin:
            users.record(conn, "access_denied", user.username, detail="rol " + user.role)
    return user


# --- sessions (never cached: checked on every run, fragment run and callback) ---------------


def session_token() -> str | None:
    """The session cookie the browser sent when this tab connected (None without one)."""
    return st.context.cookies.get(sessions.COOKIE)


def check_session(token: str | None) -> sessions.SessionCheck:
    """`sessions.check` with the configured idle timeout and lifetime."""
    with engine().begin() as conn:
        return sessions.check(conn, token, settings().session_limits)


def begin_session(username: str, method: str) -> str:
    """`sessions.begin`: the one-time nonce the browser exchanges for its session cookie."""
    with engine().begin() as conn:
        return sessions.begin(conn, username, method)


def end_session(token: str | None) -> bool:
    """`sessions.end`: sign-out, in every tab and browser that holds this cookie."""
    with engine().begin() as conn:
        return sessions.end(conn, token)
