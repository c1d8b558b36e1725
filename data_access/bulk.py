"""Bulk loading of polars frames, the fast path of each engine under a SQLAlchemy connection.

SQLite: the driver's `executemany` in the caller's transaction. PostgreSQL: `COPY ... FROM
STDIN` in CSV through psycopg. Both run on the DBAPI connection that SQLAlchemy hands out, so
they share its transaction. Table and column names come from the MetaData, never from input.
"""

import io
import json
from contextlib import contextmanager
from itertools import chain

import polars as pl
import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

CHUNK_ROWS = 500_000
_PG_ARRAY_CHUNK = 50_000
SQLITE_TIME = "%Y-%m-%d %H:%M:%S%.6f"  # SQLAlchemy's own SQLite DATETIME text form
_PG_TIME = "%Y-%m-%d %H:%M:%S%.6f+00"


def one_of(conn: sa.Connection, column: sa.Column, values: list, sqlite_chunk: int = 500):
    """WHERE clauses that together ask for `column` among `values`, one per chunk: on
    PostgreSQL `column = ANY(:array)` of up to 50,000 values (one bound array, not 50,000
    parameters), on SQLite `IN (...)` lists of `sqlite_chunk` (at most its limit of bound
    parameters, 32,766)."""
    if conn.dialect.name == "postgresql":
        kind = postgresql.ARRAY(column.type)
        for start in range(0, len(values), _PG_ARRAY_CHUNK):
            chunk = values[start : start + _PG_ARRAY_CHUNK]
            yield column == sa.any_(sa.bindparam(None, chunk, type_=kind))
        return
    for start in range(0, len(values), sqlite_chunk):
        yield column.in_(values[start : start + sqlite_chunk])


def insert_frame(conn: sa.Connection, table: sa.Table, frame: pl.DataFrame) -> int:
    """Insert every row of `frame` (columns named as in `table`) and return the row count."""
    if frame.height == 0:
        return 0
    columns = [table.c[name] for name in frame.columns]
    dialect = conn.dialect.name
    for start in range(0, frame.height, CHUNK_ROWS):
        chunk = frame.slice(start, CHUNK_ROWS)
        if dialect == "postgresql":
            _copy_postgresql(conn, table, columns, chunk)
        else:
            _executemany(conn, table, columns, chunk)
    return frame.height


def _as_text_times(frame: pl.DataFrame, fmt: str) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(name).dt.convert_time_zone("UTC").dt.strftime(fmt)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime)
    )


def _executemany(conn, table, columns, chunk: pl.DataFrame) -> None:
    chunk = _as_text_times(chunk, SQLITE_TIME).with_columns(
        pl.col(name).cast(pl.Int8) for name, dtype in chunk.schema.items() if dtype == pl.Boolean
    )
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    marks = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(statement, chunk.iter_rows())
    finally:
        cursor.close()


def _copy_postgresql(conn, table, columns, chunk: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    _as_text_times(chunk, _PG_TIME).write_csv(buffer, include_header=False, null_value="")
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
    finally:
        cursor.close()


@contextmanager
def indexes_set_aside(conn: sa.Connection, tables):
    """Drop the indexes of `tables` (and, on SQLite, their triggers) for a large load, then
    rebuild exactly those that existed, and the SQLite full-text search table, at the end."""
    existing = {ix["name"] for t in tables for ix in sa.inspect(conn).get_indexes(t.name)}
    indexes = [ix for t in tables for ix in t.indexes if ix.name in existing]
    triggers = []
    if conn.dialect.name == "sqlite":
        names = [t.name for t in tables]
        triggers = conn.execute(
            sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN (SELECT value FROM json_each(:names))"
            ),
            {"names": json.dumps(names)},
        ).all()
        for name, _sql in triggers:
            conn.exec_driver_sql(f"DROP TRIGGER {conn.dialect.identifier_preparer.quote(name)}")
    else:
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
    # PostgreSQL checks foreign keys with a trigger per row; adding them back checks every row
    # in one join instead. (SQLite cannot drop a constraint; its per-row check is cheap.) Only
    # those the database has: the events' own are statement triggers there (migration 0014).
    foreign_keys = []
    if conn.dialect.name == "postgresql":
        inspector = sa.inspect(conn)
        present = {fk["name"] for t in tables for fk in inspector.get_foreign_keys(t.name)}
        foreign_keys = [
            fk for t in tables for fk in t.foreign_key_constraints if fk.name in present
        ]
    for fk in foreign_keys:
        conn.execute(sa.schema.DropConstraint(fk))
    for index in indexes:
        index.drop(conn)
    yield
    for index in indexes:
        index.create(conn)
    for fk in foreign_keys:
        conn.execute(sa.schema.AddConstraint(fk))
    if triggers:
        if any(t.name == "contacts" for t in tables):
            conn.exec_driver_sql("INSERT INTO contacts_search(contacts_search) VALUES ('rebuild')")
        for _name, sql in triggers:
            conn.exec_driver_sql(sql)


