"""Every report figure equals a brute-force count over the raw events (SQLite and PostgreSQL).
(That imports keep the rollups equal to `rollups.rebuild` is tested in tests/ingest.)"""

from datetime import UTC, date, datetime, timedelta

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
