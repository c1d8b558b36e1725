"""Import throughput with deduplication, SQLite and PostgreSQL, each against its own ceiling.

A SendGrid Event Webhook batch made from the demo world is imported into a database that holds
the CRM's contacts and campaigns ("first": every event new), then imported again (all
duplicates, "again"); the same events through the per-record path (what every provider but
SendGrid batches uses) and as the generic CSV; beside the naive way (one SELECT for the
provider id, then one INSERT, per event). Each import starts from a fresh database and runs in
one transaction, rollups and statuses included, commit included.

The ceiling, measured in the same run: the engine storing the same prepared rows (the exact
rows the import inserted, already converted) into the same table with the same indexes (the
import's database, emptied of its events), in one transaction, commit included. SQLite: the
best of the stdlib's executemany and multi-row INSERT statements of 256 rows; PostgreSQL: a bare
`COPY ... FROM STDIN` of the rows as CSV. Budgets (DESIGN.md): SQLite, the import of new
events ≥ 80 % of the ceiling; PostgreSQL ≥ 50,000 new events/s (its ratio to the bare COPY is
printed too). `--repeat` runs "first", "again" and the ceiling that many times, alternating,
and reports medians and p95 of the rates and of the ratio per repetition; the load average is
printed beside them (a busy machine makes every figure noisy; the ratios less so).

The speed of this machine is printed too: the reference operation of ../shared/PERF-NOTES.md
(the stdlib's executemany of events into a table without indexes, one transaction) took 3.5 s
per million rows on the lab machine; the ratio says how this one compares.

Databases: SQLite `$RASTRO_BENCH_DATA/<prefix>_ingest.sqlite3`, PostgreSQL `<prefix>_ingest`
(dropped at the end), prefix `$RASTRO_BENCH_PREFIX` (default rastro_bench). JSON out:
benchmarks/results/ingest.json.

`python -m benchmarks.ingest [--engines sqlite,postgresql] [--events 300000] [--repeat 3]`
"""

import argparse
import base64
import hashlib
import io
import json
import os
import sqlite3
import statistics
import time
from datetime import date
from functools import partial
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from data_access import bulk, demo, ingest, migrate, schema
from data_access.engine import make_engine
from data_access.ingest import csv_format, store

from .run import DATA_DIR, POSTGRES_ADMIN_URL, WORLD_PREFIX

HERE = Path(__file__).resolve().parent
SQLITE_CEILING_RATIO = 0.80  # of the ceiling, same run
POSTGRES_BUDGET_EVENTS_PER_S = 50_000

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


def database_url(kind: str) -> str:
    """A fresh, empty database of this benchmark (the previous one dropped)."""
    name = f"{WORLD_PREFIX}_ingest"
    if kind == "sqlite":
        path = DATA_DIR / f"{name}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgresql() -> None:
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{WORLD_PREFIX}_ingest" WITH (FORCE)'))
    admin.dispose()


def fresh_database(kind: str, world: demo.DemoWorld) -> sa.Engine:
    """An empty database with the CRM's contacts and campaigns (no events yet)."""
    engine = make_engine(database_url(kind))
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


def timed(label: str, function) -> dict:
    started = time.perf_counter()
    report = function()
    seconds = time.perf_counter() - started
    print(f"  {label:<10} {report.line()}  →  {report.received / seconds:,.0f} eventos/s")
    return {
        "received": report.received,
        "stored": report.stored,
        "duplicates": report.duplicates,
        "seconds": round(seconds, 3),
        "events_per_s": round(report.received / seconds),
    }


# --- the ceiling: the engine alone storing the import's own rows ---------------------------


def sqlite_rows(frame: pl.DataFrame) -> list[tuple]:
    """The rows as the import hands them to SQLite (store._insert_events)."""
    return store._sqlite_rows(frame)


