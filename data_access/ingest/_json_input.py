"""What the JSON provider parsers (SendGrid, SES, Mailgun, Postmark) share: reading the file,
reading dates, and the small value helpers. The Spanish texts here end up as FormatError and
Rejected reasons, so they are part of each parser's behaviour.

The parsers were written as two pairs that differ in small, deliberate ways, kept here as two
variants rather than merged:

- SendGrid and SES (`parse_events`, `occurred_at`, `written_text`, `identifier`, `origin`,
  `campaign_fields`): a file that is not the provider's is refused before any record is read;
  JSON lines are stripped and kept as received; an ISO 8601 date needs its offset; text is
  kept as written; `origin` is read regardless of case and spaces.
- Mailgun and Postmark (`parse_bodies`, `occurred_at_utc`, `trimmed_text`, `custom_data`): a
  record that is not the provider's is rejected, not the file; a JSON line's text is rebuilt
  from its value; an ISO 8601 date without offset is UTC; text is trimmed and integers count
  as text; `origin` must be written exactly. The generic CSV reads its dates with
  `iso_date_utc` too.
"""

import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from data_access import vocab
from data_access.ingest.model import FormatError, Outcome, Record, Rejected


class Unreadable(ValueError):
    """A record that cannot be understood; the message (Spanish) is the quarantine reason."""


@dataclass(frozen=True)
class Broken:
    """A line that is not JSON, with the decoder's complaint."""

    detail: str

    @property
    def reason(self) -> str:
        """The record's rejection reason."""
        return f"JSON roto: {self.detail}"


# (position, raw text or what makes it, JSON value or Broken)
Item = tuple[int, str | Callable[[], str], object]


# --- the file's records ----------------------------------------------------------------------


def parse_events(
    text: str,
    *,
    recognise: Callable[[object], bool],
    outcomes: Callable[[object], tuple[Outcome, ...]],
    empty: str,
    foreign: str,
) -> Iterator[Record]:
    """The records of a SendGrid or SES file in order, each with `outcomes(value)` (a broken
    line is rejected). The file is refused (FormatError) when it is empty, when no line is
    JSON, when it holds no record (`empty`) or when `recognise` accepts none (`foreign`)."""
    items = json_items_or_refuse(text)
    if not items:
        raise FormatError(empty)
    if not any(recognise(value) for _position, _raw, value in items):
        raise FormatError(foreign)
    return (
        Record(
            position,
            raw,
            (Rejected(value.reason),) if isinstance(value, Broken) else outcomes(value),
        )
        for position, raw, value in items
    )


def parse_bodies(
    text: str,
    *,
    provider: str,
    recognise: Callable[[object], bool],
    outcome: Callable[[dict], Outcome],
    foreign_record: str,
    foreign_file: str,
) -> Iterator[Record]:
    """The records of a Mailgun or Postmark file in order, one outcome each: a broken line and
    a body that `recognise` refuses are rejected (`foreign_record`), the others get
    `outcome(body)`. The file is refused (FormatError) when no body is recognised:
    `foreign_file` says why, unless the file is empty or no line is JSON."""
    records = []
    recognised = False
    items = json_items(text.removeprefix("\ufeff"), strip_lines=False, line_as_received=False)
    for position, raw, body in items:
        if isinstance(body, Broken):
            result: Outcome = Rejected(body.reason)
        elif recognise(body):
            recognised = True
            result = outcome(body)
        else:
            result = Rejected(foreign_record)
        records.append(Record(position, raw, (result,)))
    if not recognised:
        raise FormatError(_refusal(records, provider, foreign_file))
    return iter(records)


def _refusal(records: list[Record], provider: str, foreign_file: str) -> str:
    """Why the whole Mailgun / Postmark file is refused."""
    if not records:
        return "El archivo está vacío."
    if all(r.outcomes[0].reason.startswith("JSON roto") for r in records):
        reason = records[0].outcomes[0].reason
        return f"No es un archivo de {provider}: no se puede leer como JSON ({reason})."
    return f"No es un archivo de {provider}: {foreign_file}"


