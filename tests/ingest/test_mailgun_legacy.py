"""Mailgun's legacy (form-encoded) webhooks: real bodies from django-anymail, Snowplow and
stechstudio's test suites (tests/ingest/fixtures/mailgun/legacy_*, SOURCES.md there), both
encodings, custom variables, repeated fields, drops, the signature fields, files that are not
Mailgun's, and what an import stores (both engines, exactly once, retries included)."""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from data_access.ingest import mailgun
from data_access.ingest.model import Event, FormatError, Ignored, Rejected, raw_text
from tests.ingest.conftest import (
    FIXTURES,
    counts,
    fixture_bytes_text,
    import_text,
    stored_events,
)

ANYMAIL_KEY = "TEST_WEBHOOK_SIGNING_KEY"  # the signing key of django-anymail's tests
ANYMAIL_T = datetime(2009, 2, 13, 23, 31, 30, tzinfo=UTC)  # its default timestamp 1234567890
DROP_605_ID = "20160421180324.70521.79375.96884DDB@example.com"
STECH_BOUNCE_ID = "20130503182626.18666.16540@example.com"
BOUNCE_550 = (
    "550 5.1.1 The email account that you tried to reach does not exist. Please try     5.1.1 "
    "double-checking the recipient's email address for typos or     5.1.1 unnecessary spaces."
)


def body(name: str) -> str:
    """A fixture under tests/ingest/fixtures/mailgun (folder/file)."""
    return fixture_bytes_text("mailgun", name)


def outcome_of(text: str):
    [record] = mailgun.parse(text)
    [outcome] = record.outcomes
    return outcome


def form(**fields) -> str:
    """A urlencoded legacy body (lists are repeated fields)."""
    return urlencode(fields, doseq=True)


