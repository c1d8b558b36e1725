"""The SendGrid columnar reader (`sendgrid.parse_columns`) against the per-record parser.

What this guards: `parse_columns(text)` is only a faster way to read a webhook batch. For any
input it must give exactly what `parse(text)` gives:

- the same Events at the same positions (field by field, occurred_at as the same instant),
  the same Rejected reasons at the same positions, the Ignored records at the same positions,
  and `Columns.raw(p)` equal to the record's raw text;
- None (so that `parse` reads and judges the file) whenever `parse` refuses the file;
- and, through the store, the same ImportReport and the same rows in every table the import
  writes (events, contacts, campaigns, statuses, rollups, quarantine), on SQLite and
  PostgreSQL, with and without `default_origin`, creating or quarantining unknown recipients;
- importing a batch again stores nothing twice, and in-file copies count as duplicates, with
  the same numbers as the per-record path.

The checks are run on SendGrid's own examples (tests/ingest/fixtures/sendgrid) and on batches
generated with Hypothesis that mix every event name, good and bad values of every field the
parser reads, values of the wrong type, non-object elements and duplicate keys.
"""

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, note, settings
from hypothesis import event as _hypothesis_event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from data_access import schema
from data_access.ingest import import_bytes, sendgrid
from data_access.ingest.model import (
    EVENT_FIELDS,
    EVENT_FRAME_SCHEMA,
    Columns,
    Event,
    FormatError,
    Ignored,
    Record,
    Rejected,
    event_frame,
    raw_text,
)
from data_access.text import email_domain, fold
from tests.ingest.conftest import (
    assert_rollups_as_rebuilt,
    contents,
    fixture_paths,
    fixture_text,
    import_parsed,
)

# --- the two readings in one shape -----------------------------------------------------------


def event(label: str) -> None:
    """Count `label` in Hypothesis' statistics (when run by Hypothesis)."""
    if currently_in_test_context():
        _hypothesis_event(label)


def comparable(outcome) -> tuple:
    """An outcome as a tuple that compares by value (aware datetimes compare as instants)."""
    if isinstance(outcome, Event):
        return ("Event", *(getattr(outcome, name) for name in EVENT_FIELDS))
    if isinstance(outcome, Rejected):
        return ("Rejected", outcome.reason)
    if isinstance(outcome, Ignored):
        return ("Ignored",)
    return ("?", repr(outcome))


def frame_events(columns: Columns) -> list[tuple[int, int, Event]]:
    """The rows of `Columns.events` as (position, item, Event)."""
    found = []
    for row in columns.events.iter_rows(named=True):
        when = row["occurred_at"]
        assert when.tzinfo is not None and when.utcoffset() == timedelta(0), row
        found.append(
            (row["position"], row["item"], Event(**{name: row[name] for name in EVENT_FIELDS}))
        )
    return found


def columnar_outcomes(columns: Columns) -> tuple[list[tuple], int]:
    """parse_columns' output in the shape of parse's: a sorted list of (position, item,
    comparable outcome) for everything but the ignored records, and how many were ignored."""
    rows = [
        (position, item, comparable(outcome)) for position, item, outcome in frame_events(columns)
    ]
    for record in columns.records:
        rows.extend(
            (record.position, item, comparable(outcome))
            for item, outcome in enumerate(record.outcomes, start=1)
        )
    return sorted(rows, key=lambda row: row[:2]), columns.ignored


def per_record_outcomes(records: list[Record]) -> tuple[list[tuple], set[int]]:
    """parse's output: (position, item, comparable) for all but Ignored, and the positions of
    the Ignored outcomes."""
    rows, ignored = [], set()
    for record in records:
        for item, outcome in enumerate(record.outcomes, start=1):
            if isinstance(outcome, Ignored):
                ignored.add(record.position)
            else:
                rows.append((record.position, item, comparable(outcome)))
    return sorted(rows, key=lambda row: row[:2]), ignored


def assert_same_outcomes(records: list[Record], columns: Columns) -> None:
    """parse_columns' Columns says exactly what parse's records say."""
    assert dict(columns.events.schema) == EVENT_FRAME_SCHEMA  # names and types (any order)
    assert columns.events["item"].to_list() == [1] * columns.events.height
    expected, ignored_at = per_record_outcomes(records)
    got, ignored = columnar_outcomes(columns)
    assert got == expected
    assert ignored == len(ignored_at)
    # The ignored ones are exactly the positions the columns do not mention.
    covered = {row[0] for row in got}
    every = {record.position for record in records}
    assert every - covered == ignored_at
    assert columns.received == sum(len(record.outcomes) for record in records)
    # The quarantine's text: the same for every record, read either way.
    by_position = {record.position: record for record in records}
    for record in columns.records:
        assert raw_text(record) == raw_text(by_position[record.position])
    for position, record in by_position.items():
        assert columns.raw(position) == raw_text(record), position


