"""The generic CSV format: delivery events from any provider or tool Rastro has no parser for.

- UTF-8 (a byte-order mark at the start is allowed), comma-separated; a value that contains
  commas, double quotes or line breaks is written between double quotes, with its double
  quotes doubled (RFC 4180, what spreadsheets write).
- A header row with the column names is required; the order of the columns is free. Every
  column must be one of the names below, written exactly so: a file with an unknown column
  (a misspelt name, say) or without a required column is refused whole, with the names.
- One row per event. Spaces around a value are ignored; an empty value means "none"; empty
  rows are skipped.

Columns:

- `occurred_at` (required): when it happened, ISO 8601 (`2024-05-01T14:03:00Z`,
  `2024-05-01T09:03:00-05:00`, `2024-05-01 14:03:00`); without an offset the time is UTC.
- `email` (required): the recipient's address.
- `event` (required): `sent`, `delivered`, `bounced`, `spam_complaint`, `not_sent`,
  `unsubscribed` or `resubscribed`.
- `bounce_type` (required with `bounced`, refused with any other event): `hard`, `soft` or
  `undetermined`.
- `reason` (required with `not_sent`, refused with any other event): why it was not sent,
  `invalid_address`, `previous_spam`, `unsubscribed` or `previous_bounce`.
- `provider_reason`: the provider's own reason or classification, as text.
- `smtp_diagnostic`: the SMTP reply, e.g. `550 5.1.1 user unknown`.
- `origin`: `campaign` or `automation` (in any case: `Campaign` is `campaign`); empty:
  `--origin` applies, else the row goes to the quarantine.
- `campaign_id`: the CRM's campaign or automation-flow id; `campaign_name`: its name, used when
  Rastro does not know the campaign yet.
- `event_id`: the event's unique id at the source, so that importing it again counts as a
  duplicate; empty: Rastro uses a hash of the row.
- `message_id`: the email's Message-ID.

A row that breaks these rules (unknown event, bad or impossible date, no email, `bounced`
without `bounce_type`, `not_sent` without a valid `reason`, unknown `origin`, wrong number of
fields...) goes to the quarantine with the reason, and the rest of the file is imported. A
row's position is the line where it starts (the header is line 1).

Example:

    occurred_at,email,event,bounce_type,reason,smtp_diagnostic,origin,campaign_id
    2024-05-01T14:03:00Z,ana@example.com,bounced,hard,,"550 5.1.1 user unknown",campaign,C-42
    2024-05-01T14:05:00Z,luis@example.com,not_sent,,previous_bounce,,automation,flow-7

`write(events)` produces this format (all the columns, `occurred_at` in UTC).
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from .. import vocab
from .model import Columns, Event, FormatError, Outcome, Record, Rejected, event_frame
from .values import Unreadable, iso_moment, origin

REQUIRED = ("occurred_at", "email", "event")
COLUMNS = REQUIRED + (
    "bounce_type",
    "reason",
    "provider_reason",
    "smtp_diagnostic",
    "origin",
    "campaign_id",
    "campaign_name",
    "event_id",
    "message_id",
)


def parse(text: str) -> Iterator[Record]:
    """The rows of a generic CSV file, in file order."""
    header, rows = _header_and_rows(text)
    records = [_record(line, header, fields) for line, fields in rows]
    return iter(records)


def parse_columns(text: str) -> Columns:
    """The same outcomes as `parse`, read column by column (a big export): each rule of
    `_event` is applied once per distinct value of the columns it reads, a row that breaks
    one gets the same Rejected as in `parse` (the first broken rule, in `_event`'s order), and
    the others are mapped by `_event_fields`, as `parse` maps them."""
    header, rows = _header_and_rows(text)
    width = len(header)
    others = [_record(line, header, fields) for line, fields in rows if len(fields) != width]
    rows = [(line, fields) for line, fields in rows if len(fields) == width]
    where = {name: i for i, name in enumerate(header)}

    def column(name: str) -> list[str | None]:
        i = where.get(name)
        if i is None:
            return [None] * len(rows)
        return [fields[i].strip() or None for _line, fields in rows]

    value = {name: column(name) for name in COLUMNS}
    first = _per_value(_first_checks, value["event"], [e is None for e in value["email"]])
    moments = _per_value(_when, value["occurred_at"])
    last = _per_value(
        lambda *key: _last_checks(dict(zip(_LAST_CHECKED, key))),
        *(value[name] for name in _LAST_CHECKED),
    )
    events, texts = [], {}
    for n, (line, fields) in enumerate(rows):
        problem = next((p[n] for p in (first, moments, last) if isinstance(p[n], Unreadable)), None)
        if problem is not None:
            row = json.dumps(dict(zip(header, fields)), ensure_ascii=False)
            others.append(Record(line, row, (Rejected(str(problem)),)))
            continue
        texts[line] = fields
        events.append(
            (line, 1, *_event_fields({name: value[name][n] for name in COLUMNS}, moments[n]))
        )
    others.sort(key=lambda record: record.position)
    return Columns(
        events=event_frame(events),
        raw=lambda line: json.dumps(dict(zip(header, texts[line])), ensure_ascii=False),
        records=others,
    )


_LAST_CHECKED = ("event", "bounce_type", "reason", "origin")


def _per_value(function, *columns: list) -> list:
    """function(*values) for each row's values, computed once per distinct combination; an
    Unreadable it raises is the row's result."""
    results = {}
    out = []
    for key in zip(*columns):
        if key not in results:
            try:
                results[key] = function(*key)
            except Unreadable as problem:
                results[key] = problem
        out.append(results[key])
    return out


def _header_and_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The checked header and the other non-empty rows; FormatError for a file that is not
    in this format."""
    rows = read_rows(text)
    if not rows:
        raise FormatError("El archivo está vacío: falta la fila de cabecera.", key="csv_empty")
    _line, header = rows[0]
    header = [name.strip() for name in header]
    _check_header(header)
    return header, rows[1:]


def write(events: Iterable[Event]) -> str:
    """The events as a CSV file in this format, with every column."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for event in events:
        writer.writerow(_fields(event))
    return buffer.getvalue()


def read_rows(text: str) -> list[tuple[int, list[str]]]:
    """(line where the row starts, fields) of every non-empty row."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows = []
    line = 1
    try:
        for fields in reader:
            if any(map(str.strip, fields)):
                rows.append((line, fields))
            line = reader.line_num + 1
    except csv.Error as error:
        raise FormatError(
            f"CSV ilegible desde la línea {line}: {error}",
            key="csv_unreadable",
            line=line,
            detail=str(error),
        ) from error
    return rows


def _check_header(header: list[str]) -> None:
    """Refuse the file when its columns are not exactly some of COLUMNS."""
    if "" in header:
        column = header.index("") + 1
        raise FormatError(
            f"Columna sin nombre en la cabecera (columna {column}).",
            key="csv_unnamed_column",
            column=column,
        )
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        columns, valid = ", ".join(unknown), ", ".join(COLUMNS)
        raise FormatError(
            f"Columnas desconocidas: {columns}. Las válidas son: {valid}.",
            key="csv_unknown_columns",
            columns=columns,
            valid=valid,
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        columns = ", ".join(repeated)
        raise FormatError(
            f"Columnas repetidas: {columns}.", key="csv_repeated_columns", columns=columns
        )
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        columns = ", ".join(missing)
        raise FormatError(
            f"Faltan columnas obligatorias: {columns}.", key="csv_missing_columns", columns=columns
        )


def _record(line: int, header: list[str], fields: list[str]) -> Record:
    if len(fields) != len(header):
        raw = json.dumps(fields, ensure_ascii=False)
        reason = f"la fila tiene {len(fields)} campos y la cabecera {len(header)}"
        return Record(line, raw, (Rejected(reason),))
    row = dict(zip(header, fields))
    try:
        outcome: Outcome = _event(row)
    except Unreadable as error:
        outcome = Rejected(str(error))
    return Record(line, json.dumps(row, ensure_ascii=False), (outcome,))


def _event(row: dict[str, str]) -> Event:
    """The Event of one row, or Unreadable with what is wrong in it."""
    value = {name: (row.get(name) or "").strip() or None for name in COLUMNS}
    _first_checks(value["event"], value["email"] is None)
    occurred_at = _when(value["occurred_at"])
    _last_checks(value)
    return Event(*_event_fields(value, occurred_at))


def _event_fields(value: dict[str, str | None], occurred_at: datetime) -> tuple:
    """Event's fields, in model.EVENT_FIELDS order, from the values of a row that passed the
    checks (the column of each field)."""
    return (
        value["email"],
        value["event"],
        occurred_at,
        value["event_id"],
        value["message_id"],
        value["bounce_type"],
        value["reason"],
        value["provider_reason"],
        value["smtp_diagnostic"],
        origin(value["origin"]),
        value["campaign_id"],
        value["campaign_name"],
    )


def _first_checks(event: str | None, no_email: bool) -> None:
    """The rules checked before the date: an event that Rastro knows, and a recipient."""
    if event is None:
        raise Unreadable("falta el evento")
    if event not in vocab.EVENTS:
        raise Unreadable(f"evento desconocido: {event} (válidos: {', '.join(vocab.EVENTS)})")
    if no_email:
        raise Unreadable("falta el destinatario")


def _last_checks(value: dict) -> None:
    """The rules checked after the date: bounce type, reason and origin."""
    _check_only_with(value, "bounce_type", vocab.BOUNCED, vocab.BOUNCE_TYPES)
    _check_only_with(value, "reason", vocab.NOT_SENT, vocab.REASONS)
    if value["origin"] is not None and origin(value["origin"]) is None:
        raise Unreadable(f"origin desconocido: {value['origin']} (campaign o automation)")


def _check_only_with(value: dict, column: str, event: str, allowed: tuple[str, ...]) -> None:
    """`column` is required with `event`, must be one of `allowed`, and is refused otherwise."""
    given = value[column]
    choices = ", ".join(allowed)
    if value["event"] != event:
        if given is not None:
            raise Unreadable(f"{column} solo vale con event={event}")
    elif given is None:
        raise Unreadable(f"{event} sin {column} ({choices})")
    elif given not in allowed:
        raise Unreadable(f"{column} desconocido: {given} ({choices})")


def _when(text: str | None) -> datetime:
    """A UTC datetime from ISO 8601 text; without an offset the time is UTC."""
    if text is None:
        raise Unreadable("falta la fecha")
    return iso_moment(text, naive_is_utc=True, hint=" (ISO 8601, p. ej. 2024-05-01T14:03:00Z)")


def _fields(event: Event) -> list[str]:
    """One row, in COLUMNS order."""
    values = {
        "occurred_at": _format_time(event.occurred_at),
        "email": event.email,
        "event": event.event,
        "bounce_type": event.bounce_type,
        "reason": event.reason,
        "provider_reason": event.provider_reason,
        "smtp_diagnostic": event.smtp_diagnostic,
        "origin": event.origin,
        "campaign_id": event.campaign_external_id,
        "campaign_name": event.campaign_name,
        "event_id": event.provider_event_id,
        "message_id": event.message_id,
    }
    return ["" if values[name] is None else values[name] for name in COLUMNS]


def _format_time(moment: datetime) -> str:
    # A naive time is written without an offset, which this format reads as UTC.
    if moment.tzinfo is None:
        return moment.isoformat()
    return moment.astimezone(UTC).isoformat()
