"""Report rollups, kept exact as events arrive.

- `daily_rollup`: events per day × campaign × event × bounce type × reason × bounce
  category. A year is tens of thousands of rows, whatever the number of events.
- `domain_monthly_rollup`: sends and bounces per month × origin × recipient domain (the
  domain report needs no campaign dimension; by day it would be millions of rows).
- `campaign_monthly_rollup`: `daily_rollup` summed by month (the report reads a range's whole
  months here and only its end days by day); always derived from the daily counts.

Days and months are those of one time zone, stored in the database (`rollup_settings`,
`stored_zone`): "UTC" until `rebuild(conn, zone)` recounts everything in another one
(`python -m data_access rollups rebuild --timezone America/Mexico_City`), so that reports count
the same days as the card shows (RASTRO_TIMEZONE). Every writer reads the stored zone, so an
import can never add to a day of another zone.

`rebuild` computes them from every event in SQL. Imports call `add_new_events`, the same
counts computed in memory from the events they just stored, added to the rows already there
(events are never updated, only added); their tests compare the result with `rebuild`, the
oracle. Whoever adds events calls one of them in the same transaction.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa

from . import bulk, diagnostics, schema, vocab
from .text import email_domain

e, c, k = schema.email_events.c, schema.contacts.c, schema.campaigns.c
UTC_ZONE = "UTC"


def stored_zone(conn: sa.Connection) -> str:
    """The IANA name of the time zone the rollups count days in ("UTC" when none is set)."""
    zone = conn.execute(sa.select(schema.rollup_settings.c.timezone)).scalar()
    return zone or UTC_ZONE


def _store_zone(conn: sa.Connection, zone: str) -> None:
    conn.execute(schema.rollup_settings.delete())
    conn.execute(schema.rollup_settings.insert(), {"id": 1, "timezone": zone})


def zone_offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(from this UTC instant, the zone's UTC offset in seconds)] over [start, end]: the
    zone's transitions in that span (zoneinfo does not list them; found to the second)."""

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())

    found = [(start, offset(start))]
    moment = start
    while moment < end:
        step = min(moment + timedelta(hours=6), end)
        if offset(step) != found[-1][1]:
            low, high = moment, step  # the change is in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (low, middle) if offset(middle) == offset(step) else (middle, high)
            found.append((high.replace(microsecond=0), offset(step)))
        moment = step
    return found


def _sqlite_shift(column, zone: ZoneInfo, span: tuple[datetime, datetime]):
    """A `date()`/`strftime()` modifier turning a UTC text column into the zone's local time:
    the zone's offsets over the events' span, newest first (recent events match first)."""
    offsets = zone_offsets(zone, *span)
    if len(offsets) == 1:
        return sa.literal(f"{offsets[0][1]} seconds")
    newest_first = [
        (column >= sa.literal(f"{at:%Y-%m-%d %H:%M:%S}"), sa.literal(f"{seconds} seconds"))
        for at, seconds in reversed(offsets[1:])
    ]
    return sa.case(*newest_first, else_=sa.literal(f"{offsets[0][1]} seconds"))


def _span(conn: sa.Connection) -> tuple[datetime, datetime]:
    low, high = conn.execute(
        sa.select(sa.func.min(e.occurred_at), sa.func.max(e.occurred_at))
    ).one()
    now = datetime.now(UTC)
    return (low or now) - timedelta(days=1), (high or now) + timedelta(days=1)


def local_day_and_month(column, conn: sa.Connection, zone: str):
    """SQL for the calendar day and the first day of the month of a UTC timestamp column in
    `zone` (SQLite: ISO text). SQLite has no time zones: its offsets come from zoneinfo."""
    if conn.dialect.name == "sqlite":
        if zone == UTC_ZONE:
            return sa.func.date(column), sa.func.strftime("%Y-%m-01", column)
        shift = _sqlite_shift(column, ZoneInfo(zone), _span(conn))
        return sa.func.date(column, shift), sa.func.strftime("%Y-%m-01", column, shift)
    local = sa.func.timezone(zone, column)
    return sa.cast(local, sa.Date), sa.cast(sa.func.date_trunc("month", local), sa.Date)