def check_equivalent(text: str) -> Columns | None:
    """parse_columns(text) ≡ parse(text); returns the Columns (None when parse_columns gives
    None, which is always allowed: parse then reads the file)."""
    try:
        records = list(sendgrid.parse(text))
    except FormatError as refusal:
        columns = sendgrid.parse_columns(text)
        event("parse refuses the file")
        assert columns is None, f"parse refused the file ({refusal}) but parse_columns read it"
        return None
    except Exception as crash:
        event(f"parse raises {type(crash).__name__}")
        try:
            columns = sendgrid.parse_columns(text)
        except type(crash):
            return None
        assert columns is None, f"parse raised {crash!r} but parse_columns read the file"
        return None
    columns = sendgrid.parse_columns(text)
    if columns is None:
        event("parse_columns: None")
        return None
    event("parse_columns: Columns")
    event(
        f"columns: {(columns.events.height > 0 and 'frame rows') or 'no frame rows'}, "
        f"{(columns.records and 'per-record rows') or 'no per-record rows'}"
    )
    assert_same_outcomes(records, columns)
    return columns


# --- SendGrid's own examples -----------------------------------------------------------------


def docs_payloads() -> list[list[dict]]:
    lines = fixture_text("sendgrid", "event-webhook-examples.jsonl").splitlines()
    return [json.loads(line)["payload"] for line in lines]


def fixture_texts() -> dict[str, str]:
    """Every SendGrid fixture file, each documented example as a batch, and all of them as
    one batch."""
    texts = {
        path.name: path.read_text(encoding="utf-8") for path in fixture_paths("sendgrid", "*.json*")
    }
    payloads = docs_payloads()
    for number, payload in enumerate(payloads, start=1):
        texts[f"documented example {number}"] = json.dumps(payload)
    texts["documented examples as one batch"] = json.dumps(
        [one for payload in payloads for one in payload], indent=2
    )
    return texts


FIXTURE_TEXTS = fixture_texts()
BATCH = FIXTURE_TEXTS["event-webhook-batch-all-types.json"]


@pytest.mark.parametrize("name", list(FIXTURE_TEXTS))
def test_fixtures_read_column_by_column_as_record_by_record(name):
    text = FIXTURE_TEXTS[name]
    columns = check_equivalent(text)
    if text.lstrip().startswith("["):
        assert columns is not None  # a webhook batch: the fast path is really taken
        assert columns.events.height > 0 or columns.ignored > 0


def test_the_event_frame_has_the_documented_schema_in_order():
    """Columns.events is EVENT_FRAME_SCHEMA: the store concatenates it with
    model.event_frame(...) frames, which needs the same columns in the same order."""
    columns = sendgrid.parse_columns(BATCH)
    assert columns.events.columns == list(EVENT_FRAME_SCHEMA)
    assert columns.events.schema == pl.Schema(EVENT_FRAME_SCHEMA)
    pl.concat([columns.events, event_frame([])])  # as store.import_records does


# --- generated batches -----------------------------------------------------------------------

MISSING = object()  # the key is left out of the object

