"""The generic CSV read column by column (`csv_format.parse_columns`, what imports use) gives
exactly what the row-by-row reader (`csv_format.parse`) gives: the same events, the same
rejections with the same reasons and raw text, at the same lines; and stores the same."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access import schema
from data_access.ingest import csv_format
from data_access.ingest.model import EVENT_FIELDS, Event, FormatError, Rejected, raw_text
from tests.ingest.conftest import assert_rollups_as_rebuilt, contents, import_parsed

T0 = datetime(2024, 6, 1, 14, 3, tzinfo=UTC)
FIELDS = EVENT_FIELDS  # what a frame row holds (the CSV never gives evidence-only events)


def by_row(text: str) -> dict:
    """line -> (raw text or None, outcomes as comparable tuples), from `parse`."""
    out = {}
    for record in csv_format.parse(text):
        out[record.position] = [_comparable(o, raw_text(record)) for o in record.outcomes]
    return out


def by_column(text: str) -> dict:
    """The same shape from `parse_columns`."""
    columns = csv_format.parse_columns(text)
    assert columns.ignored == 0
    out = {}
    for record in columns.records:
        assert record.position not in out
        out[record.position] = [_comparable(o, raw_text(record)) for o in record.outcomes]
    for row in columns.events.iter_rows(named=True):
        assert row["item"] == 1 and row["position"] not in out
        event = Event(**{name: row[name] for name in FIELDS})
        out[row["position"]] = [_comparable(event, columns.raw(row["position"]))]
    return out


def _comparable(outcome, raw: str):
    if isinstance(outcome, Rejected):
        return ("rejected", outcome.reason, raw)
    assert isinstance(outcome, Event)
    assert not outcome.evidence_only  # a frame row could not say so
    values = {name: getattr(outcome, name) for name in FIELDS}
    assert values["occurred_at"].utcoffset() == timedelta(0)
    values["occurred_at"] = values["occurred_at"].timestamp()
    return ("event", tuple(sorted(values.items())), raw)


def same(text: str) -> dict:
    expected = by_row(text)
    assert by_column(text) == expected
    return expected


def test_round_trip_of_every_kind_of_event():
    events = [
        Event(
            email="ana@example.com",
            event=kind,
            occurred_at=T0 + timedelta(seconds=i),
            bounce_type="soft" if kind == "bounced" else None,
            reason="previous_bounce" if kind == "not_sent" else None,
            origin="campaign",
            campaign_external_id="C-1",
            provider_event_id=f"e{i}",
            campaign_name='Rebajas, "junio"\ny más',
            smtp_diagnostic="550 5.1.1",
        )
        for i, kind in enumerate(
            (
                "sent",
                "delivered",
                "bounced",
                "spam_complaint",
                "not_sent",
                "unsubscribed",
                "resubscribed",
            )
        )
    ]
    rows = same(csv_format.write(events))
    assert [row[0][0] for row in rows.values()] == ["event"] * 7


def test_every_kind_of_bad_row_is_rejected_the_same_way():
    text = (
        "occurred_at,email,event,bounce_type,reason,origin,campaign_id\n"
        "2024-06-01T14:03:00Z,ana@example.com,delivered,,,campaign,C-1\n"
        ",ana@example.com,delivered,,,campaign,C-1\n"  # no date
        "2024-13-01,ana@example.com,delivered,,,campaign,C-1\n"  # impossible date
        "1900-01-01T00:00:00Z,ana@example.com,delivered,,,campaign,C-1\n"  # absurd date
        "2024-06-01T14:03:00Z,,delivered,,,campaign,C-1\n"  # no email
        "2024-06-01T14:03:00Z,ana@example.com,,,,campaign,C-1\n"  # no event
        "2024-06-01T14:03:00Z,ana@example.com,opened,,,campaign,C-1\n"  # unknown event
        "2024-06-01T14:03:00Z,ana@example.com,bounced,,,campaign,C-1\n"  # bounce, no type
        "2024-06-01T14:03:00Z,ana@example.com,bounced,medium,,campaign,C-1\n"
        "2024-06-01T14:03:00Z,ana@example.com,delivered,hard,,campaign,C-1\n"
        "2024-06-01T14:03:00Z,ana@example.com,not_sent,,porque sí,campaign,C-1\n"
        "2024-06-01T14:03:00Z,ana@example.com,not_sent,,,campaign,C-1\n"
        "2024-06-01T14:03:00Z,ana@example.com,delivered,,unsubscribed,campaign,C-1\n"
        "2024-06-01T14:03:00Z,ana@example.com,delivered,,,newsletter,C-1\n"
        "nunca,,opened,,,newsletter,C-1\n"  # several problems: the first one counts
        "2024-06-01T14:03:00Z,ana@example.com,delivered\n"  # too few fields
        "2024-06-01T14:03:00Z,ana@example.com,delivered,,,campaign,C-1,extra\n"
        "  2024-06-01 14:03:00  , Ana@Example.com ,  bounced , hard ,, automation , F-1 \n"
        "\n"
        ",,,,,,\n"  # empty row: skipped
        "2024-06-01T14:03:00-05:00,luis@example.com,not_sent,,invalid_address,,\n"
    )
    rows = same(text)
    kinds = [outcome[0][0] for outcome in rows.values()]
    assert kinds.count("event") == 3 and kinds.count("rejected") == 16


def test_a_file_that_is_not_this_format_is_refused_the_same_way():
    for text in (
        "",
        "occurred_at,email\n",
        "occurred_at,email,event,color\n",
        "occurred_at,email,event,email\n",
        ",occurred_at,email,event\n",
    ):
        with pytest.raises(FormatError) as by_rows:
            list(csv_format.parse(text))
        with pytest.raises(FormatError) as by_columns:
            csv_format.parse_columns(text)
        assert str(by_columns.value) == str(by_rows.value)


VALUES = {
    "occurred_at": [
        "2024-06-01T14:03:00Z",
        "2024-06-01 14:03:00",
        " 2024-06-01T09:03:00-05:00 ",
        "2024-06-01T14:03:00.123456+02:00",
        "2024-02-30",
        "0001-01-01T00:00:00+14:00",
        "2200-01-01",
        "ayer",
        "",
        "   ",
        "1717250580",
    ],
    "email": [
        "ana@example.com",
        " ANA@example.com ",
        "josé@ejemplo.es",
        "",
        " ",
        "sin-arroba",
        "a" * 300 + "@x.es",
    ],
    "event": [
        "sent",
        "delivered",
        "bounced",
        "spam_complaint",
        "not_sent",
        "unsubscribed",
        "resubscribed",
        "Delivered",
        " bounced ",
        "opened",
        "",
        "bounce",
    ],
    "bounce_type": ["", "hard", "soft", "undetermined", "Hard", " soft ", "medium"],
    "reason": [
        "",
        "invalid_address",
        "previous_spam",
        "unsubscribed",
        "previous_bounce",
        "Unsubscribed",
        "otra",
    ],
    "provider_reason": ["", "Bounced Address", "  con espacios  ", 'coma, y "comillas"'],
    "smtp_diagnostic": ["", "550 5.1.1 user unknown", "452 4.2.2 mailbox full\nsegunda línea"],
    "origin": ["", "campaign", "automation", "Campaign", "newsletter", " automation "],
    "campaign_id": ["", "C-1", "42", " F-7 ", "x" * 150],
    "campaign_name": ["", "Rebajas", "Nombre muy largo " * 30],
    "event_id": ["", "ev-1", "ev-2", " ev-1 ", "ev-3"],
    "message_id": ["", "<m1@example.com>", "m" * 300],
}


@st.composite
def csv_files(draw):
    optional = [name for name in csv_format.COLUMNS if name not in csv_format.REQUIRED]
    header = list(csv_format.REQUIRED) + draw(st.lists(st.sampled_from(optional), unique=True))
    header = draw(st.permutations(header))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    for _ in range(draw(st.integers(0, 25))):
        row = [draw(st.sampled_from(VALUES[name])) for name in header]
        shape = draw(st.integers(0, 20))
        if shape == 0:
            row = row[:-1]  # a field short
        elif shape == 1:
            row = row + ["sobra"]
        elif shape == 2:
            row = ["" for _ in row]  # an empty row (skipped)
        writer.writerow(row)
    return buffer.getvalue()


@settings(max_examples=200, deadline=None)
@given(csv_files())
def test_any_file_reads_the_same_by_columns_as_by_rows(text):
    same(text)


# --- stored the same --------------------------------------------------------------------------


def _contents(engine) -> dict:
    with engine.connect() as conn:
        return contents(conn)


def _import(engine, text: str, by_columns: bool, **options):
    with engine.begin() as conn:
        return import_parsed(
            conn, "csv", csv_format, text, columnar=by_columns, source="f.csv", **options
        )


STORE_FILE = (
    "occurred_at,email,event,bounce_type,reason,origin,campaign_id,campaign_name,event_id\n"
    "2024-06-01T14:03:00Z,ana@example.com,delivered,,,campaign,C-1,,ev-1\n"
    "2024-06-01T14:04:00Z,ana@example.com,delivered,,,campaign,C-1,Rebajas,ev-1\n"  # copy
    "2024-06-01T14:05:00Z,Ana@Example.com,bounced,hard,,campaign,C-1,Rebajas,\n"
    "2024-06-01T14:05:00Z,Ana@Example.com,bounced,hard,,campaign,C-1,Rebajas,\n"  # copy (hash)
    "2024-05-01T10:00:00Z,luis@example.com,not_sent,,previous_spam,automation,,,ev-2\n"
    "2024-06-02T10:00:00Z,luis@example.com,spam_complaint,,,,F-9,,ev-3\n"  # no origin
    "2024-06-02T10:00:00Z,sin-arroba,delivered,,,campaign,C-2,,ev-4\n"
    "2024-06-02T10:00:00Z,eva@example.com,unsubscribed,,,campaign,,,ev-5\n"
    "ayer,eva@example.com,delivered,,,campaign,C-2,,ev-6\n"
)


@pytest.mark.parametrize(
    "options", [{}, {"default_origin": "automation"}, {"unknown_recipients": "quarantine"}]
)
def test_stored_the_same_by_columns_as_by_rows(two_engines, options):
    by_columns_engine, by_rows_engine = two_engines
    for engine in two_engines:  # a contact that exists before the import
        with engine.begin() as conn:
            conn.execute(
                schema.contacts.insert(),
                {
                    "email": "luis@example.com",
                    "name": "Luis",
                    "email_key": "luis@example.com",
                    "name_key": "luis",
                    "email_domain": "example.com",
                    "created_at": T0,
                },
            )
    reports = [
        _import(engine, STORE_FILE, by_columns, **options)
        for engine, by_columns in ((by_columns_engine, True), (by_rows_engine, False))
    ]
    numbers = [(r.received, r.stored, r.duplicates, r.ignored, r.quarantined) for r in reports]
    assert numbers[0] == numbers[1] and reports[0].balanced
    assert _contents(by_columns_engine) == _contents(by_rows_engine)
    again = [
        _import(engine, STORE_FILE, by_columns, **options)
        for engine, by_columns in ((by_columns_engine, True), (by_rows_engine, False))
    ]
    assert again[0].stored == again[1].stored == 0
    assert _contents(by_columns_engine) == _contents(by_rows_engine)
    rollups = assert_rollups_as_rebuilt(by_columns_engine)
    quarantined = options.get("unknown_recipients") == "quarantine"  # only Luis, not_sent
    assert rollups["daily_rollup"] and bool(rollups["domain_monthly_rollup"]) != quarantined
