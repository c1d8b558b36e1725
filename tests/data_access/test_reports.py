"""Every report figure equals a brute-force count over the raw events (SQLite and PostgreSQL).
(That imports keep the rollups equal to `rollups.rebuild` is tested in tests/ingest.)"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
import pytest
import sqlalchemy as sa
from psycopg import sql as pg_sql
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from data_access import reports, rollups, schema, vocab
from data_access.reports import ReportFilter
from tests.conftest import WORLD_UNTIL


def raw_events(world) -> pl.DataFrame:
    """The world's events with origin, campaign name and recipient domain, in UTC days."""
    campaigns = world.campaigns.select(
        pl.col("id").alias("campaign_id"), "origin", pl.col("name").alias("campaign_name")
    )
    contacts = world.contacts.select(pl.col("id").alias("contact_id"), "email_domain")
    return (
        world.events.filter(pl.col("campaign_id").is_not_null())
        .join(campaigns, on="campaign_id")
        .join(contacts, on="contact_id")
        .with_columns(pl.col("occurred_at").dt.date().alias("day"))
    )


def brute(raw: pl.DataFrame, f: ReportFilter) -> pl.DataFrame:
    out = raw.filter(pl.col("day") >= f.start, pl.col("day") <= f.end)
    if f.origin:
        out = out.filter(pl.col("origin") == f.origin)
    if f.campaign_ids:
        out = out.filter(pl.col("campaign_id").is_in(list(f.campaign_ids)))
    return out


FILTERS = [
    ReportFilter(WORLD_UNTIL - timedelta(days=90), WORLD_UNTIL),
    ReportFilter(WORLD_UNTIL - timedelta(days=365), WORLD_UNTIL, origin="automation"),
    ReportFilter(
        WORLD_UNTIL - timedelta(days=200),
        WORLD_UNTIL - timedelta(days=20),
        origin="campaign",
        campaign_ids=(3, 5, 8),
    ),
    ReportFilter(WORLD_UNTIL - timedelta(days=30), WORLD_UNTIL - timedelta(days=30)),  # one day
]


@pytest.fixture(scope="module")
def raw(world):
    return raw_events(world)


@pytest.mark.parametrize("f", FILTERS, ids=["90d", "365d-automation", "campaigns", "one-day"])
def test_every_figure_equals_the_brute_force_count(world_engine, raw, f):
    with world_engine.connect() as conn:
        got = reports.report(conn, f)
    want = brute(raw, f)
    ev = pl.col("event")
    n = lambda *c: want.filter(*c).height  # noqa: E731
    h = got.headline.row(0, named=True)
    delivered, bounced = n(ev == "delivered"), n(ev == "bounced")
    assert h["delivered"] == delivered and h["bounced"] == bounced
    assert h["sends"] == delivered + bounced
    assert h["hard_bounced"] == n(ev == "bounced", pl.col("bounce_type") == "hard")
    assert h["soft_bounced"] == n(ev == "bounced", pl.col("bounce_type") == "soft")
    assert h["spam_complaints"] == n(ev == "spam_complaint")
    assert h["not_sent"] == n(ev == "not_sent")
    if delivered + bounced:
        assert h["bounce_rate"] == pytest.approx(bounced / (delivered + bounced))
    for reason in vocab.REASONS:
        for origin in vocab.ORIGINS:
            expected = n(ev == "not_sent", pl.col("reason") == reason, pl.col("origin") == origin)
            rows = got.reasons.filter(reason=reason, origin=origin)
            assert (rows["events"].sum() if rows.height else 0) == expected
    cats = want.filter(ev == "bounced").group_by("origin", "bounce_type", "bounce_category").len()
    for row in cats.iter_rows(named=True):
        found = got.categories.filter(
            origin=row["origin"], bounce_type=row["bounce_type"], category=row["bounce_category"]
        )
        assert found["events"].sum() == row["len"]
    assert got.categories["events"].sum() == bounced
    sends = want.filter(ev.is_in(["delivered", "bounced"])).group_by("campaign_id").len()
    ranked = sends.filter(pl.col("len") >= reports.MIN_CAMPAIGN_SENDS)["campaign_id"]
    assert set(got.campaigns["campaign_id"]) == set(ranked)
    assert got.campaigns_below_min == sends.height - ranked.len()
    for row in got.campaigns.iter_rows(named=True):
        mine = want.filter(pl.col("campaign_id") == row["campaign_id"])
        assert row["bounced"] == mine.filter(ev == "bounced").height
        assert row["sends"] == mine.filter(ev.is_in(["delivered", "bounced"])).height
        assert row["spam_complaints"] == mine.filter(ev == "spam_complaint").height
    assert got.timeline["events"].sum() == n(ev.is_in(reports.NOTICE_KINDS))