KNOWN_NAMES = [
    "processed",
    "delivered",
    "bounce",
    "dropped",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
    "group_resubscribe",
    "deferred",
    "open",
    "click",
]
ODD_NAMES = [
    "bounced",
    "blocked",
    "Processed",
    "DELIVERED",
    " delivered",
    "dropped ",
    "group unsubscribe",
    "spam report",
    "unknown_event",
    "",
    "   ",
]
EMAILS = [
    "ana@example.com",
    "Ana@Example.COM",
    " ana@example.com ",
    "luis@example.org",
    "josé@ejemplo.es",
    "ÑANDÚ@Dominio.com",
    "用户@例子.广告",
    "sin-arroba",
    "",
    "   ",
    "\t\n",
    "\u2003",
]
GOOD_SECONDS = [1513299569, 1513299569 + 86_400 * 40, 1700000000, 1, 4133980799]
BAD_SECONDS = [0, -1, -1513299569, 4133980800, 4133980801, 2**64 + 5, -(2**64) - 5, 10**30]
IDS = ["ev-1", "ev-2", "ev-3", "", "   ", "id con espacios"]
REASONS = [
    "Bounced Address",
    " bounced   address ",
    "BOUNCED ADDRESS",
    "Unsubscribed Address",
    "Spam Reporting Address",
    "Invalid",
    "Invalid email address",
    "invalid EMAIL",
    "Invalid SMTPAPI header",
    "Spam Content",
    "500 unknown recipient",
    "550 5.1.1 user unknown",
    "",
    "  ",
]
RESPONSES = [
    "250 OK",
    "550 5.1.1 The email account that you tried to reach does not exist",
    "",
    "  ",
]
TYPES = ["bounce", "blocked", "Bounce", " BLOCKED ", "expired", "", " "]
STATUSES = ["5.1.1", "4.0.0", "0", "", " "]
ORIGINS = ["campaign", "automation", "Campaign", " AUTOMATION ", "newsletter", "", " "]
CAMPAIGN_IDS = ["cmp-1", "cmp-2", "", "  "]
NAMES = ["Verano", "Otoño 2026", "", " "]
EXTRAS = {
    "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
    "category": ["cat facts"],
    "pool": {"name": "new_MY_test", "id": 210},
    "attempt": "5",
    "ip": "255.255.255.255",
}


def text_value(words: list[str], *, free_text: bool):
    """One of `words`, or (for the parser tests) any short text."""
    choices = [st.sampled_from(words)]
    if free_text:
        choices.append(st.text(max_size=12))
    return st.one_of(*choices)


def big_int():
    return st.sampled_from([2**64 + 1, 2**70, -(2**64) - 1, 10**30])


def field_strategies(*, free_text: bool) -> dict[str, tuple]:
    """Per field: (values of the types a webhook batch gives, values of other types)."""
    ident = st.one_of(text_value(IDS, free_text=free_text), st.integers(-5, 10**6), big_int())
    odd_scalar = st.one_of(
        st.booleans(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.lists(st.integers(0, 3), max_size=2),
    )
    seconds = st.one_of(
        st.sampled_from(GOOD_SECONDS),
        st.integers(1, 4133980799),
        st.sampled_from(GOOD_SECONDS + BAD_SECONDS),
    )
    odd_seconds = st.one_of(
        st.sampled_from(
            [
                1513299569.0,
                1513299569.25,
                1.5e9,
                float("nan"),
                float("inf"),
                "1513299569",
                " 1513299569 ",
                "1513299569.5",
                "-5",
                "2017-12-15T00:59:29+00:00",
                "2017-12-15T00:59:29Z",
                "2017-12-15T01:59:29+01:00",
                "2017-12-15T00:59:29",
                "0001-01-01T00:00:00+01:00",
                "ayer",
                "",
                True,
                False,
                [],
                {},
            ]
        ),
        st.floats(-1e10, 5e9),
    )
    return {
        "event": (
            st.one_of(
                st.sampled_from(KNOWN_NAMES),
                st.sampled_from(KNOWN_NAMES[:8]),
                st.sampled_from(ODD_NAMES),
            ),
            st.one_of(st.integers(0, 3), st.booleans(), st.just(["processed"])),
        ),
        "email": (
            st.one_of(st.sampled_from(EMAILS[:7]), text_value(EMAILS, free_text=free_text)),
            st.one_of(st.integers(0, 3), st.booleans(), st.just(["ana@example.com"])),
        ),
        "timestamp": (seconds, odd_seconds),
        "sg_event_id": (ident, odd_scalar),
        "sg_message_id": (ident, odd_scalar),
        "reason": (text_value(REASONS, free_text=free_text), st.one_of(st.integers(), odd_scalar)),
        "response": (
            text_value(RESPONSES, free_text=free_text),
            st.one_of(st.integers(), odd_scalar),
        ),
        "type": (st.sampled_from(TYPES), st.one_of(st.integers(0, 3), odd_scalar)),
        "status": (st.sampled_from(STATUSES), st.one_of(st.sampled_from([550, 0]), odd_scalar)),
        "origin": (st.sampled_from(ORIGINS), st.one_of(st.integers(0, 3), odd_scalar)),
        "campaign_id": (
            st.one_of(st.sampled_from(CAMPAIGN_IDS), st.integers(0, 3), big_int()),
            odd_scalar,
        ),
        "campaign_name": (st.sampled_from(NAMES), st.one_of(st.integers(0, 3), odd_scalar)),
        "marketing_campaign_id": (
            st.one_of(st.sampled_from(CAMPAIGN_IDS), st.integers(0, 3)),
            odd_scalar,
        ),
        "marketing_campaign_name": (
            st.sampled_from(NAMES),
            st.one_of(st.integers(0, 3), odd_scalar),
        ),
    }


# How often (in 20) a field is there at all: the core fields nearly always.
PRESENCE = {"event": 19, "email": 18, "timestamp": 18, "sg_event_id": 15, "sg_message_id": 12}


@st.composite
def event_pairs(draw, *, loose: bool, free_text: bool) -> list[tuple[str, object]]:
    """One SendGrid-like event object as (key, value) pairs, possibly with a key twice.

    loose: any field may get a value of a type a webhook batch never gives (null included
    always: it is a legal value of every field)."""
    fields = field_strategies(free_text=free_text)
    pairs = []
    for key, (typed, odd) in fields.items():
        if draw(st.integers(0, 19)) >= PRESENCE.get(key, 8):
            continue
        kind = draw(st.integers(0, 19))
        if kind == 0:
            value = None
        elif loose and kind == 1:
            value = draw(odd)
        else:
            value = draw(typed)
        pairs.append((key, value))
    for key in draw(st.lists(st.sampled_from(sorted(EXTRAS)), max_size=2, unique=True)):
        pairs.append((key, EXTRAS[key]))
    pairs = draw(st.permutations(pairs))
    if draw(st.integers(0, 9)) == 0:  # a key written twice (the JSON decoders keep the last)
        key = draw(st.sampled_from(sorted(fields)))
        typed, odd = fields[key]
        value = draw(st.one_of(st.none(), typed, odd) if loose else st.one_of(st.none(), typed))
        pairs.insert(draw(st.integers(0, len(pairs))), (key, value))
    return pairs


def object_text(pairs: list[tuple[str, object]], ensure_ascii: bool) -> str:
    return (
        "{"
        + ", ".join(
            f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=ensure_ascii)}"
            for key, value in pairs
        )
        + "}"
    )


