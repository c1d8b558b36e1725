"""Blocked contacts and lifting a block, on SQLite and PostgreSQL."""

from datetime import date, timedelta

import polars as pl
import pytest
import sqlalchemy as sa

import data_access as da
from data_access import blocks, policy, reports, rollups, schema, users, vocab
from data_access.blocks import BlockFilter
from tests.story import T0, load_story

EVERYONE = BlockFilter()
COMMENT = "El buzón vuelve a funcionar (confirmado por teléfono)."


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def shared_story(request, databases):
    """The story, shared by the tests that only read."""
    engine = databases.engine(request.param)
    return engine, load_story(engine)


@pytest.fixture
def story(empty_engine):
    """A fresh story per test (lifts write)."""
    return empty_engine, load_story(empty_engine)


def _counts(engine, f=EVERYONE):
    with engine.connect() as conn:
        return blocks.block_counts(conn, f)


def _page(engine, f=EVERYONE, **kw):
    with engine.connect() as conn:
        return blocks.blocked_page(conn, f, **kw)


def _status(engine, contact_id):
    s = schema.contact_status.c
    with engine.connect() as conn:
        return conn.execute(
            sa.select(s.blocked, s.reason, s.cause_origin).where(s.contact_id == contact_id)
        ).one()


# --- reading --------------------------------------------------------------------------------


def test_counts_per_reason_and_origin_of_the_story(shared_story):
    engine, _ = shared_story
    counts = _counts(engine)
    assert counts.schema == pl.Schema(blocks.COUNTS_SCHEMA)
    assert counts.rows() == [
        ("invalid_address", None, 1),
        ("previous_bounce", "automation", 1),
        ("previous_spam", "campaign", 1),
        ("unsubscribed", "campaign", 1),
    ]


def test_the_page_lists_each_blocked_contact_with_its_cause_newest_first(shared_story):
    engine, ids = shared_story
    page = _page(engine)
    assert page.schema == pl.Schema(blocks.BLOCKED_PAGE_SCHEMA)
    assert page["contact_id"].to_list() == [ids["pedro"], ids["jose"], ids["mariajo"], ids["ana"]]
    pedro = page.row(0, named=True)
    assert pedro["reason"] == vocab.PREVIOUS_BOUNCE
    assert pedro["cause_event"] == vocab.BOUNCED and pedro["since"] == T0 + timedelta(days=4)
    assert (pedro["campaign_name"], pedro["origin"], pedro["campaign_external_id"]) == (
        "Bienvenida",
        "automation",
        "flujo-9",
    )
    ana = page.row(3, named=True)
    assert ana["cause_event_id"] is None and ana["campaign_name"] is None


@pytest.mark.parametrize(
    "f, keys",
    [
        (BlockFilter(reasons=("previous_spam", "unsubscribed")), {"jose", "mariajo"}),
        (BlockFilter(origin="automation"), {"pedro"}),
        (BlockFilter(origin=blocks.NO_ORIGIN), {"ana"}),
        (BlockFilter(since_from=date(2026, 3, 6)), {"pedro", "jose"}),
        (BlockFilter(since_to=date(2026, 3, 4)), {"mariajo", "ana"}),  # ana: since created
        (BlockFilter(since_from=date(2026, 3, 7), since_to=date(2026, 3, 7)), {"pedro"}),
        (BlockFilter(domain="@EXAMPLE.com"), {"pedro", "jose", "mariajo", "ana"}),
        (BlockFilter(domain="example.org"), set()),
        (BlockFilter(search="nunez"), {"jose"}),
        (BlockFilter(search="GARCÍA-pel"), {"mariajo"}),
        (BlockFilter(search="100%"), set()),
        (BlockFilter(search="lucia"), set()),  # not blocked
    ],
)
def test_filters_narrow_counts_and_page_alike(shared_story, f, keys):
    engine, ids = shared_story
    assert set(_page(engine, f)["contact_id"]) == {ids[k] for k in keys}
    assert int(_counts(engine, f)["contacts"].sum()) == len(keys)


def test_pages_follow_each_other_without_gaps(shared_story):
    engine, _ = shared_story
    everyone = _page(engine)["contact_id"].to_list()
    pages = [_page(engine, limit=1, offset=i)["contact_id"].to_list() for i in range(5)]
    assert pages == [[x] for x in everyone] + [[]]
    assert _page(engine, limit=None)["contact_id"].to_list() == everyone


def test_bad_filters_are_refused_in_spanish():
    with pytest.raises(ValueError, match="motivo desconocido"):
        BlockFilter(reasons=("opened",))
    with pytest.raises(ValueError, match="origen desconocido"):
        BlockFilter(origin="sms")
    with pytest.raises(ValueError, match="posterior"):
        BlockFilter(since_from=date(2026, 3, 2), since_to=date(2026, 3, 1))


