"""The demo world: realistic, consistent with the policy, deterministic, loadable anywhere."""

from datetime import UTC, datetime

import polars as pl
import pytest
import sqlalchemy as sa

import data_access as da
from data_access import demo, policy, schema, vocab
from tests.conftest import WORLD_CONTACTS, WORLD_SEED, WORLD_UNTIL


def _replay(world):
    """Feed every contact's events, in stored order, through the policy; yield each not_sent
    with the verdict just before it, and the final verdict of every contact."""
    emails = dict(zip(world.contacts["id"], world.contacts["email"]))
    created = dict(zip(world.contacts["id"], world.contacts["created_at"]))
    by_contact = world.events.sort("id").partition_by("contact_id", as_dict=True)
    finals = {}
    drops = []
    for contact_id in world.contacts["id"]:
        tracker = policy.StatusTracker(emails[contact_id], created_at=created[contact_id])
        frame = by_contact.get((contact_id,))
        for row in frame.iter_rows(named=True) if frame is not None else []:
            if row["event"] == vocab.NOT_SENT:
                drops.append((row, tracker.verdict()))
            tracker.apply(
                row["event"],
                row["occurred_at"],
                bounce_type=row["bounce_type"],
                reason=row["reason"],
                ref=row["id"],
            )
        finals[contact_id] = tracker.verdict()
    return drops, finals


@pytest.fixture(scope="module")
def replay(world):
    return _replay(world)


def test_every_not_sent_is_explained_by_what_came_before(replay):
    drops, _ = replay
    assert drops, "the world must contain not-sent emails"
    for row, verdict_before in drops:
        assert not verdict_before.can_send, row
        assert verdict_before.reason == row["reason"], row


def test_stored_status_is_the_policy_verdict_of_every_contact(world, replay):
    _, finals = replay
    for row in world.statuses.iter_rows(named=True):
        verdict = finals[row["contact_id"]]
        assert row["blocked"] == (not verdict.can_send)
        assert row["reason"] == verdict.reason
        if not verdict.can_send:
            cause = verdict.primary.cause
            assert row["cause_event_id"] == cause
            assert row["since"] == verdict.primary.since


def test_every_reason_event_and_origin_occurs(world):
    events = world.events
    assert set(events["event"]) == {
        vocab.DELIVERED,
        vocab.BOUNCED,
        vocab.SPAM_COMPLAINT,
        vocab.NOT_SENT,
        vocab.UNSUBSCRIBED,
        vocab.RESUBSCRIBED,
    }
    assert set(events["reason"].drop_nulls()) == set(vocab.REASONS)
    assert set(events["bounce_type"].drop_nulls()) == {vocab.HARD, vocab.SOFT}
    origins = events.join(
        world.campaigns.select(pl.col("id").alias("campaign_id"), "origin"), on="campaign_id"
    )
    for event in (vocab.BOUNCED, vocab.SPAM_COMPLAINT, vocab.NOT_SENT, vocab.DELIVERED):
        assert set(origins.filter(pl.col("event") == event)["origin"]) == set(vocab.ORIGINS), event
    assert set(world.statuses["reason"].drop_nulls()) == set(vocab.REASONS)


def test_the_mix_looks_like_real_sending(world):
    share = world.events["event"].value_counts(normalize=True)
    share = dict(zip(share["event"], share["proportion"]))
    assert 0.90 < share[vocab.DELIVERED] < 0.98
    assert 0.005 < share[vocab.BOUNCED] < 0.04
    assert 0.0003 < share[vocab.SPAM_COMPLAINT] < 0.005
    bounces = world.events.filter(pl.col("event") == vocab.BOUNCED)
    assert bounces["smtp_diagnostic"].null_count() == 0
    assert bounces["smtp_diagnostic"].str.contains(r"^[245]\d\d [245]\.\d").all()
    segments = demo.words.SEGMENT_CAMPAIGNS_PER_YEAR
    assert len(world.campaigns.filter(origin="campaign")) == 20 + segments
    assert len(world.campaigns.filter(origin="automation")) == 8


def test_soft_bounces_are_final_failures_not_retries(world):
    soft = world.events.filter(pl.col("bounce_type") == vocab.SOFT)
    assert set(soft["provider_reason"]) == {"Mailbox full", "Message expired"}
    texts = soft["smtp_diagnostic"].str.to_lowercase()
    assert not texts.str.contains("try again|greylist|come back later|deferred").any()
    assert texts.str.contains("over quota|mailbox full").any()
    assert texts.str.contains("expired").any()


def test_names_and_addresses_are_realistic(world):
    contacts = world.contacts
    assert contacts["email"].is_unique().all()
    assert contacts["name"].str.contains("[áéíóúÁÉÍÓÚ]").any()
    assert contacts["name"].str.contains("ñ|Ñ").any()
    assert contacts["name"].str.contains("-| de la | del ").any()
    assert contacts["name"].str.len_chars().max() > 60
    assert contacts["name"].is_duplicated().any()  # same name, different addresses
    assert contacts["email"].str.contains("@(gmial|hotmial|yaho|outlok)\\.").any()
    invalid = [e for e in contacts["email"] if not policy.is_valid_address(e)]
    assert 0 < len(invalid) < contacts.height * 0.02
    assert (contacts["email"] == contacts["email"].str.to_lowercase()).all()


def test_the_world_spans_the_year_before_until(world):
    times = world.events["occurred_at"]
    assert times.max().date() < WORLD_UNTIL
    assert (WORLD_UNTIL - times.min().date()).days <= 366
    assert world.events["id"].is_sorted() and times.is_sorted()


