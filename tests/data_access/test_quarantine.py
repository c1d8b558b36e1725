"""`recent_quarantine` on both engines, and the `quarantine` command that prints it."""

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from data_access import QUARANTINE_SCHEMA, ingest, recent_quarantine, schema
from data_access.cli import main

RECEIVED = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
CSV = (
    "occurred_at,email,event,bounce_type,reason,origin,campaign_id,campaign_name,event_id\n"
    "2026-06-01T10:00:00Z,nueva@example.com,delivered,,,campaign,cmp-1,Verano,a1\n"
    "2026-06-01T10:06:00Z,otra@example.com,opened,,,campaign,cmp-1,Verano,a3\n"
    "2026-06-01T10:07:00Z,,delivered,,,campaign,cmp-1,Verano,a4\n"
)


def _quarantine(engine, count: int) -> None:
    """`count` quarantined records of one file, inserted in order (record 1 first)."""
    with engine.begin() as conn:
        conn.execute(
            schema.quarantine.insert(),
            [
                {
                    "received_at": RECEIVED + timedelta(minutes=n),
                    "provider": "sendgrid",
                    "source": "eventos.json",
                    "source_sha256": "0" * 64,
                    "position": n,
                    "item": 1,
                    "raw": f'{{"record": {n}}}' + "x" * (200 if n == 2 else 0),
                    "reason": f"motivo {n}",
                }
                for n in range(1, count + 1)
            ],
        )


def test_an_empty_quarantine_is_an_empty_frame_with_the_schema(empty_engine):
    with empty_engine.connect() as conn:
        found = recent_quarantine(conn)
    assert found.is_empty()
    assert dict(found.schema) == QUARANTINE_SCHEMA


def test_newest_first_limited_and_typed(empty_engine):
    _quarantine(empty_engine, 5)
    with empty_engine.connect() as conn:
        found = recent_quarantine(conn, limit=3)
    assert dict(found.schema) == QUARANTINE_SCHEMA
    assert found["position"].to_list() == [5, 4, 3]
    assert found["reason"].to_list() == ["motivo 5", "motivo 4", "motivo 3"]
    newest = found.row(0, named=True)
    assert newest["received_at"] == RECEIVED + timedelta(minutes=5)
    assert (newest["provider"], newest["source"], newest["raw"]) == (
        "sendgrid",
        "eventos.json",
        '{"record": 5}',
    )


def test_it_lists_what_an_import_quarantined(empty_engine):
    report = ingest.import_bytes(empty_engine, "csv", CSV.encode(), source="eventos.csv")
    with empty_engine.connect() as conn:
        found = recent_quarantine(conn)
    assert report.quarantined > 0
    assert found.height == report.quarantined
    assert set(found["source"]) == {"eventos.csv"} and set(found["provider"]) == {"csv"}
    assert found["reason"].str.len_chars().min() > 0


def test_the_command_prints_the_same_list(empty_engine):
    _quarantine(empty_engine, 3)
    url = empty_engine.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(
        main, ["quarantine", "--limit", "2", "--database", url], catch_exceptions=False
    )
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0] == "2026-06-01 10:03 sendgrid eventos.json#3: motivo 3"
    assert lines[2].startswith("2026-06-01 10:02 sendgrid eventos.json#2: motivo 2")
    assert lines[3].strip().endswith("...") and len(lines[3].strip()) == 120
    assert len(lines) == 4  # two records, two lines each


def test_the_command_says_when_the_quarantine_is_empty(empty_engine):
    url = empty_engine.url.render_as_string(hide_password=False)
    done = CliRunner().invoke(main, ["quarantine", "--database", url], catch_exceptions=False)
    assert done.exit_code == 0 and "La cuarentena está vacía." in done.output