def test_timeline_is_daily_for_short_ranges_and_weekly_for_long_ones(world_engine, raw):
    with world_engine.connect() as conn:
        week = reports.report(conn, FILTERS[1]).timeline
        day = reports.report(conn, FILTERS[0]).timeline
    assert week["period"].dt.weekday().unique().to_list() == [1]  # Mondays
    assert day["period"].n_unique() > 60


def test_domain_ranking_equals_brute_force_by_month(world_engine, raw):
    f = ReportFilter(date(2026, 3, 10), date(2026, 9, 2), origin="campaign")
    with world_engine.connect() as conn:
        got = reports.domain_ranking(conn, f, top=50, min_sends=20)
    months = raw.filter(
        pl.col("day") >= date(2026, 3, 1),
        pl.col("day") <= date(2026, 9, 30),
        pl.col("origin") == "campaign",
        pl.col("event").is_in(["delivered", "bounced"]),
    )
    per = months.group_by("email_domain").agg(
        pl.len().alias("sends"), (pl.col("event") == "bounced").sum().alias("bounced")
    )
    per = per.filter(pl.col("sends") >= 20).with_columns(
        (pl.col("bounced") / pl.col("sends")).alias("rate")
    )
    top = per.sort(["rate", "sends", "email_domain"], descending=[True, True, False]).head(50)
    assert got["domain"].to_list() == top["email_domain"].to_list()
    assert got["sends"].to_list() == top["sends"].to_list()
    assert got["domain"].str.contains("gmial|hotmial|yaho|outlok|gmail.co$|hotmail.con").any()


def test_campaigns_below_the_minimum_are_not_ranked(world_engine):
    f = FILTERS[0]
    with world_engine.connect() as conn:
        every = reports.report(conn, f, min_campaign_sends=1)
        strict = reports.report(conn, f, min_campaign_sends=10_000_000)
        default = reports.report(conn, f)
    assert every.campaigns_below_min == 0 and strict.campaigns.is_empty()
    assert strict.campaigns_below_min == every.campaigns.height
    assert default.campaigns["sends"].min() >= reports.MIN_CAMPAIGN_SENDS
    assert default.campaigns.height + default.campaigns_below_min == every.campaigns.height
    assert every.campaigns["sends"].min() < reports.MIN_CAMPAIGN_SENDS  # the world has such


def test_empty_and_out_of_range_filters(world_engine):
    with world_engine.connect() as conn:
        before = reports.report(conn, ReportFilter(date(2020, 1, 1), date(2020, 3, 1)))
        nobody = reports.report(
            conn, ReportFilter(WORLD_UNTIL - timedelta(days=30), WORLD_UNTIL, campaign_ids=(999,))
        )
    for r in (before, nobody):
        assert r.empty
        h = r.headline.row(0, named=True)
        assert h["sends"] == 0 and h["bounce_rate"] is None and h["complaint_rate"] is None
        assert (
            r.timeline.is_empty()
            and r.campaigns.is_empty()
            and r.domains.schema == pl.Schema(reports.DOMAINS_SCHEMA)
        )


def test_bad_filters_are_refused():
    with pytest.raises(ValueError):
        ReportFilter(date(2026, 2, 1), date(2026, 1, 1))
    with pytest.raises(ValueError):
        ReportFilter(date(2026, 1, 1), date(2026, 2, 1), origin="newsletter")


