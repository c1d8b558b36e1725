"""Postmark webhooks: django-anymail's real payloads, bounce types, complaints, subscription
changes, custom data, input shapes and files that are not Postmark's."""

import json
from datetime import UTC, datetime

import pytest

from data_access.ingest import postmark
from data_access.ingest.model import Event, FormatError, Ignored, Rejected, raw_text
from tests.ingest import conftest as fixtures
from tests.ingest.conftest import single_outcome


def anymail(name: str) -> tuple[dict, dict]:
    return fixtures.anymail("postmark", name)  # django-anymail's tests, BSD (LICENSE there)


def outcome_of(body) -> Event | Ignored | Rejected:
    return single_outcome(postmark, body)


def bounce(type_: str, **fields) -> dict:
    body = {
        "RecordType": "Bounce",
        "ID": 42,
        "Type": type_,
        "MessageID": "m-1",
        "Details": "smtp;550 5.1.1 no such user",
        "Email": "ana@example.com",
        "BouncedAt": "2024-06-01T10:00:00Z",
        "Inactive": True,
        "CanActivate": True,
    }
    body.update(fields)
    return body


def subscription_change(suppress, reason, **fields) -> dict:
    body = {
        "RecordType": "SubscriptionChange",
        "MessageID": "m-2",
        "ServerID": 1,
        "MessageStream": "outbound",
        "ChangedAt": "2020-02-01T10:53:34.416071Z",
        "Recipient": "ana@example.com",
        "Origin": "Recipient",
        "SuppressSending": suppress,
        "SuppressionReason": reason,
        "Tag": None,
        "Metadata": {},
    }
    body.update(fields)
    return body


# --- django-anymail's payloads ----------------------------------------------------------------


def test_anymail_bounce():
    body, expected = anymail("bounce")
    [record] = postmark.parse(json.dumps(body))
    assert record.position == 1 and raw_text(record) == json.dumps(body, ensure_ascii=False)
    [event] = record.outcomes
    assert expected["event_type"] == "bounced" and event.event == "bounced"
    assert event.bounce_type == "hard"
    assert event.email == expected["recipient"] == "bounce@example.com"
    # 16:28:50.3963933-04:00: Postmark's seven decimals, to the microsecond, in UTC.
    assert event.occurred_at == datetime(2016, 4, 27, 20, 28, 50, 396393, tzinfo=UTC)
    assert event.occurred_at.utcoffset().total_seconds() == 0
    assert event.provider_event_id == expected["event_id"] == "901542550"
    assert event.message_id == expected["message_id"]
    assert event.smtp_diagnostic == expected["mta_response"]
    assert event.provider_reason == "HardBounce"
    assert event.origin is None and event.campaign_external_id is None


def test_anymail_delivered():
    body, expected = anymail("delivered")
    event = outcome_of(body)
    assert expected["event_type"] == "delivered" and event.event == "delivered"
    assert event.email == expected["recipient"]
    assert event.occurred_at == datetime(2014, 8, 1, 17, 28, 10, 273539, tzinfo=UTC)
    assert event.message_id == expected["message_id"]
    assert event.provider_event_id is None  # deliveries have no id of their own
    assert event.smtp_diagnostic == "Test delivery webhook details"
    # Metadata without origin, and a Tag: still no origin, never guessed from the tag.
    assert expected["tags"] == ["welcome-email"] and event.origin is None
    assert event.campaign_external_id is None


def test_anymail_open_is_ignored():
    body, expected = anymail("open")
    assert expected["event_type"] == "opened"
    assert isinstance(outcome_of(body), Ignored)


