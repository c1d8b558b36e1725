"""Mailgun webhooks: django-anymail's real payloads, suppressions, failures, custom data, input
shapes and files that are not Mailgun's."""

import json
from datetime import UTC, datetime

import pytest

from data_access.ingest import mailgun
from data_access.ingest.model import Event, FormatError, Ignored, Rejected, raw_text
from tests.ingest import conftest as fixtures
from tests.ingest.conftest import single_outcome

T = 1717286400.25  # 2024-06-02T00:00:00.250000Z


def anymail(name: str) -> tuple[dict, dict]:
    return fixtures.anymail("mailgun", name)  # django-anymail's tests, BSD (LICENSE there)


def outcome_of(body) -> Event | Ignored | Rejected:
    return single_outcome(mailgun, body)


def failed(**fields) -> dict:
    data = {
        "event": "failed",
        "id": "ev1",
        "timestamp": T,
        "recipient": "ana@example.com",
        "severity": "permanent",
        "reason": "bounce",
        "delivery-status": {"code": 550, "message": "5.1.1 no such user"},
    }
    data.update(fields)
    return {"event-data": data}


def event_data(event: str, **fields) -> dict:
    data = {"event": event, "id": "ev1", "timestamp": T, "recipient": "ana@example.com"}
    data.update(fields)
    return {"signature": {"token": "t", "timestamp": "1", "signature": "s"}, "event-data": data}


# --- django-anymail's payloads ----------------------------------------------------------------


def test_anymail_delivered():
    body, expected = anymail("delivered")
    [record] = mailgun.parse(json.dumps(body))
    assert record.position == 1
    assert raw_text(record) == json.dumps(body, ensure_ascii=False)
    [event] = record.outcomes
    assert expected["event_type"] == "delivered" and event.event == "delivered"
    assert event.email == expected["recipient"] == "recipient@example.com"
    assert event.occurred_at == datetime(2018, 8, 12, 21, 17, 17, 153125, tzinfo=UTC)
    # anymail's event_id is the signature token, which changes with every webhook retry; the
    # event's own id (unique within a day) plus the day is the stable key.
    assert event.provider_event_id == "hTWCTD81RtiDN-...:2018-08-12"
    assert f"<{event.message_id}>" == expected["message_id"]
    assert event.smtp_diagnostic == "250 OK"
    assert event.bounce_type is None and event.reason is None
    assert expected["metadata"] == {} and event.origin is None
    assert event.campaign_external_id is None and event.campaign_name is None


def test_anymail_failed_permanent_is_a_hard_bounce():
    body, expected = anymail("failed_permanent")
    event = outcome_of(body)
    assert expected["event_type"] == "bounced" and event.event == "bounced"
    assert event.bounce_type == "hard"
    assert event.email == expected["recipient"] == "invalid@example.com"
    assert event.occurred_at == datetime(2018, 8, 12, 21, 47, 2, 389832, tzinfo=UTC)
    assert event.smtp_diagnostic == "550 " + expected["mta_response"]
    assert event.smtp_diagnostic.startswith("550 5.1.1 The email account")
    assert event.provider_reason == "bounce"
    assert event.provider_event_id is None  # the payload has no id: the store hashes
    assert event.message_id == "20180812214658.1.0DF563D0B3597700@example.org"


def test_anymail_complained_is_a_spam_complaint():
    body, expected = anymail("complained")
    event = outcome_of(body)
    assert expected["event_type"] == "complained" and event.event == "spam_complaint"
    assert event.email == expected["recipient"]
    assert event.occurred_at == datetime(2013, 8, 22, 23, 31, 0, 49634, tzinfo=UTC)
    assert event.provider_event_id == "ncV2XwymRUKbPek_MIM-Gw:2013-08-22"
    assert event.message_id == "20130718032413.263EE2E0926@example.org"
    assert event.smtp_diagnostic is None and event.provider_reason is None


def test_anymail_opened_is_ignored():
    body, expected = anymail("opened")
    assert expected["event_type"] == "opened"
    assert isinstance(outcome_of(body), Ignored)


# --- event mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("accepted", "sent"),
        ("delivered", "delivered"),
        ("complained", "spam_complaint"),
        ("unsubscribed", "unsubscribed"),
    ],
)
def test_simple_events(name, expected):
    event = outcome_of(event_data(name))
    assert event == Event(
        email="ana@example.com",
        event=expected,
        occurred_at=datetime(2024, 6, 2, 0, 0, 0, 250000, tzinfo=UTC),
        provider_event_id="ev1:2024-06-02",
    )


