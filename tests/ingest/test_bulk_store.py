"""The fast store of new events, on both engines: a file of new events is not looked up event
by event before inserting (a probe of ids tells it from a re-import), PostgreSQL stores through
COPY into a staging table and one INSERT ... SELECT ... ON CONFLICT DO NOTHING, and the rows
the insert skipped are read back. Whatever the probe finds, the counts, the events, the
rollups (`rollups.rebuild`) and the statuses (a full recomputation) are exact; concurrent
imports store everything once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from data_access import bulk, schema
from data_access.ingest import model, store
from data_access.ingest.store import import_records
from data_access.status import refresh_contact_status
from tests.ingest.conftest import assert_rollups_as_rebuilt, table_rows

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
KINDS = ("delivered", "delivered", "delivered", "bounced", "delivered", "spam_complaint")


def event(number: int, *, contacts: int = 40, prefix: str = "ev") -> model.Event:
    kind = KINDS[number % len(KINDS)]
    return model.Event(
        email=f"persona{number % contacts}@example.com",
        event=kind,
        occurred_at=T0 + timedelta(minutes=number),
        provider_event_id=f"{prefix}{number}",
        bounce_type=("soft" if number % 4 else "hard") if kind == "bounced" else None,
        smtp_diagnostic="550 5.1.1 user unknown" if kind == "bounced" else None,
        origin="campaign" if number % 3 else "automation",
        campaign_external_id=f"cmp-{number % 5}",
    )


def records(events: list[model.Event]) -> list[model.Record]:
    return [
        model.Record(position=i, raw=f"registro {i}", outcomes=(e,))
        for i, e in enumerate(events, start=1)
    ]


def run(engine, events, source="lote.json"):
    with engine.begin() as conn:
        return import_records(
            conn, "test", records(events), source=source, source_sha256=source[:1] * 64
        )


def stored_ids(engine) -> list[str]:
    e = schema.email_events.c
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(e.provider_event_id)).scalars())


def assert_statuses_as_recomputed(engine) -> None:
    """The stored statuses equal a full recomputation of every contact (rolled back)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            kept = table_rows(conn, schema.contact_status, exclude=("updated_at",))
            ids = conn.execute(sa.select(schema.contacts.c.id)).scalars().all()
            refresh_contact_status(conn, ids)
            recomputed = table_rows(conn, schema.contact_status, exclude=("updated_at",))
        finally:
            transaction.rollback()
    assert kept == recomputed


@pytest.fixture(params=["probe finds them", "probe misses them"])
def probe(request, monkeypatch):
    """Run each test as it is and with a probe that finds nothing stored (as for a big file
    whose few stored copies fall between the probed ids): then only the insert's ON CONFLICT
    and the rows read back can tell the duplicates."""
    if request.param == "probe misses them":
        real = store._known_ids

        def blind(s, first):
            real(s, first)  # still asks (the evidence-only events must be known)
            return set()

        monkeypatch.setattr(store, "_known_ids", blind)
    return request.param


@pytest.fixture(params=["rows made at once", "rows made 7 at a time"])
def chunks(request, monkeypatch):
    """Run each test as it is and with SQLite's rows made (in the second thread) and stored a
    few at a time: whatever the chunks, every row is stored once, in the order the rollups and
    statuses were worked out for (a test of the insert itself; PostgreSQL copies at once)."""
    if request.param == "rows made 7 at a time":
        monkeypatch.setattr(store, "_SQLITE_CHUNK", 7)
    return request.param


def test_duplicates_in_the_file_and_in_the_database_are_stored_once(empty_engine, probe, chunks):
    first = [event(n) for n in range(300)]
    report = run(empty_engine, first, "a.json")
    assert (report.stored, report.duplicates) == (300, 0)
    # Half stored already, some twice in the file, and new ones (some twice as well).
    second = [event(n) for n in range(150, 300)] + [event(n) for n in range(280, 300)]
    second += [event(n) for n in range(300, 420)] + [event(n) for n in range(400, 420)]
    report = run(empty_engine, second, "b.json")
    assert report.balanced
    assert (report.stored, report.duplicates) == (120, 190)
    assert stored_ids(empty_engine) == sorted(f"ev{n}" for n in range(420))
    assert_rollups_as_rebuilt(empty_engine)
    assert_statuses_as_recomputed(empty_engine)


def test_a_file_imported_again_stores_nothing_and_changes_nothing(empty_engine, probe, chunks):
    events = [event(n) for n in range(250)]
    run(empty_engine, events, "a.json")
    before = assert_rollups_as_rebuilt(empty_engine)
    report = run(empty_engine, list(reversed(events)), "b.json")
    assert (report.stored, report.duplicates, report.received) == (0, 250, 250)
    assert assert_rollups_as_rebuilt(empty_engine) == before
    assert_statuses_as_recomputed(empty_engine)


