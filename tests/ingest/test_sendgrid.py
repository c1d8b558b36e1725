"""The SendGrid Event Webhook parser on SendGrid's documented examples and on edge cases."""

import json
from datetime import UTC, datetime

import pytest

from data_access import vocab
from data_access.ingest import sendgrid
from data_access.ingest.model import Event, FormatError, Ignored, Rejected, raw_text
from tests.ingest.conftest import fixture_text

DOCS = fixture_text("sendgrid", "event-webhook-examples.jsonl")
BATCH = fixture_text("sendgrid", "event-webhook-batch-all-types.json")
SES_BOUNCE = fixture_text("ses", "bounce_event_example_ses_body.json")

WHEN = datetime(2017, 12, 15, 0, 59, 29, tzinfo=UTC)  # 1513299569
EMAIL = "example@test.com"
MESSAGE = "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"


def docs_sections() -> dict[str, dict]:
    """The documentation's wrappers by section name: {"payload": [events], "event": ...}."""
    lines = DOCS.splitlines()
    return {wrapper["doc_section"]: wrapper for wrapper in map(json.loads, lines)}


def outcomes(text: str) -> list:
    return [outcome for record in sendgrid.parse(text) for outcome in record.outcomes]


def only(text: str):
    (outcome,) = outcomes(text)
    return outcome


def event(**fields) -> str:
    """One SendGrid event as JSON: a processed event unless fields say otherwise."""
    base = {
        "email": EMAIL,
        "timestamp": 1513299569,
        "event": "processed",
        "sg_event_id": "ev-1",
        "sg_message_id": "msg-1",
    }
    return json.dumps([{**base, **fields}])


def docs_event(event_name, sg_event_id, **fields):
    return Event(
        email=EMAIL,
        event=event_name,
        occurred_at=WHEN,
        provider_event_id=sg_event_id,
        message_id=MESSAGE,
        **fields,
    )


BOUNCE_TEXT = "500 unknown recipient"
IGNORED = Ignored  # in the table below: any Ignored outcome
DOCS_EXPECTED = {
    "Processed": Event(
        email=EMAIL,
        event=vocab.SENT,
        occurred_at=WHEN,
        provider_event_id="rbtnWrG1DVDGGGFHFyun0A==",
        message_id="14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000",
    ),
    "Dropped": docs_event(
        vocab.NOT_SENT,
        "zmzJhfJgAfUSOW80yEbPyw==",
        reason=vocab.PREVIOUS_BOUNCE,
        provider_reason="Bounced Address",
    ),
    "Delivered": docs_event(vocab.DELIVERED, "rWVYmVk90MjZJ9iohOBa3w==", smtp_diagnostic="250 OK"),
    "Deferred": IGNORED,
    "Bounce": docs_event(
        vocab.BOUNCED,
        "6g4ZI7SA-xmRDv57GoPIPw==",
        bounce_type=vocab.HARD,
        provider_reason=BOUNCE_TEXT,
        smtp_diagnostic=BOUNCE_TEXT,
    ),
    "Blocked": docs_event(
        vocab.BOUNCED,
        "6g4ZI7SA-xmRDv57GoPIPw==",
        bounce_type=vocab.SOFT,
        provider_reason=BOUNCE_TEXT,
        smtp_diagnostic=BOUNCE_TEXT,
    ),
    "Open": IGNORED,
    "Click": IGNORED,
    "Spam Report": docs_event(vocab.SPAM_COMPLAINT, "37nvH5QBz858KGVYCM4uOA=="),
    "Unsubscribe": docs_event(vocab.UNSUBSCRIBED, "zz_BjPgU_5pS-J8vlfB1sg=="),
    "Group Unsubscribe": docs_event(vocab.UNSUBSCRIBED, "ahSCB7xYcXFb-hEaawsPRw=="),
    "Group Resubscribe": docs_event(vocab.RESUBSCRIBED, "w_u0vJhLT-OFfprar5N93g=="),
}


