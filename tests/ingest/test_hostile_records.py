"""One bad record never sinks its file. Text that no database can hold (a NUL, which PostgreSQL
refuses; a lone UTF-16 surrogate, which a JSON escape makes and UTF-8 cannot encode) and
addresses longer than their columns go to the quarantine with a Spanish reason, and the rest of
the file is stored: every provider and the generic CSV, per record and column by column, on
both engines. The quarantine keeps those characters as JSON escapes."""

import json

import pytest
import sqlalchemy as sa

from data_access import schema, vocab
from data_access.ingest import csv_format, sendgrid

from .conftest import (
    anymail,
    contents,
    counts,
    fixture_text,
    import_parsed,
    import_text,
)

GOOD = 1000
NUL_REASON = "contiene un carácter nulo (U+0000), que no se puede guardar"


def surrogate_reason(code: str) -> str:
    return f"contiene U+{code}, medio par sustituto UTF-16 sin su pareja, que no se puede guardar"


def sendgrid_event(number: int, **changes) -> dict:
    event = {
        "email": f"persona{number}@example.com",
        "event": "delivered",
        "timestamp": 1_780_000_000 + number,
        "sg_event_id": f"evento-{number}",
        "sg_message_id": f"mensaje-{number}",
        "origin": "campaign",
        "campaign_id": "verano",
        "campaign_name": "Verano",
    }
    return {**event, **changes}


def sendgrid_batch(*bad: str) -> str:
    """A webhook batch: GOOD delivered events, then the `bad` ones (each an event's JSON text)."""
    good = [json.dumps(sendgrid_event(n)) for n in range(1, GOOD + 1)]
    return "[" + ",".join([*good, *bad]) + "]"


def bounce_with(number: int, **changes) -> str:
    """The JSON text of a hard bounce with `changes`; json.dumps writes a NUL as the escape
    \\u0000 and a lone surrogate as \\ud800, as a provider's JSON would."""
    fields = {"event": "bounce", "reason": "550 5.1.1", **changes}
    return json.dumps(sendgrid_event(number, **fields))


# The issue's record: the escape is in the JSON text, not a character of the file.
ISSUE_RECORD = bounce_with(GOOD + 1)[:-1] + ', "campaign_name": "abc\\ud800def"}'

# (what is wrong with a record, its changes, its quarantine reason, an escape its raw text
# holds in the quarantine)
SENDGRID_CASES = [
    (
        "low surrogate in the SMTP reply",
        {"response": "250 \udfff"},
        "la respuesta SMTP " + surrogate_reason("DFFF"),
        "\\udfff",
    ),
    (
        "NUL in the reason",
        {"reason": "550\x005.1.1"},
        "el motivo del proveedor " + NUL_REASON,
        "550\\u00005.1.1",
    ),
    (
        "NUL in the event id",
        {"sg_event_id": "evento\x00-x"},
        "el id del evento " + NUL_REASON,
        "evento\\u0000-x",
    ),
    (
        "NUL in the message id",
        {"sg_message_id": "m\x00"},
        "el Message-ID " + NUL_REASON,
        "m\\u0000",
    ),
    (
        "NUL in the recipient",
        {"email": "ana\x00@example.com"},
        "el destinatario " + NUL_REASON,
        "ana\\u0000@example.com",
    ),
    (
        "NUL in the campaign id",
        {"campaign_id": "ver\x00ano"},
        "el id de la campaña " + NUL_REASON,
        "ver\\u0000ano",
    ),
    (
        "NUL in the bounce type (the parser refuses it)",
        {"type": "bou\x00nce"},
        "tipo de rebote desconocido: bou\\u0000nce",
        "bou\\u0000nce",
    ),
    (
        "an address of 333 characters",
        {"email": "a" * 321 + "@example.com"},
        "la dirección tiene 333 caracteres (como mucho 320)",
        "a" * 321,
    ),
    (
        "a domain of 300 characters",
        {"email": "ana@" + "d" * 296 + ".com"},
        "el dominio de la dirección tiene 300 caracteres (como mucho 255)",
        "d" * 296,
    ),
]