# Every fixture and what it means: an Event compared whole, or (kind, words in the reason).
EXPECTED = {
    "legacy_anymail/bounced_550.multipart": Event(
        email="noreply@example.com",
        event="bounced",
        occurred_at=ANYMAIL_T,
        bounce_type="hard",
        smtp_diagnostic=BOUNCE_550,
    ),
    "legacy_anymail/bounced_550.urlencoded": Event(
        email="noreply@example.com",
        event="bounced",
        occurred_at=ANYMAIL_T,
        bounce_type="hard",
        smtp_diagnostic=BOUNCE_550,
    ),
    "legacy_anymail/bounced_code_5.1.1.urlencoded": Event(
        email="noreply@example.com",
        event="bounced",
        occurred_at=ANYMAIL_T,
        bounce_type="hard",
        smtp_diagnostic="5.1.1 smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound; not found",
    ),
    "legacy_anymail/clicked_custom_vars.urlencoded": ("ignored", "clic"),
    "legacy_anymail/clicked_metadata_key_conflicts.urlencoded": ("ignored", "clic"),
    "legacy_anymail/delivered.urlencoded": Event(
        email="recipient@example.com",
        event="delivered",
        occurred_at=datetime(2016, 4, 21, 17, 55, 30, tzinfo=UTC),
        provider_event_id="20160421175529.19495.89030.B3AE3728@example.com:delivered:"
        "recipient@example.com",
        message_id="20160421175529.19495.89030.B3AE3728@example.com",
    ),
    # anymail's tests of tags and variables leave the recipient out: not storable.
    "legacy_anymail/delivered_x_mailgun_tag.urlencoded": ("rejected", "falta el destinatario"),
    "legacy_anymail/delivered_x_mailgun_variables.multipart": (
        "rejected",
        "falta el destinatario",
    ),
    "legacy_anymail/delivered_x_mailgun_variables.urlencoded": (
        "rejected",
        "falta el destinatario",
    ),
    "legacy_anymail/dropped_hardfail_605.multipart": Event(
        email="bounce@example.com",
        event="not_sent",
        occurred_at=datetime(2016, 4, 21, 17, 55, 30, tzinfo=UTC),
        provider_event_id=f"{DROP_605_ID}:dropped:bounce@example.com",
        message_id=DROP_605_ID,
        reason="previous_bounce",
        provider_reason="hardfail",
        smtp_diagnostic="605 Not delivering to previously bounced address",
    ),
    "legacy_anymail/dropped_hardfail_605.urlencoded": Event(
        email="bounce@example.com",
        event="not_sent",
        occurred_at=datetime(2016, 4, 21, 17, 55, 30, tzinfo=UTC),
        provider_event_id=f"{DROP_605_ID}:dropped:bounce@example.com",
        message_id=DROP_605_ID,
        reason="previous_bounce",
        provider_reason="hardfail",
        smtp_diagnostic="605 Not delivering to previously bounced address",
    ),
    "legacy_anymail/dropped_hardfail_606_derived.urlencoded": Event(
        email="bounce@example.com",
        event="not_sent",
        occurred_at=datetime(2016, 4, 21, 17, 55, 30, tzinfo=UTC),
        provider_event_id=f"{DROP_605_ID}:dropped:bounce@example.com",
        message_id=DROP_605_ID,
        reason="unsubscribed",
        provider_reason="hardfail",
        smtp_diagnostic="606 Not delivering to unsubscribed address",
    ),
    "legacy_anymail/dropped_hardfail_607_spam.urlencoded": Event(
        email="complaint@example.com",
        event="not_sent",
        occurred_at=ANYMAIL_T,
        reason="previous_spam",
        provider_reason="hardfail",
        smtp_diagnostic="607 Not delivering to a user who marked your messages as spam",
    ),
    "legacy_anymail/dropped_old_499.urlencoded": Event(
        email="complaint@example.com",
        event="bounced",
        occurred_at=ANYMAIL_T,
        bounce_type="soft",
        provider_reason="old",
        smtp_diagnostic="499 Unable to connect to MX servers: [example.com]",
    ),
    "legacy_anymail/opened_tags.urlencoded": ("ignored", "apertura"),
    "legacy_snowplow/clicked.urlencoded": ("ignored", "clic"),
    "legacy_snowplow/delivered.urlencoded": Event(
        email="test@snowplowanalytics.com",
        event="delivered",
        occurred_at=datetime(2016, 6, 27, 15, 19, 10, tzinfo=UTC),
        provider_event_id="20160627151901.3295.78981.1336C636@sandboxbcd3ccb1a529415db66562261"
        "9a61616.mailgun.org:delivered:test@snowplowanalytics.com",
        message_id="20160627151901.3295.78981.1336C636@sandboxbcd3ccb1a529415db665622619a61616"
        ".mailgun.org",
    ),
    "legacy_snowplow/opened.urlencoded": ("ignored", "apertura"),
    "legacy_snowplow/unsubscribed.urlencoded": Event(
        email="alice@example.com",
        event="unsubscribed",
        occurred_at=datetime(2016, 6, 30, 14, 30, 59, tzinfo=UTC),
    ),
    "legacy_stechstudio/bounced_550.urlencoded": Event(
        email="alice@example.com",
        event="bounced",
        occurred_at=datetime(2016, 9, 5, 19, 41, 33, tzinfo=UTC),
        provider_event_id=f"{STECH_BOUNCE_ID}:bounced:alice@example.com",
        message_id=STECH_BOUNCE_ID,
        bounce_type="hard",
        smtp_diagnostic="550 5.1.1 The email account that you tried to reach does not exist",
    ),
    "legacy_stechstudio/complained.urlencoded": Event(
        email="alice@example.com",
        event="spam_complaint",
        occurred_at=datetime(2016, 9, 5, 20, 13, 35, tzinfo=UTC),
        provider_event_id="20110215055645.25246.63817@example.com:complained:alice@example.com",
        message_id="20110215055645.25246.63817@example.com",
    ),
    "legacy_stechstudio/delivered.urlencoded": Event(
        email="alice@example.com",
        event="delivered",
        occurred_at=datetime(2016, 9, 5, 19, 3, 38, tzinfo=UTC),
        provider_event_id="20160902203022.89990.87738.3034A4A7@localhost.com:delivered:"
        "alice@example.com",
        message_id="20160902203022.89990.87738.3034A4A7@localhost.com",
    ),
    "legacy_stechstudio/dropped_hardfail_605.urlencoded": Event(
        email="alice@example.com",
        event="not_sent",
        occurred_at=datetime(2016, 9, 5, 19, 54, 18, tzinfo=UTC),
        provider_event_id="20130503192659.13651.20287@example.com:dropped:alice@example.com",
        message_id="20130503192659.13651.20287@example.com",
        reason="previous_bounce",
        provider_reason="hardfail",
        smtp_diagnostic="605 Not delivering to previously bounced address",
    ),
}
NAMES = sorted(EXPECTED)


