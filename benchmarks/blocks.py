"""The blocked-contacts list: `python -m benchmarks.blocks [--contacts 100000] [--engines ...]`.

Counts (`blocks.block_counts`) and one page (`blocks.blocked_page`, 50 rows) on the demo world
of `benchmarks.run` (built or reused the same way), p95 over many samples on one kept-open
connection, beside the naive way (pandas `read_sql` of the status and the contacts, then
filtering, grouping and sorting in pandas) as a ratio from the same run. Budgets (DESIGN.md,
at 1,000,000 contacts): counts ≤ 50 ms, a page ≤ 20 ms. `benchmarks.run` runs the same
measures beside its others; this entry point runs only these (a smaller world: `--contacts`).
"""

import argparse
import json
import random
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from data_access import blocks, demo, vocab
from data_access.blocks import BlockFilter

from . import run

BUDGETS_MS = {
    "blocks_counts": 50.0,
    "blocks_counts_reason": 50.0,
    "blocks_page": 20.0,
    "blocks_page_deep": 20.0,
    "blocks_page_reason": 20.0,
}
# Measured and printed, not budgeted: filters that read the contacts of every blocked row.
EXTRA = ("blocks_counts_domain", "blocks_page_search")
PAGE = 50


def _sample_filters(conn, rng: random.Random, samples: int) -> dict[str, list]:
    total = int(blocks.block_counts(conn)["contacts"].sum())
    pages = max(1, total // PAGE)
    domains = (
        conn.execute(
            sa.text(
                "SELECT c.email_domain FROM contact_status s JOIN contacts c "
                "ON c.id = s.contact_id WHERE s.blocked = :yes GROUP BY c.email_domain "
                "ORDER BY COUNT(*) DESC LIMIT 50"
            ),
            {"yes": True},
        )
        .scalars()
        .all()
    )
    names = blocks.blocked_page(conn, limit=200)["name"].to_list() or ["x"]
    reasons = [(r,) for r in vocab.REASONS] + [(vocab.PREVIOUS_BOUNCE, vocab.UNSUBSCRIBED_REASON)]
    return {
        "offsets": [rng.randrange(pages) * PAGE for _ in range(samples)],
        "reasons": [BlockFilter(reasons=rng.choice(reasons)) for _ in range(samples)],
        "domains": [
            BlockFilter(domain=rng.choice(domains or ["example.com"])) for _ in range(samples)
        ],
        "searches": [BlockFilter(search=rng.choice(names).split()[-1][:5]) for _ in range(samples)],
        "total": total,
    }


def _vacuum(conn) -> None:
    """PostgreSQL: what autovacuum does to a live table soon after a bulk load (the visibility
    map lets the list's index serve an OFFSET without reading the table)."""
    if conn.dialect.name != "postgresql":
        return
    with conn.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as other:
        other.exec_driver_sql("VACUUM ANALYZE contact_status")


def measure_blocks(conn, rng: random.Random, samples: int, naive: bool) -> dict:
    """The measures above on `conn` (results keyed as in BUDGETS_MS and EXTRA)."""
    _vacuum(conn)
    picked = _sample_filters(conn, rng, samples)
    timed, summary = run.timed, run.summary
    for _ in range(5):  # warm the caches the way a running app has them
        blocks.block_counts(conn)
        blocks.blocked_page(conn)
    results = {
        "blocks_counts": summary([timed(blocks.block_counts, conn) for _ in range(samples)]),
        "blocks_counts_reason": summary(
            [timed(blocks.block_counts, conn, f) for f in picked["reasons"]]
        ),
        "blocks_page": summary([timed(blocks.blocked_page, conn) for _ in range(samples)]),
        "blocks_page_deep": summary(
            [timed(blocks.blocked_page, conn, BlockFilter(), offset=o) for o in picked["offsets"]]
        ),
        "blocks_page_reason": summary(
            [timed(blocks.blocked_page, conn, f) for f in picked["reasons"]]
        ),
        "blocks_counts_domain": summary(
            [timed(blocks.block_counts, conn, f) for f in picked["domains"][: samples // 4 + 1]]
        ),
        "blocks_page_search": summary(
            [timed(blocks.blocked_page, conn, f) for f in picked["searches"][: samples // 4 + 1]]
        ),
    }
    results["blocks_counts"]["blocked_contacts"] = picked["total"]
    for name, budget in BUDGETS_MS.items():
        results[name]["budget_ms"] = budget
        results[name]["within_budget"] = results[name]["p95_ms"] <= budget
    if naive:
        counts_ms, page_ms = measure_naive(conn)
        for name in results:
            way = counts_ms if "counts" in name else page_ms
            results[name]["naive_ms"] = round(way, 1)
            results[name]["naive_ratio"] = round(way / results[name]["median_ms"])
    return results


def measure_naive(conn) -> tuple[float, float]:
    """Counts and the first page the naive way: read the tables with pandas, then compute."""
    read = (
        "SELECT s.*, c.name, c.email FROM contact_status s JOIN contacts c ON c.id = s.contact_id"
    )

    def counts():
        frame = pd.read_sql(read, conn)
        return frame[frame["blocked"].astype(bool)].groupby(["reason", "cause_origin"]).size()

    def page():
        frame = pd.read_sql(read, conn)
        blocked = frame[frame["blocked"].astype(bool)]
        return blocked.sort_values(["since", "contact_id"], ascending=False).head(PAGE)

    return run.timed(counts), run.timed(page)


def print_table(report: dict) -> None:
    print()
    print(
        f"{'engine':<11}{'measure':<22}{'median ms':>10}{'p95 ms':>9}{'budget':>8}"
        f"{'naive ms':>11}{'ratio':>8}"
    )
    for kind, data in report["engines"].items():
        for name, m in data["results"].items():
            budget = f"{m['budget_ms']:.0f}" if "budget_ms" in m else "-"
            naive = f"{m['naive_ms']:,.0f}" if "naive_ms" in m else "-"
            ratio = f"{m['naive_ratio']:,}x" if "naive_ratio" in m else "-"
            flag = "  FUERA" if m.get("within_budget") is False else ""
            print(
                f"{kind:<11}{name:<22}{m['median_ms']:>10.2f}{m['p95_ms']:>9.2f}{budget:>8}"
                f"{naive:>11}{ratio:>8}{flag}"
            )
        build, blocked = data["build"], data["results"]["blocks_counts"]["blocked_contacts"]
        print(
            f"{kind:<11}world: {build['contacts']:,} contacts ({blocked:,} blocked), "
            f"{build['events']:,} events{' (reused)' if build.get('reused') else ''}"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.blocks", description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--rebuild", default="", help="engines whose world is built again")
    parser.add_argument("--no-naive", dest="naive", action="store_false")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    cache: dict = {}
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "contacts": args.contacts,
        "engines": {},
    }
    for kind in args.engines.split(","):
        engine, build = run.prepare_world(
            kind, args.contacts, args.seed, cache, rebuild=kind in args.rebuild.split(",")
        )
        print(f"[{kind}] midiendo la lista de bloqueados…", flush=True)
        with engine.connect() as conn:
            results = measure_blocks(conn, rng, args.samples, args.naive)
        report["engines"][kind] = {"build": build, "results": results}
        engine.dispose()
    print_table(report)
    run.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = run.RESULTS_DIR / f"blocks-{args.contacts}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