def test_affected_contacts_are_the_ones_in_the_raw_events(world_engine, raw):
    f = FILTERS[0]
    want = brute(raw, f).filter(pl.col("event") == "bounced", pl.col("bounce_type") == "hard")
    with world_engine.connect() as conn:
        page, total = reports.affected_contacts(
            conn, f, event="bounced", bounce_type="hard", limit=5
        )
        rest, _ = reports.affected_contacts(
            conn, f, event="bounced", bounce_type="hard", limit=500, offset=5
        )
    assert total == want["contact_id"].n_unique()
    assert set(page["contact_id"]) | set(rest["contact_id"]) == set(want["contact_id"])
    assert page["last_at"].is_sorted(descending=True)
    # each contact's current status comes along (the CSV export shows it)
    with world_engine.connect() as conn:
        status = {
            i: (blocked, reason)
            for i, blocked, reason in conn.execute(
                sa.select(
                    schema.contact_status.c.contact_id,
                    schema.contact_status.c.blocked,
                    schema.contact_status.c.reason,
                )
            ).all()
        }
    both = pl.concat([page, rest])
    for i, blocked, reason in both.select("contact_id", "blocked", "block_reason").iter_rows():
        assert (blocked, reason) == status[i]
    assert both["blocked"].all()  # a hard bounce blocks for ever


@pytest.mark.parametrize(
    "target",
    [
        {"event": "delivered"},  # not a notice: the partial indexes do not hold it
        {"event": "spam_complaint"},
        {"event": "not_sent", "reason": "previous_spam"},
        {"event": "bounced", "campaign_id": 20},
    ],
    ids=["delivered", "spam", "not-sent", "campaign"],
)
def test_affected_contacts_of_any_event_are_the_ones_in_the_raw_events(world_engine, raw, target):
    f = FILTERS[0]
    want = brute(raw, f)
    for column, value in target.items():
        want = want.filter(pl.col(column) == value)
    with world_engine.connect() as conn:
        page, total = reports.affected_contacts(conn, f, **target, limit=100_000)
    assert total == want["contact_id"].n_unique() > 0
    assert set(page["contact_id"]) == set(want["contact_id"])


# --- the drill-down can use the notices-only (partial) indexes ------------------------------

NOTICE_INDEXES = ("ix_email_events_event_time", "ix_email_events_campaign_time")
DRILL_DOWNS = [
    ({"event": "bounced", "bounce_type": "hard"}, "ix_email_events_event_time"),
    ({"event": "spam_complaint"}, "ix_email_events_event_time"),
    ({"event": "not_sent", "reason": "previous_spam"}, "ix_email_events_event_time"),
    ({"event": "bounced", "campaign_id": 20}, NOTICE_INDEXES),
]


class _Explain(Executable, ClauseElement):
    """EXPLAIN of a statement, bound and typed like the statement itself."""

    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


@compiles(_Explain, "sqlite")
def _explain_sqlite(element, compiler, **kw):
    return "EXPLAIN QUERY PLAN " + compiler.process(element.statement, **kw)


@compiles(_Explain, "postgresql")
def _explain_postgresql(element, compiler, **kw):
    return "EXPLAIN " + compiler.process(element.statement, **kw)