# --- reading the file ------------------------------------------------------------------------


def json_items(
    text: str,
    *,
    strip_lines: bool = True,
    line_as_received: bool = True,
) -> Sequence[Item]:
    """(position, raw text, JSON value) for each element of an array, one value, or each line.

    Position is the index (from 1) in the array, or the line number. A line that is not JSON
    stays in place with a `Broken` value; blank lines are skipped.

    strip_lines: a line is stripped of surrounding whitespace before it is decoded (and kept
    so); otherwise only a trailing "\\r" is dropped.
    line_as_received: a decoded line's raw text is the line; otherwise it is rebuilt from its
    value, like an array element's (a broken line's is always the line).
    """
    try:
        whole = loads(text)
    except (json.JSONDecodeError, RecursionError):
        return _json_lines(text, strip_lines, line_as_received)
    return _Elements(whole if isinstance(whole, list) else [whole])


class _Elements(Sequence):
    """The items of a JSON array, made as they are read: a large file's records then hold their
    values without a list of items beside them (less for the garbage collector to go over)."""

    __slots__ = ("_values",)

    def __init__(self, values: list) -> None:
        self._values = values

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index: int) -> Item:
        value = self._values[index]
        return range(1, len(self._values) + 1)[index], _Dumped(value), value

    def __iter__(self) -> Iterator[Item]:
        for position, value in enumerate(self._values, start=1):
            yield position, _Dumped(value), value


def _number(text: str) -> int | float:
    """A JSON integer; one too long for Python to convert (over 4,300 digits) is read as a
    float, as any JSON number may be, instead of failing the whole file."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def loads(text: str) -> object:
    """json.loads, with integers of any length (see _number)."""
    return json.loads(text, parse_int=_number)


def json_items_or_refuse(text: str) -> Sequence[Item]:
    """json_items, refusing (FormatError) an empty file and one where no line is JSON."""
    if not text.strip():
        raise FormatError("el fichero está vacío")
    items = json_items(text)
    if items and all(isinstance(value, Broken) for _position, _raw, value in items):
        number, _raw, broken = items[0]
        raise FormatError(f"no es JSON: línea {number}, {broken.detail}")
    return items


def _json_lines(text: str, strip_lines: bool, line_as_received: bool) -> list[Item]:
    """One JSON value per line; a broken line stays in place as Broken."""
    items: list[Item] = []
    # Split on "\n" only: str.splitlines() would also split on U+2028 inside JSON strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if strip_lines:
            line = line.strip()
            if not line:
                continue
        else:
            line = line.rstrip("\r")
            if not line.strip():
                continue
        try:
            value = loads(line)
        except json.JSONDecodeError as error:
            items.append((number, line, Broken(f"{error.msg} (columna {error.colno})")))
            continue
        except RecursionError:
            items.append((number, line, Broken("demasiados niveles de anidamiento")))
            continue
        items.append((number, line if line_as_received else _Dumped(value), value))
    return items


class _Dumped:
    """A record's text rebuilt from its JSON value, only if it is asked for (model.raw_text):
    most records are stored and never need it. One small object per record, where a
    functools.partial would be two for the garbage collector to go over."""

    __slots__ = ("_value",)

    def __init__(self, value: object) -> None:
        self._value = value

    def __call__(self) -> str:
        return json.dumps(self._value, ensure_ascii=False)


# --- dates -----------------------------------------------------------------------------------

# Dates outside this window are typing errors or wrong units (milliseconds), never real sends.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2101, 1, 1, tzinfo=UTC)
EARLIEST_SECONDS = _EARLIEST.timestamp()
LATEST_SECONDS = _LATEST.timestamp()
_LATEST_YEAR = 2100
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def occurred_at(value: object) -> datetime:
    """A timezone-aware UTC datetime from a Unix timestamp (number or digits) or ISO 8601 with
    its offset, strictly after 1970-01-01T00:00Z and before 2101 (SendGrid, SES)."""
    if value is None or value == "":
        raise Unreadable("falta la fecha")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Unreadable(f"fecha ilegible: {value!r}")
    if isinstance(value, str) and not _NUMBER.fullmatch(value.strip()):
        moment = _from_iso(value)
    else:
        try:
            seconds = float(value)
        except OverflowError:  # an integer too large for a float
            raise Unreadable(f"fecha imposible: {value}") from None
        # Checked before converting: fromtimestamp overflows far outside the window. NaN and
        # infinity fail the comparison too.
        if not EARLIEST_SECONDS < seconds < LATEST_SECONDS:
            raise Unreadable(f"fecha imposible: {value}")
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    if not _EARLIEST < moment < _LATEST:
        raise Unreadable(f"fecha imposible: {value}")
    return moment


def _from_iso(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Unreadable(f"fecha ilegible: {value}") from None
    if moment.tzinfo is None:
        raise Unreadable(f"fecha sin zona horaria: {value}")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted past the calendar's ends
        raise Unreadable(f"fecha imposible: {value}") from None


def occurred_at_utc(value: object) -> datetime:
    """A UTC datetime from unix seconds (number or numeric text) or ISO 8601 text, without an
    offset taken as UTC; years 1970 to 2100 (Mailgun, Postmark)."""
    if value is None or value == "":
        raise Unreadable("falta la fecha")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return iso_date_utc(value)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
        raise Unreadable(f"fecha imposible: {value}")  # far past 2100, maybe beyond a float
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable(f"fecha no válida: {value!r}")
    if not math.isfinite(value) or value < 0:
        raise Unreadable(f"fecha imposible: {value}")
    try:
        moment = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise Unreadable(f"fecha imposible: {value}") from error
    return _plausible(moment, value)


def iso_date_utc(value: str, *, hint: str = "") -> datetime:
    """A UTC datetime from ISO 8601 text, without an offset taken as UTC; years 1970 to 2100
    (Mailgun, Postmark, the generic CSV). `hint` follows the value in the "no válida" text."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise Unreadable(f"fecha no válida: {value}{hint}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError as error:  # year 1 or 9999 shifted past the calendar's ends
        raise Unreadable(f"fecha imposible: {value}") from error
    return _plausible(moment, value)


