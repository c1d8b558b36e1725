"""Import throughput: a SendGrid Event Webhook batch made from the demo world, imported into a
fresh SQLite database (contacts and campaigns created on the way), then imported again (all
duplicates), beside the naive way (one SELECT for the provider id, then one INSERT, per event).

`python -m benchmarks.ingest [--events N]`
"""

import argparse
import json
import time
from datetime import date
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from data_access import demo, ingest, migrate, schema
from data_access.engine import make_engine

HERE = Path(__file__).resolve().parent
BUDGET_EVENTS_PER_S = 50_000
SENDGRID_EVENT = {"delivered": "delivered", "bounced": "bounce", "spam_complaint": "spamreport",
                  "not_sent": "dropped", "unsubscribed": "unsubscribe",
                  "resubscribed": "group_resubscribe"}
DROP_REASON = {"previous_bounce": "Bounced Address", "unsubscribed": "Unsubscribed Address",
               "previous_spam": "Spam Reporting Address", "invalid_address": "Invalid"}


def world_for(events: int, seed: int = 5) -> demo.DemoWorld:
    return demo.generate(max(100, events // 19), seed=seed, until=date(2026, 11, 26))


def sendgrid_batch(world: demo.DemoWorld, events: int) -> bytes:
    """A SendGrid webhook batch (JSON array) with custom args origin and campaign_id."""
    emails = dict(zip(world.contacts["id"], world.contacts["email"]))
    campaigns = {r["id"]: r for r in world.campaigns.iter_rows(named=True)}
    out = []
    for row in world.events.head(events).iter_rows(named=True):
        item = {"email": emails[row["contact_id"]],
                "timestamp": int(row["occurred_at"].timestamp()),
                "event": SENDGRID_EVENT[row["event"]], "sg_event_id": f"ev{row['id']}",
                "sg_message_id": f"msg{row['id']}"}
        if row["campaign_id"] is not None:
            campaign = campaigns[row["campaign_id"]]
            item.update(origin=campaign["origin"], campaign_id=campaign["external_id"],
                        campaign_name=campaign["name"])
        else:
            item["origin"] = "campaign"
        if row["event"] == "bounced":
            item.update(type="bounce" if row["bounce_type"] == "hard" else "blocked",
                        reason=row["smtp_diagnostic"], status="5.1.1")
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
                exists = conn.execute(sa.select(e.id).where(
                    e.provider == "naive", e.provider_event_id == ident)).first()
                if exists is None:
                    conn.execute(schema.email_events.insert(), {
                        "contact_id": contact_id, "campaign_id": campaign_id,
                        "event": "delivered", "provider": "naive", "provider_event_id": ident,
                        "occurred_at": event.occurred_at})
    return len(records) / (time.perf_counter() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest")
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--naive-events", type=int, default=5_000)
    args = parser.parse_args(argv)
    folder = HERE / "data"
    folder.mkdir(exist_ok=True)
    path = folder / "ingest.sqlite3"
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    world = world_for(args.events)
    content = sendgrid_batch(world, args.events)
    # The CRM's contacts and campaigns exist already (the usual case); their events arrive.
    demo.load(engine, demo.DemoWorld(world.contacts, world.campaigns, world.events.head(0),
                                     world.statuses.with_columns(blocked=False, reason=None,
                                                                 since=None,
                                                                 cause_event_id=None)))
    results = {}
    for label in ("first", "again"):
        started = time.perf_counter()
        report = ingest.import_bytes(engine, "sendgrid", content, source="bench.json")
        seconds = time.perf_counter() - started
        results[label] = {"received": report.received, "stored": report.stored,
                          "duplicates": report.duplicates, "seconds": round(seconds, 2),
                          "events_per_s": round(report.received / seconds)}
        print(f"{label:<6} {report.line()}  →  {report.received / seconds:,.0f} eventos/s")
    naive_rate = naive(engine, content, args.naive_events)
    results["naive_events_per_s"] = round(naive_rate)
    for label in ("first", "again"):
        results[label]["naive_ratio"] = round(results[label]["events_per_s"] / naive_rate, 1)
        results[label]["within_budget"] = results[label]["events_per_s"] >= BUDGET_EVENTS_PER_S
    print(f"naive  {naive_rate:,.0f} eventos/s (SELECT + INSERT por evento); "
          f"ratios {results['first']['naive_ratio']}x / {results['again']['naive_ratio']}x; "
          f"presupuesto ≥ {BUDGET_EVENTS_PER_S:,} eventos/s")
    out = HERE / "results" / "ingest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