def _plan(conn: sa.Connection, statement) -> str:
    """The plan the engine makes for `statement` as the app runs it (PostgreSQL: for these
    very values, as `engine.make_engine` asks; sequential scans off so that the small test
    world does not make an index look not worth it)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return "\n".join(
        str(row[-1] if conn.dialect.name == "sqlite" else row[0])
        for row in conn.execute(_Explain(statement))
    )


def _generic_plan(conn: sa.Connection, statement) -> str:
    """PostgreSQL's generic plan for `statement` (the one a prepared statement may switch
    to): the values are parameters, so the planner cannot prove a partial index's predicate
    from `event = $1`; only the predicate written in the query lets it use the index."""
    compiled = statement.compile(
        dialect=pg_psycopg.dialect(paramstyle="numeric_dollar"),
        compile_kwargs={"render_postcompile": True},
    )
    params = compiled.construct_params()
    raw = conn.connection.driver_connection
    args = ", ".join(pg_sql.Literal(params[name]).as_string(raw) for name in compiled.positiontup)
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    conn.exec_driver_sql(f"PREPARE drill_down AS {compiled.string}")
    try:
        rows = conn.exec_driver_sql(f"EXPLAIN EXECUTE drill_down({args})").all()
    finally:
        conn.exec_driver_sql("DEALLOCATE drill_down")
    return "\n".join(row[0] for row in rows)


def _drill_down_plans(world_engine, target) -> list[str]:
    statement = reports.affected_statement(FILTERS[0], **target)
    with world_engine.connect() as conn:
        plans = [_plan(conn, statement)]
        conn.rollback()
        if conn.dialect.name == "postgresql":
            plans.append(_generic_plan(conn, statement))
            conn.rollback()
    return plans


@pytest.mark.parametrize("target, index", DRILL_DOWNS, ids=["hard", "spam", "not-sent", "campaign"])
def test_the_drill_down_uses_the_notices_only_indexes(world_engine, target, index):
    """SQLite uses a partial index only when the query's WHERE has the index's WHERE term;
    PostgreSQL proves it from `event = 'bounced'` for a custom plan, but not for a generic
    one. `affected_contacts` states the predicate, so both engines use the index always."""
    wanted = (index,) if isinstance(index, str) else index
    for plan in _drill_down_plans(world_engine, target):
        assert any(name in plan for name in wanted), plan


def test_without_the_predicate_the_drill_down_cannot_use_them(world_engine, monkeypatch):
    """The check above is not vacuous: with the predicate gone from the query (a term that is
    always true instead), SQLite and PostgreSQL's generic plan do without the indexes."""
    monkeypatch.setattr(schema, "NOTICES_ONLY_SQL", "1 = 1")
    plans = _drill_down_plans(world_engine, {"event": "bounced", "bounce_type": "hard"})
    plan = plans[-1]  # SQLite's plan; PostgreSQL's generic plan
    assert not any(name in plan for name in NOTICE_INDEXES), plan


def test_a_delivery_drill_down_states_no_notices_predicate():
    for event in (vocab.DELIVERED, vocab.SENT):
        statement = reports.affected_statement(FILTERS[0], event=event)
        assert "NOT IN" not in str(statement)
    assert schema.NOTICES_ONLY_SQL in str(
        reports.affected_statement(FILTERS[0], event=vocab.BOUNCED)
    )


def test_rollup_days_are_utc_days(empty_engine):
    late = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    with empty_engine.begin() as conn:
        conn.execute(
            schema.contacts.insert(),
            {
                "id": 1,
                "email": "a@x.test",
                "name": "A",
                "email_key": "a@x.test",
                "name_key": "a",
                "created_at": late,
            },
        )
        conn.execute(
            schema.campaigns.insert(),
            {"id": 1, "origin": "campaign", "external_id": "c", "name": "C", "created_at": late},
        )
        conn.execute(
            schema.email_events.insert(),
            {
                "contact_id": 1,
                "campaign_id": 1,
                "event": "delivered",
                "provider": "t",
                "occurred_at": late,
            },
        )
        rollups.rebuild(conn)
        day = conn.execute(sa.select(schema.daily_rollup.c.day)).scalar_one()
        month = conn.execute(sa.select(schema.domain_monthly_rollup.c.month)).scalar_one()
    assert day == date(2026, 5, 31) and month == date(2026, 5, 1)


def test_bounce_timeline_splits_hard_and_soft(world_engine, raw):
    f = FILTERS[1]
    with world_engine.connect() as conn:
        got = reports.bounce_timeline(reports.daily_counts(conn, f), "week")
    want = brute(raw, f).filter(pl.col("event") == "bounced")
    for bounce_type in ("hard", "soft"):
        assert (
            got.filter(bounce_type=bounce_type)["events"].sum()
            == want.filter(pl.col("bounce_type") == bounce_type).height
        )
    assert got["period"].dt.weekday().unique().to_list() == [1]


# --- the days of a time zone ----------------------------------------------------------------


