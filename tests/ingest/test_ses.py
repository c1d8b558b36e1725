"""The Amazon SES parser on the AWS documentation's notifications (bare, in SNS envelopes, in
arrays and JSON lines) and on edge cases."""

import json
from datetime import UTC, datetime

import pytest

from data_access import vocab
from data_access.ingest import ses
from data_access.ingest.model import Event, FormatError, Ignored, Rejected, raw_text
from tests.ingest.conftest import fixture_paths, fixture_text

SENDGRID_BATCH = fixture_text("sendgrid", "event-webhook-batch-all-types.json")
EXAMPLE_MESSAGE = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"
EXAMPLE_FEEDBACK = "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000"


def at(text: str) -> datetime:
    """An exact UTC moment written like SES writes it."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def bounce(email, *, feedback, message, smtp=None, when="2016-01-27T14:59:38.237Z"):
    return Event(
        email=email,
        event=vocab.BOUNCED,
        occurred_at=at(when),
        provider_event_id=f"{feedback}:bounce:{email}",
        message_id=message,
        bounce_type=vocab.HARD,
        provider_reason="Permanent/General",
        smtp_diagnostic=smtp,
    )


def complaint(email, *, feedback, message, kind, when="2016-01-27T14:59:38.237Z"):
    return Event(
        email=email,
        event=vocab.SPAM_COMPLAINT,
        occurred_at=at(when),
        provider_event_id=f"{feedback}:complaint:{email}",
        message_id=message,
        provider_reason=kind,
    )


def ignored(words):
    return ("ignored", words)


def rejected(words):
    return ("rejected", words)


NOT_RASTRO = "no es ninguno de los motivos de no envío de Rastro"
SUBSCRIBER = "subscription-event-7799@default.sysmon-iad.dohe.com"
SUBSCRIPTION_MESSAGE = "0100017e4bccb684-777bc8de-afa7-4970-92b0-f515137b1497-000000"

# Every example file and what it must give: Event values compared whole, or (kind, words).
EXPECTED = {
    "bounce_event_example_ses_body.json": [
        bounce(
            "recipient@example.com",
            feedback=EXAMPLE_FEEDBACK,
            message=EXAMPLE_MESSAGE,
            smtp="smtp; 550 5.1.1 user unknown",
            when="2017-08-05T00:41:02.669Z",
        )
    ],
    "bounce_notification_with_dsn_example_ses_body.json": [
        bounce(
            "jane@example.com",
            feedback="00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000",
            message="00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
            smtp="smtp; 550 5.1.1 <jane@example.com>... User",
        )
    ],
    "bounce_notification_without_dsn_example_ses_body.json": [
        bounce(
            email,
            feedback="00000137860315fd-869464a4-8680-4114-98d3-716fe35851f9-000000",
            message="00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924-000000",
        )
        for email in ("jane@example.com", "richard@example.com")
    ],
    "click_event_example_ses_body.json": [ignored("clic")],
    "complaint_event_example_ses_body.json": [
        complaint(
            "recipient@example.com",
            feedback=EXAMPLE_FEEDBACK,
            message=EXAMPLE_MESSAGE,
            kind="abuse",
            when="2017-08-05T00:41:02.669Z",
        )
    ],
    "complaint_notification_with_feedback_example_ses_body.json": [
        complaint(
            "richard@example.com",
            feedback="000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000",
            message="000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000",
            kind="abuse",
        )
    ],
    "complaint_notification_without_feedback_example_ses_body.json": [
        complaint(
            "richard@example.com",
            feedback="0000013786031775-fea503bc-7497-49e1-881b-a0379bb037d3-000000",
            message="0000013786031775-163e3910-53eb-4c8e-a04a-f29debf88a84-000000",
            kind=None,
        )
    ],
    "delivery_delay_event_example_ses_body.json": [ignored("retraso de entrega")],
    "delivery_event_example_ses_body.json": [
        Event(
            email="recipient@example.com",
            event=vocab.DELIVERED,
            occurred_at=at("2016-10-19T23:21:04.133Z"),
            provider_event_id=f"{EXAMPLE_MESSAGE}:delivery:recipient@example.com",
            message_id=EXAMPLE_MESSAGE,
            smtp_diagnostic="250 2.6.0 Message received",
        )
    ],
    "delivery_notification_example_ses_body.json": [
        Event(
            email="jane@example.com",
            event=vocab.DELIVERED,
            occurred_at=at("2016-01-27T14:59:38.237Z"),
            provider_event_id="0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000"
            ":delivery:jane@example.com",
            message_id="0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000",
            smtp_diagnostic="250 ok:  Message 64111812 accepted",
        )
    ],
    "open_event_example_ses_body.json": [ignored("apertura")],
    "received_notification_action_example_ses_body.json": [ignored("correo entrante")],
    "received_notification_alert_example_ses_body.json": [ignored("correo entrante")],
    "reject_event_example_ses_body.json": [
        rejected(f"SES rechazó el envío (Bad content): {NOT_RASTRO}")
    ],
    "rendering_failure_example_ses_body.json": [
        rejected(
            "SES no pudo componer el correo con la plantilla (Attribute 'attributeName' "
            f"is not present in the rendering data.): {NOT_RASTRO}"
        )
    ],
    "send_event_example_ses_body.json": [
        Event(
            email="recipient@example.com",
            event=vocab.SENT,
            occurred_at=at("2016-10-14T05:02:16.645Z"),
            provider_event_id=f"{EXAMPLE_MESSAGE}:send:recipient@example.com",
            message_id=EXAMPLE_MESSAGE,
        )
    ],
    "subscription_event_example_ses_body.json": [
        Event(
            email=SUBSCRIBER,
            event=vocab.UNSUBSCRIBED,
            occurred_at=at("2022-01-12T01:00:17.910Z"),
            provider_event_id=f"{SUBSCRIPTION_MESSAGE}:subscription:{SUBSCRIBER}"
            ":2022-01-12T01:00:17.910Z",
            message_id=SUBSCRIPTION_MESSAGE,
            provider_reason="UnsubscribeHeader",
        )
    ],
}
NAMES = sorted(EXPECTED)


def text_of(name: str) -> str:
    return fixture_text("ses", name)


def body_of(name: str) -> dict:
    return json.loads(text_of(name))


def envelope(body_text: str) -> dict:
    """An SNS notification carrying the SES body as a JSON string, as SNS delivers it."""
    return {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-eventos",
        "Message": body_text,
        "Timestamp": "2017-08-05T00:41:03.000Z",
        "SignatureVersion": "1",
    }


def assert_outcomes(got, expected):
    assert len(got) == len(expected)
    for outcome, want in zip(got, expected, strict=True):
        if isinstance(want, Event):
            assert outcome == want
            assert outcome.occurred_at.tzinfo == UTC
        else:
            kind, words = want
            assert isinstance(outcome, Ignored if kind == "ignored" else Rejected)
            assert words in outcome.reason


def outcomes(value) -> list:
    text = value if isinstance(value, str) else json.dumps(value)
    return [outcome for record in ses.parse(text) for outcome in record.outcomes]


# --- the documentation's examples ------------------------------------------------------------


def test_every_example_file_has_an_expectation():
    assert [path.name for path in fixture_paths("ses", "*.json")] == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_example_bare(name):
    (record,) = list(ses.parse(text_of(name)))
    assert record.position == 1
    assert raw_text(record) == json.dumps(body_of(name), ensure_ascii=False)
    assert_outcomes(record.outcomes, EXPECTED[name])


@pytest.mark.parametrize("name", NAMES)
def test_example_in_an_sns_envelope(name):
    wrapped = envelope(text_of(name))
    (record,) = list(ses.parse(json.dumps(wrapped, indent=2)))
    assert json.loads(raw_text(record)) == wrapped  # the quarantine keeps what arrived
    assert_outcomes(record.outcomes, EXPECTED[name])


def test_all_examples_as_one_array_bare_and_wrapped():
    values = [v for name in NAMES for v in (body_of(name), envelope(text_of(name)))]
    records = list(ses.parse(json.dumps(values)))
    assert [r.position for r in records] == list(range(1, 2 * len(NAMES) + 1))
    for index, name in enumerate(NAMES):
        assert_outcomes(records[2 * index].outcomes, EXPECTED[name])
        assert_outcomes(records[2 * index + 1].outcomes, EXPECTED[name])


def test_all_examples_as_json_lines_with_a_broken_line():
    lines = [json.dumps(envelope(text_of(name))) for name in NAMES]
    lines.insert(2, '{"eventType": "Bounce", "bounce": {')
    records = list(ses.parse("\n".join(lines)))
    assert [r.position for r in records] == list(range(1, len(NAMES) + 2))
    assert raw_text(records[2]) == '{"eventType": "Bounce", "bounce": {'
    (broken,) = records[2].outcomes
    assert isinstance(broken, Rejected) and broken.reason.startswith("JSON roto: ")
    for record, name in zip(records[:2] + records[3:], NAMES, strict=True):
        assert_outcomes(record.outcomes, EXPECTED[name])


# --- bounces and complaints ------------------------------------------------------------------


def bounce_body(**changes) -> dict:
    body = body_of("bounce_event_example_ses_body.json")
    body["bounce"].update(changes)
    return body


@pytest.mark.parametrize(
    "kind, bounce_type",
    [("Permanent", vocab.HARD), ("Transient", vocab.SOFT), ("Undetermined", vocab.UNDETERMINED)],
)
def test_bounce_types(kind, bounce_type):
    (outcome,) = outcomes(bounce_body(bounceType=kind, bounceSubType="General"))
    assert (outcome.event, outcome.bounce_type, outcome.provider_reason) == (
        vocab.BOUNCED,
        bounce_type,
        f"{kind}/General",
    )


@pytest.mark.parametrize("subtype", ["OnAccountSuppressionList", "Suppressed"])
def test_suppressed_bounce_was_not_sent(subtype):
    (outcome,) = outcomes(bounce_body(bounceSubType=subtype))
    assert (outcome.event, outcome.reason, outcome.bounce_type, outcome.provider_reason) == (
        vocab.NOT_SENT,
        vocab.PREVIOUS_BOUNCE,
        None,
        f"Permanent/{subtype}",
    )


def test_unknown_bounce_type_is_rejected():
    assert outcomes(bounce_body(bounceType="Sideways")) == [
        Rejected("tipo de rebote desconocido: Sideways")
    ]


def test_status_stands_in_for_a_missing_diagnostic():
    recipients = [
        {"emailAddress": "a@example.com", "status": "5.1.1"},
        {"emailAddress": "b@example.com"},
    ]
    got = outcomes(bounce_body(bouncedRecipients=recipients))
    assert [o.smtp_diagnostic for o in got] == ["5.1.1", None]


def test_a_recipient_without_address_is_rejected_alone():
    recipients = [{"status": "5.1.1"}, {"emailAddress": "b@example.com"}]
    first, second = outcomes(bounce_body(bouncedRecipients=recipients))
    assert first == Rejected("falta el destinatario")
    assert second.email == "b@example.com"


@pytest.mark.parametrize("recipients", [[], None, "b@example.com"])
def test_a_bounce_without_recipients_is_rejected(recipients):
    assert outcomes(bounce_body(bouncedRecipients=recipients)) == [
        Rejected("falta el destinatario")
    ]


def test_a_bounce_without_feedback_id_lets_the_store_hash():
    body = bounce_body()
    del body["bounce"]["feedbackId"]
    assert outcomes(body)[0].provider_event_id is None


def test_a_bounce_without_its_section_is_rejected():
    body = bounce_body()
    del body["bounce"]
    assert outcomes(body) == [Rejected("falta el objeto «bounce»")]


def test_suppressed_complaint_was_not_sent():
    body = body_of("complaint_event_example_ses_body.json")
    body["complaint"] |= {
        "complaintSubType": "OnAccountSuppressionList",
        "complaintFeedbackType": None,
    }
    (outcome,) = outcomes(body)
    assert (outcome.event, outcome.reason, outcome.provider_reason) == (
        vocab.NOT_SENT,
        vocab.PREVIOUS_SPAM,
        "OnAccountSuppressionList",
    )


# --- subscriptions ---------------------------------------------------------------------------


def subscription_body(old_all, new_all, *, destination=None) -> dict:
    body = body_of("subscription_event_example_ses_body.json")
    body["subscription"]["oldTopicPreferences"]["unsubscribeAll"] = old_all
    body["subscription"]["newTopicPreferences"]["unsubscribeAll"] = new_all
    if destination is not None:
        body["mail"]["destination"] = destination
    return body


def test_resubscribing_to_the_whole_list():
    (outcome,) = outcomes(subscription_body(True, False))
    assert (outcome.event, outcome.email) == (vocab.RESUBSCRIBED, SUBSCRIBER)


@pytest.mark.parametrize("old_all, new_all", [(False, False), (True, True)])
def test_topic_changes_only_are_ignored(old_all, new_all):
    (outcome,) = outcomes(subscription_body(old_all, new_all))
    assert isinstance(outcome, Ignored) and "tema" in outcome.reason


def test_unsubscribe_without_old_preferences():
    body = subscription_body(False, True)
    del body["subscription"]["oldTopicPreferences"]
    assert outcomes(body)[0].event == vocab.UNSUBSCRIBED


def test_unsubscribe_of_an_email_with_several_recipients_is_rejected():
    body = subscription_body(False, True, destination=["a@example.com", "b@example.com"])
    (outcome,) = outcomes(body)
    assert isinstance(outcome, Rejected) and "2 destinatarios" in outcome.reason


# --- origin and campaign from the tags -------------------------------------------------------


def send_body(**tags) -> dict:
    body = body_of("send_event_example_ses_body.json")
    body["mail"]["tags"].update(tags)
    return body


def test_tags_give_origin_and_campaign():
    body = send_body(origin=["automation"], campaign_id=["flow-42"], campaign_name=["Bienvenida"])
    (outcome,) = outcomes(envelope(json.dumps(body)))
    assert (outcome.origin, outcome.campaign_external_id, outcome.campaign_name) == (
        "automation",
        "flow-42",
        "Bienvenida",
    )


def test_without_origin_tag_nothing_is_guessed():
    (outcome,) = outcomes(send_body(campaign_id=["c-7"]))
    assert (outcome.origin, outcome.campaign_external_id, outcome.campaign_name) == (
        None,
        "c-7",
        None,
    )


@pytest.mark.parametrize("origin", [["newsletter"], [], "campaign-x"])
def test_unknown_origin_is_none(origin):
    assert outcomes(send_body(origin=origin, campaign_id=["c-7"]))[0].origin is None


def test_campaign_tag_for_every_kind_of_event():
    tags = {"origin": ["campaign"], "campaign_id": ["c-1"]}
    for name in (
        "bounce_event_example_ses_body.json",
        "complaint_event_example_ses_body.json",
        "delivery_event_example_ses_body.json",
        "send_event_example_ses_body.json",
        "subscription_event_example_ses_body.json",
    ):
        body = body_of(name)
        body["mail"]["tags"].update(tags)
        (outcome,) = outcomes(body)
        assert (outcome.origin, outcome.campaign_external_id) == ("campaign", "c-1"), name


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp, message",
    [
        ("2150-01-01T00:00:00.000Z", "fecha imposible: 2150-01-01T00:00:00.000Z"),
        ("1969-12-31T23:59:59.000Z", "fecha imposible: 1969-12-31T23:59:59.000Z"),
        ("2017-13-45T00:00:00.000Z", "fecha ilegible: 2017-13-45T00:00:00.000Z"),
        ("2017-08-05T00:41:02.669", "fecha sin zona horaria: 2017-08-05T00:41:02.669"),
        (-1, "fecha imposible: -1"),
        (None, "falta la fecha"),
    ],
)
def test_impossible_dates_are_rejected(stamp, message):
    assert outcomes(bounce_body(timestamp=stamp)) == [Rejected(message)]


def test_unix_timestamps_work_too():
    (outcome,) = outcomes(bounce_body(timestamp=1501893662))
    assert outcome.occurred_at == datetime(2017, 8, 5, 0, 41, 2, tzinfo=UTC)


def test_offsets_are_turned_into_utc():
    (outcome,) = outcomes(bounce_body(timestamp="2017-08-05T02:41:02.669+02:00"))
    assert outcome.occurred_at == at("2017-08-05T00:41:02.669Z")
    assert outcome.occurred_at.tzinfo == UTC


# --- odd notifications -----------------------------------------------------------------------


def test_unknown_event_type_is_rejected():
    body = body_of("send_event_example_ses_body.json") | {"eventType": "Teleport"}
    assert outcomes(body) == [Rejected("evento desconocido: Teleport")]


def test_broken_sns_message_is_rejected():
    (outcome,) = outcomes(envelope('{"eventType": "Bounce", '))
    assert isinstance(outcome, Rejected) and outcome.reason.startswith("el mensaje SNS no es JSON")


def test_sns_subscription_confirmation_is_ignored():
    confirmation = envelope("You have chosen to subscribe to the topic ...") | {
        "Type": "SubscriptionConfirmation",
        "SubscribeURL": "https://sns.example/confirm",
    }
    assert isinstance(outcomes(confirmation)[0], Ignored)


def test_ses_topic_setup_notice_is_ignored():
    notice = {
        "notificationType": "AmazonSnsSubscriptionSucceeded",
        "message": "You have successfully subscribed your Amazon SNS topic",
    }
    assert isinstance(outcomes(notice)[0], Ignored)


def test_a_notification_without_type_among_others_is_rejected():
    nameless = bounce_body()
    del nameless["eventType"]
    got = outcomes([bounce_body(), nameless])
    assert got[1] == Rejected("falta el tipo de notificación (eventType o notificationType)")


@pytest.mark.parametrize(
    "text, message",
    [
        ("esto no es JSON\nni esto tampoco", "no es JSON"),
        ("", "vacío"),
        ("[]", "ninguna notificación"),
        ('{"email": "a@example.com", "event": "delivered"}', "Amazon SES"),
    ],
)
def test_format_errors(text, message):
    with pytest.raises(FormatError, match=message):
        ses.parse(text)  # raised at once, before iterating


def test_a_sendgrid_batch_is_not_ses():
    with pytest.raises(FormatError, match="Amazon SES"):
        ses.parse(SENDGRID_BATCH)


def test_inbound_mail_without_notification_type_is_ignored():
    body = body_of("received_notification_alert_example_ses_body.json")
    del body["notificationType"]
    first, _send = outcomes([body, body_of("send_event_example_ses_body.json")])
    assert first == Ignored("correo entrante, no es un envío")
