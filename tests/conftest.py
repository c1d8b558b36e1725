"""Shared fixtures: fresh databases on SQLite and on the PostgreSQL server, and a small world.

PostgreSQL is mandatory: when the server does not answer, the PostgreSQL tests fail with a
clear message. Set RASTRO_ALLOW_NO_POSTGRES=1 to skip them instead (never in CI).
"""

import os
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from data_access import demo, migrate
from data_access.engine import make_engine

POSTGRES_ADMIN_URL = os.environ.get(
    "RASTRO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ENGINES = ("sqlite", "postgresql")
WORLD_UNTIL = date(2026, 11, 26)
WORLD_SEED = 11
WORLD_CONTACTS = 1500


def _postgres_admin():
    engine = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        if os.environ.get("RASTRO_ALLOW_NO_POSTGRES") == "1":
            pytest.skip(f"PostgreSQL no disponible: {error.orig}")
        pytest.fail(
            f"PostgreSQL no responde en {POSTGRES_ADMIN_URL} ({error.orig}). Arráncalo "
            "(.ci/run lo hace) o exporta RASTRO_ALLOW_NO_POSTGRES=1 para saltar esas pruebas.",
            pytrace=False,
        )
    return engine


class DatabaseFactory:
    """Makes empty databases of either kind and drops the PostgreSQL ones at the end."""

    def __init__(self, tmp_path_factory):
        self.tmp = tmp_path_factory
        self.admin = None
        self.created: list[str] = []
        self.engines: list[sa.Engine] = []

    def url(self, kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{self.tmp.mktemp('db') / 'rastro.sqlite3'}"
        if self.admin is None:
            self.admin = _postgres_admin()
        name = f"rastro_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def engine(self, kind: str, *, migrated: bool = True) -> sa.Engine:
        engine = make_engine(self.url(kind))
        self.engines.append(engine)
        if migrated:
            migrate.upgrade(engine)
        return engine

    def close(self):
        for engine in self.engines:
            engine.dispose()
        if self.admin is not None:
            with self.admin.connect() as conn:
                for name in self.created:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    factory = DatabaseFactory(tmp_path_factory)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def world():
    """The small demo world every data test reads (in memory)."""
    return demo.generate(WORLD_CONTACTS, seed=WORLD_SEED, until=WORLD_UNTIL)


@pytest.fixture(scope="session", params=ENGINES)
def world_engine(request, databases, world):
    """A database of each kind holding `world` (read-only for the tests that use it)."""
    engine = databases.engine(request.param)
    demo.load(engine, world)
    return engine


@pytest.fixture(params=ENGINES)
def empty_engine(request, databases):
    """A fresh, migrated, empty database of each kind (one per test). Its connections are
    closed after the test: the PostgreSQL server takes 100 at most, for the whole session."""
    engine = databases.engine(request.param)
    yield engine
    engine.dispose()
