"""The reports: figures and series for a date range, origin and campaigns, from the rollups.

`daily_counts` reads the filtered daily rollup (SQL does the filtering and the grouping; a
year is a few tens of thousands of rows); the other frames are pure polars computations on it,
so the page, the notebooks and the tests share one definition of every figure. Days are the
calendar days of the rollups' time zone (`rollups.stored_zone`, "UTC" unless a rebuild set
another, RASTRO_TIMEZONE normally); the drill-down counts the same days.

Definitions
- sends = delivered + bounced (each email that reached the provider has one of the two);
- bounce rate = bounced / sends; complaint rate = spam complaints / delivered.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa

from . import rollups, schema, vocab
from .queries import required_id

NOTICE_KINDS = (vocab.BOUNCED, vocab.SPAM_COMPLAINT, vocab.NOT_SENT)

DAILY_SCHEMA = {
    "day": pl.Date,
    "campaign_id": pl.Int64,
    "campaign_name": pl.Utf8,
    "origin": pl.Utf8,
    "event": pl.Utf8,
    "bounce_type": pl.Utf8,  # "" unless bounced
    "reason": pl.Utf8,  # "" unless not_sent
    "category": pl.Utf8,  # "" unless bounced (diagnostics.CATEGORIES)
    "events": pl.Int64,
}
HEADLINE_SCHEMA = {
    "sends": pl.Int64,
    "delivered": pl.Int64,
    "bounced": pl.Int64,
    "hard_bounced": pl.Int64,
    "soft_bounced": pl.Int64,
    "undetermined_bounced": pl.Int64,
    "spam_complaints": pl.Int64,
    "not_sent": pl.Int64,
    "bounce_rate": pl.Float64,
    "complaint_rate": pl.Float64,
}
TIMELINE_SCHEMA = {"period": pl.Date, "origin": pl.Utf8, "kind": pl.Utf8, "events": pl.Int64}
REASONS_SCHEMA = {"origin": pl.Utf8, "reason": pl.Utf8, "events": pl.Int64}
CATEGORIES_SCHEMA = {
    "origin": pl.Utf8,
    "bounce_type": pl.Utf8,
    "category": pl.Utf8,
    "events": pl.Int64,
}
CAMPAIGNS_SCHEMA = {
    "campaign_id": pl.Int64,
    "campaign_name": pl.Utf8,
    "origin": pl.Utf8,
    "sends": pl.Int64,
    "delivered": pl.Int64,
    "bounced": pl.Int64,
    "spam_complaints": pl.Int64,
    "bounce_rate": pl.Float64,
    "complaint_rate": pl.Float64,
}
DOMAINS_SCHEMA = {
    "domain": pl.Utf8,
    "sends": pl.Int64,
    "bounced": pl.Int64,
    "hard_bounced": pl.Int64,
    "bounce_rate": pl.Float64,
}
AFFECTED_SCHEMA = {
    "contact_id": pl.Int64,
    "name": pl.Utf8,
    "email": pl.Utf8,
    "last_at": pl.Datetime("us", "UTC"),
    "events": pl.Int64,
    # the contact's current status (contact_status): null when it was never evaluated
    "blocked": pl.Boolean,
    "block_reason": pl.Utf8,  # vocab.REASONS, null unless blocked
}


@dataclass(frozen=True)
class ReportFilter:
    """A date range (inclusive days of the rollups' time zone), optionally one origin and some
    campaigns/flows."""

    start: date
    end: date
    origin: str | None = None
    campaign_ids: tuple[int, ...] = ()

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("la fecha final es anterior a la inicial")
        if self.origin not in (None, *vocab.ORIGINS):
            raise ValueError(f"origen desconocido: {self.origin}")
        if not isinstance(self.campaign_ids, tuple):
            raise ValueError(f"campaign_ids debe ser una tupla de ids, no {self.campaign_ids!r}")
        for campaign_id in self.campaign_ids:
            required_id(campaign_id, "de la campaña")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def grain(self) -> str:
        """Days for up to ~3 months, weeks beyond (so a year is 53 bars, not 365)."""
        return "day" if self.days <= 92 else "week"


def _campaign_filter(query, f: ReportFilter, origin_col, campaign_col):
    if f.origin:
        query = query.where(origin_col == f.origin)
    if f.campaign_ids:
        query = query.where(campaign_col.in_(list(f.campaign_ids)))
    return query


def daily_counts(conn: sa.Connection, f: ReportFilter) -> pl.DataFrame:
    """The daily rollup rows in the filter; schema DAILY_SCHEMA."""
    r, k = schema.daily_rollup.c, schema.campaigns.c
    query = (
        sa.select(
            r.day,
            r.campaign_id,
            k.name,
            k.origin,
            r.event,
            r.bounce_type,
            r.reason,
            r.category,
            r.events,
        )
        .select_from(schema.daily_rollup.join(schema.campaigns, k.id == r.campaign_id))
        .where(r.day >= f.start, r.day <= f.end)
    )
    query = _campaign_filter(query, f, k.origin, r.campaign_id)
    rows = conn.execute(query).all()
    return pl.DataFrame([tuple(x) for x in rows], schema=DAILY_SCHEMA, orient="row")


TOTALS_SCHEMA = {k: v for k, v in DAILY_SCHEMA.items() if k != "day"}
NOTICES_BY_DAY_SCHEMA = {"day": pl.Date, "origin": pl.Utf8, "event": pl.Utf8, "events": pl.Int64}


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """(first, last) month (first days) that lie wholly inside start..end; None if none does."""
    first = start if start.day == 1 else _month_after(start)
    last = _month_after(end) if _month_after(end) - timedelta(days=1) == end else end
    last = (last.replace(day=1) - timedelta(days=1)).replace(day=1)  # the month before
    return (first, last) if first <= last else None


def _rollup_pieces(f: ReportFilter) -> list[tuple[str, date, date]]:
    """The range as ("month", first, last month) for its whole months (from
    `campaign_monthly_rollup`) and ("day", first, last) for the days at its ends."""
    months = whole_months(f.start, f.end)
    if months is None:
        return [("day", f.start, f.end)]
    pieces = [("month", *months)]
    if f.start < months[0]:
        pieces.append(("day", f.start, months[0] - timedelta(days=1)))
    after = _month_after(months[1])
    if after <= f.end:
        pieces.append(("day", after, f.end))
    return pieces


def campaign_totals(conn: sa.Connection, f: ReportFilter) -> pl.DataFrame:
    """The filtered rollup summed over the days: one row per campaign and kind of event (a
    few hundred rows whatever the range); schema TOTALS_SCHEMA. Feeds every figure but the
    timeline. The range's whole months come from `campaign_monthly_rollup`, its end days from
    `daily_rollup`; the sums are grouped before the campaigns are joined (one join per
    answer row, not per rollup row)."""
    keys = rollups.MONTHLY_KEYS
    parts = []
    for grain, first, last in _rollup_pieces(f):
        table = schema.campaign_monthly_rollup if grain == "month" else schema.daily_rollup
        when = table.c.month if grain == "month" else table.c.day
        part = sa.select(*(table.c[name] for name in keys), table.c.events).where(
            when >= first, when <= last
        )
        if f.campaign_ids:
            part = part.where(table.c.campaign_id.in_(list(f.campaign_ids)))
        parts.append(part)
    rows = sa.union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    summed = (
        sa.select(*(rows.c[name] for name in keys), sa.func.sum(rows.c.events).label("events"))
        .group_by(*(rows.c[name] for name in keys))
        .subquery()
    )
    k = schema.campaigns.c
    query = sa.select(
        summed.c.campaign_id,
        k.name,
        k.origin,
        *(summed.c[name] for name in keys[1:]),
        summed.c.events,
    ).select_from(summed.join(schema.campaigns, k.id == summed.c.campaign_id))
    if f.origin:
        query = query.where(k.origin == f.origin)
    rows = conn.execute(query).all()
    return pl.DataFrame([tuple(x) for x in rows], schema=TOTALS_SCHEMA, orient="row")


def notices_by_day(conn: sa.Connection, f: ReportFilter) -> pl.DataFrame:
    """Bounces, spam complaints and not-sent emails per day and origin (for the timeline);
    schema NOTICES_BY_DAY_SCHEMA."""
    r, k = schema.daily_rollup.c, schema.campaigns.c
    query = (
        sa.select(r.day, k.origin, r.event, sa.func.sum(r.events))
        .select_from(schema.daily_rollup.join(schema.campaigns, k.id == r.campaign_id))
        .where(r.day >= f.start, r.day <= f.end, r.event.in_(NOTICE_KINDS))
        .group_by(r.day, k.origin, r.event)
    )
    rows = conn.execute(_campaign_filter(query, f, k.origin, r.campaign_id)).all()
    return pl.DataFrame([tuple(x) for x in rows], schema=NOTICES_BY_DAY_SCHEMA, orient="row")


def _count(frame: pl.DataFrame, *conditions) -> int:
    out = frame
    for condition in conditions:
        out = out.filter(condition)
    return int(out["events"].sum())


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def headline(daily: pl.DataFrame) -> pl.DataFrame:
    """One row of figures for the range; schema HEADLINE_SCHEMA (rates null without sends).
    `daily` is `daily_counts` or `campaign_totals` (the same columns, with or without days),
    as for the other figures below."""
    ev = pl.col("event")
    delivered = _count(daily, ev == vocab.DELIVERED)
    bounced = _count(daily, ev == vocab.BOUNCED)
    by_type = {
        t: _count(daily, ev == vocab.BOUNCED, pl.col("bounce_type") == t)
        for t in vocab.BOUNCE_TYPES
    }
    spam = _count(daily, ev == vocab.SPAM_COMPLAINT)
    sends = delivered + bounced
    row = {
        "sends": sends,
        "delivered": delivered,
        "bounced": bounced,
        "hard_bounced": by_type[vocab.HARD],
        "soft_bounced": by_type[vocab.SOFT],
        "undetermined_bounced": by_type[vocab.UNDETERMINED],
        "spam_complaints": spam,
        "not_sent": _count(daily, ev == vocab.NOT_SENT),
        "bounce_rate": _rate(bounced, sends),
        "complaint_rate": _rate(spam, delivered),
    }
    return pl.DataFrame([row], schema=HEADLINE_SCHEMA)


def timeline(daily: pl.DataFrame, grain: str = "day") -> pl.DataFrame:
    """Bounces, spam complaints and not-sent emails per day or ISO week (Monday) and origin."""
    notices = daily.filter(pl.col("event").is_in(NOTICE_KINDS))
    period = pl.col("day") if grain == "day" else pl.col("day").dt.truncate("1w")
    return (
        notices.group_by(period.alias("period"), "origin", pl.col("event").alias("kind"))
        .agg(pl.col("events").sum())
        .sort("period", "origin", "kind")
        .cast(TIMELINE_SCHEMA)
    )


BOUNCE_TIMELINE_SCHEMA = {
    "period": pl.Date,
    "origin": pl.Utf8,
    "bounce_type": pl.Utf8,
    "events": pl.Int64,
}


def bounce_timeline(daily: pl.DataFrame, grain: str = "week") -> pl.DataFrame:
    """Hard, soft and undetermined bounces per day or ISO week (Monday) and origin."""
    period = pl.col("day") if grain == "day" else pl.col("day").dt.truncate("1w")
    return (
        daily.filter(pl.col("event") == vocab.BOUNCED)
        .group_by(period.alias("period"), "origin", "bounce_type")
        .agg(pl.col("events").sum())
        .sort("period", "origin", "bounce_type")
        .cast(BOUNCE_TIMELINE_SCHEMA)
    )


def not_sent_reasons(daily: pl.DataFrame) -> pl.DataFrame:
    return (
        daily.filter(pl.col("event") == vocab.NOT_SENT)
        .group_by("origin", "reason")
        .agg(pl.col("events").sum())
        .sort("events", "origin", "reason", descending=[True, False, False])
        .cast(REASONS_SCHEMA)
    )


def bounce_categories(daily: pl.DataFrame) -> pl.DataFrame:
    return (
        daily.filter(pl.col("event") == vocab.BOUNCED)
        .group_by("origin", "bounce_type", "category")
        .agg(pl.col("events").sum())
        .sort("events", "origin", "bounce_type", "category", descending=[True, False, False, False])
        .cast(CATEGORIES_SCHEMA)
    )


MIN_CAMPAIGN_SENDS = 100


def campaign_ranking(daily: pl.DataFrame, min_sends: int = MIN_CAMPAIGN_SENDS) -> pl.DataFrame:
    """The campaigns and flows with at least `min_sends` sends in the range, worst bounce rate
    first (a flow with one send and one bounce would otherwise top every list)."""
    return campaign_volumes(daily).filter(pl.col("sends") >= max(1, min_sends))


def campaign_volumes(daily: pl.DataFrame) -> pl.DataFrame:
    """Every campaign and flow with sends in the range, worst bounce rate first; schema
    CAMPAIGNS_SCHEMA."""
    ev = pl.col("event")
    per = daily.group_by("campaign_id", "campaign_name", "origin").agg(
        pl.col("events").filter(ev == vocab.DELIVERED).sum().alias("delivered"),
        pl.col("events").filter(ev == vocab.BOUNCED).sum().alias("bounced"),
        pl.col("events").filter(ev == vocab.SPAM_COMPLAINT).sum().alias("spam_complaints"),
    )
    per = per.with_columns((pl.col("delivered") + pl.col("bounced")).alias("sends"))
    return (
        per.filter(pl.col("sends") > 0)
        .with_columns(
            (pl.col("bounced") / pl.col("sends")).alias("bounce_rate"),
            pl.when(pl.col("delivered") > 0)
            .then(pl.col("spam_complaints") / pl.col("delivered"))
            .alias("complaint_rate"),
        )
        .select(list(CAMPAIGNS_SCHEMA))
        .sort("bounce_rate", "sends", "campaign_id", descending=[True, True, False])
        .cast(CAMPAIGNS_SCHEMA)
    )


def min_domain_sends(total_sends: int) -> int:
    """The volume a domain needs to be ranked: 0.1% of the sends, and at least 100."""
    return max(100, round(total_sends * 0.001))


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _months(start: date, end: date) -> list[date]:
    """The first days of the months that start..end touches."""
    months, month = [], _month_start(start)
    while month <= end:
        months.append(month)
        month = _month_after(month)
    return months


# Beyond this many candidate domains the ranking reads all the months' rows (a small
# world, where the threshold is low): as exact, and an IN list that stays small.
MAX_DOMAIN_CANDIDATES = 64


def month_sends(conn: sa.Connection, months: list[date], origin: str | None) -> int:
    """Delivered + bounced emails of campaigns and flows in those months (and origin): what
    `domain_monthly_rollup` holds summed over every domain, read from the far smaller
    `campaign_monthly_rollup`."""
    m, k = schema.campaign_monthly_rollup.c, schema.campaigns.c
    query = sa.select(sa.func.coalesce(sa.func.sum(m.events), 0)).where(
        m.month.in_(months), m.event.in_((vocab.DELIVERED, vocab.BOUNCED))
    )
    if origin:
        query = query.select_from(
            schema.campaign_monthly_rollup.join(schema.campaigns, k.id == m.campaign_id)
        ).where(k.origin == origin)
    return int(conn.execute(query).scalar_one())


def domain_ranking(
    conn: sa.Connection, f: ReportFilter, *, top: int = 15, min_sends: int | None = None
) -> pl.DataFrame:
    """Recipient domains by bounce rate, among those with at least `min_sends` sends (default
    `min_domain_sends` of the total); schema DOMAINS_SCHEMA. Counted by whole months (the
    months the range touches) and by origin; the campaign filter does not apply here.

    Candidates first: a domain's sends are the sum of at most R = months × origins rows, so
    one of them holds at least min_sends / R; the index on (month, origin, sends) finds those
    few rows, and only their domains are summed (exact, whatever the number of domains)."""
    d = schema.domain_monthly_rollup.c
    months = _months(f.start, f.end)
    origins = [f.origin] if f.origin else list(vocab.ORIGINS)
    if min_sends is None:
        min_sends = min_domain_sends(month_sends(conn, months, f.origin))
    where = [d.month.in_(months), d.origin.in_(origins)]
    bound = -(-min_sends // (len(months) * len(origins)))  # ceiling
    candidates = (
        conn.execute(
            sa.select(d.domain)
            .where(*where, d.sends >= bound)
            .distinct()
            .limit(MAX_DOMAIN_CANDIDATES + 1)
        )
        .scalars()
        .all()
    )
    if len(candidates) <= MAX_DOMAIN_CANDIDATES:
        where.append(d.domain.in_(candidates))
    query = sa.select(
        d.domain,
        sa.func.sum(d.sends).label("sends"),
        sa.func.sum(d.bounced).label("bounced"),
        sa.func.sum(d.hard_bounced).label("hard_bounced"),
    ).where(*where)
    query = (
        query.group_by(d.domain)
        .having(sa.func.sum(d.sends) >= min_sends)
        .order_by(
            (sa.func.sum(d.bounced) * 1.0 / sa.func.sum(d.sends)).desc(),
            sa.func.sum(d.sends).desc(),
            d.domain,
        )
        .limit(top)
    )
    rows = [
        (dom, int(s), int(b), int(h), b / s if s else None)
        for dom, s, b, h in conn.execute(query).all()
    ]
    return pl.DataFrame(rows, schema=DOMAINS_SCHEMA, orient="row")


@dataclass(frozen=True)
class Report:
    filter: ReportFilter
    headline: pl.DataFrame
    timeline: pl.DataFrame
    reasons: pl.DataFrame
    categories: pl.DataFrame
    campaigns: pl.DataFrame  # only those with at least `campaign_min_sends` sends
    domains: pl.DataFrame
    campaign_min_sends: int = MIN_CAMPAIGN_SENDS
    campaigns_below_min: int = 0  # campaigns and flows with sends, but fewer than that
    timezone: str = rollups.UTC_ZONE  # whose calendar days the figures count

    @property
    def empty(self) -> bool:
        h = self.headline.row(0, named=True)
        return h["sends"] == 0 and h["not_sent"] == 0


def report(
    conn: sa.Connection, f: ReportFilter, *, min_campaign_sends: int = MIN_CAMPAIGN_SENDS
) -> Report:
    """All the data of the report page: three small aggregate queries, the rest in polars.
    Campaigns and flows are ranked among those with at least `min_campaign_sends` sends."""
    totals = campaign_totals(conn, f)
    volumes = campaign_volumes(totals)
    ranked = campaign_ranking(totals, min_campaign_sends)
    return Report(
        f,
        headline(totals),
        timeline(notices_by_day(conn, f), f.grain),
        not_sent_reasons(totals),
        bounce_categories(totals),
        ranked,
        domain_ranking(conn, f),
        campaign_min_sends=min_campaign_sends,
        campaigns_below_min=volumes.height - ranked.height,
        timezone=rollups.stored_zone(conn),
    )


# --- drill-down -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DrillTarget:
    """What a drill-down lists: the contacts with events of kind `event` in the report's range,
    narrowed by every other field that is set (the keyword filters of `affected_contacts`).
    Frozen, so it is hashable: it keys the dashboard's cached queries and widget state."""

    event: str
    bounce_type: str | None = None
    reason: str | None = None
    category: str | None = None
    campaign_id: int | None = None
    domain: str | None = None
    day: date | None = None


def affected_statement(
    f: ReportFilter,
    *,
    event: str,
    bounce_type: str | None = None,
    reason: str | None = None,
    category: str | None = None,
    campaign_id: int | None = None,
    domain: str | None = None,
    day: date | None = None,
    zone: str = rollups.UTC_ZONE,
) -> sa.Select:
    """The drill-down query of `affected_contacts`: one row per affected contact (unordered,
    unpaged); the range's days are those of `zone`, as in the rollups."""
    if campaign_id is not None:
        campaign_id = required_id(campaign_id, "de la campaña")
    e, c, k = schema.email_events.c, schema.contacts.c, schema.campaigns.c
    s = schema.contact_status.c
    first, last = (day, day) if day else (f.start, f.end)
    local = ZoneInfo(zone)
    start = datetime.combine(first, time(0), tzinfo=local)
    stop = datetime.combine(last + timedelta(days=1), time(0), tzinfo=local)
    conditions = [e.event == event, e.occurred_at >= start, e.occurred_at < stop]
    if event not in schema.NOT_NOTICES:
        # The index predicate, stated as such: the by-event and by-campaign time indexes hold
        # notices only, and the engines use them only for a query that says so.
        conditions.append(sa.text(schema.NOTICES_ONLY_SQL))
    for column, value in (
        (e.bounce_type, bounce_type),
        (e.reason, reason),
        (e.bounce_category, category),
        (e.campaign_id, campaign_id),
        (c.email_domain, domain),
    ):
        if value is not None:
            conditions.append(column == value)
    if f.origin:
        conditions.append(k.origin == f.origin)
    if f.campaign_ids:
        conditions.append(e.campaign_id.in_(list(f.campaign_ids)))
    joined = (
        schema.email_events.join(schema.contacts, c.id == e.contact_id)
        .join(schema.campaigns, k.id == e.campaign_id)
        .outerjoin(schema.contact_status, s.contact_id == c.id)
    )
    return (
        sa.select(
            c.id,
            c.name,
            c.email,
            sa.func.max(e.occurred_at).label("last_at"),
            sa.func.count().label("events"),
            s.blocked,
            s.reason,
        )
        .select_from(joined)
        .where(*conditions)
        .group_by(c.id, c.name, c.email, s.blocked, s.reason)
    )


def affected_contacts(
    conn: sa.Connection,
    f: ReportFilter,
    *,
    event: str,
    bounce_type: str | None = None,
    reason: str | None = None,
    category: str | None = None,
    campaign_id: int | None = None,
    domain: str | None = None,
    day: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[pl.DataFrame, int]:
    """The contacts behind a bar: (one page, newest first; schema AFFECTED_SCHEMA, total), in
    the days of the rollups' time zone."""
    grouped = affected_statement(
        f,
        event=event,
        bounce_type=bounce_type,
        reason=reason,
        category=category,
        campaign_id=campaign_id,
        domain=domain,
        day=day,
        zone=rollups.stored_zone(conn),
    )
    total = conn.execute(sa.select(sa.func.count()).select_from(grouped.subquery())).scalar_one()
    page = conn.execute(
        grouped.order_by(sa.desc("last_at"), schema.contacts.c.id)
        .limit(max(1, min(limit, 100_000)))
        .offset(max(0, offset))
    ).all()
    return pl.DataFrame([tuple(r) for r in page], schema=AFFECTED_SCHEMA, orient="row"), total


def affected_contacts_of(
    conn: sa.Connection, f: ReportFilter, target: DrillTarget, *, limit: int = 50, offset: int = 0
) -> tuple[pl.DataFrame, int]:
    """`affected_contacts` for a DrillTarget: (one page, newest first; AFFECTED_SCHEMA, total)."""
    return affected_contacts(
        conn,
        f,
        event=target.event,
        bounce_type=target.bounce_type,
        reason=target.reason,
        category=target.category,
        campaign_id=target.campaign_id,
        domain=target.domain,
        day=target.day,
        limit=limit,
        offset=offset,
    )


CAMPAIGN_LIST_SCHEMA = {"campaign_id": pl.Int64, "campaign_name": pl.Utf8, "origin": pl.Utf8}


def campaign_list(conn: sa.Connection) -> pl.DataFrame:
    """Every campaign and flow, for the filters; schema CAMPAIGN_LIST_SCHEMA."""
    k = schema.campaigns.c
    rows = conn.execute(sa.select(k.id, k.name, k.origin).order_by(k.origin, k.name)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=CAMPAIGN_LIST_SCHEMA, orient="row")


def data_days(conn: sa.Connection) -> tuple[date, date] | None:
    """The first and last day the daily rollup holds (None when it is empty): the range any
    report can show. Both ends come from the primary key's first column (no scan)."""
    r = schema.daily_rollup.c
    first, last = conn.execute(sa.select(sa.func.min(r.day), sa.func.max(r.day))).one()
    if first is None:
        return None
    return _as_date(first), _as_date(last)


def _as_date(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def clamp_range(start: date, end: date, days: tuple[date, date] | None) -> tuple[date, date]:
    """`start`–`end` cut to the days that hold data, so that no range (1900–2999 from a URL)
    makes a report read or draw centuries of empty days; a range with no data at all becomes
    its first day (an empty report, explained as such)."""
    if days is None:
        return start, min(end, start)
    first, last = max(start, days[0]), min(end, days[1])
    return (first, last) if first <= last else (start, start)