# --- the documented examples -----------------------------------------------------------------


def test_every_documented_section_has_an_expectation():
    assert set(docs_sections()) == set(DOCS_EXPECTED)


@pytest.mark.parametrize("section", list(DOCS_EXPECTED))
def test_documented_example(section):
    wrapper = docs_sections()[section]
    (record,) = list(sendgrid.parse(json.dumps(wrapper["payload"])))
    expected = DOCS_EXPECTED[section]
    assert record.position == 1
    assert raw_text(record) == json.dumps(wrapper["payload"][0], ensure_ascii=False)
    (outcome,) = record.outcomes
    if expected is IGNORED:
        assert isinstance(outcome, Ignored)
        assert wrapper["event"] in ("deferred", "open", "click")
    else:
        assert outcome == expected
        assert outcome.occurred_at.tzinfo == UTC
        # The documentation's own labels agree with the mapping.
        if wrapper["drop_reason"]:
            assert outcome.provider_reason == wrapper["drop_reason"]


def test_documented_examples_as_one_batch():
    payloads = [event for wrapper in docs_sections().values() for event in wrapper["payload"]]
    records = list(sendgrid.parse(json.dumps(payloads)))
    assert [r.position for r in records] == list(range(1, len(payloads) + 1))
    got = [r.outcomes[0] for r in records]
    for outcome, expected in zip(got, DOCS_EXPECTED.values(), strict=True):
        assert isinstance(outcome, Ignored) if expected is IGNORED else outcome == expected


def test_the_documentation_file_itself_is_not_an_event_file():
    # Its lines wrap the events ({"doc_section": ..., "payload": [...]}): not real input.
    with pytest.raises(FormatError, match="SendGrid"):
        sendgrid.parse(DOCS)


def summary(position, outcome):
    if isinstance(outcome, Event):
        return (position, outcome.event, outcome.bounce_type, outcome.reason)
    return (position, type(outcome).__name__)


def test_batch_with_all_types():
    records = list(sendgrid.parse(BATCH))
    assert [summary(r.position, o) for r in records for o in r.outcomes] == [
        (1, vocab.SENT, None, None),
        (2, "Ignored"),
        (3, vocab.DELIVERED, None, None),
        (4, "Ignored"),
        (5, "Ignored"),
        (6, vocab.BOUNCED, vocab.HARD, None),  # no `type`: a hard bounce
        (7, vocab.NOT_SENT, None, vocab.PREVIOUS_BOUNCE),
        (8, vocab.SPAM_COMPLAINT, None, None),
        (9, vocab.UNSUBSCRIBED, None, None),
        (10, vocab.UNSUBSCRIBED, None, None),
        (11, vocab.RESUBSCRIBED, None, None),
    ]
    delivered = records[2].outcomes[0]
    assert (
        delivered.email,
        delivered.occurred_at,
        delivered.provider_event_id,
        delivered.message_id,
        delivered.smtp_diagnostic,
    ) == (EMAIL, WHEN, "sg_event_id", "sg_message_id", "250 OK")
    for record in records:
        assert raw_text(record) == json.dumps(json.loads(raw_text(record)), ensure_ascii=False)


# --- the mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, reason",
    [
        ("Bounced Address", vocab.PREVIOUS_BOUNCE),
        ("Unsubscribed Address", vocab.UNSUBSCRIBED_REASON),
        ("Spam Reporting Address", vocab.PREVIOUS_SPAM),
        ("Invalid", vocab.INVALID_ADDRESS),
        ("Invalid email address", vocab.INVALID_ADDRESS),
        ("bounced  address", vocab.PREVIOUS_BOUNCE),
    ],
)
def test_drop_reasons(text, reason):
    outcome = only(event(event="dropped", reason=text, status="5.0.0"))
    assert (outcome.event, outcome.reason, outcome.provider_reason) == (
        vocab.NOT_SENT,
        reason,
        text,
    )
    assert outcome.bounce_type is None and outcome.smtp_diagnostic is None