def empty_events(engine: sa.Engine) -> None:
    """The import's database without its events (the contacts and campaigns it made stay, so
    that the same rows can be stored again)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("TRUNCATE email_events CASCADE")  # statuses that point to them
            return
        # Rows that point to events go first: SQLite checks each deleted event's children
        # (an unindexed scan of the statuses each), which takes minutes for 100,000 events.
        conn.execute(schema.contact_status.delete())
        conn.execute(schema.block_lifts.delete())
        conn.execute(schema.email_events.delete())


def sqlite_ceiling(engine: sa.Engine, rows: list[tuple]) -> dict:
    """Seconds for SQLite to store `rows` into email_events (same indexes), one transaction
    and its commit: multi-row INSERT statements (bulk.sqlite_insert) and plain executemany,
    each into the emptied table; the ceiling is the faster."""
    columns = store.EVENT_COLUMNS
    marks = ", ".join("?" for _ in columns)
    plain = f"INSERT INTO email_events ({', '.join(columns)}) VALUES ({marks})"
    seconds = {}
    for way in ("multirow", "executemany"):
        empty_events(engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            if way == "multirow":
                bulk.sqlite_insert(conn, "email_events", columns, rows, "DO NOTHING")
            else:
                conn.connection.driver_connection.executemany(plain, rows)
        seconds[way] = time.perf_counter() - started
    return seconds


def postgresql_ceiling(engine: sa.Engine, frame: pl.DataFrame) -> dict:
    """Seconds for a bare COPY of the same rows (as CSV, made beforehand) into email_events
    (same indexes), one transaction and its commit."""
    buffer = io.BytesIO()
    bulk._as_text_times(frame.select(store.EVENT_COLUMNS), bulk._PG_TIME).write_csv(
        buffer, include_header=False, null_value=""
    )
    data = buffer.getvalue()
    names = ", ".join(store.EVENT_COLUMNS)
    empty_events(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY email_events ({names}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(data)
        cursor.close()
    return {"copy": time.perf_counter() - started}


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 3), "p95": round(p95, 3)}


def measure_engine(kind: str, world, content: bytes, as_csv: bytes, args) -> dict:
    print(f"{kind}: {args.events:,} eventos, {args.repeat} repeticiones, carga {load()}")
    captured = []
    insert = store._insert_events

    def capturing(conn, new):  # the rows the import hands to the engine, for the ceiling
        captured.append(new)
        insert(conn, new)

    rounds = []
    bench = {"source": "bench.json"}
    for _ in range(args.repeat):
        engine = fresh_database(kind, world)
        captured.clear()
        store._insert_events = capturing
        try:
            first = timed(
                "first", partial(ingest.import_bytes, engine, "sendgrid", content, **bench)
            )
        finally:
            store._insert_events = insert
        again = timed("again", partial(ingest.import_bytes, engine, "sendgrid", content, **bench))
        if len(rounds) == args.repeat - 1:  # the naive way, on the database as it is now
            naive_rate = naive(engine, content, args.naive_events)
        frame = pl.concat(captured)
        # On the same database, emptied of its events: the same contacts, campaigns, indexes.
        if kind == "sqlite":
            ways = sqlite_ceiling(engine, sqlite_rows(frame))
        else:
            ways = postgresql_ceiling(engine, frame)
        engine.dispose()
        ceiling = frame.height / min(ways.values())
        ratio = first["events_per_s"] / ceiling
        print(
            "  ceiling    "
            + ", ".join(f"{way} {frame.height / s:,.0f} filas/s" for way, s in ways.items())
            + f"  →  first / techo = {ratio:.0%}  (carga {load()})"
        )
        rounds.append(
            {
                "first": first,
                "again": again,
                "ceiling_rows_per_s": {w: round(frame.height / s) for w, s in ways.items()},
                "ceiling_events_per_s": round(ceiling),
                "first_vs_ceiling": round(ratio, 3),
                "load": os.getloadavg(),
            }
        )
    print(f"  naive      {naive_rate:,.0f} eventos/s (SELECT + INSERT por evento)")
    others = {}
    if "per_record" in args.paths:
        engine = fresh_database(kind, world)
        others["per_record"] = timed("per_record", lambda: per_record(engine, content))
        engine.dispose()
    if "csv" in args.paths:
        engine = fresh_database(kind, world)
        others["csv"] = timed(
            "csv", lambda: ingest.import_bytes(engine, "csv", as_csv, source="bench.csv")
        )
        engine.dispose()
    result = {
        "engine": kind,
        "events": args.events,
        "rounds": rounds,
        "first_events_per_s": summary([r["first"]["events_per_s"] for r in rounds]),
        "again_events_per_s": summary([r["again"]["events_per_s"] for r in rounds]),
        "ceiling_events_per_s": summary([r["ceiling_events_per_s"] for r in rounds]),
        "first_vs_ceiling": summary([r["first_vs_ceiling"] for r in rounds]),
        "naive_events_per_s": round(naive_rate),
        **{label: figures for label, figures in others.items()},
    }
    medians = {
        "first": result["first_events_per_s"]["median"],
        "again": result["again_events_per_s"]["median"],
        **{label: figures["events_per_s"] for label, figures in others.items()},
    }
    result["naive_ratio"] = {label: round(rate / naive_rate, 1) for label, rate in medians.items()}
    if kind == "sqlite":
        result["budget"] = f"first ≥ {SQLITE_CEILING_RATIO:.0%} del techo"
        result["within_budget"] = result["first_vs_ceiling"]["median"] >= SQLITE_CEILING_RATIO
    else:
        result["budget"] = f"first ≥ {POSTGRES_BUDGET_EVENTS_PER_S:,} eventos/s"
        result["within_budget"] = medians["first"] >= POSTGRES_BUDGET_EVENTS_PER_S
    return result


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--naive-events", type=int, default=5_000)
    parser.add_argument("--paths", default="per_record,csv", help="other imports to time")
    args = parser.parse_args(argv)
    args.paths = set(filter(None, args.paths.split(",")))
    world = world_for(args.events)
    content = sendgrid_batch(world, args.events)
    events = [
        o
        for r in ingest.parser("sendgrid").parse(ingest.decode(content))
        for o in r.outcomes
        if isinstance(o, ingest.Event)
    ]
    as_csv = csv_format.write(events).encode()
    results = {"engines": {}}
    for kind in args.engines.split(","):
        results["engines"][kind] = measure_engine(kind, world, content, as_csv, args)
        if kind == "postgresql":
            drop_postgresql()
    reference = machine_reference()
    results["machine"] = {
        "reference_rows_per_s": round(reference),
        "lab_reference_rows_per_s": round(LAB_REFERENCE_ROWS_PER_S),
        "speed_vs_lab": round(reference / LAB_REFERENCE_ROWS_PER_S, 2),
        "load": os.getloadavg(),
    }
    print()
    print(
        f"{'motor':<11}{'first/s':>10}{'p95':>9}{'techo/s':>10}{'first/techo':>13}{'p95':>7}"
        f"{'again/s':>10}{'naive/s':>9}{'×naive':>8}  presupuesto"
    )
    for kind, r in results["engines"].items():
        ratio = r["first_vs_ceiling"]
        print(
            f"{kind:<11}{r['first_events_per_s']['median']:>10,.0f}"
            f"{r['first_events_per_s']['p95']:>9,.0f}{r['ceiling_events_per_s']['median']:>10,.0f}"
            f"{ratio['median']:>13.0%}{ratio['p95']:>7.0%}"
            f"{r['again_events_per_s']['median']:>10,.0f}{r['naive_events_per_s']:>9,}"
            f"{r['naive_ratio']['first']:>7}x  {r['budget']}: "
            + ("cumple" if r["within_budget"] else "NO cumple")
        )
    print(
        "first/techo: la importación completa de eventos nuevos frente al motor guardando las "
        "mismas filas preparadas en la misma tabla con los mismos índices (mediana y p95 de "
        "las repeticiones)"
    )
    print(
        f"máquina    referencia de PERF-NOTES (executemany sin índices): {reference:,.0f} "
        f"filas/s; en el laboratorio {LAB_REFERENCE_ROWS_PER_S:,.0f} → esta máquina va a "
        f"{reference / LAB_REFERENCE_ROWS_PER_S:.2f}× la del laboratorio; carga {load()}"
    )
    out = HERE / "results" / "ingest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
