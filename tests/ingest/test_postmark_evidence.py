"""Postmark's SubscriptionChange after a hard bounce or a spam complaint: evidence of a block,
stored as not_sent (previous_bounce / previous_spam) when the contact has no hard bounce / spam
complaint yet (in the database or in the same file), ignored when it has, whichever comes
first; and the status then blocks the contact. Real bodies from django-anymail's and missive's
tests (tests/ingest/fixtures/postmark/{anymail_subscription,missive}, SOURCES.md there)."""

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

import data_access as da
from data_access import schema
from data_access.ingest import postmark
from data_access.ingest.model import Event, Rejected
from tests.ingest.conftest import counts, fixture_text, import_text, stored_events

CHANGED = datetime(2022, 6, 5, 17, 17, 32, tzinfo=UTC)  # anymail's ChangedAt
MISSIVE_CHANGED = datetime(2025, 3, 29, 20, 49, 48, tzinfo=UTC)


def body(name: str) -> dict:
    return json.loads(fixture_text("postmark", name))


def outcome_of(value: dict):
    [record] = postmark.parse(json.dumps(value))
    [outcome] = record.outcomes
    return outcome


# --- the real bodies --------------------------------------------------------------------------


def test_anymail_hard_bounce_suppression():
    assert outcome_of(body("anymail_subscription/subscriptionchange_hardbounce.json")) == Event(
        email="john@example.com",
        event="not_sent",
        occurred_at=CHANGED,
        message_id="b4cb783d-78ed-43f2-983b-63f55c712dc8",
        reason="previous_bounce",
        provider_reason="SuppressionReason=HardBounce, Origin=Recipient",
        evidence_only=True,
    )


@pytest.mark.parametrize(
    "name, event, reason, evidence",
    [
        ("missive/subscriptionchange_spamcomplaint.json", "not_sent", "previous_spam", True),
        ("missive/subscriptionchange_hardbounce.json", "not_sent", "previous_bounce", True),
        ("missive/subscriptionchange_manualsuppression.json", "unsubscribed", None, False),
    ],
)
def test_missive_suppressions(name, event, reason, evidence):
    outcome = outcome_of(body(name))
    assert (outcome.event, outcome.reason, outcome.evidence_only) == (event, reason, evidence)
    assert outcome.occurred_at == MISSIVE_CHANGED and outcome.email == "john@example.com"
    assert outcome.message_id == "00000000-0000-0000-0000-000000000000"


def test_manual_suppression_stays_an_unsubscribe_and_reactivation_a_resubscribe():
    manual = outcome_of(body("anymail_subscription/subscriptionchange_manualsuppression.json"))
    assert (manual.event, manual.evidence_only) == ("unsubscribed", False)
    assert manual.provider_reason == "SuppressionReason=ManualSuppression, Origin=Recipient"
    back = outcome_of(body("anymail_subscription/subscriptionchange_reactivation.json"))
    assert (back.event, back.provider_reason) == ("resubscribed", "Origin=Recipient")


def test_a_bounce_with_no_recipient_stays_in_the_quarantine():
    # django-anymail issue #447's "Unsubscribe" Bounce: no Email, no Recipient.
    unsubscribe = body("anymail_subscription/bounce_type_unsubscribe_typecode16.json")
    assert outcome_of(unsubscribe) == Rejected("falta el destinatario")


# --- what the store makes of them -------------------------------------------------------------

EMAIL = "john@example.com"


def suppression(reason: str, when: str = "2022-06-05T17:17:32Z") -> dict:
    value = body("anymail_subscription/subscriptionchange_hardbounce.json")
    value.update(SuppressionReason=reason, ChangedAt=when, Metadata={"origin": "campaign"})
    return value


def bounce(type_: str = "HardBounce", record: str = "Bounce", id_: int = 42) -> dict:
    return {
        "RecordType": record,
        "ID": id_,
        "Type": type_,
        "MessageID": "b4cb783d-78ed-43f2-983b-63f55c712dc8",
        "Details": "smtp;550 5.1.1 no such user",
        "Email": EMAIL,
        "BouncedAt": "2022-06-05T17:17:30Z",
        "Metadata": {"origin": "campaign"},
    }


def run(engine, *values: dict):
    return counts(import_text(engine, "postmark", json.dumps(list(values))))


def events(engine) -> list[tuple[str, str | None, str | None]]:
    return sorted((row[1], row[2], row[3]) for row in stored_events(engine))