def test_the_world_counts_match_the_statuses_and_the_live_policy(world_engine, world):
    statuses = world.statuses.filter(pl.col("blocked"))
    with world_engine.connect() as conn:
        counts = blocks.block_counts(conn)
        expected = statuses.group_by("reason", pl.col("cause_origin").alias("origin")).agg(
            pl.len().cast(pl.Int64).alias("contacts")
        )
        assert counts.sort("reason", "origin").equals(expected.sort("reason", "origin"))
        page = blocks.blocked_page(conn, BlockFilter(reasons=(vocab.PREVIOUS_BOUNCE,)), limit=20)
        for row in page.iter_rows(named=True):
            live = da.contact_status(conn, row["contact_id"]).row(0, named=True)
            assert (live["reason"], live["origin"]) == (row["reason"], row["origin"])
    assert page["since"].is_sorted(descending=True)


def test_the_suppression_list_is_one_address_a_line_each_once():
    text = blocks.suppression_list(["=a@x.com", "b@x.com", "=a@x.com", ""])
    assert text == "=a@x.com\nb@x.com\n"
    assert blocks.suppression_list([]) == ""


# --- lifting --------------------------------------------------------------------------------


def _lift(engine, contact_id, reason, **kw):
    kw.setdefault("username", "ana.admin")
    kw.setdefault("comment", COMMENT)
    with engine.begin() as conn:
        return blocks.lift_block(conn, contact_id, reason, **kw)


def test_lifting_a_bounce_unblocks_writes_the_history_the_details_and_the_audit(story):
    engine, ids = story
    with engine.connect() as conn:
        before = reports.report(conn, reports.ReportFilter(date(2026, 1, 1), date(2026, 12, 31)))
    done = _lift(engine, ids["pedro"], vocab.PREVIOUS_BOUNCE)
    assert done.can_send and done.event_id is not None
    assert _status(engine, ids["pedro"]) == (False, None, None)
    with engine.connect() as conn:
        events = da.contact_events(conn, ids["pedro"])
        newest = events.row(0, named=True)
        assert newest["event"] == vocab.BLOCK_LIFTED and newest["reason"] == "previous_bounce"
        assert newest["lifted_by"] == "ana.admin" and newest["comment"] == COMMENT
        assert newest["renewed_consent"] is False and newest["origin"] is None
        assert da.contact_status(conn, ids["pedro"])["can_send"][0]
        audit = users.audit_log(conn, action="block_lifted")
        assert audit["contact_id"].to_list() == [ids["pedro"]]
        assert "previous_bounce" in audit["detail"][0] and COMMENT in audit["detail"][0]
        # never a send: the reports and the rollups are what they were
        after = reports.report(conn, reports.ReportFilter(date(2026, 1, 1), date(2026, 12, 31)))
        assert after.headline.equals(before.headline)
    with engine.begin() as conn:
        kept = conn.execute(sa.select(schema.daily_rollup)).all()
        rollups.rebuild(conn)
        assert sorted(conn.execute(sa.select(schema.daily_rollup)).all()) == sorted(kept)
    assert _counts(engine)["reason"].to_list().count(vocab.PREVIOUS_BOUNCE) == 0


def test_a_bounce_after_the_lift_blocks_again(story):
    engine, ids = story
    done = _lift(engine, ids["pedro"], vocab.PREVIOUS_BOUNCE)
    with engine.begin() as conn:
        conn.execute(
            schema.email_events.insert(),
            {
                "contact_id": ids["pedro"],
                "campaign_id": 1,
                "event": "bounced",
                "bounce_type": "hard",
                "provider": "test",
                "occurred_at": done.lifted_at + timedelta(hours=1),
            },
        )
        da.refresh_contact_status(conn, [ids["pedro"]])
    assert _status(engine, ids["pedro"]) == (True, vocab.PREVIOUS_BOUNCE, "campaign")


def test_spam_needs_renewed_consent_and_the_history_says_so(story):
    engine, ids = story
    with pytest.raises(blocks.LiftRefused) as refused:
        _lift(engine, ids["jose"], vocab.PREVIOUS_SPAM)
    assert refused.value.code == policy.CONSENT_REQUIRED
    done = _lift(engine, ids["jose"], vocab.PREVIOUS_SPAM, renewed_consent=True)
    assert done.can_send
    with engine.connect() as conn:
        assert da.contact_events(conn, ids["jose"])["renewed_consent"][0] is True
    assert _status(engine, ids["jose"]) == (False, None, None)