def _one_contact_and_campaign(conn) -> None:
    created = datetime(2025, 1, 1, tzinfo=UTC)
    conn.execute(
        schema.contacts.insert(),
        {
            "id": 1,
            "email": "a@x.test",
            "name": "A",
            "email_key": "a@x.test",
            "name_key": "a",
            "created_at": created,
        },
    )
    conn.execute(
        schema.campaigns.insert(),
        {"id": 1, "origin": "campaign", "external_id": "c", "name": "C", "created_at": created},
    )


# Around midnight and around the daylight-saving changes of Madrid (CET/CEST) in 2026.
INSTANTS = [
    datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # Madrid 29 Mar 00:30 (CET, +1)
    datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),  # 29 Mar 01:59:59, the second before
    datetime(2026, 3, 29, 22, 30, tzinfo=UTC),  # 30 Mar 00:30 (CEST, +2)
    datetime(2026, 5, 31, 22, 30, tzinfo=UTC),  # 1 Jun 00:30 (a new month); Mexico 31 May
    datetime(2026, 6, 1, 5, 59, tzinfo=UTC),  # Mexico City 31 May 23:59
    datetime(2026, 10, 24, 22, 30, tzinfo=UTC),  # Madrid 25 Oct 00:30 (CEST)
    datetime(2026, 10, 25, 22, 30, tzinfo=UTC),  # Madrid 25 Oct 23:30 (CET again)
]


@pytest.mark.parametrize("zone", ["Europe/Madrid", "America/Mexico_City", "UTC"])
def test_rollups_count_the_days_of_the_stored_zone(empty_engine, zone):
    local = ZoneInfo(zone)
    with empty_engine.begin() as conn:
        _one_contact_and_campaign(conn)
        assert rollups.stored_zone(conn) == "UTC"  # what migration 0006 writes
        conn.execute(
            schema.email_events.insert(),
            [
                {
                    "contact_id": 1,
                    "campaign_id": 1,
                    "event": "delivered",
                    "provider": "t",
                    "occurred_at": at,
                }
                for at in INSTANTS
            ],
        )
        rollups.rebuild(conn, zone)
        assert rollups.stored_zone(conn) == zone
        days = dict(
            conn.execute(sa.select(schema.daily_rollup.c.day, schema.daily_rollup.c.events)).all()
        )
        months = dict(
            conn.execute(
                sa.select(
                    schema.domain_monthly_rollup.c.month, schema.domain_monthly_rollup.c.sends
                )
            ).all()
        )
    want_days = pl.Series([at.astimezone(local).date() for at in INSTANTS]).value_counts()
    assert days == dict(want_days.iter_rows())
    want_months = pl.Series([at.astimezone(local).date().replace(day=1) for at in INSTANTS])
    assert months == dict(want_months.value_counts().iter_rows())


def test_imports_add_to_the_days_of_the_stored_zone(empty_engine):
    """`add_new_events` (imports) counts the same local days as `rebuild` (the oracle)."""
    zone = "Europe/Madrid"
    new = pl.DataFrame(
        {
            "occurred_at": INSTANTS,
            "campaign_id": [1] * len(INSTANTS),
            "event": ["bounced"] * len(INSTANTS),
            "bounce_type": ["soft"] * len(INSTANTS),
            "reason": [None] * len(INSTANTS),
            "bounce_category": ["mailbox_full"] * len(INSTANTS),
            "c_origin": ["campaign"] * len(INSTANTS),
            "domain": ["x.test"] * len(INSTANTS),
        },
        schema_overrides={"occurred_at": pl.Datetime("us", "UTC"), "reason": pl.Utf8},
    )
    tables = (schema.daily_rollup, schema.domain_monthly_rollup, schema.campaign_monthly_rollup)
    with empty_engine.begin() as conn:
        _one_contact_and_campaign(conn)
        rollups.rebuild(conn, zone)  # no events yet: stores the zone
        conn.execute(
            schema.email_events.insert(),
            [
                {
                    "contact_id": 1,
                    "campaign_id": 1,
                    "event": "bounced",
                    "bounce_type": "soft",
                    "bounce_category": "mailbox_full",
                    "provider": "t",
                    "occurred_at": at,
                }
                for at in INSTANTS
            ],
        )
        rollups.add_new_events(conn, new)
        added = [sorted(conn.execute(sa.select(t)).all()) for t in tables]
        rollups.rebuild(conn)
        rebuilt = [sorted(conn.execute(sa.select(t)).all()) for t in tables]
    assert added == rebuilt
    assert {row[0] for row in added[0]} == {at.astimezone(ZoneInfo(zone)).date() for at in INSTANTS}