NOT_OBJECTS = [
    1,
    -2.5,
    "processed",
    None,
    True,
    [],
    ["a"],
    [{"event": "processed", "email": "ana@example.com", "timestamp": 1513299569}],
]


@st.composite
def batch_texts(draw, *, loose: bool, free_text: bool = True, max_size: int = 12) -> str:
    """A webhook batch's text: a JSON array of event objects (loose: and other values)."""
    elements = st.builds(object_text, event_pairs(loose=loose, free_text=free_text), st.booleans())
    if loose:
        elements = st.one_of(
            elements,
            elements,
            elements,
            elements,
            st.sampled_from(NOT_OBJECTS).map(lambda value: json.dumps(value)),
        )
    items = draw(st.lists(elements, min_size=0 if loose else 1, max_size=max_size))
    separator = draw(st.sampled_from([",", ", ", ",\n  "]))
    lead = draw(st.sampled_from(["", " ", "\n", "\t\r\n"]))
    text = lead + "[" + separator.join(items) + "]" + draw(st.sampled_from(["", "\n", "  "]))
    note(text)
    return text


@settings(max_examples=150, deadline=None)
@given(batch_texts(loose=False))
def test_generated_batches_read_the_same_both_ways(text):
    check_equivalent(text)


@settings(max_examples=150, deadline=None)
@given(batch_texts(loose=True))
def test_any_batch_reads_the_same_both_ways_or_is_left_to_parse(text):
    check_equivalent(text)