def assert_outcome(outcome, want) -> None:
    if isinstance(want, Event):
        assert outcome == want
    else:
        kind, words = want
        assert isinstance(outcome, Ignored if kind == "ignored" else Rejected)
        assert words in outcome.reason


# --- the real bodies --------------------------------------------------------------------------


def test_every_legacy_fixture_has_an_expectation():
    found = sorted(
        f"{path.parent.name}/{path.name}"
        for path in (FIXTURES / "mailgun").glob("legacy_*/*")
        if path.suffix in (".urlencoded", ".multipart")
    )
    assert found == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_fixture(name):
    text = body(name)
    [record] = mailgun.parse(text)
    assert record.position == 1
    # The quarantine keeps what arrived: the whole multipart body, or the body's line.
    assert raw_text(record) == (text if name.endswith(".multipart") else text.strip())
    assert_outcome(record.outcomes[0], EXPECTED[name])


@pytest.mark.parametrize(
    "name", ["dropped_hardfail_605", "bounced_550", "delivered_x_mailgun_variables"]
)
def test_multipart_and_urlencoded_bodies_mean_the_same(name):
    multipart = body(f"legacy_anymail/{name}.multipart")
    assert multipart.startswith("--BoUnDaRyStRiNg\r\n")  # as Django's test client posts it
    same = outcome_of(multipart)
    assert same == outcome_of(body(f"legacy_anymail/{name}.urlencoded"))
    # Line breaks written as LF only (Snowplow's multipart example is) read the same.
    assert outcome_of(multipart.replace("\r\n", "\n")) == same


def test_multipart_attachment_is_not_a_field_and_a_cut_body_is_refused():
    multipart = body("legacy_anymail/dropped_hardfail_605.multipart")
    closing = "--BoUnDaRyStRiNg--"
    attachment = (
        "--BoUnDaRyStRiNg\r\n"
        'Content-Disposition: form-data; name="recipient"; filename="message.mime"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
        "To: otra@example.com\r\n"
    )
    with_file = multipart.replace(closing, attachment + closing)
    assert outcome_of(with_file).email == "bounce@example.com"
    # A file is one multipart body: cut short, nothing of it can be trusted.
    with pytest.raises(FormatError) as refused:
        mailgun.parse(multipart[: multipart.index(closing)])
    assert refused.value.key == "mailgun_not_json_nor_form"
    assert refused.value.params == {
        "reason": "formulario multipart incompleto: falta el cierre --BoUnDaRyStRiNg--"
    }


# --- mapping ----------------------------------------------------------------------------------

T = "1717286400"  # 2024-06-02T00:00:00Z


def legacy(event: str, **fields) -> str:
    values = {"event": event, "recipient": "ana@example.com", "timestamp": T}
    values.update(fields)
    return form(**{k: v for k, v in values.items() if v is not None})