def test_an_unknown_zone_is_refused_before_anything_changes(world_engine):
    with world_engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(schema.daily_rollup)).scalar()
        with pytest.raises(ZoneInfoNotFoundError):
            rollups.rebuild(conn, "Marte/Olimpo")
        after = conn.execute(sa.select(sa.func.count()).select_from(schema.daily_rollup)).scalar()
        assert before == after > 0 and rollups.stored_zone(conn) == "UTC"
        conn.rollback()


def test_every_figure_equals_the_brute_force_count_in_local_days(world_engine, world):
    """The world's rollups rebuilt in Mexico City's days (rolled back afterwards): every figure
    and the drill-down count the local days of the range."""
    zone = "America/Mexico_City"
    local = raw_events(world).with_columns(
        pl.col("occurred_at").dt.convert_time_zone(zone).dt.date().alias("day")
    )
    f = FILTERS[0]
    want = brute(local, f)
    utc = brute(raw_events(world), f)
    ev = pl.col("event")
    with world_engine.connect() as conn:
        try:
            rollups.rebuild(conn, zone)
            got = reports.report(conn, f)
            page, total = reports.affected_contacts(
                conn, f, event="bounced", bounce_type="hard", limit=100_000
            )
            one_day, _ = reports.affected_contacts(
                conn, f, event="bounced", day=f.end - timedelta(days=3), limit=100_000
            )
        finally:
            conn.rollback()
    assert got.timezone == zone
    h = got.headline.row(0, named=True)
    assert h["delivered"] == want.filter(ev == "delivered").height
    assert h["bounced"] == want.filter(ev == "bounced").height
    assert h["not_sent"] == want.filter(ev == "not_sent").height
    assert h["spam_complaints"] == want.filter(ev == "spam_complaint").height
    assert h["delivered"] != utc.filter(ev == "delivered").height  # the zone matters here
    assert got.timeline["events"].sum() == want.filter(ev.is_in(reports.NOTICE_KINDS)).height
    hard = want.filter(ev == "bounced", pl.col("bounce_type") == "hard")
    assert total == hard["contact_id"].n_unique()
    assert set(page["contact_id"]) == set(hard["contact_id"])
    day = want.filter(ev == "bounced", pl.col("day") == f.end - timedelta(days=3))
    assert set(one_day["contact_id"]) == set(day["contact_id"])


def test_the_cli_rebuilds_in_a_zone_and_refuses_unknown_ones(empty_engine):
    from click.testing import CliRunner

    from data_access.cli import main

    url = empty_engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    done = runner.invoke(
        main, ["rollups", "rebuild", "--timezone", "America/Bogota", "--database", url]
    )
    assert done.exit_code == 0, done.output
    assert "días de America/Bogota" in done.output
    with empty_engine.connect() as conn:
        assert rollups.stored_zone(conn) == "America/Bogota"
    wrong = runner.invoke(main, ["rollups", "rebuild", "--timezone", "Marte", "--database", url])
    assert wrong.exit_code != 0 and "zona horaria desconocida: Marte" in wrong.output
    assert "Traceback" not in wrong.output


# --- the read side at a million contacts (revision 0012) -------------------------------------

MONTH_ALIGNED = [
    ReportFilter(date(2026, 2, 1), date(2026, 4, 30)),  # whole months only
    ReportFilter(date(2026, 1, 15), date(2026, 6, 1), origin="campaign"),  # both ends by day
    ReportFilter(date(2025, 12, 1), date(2026, 1, 20)),  # a whole month, then days, new year
    ReportFilter(date(2026, 2, 1), date(2026, 2, 27)),  # a month but its last day
    ReportFilter(WORLD_UNTIL - timedelta(days=364), WORLD_UNTIL, campaign_ids=(3, 5, 8, 150)),
]