@pytest.mark.parametrize(
    "text", ["Spam Content", "Invalid SMTPAPI header", "Recipient List over Package Quota"]
)
def test_other_drop_reasons_are_rejected(text):
    assert only(event(event="dropped", reason=text)) == Rejected(
        f"motivo de descarte desconocido: {text}"
    )


def test_drop_without_reason_is_rejected():
    assert only(event(event="dropped")) == Rejected("falta el motivo del descarte")


def test_blocked_without_status_is_a_soft_bounce_with_its_text():
    text = "550 5.7.1 blocked by reputation"
    outcome = only(event(event="bounce", type="blocked", reason=text))
    assert (
        outcome.event,
        outcome.bounce_type,
        outcome.provider_reason,
        outcome.smtp_diagnostic,
    ) == (vocab.BOUNCED, vocab.SOFT, text, None)


def test_bounce_prefers_the_smtp_response():
    outcome = only(
        event(
            event="bounce",
            type="bounce",
            reason="Mailbox full",
            status="5.2.2",
            response="552 5.2.2 mailbox full",
        )
    )
    assert (outcome.bounce_type, outcome.provider_reason, outcome.smtp_diagnostic) == (
        vocab.HARD,
        "Mailbox full",
        "552 5.2.2 mailbox full",
    )


def test_unknown_bounce_type_is_rejected():
    assert only(event(event="bounce", type="weird")) == Rejected(
        "tipo de rebote desconocido: weird"
    )


@pytest.mark.parametrize("name", ["deferred", "open", "click"])
def test_not_outcomes_are_ignored(name):
    assert isinstance(only(event(event=name)), Ignored)


def test_unknown_event_is_rejected():
    assert only(event(event="bogus")) == Rejected("evento desconocido: bogus")


@pytest.mark.parametrize("fields", [{"email": None}, {"email": ""}, {"email": "  "}, {"email": 42}])
def test_missing_recipient_is_rejected(fields):
    assert only(event(**fields)) == Rejected("falta el destinatario")


@pytest.mark.parametrize("name", [None, "", 3])
def test_missing_event_name_is_rejected(name):
    good, nameless = json.loads(event()) + json.loads(event(event=name))
    records = list(sendgrid.parse(json.dumps([good, nameless])))
    assert records[1].outcomes == (Rejected("falta el evento"),)


# --- origin and campaign ---------------------------------------------------------------------


def test_custom_args_give_origin_and_campaign():
    outcome = only(event(origin="automation", campaign_id=42, campaign_name="Bienvenida"))
    assert (outcome.origin, outcome.campaign_external_id, outcome.campaign_name) == (
        "automation",
        "42",
        "Bienvenida",
    )


def test_without_origin_nothing_is_guessed():
    outcome = only(event(campaign_id="c-7"))
    assert (outcome.origin, outcome.campaign_external_id) == (None, "c-7")


@pytest.mark.parametrize("origin", ["newsletter", "", 1, None])
def test_unknown_origin_is_none(origin):
    assert only(event(origin=origin, campaign_id="c-7")).origin is None


def test_marketing_campaign_means_a_campaign():
    outcome = only(event(marketing_campaign_id=1234, marketing_campaign_name="Rebajas"))
    assert (outcome.origin, outcome.campaign_external_id, outcome.campaign_name) == (
        "campaign",
        "1234",
        "Rebajas",
    )


