"""Report rollups, kept exact as events arrive.

- `daily_rollup`: events per UTC day × campaign × event × bounce type × reason × bounce
  category. A year is tens of thousands of rows, whatever the number of events.
- `domain_monthly_rollup`: sends and bounces per UTC month × origin × recipient domain (the
  domain report needs no campaign dimension; by day it would be millions of rows).

`rebuild` computes both from every event in SQL. Imports call `add_new_events`, the same
counts computed in memory from the events they just stored, added to the rows already there
(events are never updated, only added); their tests compare the result with `rebuild`, the
oracle. Whoever adds events calls one of them in the same transaction.
"""

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from . import bulk, diagnostics, schema, vocab
from .text import email_domain

e, c, k = schema.email_events.c, schema.contacts.c, schema.campaigns.c


def _utc(column, dialect: str):
    return column if dialect == "sqlite" else sa.func.timezone("UTC", column)


def utc_day(column, dialect: str):
    """The UTC calendar day of a UTCDateTime column, as a date (SQLite: ISO text)."""
    if dialect == "sqlite":
        return sa.func.date(column)
    return sa.cast(_utc(column, dialect), sa.Date)


def utc_month(column, dialect: str):
    if dialect == "sqlite":
        return sa.func.strftime("%Y-%m-01", column)
    return sa.cast(sa.func.date_trunc("month", _utc(column, dialect)), sa.Date)


def _daily_select(dialect: str):
    day = utc_day(e.occurred_at, dialect).label("day")
    query = sa.select(
        day,
        e.campaign_id,
        e.event,
        sa.func.coalesce(e.bounce_type, "").label("bounce_type"),
        sa.func.coalesce(e.reason, "").label("reason"),
        sa.func.coalesce(e.bounce_category, "").label("category"),
        sa.func.count().label("events"),
    ).where(e.campaign_id.is_not(None))
    return query.group_by(day, e.campaign_id, e.event, e.bounce_type, e.reason, e.bounce_category)


def _domain_select(dialect: str):
    month = utc_month(e.occurred_at, dialect).label("month")
    bounced = e.event == vocab.BOUNCED
    query = (
        sa.select(
            month,
            k.origin,
            c.email_domain.label("domain"),
            sa.func.count().label("sends"),
            sa.func.sum(sa.case((bounced, 1), else_=0)).label("bounced"),
            sa.func.sum(sa.case((bounced & (e.bounce_type == vocab.HARD), 1), else_=0)).label(
                "hard_bounced"
            ),
        )
        .select_from(
            schema.email_events.join(schema.contacts, c.id == e.contact_id).join(
                schema.campaigns, k.id == e.campaign_id
            )
        )
        .where(e.event.in_((vocab.DELIVERED, vocab.BOUNCED)))
    )
    return query.group_by(month, k.origin, c.email_domain)


def rebuild(conn: sa.Connection) -> None:
    """Recompute both rollups from every event (`python -m data_access rollups rebuild`)."""
    dialect = conn.dialect.name
    conn.execute(schema.daily_rollup.delete())
    conn.execute(schema.domain_monthly_rollup.delete())
    daily = _daily_select(dialect)
    conn.execute(
        schema.daily_rollup.insert().from_select(
            [col.name for col in daily.selected_columns], daily
        )
    )
    domains = _domain_select(dialect)
    conn.execute(
        schema.domain_monthly_rollup.insert().from_select(
            [col.name for col in domains.selected_columns], domains
        )
    )


def _update_in_batches(conn, table: sa.Table, values: dict, rows: list[dict], batch: int):
    """UPDATE table SET <values> WHERE id = :row_id for each row, `batch` rows a statement."""
    statement = table.update().where(table.c.id == sa.bindparam("row_id")).values(**values)
    for start in range(0, len(rows), batch):
        conn.execute(statement, rows[start : start + batch])


def backfill(conn: sa.Connection, batch: int = 50_000) -> None:
    """Fill what revision 0003 added for rows that existed before it (domains, bounce
    categories) with the same functions new rows use, then rebuild the rollups."""
    rows = conn.execute(sa.select(c.id, c.email).where(c.email_domain == "")).all()
    domains = [{"row_id": i, "domain": email_domain(mail)} for i, mail in rows]
    _update_in_batches(
        conn,
        schema.contacts,
        {"email_domain": sa.bindparam("domain")},
        [d for d in domains if d["domain"]],
        batch,
    )
    bounces = conn.execute(
        sa.select(e.id, e.smtp_diagnostic, e.provider_reason).where(
            # the index predicate, so that the notices-only by-event index serves this
            e.event == vocab.BOUNCED,
            sa.text(schema.NOTICES_ONLY_SQL),
            e.bounce_category.is_(None),
        )
    ).all()
    categories = [
        {"row_id": i, "category": diagnostics.bounce_category(text, reason)}
        for i, text, reason in bounces
    ]
    _update_in_batches(
        conn, schema.email_events, {"bounce_category": sa.bindparam("category")}, categories, batch
    )
    rebuild(conn)


def add_new_events(conn: sa.Connection, new: pl.DataFrame) -> None:
    """Count just-stored events into the rollups from memory: what `rebuild` would add for
    them, without reading the events back (imports: `new` holds occurred_at,
    campaign_id, event, bounce_type, reason, bounce_category, c_origin and domain)."""
    blank = {name: pl.col(name).fill_null("") for name in ("bounce_type", "reason")}
    daily = (
        new.filter(pl.col("campaign_id").is_not_null())
        .group_by(
            day=pl.col("occurred_at").dt.date(),
            campaign_id="campaign_id",
            event="event",
            **blank,
            category=pl.col("bounce_category").fill_null(""),
        )
        .agg(events=pl.len())
    )
    bounced = pl.col("event") == vocab.BOUNCED
    domains = (
        new.filter(
            pl.col("campaign_id").is_not_null(),
            pl.col("event").is_in([vocab.DELIVERED, vocab.BOUNCED]),
        )
        .group_by(
            month=pl.col("occurred_at").dt.truncate("1mo").dt.date(),
            origin="c_origin",
            domain="domain",
        )
        .agg(
            sends=pl.len(),
            bounced=bounced.sum(),
            hard_bounced=(bounced & (pl.col("bounce_type") == vocab.HARD)).sum(),
        )
    )
    _upsert_counts(conn, schema.daily_rollup, daily, ("events",))
    _upsert_counts(
        conn, schema.domain_monthly_rollup, domains, ("sends", "bounced", "hard_bounced")
    )


def _upsert_counts(conn, table: sa.Table, counts: pl.DataFrame, added: tuple[str, ...]):
    if not counts.height:
        return
    keys = [col.name for col in table.primary_key.columns]
    if conn.dialect.name == "sqlite":
        # SQLAlchemy's Date is ISO text in SQLite, as date() and strftime() write it.
        text = counts.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
        bulk.sqlite_insert(
            conn,
            table.name,
            tuple(counts.columns),
            text.rows(),
            f"({', '.join(keys)}) DO UPDATE SET "
            + ", ".join(f"{name} = {name} + excluded.{name}" for name in added),
        )
        return
    insert = postgresql.insert(table)
    statement = insert.on_conflict_do_update(
        index_elements=keys, set_={name: table.c[name] + insert.excluded[name] for name in added}
    )
    rows = counts.to_dicts()
    for start in range(0, len(rows), 5_000):
        conn.execute(statement, rows[start : start + 5_000])