def _totals_by_brute_force(raw: pl.DataFrame, f: ReportFilter) -> pl.DataFrame:
    keys = ["campaign_id", "campaign_name", "origin", "event", "bounce_type", "reason", "category"]
    return (
        brute(raw, f)
        .with_columns(
            pl.col("bounce_type").fill_null(""),
            pl.col("reason").fill_null(""),
            pl.col("bounce_category").fill_null("").alias("category"),
        )
        .group_by(keys)
        .agg(pl.len().cast(pl.Int64).alias("events"))
        .sort(keys)
    )


@pytest.mark.parametrize(
    "f", MONTH_ALIGNED, ids=["months", "two-ends", "new-year", "short-month", "campaigns-year"]
)
def test_campaign_totals_from_months_and_end_days_equal_the_raw_events(world_engine, raw, f):
    """Whole months from the monthly rollup, the days at the ends from the daily one: every
    row equals a count of the raw events, for ranges cut at and between month boundaries."""
    keys = ["campaign_id", "campaign_name", "origin", "event", "bounce_type", "reason", "category"]
    with world_engine.connect() as conn:
        got = reports.campaign_totals(conn, f).sort(keys)
    want = _totals_by_brute_force(raw, f)
    assert got.height > 0
    assert got.to_dicts() == want.select(got.columns).to_dicts()


def test_range_pieces_cover_every_day_once():
    """The months and end days of a range are exactly its days, for every start and end
    around a year (leap day included)."""
    first = date(2027, 12, 20)
    for start in (first + timedelta(days=i) for i in range(0, 75, 4)):
        for length in (1, 2, 27, 28, 29, 30, 31, 32, 60, 90, 365, 400):
            f = ReportFilter(start, start + timedelta(days=length - 1))
            days = []
            for grain, low, high in reports._rollup_pieces(f):
                if grain == "day":
                    days += [low + timedelta(days=i) for i in range((high - low).days + 1)]
                else:
                    month = low
                    while month <= high:
                        after = reports._month_after(month)
                        days += [month + timedelta(days=i) for i in range((after - month).days)]
                        month = after
            assert sorted(days) == [f.start + timedelta(days=i) for i in range(f.days)]


def test_the_monthly_rollup_is_the_daily_one_by_month(world_engine):
    d, m = schema.daily_rollup.c, schema.campaign_monthly_rollup.c
    with world_engine.connect() as conn:
        daily = pl.DataFrame(
            [
                tuple(r)
                for r in conn.execute(
                    sa.select(d.day, *(d[k] for k in rollups.MONTHLY_KEYS), d.events)
                )
            ],
            schema=["day", *rollups.MONTHLY_KEYS, "events"],
            orient="row",
        )
        monthly = pl.DataFrame(
            [
                tuple(r)
                for r in conn.execute(
                    sa.select(m.month, *(m[k] for k in rollups.MONTHLY_KEYS), m.events)
                )
            ],
            schema=["month", *rollups.MONTHLY_KEYS, "events"],
            orient="row",
        )
    daily = daily.with_columns(pl.col("day").map_elements(reports._as_date, pl.Date))
    want = daily.group_by(
        pl.col("day").dt.truncate("1mo").alias("month"), *rollups.MONTHLY_KEYS
    ).agg(pl.col("events").sum())
    monthly = monthly.with_columns(pl.col("month").map_elements(reports._as_date, pl.Date))
    order = ["month", *rollups.MONTHLY_KEYS]
    assert monthly.height > 0
    assert monthly.sort(order).to_dicts() == want.select(monthly.columns).sort(order).to_dicts()


def _domain_brute(raw: pl.DataFrame, f: ReportFilter, min_sends: int | None, top: int):
    first = f.start.replace(day=1)
    last = reports._month_after(f.end) - timedelta(days=1)
    months = raw.filter(
        pl.col("day") >= first,
        pl.col("day") <= last,
        pl.col("event").is_in(["delivered", "bounced"]),
    )
    if f.origin:
        months = months.filter(pl.col("origin") == f.origin)
    if min_sends is None:
        min_sends = reports.min_domain_sends(months.height)
    per = months.group_by("email_domain").agg(
        pl.len().alias("sends"), (pl.col("event") == "bounced").sum().alias("bounced")
    )
    per = per.filter(pl.col("sends") >= min_sends).with_columns(
        (pl.col("bounced") / pl.col("sends")).alias("rate")
    )
    return per.sort(["rate", "sends", "email_domain"], descending=[True, True, False]).head(top)


