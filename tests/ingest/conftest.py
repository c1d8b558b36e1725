"""What the ingest tests share: the providers' sample files (tests/ingest/fixtures, each folder
with its licence), a local time zone other than UTC, pairs of fresh databases, importing a
parsed file either way (record by record or column by column), and reading back everything an
import writes (with `rollups.rebuild` as the oracle of the rollups)."""

import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access import rollups, schema
from data_access.ingest.model import Outcome
from data_access.ingest.store import ImportReport, import_records
from tests.conftest import ENGINES

FIXTURES = Path(__file__).parent / "fixtures"


# --- the providers' sample files -------------------------------------------------------------


def fixture_text(provider: str, name: str) -> str:
    """The text of a sample file of `provider` (a folder of tests/ingest/fixtures)."""
    return (FIXTURES / provider / name).read_text(encoding="utf-8")


def fixture_paths(provider: str, pattern: str) -> list[Path]:
    """The sample files of `provider` whose names match `pattern`, sorted."""
    return sorted((FIXTURES / provider).glob(pattern))


def anymail(provider: str, name: str) -> tuple[dict, dict]:
    """The webhook body of a django-anymail test (Mailgun, Postmark) and what anymail expects
    it to mean."""
    data = json.loads(fixture_text(provider, f"test_{name}_event.json"))
    return data["named_payloads"]["raw_event"], data["expected_normalized"]


def single_outcome(parser, body) -> Outcome:
    """The single outcome of a file holding one webhook body (`parser`: a provider module)."""
    records = list(parser.parse(json.dumps(body)))
    assert len(records) == 1 and len(records[0].outcomes) == 1
    return records[0].outcomes[0]


@pytest.fixture
def local_time_not_utc(monkeypatch):
    """Run with a local time zone other than UTC, so "no offset means UTC" is really tested."""
    monkeypatch.setenv("TZ", "America/Mexico_City")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# --- databases and imports -------------------------------------------------------------------


@pytest.fixture(params=ENGINES)
def two_engines(request, databases):
    """Two fresh, migrated databases of the same kind, for each kind of tests.conftest.ENGINES:
    one to import a file column by column, one record by record."""
    return databases.engine(request.param), databases.engine(request.param)


def import_parsed(
    conn: sa.Connection,
    provider: str,
    parser,
    text: str,
    *,
    columnar: bool,
    source: str,
    source_sha256: str = "c" * 64,
    **options,
) -> ImportReport:
    """Import `text` read by `parser` (a provider module) column by column (`parse_columns`,
    which must read it) or record by record (`parse`), in the caller's transaction."""
    if columnar:
        columns = parser.parse_columns(text)
        assert columns is not None
        records = []
    else:
        columns, records = None, list(parser.parse(text))
    return import_records(
        conn,
        provider,
        records,
        columns=columns,
        source=source,
        source_sha256=source_sha256,
        **options,
    )


def table_rows(conn, table: sa.Table, *, exclude=(), maps=None) -> list[tuple]:
    """All rows of `table` without the `exclude` columns, with the `maps` columns translated
    (database ids to natural keys); sorted, duplicates kept."""
    maps = maps or {}
    names = [column.name for column in table.c if column.name not in exclude]
    rows = conn.execute(sa.select(*(table.c[name] for name in names))).all()
    translated = [
        tuple(
            (
                name,
                maps[name].get(value, ("?", value))
                if name in maps and value is not None
                else value,
            )
            for name, value in zip(names, row)
        )
        for row in rows
    ]
    return sorted(translated, key=repr)


def rollup_rows(conn) -> dict[str, list[tuple]]:
    """The rollup tables, with campaigns as (origin, external id)."""
    k = schema.campaigns.c
    campaigns = {i: (o, x) for i, o, x in conn.execute(sa.select(k.id, k.origin, k.external_id))}
    return {
        "daily_rollup": table_rows(conn, schema.daily_rollup, maps={"campaign_id": campaigns}),
        "domain_monthly_rollup": table_rows(conn, schema.domain_monthly_rollup),
        "campaign_monthly_rollup": table_rows(
            conn, schema.campaign_monthly_rollup, maps={"campaign_id": campaigns}
        ),
    }


def contents(conn) -> dict[str, list[tuple]]:
    """Everything an import writes, without ids and clock times."""
    c, k, e = schema.contacts.c, schema.campaigns.c, schema.email_events.c
    contacts = dict(conn.execute(sa.select(c.id, c.email)).all())
    campaigns = {i: (o, x) for i, o, x in conn.execute(sa.select(k.id, k.origin, k.external_id))}
    events = {
        i: (p, x) for i, p, x in conn.execute(sa.select(e.id, e.provider, e.provider_event_id))
    }
    return {
        "email_events": table_rows(
            conn,
            schema.email_events,
            exclude=("id",),
            maps={"contact_id": contacts, "campaign_id": campaigns},
        ),
        "contacts": table_rows(conn, schema.contacts, exclude=("id",)),
        "campaigns": table_rows(conn, schema.campaigns, exclude=("id", "created_at")),
        "contact_status": table_rows(
            conn,
            schema.contact_status,
            exclude=("updated_at",),
            maps={"contact_id": contacts, "cause_event_id": events},
        ),
        **rollup_rows(conn),
        "quarantine": table_rows(conn, schema.quarantine, exclude=("id", "received_at")),
    }


def assert_rollups_as_rebuilt(engine: sa.Engine) -> dict[str, list[tuple]]:
    """The rollups the imports left equal `rollups.rebuild`'s, both tables (the rebuild is
    rolled back); returns them."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            imported = rollup_rows(conn)
            rollups.rebuild(conn)
            rebuilt = rollup_rows(conn)
        finally:
            transaction.rollback()
    for table, rows in rebuilt.items():
        assert imported[table] == rows, table
    return imported


# --- what an import stored, for the exact expectations of the provider tests ------------------


def fixture_bytes_text(provider: str, name: str) -> str:
    """A sample file's text exactly as an import reads it (line endings kept: multipart
    bodies need their CRLF)."""
    return (FIXTURES / provider / name).read_bytes().decode("utf-8")


def import_text(engine: sa.Engine, provider: str, text: str, **options) -> ImportReport:
    """Import `text` as the CLI and the import page do (data_access.ingest.import_bytes)."""
    from data_access import ingest

    return ingest.import_bytes(
        engine, provider, text.encode("utf-8"), source=f"{provider}.txt", **options
    )


def stored_events(engine: sa.Engine) -> list[tuple]:
    """Every stored event as (email, event, bounce_type, reason, provider_reason,
    smtp_diagnostic, occurred_at, origin, campaign external id), sorted."""
    c, k, e = schema.contacts.c, schema.campaigns.c, schema.email_events.c
    query = sa.select(
        c.email,
        e.event,
        e.bounce_type,
        e.reason,
        e.provider_reason,
        e.smtp_diagnostic,
        e.occurred_at,
        k.origin,
        k.external_id,
    ).select_from(
        schema.email_events.join(schema.contacts, c.id == e.contact_id).outerjoin(
            schema.campaigns, k.id == e.campaign_id
        )
    )
    with engine.connect() as conn:
        return sorted((tuple(row) for row in conn.execute(query)), key=repr)


def counts(report: ImportReport) -> tuple[int, int, int, int, int]:
    """(received, stored, duplicates, ignored, quarantined), after checking they add up."""
    assert report.balanced, report.line()
    return (
        report.received,
        report.stored,
        report.duplicates,
        report.ignored,
        report.quarantined,
    )