def status(engine) -> dict:
    with engine.connect() as conn:
        blocked = da.blocked_contacts(conn)
    return dict(zip(blocked["email"], zip(blocked["reason"], blocked["cause_event"])))


@pytest.mark.parametrize(
    "reason, block", [("HardBounce", "previous_bounce"), ("SpamComplaint", "previous_spam")]
)
def test_a_suppression_alone_is_stored_and_blocks_the_contact(empty_engine, reason, block):
    assert run(empty_engine, suppression(reason)) == (1, 1, 0, 0, 0)
    assert stored_events(empty_engine) == [
        (
            EMAIL,
            "not_sent",
            None,
            block,
            f"SuppressionReason={reason}, Origin=Recipient",
            None,
            CHANGED,
            "campaign",
            "sin-identificar",
        )
    ]
    assert status(empty_engine) == {EMAIL: (block, "not_sent")}
    # Imported again: a duplicate (the store's hash), nothing stored.
    assert run(empty_engine, suppression(reason)) == (1, 0, 1, 0, 0)


@pytest.mark.parametrize("suppression_first", [True, False])
def test_with_its_bounce_in_the_same_file_it_is_ignored_in_either_order(
    empty_engine, suppression_first
):
    pair = [suppression("HardBounce"), bounce()]
    if not suppression_first:
        pair.reverse()
    assert run(empty_engine, *pair) == (2, 1, 0, 1, 0)
    assert events(empty_engine) == [("bounced", "hard", None)]
    assert status(empty_engine) == {EMAIL: ("previous_bounce", "bounced")}
    assert run(empty_engine, *pair) == (2, 0, 1, 1, 0)  # again: nothing stored


def test_with_its_bounce_already_stored_it_is_ignored(empty_engine):
    assert run(empty_engine, bounce()) == (1, 1, 0, 0, 0)
    assert run(empty_engine, suppression("HardBounce")) == (1, 0, 0, 1, 0)
    assert events(empty_engine) == [("bounced", "hard", None)]


def test_a_complaint_already_stored_makes_the_spam_suppression_ignored(empty_engine):
    assert run(empty_engine, bounce("SpamComplaint", record="SpamComplaint")) == (1, 1, 0, 0, 0)
    assert run(empty_engine, suppression("SpamComplaint")) == (1, 0, 0, 1, 0)
    assert events(empty_engine) == [("spam_complaint", None, None)]


def test_a_bounce_that_arrives_after_its_suppression_is_stored_too(empty_engine):
    assert run(empty_engine, suppression("HardBounce")) == (1, 1, 0, 0, 0)
    assert run(empty_engine, bounce()) == (1, 1, 0, 0, 0)
    assert events(empty_engine) == [
        ("bounced", "hard", None),
        ("not_sent", None, "previous_bounce"),
    ]
    with empty_engine.connect() as conn:
        reason = conn.execute(sa.select(schema.contact_status.c.reason)).scalar_one()
    assert reason == "previous_bounce"


@pytest.mark.parametrize(
    "other, reason",
    [
        (bounce("SoftBounce"), "HardBounce"),  # a soft bounce is not the cause of a hard block
        (bounce("SpamComplaint", record="SpamComplaint"), "HardBounce"),
        (bounce("HardBounce"), "SpamComplaint"),
    ],
)
def test_only_the_blocks_own_cause_makes_it_redundant(empty_engine, other, reason):
    assert run(empty_engine, other, suppression(reason)) == (2, 2, 0, 0, 0)


def test_another_contacts_bounce_does_not_count(empty_engine):
    someone_else = bounce() | {"Email": "otra@example.com"}
    assert run(empty_engine, someone_else, suppression("HardBounce")) == (2, 2, 0, 0, 0)


def test_a_providers_own_drop_is_a_send_and_always_stored(empty_engine):
    # Mailgun's drop of a later email to a bounced address is a not_sent of its own (it counts
    # in the reports), not evidence: stored beside the bounce.
    assert run(empty_engine, bounce()) == (1, 1, 0, 0, 0)
    drop = (
        "event=dropped&reason=hardfail&code=605&recipient=john%40example.com"
        "&timestamp=1654449500&origin=campaign&Message-Id=%3Cm-2%40example.com%3E"
    )
    assert counts(import_text(empty_engine, "mailgun", drop)) == (1, 1, 0, 0, 0)