DOMAIN_CASES = [
    (FILTERS[0], None),
    (FILTERS[1], None),
    (ReportFilter(date(2026, 3, 10), date(2026, 9, 2)), 300),
    (ReportFilter(date(2026, 6, 1), date(2026, 6, 1), origin="campaign"), 40),
    (ReportFilter(date(2026, 1, 1), date(2026, 12, 31)), 1),
]


@pytest.mark.parametrize("candidates", [True, False], ids=["candidates-first", "every-row"])
@pytest.mark.parametrize("f, min_sends", DOMAIN_CASES, ids=["90d", "365d-auto", "300", "day", "1"])
def test_domain_ranking_either_way_equals_brute_force(
    world_engine, raw, monkeypatch, f, min_sends, candidates
):
    """The candidates-first ranking (and its fallback over every row of the months, for
    thresholds so low that most domains are candidates) equal a brute-force count, with the
    default threshold (from the monthly campaign rollup) and given ones."""
    monkeypatch.setattr(reports, "MAX_DOMAIN_CANDIDATES", 10_000 if candidates else -1)
    with world_engine.connect() as conn:
        got = reports.domain_ranking(conn, f, top=40, min_sends=min_sends)
    want = _domain_brute(raw, f, min_sends, 40)
    assert got.height > 0 or f.days == 1
    assert got["domain"].to_list() == want["email_domain"].to_list()
    assert got["sends"].to_list() == want["sends"].to_list()
    assert got["bounced"].to_list() == want["bounced"].to_list()


def test_month_sends_is_the_domain_rollup_summed(world_engine):
    d = schema.domain_monthly_rollup.c
    with world_engine.connect() as conn:
        for origin in (None, *vocab.ORIGINS):
            months = reports._months(date(2025, 12, 5), date(2026, 7, 1))
            query = sa.select(sa.func.sum(d.sends)).where(d.month.in_(months))
            if origin:
                query = query.where(d.origin == origin)
            assert reports.month_sends(conn, months, origin) == conn.execute(query).scalar()


def test_the_ranking_finds_its_candidates_through_the_sends_index(world_engine):
    """The candidates query reads the (month, origin, sends) index, not the months' rows."""
    f = FILTERS[0]
    d = schema.domain_monthly_rollup.c
    months = reports._months(f.start, f.end)
    statement = (
        sa.select(d.domain)
        .where(d.month.in_(months), d.origin.in_(list(vocab.ORIGINS)), d.sends >= 500)
        .distinct()
    )
    with world_engine.connect() as conn:
        plan = _plan(conn, statement)
        conn.rollback()
    assert "ix_domain_monthly_rollup_month_origin_sends" in plan, plan


def test_upgrading_a_0010_database_fills_the_monthly_rollup(databases, world):
    """Revision 0012 fills the monthly rollup from the daily one of an existing database
    (and its downgrade removes it)."""
    from data_access import demo, migrate

    m = schema.campaign_monthly_rollup.c
    for kind in ("sqlite", "postgresql"):
        engine = databases.engine(kind)
        demo.load(engine, world)
        with engine.connect() as conn:
            want = sorted(conn.execute(sa.select(schema.campaign_monthly_rollup)).all())
        migrate.downgrade(engine, "0011")
        assert not sa.inspect(engine).has_table("campaign_monthly_rollup")
        migrate.upgrade(engine)
        with engine.connect() as conn:
            got = sorted(conn.execute(sa.select(schema.campaign_monthly_rollup)).all())
            total = conn.execute(sa.select(sa.func.sum(m.events))).scalar()
            daily = conn.execute(sa.select(sa.func.sum(schema.daily_rollup.c.events))).scalar()
        assert got == want and total == daily
        engine.dispose()