def bad_records(cases) -> list[str]:
    """Each case's record, numbered after the good ones (each its own event id)."""
    records = []
    for number, (_what, changes, _reason, _escape) in enumerate(cases, start=GOOD + 1):
        records.append(bounce_with(number, **{"sg_event_id": f"evento-{number}", **changes}))
    return records


def quarantined(engine: sa.Engine) -> list[tuple]:
    q = schema.quarantine.c
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(q.position, q.reason, q.raw)))


def stored_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(schema.email_events)).scalar()


def test_the_issues_batch_stores_its_thousand_good_events(empty_engine):
    report = import_text(empty_engine, "sendgrid", sendgrid_batch(ISSUE_RECORD))
    assert counts(report) == (GOOD + 1, GOOD, 0, 0, 1)
    assert stored_count(empty_engine) == GOOD
    [(position, reason, raw)] = quarantined(empty_engine)
    assert (position, reason) == (GOOD + 1, "el nombre de la campaña " + surrogate_reason("D800"))
    assert '"campaign_name": "abc\\ud800def"' in raw


def test_every_bad_record_of_a_batch_goes_to_the_quarantine_with_its_reason(empty_engine):
    report = import_text(empty_engine, "sendgrid", sendgrid_batch(*bad_records(SENDGRID_CASES)))
    bad = len(SENDGRID_CASES)
    assert counts(report) == (GOOD + bad, GOOD, 0, 0, bad)
    assert stored_count(empty_engine) == GOOD
    rows = quarantined(empty_engine)
    assert [(p, r) for p, r, _raw in rows] == [
        (GOOD + n, reason) for n, (_w, _c, reason, _e) in enumerate(SENDGRID_CASES, start=1)
    ]
    for (_position, reason, raw), (what, _c, _r, escape) in zip(rows, SENDGRID_CASES):
        assert escape in raw, what
        assert "\x00" not in raw + reason, what


def test_sendgrid_by_columns_and_per_record_quarantine_the_same(two_engines):
    """What a columnar reader can hold (a batch with a lone surrogate is read per record)
    gets the same outcome and the same reason both ways."""
    cases = [case for case in SENDGRID_CASES if "surrogate" not in case[0]]
    text = sendgrid_batch(*bad_records(cases))
    assert sendgrid.parse_columns(text) is not None
    results = []
    for engine, columnar in zip(two_engines, (True, False)):
        with engine.begin() as conn:
            report = import_parsed(
                conn, "sendgrid", sendgrid, text, columnar=columnar, source="lote.json"
            )
            results.append((counts(report), contents(conn)))
    assert results[0] == results[1]
    assert results[0][0] == (GOOD + len(cases), GOOD, 0, 0, len(cases))
    assert len(results[0][1]["quarantine"]) == len(cases)


def test_json_lines_with_a_lone_surrogate_lose_only_that_line(empty_engine):
    lines = [json.dumps(sendgrid_event(n)) for n in range(1, 4)]
    lines.insert(1, json.dumps(sendgrid_event(9, sg_event_id="\ud83d")))  # half an emoji
    report = import_text(empty_engine, "sendgrid", "\n".join(lines))
    assert counts(report) == (4, 3, 0, 0, 1)
    [(position, reason, raw)] = quarantined(empty_engine)
    assert (position, reason) == (2, "el id del evento " + surrogate_reason("D83D"))
    assert '"sg_event_id": "\\ud83d"' in raw


# --- the generic CSV -------------------------------------------------------------------------

