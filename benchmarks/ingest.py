"""Import throughput into SQLite with deduplication: a SendGrid Event Webhook batch made from
the demo world, imported into a database that holds the CRM's contacts and campaigns ("first"),
then imported again (all duplicates, "again"); the same events through the per-record path
(what every provider but SendGrid batches uses) and as the generic CSV; beside the naive way
(one SELECT for the provider id, then one INSERT, per event). Each import starts from a fresh
database and runs in one transaction, rollups and statuses included.

The speed of this machine is printed too: the reference operation of ../shared/PERF-NOTES.md
(the stdlib's executemany of events into a table without indexes, one transaction) took 3.5 s
per million rows on the lab machine; the ratio says how this one compares.

`python -m benchmarks.ingest [--events N]`
"""

import argparse
import base64
import hashlib
import json
import sqlite3
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from data_access import demo, ingest, migrate, schema
from data_access.engine import make_engine
from data_access.ingest import csv_format, store

HERE = Path(__file__).resolve().parent
BUDGET_EVENTS_PER_S = 50_000
SENDGRID_EVENT = {
    "delivered": "delivered",
    "bounced": "bounce",
    "spam_complaint": "spamreport",
    "not_sent": "dropped",
    "unsubscribed": "unsubscribe",
    "resubscribed": "group_resubscribe",
}
DROP_REASON = {
    "previous_bounce": "Bounced Address",
    "unsubscribed": "Unsubscribed Address",
    "previous_spam": "Spam Reporting Address",
    "invalid_address": "Invalid",
}


