"""Engines from URLs, with the settings each engine needs, and what a database that cannot be
used means for people (`DatabaseUnavailable`): a server that does not answer, a URL that is
not one, an SQLite file that is damaged or is not a database."""

import re
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
    folder is created when missing. A URL that is not one, or names a database SQLAlchemy
    has no dialect for, raises DatabaseUnavailable (`url`).
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except sa.exc.ArgumentError as error:  # NoSuchModuleError too: an unknown dialect
        raise _bad_url(url, error) from error
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


def _bad_url(url: str, error: sa.exc.ArgumentError) -> DatabaseUnavailable:
    try:
        where = make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:  # not even a URL: hide what could be a password in it
        where = re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", url)
    detail = str(error)
    return DatabaseUnavailable(
        f"URL de base de datos no válida: {where} ({detail}). Usa sqlite:///ruta/rastro.sqlite3 "
        "o postgresql://usuario@servidor:5432/base.",
        key="url",
        where=where,
        detail=detail,
    )


# SQLite's primary result codes for a file that is damaged or is not a database.
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


def is_damaged(error: BaseException) -> bool:
    """Whether a driver error says that an SQLite file is damaged or not a database
    ("database disk image is malformed", "file is not a database")."""
    code = getattr(getattr(error, "orig", error), "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def unavailable(url: sa.URL | str, error: sa.exc.DBAPIError) -> DatabaseUnavailable:
    """What a driver error on opening or reading the database at `url` means, for people:
    a damaged SQLite file (`corrupt`, naming the file and what to do), else no connection
    (`connect`)."""
    url = make_url(url)
    detail = str(error.orig).strip()
    if url.get_backend_name() == "sqlite" and is_damaged(error):
        database = str(url.database)
        return DatabaseUnavailable(
            f"El archivo de la base de datos {database} está dañado o no es una base de datos "
            f"SQLite ({detail}). Restáuralo desde una copia de seguridad, o apártalo (muévelo o "
            "cámbiale el nombre) para empezar con una base de datos nueva: python -m data_access "
            "db upgrade la crea.",
            key="corrupt",
            database=database,
            detail=detail,
        )
    where = url.render_as_string(hide_password=True)
    return DatabaseUnavailable(
        f"No se puede conectar con la base de datos {where}: {detail}",
        key="connect",
        where=where,
        detail=detail,
    )


def check_connection(engine: sa.Engine) -> None:
    """Raise DatabaseUnavailable (with a Spanish message) when the database cannot be reached,
    or its SQLite file is damaged or not a database (its schema is read to find out)."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                conn.execute(sa.text("SELECT count(*) FROM sqlite_master"))
            else:
                conn.execute(sa.text("SELECT 1"))
    except sa.exc.DatabaseError as error:  # OperationalError (no connection) among them
        raise unavailable(engine.url, error) from error
