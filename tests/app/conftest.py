"""Shared fixtures of the AppTest tests: SQLite databases with users (the story, a bare one with
one administrator, the small demo world) and `make_app`, which points the app at one of them and
returns an AppTest of the entrypoint or of a page, signed in or not.

AppTest has no HTTP layer, so no cookies: `browser` stands for the browser's cookie jar by
patching the client context Streamlit reads `st.context.cookies` from (an internal function,
the only way in). A signed-in AppTest is one whose "browser" holds the cookie of a session
opened in the database exactly as the sign-in route opens it."""

from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access import demo, migrate, sessions, users
from data_access.engine import make_engine
from tests.conftest import WORLD_CONTACTS, WORLD_SEED, WORLD_UNTIL
from tests.story import PASSWORD, load_story

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "streamlit_app.py"
PAGES = ROOT / "app_pages"
ADMIN = "ana.admin"  # an active administrator in every database below
EDITORS = {
    "RASTRO_CAMPAIGN_EDITOR_URL": "https://crm.test/emails/{id}/editor",
    "RASTRO_FLOW_EDITOR_URL": "https://crm.test/flujos/{id}/editor",
}


@dataclass
class AppDatabase:
    url: str
    engine: sa.Engine
    ids: dict[str, int] = field(default_factory=dict)  # story contact ids by key


def _migrated(folder: Path) -> AppDatabase:
    url = f"sqlite:///{folder / 'rastro.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    return AppDatabase(url, engine)


def _with_admin(db: AppDatabase) -> AppDatabase:
    with db.engine.begin() as conn:
        users.add_user(conn, ADMIN, display_name="Ana", role="admin", password=PASSWORD)
    return db


class FakeClient:
    """What Streamlit's client context gives `st.context`: the cookies of the handshake."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.headers: list[tuple[str, str]] = [("Host", "rastro.test")]
        self.remote_ip = "10.0.0.5"

    def hold(self, token: str | None) -> None:
        """The browser now holds this session cookie (None: no cookie)."""
        self.cookies.clear()
        if token is not None:
            self.cookies[sessions.COOKIE] = token


@pytest.fixture
def browser(monkeypatch):
    """The browser's cookie jar for every AppTest of the test (see the module docstring)."""
    client = FakeClient()
    monkeypatch.setattr("streamlit.runtime.context._get_client_context", lambda: client)
    return client


def open_session(engine: sa.Engine, username: str, method: str = "password") -> str:
    """A session that signed in a moment ago: its cookie's token (the sign-in form itself, and
    the route that sets the cookie, are tested in test_sessions and test_access)."""
    with engine.begin() as conn:
        nonce = sessions.begin(conn, username, method)
    with engine.begin() as conn:
        return sessions.redeem(conn, nonce)


@pytest.fixture
def story_db(tmp_path):
    """A fresh story database (its users: an admin, a seller, a disabled admin) per test, for
    tests that write (sign-ins, the audit trail)."""
    db = _migrated(tmp_path)
    db.ids = load_story(db.engine)
    yield db
    db.engine.dispose()


@pytest.fixture(scope="module")
def heavy_story_db(tmp_path_factory):
    """The story with a contact of 1,500 emails, shared by a module's tests (read only)."""
    db = _migrated(tmp_path_factory.mktemp("story"))
    db.ids = load_story(db.engine, heavy=True)
    yield db
    db.engine.dispose()


@pytest.fixture
def admin_db(tmp_path):
    """An empty database whose only user is the administrator, per test."""
    db = _with_admin(_migrated(tmp_path))
    yield db
    db.engine.dispose()


@pytest.fixture(scope="module")
def world_db(tmp_path_factory):
    """The small demo world of tests/conftest.py and the administrator (read only)."""
    db = _migrated(tmp_path_factory.mktemp("world"))
    demo.load(db.engine, demo.generate(WORLD_CONTACTS, seed=WORLD_SEED, until=WORLD_UNTIL))
    yield _with_admin(db)
    db.engine.dispose()


@pytest.fixture
def make_app(monkeypatch, browser):
    """`make_app(db, script=ENTRYPOINT, *, user=None, **env)`: run from the project folder against
    `db` with the extra environment `env`; an AppTest of `script`, whose browser holds the cookie
    of a new session of `user` (without `user`, the browser keeps what it holds)."""

    def make(db: AppDatabase | str, script: Path = ENTRYPOINT, *, user=None, **env) -> AppTest:
        monkeypatch.chdir(ROOT)
        monkeypatch.setenv("DATABASE_URL", db if isinstance(db, str) else db.url)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        if user:
            engine = make_engine(db) if isinstance(db, str) else db.engine
            browser.hold(open_session(engine, user))
        return AppTest.from_file(str(script), default_timeout=60)

    return make