@pytest.mark.parametrize(
    "event, expected",
    [
        ("delivered", "delivered"),
        ("complained", "spam_complaint"),
        ("unsubscribed", "unsubscribed"),
    ],
)
def test_simple_events(event, expected):
    assert outcome_of(legacy(event)) == Event(
        email="ana@example.com", event=expected, occurred_at=datetime(2024, 6, 2, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    "fields, detail",
    [
        ({"reason": "maxfails", "code": "605"}, "maxfails, 605"),
        ({"reason": "hardfail", "code": "612", "description": "Sin razón"}, "hardfail, 612"),
        ({"reason": "hardfail"}, "hardfail"),
        ({}, "sin motivo"),
    ],
)
def test_drops_that_are_none_of_rastros_reasons_are_rejected_with_their_text(fields, detail):
    outcome = outcome_of(legacy("dropped", **fields))
    assert isinstance(outcome, Rejected)
    assert outcome.reason.startswith(f"Mailgun descartó el envío ({detail}")
    assert outcome.reason.endswith("no es ninguno de los motivos de no envío de Rastro")


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"code": "605"}, "previous_bounce"),  # no reason at all: the code says it
        ({"reason": "hardfail", "code": "607"}, "previous_spam"),
        ({"reason": "suppress-unsubscribe"}, "unsubscribed"),
    ],
)
def test_suppressed_drops(fields, reason):
    event = outcome_of(legacy("dropped", **fields))
    assert event.event == "not_sent" and event.reason == reason


def test_old_drop_wins_over_a_suppression_code():
    event = outcome_of(legacy("dropped", reason="old", code="605"))
    assert (event.event, event.bounce_type) == ("bounced", "soft")


def test_bounce_notification_is_the_provider_reason():
    event = outcome_of(
        legacy("bounced", code="550", error="No such user", notification="Mailbox gone")
    )
    assert event.smtp_diagnostic == "550 No such user"
    assert event.provider_reason == "Mailbox gone"


@pytest.mark.parametrize(
    "text, reason",
    [
        (legacy("released"), "evento desconocido: released"),  # Snowplow's unknown event
        (legacy("delivered", recipient="  "), "falta el destinatario"),
        (legacy("delivered", timestamp=None), "falta la fecha"),
        (legacy("delivered", timestamp="ayer"), "fecha ilegible: ayer"),
        (legacy("delivered", timestamp="-5"), "fecha imposible: -5"),
    ],
)
def test_unreadable_bodies_are_rejected(text, reason):
    assert outcome_of(text) == Rejected(reason)


def test_message_id_without_angle_brackets_and_lowercase_name():
    event = outcome_of(legacy("delivered", **{"message-id": " <m-1@example.com> "}))
    assert event.message_id == "m-1@example.com"
    assert event.provider_event_id == "m-1@example.com:delivered:ana@example.com"


# --- custom variables and repeated fields ------------------------------------------------------


def headers(*variables: dict) -> str:
    return json.dumps(
        [["To", "ana@example.com"]]
        + [["X-Mailgun-Variables", json.dumps(value)] for value in variables]
    )


def test_variables_header_gives_origin_and_campaign():
    event = outcome_of(
        legacy(
            "delivered",
            **{
                "message-headers": headers(
                    {"origin": " Automation ", "campaign_id": 1234},
                    {"campaign_name": "Bienvenida"},
                )
            },
        )
    )
    assert (event.origin, event.campaign_external_id, event.campaign_name) == (
        "automation",
        "1234",
        "Bienvenida",
    )


def test_the_header_wins_and_top_level_fields_fill_in():
    event = outcome_of(
        legacy(
            "bounced",
            origin="automation",
            campaign_id="C-top",
            campaign_name="Desde el formulario",
            **{"message-headers": headers({"origin": "campaign", "campaign_id": "C-7"})},
        )
    )
    assert (event.origin, event.campaign_external_id, event.campaign_name) == (
        "campaign",
        "C-7",
        "Desde el formulario",
    )