# --- bounces ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "type_, bounce_type",
    [
        ("HardBounce", "hard"),
        ("BadEmailAddress", "hard"),
        ("SoftBounce", "soft"),
        ("Transient", "soft"),
        ("DnsError", "soft"),
        ("Blocked", "soft"),
        ("DMARCPolicy", "soft"),
        ("SpamNotification", "soft"),
        ("Unknown", "undetermined"),
        ("SomethingPostmarkAddsLater", "undetermined"),
    ],
)
def test_bounce_types(type_, bounce_type):
    event = outcome_of(bounce(type_))
    assert event == Event(
        email="ana@example.com",
        event="bounced",
        occurred_at=datetime(2024, 6, 1, 10, tzinfo=UTC),
        provider_event_id="42",
        message_id="m-1",
        bounce_type=bounce_type,
        provider_reason=type_,
        smtp_diagnostic="smtp;550 5.1.1 no such user",
    )


@pytest.mark.parametrize(
    "type_",
    [
        "AutoResponder",
        "AddressChange",
        "ManuallyDeactivated",
        "Subscribe",
        "TemplateRenderingFailed",
    ],
)
def test_bounce_records_that_are_not_bounces_are_ignored(type_):
    assert isinstance(outcome_of(bounce(type_)), Ignored)


def test_bounce_without_type_is_undetermined():
    body = bounce("x")
    del body["Type"]
    assert outcome_of(body).bounce_type == "undetermined"


def test_spam_complaint_inside_a_bounce_record():
    event = outcome_of(bounce("SpamComplaint"))
    assert event.event == "spam_complaint" and event.bounce_type is None
    assert event.provider_event_id == "42"


def test_unsubscribe_reply_inside_a_bounce_record():
    assert outcome_of(bounce("Unsubscribe")).event == "unsubscribed"


def test_spam_complaint_record():
    body = bounce(
        "SpamComplaint",
        RecordType="SpamComplaint",
        ID=777,
        Details="",
        BouncedAt="2024-06-01T05:00:00-05:00",
    )
    event = outcome_of(body)
    assert event.event == "spam_complaint" and event.email == "ana@example.com"
    assert event.occurred_at == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert event.provider_event_id == "777" and event.smtp_diagnostic is None


def test_bounce_falls_back_to_recipient_and_rejects_without_either():
    body = bounce("HardBounce", Recipient="luis@example.com")
    del body["Email"]
    assert outcome_of(body).email == "luis@example.com"
    assert outcome_of(bounce("HardBounce", Email="")) == Rejected("falta el destinatario")


# --- subscription changes ---------------------------------------------------------------------


def test_manual_suppression_is_an_unsubscribe():
    event = outcome_of(subscription_change(True, "ManualSuppression"))
    assert event.event == "unsubscribed" and event.email == "ana@example.com"
    assert event.occurred_at == datetime(2020, 2, 1, 10, 53, 34, 416071, tzinfo=UTC)
    assert event.provider_reason == "SuppressionReason=ManualSuppression, Origin=Recipient"
    assert event.message_id == "m-2" and event.provider_event_id is None


@pytest.mark.parametrize(
    "reason, block", [("HardBounce", "previous_bounce"), ("SpamComplaint", "previous_spam")]
)
def test_suppression_after_a_bounce_or_complaint_is_evidence_of_the_block(reason, block):
    # Stored unless the bounce or the complaint is already there (the store decides: see
    # test_postmark_evidence).
    assert outcome_of(subscription_change(True, reason)) == Event(
        email="ana@example.com",
        event="not_sent",
        occurred_at=datetime(2020, 2, 1, 10, 53, 34, 416071, tzinfo=UTC),
        message_id="m-2",
        reason=block,
        provider_reason=f"SuppressionReason={reason}, Origin=Recipient",
        evidence_only=True,
    )


def test_reactivation_is_a_resubscribe():
    event = outcome_of(subscription_change(False, None, MessageID=None, Origin="Customer"))
    assert event.event == "resubscribed" and event.message_id is None
    assert event.provider_reason == "Origin=Customer"


def test_unknown_suppression_reason_and_missing_flag_are_rejected():
    assert outcome_of(subscription_change(True, "Whatever")) == Rejected(
        "motivo de supresión desconocido: Whatever"
    )
    for flag in ("yes", None):
        assert outcome_of(subscription_change(flag, "ManualSuppression")) == Rejected(
            "falta SuppressSending (true o false)"
        )


