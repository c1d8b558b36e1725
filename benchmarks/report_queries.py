"""The report page's queries, the old way and the new, on one database in the same run:
`python -m benchmarks.report_queries URL [URL ...] [--samples 30]`.

"Old" is the code before migration 0012 (campaign totals grouped over every daily row of the
range with the campaigns joined per row; the domain threshold summed over every domain row of
the months and the ranking over all of them), kept here verbatim as the baseline. Each sample
is a random 90- or 365-day range ending up to 20 days before the world's end; the old and new
functions alternate on the same ranges, so the machine's load hits both alike. Prints the load
average beside medians and p95 and writes benchmarks/results/report_queries.json. Read-only:
the database must already be at revision 0012.
"""

import argparse
import json
import os
import random
from datetime import timedelta

import sqlalchemy as sa

from data_access import reports, schema
from data_access.engine import make_engine

from .run import RESULTS_DIR, UNTIL, summary, timed


def old_campaign_totals(conn, f):
    r, k = schema.daily_rollup.c, schema.campaigns.c
    keys = (r.campaign_id, k.name, k.origin, r.event, r.bounce_type, r.reason, r.category)
    query = (
        sa.select(*keys, sa.func.sum(r.events))
        .select_from(schema.daily_rollup.join(schema.campaigns, k.id == r.campaign_id))
        .where(r.day >= f.start, r.day <= f.end)
        .group_by(*keys)
    )
    if f.origin:
        query = query.where(k.origin == f.origin)
    return conn.execute(query).all()


def old_domain_ranking(conn, f, top=15):
    d = schema.domain_monthly_rollup.c
    where = [d.month >= f.start.replace(day=1), d.month <= f.end.replace(day=1)]
    if f.origin:
        where.append(d.origin == f.origin)
    total = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(d.sends), 0)).where(*where)
    ).scalar_one()
    min_sends = reports.min_domain_sends(int(total))
    query = (
        sa.select(
            d.domain, sa.func.sum(d.sends), sa.func.sum(d.bounced), sa.func.sum(d.hard_bounced)
        )
        .where(*where)
        .group_by(d.domain)
        .having(sa.func.sum(d.sends) >= min_sends)
        .order_by(
            (sa.func.sum(d.bounced) * 1.0 / sa.func.sum(d.sends)).desc(),
            sa.func.sum(d.sends).desc(),
            d.domain,
        )
        .limit(top)
    )
    return conn.execute(query).all()


def old_report(conn, f):
    old_campaign_totals(conn, f)
    reports.notices_by_day(conn, f)
    old_domain_ranking(conn, f)


PAIRS = {
    "campaign_totals": (old_campaign_totals, reports.campaign_totals),
    "domain_ranking": (old_domain_ranking, reports.domain_ranking),
    "report": (old_report, reports.report),
}


def measure(url: str, samples: int, rng: random.Random) -> dict:
    engine = make_engine(url)
    out = {"loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    with engine.connect() as conn:
        for days in (90, 365):
            filters = [
                reports.ReportFilter(
                    UNTIL - timedelta(days=days - 1 + shift), UNTIL - timedelta(days=shift)
                )
                for shift in (rng.randint(0, 20) for _ in range(samples))
            ]
            for name, (old, new) in PAIRS.items():
                old(conn, filters[0]), new(conn, filters[0])  # warm
                times = {"old": [], "new": []}
                for f in filters:
                    times["old"].append(timed(old, conn, f))
                    times["new"].append(timed(new, conn, f))
                entry = {way: summary(ts) for way, ts in times.items()}
                entry["median_ratio"] = round(
                    entry["old"]["median_ms"] / max(entry["new"]["median_ms"], 1e-6), 1
                )
                out[f"{name}_{days}d"] = entry
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    engine.dispose()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report_queries")
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args(argv)
    rng = random.Random(13)
    results = {}
    for url in args.urls:
        name = sa.make_url(url).render_as_string(hide_password=True)
        results[name] = found = measure(url, args.samples, rng)
        print(f"\n{name}  load {found['loadavg_before']} → {found['loadavg_after']}")
        print(f"{'query':<22}{'old med':>9}{'old p95':>9}{'new med':>9}{'new p95':>9}{'ratio':>7}")
        for key, entry in found.items():
            if key.startswith("loadavg"):
                continue
            o, n = entry["old"], entry["new"]
            print(
                f"{key:<22}{o['median_ms']:>9.1f}{o['p95_ms']:>9.1f}{n['median_ms']:>9.1f}"
                f"{n['p95_ms']:>9.1f}{entry['median_ratio']:>6.1f}x"
            )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "report_queries.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