def daily_select(day):
    day = day.label("day")
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


def domain_select(month):
    month = month.label("month")
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


def rebuild(conn: sa.Connection, zone: str | None = None) -> None:
    """Recompute both rollups from every event (`python -m data_access rollups rebuild`), in
    the days of `zone` (an IANA name, which is then stored), or of the stored zone."""
    if zone is None:
        zone = stored_zone(conn)
    else:
        ZoneInfo(zone)  # unknown names fail here, before anything is deleted
        _store_zone(conn, zone)
    conn.execute(schema.daily_rollup.delete())
    conn.execute(schema.domain_monthly_rollup.delete())
    conn.execute(schema.campaign_monthly_rollup.delete())
    day, month = local_day_and_month(e.occurred_at, conn, zone)
    daily = daily_select(day)
    conn.execute(
        schema.daily_rollup.insert().from_select(
            [col.name for col in daily.selected_columns], daily
        )
    )
    domains = domain_select(month)
    conn.execute(
        schema.domain_monthly_rollup.insert().from_select(
            [col.name for col in domains.selected_columns], domains
        )
    )
    monthly = monthly_select(conn)
    conn.execute(
        schema.campaign_monthly_rollup.insert().from_select(
            [col.name for col in monthly.selected_columns], monthly
        )
    )


MONTHLY_KEYS = ("campaign_id", "event", "bounce_type", "reason", "category")


def monthly_select(conn: sa.Connection):
    """`campaign_monthly_rollup` as the sum of `daily_rollup` by month (its days are already
    those of the stored zone)."""
    r = schema.daily_rollup.c
    if conn.dialect.name == "sqlite":
        month = sa.func.strftime("%Y-%m-01", r.day)
    else:
        month = sa.cast(sa.func.date_trunc("month", r.day), sa.Date)
    keys = [r[name] for name in MONTHLY_KEYS]
    return sa.select(month.label("month"), *keys, sa.func.sum(r.events).label("events")).group_by(
        month, *keys
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
    campaign_id, event, bounce_type, reason, bounce_category, c_origin and domain), in the
    days of the stored zone."""
    add_counts(conn, new_event_counts(new, stored_zone(conn)))


def new_event_counts(new: pl.DataFrame, zone: str) -> list[tuple]:
    """What `add_new_events` adds, as (table, counts, added columns), worked out in memory
    only (an import runs it while its connection inserts the events)."""
    local = pl.col("occurred_at").dt.convert_time_zone(zone)
    blank = {name: pl.col(name).fill_null("") for name in ("bounce_type", "reason")}
    daily = (
        new.filter(pl.col("campaign_id").is_not_null())
        .group_by(
            day=local.dt.date(),
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
            month=local.dt.truncate("1mo").dt.date(),
            origin="c_origin",
            domain="domain",
        )
        .agg(
            sends=pl.len(),
            bounced=bounced.sum(),
            hard_bounced=(bounced & (pl.col("bounce_type") == vocab.HARD)).sum(),
        )
    )
    monthly = daily.group_by(pl.col("day").dt.truncate("1mo").alias("month"), *MONTHLY_KEYS).agg(
        pl.col("events").sum()
    )
    return [
        (schema.daily_rollup, daily, ("events",)),
        (schema.campaign_monthly_rollup, monthly, ("events",)),
        (schema.domain_monthly_rollup, domains, ("sends", "bounced", "hard_bounced")),
    ]


def add_counts(conn: sa.Connection, counts: list[tuple]) -> None:
    """Add `new_event_counts` to the rollup tables."""
    for table, frame, added in counts:
        _upsert_counts(conn, table, frame, added)


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
    # COPY into a staging table and one INSERT ... ON CONFLICT DO UPDATE (the keys are unique
    # in `counts`: it is grouped by them).
    bulk.postgresql_copy_insert(
        conn,
        table.name,
        tuple(counts.columns),
        counts,
        f"({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{name} = {table.name}.{name} + excluded.{name}" for name in added),
    )