def test_a_lift_keeps_the_other_reasons(story):
    engine, ids = story
    with engine.begin() as conn:
        conn.execute(
            schema.email_events.insert(),
            {
                "contact_id": ids["jose"],
                "campaign_id": 2,
                "event": "bounced",
                "bounce_type": "hard",
                "provider": "test",
                "occurred_at": T0 + timedelta(days=10),
            },
        )
        da.refresh_contact_status(conn, [ids["jose"]])
    done = _lift(engine, ids["jose"], vocab.PREVIOUS_BOUNCE)
    assert not done.can_send
    assert _status(engine, ids["jose"]) == (True, vocab.PREVIOUS_SPAM, "campaign")


@pytest.mark.parametrize(
    "key, reason, kw, code",
    [
        ("ana", vocab.INVALID_ADDRESS, {}, policy.NOT_LIFTABLE),
        ("pedro", vocab.PREVIOUS_SPAM, {"renewed_consent": True}, policy.NOT_BLOCKED),
        ("lucia", vocab.PREVIOUS_BOUNCE, {}, policy.NOT_BLOCKED),
        ("pedro", vocab.PREVIOUS_BOUNCE, {"comment": "  corto   "}, blocks.COMMENT_SHORT),
        ("pedro", vocab.PREVIOUS_BOUNCE, {"username": "victor.ventas"}, blocks.NOT_ADMIN),
        ("pedro", vocab.PREVIOUS_BOUNCE, {"username": "dora.baja"}, blocks.NOT_ADMIN),
        ("pedro", vocab.PREVIOUS_BOUNCE, {"username": "nadie"}, blocks.NOT_ADMIN),
        ("pedro", "opened", {}, blocks.UNKNOWN_REASON),
    ],
)
def test_refused_lifts_write_nothing(shared_story, key, reason, kw, code):
    engine, ids = shared_story
    with pytest.raises(blocks.LiftRefused) as refused:
        _lift(engine, ids[key], reason, **kw)
    assert refused.value.code == code and str(refused.value) == blocks.REFUSALS[code]
    with engine.connect() as conn:
        lifted = conn.execute(
            sa.select(sa.func.count()).where(schema.email_events.c.event == vocab.BLOCK_LIFTED)
        ).scalar_one()
        assert lifted == 0 and users.audit_log(conn, action="block_lifted").is_empty()


def test_a_seller_is_refused_even_after_being_an_admin(story):
    engine, ids = story
    with engine.begin() as conn:
        conn.execute(
            schema.users.update()
            .where(schema.users.c.username == "ana.admin")
            .values(role=vocab.SELLER)
        )
    with pytest.raises(blocks.LiftRefused, match="administrador"):
        _lift(engine, ids["pedro"], vocab.PREVIOUS_BOUNCE)


def test_a_dry_run_checks_and_writes_nothing(story):
    engine, ids = story
    done = _lift(engine, ids["pedro"], vocab.PREVIOUS_BOUNCE, dry_run=True)
    assert done.event_id is None and done.can_send
    assert _status(engine, ids["pedro"]) == (True, vocab.PREVIOUS_BOUNCE, "automation")


def test_a_lift_comes_after_events_dated_ahead_of_the_clock(story):
    engine, ids = story
    done = _lift(engine, ids["pedro"], vocab.PREVIOUS_BOUNCE, at=T0)  # before its bounce
    assert done.lifted_at > T0 + timedelta(days=6)
    assert _status(engine, ids["pedro"]) == (False, None, None)


def test_bulk_lift_by_email_counts_every_address(story):
    engine, ids = story
    emails = ["PEDRO.GOMEZ@example.com ", "lucia@example.com", "nadie@example.com", ""]
    with engine.begin() as conn:
        dry = blocks.lift_blocks_by_email(
            conn, emails, vocab.PREVIOUS_BOUNCE, username="ana.admin", comment=COMMENT, dry_run=True
        )
    assert (dry.received, dry.lifted, dry.not_blocked, dry.unknown) == (3, 1, 1, 1)
    assert dry.line().startswith("Simulación")
    assert _status(engine, ids["pedro"])[0] is True
    with engine.begin() as conn:
        done = blocks.lift_blocks_by_email(
            conn, emails, vocab.PREVIOUS_BOUNCE, username="ana.admin", comment=COMMENT
        )
    assert done.line() == (
        "3 direcciones: levantados 1, sin ese bloqueo 1, rechazados 0, desconocidas 1."
    )
    assert dict(done.problems)["nadie@example.com"] == "No existe ese contacto."
    assert _status(engine, ids["pedro"])[0] is False
    with engine.begin() as conn, pytest.raises(blocks.LiftRefused):
        blocks.lift_blocks_by_email(
            conn, emails, vocab.UNSUBSCRIBED_REASON, username="ana.admin", comment=COMMENT
        )
