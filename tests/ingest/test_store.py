"""Storing imported records: exactly once, nothing lost, rollups and statuses exact, on both
engines; an interrupted import leaves nothing and can be run again."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import data_access as da
from data_access import schema, status
from data_access.ingest import model, store
from data_access.ingest.store import import_records
from tests.ingest.conftest import assert_rollups_as_rebuilt

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def ev(email, event, minutes=0, **extra):
    extra.setdefault("origin", "campaign")
    extra.setdefault("campaign_external_id", "cmp-9")
    return model.Event(
        email=email, event=event, occurred_at=T0 + timedelta(minutes=minutes), **extra
    )


def records(*outcomes_per_record):
    return [
        model.Record(position=i, raw=f"registro {i}", outcomes=tuple(outs))
        for i, outs in enumerate(outcomes_per_record, start=1)
    ]


def run(engine, recs, **options):
    with engine.begin() as conn:
        return import_records(
            conn, "test", recs, source="prueba.json", source_sha256="a" * 64, **options
        )


def count(engine, table):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


BATCH = records(
    [ev("Ana@Example.com", "delivered", provider_event_id="e1", campaign_name="Verano")],
    [ev("ana@example.com", "spam_complaint", 5, provider_event_id="e2")],
    [
        ev(
            "luis@example.com",
            "bounced",
            1,
            bounce_type="hard",
            smtp_diagnostic="550 5.1.1 user unknown",
            provider_event_id="e3",
        )
    ],
    [model.Ignored("apertura")],
    [model.Rejected("JSON roto")],
    [ev("sin.origen@example.com", "delivered", origin=None, provider_event_id="e4")],
    [ev("flujo@example.com", "delivered", origin="automation", campaign_external_id=None)],
)


def test_every_outcome_is_accounted_for(empty_engine):
    report = run(empty_engine, BATCH)
    assert (
        report.received,
        report.stored,
        report.duplicates,
        report.ignored,
        report.quarantined,
    ) == (7, 4, 0, 1, 2)
    assert report.balanced
    assert (
        "recibidos 7 = guardados 4 + duplicados 0 + ignorados 1 + en cuarentena 2" in report.line()
    )
    with empty_engine.connect() as conn:
        reasons = (
            conn.execute(
                sa.select(schema.quarantine.c.reason).order_by(schema.quarantine.c.position)
            )
            .scalars()
            .all()
        )
    assert reasons[0] == "JSON roto" and "falta la clave origin" in reasons[1]


def test_importing_again_stores_nothing_twice(empty_engine):
    run(empty_engine, BATCH)
    again = run(empty_engine, BATCH)
    assert (again.stored, again.duplicates, again.quarantined) == (0, 4, 2)
    assert count(empty_engine, schema.email_events) == 4
    assert count(empty_engine, schema.quarantine) == 2  # not quarantined twice either


def test_events_without_provider_ids_are_deduplicated_by_a_stable_hash(empty_engine):
    plain = records([ev("x@example.com", "delivered")], [ev("x@example.com", "delivered")])
    report = run(empty_engine, plain)
    assert (report.stored, report.duplicates) == (1, 1)


def test_contacts_campaigns_and_default_origin(empty_engine):
    run(empty_engine, BATCH, default_origin="automation")
    with empty_engine.connect() as conn:
        contacts = dict(
            conn.execute(sa.select(schema.contacts.c.email, schema.contacts.c.email_domain)).all()
        )
        campaigns = conn.execute(
            sa.select(
                schema.campaigns.c.origin, schema.campaigns.c.external_id, schema.campaigns.c.name
            )
        ).all()
    assert contacts["ana@example.com"] == "example.com"  # normalised: one contact
    assert "sin.origen@example.com" in contacts  # --origin applied
    assert ("campaign", "cmp-9", "Verano") in campaigns
    assert ("automation", "sin-identificar", "Flujo sin identificar") in campaigns


def test_unknown_recipients_can_be_quarantined_instead(empty_engine):
    report = run(empty_engine, BATCH, unknown_recipients="quarantine")
    assert report.stored == 0 and report.quarantined == 6 and report.balanced
    assert count(empty_engine, schema.contacts) == 0


def test_rollups_and_status_stay_exact(empty_engine):
    """Both rollup tables, as the import left them, equal `rollups.rebuild` (the oracle);
    also after importing again and after a second file with more events."""
    run(empty_engine, BATCH)
    imported = assert_rollups_as_rebuilt(empty_engine)
    assert sum(row[-1][1] for row in imported["daily_rollup"]) == 4  # (name, value) pairs
    assert imported["domain_monthly_rollup"]
    with empty_engine.connect() as conn:
        blocked = da.blocked_contacts(conn)
    assert dict(zip(blocked["email"], blocked["reason"])) == {
        "ana@example.com": "previous_spam",
        "luis@example.com": "previous_bounce",
    }
    run(empty_engine, BATCH)  # duplicates only
    assert assert_rollups_as_rebuilt(empty_engine) == imported
    more = records(
        [ev("luis@example.com", "delivered", 3, provider_event_id="e5")],
        [ev("eva@example.org", "bounced", 4, bounce_type="soft", provider_event_id="e6")],
    )
    run(empty_engine, more)
    after = assert_rollups_as_rebuilt(empty_engine)
    assert len(after["domain_monthly_rollup"]) > len(imported["domain_monthly_rollup"])


def test_an_interrupted_import_leaves_nothing_and_can_run_again(empty_engine, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("corte de luz")

    # The power goes after the events and the rollups are written, before the statuses
    # (whichever way they are written: worked out beside the insert, or read back).
    monkeypatch.setattr(store, "refresh_contact_status", fail)
    monkeypatch.setattr(status.PendingRefresh, "write", fail)
    with pytest.raises(RuntimeError):
        run(empty_engine, BATCH)
    for table in (schema.email_events, schema.contacts, schema.quarantine, schema.campaigns):
        assert count(empty_engine, table) == 0
    monkeypatch.undo()
    report = run(empty_engine, BATCH)
    assert report.stored == 4 and count(empty_engine, schema.email_events) == 4


def test_bad_events_from_a_parser_are_quarantined_not_stored(empty_engine):
    bad = records(
        [ev("", "delivered")],
        [ev("a@example.com", "opened")],
        [ev("a@example.com", "bounced")],  # no bounce type
        [ev("a@example.com", "not_sent", reason="porque sí")],
        [ev("a@example.com", "delivered", origin="newsletter")],
    )
    report = run(empty_engine, bad)
    assert report.quarantined == 5 and report.stored == 0


@pytest.mark.parametrize("when", ['"0001-01-01T00:00:00+01:00"', "1" + "0" * 400])
def test_absurd_dates_are_quarantined_not_a_crash(when):
    from data_access.ingest import sendgrid

    text = (
        '[{"email": "a@example.com", "event": "delivered", "sg_event_id": "x", '
        f'"timestamp": {when}}}]'
    )
    record = next(iter(sendgrid.parse(text)))
    assert isinstance(record.outcomes[0], model.Rejected)
    assert "fecha" in record.outcomes[0].reason


def test_a_count_that_does_not_add_up_refuses_the_whole_file(empty_engine, monkeypatch):
    """If the database stored other than the new events found (another writer at the same
    time), the file is refused with its own error and message, and nothing of it stays."""
    monkeypatch.setattr(store, "_stored_above", lambda conn, mark: (0, 0, 0))
    with pytest.raises(model.ConcurrentImport, match="otra importación") as refused:
        run(empty_engine, BATCH)
    assert isinstance(refused.value, model.ImportRefused)
    assert not isinstance(refused.value, model.FormatError)  # the file itself is fine
    for table in (schema.email_events, schema.contacts, schema.quarantine):
        assert count(empty_engine, table) == 0
