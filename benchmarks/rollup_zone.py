"""What counting report days in RASTRO_TIMEZONE instead of UTC would cost:
`python -m benchmarks.rollup_zone [--contacts N] [--engines sqlite,postgresql]`.

On the benchmark world (built or reused as `python -m benchmarks` does), times the statements
of `rollups.rebuild` for both rollups keyed by UTC days and months and by the local days and
months of a time zone (`rollups.local_day_and_month`):
- PostgreSQL: `timezone(zone, occurred_at)` (its own tz database);
- SQLite, which has no time zones: the zone's UTC offsets over the events' span, from
  Python's zoneinfo, as a CASE over the instant, newest first.
Each statement fills a temporary table (the real rollups are untouched); it also checks that
the local-day rollup holds every event once and counts its rows (what the report queries
read). Prints a table; figures go to benchmarks/results/rollup_zone.json.
"""

import argparse
import json
import time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data_access import demo, rollups, schema

from .run import RESULTS_DIR, prepare_world

e = schema.email_events.c


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


def measure(conn, zone: str) -> dict:
    count = sa.select(sa.func.count()).select_from(schema.email_events)
    out = {"zone": zone, "events": conn.execute(count).scalar_one()}
    for label, name in (("utc", rollups.UTC_ZONE), ("local", zone)):
        started = time.perf_counter()
        day, month = rollups.local_day_and_month(e.occurred_at, conn, name)
        out[f"sql_{label}_s"] = round(time.perf_counter() - started, 2)  # SQLite: the span
        for table, query in (
            ("daily", rollups.daily_select(day)),
            ("domain", rollups.domain_select(month)),
        ):
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
    zone = ZoneInfo(args.zone).key
    cache: dict = {}
    results = {}
    for kind in args.engines.split(","):
        engine, _build = prepare_world(kind, args.contacts, args.seed, cache)
        with engine.connect() as conn:
            results[kind] = measure(conn, zone)
        engine.dispose()
        r = results[kind]
        print(f"{kind}: {r['events']:,} events, {zone}")
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
