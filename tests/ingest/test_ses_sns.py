"""Amazon SES through SNS: notifications whose bounce or complaint (and `mail`) carry no date
use the envelope's `Timestamp`; SNS housekeeping (topic validation, subscription and
unsubscribe confirmations) is ignored, not quarantined. Real bodies from django-anymail's tests
and the AWS SNS developer guide (tests/ingest/fixtures/ses/*_sns, SOURCES.md there)."""

import json
from datetime import UTC, datetime

import pytest

from data_access.ingest import ses
from data_access.ingest.model import Event, Ignored, Rejected
from tests.ingest.conftest import counts, fixture_text, import_text, stored_events

PUBLISHED = datetime(2018, 3, 26, 17, 58, 59, 675000, tzinfo=UTC)  # the envelopes' Timestamp
BOUNCE_MAIL = "00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924-000000"
COMPLAINT_MAIL = "000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000"
HOUSEKEEPING = [
    "anymail_sns/sns_topic_validation_notification.json",
    "anymail_sns/sns_subscription_confirmation.json",
    "anymail_sns/sns_unsubscribe_confirmation.json",
    "awsdocs_sns/sns_subscription_confirmation.json",
    "awsdocs_sns/sns_unsubscribe_confirmation.json",
]


def outcomes(text: str) -> list:
    return [outcome for record in ses.parse(text) for outcome in record.outcomes]


def hard(email: str) -> Event:
    return Event(
        email=email,
        event="bounced",
        occurred_at=PUBLISHED,
        message_id=BOUNCE_MAIL,
        bounce_type="hard",
        provider_reason="Permanent/General",
    )


COMPLAINT = Event(
    email="richard@example.com",
    event="spam_complaint",
    occurred_at=PUBLISHED,
    message_id=COMPLAINT_MAIL,
    provider_reason="abuse",
)


def test_bounce_without_inner_dates_is_dated_by_the_envelope():
    got = outcomes(fixture_text("ses", "anymail_sns/sns_bounce_no_inner_timestamps.json"))
    assert got == [hard("jane@example.com"), hard("richard@example.com")]


def test_complaint_without_inner_dates_is_dated_by_the_envelope():
    got = outcomes(fixture_text("ses", "anymail_sns/sns_complaint_no_inner_timestamps.json"))
    assert got == [COMPLAINT]


@pytest.mark.parametrize("name", HOUSEKEEPING)
def test_sns_housekeeping_is_ignored(name):
    [outcome] = outcomes(fixture_text("ses", name))
    assert isinstance(outcome, Ignored)


def envelope(message: dict, **fields) -> dict:
    value = {"Type": "Notification", "MessageId": "m", "Message": json.dumps(message)}
    value.update(fields)
    return value


BOUNCE = {
    "notificationType": "Bounce",
    "bounce": {
        "bounceType": "Transient",
        "bounceSubType": "MailboxFull",
        "bouncedRecipients": [{"emailAddress": "ana@example.com"}],
    },
    "mail": {"messageId": "m-1", "timestamp": "2018-03-26T10:00:00.000Z"},
}


def test_the_envelope_does_not_replace_a_date_that_is_there():
    inner = json.loads(json.dumps(BOUNCE))
    inner["bounce"]["timestamp"] = "2018-03-26T17:00:00.000Z"
    [event] = outcomes(json.dumps(envelope(inner, Timestamp="2018-03-26T17:58:59.675Z")))
    assert event.occurred_at == datetime(2018, 3, 26, 17, tzinfo=UTC)
    inner["bounce"]["timestamp"] = "ayer"  # there but unreadable: refused, not replaced
    [rejected] = outcomes(json.dumps(envelope(inner, Timestamp="2018-03-26T17:58:59.675Z")))
    assert rejected == Rejected("fecha ilegible: ayer")


def test_the_send_time_is_not_the_bounce_time():
    # BOUNCE's mail.timestamp (the send) is not used: the envelope's is, or none at all.
    [event] = outcomes(json.dumps(envelope(BOUNCE, Timestamp="2018-03-26T17:58:59.675Z")))
    assert event.occurred_at == PUBLISHED and event.bounce_type == "soft"
    assert outcomes(json.dumps(BOUNCE)) == [Rejected("falta la fecha")]  # bare: no envelope
    assert outcomes(json.dumps(envelope(BOUNCE))) == [Rejected("falta la fecha")]


def test_another_text_message_is_still_not_ses():
    text = fixture_text("ses", "anymail_sns/sns_topic_validation_notification.json")
    other = json.loads(text) | {"Message": "Hello world!"}
    [outcome] = outcomes(json.dumps(other))
    assert isinstance(outcome, Rejected) and outcome.reason.startswith("el mensaje SNS no es JSON")


def test_import_stores_the_bounces_and_the_complaint_once_and_ignores_housekeeping(empty_engine):
    values = [
        json.loads(fixture_text("ses", name))
        for name in [
            "anymail_sns/sns_bounce_no_inner_timestamps.json",
            "anymail_sns/sns_complaint_no_inner_timestamps.json",
            *HOUSEKEEPING,
        ]
    ]
    text = json.dumps(values)
    assert counts(import_text(empty_engine, "ses", text, default_origin="campaign")) == (
        8,
        3,
        0,
        5,
        0,
    )
    expected = [
        (
            email,
            "bounced",
            "hard",
            None,
            "Permanent/General",
            None,
            PUBLISHED,
            "campaign",
            "sin-identificar",
        )
        for email in ("jane@example.com", "richard@example.com")
    ] + [
        (
            "richard@example.com",
            "spam_complaint",
            None,
            None,
            "abuse",
            None,
            PUBLISHED,
            "campaign",
            "sin-identificar",
        )
    ]
    assert stored_events(empty_engine) == sorted(expected, key=repr)
    # The same file again: the events have no feedback id, and the store's hash of each is
    # the same (the envelope's date is part of it).
    again = import_text(empty_engine, "ses", text, default_origin="campaign")
    assert counts(again) == (8, 0, 3, 5, 0)
    # Housekeeping alone is a file of SES's too: nothing stored, nothing quarantined.
    alone = "\n".join(fixture_text("ses", name).replace("\n", " ") for name in HOUSEKEEPING)
    assert counts(import_text(empty_engine, "ses", alone)) == (5, 0, 0, 5, 0)