def analyze(conn: sa.Connection) -> None:
    """Refresh the planner's statistics after a large load (and fold SQLite's WAL back)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA analysis_limit = 2000")  # sampled: seconds, not minutes
    conn.exec_driver_sql("ANALYZE")
    conn.commit()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.commit()


def reset_sequences(conn: sa.Connection, tables) -> None:
    """After rows were inserted with explicit ids, let PostgreSQL's id sequences follow them."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not pk[0].autoincrement:
            continue
        conn.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"
            ),
            {"table": table.name, "column": pk[0].name},
        )


SQLITE_ROWS_PER_INSERT = 256


def sqlite_insert(
    conn: sa.Connection, table: str, columns: tuple[str, ...], rows: list[tuple], conflict: str
) -> None:
    """Insert `rows` (tuples in `columns` order) into an SQLite table in the caller's
    transaction, with `ON CONFLICT <conflict>`, through the driver, 256 rows a statement (INSERT ... SELECT FROM VALUES): SQLite
    then checks its CHECK constraints' lists once per statement, not once per row as with
    executemany. The statement's text is always the same, so SQLite compiles it once (a
    statement of thousands of rows takes longer to compile than to run); the last rows go
    through executemany."""
    one = "(" + ", ".join("?" for _ in columns) + ")"
    per = SQLITE_ROWS_PER_INSERT
    head = f"INSERT INTO {table} ({', '.join(columns)}) "
    tail = f" ON CONFLICT {conflict}"
    batch = f"{head}SELECT * FROM (VALUES {', '.join([one] * per)}) WHERE true{tail}"
    whole = len(rows) - len(rows) % per
    cursor = conn.connection.driver_connection.cursor()
    try:
        for start in range(0, whole, per):
            cursor.execute(batch, list(chain.from_iterable(rows[start : start + per])))
        if whole < len(rows):
            cursor.executemany(f"{head}VALUES {one}{tail}", rows[whole:])
    finally:
        cursor.close()


def postgresql_copy_insert(
    conn: sa.Connection,
    table: str,
    columns: tuple[str, ...],
    frame: pl.DataFrame,
    conflict: str,
    *,
    direct: bool = False,
) -> int:
    """Insert the rows of `frame` (its columns named `columns`) into a PostgreSQL table in the
    caller's transaction, with `ON CONFLICT <conflict>`: `COPY` (CSV) into a temporary staging
    table of the same column types, then one `INSERT ... SELECT`. Returns how many rows were
    inserted. COPY has no ON CONFLICT and fails on the first duplicate; the staging table lets
    the database skip them, and costs one more pass over rows already in memory.

    `direct`: the caller expects no conflict (an import's new events, its duplicates already
    looked up): the rows are copied straight into the table, inside a savepoint, one pass and
    no staging table. Should one of them be stored after all, the unique key refuses that COPY,
    the savepoint undoes it, and the staging way above skips the stored rows."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    buffer = io.BytesIO()
    _as_text_times(frame.select(columns), _PG_TIME).write_csv(
        buffer, include_header=False, null_value=""
    )
    data = buffer.getbuffer()
    cursor = conn.connection.driver_connection.cursor()
    try:
        if direct:
            try:
                with conn.begin_nested():
                    _copy_rows(cursor, quote(table), names, data)
                return frame.height
            except psycopg.errors.UniqueViolation:
                pass  # a stored copy: the staging way skips it
        staging = quote(f"staging_{table}")
        # Same types as the table, no defaults or constraints; dropped at commit, emptied when a
        # transaction uses it twice (the webhook worker stores several requests in one).
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "
            f"SELECT {names} FROM {quote(table)} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        _copy_rows(cursor, staging, names, data)
        cursor.execute(
            f"INSERT INTO {quote(table)} ({names}) SELECT {names} FROM {staging} "
            f"ON CONFLICT {conflict}"
        )
        return cursor.rowcount
    finally:
        cursor.close()


def _copy_rows(cursor, target: str, names: str, data) -> None:
    """COPY CSV `data` into `target` (quoted) through the psycopg cursor."""
    with cursor.copy(f"COPY {target} ({names}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(data)