PLAIN = '"event": "processed", "email": "a@example.com", "timestamp": 1513299569'
EDGE_BATCHES = {
    # Not a batch, or nothing SendGrid's in it: left to parse (which reads or refuses it).
    "one object": "{" + PLAIN + "}",
    "JSON lines": "{" + PLAIN + "}\n{" + PLAIN + "}",
    "empty array": "[]",
    "empty array with spaces": "  [ ]  ",
    "numbers": "[1, 2]",
    "event only": '[{"event": "processed"}]',
    "email only": '[{"email": "a@example.com"}]',
    "event and message id only": '[{"event": "processed", "sg_message_id": "m"}]',
    "null event": '[{"event": null, "email": "a@example.com", "timestamp": 1513299569}]',
    # Duplicate keys: the last one counts, for both readers.
    "event written twice": "[{" + PLAIN + ', "event": "open"}]',
    "email written twice": "[{" + PLAIN + ', "email": "  "}]',
    "timestamp written twice": "[{" + PLAIN + ', "timestamp": 0}, {' + PLAIN + "}]",
    # Escaped keys and values.
    "escaped key": '[{"\\u0065vent": "processed", "email": "a\\u00e9@example.com", '
    '"timestamp": 1513299569}]',
    # Integers beyond 64 bits as timestamp and as ids.
    "timestamp beyond 64 bits": '[{"event": "processed", "email": "a@example.com", '
    '"timestamp": 18446744073709551621}]',
    "ids beyond 64 bits": "[{" + PLAIN + ', "sg_event_id": 1180591620717411303424, '
    '"campaign_id": 18446744073709551617, "origin": "campaign"}]',
    # Nested deeper than the json module goes (both readers fail alike).
    "deep nesting": "[{" + PLAIN + ', "x": ' + "[" * 1200 + "]" * 1200 + "}]",
    # Integers longer than Python converts (4300 digits): json.loads raises ValueError.
    "5000-digit id": "[{" + PLAIN + ', "sg_event_id": ' + "7" * 5000 + "}]",
    "5000-digit number in an unread field": "[{" + PLAIN + ', "pool": {"id": ' + "7" * 5000 + "}}]",
    # A lone surrogate in the text itself (only a str can hold one; decoded bytes never do).
    "lone surrogate in the text": "[{" + PLAIN + ', "category": "\udcff"}]',
}


@pytest.mark.parametrize("name", list(EDGE_BATCHES))
def test_edge_batches(name):
    check_equivalent(EDGE_BATCHES[name])


# --- the same rows in the database either way ------------------------------------------------

PRE_CREATED_AT = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)


def store_batches():
    """Batches for the store: a few addresses, ids and campaigns, so that contacts, campaigns,
    ids and rollup days repeat (no free text: PostgreSQL refuses NUL characters)."""
    return batch_texts(loose=False, free_text=False, max_size=15)


def create_contacts(conn, emails) -> None:
    """Contacts that exist before the import (as the store itself creates them)."""
    if emails:
        conn.execute(
            schema.contacts.insert(),
            [
                {
                    "email": e,
                    "name": "",
                    "email_key": fold(e),
                    "name_key": "",
                    "email_domain": email_domain(e),
                    "created_at": PRE_CREATED_AT,
                }
                for e in emails
            ],
        )


def numbers(report) -> dict:
    return {
        name: getattr(report, name)
        for name in ("received", "stored", "duplicates", "ignored", "quarantined")
    }


