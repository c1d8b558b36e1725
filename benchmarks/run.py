"""Rastro's performance harness: `python -m benchmarks [--engines sqlite,postgresql] ...`.

Builds (or reuses) the demo world at benchmark scale on each engine, then measures, on one
kept-open connection, the data of the contact card and the search box (median and p95 over
many random contacts and terms), beside the naive way (pandas `read_sql` of the whole table,
then filtering in Python), as ratios from the same run. Prints a table and writes JSON to
`benchmarks/results/`. The blocked-contacts list is measured by `benchmarks.blocks` (also
alone: `python -m benchmarks.blocks --contacts 100000`).
"""

import argparse
import json
import os
import random
import re
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

import data_access as da
from data_access import demo, migrate, reports
from data_access.cli import database_size
from data_access.engine import make_engine
from data_access.text import fold

from .browser import measure_card_page

HERE = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("RASTRO_BENCH_DATA") or HERE / "data")
# worlds of several checkouts side by side: a prefix of their own for databases and files
# (it names a PostgreSQL database in CREATE/DROP DATABASE: letters, digits and _ only).
WORLD_PREFIX = os.environ.get("RASTRO_BENCH_PREFIX", "rastro_bench")
if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", WORLD_PREFIX):
    raise SystemExit("RASTRO_BENCH_PREFIX: solo minúsculas, cifras y _ (hasta 31 caracteres).")
