"""Import of the CRM's contact list into SQLite: a 200,000-row contacts CSV (by default) into a
database that holds 100,000 contacts already (made by event imports: no CRM ids, half without a
name), half of the rows updates of those contacts (a new name and a CRM id), half new contacts;
one transaction, statuses and the search index included. Beside it the naive way (one SELECT,
then one INSERT or UPDATE, per row, through SQLAlchemy) on the first rows of the same file, as
a ratio from the same run, and the speed of this machine (the PERF-NOTES reference).

Also, on the database the first import left (in a transaction rolled back), what the SQLite
search index costs: the import's way (one statement that indexes only the new and renamed
contacts) against a full 'rebuild' of the index, and the old way of removing a renamed
contact's entries first (migration 0011 made that unnecessary).

`python -m benchmarks.contacts_import [--rows N] [--naive-rows N] [--repeat N]`
"""

import argparse
import csv
import io
import json
import os
import statistics
import time
from datetime import date
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from data_access import bulk, crm_contacts, demo, migrate, schema
from data_access.engine import make_engine
from data_access.text import email_domain, fold

from .ingest import LAB_REFERENCE_ROWS_PER_S, machine_reference

HERE = Path(__file__).resolve().parent
BUDGET_ROWS_PER_S = 50_000


def worlds(rows: int, *, renamed: bool = True) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the contacts already in the database, the file's rows): demo contacts, so names and
    addresses are realistic (accents, long names, invalid addresses). The updates give every
    known contact a CRM id and, when `renamed`, the CRM's name (else the name it has)."""
    half = rows // 2
    known = demo.generate(half, seed=3, until=date(2026, 11, 26)).contacts
    others = demo.generate(half, seed=4, until=date(2026, 11, 26)).contacts
    known = known.with_columns(
        # contacts made by event imports: every other one has no name yet
        name=pl.when(pl.col("id") % 2 == 0).then(pl.lit("")).otherwise(pl.col("name")),
        crm_id=pl.lit(None, dtype=pl.Utf8),
    ).with_columns(name_key=pl.col("name").map_elements(fold, return_dtype=pl.Utf8))
    updates = known.select(
        "email",
        # a name from the other world: the CRM's own spelling
        (others["name"] if renamed else known["name"]).alias("name"),
        pl.format("CRM-{}", pl.col("id")).alias("crm_id"),
        pl.col("created_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("created_at"),
    )
    new = others.select(
        pl.format("crm{}.{}", pl.col("id"), pl.col("email")).alias("email"),
        "name",
        pl.format("CRM-{}", pl.col("id") + half).alias("crm_id"),
        pl.col("created_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("created_at"),
    )
    # updates and new contacts interleaved, as a CRM export sorted by name would mix them
    rows_frame = pl.concat([updates, new]).sort("name", "email")
    return known, rows_frame


def as_csv(rows: pl.DataFrame) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(rows.columns)
    writer.writerows(rows.iter_rows())
    return buffer.getvalue().encode()


def fresh_database(known: pl.DataFrame) -> sa.Engine:
    """A migrated SQLite database with `known` contacts and their statuses, no events."""
    path = HERE / "data" / "contacts_import.sqlite3"
    path.parent.mkdir(exist_ok=True)
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    statuses = known.select(
        pl.col("id").alias("contact_id"),
        blocked=pl.lit(False),
        reason=pl.lit(None, dtype=pl.Utf8),
        since=pl.lit(None, dtype=pl.Datetime("us", "UTC")),
        cause_event_id=pl.lit(None, dtype=pl.Int64),
        updated_at=pl.col("created_at"),
    )
    with engine.begin() as conn:
        with bulk.indexes_set_aside(conn, (schema.contacts,)):
            bulk.insert_frame(conn, schema.contacts, known.drop("crm_id"))
        bulk.insert_frame(conn, schema.contact_status, statuses)
    with engine.connect() as conn:
        bulk.analyze(conn)
    return engine


def naive(engine: sa.Engine, rows: pl.DataFrame) -> float:
    """Rows per second, one SELECT and then one INSERT or UPDATE per row (a quick script)."""
    c = schema.contacts
    started = time.perf_counter()
    with engine.connect() as conn, conn.begin() as transaction:
        for email, name, crm_id, _created in rows.iter_rows():
            address = email.strip().lower()
            found = conn.execute(sa.select(c.c.id).where(c.c.email == address)).first()
            if found is None:
                conn.execute(
                    c.insert().values(
                        email=address,
                        name=name,
                        email_key=fold(address),
                        name_key=fold(name),
                        email_domain=email_domain(address),
                        crm_id="naive-" + crm_id,
                        created_at=sa.func.current_timestamp(),
                    )
                )
            else:
                conn.execute(
                    c.update()
                    .where(c.c.id == found.id)
                    .values(name=name, name_key=fold(name), crm_id="naive-" + crm_id)
                )
        seconds = time.perf_counter() - started
        transaction.rollback()  # leave the database as it was
    return rows.height / seconds


def index_costs(engine: sa.Engine, known: int) -> dict:
    """Seconds of each way of bringing the search index up to date after an import that
    renamed the `known` contacts and added every contact after them (rolled back)."""
    found = {}
    delta = (
        "INSERT INTO contacts_search(rowid, name_key, email_key) "
        "SELECT id, name_key, email_key FROM contacts"
    )
    ways = {
        "delta": [delta],  # the import's way: new and renamed contacts, in one statement
        "delete_then_delta": [  # before migration 0011: a renamed contact's entries out first
            "INSERT INTO contacts_search(contacts_search, rowid, name_key, email_key) "
            f"SELECT 'delete', id, name_key, email_key FROM contacts WHERE id <= {known}",
            delta,
        ],
        "rebuild": ["INSERT INTO contacts_search(contacts_search) VALUES ('rebuild')"],
    }
    with engine.connect() as conn:
        contacts = conn.exec_driver_sql("SELECT count(*) FROM contacts").scalar_one()
        conn.rollback()
        for name, statements in ways.items():
            with conn.begin() as transaction:
                # the index as the import found it: the known contacts only
                conn.exec_driver_sql(
                    "INSERT INTO contacts_search(contacts_search) VALUES ('delete-all')"
                )
                conn.exec_driver_sql(f"{delta} WHERE id <= {known}")
                started = time.perf_counter()
                for statement in statements:
                    conn.exec_driver_sql(statement)
                found[name] = round(time.perf_counter() - started, 3)
                transaction.rollback()
    found["contacts_in_database"] = contacts
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.contacts_import")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--naive-rows", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the first import")
    args = parser.parse_args(argv)
    print(f"carga de la máquina (1, 5, 15 min): {os.getloadavg()}", flush=True)
    results = {}
    naive_rate = None
    # rename: the brief's file (every update renames: the search index changes for every row);
    # ids: the same file where the updates only give the CRM ids (names as Rastro has them);
    # again: the rename file a second time, every row unchanged.
    for scenario, labels in (("rename", ("first", "again")), ("ids", ("ids_only",))):
        known, rows = worlds(args.rows, renamed=scenario == "rename")
        content = as_csv(rows)
        runs = args.repeat if scenario == "rename" else 1
        for run in range(runs):
            engine = fresh_database(known)
            if naive_rate is None:
                naive_rate = naive(engine, rows.head(args.naive_rows))
            for label in labels if run == runs - 1 else labels[:1]:
                started = time.perf_counter()
                report = crm_contacts.import_contacts_bytes(engine, content, source="crm.csv")
                seconds = time.perf_counter() - started
                rate = report.received / seconds
                entry = results.setdefault(label, {"runs_rows_per_s": []})
                entry["runs_rows_per_s"].append(round(rate))
                entry.update(
                    received=report.received,
                    created=report.created,
                    updated=report.updated,
                    unchanged=report.unchanged,
                    quarantined=report.quarantined,
                    balanced=report.balanced,
                )
                print(
                    f"{label:<8} {report.line()}  →  {rate:,.0f} contactos/s "
                    f"(carga {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
                if label == "first" and run == runs - 1:
                    results["search_index_s"] = index_costs(engine, known.height)
            engine.dispose()
    for label in ("first", "again", "ids_only"):
        entry = results[label]
        rate = statistics.median(entry["runs_rows_per_s"])
        entry.update(
            rows_per_s=round(rate),
            naive_ratio=round(rate / naive_rate, 1),
            within_budget=rate >= BUDGET_ROWS_PER_S,
        )
    reference = machine_reference()
    results["naive_rows_per_s"] = round(naive_rate)
    results["machine"] = {
        "reference_rows_per_s": round(reference),
        "lab_reference_rows_per_s": round(LAB_REFERENCE_ROWS_PER_S),
        "speed_vs_lab": round(reference / LAB_REFERENCE_ROWS_PER_S, 2),
    }
    print(
        f"naive  {naive_rate:,.0f} contactos/s (SELECT + INSERT/UPDATE por fila); ratios "
        + " / ".join(f"{k} {results[k]['naive_ratio']}x" for k in ("first", "again", "ids_only"))
        + "; "
        f"presupuesto ≥ {BUDGET_ROWS_PER_S:,} contactos/s"
    )
    speed = reference / LAB_REFERENCE_ROWS_PER_S
    results["machine"]["first_rows_per_s_at_lab_speed"] = round(
        results["first"]["rows_per_s"] / speed
    )
    results["load_average"] = os.getloadavg()
    index = results["search_index_s"]
    print(
        f"índice de búsqueda tras la primera importación ({index['contacts_in_database']:,} "
        f"contactos): la importación (solo nuevos y renombrados) {index['delta']} s; "
        f"borrando antes lo renombrado {index['delete_then_delta']} s "
        f"({index['delete_then_delta'] / index['delta']:.1f}×); 'rebuild' {index['rebuild']} s "
        f"({index['rebuild'] / index['delta']:.1f}×)"
    )
    print(
        f"máquina referencia de PERF-NOTES: {reference:,.0f} filas/s → {speed:.2f}× la del "
        f"laboratorio; la primera importación a esa velocidad: "
        f"{results['machine']['first_rows_per_s_at_lab_speed']:,} contactos/s; carga "
        f"{os.getloadavg()}"
    )
    out = HERE / "results" / "contacts_import.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
