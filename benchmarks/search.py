"""The search box on a benchmark world, the way before migration 0011 against this one, on the
same terms in the same run.

When the database is still at revision 0010: the search as it was (SQLite: the positional
FTS5 index; PostgreSQL: the trigram index over keys without punctuation, LIMIT over a bitmap
scan), then migration 0011 (timed: it rebuilds both indexes from every contact), then the
search as it is (SQLite: the candidate index and the check; PostgreSQL: the first pages, then
the index over keys with punctuation marked). Alone (the substring look-up) and inside the
whole search (`search_contacts`), prefix and substring terms as `benchmarks.run` picks them.
Give it a copy of a world (the migration changes the database).

`python -m benchmarks.search --url URL [--url URL ...] [--terms 300]`, or without --url the
worlds of `benchmarks.run` (`RASTRO_BENCH_PREFIX`, `RASTRO_BENCH_DATA`, --contacts, --seed).
Prints medians and p95 with the load average and writes `benchmarks/results/search.json`.
"""

import argparse
import json
import os
import random
import re
import time
from contextlib import contextmanager

import sqlalchemy as sa

import data_access as da
from data_access import demo, migrate, queries
from data_access.engine import make_engine

from .run import DATA_DIR, POSTGRES_ADMIN_URL, RESULTS_DIR, WORLD_PREFIX, pick_terms, summary


def _old_substring_ids(conn: sa.Connection, key: str, limit: int) -> list[int]:
    """The substring look-up before migration 0011 (kept here to be measured against)."""
    if conn.dialect.name == "sqlite":
        phrase = '"' + key.replace('"', '""') + '"'
        statement = sa.text(
            "SELECT rowid FROM contacts_search WHERE contacts_search MATCH :phrase LIMIT :limit"
        )
        return list(conn.execute(statement, {"phrase": phrase, "limit": limit}).scalars())
    packed = re.sub("[^a-z0-9]", "", key)  # punctuation removed, as the index was built
    if len(packed) < 3:
        return []
    pattern = f"%{queries._escape_like(key)}%"
    statement = sa.text(
        "SELECT id FROM contacts WHERE (regexp_replace(name_key, '[^a-z0-9]', '', 'g') || ' ' "
        "|| regexp_replace(email_key, '[^a-z0-9]', '', 'g')) LIKE :packed "
        "AND (name_key LIKE :pattern ESCAPE '\\' OR email_key LIKE :pattern ESCAPE '\\') "
        "LIMIT :limit"
    )
    values = {"packed": f"%{packed}%", "pattern": pattern, "limit": limit}
    return list(conn.execute(statement, values).scalars())


@contextmanager
def _substring_way(way):
    kept = queries._substring_ids
    queries._substring_ids = way
    try:
        yield
    finally:
        queries._substring_ids = kept


def _ms(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - started) * 1000


def _search(conn, words, way) -> list[float]:
    with _substring_way(way):
        return [_ms(da.search_contacts, conn, w) for w in words]


def _lookup(conn, words, way) -> list[float]:
    keys = [da.text.fold_query(w) for w in words]
    return [_ms(way, conn, k, 20) for k in keys if len(k) >= 3]


def measure(url: str, contacts: int, terms: int, seed: int) -> dict:
    engine = make_engine(url)
    kind = engine.dialect.name
    result = {"engine": kind, "url": engine.url.render_as_string(), "load_before": os.getloadavg()}
    new_way = queries._substring_ids
    rng = random.Random(seed)
    revision = migrate.current_revision(engine)
    with engine.connect() as conn:
        words = pick_terms(conn, contacts, terms, rng)
    if revision is not None and int(revision) < 11:  # before: the indexes of 0010
        with engine.connect() as conn:
            for w in words["search_substring"][:20]:  # warm
                da.search_contacts(conn, w)
            for name, ws in words.items():
                result[f"before_{name}"] = summary(_search(conn, ws, _old_substring_ids))
            result["before_substring_lookup"] = summary(
                _lookup(conn, words["search_substring"], _old_substring_ids)
            )
        started = time.perf_counter()
        migrate.upgrade(engine)
        result["migration_0011_s"] = round(time.perf_counter() - started, 1)
        print(f"[{kind}] migración 0011: {result['migration_0011_s']} s", flush=True)
    else:
        migrate.upgrade(engine)
    if kind == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE contacts")  # statistics of the new index expression
            conn.commit()
    with engine.connect() as conn:
        for w in words["search_substring"][:20]:  # warm
            da.search_contacts(conn, w)
        for name, ws in words.items():
            result[name] = summary(_search(conn, ws, new_way))
        result["substring_lookup"] = summary(_lookup(conn, words["search_substring"], new_way))
    result["load_after"] = os.getloadavg()
    engine.dispose()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.search", description=__doc__)
    parser.add_argument("--url", action="append", default=[])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    parser.add_argument("--terms", type=int, default=300)
    args = parser.parse_args(argv)
    name = f"{WORLD_PREFIX}_{args.contacts}_{args.seed}"
    urls = args.url or [
        f"sqlite:///{DATA_DIR / (name + '.sqlite3')}",
        sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False),
    ]
    report = {}
    for url in urls:
        found = measure(url, args.contacts, args.terms, args.seed)
        report[found["engine"]] = found
        print(f"[{found['engine']}] carga {found['load_before']} → {found['load_after']}")
        for key, value in found.items():
            if isinstance(value, dict):
                print(
                    f"  {key:<28} mediana {value['median_ms']:8.2f} ms  p95 {value['p95_ms']:8.2f}"
                    f" ms  máx {value['max_ms']:8.1f} ms  (n={value['n']})"
                )
        for measure_name in ("search_prefix", "search_substring", "substring_lookup"):
            before = found.get(f"before_{measure_name}")
            if before and measure_name in found:
                print(
                    f"  {measure_name}: p95 antes/ahora "
                    f"{before['p95_ms'] / max(found[measure_name]['p95_ms'], 1e-9):.1f}×"
                )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "search.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
