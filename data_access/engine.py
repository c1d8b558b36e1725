"""Engines from URLs, with the settings each engine needs."""

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from .config import normalise_url


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or opened; the message (Spanish) is meant for people.

    `key` and `params` name the same message for interfaces in other languages: the dashboard
    shows its catalogue entry `error.database.<key>` filled with `params`.
    """

    def __init__(self, message: str, *, key: str | None = None, **params):
        super().__init__(message)
        self.key = key
        self.params = params


def make_engine(url: str, **kwargs) -> sa.Engine:
    """An Engine for `url` (SQLite or PostgreSQL through psycopg 3).

    SQLite gets foreign keys on, WAL journaling and a busy timeout on every connection; its
    folder is created when missing.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise DatabaseUnavailable(
                    f"No se puede crear la carpeta de la base de datos {database}: {error.strerror}",
                    key="folder",
                    database=database,
                    detail=error.strerror,
                ) from error
        engine = sa.create_engine(url, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = sa.create_engine(url, **kwargs)
    sa.event.listen(engine, "connect", _postgresql_on_connect)
    return engine


def _postgresql_on_connect(dbapi_connection, _record):
    # psycopg prepares a statement after a few runs, and PostgreSQL may then switch to a
    # generic plan, which cannot use the trigram index for `LIKE :pattern` (a sequential scan
    # of every contact). Plan every statement for its own values; planning costs < 1 ms here.
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


def _sqlite_on_connect(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 5000")
    # 256 MB of page cache per connection (the default is 2 MB): index updates of large
    # imports and report queries stay in memory instead of going back and forth to disk.
    cursor.execute("PRAGMA cache_size = -262144")
    cursor.close()


def check_connection(engine: sa.Engine) -> None:
    """Raise DatabaseUnavailable (with a Spanish message) when the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnavailable(
            f"No se puede conectar con la base de datos {where}: {error.orig}",
            key="connect",
            where=where,
            detail=str(error.orig),
        ) from error
