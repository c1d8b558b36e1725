"""Reading one value of a provider's record: dates, text, origin and campaign. Every parser
(SendGrid, SES, Mailgun, Postmark, the generic CSV) reads its values with these functions and
reports a value it cannot read with `Unreadable`, whose Spanish message becomes the record's
quarantine reason.

One rule for every provider, except where the providers' own formats differ, which is said
with a parameter at the call, never with a second reader:

- Dates (`moment`): Unix seconds (a number, or text of digits) or ISO 8601 text, strictly
  after 1970-01-01T00:00Z and before 2101 (outside that window a date is a typing error or
  a wrong unit, never a real send; 0 is a missing value written as a number). An ISO date
  without offset is refused where the provider always writes one, so that a file edited by
  hand is not read in the wrong zone (SendGrid, SES: `naive_is_utc=False`), and is UTC where
  the format allows leaving it out (Mailgun, Postmark, the generic CSV: `naive_is_utc=True`).
- Text (`as_text`): a non-blank string, or an integer written out (ids and codes arrive as
  numbers too); anything else is no value. SendGrid and SES text is kept as written, the
  others' is trimmed (`trim=True`): an id is part of what makes an event unique, and
  trimming the ids of events already stored would make their next copy look new.
- Origin (`origin`): `campaign` or `automation`, whatever the case and surrounding spaces
  ("Campaign", " AUTOMATION "), for every provider; anything else is unknown (None), not
  guessed. The generic CSV, a documented format, refuses an unknown origin (see csv_format).
"""

import re
from datetime import UTC, datetime

from data_access import vocab


class Unreadable(ValueError):
    """A record that cannot be understood; the message (Spanish) is the quarantine reason."""


# --- dates -----------------------------------------------------------------------------------

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2101, 1, 1, tzinfo=UTC)
EARLIEST_SECONDS = EARLIEST.timestamp()
LATEST_SECONDS = LATEST.timestamp()
_UNIX_SECONDS = re.compile(r"[+-]?\d+(\.\d+)?")


def moment(value: object, *, naive_is_utc: bool, hint: str = "") -> datetime:
    """A timezone-aware UTC datetime from Unix seconds (a number or text of digits) or ISO
    8601 text, strictly between EARLIEST and LATEST. Without an offset an ISO date is UTC if
    `naive_is_utc`, else refused. `hint` follows the text of an unreadable date."""
    if value is None or value == "":
        raise Unreadable("falta la fecha")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Unreadable(f"fecha ilegible: {value!r}")
    if isinstance(value, str) and not _UNIX_SECONDS.fullmatch(value.strip()):
        return iso_moment(value, naive_is_utc=naive_is_utc, hint=hint)
    try:
        seconds = float(value)
    except OverflowError:  # an integer too large for a float
        raise Unreadable(f"fecha imposible: {value}") from None
    # Checked before converting: fromtimestamp overflows far outside the window. NaN and
    # infinity fail the comparison too.
    if not EARLIEST_SECONDS < seconds < LATEST_SECONDS:
        raise Unreadable(f"fecha imposible: {value}")
    return datetime.fromtimestamp(seconds, tz=UTC)


def iso_moment(value: str, *, naive_is_utc: bool, hint: str = "") -> datetime:
    """`moment` for ISO 8601 text only (the generic CSV has no Unix seconds)."""
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Unreadable(f"fecha ilegible: {value}{hint}") from None
    if when.tzinfo is None:
        if not naive_is_utc:
            raise Unreadable(f"fecha sin zona horaria: {value}")
        when = when.replace(tzinfo=UTC)
    try:
        when = when.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted past the calendar's ends
        raise Unreadable(f"fecha imposible: {value}") from None
    if not EARLIEST < when < LATEST:
        raise Unreadable(f"fecha imposible: {value}")
    return when


# --- text ------------------------------------------------------------------------------------


def as_text(value: object, *, trim: bool = False) -> str | None:
    """Non-blank text: a string (without its surrounding spaces if `trim`, else as written)
    or an integer written out; anything else (None, booleans, floats, lists...) is no value."""
    if isinstance(value, str):
        if trim:
            return value.strip() or None
        return value if value.strip() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


# --- origin and campaign ---------------------------------------------------------------------


def origin(value: object) -> str | None:
    """`campaign` or `automation`, whatever the case and surrounding spaces; any other value
    is unknown (None), not guessed."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in vocab.ORIGINS:
            return word
    return None


def campaign_fields(
    origin_value: object, campaign_id: object, campaign_name: object, *, trim: bool = False
) -> dict:
    """origin, campaign_external_id and campaign_name from the custom data's values."""
    return {
        "origin": origin(origin_value),
        "campaign_external_id": as_text(campaign_id, trim=trim),
        "campaign_name": as_text(campaign_name, trim=trim),
    }


def custom_data(variables: object, *, trim: bool = False) -> dict:
    """campaign_fields from an object of custom data with the keys `origin`, `campaign_id` and
    `campaign_name` (anything but an object holds none of them)."""
    if not isinstance(variables, dict):
        variables = {}
    return campaign_fields(
        variables.get("origin"),
        variables.get("campaign_id"),
        variables.get("campaign_name"),
        trim=trim,
    )