@pytest.mark.parametrize("name", ["opened", "clicked", "stored"])
def test_engagement_and_inbound_are_ignored(name):
    assert isinstance(outcome_of(event_data(name)), Ignored)


def test_unknown_event_is_rejected():
    assert outcome_of(event_data("rejected")) == Rejected("evento desconocido: rejected")
    assert outcome_of(event_data("")) == Rejected("falta el evento")


@pytest.mark.parametrize(
    "reason, expected",
    [
        ("suppress-bounce", "previous_bounce"),
        ("suppress-unsubscribe", "unsubscribed"),
        ("suppress-complaint", "previous_spam"),
    ],
)
def test_suppressed_sends_are_not_sent(reason, expected):
    event = outcome_of(
        failed(
            reason=reason,
            **{
                "delivery-status": {
                    "code": 605,
                    "message": "",
                    "description": "Not delivering to previously bounced",
                }
            },
        )
    )
    assert event.event == "not_sent" and event.reason == expected
    assert event.bounce_type is None
    assert event.provider_reason == reason


@pytest.mark.parametrize(
    "code, expected",
    [
        (605, "previous_bounce"),
        ("606", "unsubscribed"),
        (607, "previous_spam"),
    ],
)
def test_legacy_suppression_codes_without_reason(code, expected):
    status = {
        "code": code,
        "message": "",
        "description": "Not delivering to previously bounced address",
    }
    event = outcome_of(failed(reason="generic", **{"delivery-status": status}))
    assert event.event == "not_sent" and event.reason == expected
    assert event.smtp_diagnostic == f"{code} Not delivering to previously bounced address"


def test_the_reason_wins_over_the_code():
    event = outcome_of(failed(reason="suppress-complaint", **{"delivery-status": {"code": 605}}))
    assert event.reason == "previous_spam"
    assert event.smtp_diagnostic == "605"


def test_temporary_failure_is_a_retry_and_ignored():
    outcome = outcome_of(
        failed(
            severity="temporary",
            reason="generic",
            **{"delivery-status": {"code": 421, "message": "try later"}},
        )
    )
    assert isinstance(outcome, Ignored)
    assert "reintentará" in outcome.reason


@pytest.mark.parametrize("severity", ["temporary", "permanent"])
def test_giving_up_after_retries_is_a_soft_bounce(severity):
    event = outcome_of(
        failed(
            severity=severity,
            reason="old",
            **{"delivery-status": {"code": 602, "message": "Too old"}},
        )
    )
    assert event.event == "bounced" and event.bounce_type == "soft"
    assert event.smtp_diagnostic == "602 Too old" and event.provider_reason == "old"


def test_failure_without_severity_is_undetermined():
    data = failed()
    del data["event-data"]["severity"]
    assert outcome_of(data).bounce_type == "undetermined"


def test_diagnostic_falls_back_to_description_and_keeps_a_code_already_there():
    event = outcome_of(
        failed(
            **{
                "delivery-status": {
                    "code": 550,
                    "message": "",
                    "description": "mailbox unavailable",
                }
            }
        )
    )
    assert event.smtp_diagnostic == "550 mailbox unavailable"
    event = outcome_of(failed(**{"delivery-status": {"code": 550, "message": "550 5.1.1 no"}}))
    assert event.smtp_diagnostic == "550 5.1.1 no"


# --- custom data ------------------------------------------------------------------------------


def test_user_variables_give_origin_and_campaign():
    event = outcome_of(
        event_data(
            "delivered",
            **{
                "user-variables": {
                    "origin": "automation",
                    "campaign_id": 1234,
                    "campaign_name": "Bienvenida",
                }
            },
        )
    )
    assert event.origin == "automation"
    assert event.campaign_external_id == "1234"
    assert event.campaign_name == "Bienvenida"


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"origin": "newsletter", "campaign_id": "C-1"},
        {"origin": "campaigns"},
        "texto",
    ],
)
def test_no_or_wrong_origin_is_never_guessed(variables):
    event = outcome_of(event_data("delivered", **{"user-variables": variables}))
    assert event.origin is None


# --- ids and dates ----------------------------------------------------------------------------


def test_event_id_carries_the_utc_day():
    late = datetime(2024, 1, 1, 23, 59, 59, tzinfo=UTC).timestamp()
    first = outcome_of(event_data("delivered", id="same", timestamp=late))
    second = outcome_of(event_data("delivered", id="same", timestamp=late + 2))
    assert first.provider_event_id == "same:2024-01-01"
    assert second.provider_event_id == "same:2024-01-02"