RESULTS_DIR = HERE / "results"
PUBLISHED_DIR = HERE.parent / "docs" / "growth"  # the charts the README shows
UNTIL = date(2026, 11, 26)  # fixed, so that a built world can be reused across days
BUDGETS_MS = {
    "card": 20.0,
    "search_prefix": 10.0,
    "search_substring": 10.0,
    "card_page_browser": 500.0,  # issue 13 (was 1,000)
    "report_90d": 150.0,
    "report_365d": 300.0,
    "blocks_counts": 50.0,
    "blocks_page": 20.0,
}
POSTGRES_ADMIN_URL = os.environ.get(
    "RASTRO_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


# --- the world ------------------------------------------------------------------------------


def _world_url(kind: str, contacts: int, seed: int, fresh: bool) -> str:
    """The world's database; `fresh` drops it first (far faster than deleting 20M rows)."""
    name = f"{WORLD_PREFIX}_{contacts}_{seed}"
    if kind == "sqlite":
        path = DATA_DIR / (name + ".sqlite3")
        if fresh:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if fresh:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _build_info_path(kind: str, contacts: int, seed: int) -> Path:
    return DATA_DIR / f"build-{WORLD_PREFIX}-{kind}-{contacts}-{seed}.json"


def prepare_world(
    kind: str, contacts: int, seed: int, cache: dict, rebuild: bool = False
) -> tuple[sa.Engine, dict]:
    """An engine on the benchmark world for `kind`, building it when it is missing."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    engine = make_engine(_world_url(kind, contacts, seed, fresh=rebuild))
    migrate.upgrade(engine)
    info_path = _build_info_path(kind, contacts, seed)
    with engine.connect() as conn:
        have = conn.execute(sa.text("SELECT COUNT(*) FROM contacts")).scalar_one()
    if have == contacts and info_path.exists() and not rebuild:
        info = json.loads(info_path.read_text())
        info["reused"] = True
        return engine, info
    if "world" not in cache:
        started = time.perf_counter()
        cache["world"] = demo.generate(contacts, seed=seed, until=UNTIL)
        cache["generate_s"] = time.perf_counter() - started
    world = cache["world"]
    print(f"[{kind}] cargando {world.events.height:,} eventos…", flush=True)
    started = time.perf_counter()
    demo.load(engine, world)
    info = {
        "engine": kind,
        "contacts": world.contacts.height,
        "events": world.events.height,
        "generate_s": round(cache["generate_s"], 1),
        "load_s": round(time.perf_counter() - started, 1),
        "size_mib": round(database_size(engine) / 1024**2, 1),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    info_path.write_text(json.dumps(info, indent=2))
    info["reused"] = False
    return engine, info


# --- timing ---------------------------------------------------------------------------------


def timed(fn, *args, **kwargs) -> float:
    started = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - started) * 1000


def summary(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(p95, 3),
        "max_ms": round(ordered[-1], 3),
    }


def pick_contacts(conn, contacts: int, samples: int, rng: random.Random) -> list[int]:
    ids = [rng.randint(1, contacts) for _ in range(samples)]
    heaviest = (
        conn.execute(
            sa.text(
                "SELECT contact_id FROM email_events GROUP BY contact_id ORDER BY COUNT(*) DESC LIMIT 3"
            )
        )
        .scalars()
        .all()
    )
    return ids + list(heaviest)


def pick_terms(conn, contacts: int, count: int, rng: random.Random) -> dict[str, list[str]]:
    """Realistic terms: starts of names and addresses; pieces from inside them (3-6 chars)."""
    ids = [rng.randint(1, contacts) for _ in range(count)]
    rows = conn.execute(
        sa.text("SELECT name, email FROM contacts WHERE id IN (SELECT value FROM json_each(:ids))")
        if conn.dialect.name == "sqlite"
        else sa.text("SELECT name, email FROM contacts WHERE id = ANY(:ids)"),
        {"ids": json.dumps(ids) if conn.dialect.name == "sqlite" else ids},
    ).all()
    prefix, substring = [], []
    for name, email in rows:
        text = rng.choice([name, email])
        prefix.append(text[: rng.randint(1, 8)])
        source = fold(rng.choice([name.split()[-1], email.split("@")[0], email.split("@")[-1]]))
        size = min(len(source), rng.randint(3, 6))
        start = rng.randint(0, len(source) - size)
        substring.append(source[start : start + size])
    return {"search_prefix": prefix, "search_substring": substring}


def measure_engine(kind: str, engine: sa.Engine, contacts: int, args, rng) -> dict:
    results = {}
    with engine.connect() as conn:
        ids = pick_contacts(conn, contacts, args.samples, rng)
        for contact_id in ids[:20]:  # warm the caches the way a running app has them
            da.contact_card(conn, contact_id)
        card = [timed(da.contact_card, conn, contact_id) for contact_id in ids]
        results["card"] = summary(card)
        results["card"]["heaviest_contact_ms"] = round(max(card[-3:]), 3)
        terms = pick_terms(conn, contacts, args.terms, rng)
        for name, words in terms.items():
            results[name] = summary([timed(da.search_contacts, conn, w) for w in words])
        for days in (90, 365):
            filters = [
                reports.ReportFilter(
                    UNTIL - timedelta(days=days - 1 + shift), UNTIL - timedelta(days=shift)
                )
                for shift in (rng.randint(0, 20) for _ in range(args.report_samples))
            ]
            reports.report(conn, filters[0])  # warm
            results[f"report_{days}d"] = summary([timed(reports.report, conn, f) for f in filters])
            # where the time goes: each query of the page on its own (medians)
            results[f"report_{days}d"]["queries_median_ms"] = {
                fn.__name__: summary([timed(fn, conn, f) for f in filters])["median_ms"]
                for fn in (reports.campaign_totals, reports.notices_by_day, reports.domain_ranking)
            }
        from .blocks import measure_blocks  # it imports this module's helpers

        blocks_results = measure_blocks(conn, rng, args.samples, args.naive)
        results.update({k: blocks_results[k] for k in ("blocks_counts", "blocks_page")})
        if args.naive:
            results["naive"] = measure_naive(conn, ids[0], terms)
    if args.browser_samples:
        print(f"[{kind}] midiendo la ficha en Chromium…", flush=True)
        page_ms = measure_card_page(engine, contacts, args.browser_samples, rng, RESULTS_DIR)
        results["card_page_browser"] = summary(page_ms)
    for name, budget in BUDGETS_MS.items():
        if name not in results:
            continue
        entry = results[name]
        entry["budget_ms"] = budget
        entry["within_budget"] = entry["p95_ms"] <= budget
    if args.naive:
        naive = results["naive"]
        for days in (90, 365):
            key = f"report_{days}d"
            results[key]["naive_ms"] = naive[key]
            results[key]["naive_ratio"] = round(naive[key] / results[key]["median_ms"])
        results["card"]["naive_ms"] = naive["card_ms"]
        results["card"]["naive_ratio"] = round(naive["card_ms"] / results["card"]["median_ms"])
        for name in ("search_prefix", "search_substring"):
            results[name]["naive_ms"] = naive["search_ms"]
            results[name]["naive_ratio"] = round(naive["search_ms"] / results[name]["median_ms"])
    return results


def measure_naive(conn, contact_id: int, terms: dict) -> dict:
    """The naive way: read the whole table with pandas, then filter in Python."""

    def card():
        frames = pd.read_sql("SELECT * FROM email_events", conn, chunksize=500_000)
        mine = pd.concat(f[f["contact_id"] == contact_id] for f in frames)
        return mine.sort_values("occurred_at", ascending=False)

    def search(term):
        people = pd.read_sql("SELECT id, name, email FROM contacts", conn)
        term = term.lower()
        hit = people["name"].str.lower().str.contains(term, regex=False) | people[
            "email"
        ].str.contains(term, regex=False)
        return people[hit].head(20)

    def report(days):
        start = datetime.combine(UNTIL - timedelta(days=days - 1), datetime.min.time(), tzinfo=UTC)
        window = pd.read_sql(
            sa.text(
                "SELECT e.occurred_at, e.event, e.bounce_type, e.reason, e.campaign_id, "
                "c.origin FROM email_events e JOIN campaigns c ON c.id = e.campaign_id "
                "WHERE e.occurred_at >= :start"
            ),
            conn,
            params={"start": start},
        )
        window["day"] = pd.to_datetime(window["occurred_at"], utc=True).dt.date
        window.groupby(["day", "origin", "event"]).size()
        window[window["event"] == "not_sent"].groupby(["reason", "origin"]).size()
        window.groupby(["campaign_id", "event"]).size()

    print("  forma ingenua: leyendo email_events completa…", flush=True)
    card_ms = timed(card)
    search_ms = statistics.median(timed(search, t) for t in terms["search_substring"][:3])
    return {
        "card_ms": round(card_ms, 1),
        "search_ms": round(search_ms, 1),
        "report_90d": round(timed(report, 90), 1),
        "report_365d": round(timed(report, 365), 1),
    }


# --- report ---------------------------------------------------------------------------------


def print_table(report: dict) -> None:
    print()
    print(
        f"{'engine':<11}{'measure':<18}{'median ms':>10}{'p95 ms':>9}{'budget':>8}"
        f"{'naive ms':>11}{'ratio':>8}"
    )
    for kind, data in report["engines"].items():
        for name in BUDGETS_MS:
            if name not in data["results"]:
                continue
            m = data["results"][name]
            naive = f"{m['naive_ms']:,.0f}" if "naive_ms" in m else "-"
            ratio = f"{m['naive_ratio']:,}x" if "naive_ratio" in m else "-"
            flag = "" if m["within_budget"] else "  FUERA"
            print(
                f"{kind:<11}{name:<18}{m['median_ms']:>10.2f}{m['p95_ms']:>9.2f}"
                f"{m['budget_ms']:>8.0f}{naive:>11}{ratio:>8}{flag}"
            )
        build = data["build"]
        print(
            f"{kind:<11}world: {build['contacts']:,} contacts, {build['events']:,} events, "
            f"generate {build['generate_s']} s, load {build['load_s']} s, "
            f"{build['size_mib']:,} MiB{' (reused)' if build.get('reused') else ''}"
        )


def measure_size(contacts: int, args, rng: random.Random) -> dict:
    """Build or reuse the world of `contacts` contacts on every engine and measure it."""
    cache: dict = {}
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "contacts": contacts,
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        "engines": {},
    }
    for kind in args.engines.split(","):
        engine, build = prepare_world(
            kind, contacts, args.seed, cache, rebuild=kind in args.rebuild.split(",")
        )
        print(f"[{kind}] {contacts:,} contactos: midiendo…", flush=True)
        results = measure_engine(kind, engine, contacts, args, rng)
        report["engines"][kind] = {"build": build, "results": results}
        engine.dispose()
    report["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return report


def growth(sizes: list[int], args, rng: random.Random) -> dict:
    """The growth run: every size measured as `measure_size` does, one JSON, one chart per
    measure (benchmarks/results/growth-*.png; `--publish` copies them to docs/growth/)."""
    from .growth_charts import save_charts

    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sizes": sizes,
        "prefix": WORLD_PREFIX,
        "runs": [],
    }
    out = RESULTS_DIR / "growth-latest.json"
    for contacts in sizes:
        run = measure_size(contacts, args, rng)
        report["runs"].append(run)
        print_table(run)
        out.write_text(json.dumps(report, indent=2))  # kept after every size
    stamp = report["measured_at"].replace(":", "").replace("-", "")
    (RESULTS_DIR / f"growth-{stamp}.json").write_text(json.dumps(report, indent=2))
    print(f"\nJSON: {out}")
    charts = save_charts(report, RESULTS_DIR)
    if args.publish:
        PUBLISHED_DIR.mkdir(parents=True, exist_ok=True)
        charts = save_charts(report, PUBLISHED_DIR)
        (PUBLISHED_DIR / "growth.json").write_text(json.dumps(report, indent=2))
    for path in charts:
        print(f"gráfico: {path}")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument(
        "--sizes",
        default="",
        help="the growth run: comma-separated numbers of contacts (e.g. 100000,300000,1000000)",
    )
    parser.add_argument(
        "--publish",
        action="store_true",
        help="with --sizes: also write the charts and the JSON to docs/growth/ (the README's)",
    )
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--samples", type=int, default=500, help="random contacts for the card")
    parser.add_argument("--terms", type=int, default=300, help="search terms of each kind")
    parser.add_argument("--rebuild", default="", help="engines whose world is built again")
    parser.add_argument(
        "--report-samples", type=int, default=30, help="report timings per range (90 and 365 days)"
    )
    parser.add_argument(
        "--browser-samples",
        type=int,
        default=40,
        help="card page timings in Chromium (0 skips them)",
    )
    parser.add_argument(
        "--no-naive",
        dest="naive",
        action="store_false",
        help="skip the naive pandas way (it reads whole tables)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    if args.sizes:
        growth([int(size) for size in args.sizes.split(",")], args, rng)
        return 0
    report = measure_size(args.contacts, args, rng)
    print_table(report)
    out = RESULTS_DIR / "latest.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"\nJSON: {out}")
    return 0