def test_same_seed_same_world_other_seed_other_world(world):
    again = demo.generate(WORLD_CONTACTS, seed=WORLD_SEED, until=WORLD_UNTIL)
    for name in ("contacts", "campaigns", "events", "statuses"):
        assert getattr(again, name).equals(getattr(world, name)), name
    other = demo.generate(WORLD_CONTACTS, seed=WORLD_SEED + 1, until=WORLD_UNTIL)
    assert not other.events.equals(world.events)


def test_generate_refuses_an_empty_world():
    with pytest.raises(ValueError):
        demo.generate(0)


def test_tiny_worlds_still_work():
    tiny = demo.generate(1, seed=3)
    assert tiny.contacts.height == 1 and tiny.statuses.height == 1


def test_loaded_world_matches_the_frames(world_engine, world):
    with world_engine.connect() as conn:
        count = lambda table: conn.execute(  # noqa: E731
            sa.select(sa.func.count()).select_from(table)
        ).scalar_one()
        assert count(schema.contacts) == world.contacts.height
        assert count(schema.email_events) == world.events.height
        assert count(schema.contact_status) == world.contacts.height
        assert count(schema.campaigns) == world.campaigns.height == 178


def test_stored_status_equals_the_live_query(world_engine, world):
    sample = world.statuses.sort("blocked", "contact_id", descending=True).head(60)
    sample = pl.concat([sample, world.statuses.filter(~pl.col("blocked")).head(20)])
    with world_engine.connect() as conn:
        for row in sample.iter_rows(named=True):
            live = da.contact_status(conn, row["contact_id"]).row(0, named=True)
            assert live["can_send"] == (not row["blocked"])
            assert live["reason"] == row["reason"]
            assert live["cause_event_id"] == row["cause_event_id"]
            assert live["since"] == row["since"]
            assert live["origin"] == row["cause_origin"]  # of the causing email, or none


def test_load_refuses_a_database_with_contacts_unless_replace(empty_engine):
    small = demo.generate(20, seed=1)
    demo.load(empty_engine, small)
    with pytest.raises(ValueError, match="--replace"):
        demo.load(empty_engine, small)
    other = demo.generate(30, seed=2)
    demo.load(empty_engine, other, replace=True)
    with empty_engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(schema.contacts)).scalar_one()
    assert total == 30


def test_ids_continue_after_a_bulk_load(empty_engine):
    demo.load(empty_engine, demo.generate(10, seed=1))
    with empty_engine.begin() as conn:
        new_id = conn.execute(
            schema.contacts.insert().returning(schema.contacts.c.id),
            {
                "email": "nuevo@example.com",
                "name": "Nuevo",
                "email_key": "nuevo@example.com",
                "name_key": "nuevo",
                "created_at": datetime.now(UTC),
            },
        ).scalar_one()
    assert new_id == 11


def test_search_works_after_a_bulk_load_and_for_contacts_added_later(empty_engine, world):
    demo.load(empty_engine, demo.generate(200, seed=5))
    with empty_engine.begin() as conn:
        conn.execute(
            schema.contacts.insert(),
            {
                "email": "zacarias.quinonez@example.com",
                "name": "Zacarías Quiñónez",
                "email_key": "zacarias.quinonez@example.com",
                "name_key": "zacarias quinonez",
                "created_at": datetime.now(UTC),
            },
        )
    with empty_engine.connect() as conn:
        assert da.search_contacts(conn, "ñónez")["name"].to_list() == ["Zacarías Quiñónez"]
        loaded = conn.execute(sa.select(schema.contacts.c.name).limit(1)).scalar_one()
        word = loaded.split()[-1][1:]  # a substring inside a surname
        assert loaded in da.search_contacts(conn, word, limit=100)["name"].to_list()
        indexes = {ix["name"] for ix in sa.inspect(conn).get_indexes("email_events")}
        assert {"ix_email_events_contact_time", "ix_email_events_event_time"} <= indexes


def test_the_world_has_a_long_history_for_the_card_over_many_campaigns(world):
    per_contact = world.events.group_by("contact_id").len().sort("len", descending=True)
    assert per_contact["len"][0] >= 1500
    heavy = world.events.filter(pl.col("contact_id") == per_contact["contact_id"][0])
    per_campaign = heavy.group_by("campaign_id").len()
    assert per_campaign.height >= 150  # not one campaign's name 65 times
    assert per_campaign["len"].max() <= 0.03 * heavy.height
    bounces = heavy.filter(pl.col("event") == vocab.BOUNCED)
    assert bounces.height > 20  # its notices need the card's pager (20 a page)...
    statuses = world.statuses.filter(pl.col("contact_id") == per_contact["contact_id"][0])
    assert not statuses["blocked"][0]  # ...and the team's mailbox is never blocked


def test_some_contacts_have_two_reasons_and_some_more_than_a_page_of_notices(replay, world):
    _, finals = replay
    both = [v for v in finals.values() if len(v.blocks) >= 2]
    assert len(both) >= 2
    assert {vocab.PREVIOUS_SPAM, vocab.UNSUBSCRIBED_REASON} <= {b.reason for b in both[0].blocks}
    notices = world.events.filter(
        pl.col("event").is_in([vocab.BOUNCED, vocab.SPAM_COMPLAINT, vocab.NOT_SENT])
    )
    per_contact = notices.group_by("contact_id").len()
    assert per_contact.filter(pl.col("len") > 20).height >= 2  # 20: the card's page of notices
