"""Reading a JSON provider file (SendGrid, SES, Mailgun, Postmark) into its records: a JSON
array, one JSON value, or JSON lines. Reading the values inside a record is `values`' job.

The providers' files are judged in two ways, on purpose:

- `parse_events` (SendGrid, SES, whose files are one provider's exports or webhook batches): a
  file that is not the provider's is refused before any record is read; a JSON line is
  stripped and kept as received. A record may have several outcomes (SES: one per recipient).
- `parse_bodies` (Mailgun, Postmark, whose files are webhook bodies collected one by one): a
  body that is not the provider's is rejected, not the file; a JSON line's text is rebuilt
  from its value, like an array element's. One outcome per record.

The Spanish texts here end up as FormatError and Rejected reasons.
"""

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from data_access.ingest.model import FormatError, Outcome, Record, Rejected


@dataclass(frozen=True)
class Broken:
    """A line that is not JSON, with the decoder's complaint."""

    detail: str

    @property
    def reason(self) -> str:
        """The record's rejection reason."""
        return f"JSON roto: {self.detail}"


# The decoder's complaints (json.JSONDecodeError.msg, CPython 3.11 to 3.13) in Spanish: they end
# up in quarantine reasons and refusals that Spanish-speaking administrators read. The messages
# that carry a value after them ("Invalid control character 'x' at") are matched by their start.
_JSON_MESSAGES = (
    ("Expecting value", "se esperaba un valor"),
    (
        "Expecting property name enclosed in double quotes",
        "se esperaba el nombre de una propiedad entre comillas dobles",
    ),
    ("Expecting ':' delimiter", "se esperaba «:»"),
    ("Expecting ',' delimiter", "se esperaba «,»"),
    ("Extra data", "hay más datos después del primer valor JSON"),
    ("Unterminated string starting at", "una cadena de texto sin cerrar"),
    ("Invalid control character", "un carácter de control sin escapar dentro de un texto"),
    ("Invalid \\uXXXX escape", "una secuencia \\uXXXX no válida"),
    ("Invalid \\escape", "una secuencia de escape con «\\» no válida"),
    ("Unexpected UTF-8 BOM", "una marca de orden de bytes (BOM) inesperada"),
    ("Illegal trailing comma before end of object", "una coma de más antes de cerrar el objeto"),
    ("Illegal trailing comma before end of array", "una coma de más antes de cerrar la lista"),
)


def json_error_text(error: json.JSONDecodeError) -> str:
    """The decoder's complaint in Spanish, with its column ("se esperaba «,» (columna 12)");
    a message this table does not know is reported as "JSON no válido", never in English."""
    words = next(
        (spanish for english, spanish in _JSON_MESSAGES if error.msg.startswith(english)),
        "JSON no válido",
    )
    return f"{words} (columna {error.colno})"


# (position, raw text or what makes it, JSON value or Broken)
Item = tuple[int, str | Callable[[], str], object]


# --- the file's records ----------------------------------------------------------------------


def parse_events(
    text: str,
    *,
    recognise: Callable[[object], bool],
    outcomes: Callable[[object], tuple[Outcome, ...]],
    empty: FormatError,
    foreign: FormatError,
) -> Iterator[Record]:
    """The records of a SendGrid or SES file in order, each with `outcomes(value)` (a broken
    line is rejected). The file is refused when it is empty or no line is JSON, and with the
    caller's own refusal when it holds no record (`empty`) or `recognise` accepts none
    (`foreign`)."""
    items = json_items_or_refuse(text)
    if not items:
        raise empty
    if not any(recognise(value) for _position, _raw, value in items):
        raise foreign
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
    foreign_file: FormatError,
) -> Iterator[Record]:
    """The records of a Mailgun or Postmark file in order, one outcome each: a broken line and
    a body that `recognise` refuses are rejected (`foreign_record`), the others get
    `outcome(body)`. The file is refused when no body is recognised: with `foreign_file`,
    unless the file is empty or no line is JSON."""
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
        raise _refusal(records, provider, foreign_file)
    return iter(records)


def _refusal(records: list[Record], provider: str, foreign_file: FormatError) -> FormatError:
    """Why the whole Mailgun / Postmark file is refused."""
    if not records:
        return empty_file()
    if all(r.outcomes[0].reason.startswith("JSON roto") for r in records):
        reason = records[0].outcomes[0].reason
        return FormatError(
            f"No es un archivo de {provider}: no se puede leer como JSON ({reason}).",
            key="bodies_not_json",
            provider=provider,
            reason=reason,
        )
    return foreign_file


def empty_file() -> FormatError:
    """The refusal of a Mailgun or Postmark file with nothing in it."""
    return FormatError("El archivo está vacío.", key="empty_file")


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
        return range(1, len(self._values) + 1)[index], Dumped(value), value

    def __iter__(self) -> Iterator[Item]:
        for position, value in enumerate(self._values, start=1):
            yield position, Dumped(value), value


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
        raise FormatError("el fichero está vacío", key="json_empty")
    items = json_items(text)
    if items and all(isinstance(value, Broken) for _position, _raw, value in items):
        number, _raw, broken = items[0]
        raise FormatError(
            f"no es JSON: línea {number}, {broken.detail}",
            key="not_json",
            line=number,
            detail=broken.detail,
        )
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
            items.append((number, line, Broken(json_error_text(error))))
            continue
        except RecursionError:
            items.append((number, line, Broken("demasiados niveles de anidamiento")))
            continue
        items.append((number, line if line_as_received else Dumped(value), value))
    return items


class Dumped:
    """A record's text rebuilt from its JSON value, only if it is asked for (model.raw_text):
    most records are stored and never need it. One small object per record, where a
    functools.partial would be two for the garbage collector to go over."""

    __slots__ = ("_value",)

    def __init__(self, value: object) -> None:
        self._value = value

    def __call__(self) -> str:
        return json.dumps(self._value, ensure_ascii=False)