def world_for(events: int, seed: int = 5) -> demo.DemoWorld:
    return demo.generate(max(100, events // 19), seed=seed, until=date(2026, 11, 26))


def event_id(number: int) -> str:
    """An id like SendGrid's (22 URL-safe base64 characters of 16 random bytes, e.g.
    "rbtnWrG1DVDGGGFHFyun0A=="), the same for the same number: ids in random order are what
    the deduplication index really gets, and they cost more than ids in sequence."""
    digest = hashlib.blake2b(number.to_bytes(8, "big"), digest_size=16).digest()
    return base64.urlsafe_b64encode(digest).decode()


def sendgrid_batch(world: demo.DemoWorld, events: int) -> bytes:
    """A SendGrid webhook batch (JSON array) with custom args origin and campaign_id."""
    emails = dict(zip(world.contacts["id"], world.contacts["email"]))
    campaigns = {r["id"]: r for r in world.campaigns.iter_rows(named=True)}
    out = []
    for row in world.events.head(events).iter_rows(named=True):
        item = {
            "email": emails[row["contact_id"]],
            "timestamp": int(row["occurred_at"].timestamp()),
            "event": SENDGRID_EVENT[row["event"]],
            "sg_event_id": event_id(row["id"]),
            "sg_message_id": f"msg{row['id']}",
        }
        if row["campaign_id"] is not None:
            campaign = campaigns[row["campaign_id"]]
            item.update(
                origin=campaign["origin"],
                campaign_id=campaign["external_id"],
                campaign_name=campaign["name"],
            )
        else:
            item["origin"] = "campaign"
        if row["event"] == "bounced":
            item.update(
                type="bounce" if row["bounce_type"] == "hard" else "blocked",
                reason=row["smtp_diagnostic"],
                status="5.1.1",
            )
        if row["event"] == "not_sent":
            item["reason"] = DROP_REASON[row["reason"]]
        out.append(item)
    return json.dumps(out).encode()


def naive(engine: sa.Engine, content: bytes, limit: int) -> float:
    """Events per second, one SELECT and one INSERT per event (what a quick script does)."""
    records = list(ingest.parser("sendgrid").parse(ingest.decode(content)))[:limit]
    e = schema.email_events.c
    started = time.perf_counter()
    with engine.begin() as conn:
        contact_id = conn.execute(sa.select(schema.contacts.c.id).limit(1)).scalar_one()
        campaign_id = conn.execute(sa.select(schema.campaigns.c.id).limit(1)).scalar_one()
        for record in records:
            for event in record.outcomes:
                if not isinstance(event, ingest.Event):
                    continue
                ident = "naive-" + (event.provider_event_id or "")
                exists = conn.execute(
                    sa.select(e.id).where(e.provider == "naive", e.provider_event_id == ident)
                ).first()
                if exists is None:
                    conn.execute(
                        schema.email_events.insert(),
                        {
                            "contact_id": contact_id,
                            "campaign_id": campaign_id,
                            "event": "delivered",
                            "provider": "naive",
                            "provider_event_id": ident,
                            "occurred_at": event.occurred_at,
                        },
                    )
    return len(records) / (time.perf_counter() - started)


LAB_REFERENCE_ROWS_PER_S = 1_000_000 / 3.5  # PERF-NOTES: stdlib executemany, 1M events


def machine_reference(rows: int = 200_000) -> float:
    """Rows per second of the PERF-NOTES reference operation on this machine."""
    data = [
        (
            i % 5000,
            i % 28,
            "delivered",
            None,
            None,
            None,
            None,
            "sendgrid",
            f"ev{i}",
            f"msg{i}",
            "2026-05-01 10:00:00.000000",
            None,
        )
        for i in range(rows)
    ]
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE e (id INTEGER PRIMARY KEY, contact_id, campaign_id, event, "
        "bounce_type, reason, provider_reason, smtp_diagnostic, provider, "
        "provider_event_id, message_id, occurred_at, bounce_category)"
    )
    started = time.perf_counter()
    conn.executemany(
        "INSERT INTO e (contact_id, campaign_id, event, bounce_type, reason, "
        "provider_reason, smtp_diagnostic, provider, provider_event_id, "
        "message_id, occurred_at, bounce_category) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        data,
    )
    conn.commit()
    return rows / (time.perf_counter() - started)


def fresh_database(world: demo.DemoWorld) -> sa.Engine:
    """An empty SQLite database with the CRM's contacts and campaigns (no events yet)."""
    path = HERE / "data" / "ingest.sqlite3"
    path.parent.mkdir(exist_ok=True)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    demo.load(
        engine,
        demo.DemoWorld(
            world.contacts,
            world.campaigns,
            world.events.head(0),
            world.statuses.with_columns(
                blocked=False, reason=None, since=None, cause_event_id=None
            ),
        ),
    )
    return engine


def per_record(engine: sa.Engine, content: bytes) -> ingest.ImportReport:
    """The same file through the per-record path (parse, then the store), one transaction."""
    text = ingest.decode(content)
    records = list(ingest.parser("sendgrid").parse(text))
    with engine.begin() as conn:
        return store.import_records(
            conn, "sendgrid", records, source="bench.json", source_sha256="x" * 64
        )


def timed(label: str, function, results: dict) -> None:
    started = time.perf_counter()
    report = function()
    seconds = time.perf_counter() - started
    results[label] = {
        "received": report.received,
        "stored": report.stored,
        "duplicates": report.duplicates,
        "seconds": round(seconds, 2),
        "events_per_s": round(report.received / seconds),
    }
    print(f"{label:<10} {report.line()}  →  {report.received / seconds:,.0f} eventos/s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest")
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--naive-events", type=int, default=5_000)
    args = parser.parse_args(argv)
    world = world_for(args.events)
    content = sendgrid_batch(world, args.events)
    events = [
        o
        for r in ingest.parser("sendgrid").parse(ingest.decode(content))
        for o in r.outcomes
        if isinstance(o, ingest.Event)
    ]
    as_csv = csv_format.write(events).encode()
    results = {}
    engine = fresh_database(world)
    insert_seconds = []
    insert = store._insert_events

    def timed_insert(conn, rows):  # how long SQLite itself takes to store the new events
        started = time.perf_counter()
        insert(conn, rows)
        insert_seconds.append(time.perf_counter() - started)

    store._insert_events = timed_insert
    try:
        for label in ("first", "again"):
            timed(
                label,
                lambda: ingest.import_bytes(engine, "sendgrid", content, source="bench.json"),
                results,
            )
    finally:
        store._insert_events = insert
    per_event = insert_seconds[0] / results["first"]["stored"]
    results["first"]["insert_seconds"] = round(insert_seconds[0], 2)
    results["first"]["insert_ceiling_events_per_s"] = round(1 / per_event)
    print(
        f"           de ello, guardar las filas (INSERT en SQLite, 4 índices, ids aleatorios): "
        f"{insert_seconds[0]:.2f} s = {per_event * 1e6:.1f} µs/evento → techo "
        f"{1 / per_event:,.0f} eventos/s aunque leer y mapear no costara nada"
    )
    naive_rate = naive(engine, content, args.naive_events)
    engine.dispose()
    engine = fresh_database(world)
    timed("per_record", lambda: per_record(engine, content), results)
    engine.dispose()
    engine = fresh_database(world)
    timed("csv", lambda: ingest.import_bytes(engine, "csv", as_csv, source="bench.csv"), results)
    engine.dispose()
    results["naive_events_per_s"] = round(naive_rate)
    for label in ("first", "again", "per_record", "csv"):
        results[label]["naive_ratio"] = round(results[label]["events_per_s"] / naive_rate, 1)
        results[label]["within_budget"] = results[label]["events_per_s"] >= BUDGET_EVENTS_PER_S
    reference = machine_reference()
    results["machine"] = {
        "reference_rows_per_s": round(reference),
        "lab_reference_rows_per_s": round(LAB_REFERENCE_ROWS_PER_S),
        "speed_vs_lab": round(reference / LAB_REFERENCE_ROWS_PER_S, 2),
    }
    print(
        f"naive      {naive_rate:,.0f} eventos/s (SELECT + INSERT por evento); ratios "
        + " / ".join(
            f"{label} {results[label]['naive_ratio']}x"
            for label in ("first", "again", "per_record", "csv")
        )
        + f"; presupuesto ≥ {BUDGET_EVENTS_PER_S:,} eventos/s"
    )
    print(
        f"máquina    referencia de PERF-NOTES (executemany sin índices): {reference:,.0f} "
        f"filas/s; en el laboratorio {LAB_REFERENCE_ROWS_PER_S:,.0f} → esta máquina va a "
        f"{reference / LAB_REFERENCE_ROWS_PER_S:.2f}× la del laboratorio"
    )
    out = HERE / "results" / "ingest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