def test_explicit_origin_wins_over_marketing_campaign():
    outcome = only(
        event(
            origin="automation",
            campaign_id="flow-9",
            marketing_campaign_id=1234,
            marketing_campaign_name="Rebajas",
        )
    )
    assert (outcome.origin, outcome.campaign_external_id, outcome.campaign_name) == (
        "automation",
        "flow-9",
        None,
    )


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    [1513299569, 1513299569.0, "1513299569", "2017-12-15T00:59:29Z", "2017-12-15T01:59:29+01:00"],
)
def test_timestamps(timestamp):
    occurred_at = only(event(timestamp=timestamp)).occurred_at
    assert occurred_at == WHEN and occurred_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "timestamp, message",
    [
        (-5, "fecha imposible: -5"),
        (0, "fecha imposible: 0"),
        (4_200_000_000, "fecha imposible: 4200000000"),  # year 2103
        (1513299569000, "fecha imposible: 1513299569000"),  # milliseconds
        (1e300, "fecha imposible: 1e+300"),
        (float("inf"), "fecha imposible: inf"),
        ("2150-01-01T00:00:00Z", "fecha imposible: 2150-01-01T00:00:00Z"),
        ("ayer", "fecha ilegible: ayer"),
        ("2017-12-15T00:59:29", "fecha sin zona horaria: 2017-12-15T00:59:29"),
        (True, "fecha ilegible: True"),
        (None, "falta la fecha"),
        ("", "falta la fecha"),
    ],
)
def test_impossible_timestamps_are_rejected(timestamp, message):
    assert only(event(timestamp=timestamp)) == Rejected(message)


def test_not_a_number_timestamp_is_rejected():
    text = event().replace("1513299569", "NaN")  # Python's json reads NaN
    assert only(text) == Rejected("fecha imposible: nan")


# --- file shapes -----------------------------------------------------------------------------


def test_json_lines_with_a_broken_line_goes_on():
    events = json.loads(BATCH)
    lines = (
        [json.dumps(e) for e in events[:3]]
        + ['{"email": "x@example.com", "event": ']
        + ["", json.dumps(events[5])]
    )
    records = list(sendgrid.parse("\n".join(lines) + "\n"))
    assert [r.position for r in records] == [1, 2, 3, 4, 6]
    broken = records[3]
    assert raw_text(broken) == '{"email": "x@example.com", "event":'
    (rejected,) = broken.outcomes
    assert isinstance(rejected, Rejected) and rejected.reason.startswith("JSON roto: ")
    assert [type(o).__name__ for r in records for o in r.outcomes] == [
        "Event",
        "Ignored",
        "Event",
        "Rejected",
        "Event",
    ]
    assert records[4].outcomes[0].event == vocab.BOUNCED


def test_one_object_alone():
    (record,) = list(
        sendgrid.parse(
            '{"email": "a@example.com", "timestamp": 1513299569,\n "event": "delivered"}'
        )
    )
    assert record.position == 1
    assert (
        raw_text(record)
        == '{"email": "a@example.com", "timestamp": 1513299569, "event": "delivered"}'
    )
    assert record.outcomes[0].event == vocab.DELIVERED
    assert record.outcomes[0].provider_event_id is None  # the store hashes


def test_raw_keeps_non_ascii_text():
    (record,) = list(sendgrid.parse(event(email="maría@example.es")))
    assert "maría@example.es" in raw_text(record)
    assert record.outcomes[0].email == "maría@example.es"


def test_a_value_that_is_not_an_object_is_rejected():
    records = list(sendgrid.parse(json.dumps([json.loads(event())[0], 7])))
    assert records[1].outcomes == (Rejected("se esperaba un objeto JSON"),)


@pytest.mark.parametrize(
    "text, message",
    [
        ("hola, esto no es JSON\nni esto", "no es JSON"),
        ("", "vacío"),
        ("   \n", "vacío"),
        ("[]", "ningún evento"),
        ('{"Type": "Notification", "Message": "{}"}', "SendGrid"),
        ('[{"event": "processed"}]', "SendGrid"),  # no SendGrid fields beside the name
    ],
)
def test_format_errors(text, message):
    with pytest.raises(FormatError, match=message):
        sendgrid.parse(text)  # raised at once, before iterating


def test_an_ses_notification_is_not_sendgrid():
    with pytest.raises(FormatError, match="SendGrid"):
        sendgrid.parse(SES_BOUNCE)
