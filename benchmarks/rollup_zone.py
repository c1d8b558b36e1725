"""What counting report days in RASTRO_TIMEZONE instead of UTC would cost:
`python -m benchmarks.rollup_zone [--contacts N] [--engines sqlite,postgresql]`.

On the benchmark world (built or reused as `python -m benchmarks` does), times the full
rebuild of `daily_rollup` and `domain_monthly_rollup` as Rastro does it (UTC day and month)
and the same statements keyed by the local day and month of a time zone:
- PostgreSQL: `timezone(zone, occurred_at)` (its own tz database);
- SQLite, which has no time zones: the UTC offsets of the zone over the events' span, from
  Python's zoneinfo, as a CASE over the instant (`date(occurred_at, CASE ... END)`).
Each statement fills a temporary table (the real rollups are untouched); it also checks that
the local-day rollup holds every event once and counts its rows (what the report queries
read). Prints a table; figures go to benchmarks/results/rollup_zone.json.
"""

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data_access import demo, schema

from .run import RESULTS_DIR, prepare_world

e = schema.email_events.c


def zone_offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(from this UTC instant, offset in seconds)], the zone's offsets over [start, end]."""
    found = [(start, int(start.astimezone(zone).utcoffset().total_seconds()))]
    moment = start
    while moment < end:
        step = moment + timedelta(hours=6)
        offset = int(step.astimezone(zone).utcoffset().total_seconds())
        if offset != found[-1][1]:
            low, high = moment, step  # the change is in (low, high]: find it to the second
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                if int(mid.astimezone(zone).utcoffset().total_seconds()) == offset:
                    high = mid
                else:
                    low = mid
            found.append((high.replace(microsecond=0), offset))
        moment = step
    return found


def sqlite_local(column, zone: ZoneInfo, start: datetime, end: datetime):
    """SQLite: the local wall-clock time of a UTC text column, as `datetime()` modifiers."""
    offsets = zone_offsets(zone, start, end)
    if len(offsets) == 1:
        return sa.literal(f"{offsets[0][1]} seconds")
    whens = [
        (column < sa.literal(at.strftime("%Y-%m-%d %H:%M:%S")), sa.literal(f"{previous} seconds"))
        for (at, _), (_, previous) in zip(offsets[1:], offsets[:-1], strict=True)
    ]
    return sa.case(*whens, else_=sa.literal(f"{offsets[-1][1]} seconds"))


def day_and_month(dialect: str, zone: ZoneInfo | None, span: tuple[datetime, datetime]):
    if zone is None:  # what Rastro does: UTC
        if dialect == "sqlite":
            return sa.func.date(e.occurred_at), sa.func.strftime("%Y-%m-01", e.occurred_at)
        utc = sa.func.timezone("UTC", e.occurred_at)
        return sa.cast(utc, sa.Date), sa.cast(sa.func.date_trunc("month", utc), sa.Date)
    if dialect == "sqlite":
        shift = sqlite_local(e.occurred_at, zone, *span)
        return (
            sa.func.date(e.occurred_at, shift),
            sa.func.strftime("%Y-%m-01", e.occurred_at, shift),
        )
    local = sa.func.timezone(zone.key, e.occurred_at)
    return sa.cast(local, sa.Date), sa.cast(sa.func.date_trunc("month", local), sa.Date)


def daily_select(day):
    day = day.label("day")
    return (
        sa.select(
            day,
            e.campaign_id,
            e.event,
            sa.func.coalesce(e.bounce_type, "").label("bounce_type"),
            sa.func.coalesce(e.reason, "").label("reason"),
            sa.func.coalesce(e.bounce_category, "").label("category"),
            sa.func.count().label("events"),
        )
        .where(e.campaign_id.is_not(None))
        .group_by(day, e.campaign_id, e.event, e.bounce_type, e.reason, e.bounce_category)
    )


def domain_select(month):
    c, k = schema.contacts.c, schema.campaigns.c
    month = month.label("month")
    bounced = e.event == "bounced"
    return (
        sa.select(
            month,
            k.origin,
            c.email_domain.label("domain"),
            sa.func.count().label("sends"),
            sa.func.sum(sa.case((bounced, 1), else_=0)).label("bounced"),
        )
        .select_from(
            schema.email_events.join(schema.contacts, c.id == e.contact_id).join(
                schema.campaigns, k.id == e.campaign_id
            )
        )
        .where(e.event.in_(("delivered", "bounced")))
        .group_by(month, k.origin, c.email_domain)
    )


def _fill(conn, name: str, query) -> tuple[float, int, int]:
    """(seconds to fill a temporary table from `query`, its rows, the events it counts)."""
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
    started = time.perf_counter()
    conn.execute(sa.text(f"CREATE TEMPORARY TABLE {name} AS {compiled}"))
    seconds = time.perf_counter() - started
    rows = conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one()
    column = "events" if name.startswith("daily") else "sends"
    total = conn.execute(sa.text(f"SELECT SUM({column}) FROM {name}")).scalar_one()
    return seconds, rows, int(total or 0)


def measure(conn, zone: ZoneInfo) -> dict:
    low, high = conn.execute(
        sa.select(sa.func.min(e.occurred_at), sa.func.max(e.occurred_at))
    ).one()
    span = tuple(
        (v if isinstance(v, datetime) else datetime.fromisoformat(v)).replace(tzinfo=UTC)
        for v in (low, high)
    )
    out = {
        "events": conn.execute(
            sa.select(sa.func.count()).select_from(schema.email_events)
        ).scalar_one()
    }
    for label, z in (("utc", None), ("local", zone)):
        day, month = day_and_month(conn.dialect.name, z, span)
        for table, query in (("daily", daily_select(day)), ("domain", domain_select(month))):
            seconds, rows, total = _fill(conn, f"{table}_{label}", query)
            out[f"{table}_{label}"] = {"s": round(seconds, 2), "rows": rows, "counted": total}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rollup_zone", description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--zone", default="America/Mexico_City")
    args = parser.parse_args(argv)
    zone = ZoneInfo(args.zone)
    cache: dict = {}
    results = {}
    for kind in args.engines.split(","):
        engine, _build = prepare_world(kind, args.contacts, args.seed, cache)
        with engine.connect() as conn:
            results[kind] = measure(conn, zone)
        engine.dispose()
        r = results[kind]
        print(f"{kind}: {r['events']:,} events")
        for name in ("daily_utc", "daily_local", "domain_utc", "domain_local"):
            m = r[name]
            print(
                f"  {name:<14} {m['s']:8.2f} s  {m['rows']:>9,} rows  {m['counted']:>12,} counted"
            )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "rollup_zone.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