@pytest.mark.parametrize("broken", ["[[", json.dumps([["X-Mailgun-Variables", "{no"]]), "7"])
def test_unreadable_headers_leave_the_top_level_fields(broken):
    event = outcome_of(
        legacy("delivered", origin="campaign", campaign_id="C-1", **{"message-headers": broken})
    )
    assert (event.origin, event.campaign_external_id) == ("campaign", "C-1")


def test_top_level_fields_alone_and_unknown_origin_is_not_guessed():
    event = outcome_of(legacy("unsubscribed", origin="newsletter", campaign_id="C-9"))
    assert event.origin is None and event.campaign_external_id == "C-9"


def test_repeated_fields_first_value_except_the_signature_fields():
    # django-anymail's key-conflict body as a delivery: custom variables named event,
    # recipient, timestamp... come second (first for the signature fields, where the last is
    # Mailgun's).
    text = form(
        event=["delivered", "metadata-event"],
        recipient=["actual@example.com", "metadata-recipient"],
        timestamp=["metadata-timestamp", T],
        token=["metadata-token", "actual-token"],
        signature=["metadata-signature", "actual-signature"],
    )
    event = outcome_of(text)
    assert event.email == "actual@example.com" and event.event == "delivered"
    assert event.occurred_at == datetime(2024, 6, 2, tzinfo=UTC)
    assert mailgun.signature_fields(text) == (T, "actual-token", "actual-signature")


# --- the signature, for the webhook endpoint ---------------------------------------------------


def anymail_signature_ok(fields: mailgun.SignatureFields) -> bool:
    expected = hmac.new(
        ANYMAIL_KEY.encode(), (fields.timestamp + fields.token).encode(), hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields.signature)


@pytest.mark.parametrize(
    "name",
    [
        "legacy_anymail/dropped_hardfail_605.urlencoded",
        "legacy_anymail/dropped_hardfail_605.multipart",
        "legacy_anymail/clicked_metadata_key_conflicts.urlencoded",
        "legacy_anymail/opened_tags.urlencoded",
    ],
)
def test_signature_fields_of_anymails_signed_bodies_verify(name):
    fields = mailgun.signature_fields(body(name))
    assert fields is not None and anymail_signature_ok(fields)


def test_signature_fields_of_a_json_body_and_what_has_none():
    json_body = json.dumps(
        {"signature": {"timestamp": "1", "token": "t", "signature": "s"}, "event-data": {}}
    )
    assert mailgun.signature_fields(json_body) == ("1", "t", "s")
    assert mailgun.signature_fields(json.dumps({"event-data": {}})) is None
    assert mailgun.signature_fields("{roto") is None
    assert mailgun.signature_fields(legacy("delivered", token="t")) is None  # no signature
    two = legacy("delivered", token="t", signature="s")
    assert mailgun.signature_fields(f"{two}\n{two}") is None  # a request is one body


# --- files ------------------------------------------------------------------------------------


def test_one_urlencoded_body_per_line():
    lines = [
        legacy("delivered", **{"Message-Id": "<a@x>"}),
        "",
        "esto=no&es=un evento",
        "sin signo igual",
        legacy("opened"),
        legacy("bounced", code="550", error="5.1.1 no existe") + "\r",
    ]
    records = list(mailgun.parse("\ufeff" + "\n".join(lines) + "\n"))
    assert [r.position for r in records] == [1, 3, 4, 5, 6]  # line numbers, blank skipped
    outcomes = [r.outcomes[0] for r in records]
    assert outcomes[0].event == "delivered"
    assert outcomes[1] == Rejected("no parece un evento de Mailgun: falta el campo event")
    assert outcomes[2] == Rejected(
        "no es un formulario URL-encoded: «sin signo igual» no tiene «=»"
    )
    assert isinstance(outcomes[3], Ignored)
    assert outcomes[4].smtp_diagnostic == "550 5.1.1 no existe"
    assert raw_text(records[2]) == "sin signo igual"


