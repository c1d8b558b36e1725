"""Two imports into one SQLite file at once: the second waits for the first (up to
RASTRO_SQLITE_BUSY_SECONDS) and both are stored whole, or it says in Spanish that another
import is running and stores nothing; never a unique-key failure on a campaign both created,
nor a raw "database is locked"."""

import sqlite3
import threading

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from data_access import ingest, migrate, schema
from data_access.cli import main
from data_access.engine import make_engine

HEADER = "occurred_at,email,event,origin,campaign_id,campaign_name,event_id\n"


def csv_file(prefix: str, rows: int) -> bytes:
    """`rows` deliveries of one campaign that no database has yet ("nueva")."""
    lines = [
        f"2026-05-01T10:{n % 60:02d}:00Z,{prefix}{n}@example.com,delivered,campaign,nueva,"
        f"Nueva,{prefix}-{n}"
        for n in range(rows)
    ]
    return (HEADER + "\n".join(lines) + "\n").encode()


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "rastro.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    yield path, engine
    engine.dispose()


def counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            for table in (schema.email_events, schema.campaigns, schema.contacts)
        )


def test_an_import_holds_the_write_lock_before_it_reads(database):
    """Between an import's first read and its last write no other writer gets in: what it
    found missing (a campaign, a contact, an event id) is still missing when it writes."""
    path, engine = database
    seen = []

    def progress(_records):
        if seen:
            return
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            seen.append("another writer got in")
            other.rollback()
        except sqlite3.OperationalError as error:
            seen.append(str(error))
        finally:
            other.close()

    report = ingest.import_bytes(engine, "csv", csv_file("a", 3), source="a.csv", progress=progress)
    assert seen == ["database is locked"]
    assert report.stored == 3


def test_the_second_import_waits_for_the_first_and_both_are_stored(database):
    path, engine = database
    second_engine = make_engine(f"sqlite:///{path}")
    second_started, second_done = threading.Event(), threading.Event()
    outcomes = {}

    def second():
        second_started.set()
        try:
            outcomes["second"] = ingest.import_bytes(
                second_engine, "csv", csv_file("b", 400), source="b.csv"
            )
        except (ingest.ImportRefused, sa.exc.SQLAlchemyError) as error:  # shown below
            outcomes["second"] = error
        finally:
            second_done.set()

    thread = threading.Thread(target=second)

    def progress(_records):
        # The first import is under way (it has the lock): start the second and give it
        # time to collide; it must wait instead of failing or finishing first.
        if not thread.is_alive() and not second_done.is_set():
            thread.start()
            second_started.wait(5)
            outcomes["second finished while the first ran"] = second_done.wait(1.0)

    outcomes["first"] = ingest.import_bytes(
        engine, "csv", csv_file("a", 400), source="a.csv", progress=progress
    )
    thread.join(30)
    second_engine.dispose()
    assert outcomes["second finished while the first ran"] is False
    assert isinstance(outcomes["second"], ingest.ImportReport), outcomes["second"]
    assert (outcomes["first"].stored, outcomes["second"].stored) == (400, 400)
    assert counts(engine) == (800, 1, 800)  # one campaign "nueva", made by the first


def test_two_imports_started_together_store_everything_once(database):
    path, engine = database
    engines = [make_engine(f"sqlite:///{path}") for _ in range(2)]
    start = threading.Barrier(2)
    outcomes: list = [None, None]

    def run(i: int):
        start.wait()
        try:
            # the same 300 events in both files: the second one's are duplicates
            outcomes[i] = ingest.import_bytes(
                engines[i], "csv", csv_file("x", 300), source=f"{i}.csv"
            )
        except (ingest.ImportRefused, sa.exc.SQLAlchemyError) as error:  # shown below
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for e in engines:
        e.dispose()
    assert all(isinstance(o, ingest.ImportReport) for o in outcomes), outcomes
    assert sorted((o.stored, o.duplicates) for o in outcomes) == [(0, 300), (300, 0)]
    assert counts(engine) == (300, 1, 300)


def test_an_import_that_waits_too_long_says_so_in_spanish_and_stores_nothing(
    database, tmp_path, monkeypatch
):
    path, engine = database
    monkeypatch.setenv("RASTRO_SQLITE_BUSY_SECONDS", "0.2")
    file = tmp_path / "eventos.csv"
    file.write_bytes(csv_file("a", 5))
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")  # another import, holding the lock longer than we wait
    try:
        args = ["import", "--provider", "csv", str(file), "--database", f"sqlite:///{path}"]
        done = CliRunner().invoke(main, args)
    finally:
        holder.rollback()
        holder.close()
    assert done.exit_code == 1
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert (
        "eventos.csv: no se importó nada: otra importación está escribiendo en la base de "
        "datos y no terminó en 0.2 s" in done.output
    )
    assert "RASTRO_SQLITE_BUSY_SECONDS" in done.output
    assert counts(engine) == (0, 0, 0)
    again = CliRunner().invoke(main, args)  # the lock is free: the same command works
    assert again.exit_code == 0, again.output
    assert counts(engine) == (5, 1, 5)
