"""The generic CSV format: round trip with write(), bad rows, bad headers, quoting, BOM."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from data_access import vocab
from data_access.ingest import csv_format
from data_access.ingest.model import Event, FormatError, Rejected, raw_text

T0 = datetime(2024, 6, 1, 14, 3, tzinfo=UTC)

EVENTS = [
    Event(email="ana@example.com", event="sent", occurred_at=T0),
    Event(
        email="ana@example.com",
        event="delivered",
        occurred_at=T0 + timedelta(seconds=1),
        provider_event_id="ev-1",
        message_id="<m1@example.com>",
        origin="campaign",
        campaign_external_id="C-42",
        campaign_name='Rebajas, "junio"\ny más',
    ),
    Event(
        email="luis@example.com",
        event="bounced",
        occurred_at=datetime(2024, 6, 1, 9, 3, 0, 123456, tzinfo=timezone(timedelta(hours=-5))),
        bounce_type="hard",
        provider_reason="bounce",
        smtp_diagnostic="550 5.1.1 <luis@example.com>: user unknown,\nplease check",
        origin="automation",
        campaign_external_id="flow-7",
    ),
    Event(email="eva@example.com", event="bounced", occurred_at=T0, bounce_type="soft"),
    Event(email="eva@example.com", event="bounced", occurred_at=T0, bounce_type="undetermined"),
    Event(email="josé@ejemplo.es", event="spam_complaint", occurred_at=T0),
    *[
        Event(email="x@example.com", event="not_sent", occurred_at=T0, reason=reason)
        for reason in vocab.REASONS
    ],
    Event(email="x@example.com", event="unsubscribed", occurred_at=T0),
    Event(email="x@example.com", event="resubscribed", occurred_at=T0),
]

HEADER = "occurred_at,email,event,bounce_type,reason,origin"


def outcomes(text: str) -> list:
    return [outcome for record in csv_format.parse(text) for outcome in record.outcomes]


def one(row: str, header: str = HEADER):
    """The single outcome of a file with this header and one row."""
    [outcome] = outcomes(f"{header}\n{row}\n")
    return outcome


# --- round trip -------------------------------------------------------------------------------


def test_round_trip_gives_back_equal_events():
    assert set(vocab.EVENTS) <= {e.event for e in EVENTS}
    parsed = outcomes(csv_format.write(EVENTS))
    assert parsed == EVENTS
    assert all(e.occurred_at.utcoffset() == timedelta(0) for e in parsed)


def test_write_has_every_column_and_utc_times():
    text = csv_format.write(EVENTS[:1])
    assert text.splitlines()[0] == ",".join(csv_format.COLUMNS)
    assert text.splitlines()[1] == "2024-06-01T14:03:00+00:00,ana@example.com,sent" + "," * 9
    assert (
        csv_format.write(EVENTS[2:3])
        .splitlines()[1]
        .startswith("2024-06-01T14:03:00.123456+00:00,luis@example.com,bounced,hard,")
    )
    assert csv_format.write([]) == ",".join(csv_format.COLUMNS) + "\n"


def test_naive_times_are_written_as_utc():
    naive = Event(email="a@example.com", event="sent", occurred_at=datetime(2024, 6, 1, 14, 3))
    assert outcomes(csv_format.write([naive]))[0].occurred_at == T0


def test_positions_are_the_line_where_each_row_starts():
    records = list(csv_format.parse(csv_format.write(EVENTS[:4])))
    # Row 2 (line 3) holds one line break in a quoted field, row 3 (line 5) holds another.
    assert [r.position for r in records] == [2, 3, 5, 7]


# --- reading ----------------------------------------------------------------------------------


def test_columns_in_any_order_with_only_the_required_ones():
    assert one("sent,ana@example.com,2024-06-01T14:03:00Z", "event,email,occurred_at") == Event(
        email="ana@example.com", event="sent", occurred_at=T0
    )


def test_quoted_fields_with_commas_quotes_and_newlines():
    text = (
        "occurred_at,email,event,bounce_type,smtp_diagnostic,campaign_name\n"
        '2024-06-01T14:03:00Z,ana@example.com,bounced,hard,"550 5.1.1 no, really\n'
        'second line","Campaña ""Verano"", 2024"\n'
        "2024-06-01T14:03:00Z,luis@example.com,delivered,,,\n"
    )
    records = list(csv_format.parse(text))
    assert [r.position for r in records] == [2, 4]
    first = records[0].outcomes[0]
    assert first.smtp_diagnostic == "550 5.1.1 no, really\nsecond line"
    assert first.campaign_name == 'Campaña "Verano", 2024'
    assert records[1].outcomes[0].event == "delivered"


def test_bom_crlf_spaces_and_blank_rows_are_tolerated():
    text = (
        "\ufeffoccurred_at , email,event\r\n"
        "\r\n"
        " 2024-06-01T14:03:00Z , ana@example.com ,delivered\r\n"
        ",,\r\n"
    )
    records = list(csv_format.parse(text))
    assert [r.position for r in records] == [3]
    assert records[0].outcomes[0] == Event(
        email="ana@example.com", event="delivered", occurred_at=T0
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-06-01T14:03:00", T0),  # no offset: UTC
        ("2024-06-01 14:03:00", T0),
        ("2024-06-01T09:03:00-05:00", T0),
        ("2024-06-01T14:03:00.5Z", T0 + timedelta(milliseconds=500)),
        ("2024-06-01", datetime(2024, 6, 1, tzinfo=UTC)),
    ],
)
def test_iso_8601_times(text, expected, local_time_not_utc):
    occurred_at = one(f"{text},a@example.com,sent,,,").occurred_at
    assert occurred_at == expected and occurred_at.utcoffset() == timedelta(0)


def test_the_documented_example_reads_as_documented():
    doc = csv_format.__doc__
    example = doc[doc.index("Example:") :].split("\n\n")[1]
    bounced, not_sent = outcomes("\n".join(line.strip() for line in example.splitlines()))
    assert bounced == Event(
        email="ana@example.com",
        event="bounced",
        occurred_at=datetime(2024, 5, 1, 14, 3, tzinfo=UTC),
        bounce_type="hard",
        smtp_diagnostic="550 5.1.1 user unknown",
        origin="campaign",
        campaign_external_id="C-42",
    )
    assert not_sent.reason == "previous_bounce" and not_sent.origin == "automation"
    assert all(f"`{name}`" in doc for name in csv_format.COLUMNS)


def test_header_only_file_has_no_records():
    assert list(csv_format.parse(HEADER + "\n")) == []


# --- bad rows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row, reason",
    [
        (
            "2024-06-01T14:03:00Z,a@example.com,opened,,,",
            "evento desconocido: opened (válidos: " + ", ".join(vocab.EVENTS) + ")",
        ),
        ("2024-06-01T14:03:00Z,a@example.com,,,,", "falta el evento"),
        ("2024-06-01T14:03:00Z,,delivered,,,", "falta el destinatario"),
        (",a@example.com,delivered,,,", "falta la fecha"),
        (
            "01/06/2024,a@example.com,delivered,,,",
            "fecha ilegible: 01/06/2024 (ISO 8601, p. ej. 2024-05-01T14:03:00Z)",
        ),
        (
            "2101-01-01T00:00:00Z,a@example.com,delivered,,,",
            "fecha imposible: 2101-01-01T00:00:00Z",
        ),
        (
            "1900-01-01T00:00:00Z,a@example.com,delivered,,,",
            "fecha imposible: 1900-01-01T00:00:00Z",
        ),
        (
            "2024-06-01T14:03:00Z,a@example.com,bounced,,,",
            "bounced sin bounce_type (hard, soft, undetermined)",
        ),
        (
            "2024-06-01T14:03:00Z,a@example.com,bounced,permanent,,",
            "bounce_type desconocido: permanent (hard, soft, undetermined)",
        ),
        (
            "2024-06-01T14:03:00Z,a@example.com,delivered,hard,,",
            "bounce_type solo vale con event=bounced",
        ),
        (
            "2024-06-01T14:03:00Z,a@example.com,not_sent,,,",
            "not_sent sin reason (" + ", ".join(vocab.REASONS) + ")",
        ),
        (
            "2024-06-01T14:03:00Z,a@example.com,not_sent,,blocked,",
            "reason desconocido: blocked (" + ", ".join(vocab.REASONS) + ")",
        ),
        (
            "2024-06-01T14:03:00Z,a@example.com,bounced,hard,unsubscribed,",
            "reason solo vale con event=not_sent",
        ),
        (
            "2024-06-01T14:03:00Z,a@example.com,delivered,,,newsletter",
            "origin desconocido: newsletter (campaign o automation)",
        ),
        ("2024-06-01T14:03:00Z,a@example.com,delivered", "la fila tiene 3 campos y la cabecera 6"),
        (
            "2024-06-01T14:03:00Z,a@example.com,delivered,,,,extra",
            "la fila tiene 7 campos y la cabecera 6",
        ),
    ],
)
def test_bad_rows_are_rejected_with_a_clear_reason(row, reason):
    assert one(row) == Rejected(reason)


def test_a_bad_row_does_not_stop_the_others_and_keeps_its_raw_text():
    text = (
        f"{HEADER}\n2024-06-01T14:03:00Z,a@example.com,opened,,,\n"
        "2024-06-01T14:03:00Z,b@example.com,delivered,,,campaign\n"
    )
    bad, good = csv_format.parse(text)
    assert isinstance(bad.outcomes[0], Rejected)
    assert raw_text(bad) == (
        '{"occurred_at": "2024-06-01T14:03:00Z", "email": "a@example.com", '
        '"event": "opened", "bounce_type": "", "reason": "", "origin": ""}'
    )
    assert good.outcomes[0].origin == "campaign"


# --- bad files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, message",
    [
        ("occurred_at,email", "Faltan columnas obligatorias: event."),
        ("fecha,correo,event", "Columnas desconocidas: fecha, correo."),
        (
            "occurred_at,email,event,bounce-type,campaing_id",
            "Columnas desconocidas: bounce-type, campaing_id.",
        ),
        ("occurred_at,email,event,email", "Columnas repetidas: email."),
        ("occurred_at,email,event,", "Columna sin nombre en la cabecera (columna 4)."),
    ],
)
def test_bad_headers_are_a_format_error(header, message):
    with pytest.raises(FormatError) as error:
        csv_format.parse(f"{header}\n2024-06-01T14:03:00Z,a@example.com,sent\n")
    assert str(error.value).startswith(message)


def test_unknown_columns_message_lists_the_valid_ones():
    with pytest.raises(FormatError) as error:
        csv_format.parse("occurred_at,email,event,Email\n")
    assert "Columnas desconocidas: Email. Las válidas son: occurred_at, email" in str(error.value)


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n"])
def test_empty_file_is_a_format_error(text):
    with pytest.raises(FormatError, match="vacío"):
        csv_format.parse(text)


def test_a_json_file_is_a_format_error():
    with pytest.raises(FormatError, match="Columnas desconocidas"):
        csv_format.parse('{"event-data": {"event": "delivered", "recipient": "a@example.com"}}')