@pytest.mark.parametrize(
    "text, key",
    [
        ("", "empty_file"),
        ("  \n\n", "empty_file"),
        ("esto no es JSON\nni esto tampoco\n", "mailgun_not_json_nor_form"),
        ("a=1&b=2\nc=3\n", "mailgun_forms_foreign"),
        (json.dumps({"event-data": "x"}), "mailgun_foreign"),
    ],
)
def test_not_mailgun_at_all_is_refused_whole(text, key):
    with pytest.raises(FormatError) as refused:
        mailgun.parse(text)
    assert refused.value.key == key


# --- what an import stores ---------------------------------------------------------------------

STORABLE = [name for name in NAMES if isinstance(EXPECTED[name], Event)]


def test_importing_every_body_stores_exactly_their_events_once(empty_engine):
    """Each real body imported on its own (a webhook request each): the stored rows are the
    expected events, once; the same bodies again store nothing."""
    reports = [
        counts(import_text(empty_engine, "mailgun", body(n), default_origin="campaign"))
        for n in NAMES
    ]
    # Two encodings of the same body, and the 606 derived from the 605 (same message and
    # recipient: its Message-Id key makes it the same drop), are duplicates.
    duplicates = [n for n, r in zip(NAMES, reports) if r[2]]
    assert duplicates == [
        "legacy_anymail/bounced_550.urlencoded",
        "legacy_anymail/dropped_hardfail_605.urlencoded",
        "legacy_anymail/dropped_hardfail_606_derived.urlencoded",
    ]
    first = [n for n in STORABLE if n not in duplicates]
    want = sorted(
        (
            (
                EXPECTED[n].email,
                EXPECTED[n].event,
                EXPECTED[n].bounce_type,
                EXPECTED[n].reason,
                EXPECTED[n].provider_reason,
                EXPECTED[n].smtp_diagnostic,
                EXPECTED[n].occurred_at,
                "campaign",
                "sin-identificar",
            )
            for n in first
        ),
        key=repr,
    )
    stored = stored_events(empty_engine)
    assert stored == want
    assert sum(r[1] for r in reports) == len(want) == 12
    again = [counts(import_text(empty_engine, "mailgun", body(n))) for n in NAMES]
    assert sum(r[1] for r in again) == 0
    assert all(r[2] + r[3] + r[4] == r[0] for r in again)
    assert stored_events(empty_engine) == stored


def test_a_retried_post_with_a_new_signature_is_a_duplicate(empty_engine):
    """Mailgun signs each POST anew (new token, new timestamp): a body with a Message-Id is
    still the same event."""
    first = legacy(
        "bounced", code="550", error="5.1.1 no", token="t1", signature="s1", origin="campaign"
    )
    retry = legacy(
        "bounced",
        code="550",
        error="5.1.1 no",
        token="t2",
        signature="s2",
        origin="campaign",
        timestamp=str(int(T) + 300),
    )
    with_id = {"Message-Id": "<m-9@example.com>"}
    assert counts(import_text(empty_engine, "mailgun", first + "&" + form(**with_id))) == (
        1,
        1,
        0,
        0,
        0,
    )
    assert counts(import_text(empty_engine, "mailgun", retry + "&" + form(**with_id))) == (
        1,
        0,
        1,
        0,
        0,
    )
    [row] = stored_events(empty_engine)
    assert row[6] == datetime(2024, 6, 2, tzinfo=UTC)  # the first copy's time stays


def test_a_file_of_lines_is_one_transaction_with_its_quarantine(empty_engine):
    text = "\n".join(
        [
            legacy("delivered", origin="automation", campaign_id="F-1"),
            legacy("dropped", reason="maxfails"),
            legacy("opened"),
            legacy("delivered"),  # no origin and no --origin: quarantined
        ]
    )
    assert counts(import_text(empty_engine, "mailgun", text)) == (4, 1, 0, 1, 2)
    assert stored_events(empty_engine) == [
        (
            "ana@example.com",
            "delivered",
            None,
            None,
            None,
            None,
            datetime(2024, 6, 2, tzinfo=UTC),
            "automation",
            "F-1",
        )
    ]