CSV_HEADER = "occurred_at,email,event,bounce_type,provider_reason,event_id,campaign_name,origin\n"
CSV_CASES = [
    (
        "2026-05-01T10:00:00Z,ana@example.com,bounced,hard,mal\x00,x1,Verano,campaign",
        "el motivo del proveedor " + NUL_REASON,
    ),
    (
        "2026-05-01T10:00:00Z,ana@example.com,bounced,hard,,x\x002,Verano,campaign",
        "el id del evento " + NUL_REASON,
    ),
    (
        "2026-05-01T10:00:00Z,ana@example.com,bounced,hard,,x3,Ver\x00ano,campaign",
        "el nombre de la campaña " + NUL_REASON,
    ),
    (
        "2026-05-01T10:00:00Z,a\x00na@example.com,bounced,hard,,x4,Verano,campaign",
        "el destinatario " + NUL_REASON,
    ),
    (  # the parser's own rule comes first; the quarantine keeps the NUL as an escape
        "2026-05-01T10:00:00Z,ana@example.com,bou\x00nced,hard,,x5,Verano,campaign",
        f"evento desconocido: bou\\u0000nced (válidos: {', '.join(vocab.EVENTS)})",
    ),
    (
        "2026-05-01T10:00:00Z," + "b" * 388 + "@example.com,bounced,hard,,x6,Verano,campaign",
        "la dirección tiene 400 caracteres (como mucho 320)",
    ),
]


def test_csv_rows_that_cannot_be_stored_are_quarantined_both_ways(two_engines):
    good = [
        f"2026-05-01T09:{n:02d}:00Z,p{n}@example.com,delivered,,,e{n},Verano,campaign"
        for n in range(50)
    ]
    text = CSV_HEADER + "\n".join([*good, *(row for row, _reason in CSV_CASES)]) + "\n"
    results = []
    for engine, columnar in zip(two_engines, (True, False)):
        with engine.begin() as conn:
            report = import_parsed(
                conn, "csv", csv_format, text, columnar=columnar, source="eventos.csv"
            )
            results.append((counts(report), contents(conn)))
        rows = quarantined(engine)
        # line 1 is the header, then the 50 good rows
        assert [(p, r) for p, r, _raw in rows] == [
            (52 + n, reason) for n, (_row, reason) in enumerate(CSV_CASES)
        ]
        assert all("\x00" not in raw for _p, _r, raw in rows)
    assert results[0] == results[1]
    assert results[0][0] == (50 + len(CSV_CASES), 50, 0, 0, len(CSV_CASES))


# --- SES, Mailgun, Postmark (per record) -------------------------------------------------------


def ses_bounce(**bounce_changes) -> dict:
    body = json.loads(fixture_text("ses", "bounce_notification_with_dsn_example_ses_body.json"))
    body["bounce"].update(bounce_changes)
    return body


def mailgun_failure(**delivery_status) -> dict:
    body, _expected = anymail("mailgun", "failed_permanent")
    body = json.loads(json.dumps(body))
    body["event-data"]["delivery-status"].update(delivery_status)
    return body


def postmark_bounce(**changes) -> dict:
    body, _expected = anymail("postmark", "bounce")
    return {**body, **changes}


PER_RECORD = {
    "ses": (
        ses_bounce,
        {"feedbackId": "f\x00"},
        {"bouncedRecipients": [{"emailAddress": "jane@example.com", "diagnosticCode": "\udc80"}]},
        ("el id del evento " + NUL_REASON, "la respuesta SMTP " + surrogate_reason("DC80")),
    ),
    "mailgun": (
        mailgun_failure,
        {"message": "5.1.1\x00"},
        {"message": "5.1.1 \ud800"},
        ("la respuesta SMTP " + NUL_REASON, "la respuesta SMTP " + surrogate_reason("D800")),
    ),
    "postmark": (
        postmark_bounce,
        {"ID": "9015\x00"},
        {"Details": "smtp;550 \udbff"},
        ("el id del evento " + NUL_REASON, "la respuesta SMTP " + surrogate_reason("DBFF")),
    ),
}


@pytest.mark.parametrize("provider", list(PER_RECORD))
def test_per_record_providers_quarantine_what_cannot_be_stored(empty_engine, provider):
    make, nul, surrogate, reasons = PER_RECORD[provider]
    bodies = [make(), make(**nul), make(**surrogate)]
    report = import_text(empty_engine, provider, json.dumps(bodies), default_origin="campaign")
    assert counts(report) == (3, 1, 0, 0, 2)
    rows = sorted(quarantined(empty_engine))
    assert [(position, reason) for position, reason, _raw in rows] == [
        (2, reasons[0]),
        (3, reasons[1]),
    ]
    assert all("\x00" not in raw for _p, _r, raw in rows)
