"""The value readers every parser shares (data_access.ingest.values): one rule for `origin`
for every provider, and the dates and texts whose differences between providers are said with
a parameter."""

import json
from datetime import UTC, datetime

import pytest

from data_access.ingest import csv_format, mailgun, postmark, sendgrid, ses
from data_access.ingest.model import Event, Rejected
from data_access.ingest.values import Unreadable, as_text, moment, origin


def sendgrid_file(value) -> str:
    return json.dumps(
        [{"event": "delivered", "email": "a@example.com", "timestamp": 1513299569, "origin": value}]
    )


def ses_file(value) -> str:
    return json.dumps(
        {
            "eventType": "Delivery",
            "mail": {
                "messageId": "m-1",
                "destination": ["a@example.com"],
                "tags": {"origin": [value]},
            },
            "delivery": {"timestamp": "2017-08-05T00:41:02.669Z", "recipients": ["a@example.com"]},
        }
    )


def mailgun_file(value) -> str:
    data = {
        "event": "delivered",
        "timestamp": 1717286400,
        "recipient": "a@example.com",
        "user-variables": {"origin": value},
    }
    return json.dumps({"event-data": data})


def postmark_file(value) -> str:
    return json.dumps(
        {
            "RecordType": "Delivery",
            "Recipient": "a@example.com",
            "DeliveredAt": "2024-06-01T10:00:00Z",
            "Metadata": {"origin": value},
        }
    )


def csv_file(value) -> str:
    return f"occurred_at,email,event,origin\n2024-06-01T10:00:00Z,a@example.com,delivered,{value}\n"


FILES = {
    "sendgrid": (sendgrid, sendgrid_file),
    "ses": (ses, ses_file),
    "mailgun": (mailgun, mailgun_file),
    "postmark": (postmark, postmark_file),
    "csv": (csv_format, csv_file),
}


def read_origin(provider: str, value) -> object:
    """The origin of the single event of a file of `provider` with this origin value (or its
    rejection), read record by record; and column by column where the provider can."""
    parser, make = FILES[provider]
    text = make(value)
    [record] = parser.parse(text)
    [outcome] = record.outcomes
    result = outcome.origin if isinstance(outcome, Event) else outcome
    reader = getattr(parser, "parse_columns", None)
    columns = reader(text) if reader else None
    if columns is not None and columns.events.height:
        assert columns.events["origin"].to_list() == [result]
    return result


@pytest.mark.parametrize("provider", list(FILES))
@pytest.mark.parametrize(
    "value, expected",
    [
        ("campaign", "campaign"),
        ("automation", "automation"),
        ("Campaign", "campaign"),
        (" AUTOMATION ", "automation"),
        ("CamPaign", "campaign"),
    ],
)
def test_origin_is_read_the_same_for_every_provider(provider, value, expected):
    assert read_origin(provider, value) == expected


@pytest.mark.parametrize("provider", ["sendgrid", "ses", "mailgun", "postmark"])
@pytest.mark.parametrize("value", ["newsletter", "campaigns", "campaña"])
def test_an_unknown_origin_is_none_never_guessed(provider, value):
    assert read_origin(provider, value) is None


def test_the_generic_csv_refuses_an_unknown_origin():
    """A documented format: a wrong origin is a mistake to show, not a missing value."""
    assert read_origin("csv", "newsletter") == Rejected(
        "origin desconocido: newsletter (campaign o automation)"
    )


def test_origin_reader():
    assert [origin(v) for v in ("campaign", "\tAutomation\n", "", None, 1, ["campaign"])] == [
        "campaign",
        "automation",
        None,
        None,
        None,
        None,
    ]


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("naive_is_utc", [False, True])
@pytest.mark.parametrize(
    "value, expected",
    [
        (1513299569, datetime(2017, 12, 15, 0, 59, 29, tzinfo=UTC)),
        (" 1513299569 ", datetime(2017, 12, 15, 0, 59, 29, tzinfo=UTC)),
        (1717286400.25, datetime(2024, 6, 2, 0, 0, 0, 250000, tzinfo=UTC)),
        ("2024-06-01T20:00:00-04:00", datetime(2024, 6, 2, tzinfo=UTC)),
        ("2024-06-02T00:00:00Z", datetime(2024, 6, 2, tzinfo=UTC)),
    ],
)
def test_dates_every_provider_reads_alike(naive_is_utc, value, expected):
    got = moment(value, naive_is_utc=naive_is_utc)
    assert got == expected and got.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("naive_is_utc", [False, True])
@pytest.mark.parametrize(
    "value, reason",
    [
        (None, "falta la fecha"),
        ("", "falta la fecha"),
        (0, "fecha imposible: 0"),
        ("1970-01-01T00:00:00Z", "fecha imposible: 1970-01-01T00:00:00Z"),
        (4133980800, "fecha imposible: 4133980800"),  # 2101-01-01
        ("2101-01-01T00:00:00Z", "fecha imposible: 2101-01-01T00:00:00Z"),
        (float("nan"), "fecha imposible: nan"),
        (10**400, "fecha imposible: 1" + "0" * 400),
        ("0001-01-01T00:00:00+01:00", "fecha imposible: 0001-01-01T00:00:00+01:00"),
        ("ayer", "fecha ilegible: ayer"),
        (True, "fecha ilegible: True"),
        ([1], "fecha ilegible: [1]"),
    ],
)
def test_dates_every_provider_refuses_alike(naive_is_utc, value, reason):
    with pytest.raises(Unreadable) as refused:
        moment(value, naive_is_utc=naive_is_utc)
    assert str(refused.value) == reason


def test_a_date_without_offset_is_utc_or_refused_as_the_caller_says(local_time_not_utc):
    assert moment("2024-06-02T00:00:00", naive_is_utc=True) == datetime(2024, 6, 2, tzinfo=UTC)
    with pytest.raises(Unreadable, match="fecha sin zona horaria: 2024-06-02T00:00:00"):
        moment("2024-06-02T00:00:00", naive_is_utc=False)


def test_the_providers_keep_their_rule_for_dates_without_offset():
    """SendGrid and SES always write the offset (refused without), Mailgun, Postmark and the
    generic CSV may leave it out (UTC)."""
    naive = "2024-06-02T00:00:00"
    [sendgrid_record] = sendgrid.parse(
        json.dumps([{"event": "delivered", "email": "a@example.com", "timestamp": naive}])
    )
    assert sendgrid_record.outcomes == (Rejected(f"fecha sin zona horaria: {naive}"),)
    body = json.loads(postmark_file("campaign")) | {"DeliveredAt": naive}
    [postmark_record] = postmark.parse(json.dumps(body))
    assert postmark_record.outcomes[0].occurred_at == datetime(2024, 6, 2, tzinfo=UTC)


# --- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, as_written, trimmed",
    [
        (" 550 no ", " 550 no ", "550 no"),
        ("x", "x", "x"),
        ("   ", None, None),
        ("", None, None),
        (42, "42", "42"),
        (True, None, None),
        (4.5, None, None),
        (None, None, None),
        (["x"], None, None),
    ],
)
def test_text_as_written_or_trimmed(value, as_written, trimmed):
    assert as_text(value) == as_written
    assert as_text(value, trim=True) == trimmed