def import_and_read(engine, text, *, columnar: bool, existing: list[str], **options):
    """Import `text` in a transaction that is rolled back afterwards (the database is as fresh
    for the next example): (report numbers, contents)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            for table in (schema.email_events, schema.contacts, schema.quarantine):
                assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
            create_contacts(conn, existing)
            report = import_parsed(
                conn, "sendgrid", sendgrid, text, columnar=columnar, source="lote.json", **options
            )
            assert report.balanced
            return numbers(report), contents(conn)
        finally:
            transaction.rollback()


def stored_nothing(engine) -> bool:
    with engine.connect() as conn:
        return all(
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
            for table in (schema.email_events, schema.contacts, schema.quarantine)
        )


STORE_OPTIONS = {
    "no default origin": {},
    "default origin automation": {"default_origin": "automation"},
    "default origin and campaign": {
        "default_origin": "campaign",
        "default_campaign": "cmp-defecto",
    },
    "quarantine unknown recipients": {"unknown_recipients": "quarantine"},
    "quarantine unknown, default origin": {
        "unknown_recipients": "quarantine",
        "default_origin": "campaign",
    },
}


@pytest.mark.parametrize("options", list(STORE_OPTIONS))
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=store_batches(),
    existing=st.lists(
        st.sampled_from(
            ["ana@example.com", "luis@example.org", "josé@ejemplo.es", "otro@example.net"]
        ),
        unique=True,
        max_size=4,
    ),
)
def test_the_store_keeps_the_same_either_way(two_engines, options, text, existing):
    first, second = two_engines
    kwargs = STORE_OPTIONS[options]
    try:
        list(sendgrid.parse(text))
    except FormatError as refusal:
        event("parse refuses the file")
        # Refused by parse: parse_columns leaves the file to it, and importing it refuses it
        # with parse's message and stores nothing.
        assert sendgrid.parse_columns(text) is None
        with pytest.raises(FormatError) as imported:
            import_bytes(first, "sendgrid", text.encode(), source="lote.json", **kwargs)
        assert str(imported.value) == str(refusal)
        assert stored_nothing(first)
        return
    if kwargs.get("unknown_recipients") != "quarantine":
        existing = []
    by_records = import_and_read(second, text, columnar=False, existing=existing, **kwargs)
    event(f"stored {'some' if by_records[0]['stored'] else 'no'} events")
    if sendgrid.parse_columns(text) is None:
        # Only parse reads the file (import_bytes does the same): every outcome is accounted.
        event("parse_columns: None")
        received = sum(len(record.outcomes) for record in sendgrid.parse(text))
        assert by_records[0]["received"] == received
        return
    event("both readers")
    by_columns = import_and_read(first, text, columnar=True, existing=existing, **kwargs)
    assert by_columns[0] == by_records[0]  # the report's numbers
    for table, rows in by_records[1].items():
        assert by_columns[1][table] == rows, table


def test_the_store_keeps_the_same_on_the_fixture_batch(two_engines):
    first, second = two_engines
    for options in STORE_OPTIONS.values():
        by_columns = import_and_read(first, BATCH, columnar=True, existing=[], **options)
        by_records = import_and_read(second, BATCH, columnar=False, existing=[], **options)
        assert by_columns == by_records


# --- importing twice, and copies within one file ---------------------------------------------


def sendgrid_event(**fields) -> dict:
    base = {
        "email": "ana@example.com",
        "timestamp": 1513299569,
        "event": "delivered",
        "origin": "campaign",
        "campaign_id": "cmp-1",
    }
    return {**base, **fields}


COPIES = json.dumps(
    [
        sendgrid_event(sg_event_id="a"),
        sendgrid_event(
            sg_event_id="b",
            event="bounce",
            type="blocked",
            status="4.0.0",
            reason="451 try later",
            email="luis@example.org",
        ),
        sendgrid_event(sg_event_id="a", timestamp=1513299600),  # a later copy of "a"
        sendgrid_event(event="processed"),  # no id: the same event twice hashes the same
        sendgrid_event(event="processed"),
        sendgrid_event(sg_event_id="", event="processed"),  # a blank id is no id: a third copy
        sendgrid_event(sg_event_id="c", event="dropped", reason="Bounced Address"),
        sendgrid_event(sg_event_id="c", event="dropped", reason="Bounced Address"),
        sendgrid_event(sg_event_id="d", event="open"),
        sendgrid_event(sg_event_id="e", event="dropped", reason="Spam Content"),  # rejected
        sendgrid_event(sg_event_id="f", origin=None, campaign_id=None),  # no origin: quarantined
    ]
)


def import_twice(engine, text: str, **options) -> tuple[dict, dict]:
    """The report numbers of two imports of `text` (each with how far the progress went)."""
    content = text.encode()
    reports = []
    for _ in range(2):
        steps = []
        report = import_bytes(
            engine, "sendgrid", content, source="lote.json", progress=steps.append, **options
        )
        reports.append({**numbers(report), "progress": sum(steps)})
    return reports[0], reports[1]


@pytest.mark.parametrize("name", ["fixture batch", "copies"])
@pytest.mark.parametrize("origin", [None, "automation"])
def test_importing_twice_and_copies_within_a_file(two_engines, monkeypatch, name, origin):
    text = {"fixture batch": BATCH, "copies": COPIES}[name]
    assert sendgrid.parse_columns(text) is not None  # import_bytes takes the columnar path
    by_columns_engine, by_records_engine = two_engines
    first, again = import_twice(by_columns_engine, text, default_origin=origin)
    assert again["stored"] == 0
    assert again["duplicates"] == first["stored"] + first["duplicates"]
    assert again["received"] == first["received"]
    assert again["quarantined"] == first["quarantined"]
    monkeypatch.setattr(sendgrid, "parse_columns", lambda text: None)  # the per-record path
    assert import_twice(by_records_engine, text, default_origin=origin) == (first, again)
    with by_columns_engine.connect() as a, by_records_engine.connect() as b:
        assert contents(a) == contents(b)
    rollups = assert_rollups_as_rebuilt(by_columns_engine)
    assert bool(rollups["daily_rollup"]) == bool(first["stored"])
    if name == "copies":
        expected_quarantine = 1 if origin else 2  # Spam Content; and no origin, without one
        assert first == {
            "received": 11,
            "stored": 5 if origin else 4,
            "duplicates": 4,
            "ignored": 1,
            "quarantined": expected_quarantine,
            "progress": 11,
        }