def _plausible(moment: datetime, value: object) -> datetime:
    if not 1970 <= moment.year <= _LATEST_YEAR:
        raise Unreadable(f"fecha imposible: {value}")
    return moment


# --- values: SendGrid, SES -------------------------------------------------------------------


def written_text(value: object) -> str | None:
    """Non-blank text, as written; anything else is no value."""
    return value if isinstance(value, str) and value.strip() else None


def identifier(value: object) -> str | None:
    """An id as text: strings as they are, integers converted; anything else is no id."""
    if isinstance(value, str):
        return value if value.strip() else None  # written_text, inlined: ids are many
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def origin(value: object) -> str | None:
    """`campaign` or `automation`; any other value is unknown (None), not guessed."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in vocab.ORIGINS:
            return word
    return None


def campaign_fields(origin_value: object, campaign_id: object, campaign_name: object) -> dict:
    """origin, campaign_external_id and campaign_name from the custom data's values."""
    return {
        "origin": origin(origin_value),
        "campaign_external_id": identifier(campaign_id),
        "campaign_name": written_text(campaign_name),
    }


# --- values: Mailgun, Postmark ---------------------------------------------------------------


def trimmed_text(value: object) -> str | None:
    """Non-empty text (trimmed), integers as text; anything else is no value."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def custom_data(variables: object) -> dict:
    """origin, campaign id and name from the custom data; a wrong origin counts as none."""
    if not isinstance(variables, dict):
        variables = {}
    origin_value = variables.get("origin")
    return {
        "origin": origin_value if origin_value in vocab.ORIGINS else None,
        "campaign_external_id": trimmed_text(variables.get("campaign_id")),
        "campaign_name": trimmed_text(variables.get("campaign_name")),
    }