# --- custom data ------------------------------------------------------------------------------


def test_metadata_gives_origin_and_campaign():
    event = outcome_of(
        bounce(
            "HardBounce",
            Tag="campaign",
            Metadata={"origin": "campaign", "campaign_id": 77, "campaign_name": "Rebajas de junio"},
        )
    )
    assert event.origin == "campaign"
    assert event.campaign_external_id == "77"
    assert event.campaign_name == "Rebajas de junio"


@pytest.mark.parametrize(
    "fields",
    [
        {"Tag": "automation"},  # the Tag never says the origin
        {"Metadata": {"origin": "flujo"}},
        {"Metadata": None},
    ],
)
def test_no_or_wrong_origin_is_never_guessed(fields):
    assert outcome_of(bounce("HardBounce", **fields)).origin is None


def test_postmarks_own_origin_field_is_not_the_origin():
    event = outcome_of(subscription_change(True, "ManualSuppression", Origin="campaign"))
    assert event.origin is None


# --- other records and bad records ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Open", "Click"])
def test_engagement_is_ignored(kind):
    assert isinstance(outcome_of({"RecordType": kind, "Recipient": "a@example.com"}), Ignored)


def test_unknown_record_type_is_rejected():
    assert outcome_of({"RecordType": "Inbound"}) == Rejected("evento desconocido: Inbound")


@pytest.mark.parametrize(
    "when, reason",
    [
        (None, "falta la fecha"),
        ("mañana", "fecha ilegible: mañana"),
        ("2101-01-01T00:00:00Z", "fecha imposible: 2101-01-01T00:00:00Z"),
        ("1969-12-31T23:59:59Z", "fecha imposible: 1969-12-31T23:59:59Z"),
        (-1, "fecha imposible: -1"),
    ],
)
def test_bad_dates_are_rejected(when, reason):
    assert outcome_of(bounce("HardBounce", BouncedAt=when)) == Rejected(reason)


def test_unix_seconds_and_times_without_offset_are_utc(local_time_not_utc):
    assert outcome_of(bounce("HardBounce", BouncedAt=1717236000)).occurred_at == datetime(
        2024, 6, 1, 10, tzinfo=UTC
    )
    assert outcome_of(
        bounce("HardBounce", BouncedAt="2024-06-01T10:00:00")
    ).occurred_at == datetime(2024, 6, 1, 10, tzinfo=UTC)


# --- input shapes -----------------------------------------------------------------------------


def test_json_array_of_bodies():
    bodies = [bounce("HardBounce"), anymail("delivered")[0], anymail("open")[0]]
    records = list(postmark.parse(json.dumps(bodies)))
    assert [r.position for r in records] == [1, 2, 3]
    assert [type(r.outcomes[0]) for r in records] == [Event, Event, Ignored]


def test_json_lines_with_a_broken_line():
    text = (
        "\n".join(
            [
                json.dumps(bounce("SoftBounce")),
                "{not json",
                "",
                json.dumps({"event-data": {"event": "delivered"}}),
                json.dumps(subscription_change(False, None)),
            ]
        )
        + "\r\n"
    )
    records = list(postmark.parse(text))
    assert [r.position for r in records] == [1, 2, 4, 5]
    assert records[0].outcomes[0].bounce_type == "soft"
    assert raw_text(records[1]) == "{not json" and records[1].outcomes[0].reason.startswith(
        "JSON roto"
    )
    assert records[2].outcomes[0] == Rejected("no parece un evento de Postmark: falta RecordType")
    assert records[3].outcomes[0].event == "resubscribed"


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"event-data": {"event": "delivered", "recipient": "a@example.com"}}),  # Mailgun
        json.dumps([{"Recipient": "a@example.com"}]),
        "Hola,\nesto es texto\n",
        "",
    ],
)
def test_not_postmark_is_a_format_error_before_anything_is_yielded(text):
    with pytest.raises(FormatError) as error:
        postmark.parse(text)  # raised by the call itself, not while iterating
    assert "Postmark" in str(error.value) or "vacío" in str(error.value)