def test_timestamps_as_text_and_iso_8601(local_time_not_utc):
    assert outcome_of(event_data("delivered", timestamp="1717286400")).occurred_at == datetime(
        2024, 6, 2, tzinfo=UTC
    )
    iso = outcome_of(event_data("delivered", timestamp="2024-06-01T20:00:00-04:00"))
    assert iso.occurred_at == datetime(2024, 6, 2, tzinfo=UTC)
    assert iso.occurred_at.utcoffset().total_seconds() == 0
    naive = outcome_of(event_data("delivered", timestamp="2024-06-02T00:00:00"))
    assert naive.occurred_at == datetime(2024, 6, 2, tzinfo=UTC)  # no offset: UTC


@pytest.mark.parametrize(
    "timestamp, reason",
    [
        (None, "falta la fecha"),
        (-5, "fecha imposible: -5"),
        (4102444800 + 366 * 86400, "fecha imposible: 4134067200"),  # year 2101
        (1e300, "fecha imposible: 1e+300"),
        ("ayer", "fecha ilegible: ayer"),
        (True, "fecha ilegible: True"),
    ],
)
def test_missing_and_impossible_dates_are_rejected(timestamp, reason):
    assert outcome_of(event_data("delivered", timestamp=timestamp)) == Rejected(reason)


def test_missing_recipient_is_rejected():
    assert outcome_of(event_data("delivered", recipient="  ")) == Rejected("falta el destinatario")


# --- input shapes -----------------------------------------------------------------------------


def test_bare_event_data_is_accepted():
    event = outcome_of(event_data("delivered")["event-data"])
    assert event.event == "delivered" and event.provider_event_id == "ev1:2024-06-02"


def test_json_array_of_bodies():
    bodies = [event_data("accepted"), event_data("delivered"), event_data("opened")]
    records = list(mailgun.parse(json.dumps(bodies)))
    assert [r.position for r in records] == [1, 2, 3]
    assert [type(r.outcomes[0]) for r in records] == [Event, Event, Ignored]
    assert raw_text(records[1]) == json.dumps(bodies[1], ensure_ascii=False)


def test_json_lines_with_a_broken_line_and_another_provider_line():
    lines = [
        json.dumps(event_data("accepted")),
        "",
        '{"event-data": {"event": "deliv',
        json.dumps({"RecordType": "Delivery", "Recipient": "x@example.com"}),
        json.dumps(event_data("delivered", recipient="josé@ejemplo.es")),
    ]
    records = list(mailgun.parse("\n".join(lines) + "\n"))
    assert [r.position for r in records] == [1, 3, 4, 5]  # line numbers, blank line skipped
    assert records[0].outcomes[0].event == "sent"
    broken = records[1]
    assert raw_text(broken) == '{"event-data": {"event": "deliv'
    assert broken.outcomes[0].reason.startswith("JSON roto: ")
    assert records[2].outcomes[0] == Rejected("no parece un evento de Mailgun: falta event-data")
    assert records[3].outcomes[0].email == "josé@ejemplo.es"
    assert "josé@ejemplo.es" in raw_text(records[3])  # ensure_ascii=False


def test_json_lines_keep_a_line_separator_inside_a_string():
    body = event_data("delivered", **{"user-variables": {"campaign_name": "a\u2028b"}})
    text = json.dumps(body, ensure_ascii=False) + "\n" + json.dumps(event_data("accepted"))
    records = list(mailgun.parse(text))
    assert len(records) == 2 and records[0].outcomes[0].campaign_name == "a\u2028b"


# --- not Mailgun at all -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(
            {
                "RecordType": "Bounce",
                "Email": "a@example.com",
                "Type": "HardBounce",
                "BouncedAt": "2024-06-01T10:00:00Z",
            }
        ),
        json.dumps([{"event": "delivered", "email": "a@example.com", "timestamp": 1}]),  # SendGrid
        "esto no es JSON\nni esto tampoco\n",
        "",
        "   \n",
        "42",
    ],
)
def test_not_mailgun_is_a_format_error_before_anything_is_yielded(text):
    with pytest.raises(FormatError) as error:
        mailgun.parse(text)  # raised by the call itself, not while iterating
    assert "Mailgun" in str(error.value) or "vacío" in str(error.value)


def test_bom_at_start_is_tolerated():
    [record] = mailgun.parse("\ufeff" + json.dumps(event_data("delivered")))
    assert record.outcomes[0].event == "delivered"