def test_a_big_file_with_a_few_stored_copies_between_the_probed_ids(empty_engine, chunks):
    """5,000 events, the probe looks at every fifth: the 7 stored copies are not among them."""
    stored = [event(n, contacts=300) for n in (1, 2, 3, 4, 6, 7, 8)]
    run(empty_engine, stored, "a.json")
    big = [event(n, contacts=300) for n in range(5_000)]
    report = run(empty_engine, big, "b.json")
    assert (report.stored, report.duplicates) == (4_993, 7)
    assert len(stored_ids(empty_engine)) == 5_000
    assert_rollups_as_rebuilt(empty_engine)
    assert_statuses_as_recomputed(empty_engine)


def test_two_files_in_one_transaction_reuse_the_staging_table(empty_engine):
    """The webhook worker stores several requests in one transaction: each import has its
    own rows (PostgreSQL's staging table is emptied, not appended to)."""
    with empty_engine.begin() as conn:
        reports = [
            import_records(
                conn,
                "test",
                records([event(n, prefix=f"r{r}-") for n in range(30)]),
                source=f"r{r}.json",
                source_sha256=str(r) * 64,
            )
            for r in range(3)
        ]
    assert [(r.stored, r.duplicates) for r in reports] == [(30, 0)] * 3
    assert len(stored_ids(empty_engine)) == 90
    assert_rollups_as_rebuilt(empty_engine)


def test_postgresql_copies_new_events_straight_into_the_table(databases, monkeypatch):
    """A new file: one COPY into email_events, no staging table. A file holding stored copies
    that the probe did not see: that COPY is refused by the unique key and undone (its
    savepoint), then the staging table and ON CONFLICT skip them; every count stays exact."""
    engine = databases.engine("postgresql")
    targets = []
    real = bulk._copy_rows

    def recorded(cursor, target, names, data):
        if "email_events" in target:  # (the rollups and statuses are copied too)
            targets.append(target)
        return real(cursor, target, names, data)

    monkeypatch.setattr(bulk, "_copy_rows", recorded)
    try:
        stored = [event(n, contacts=300) for n in (1, 2, 3, 4, 6, 7, 8)]
        report = run(engine, stored, "a.json")
        assert report.stored == 7 and targets == ["email_events"]
        targets.clear()
        # The probe looks at every fifth of 5,000: the 7 stored copies are not among them.
        report = run(engine, [event(n, contacts=300) for n in range(5_000)], "b.json")
        assert (report.stored, report.duplicates) == (4_993, 7)
        assert targets == ["email_events", "staging_email_events"]
        assert len(stored_ids(engine)) == 5_000
        assert_rollups_as_rebuilt(engine)
        assert_statuses_as_recomputed(engine)
    finally:
        engine.dispose()


def test_concurrent_imports_of_overlapping_files_store_everything_once(empty_engine):
    """Four imports at once, each overlapping the next: every event once, the counts add up
    across them, rollups and statuses exact (SQLite waits for its write lock, PostgreSQL for
    the table lock)."""
    files = [[event(n) for n in range(start, start + 200)] for start in (0, 100, 200, 300)]
    with ThreadPoolExecutor(len(files)) as pool:
        running = [pool.submit(run, empty_engine, f, f"{i}.json") for i, f in enumerate(files)]
        reports = [future.result() for future in running]  # an error in one is raised here
    assert sum(r.stored for r in reports) == 500
    assert sum(r.duplicates for r in reports) == 300
    assert stored_ids(empty_engine) == sorted(f"ev{n}" for n in range(500))
    assert_rollups_as_rebuilt(empty_engine)
    assert_statuses_as_recomputed(empty_engine)


def test_one_of_asks_for_every_value_a_chunk_at_a_time(empty_engine, monkeypatch):
    """bulk.one_of: the clauses of all chunks together find every value asked for, and nothing
    else (PostgreSQL's arrays and SQLite's IN lists, both cut small here)."""
    monkeypatch.setattr(bulk, "_PG_ARRAY_CHUNK", 3)
    run(empty_engine, [event(n, contacts=10) for n in range(20)])
    c = schema.contacts.c
    asked = [f"persona{n}@example.com" for n in range(8)] + ["nadie@example.com"]
    with empty_engine.connect() as conn:
        clauses = list(bulk.one_of(conn, c.email, asked, sqlite_chunk=3))
        found = [
            email
            for among in clauses
            for email in conn.execute(sa.select(c.email).where(among)).scalars()
        ]
    assert len(clauses) == 3
    assert sorted(found) == sorted(asked[:8])
