"""SendGrid Event Webhook files: one webhook batch (a JSON array of events) or JSON lines.

Each event object is one record with one outcome, mapped to Rastro's words (data_access.vocab):

    processed                          -> sent
    delivered                          -> delivered (smtp_diagnostic: `response`)
    bounce, type "bounce" or no type   -> bounced, hard
    bounce, type "blocked"             -> bounced, soft (reputation block; `status` may be missing)
    dropped                            -> not_sent, reason from the `reason` text:
        "Bounced Address" -> previous_bounce, "Unsubscribed Address" -> unsubscribed,
        "Spam Reporting Address" -> previous_spam, "Invalid" / "Invalid email address"
        -> invalid_address; any other drop reason (e.g. "Spam Content") is rejected
    spamreport                         -> spam_complaint
    unsubscribe, group_unsubscribe     -> unsubscribed
    group_resubscribe                  -> resubscribed
    deferred, open, click              -> ignored (a retry, or engagement: not an outcome)
    anything else                      -> rejected ("evento desconocido: ...")

`reason` is kept as provider_reason; smtp_diagnostic is `response`, or `reason` for a bounce
that carries an SMTP `status`. Origin and campaign come from the custom args `origin`,
`campaign_id` and `campaign_name` (top-level fields of the event); without `origin`, SendGrid's
own `marketing_campaign_id` / `marketing_campaign_name` mean a campaign. Without either the
origin stays None: the store decides. `sg_event_id` is the provider_event_id and
`sg_message_id` the message_id.
"""

import json
from functools import partial
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from data_access import vocab
from data_access.ingest.model import Event, FormatError, Ignored, Outcome, Record, Rejected

# Dates outside this window are typing errors or wrong units (milliseconds), never real sends.
_EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(2101, 1, 1, tzinfo=timezone.utc)
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")

# Fields that only a SendGrid event object carries next to its `event` name.
_SENDGRID_FIELDS = ("email", "timestamp", "sg_event_id", "sg_message_id", "smtp-id")

_IGNORED = {
    "deferred": "reintento temporal (deferred): no es un resultado final",
    "open": "apertura: no es un evento de entrega",
    "click": "clic: no es un evento de entrega",
}
_SIMPLE_EVENTS = {
    "processed": vocab.SENT,
    "delivered": vocab.DELIVERED,
    "spamreport": vocab.SPAM_COMPLAINT,
    "unsubscribe": vocab.UNSUBSCRIBED,
    "group_unsubscribe": vocab.UNSUBSCRIBED,
    "group_resubscribe": vocab.RESUBSCRIBED,
}
_BOUNCE_TYPES = {"bounce": vocab.HARD, "blocked": vocab.SOFT}
_DROP_REASONS = {
    "bounced address": vocab.PREVIOUS_BOUNCE,
    "unsubscribed address": vocab.UNSUBSCRIBED_REASON,
    "spam reporting address": vocab.PREVIOUS_SPAM,
    "invalid": vocab.INVALID_ADDRESS,
}


class _Unreadable(ValueError):
    """A record that cannot be understood; the message (Spanish) is the quarantine reason."""


@dataclass(frozen=True)
class _Broken:
    """A line that is not JSON, with the decoder's complaint."""

    detail: str


def parse(text: str) -> Iterator[Record]:
    """The file's records in order, one outcome each; FormatError if it is not SendGrid's."""
    items = _json_items(text)
    if not items:
        raise FormatError("no hay ningún evento en el fichero")
    if not any(_looks_like_sendgrid(value) for _position, _raw, value in items):
        raise FormatError("no parece un fichero de eventos de SendGrid: ningún objeto tiene "
                          "«event» junto a «email», «timestamp» o «sg_event_id»")
    return (Record(position, raw, (_outcome(value),)) for position, raw, value in items)


# --- reading the file ------------------------------------------------------------------------


def _json_items(text: str) -> list[tuple[int, str, object]]:
    """(position, raw text, JSON value) for each element of an array, one object, or each line."""
    if not text.strip():
        raise FormatError("el fichero está vacío")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        return _json_lines(text)
    values = whole if isinstance(whole, list) else [whole]
    # The text is rebuilt only if the record ends in the quarantine (see model.raw_text).
    return [(position, partial(_dump, value), value)
            for position, value in enumerate(values, start=1)]


def _json_lines(text: str) -> list[tuple[int, str, object]]:
    """One JSON value per line; a broken line stays in place as _Broken."""
    items: list[tuple[int, str, object]] = []
    # Split on "\n" only: str.splitlines() would also split on U+2028 inside JSON strings.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            items.append((number, line, _Broken(f"{error.msg} (columna {error.colno})")))
            continue
        items.append((number, line, value))  # the line as received
    if all(isinstance(value, _Broken) for _number, _raw, value in items):
        number, _raw, broken = items[0]
        raise FormatError(f"no es JSON: línea {number}, {broken.detail}")
    return items


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _looks_like_sendgrid(value: object) -> bool:
    return (isinstance(value, dict) and isinstance(value.get("event"), str)
            and any(name in value for name in _SENDGRID_FIELDS))


# --- one event -------------------------------------------------------------------------------


def _outcome(value: object) -> Outcome:
    """What one event object means for Rastro."""
    try:
        return _event(value)
    except _Unreadable as error:
        return Rejected(str(error))


def _event(value: object) -> Event | Ignored:
    if isinstance(value, _Broken):
        raise _Unreadable(f"JSON roto: {value.detail}")
    if not isinstance(value, dict):
        raise _Unreadable("se esperaba un objeto JSON")
    name = value.get("event")
    if not isinstance(name, str) or not name.strip():
        raise _Unreadable("falta el evento")
    if name in _IGNORED:
        return Ignored(_IGNORED[name])
    fields = _event_fields(name, value)
    email = value.get("email")
    if not isinstance(email, str) or not email.strip():
        raise _Unreadable("falta el destinatario")
    return Event(
        email=email,
        occurred_at=_occurred_at(value.get("timestamp")),
        provider_event_id=_identifier(value.get("sg_event_id")),
        message_id=_identifier(value.get("sg_message_id")),
        provider_reason=_text(value.get("reason")),
        **fields,
        **_campaign(value),
    )


def _event_fields(name: str, value: dict) -> dict:
    """The fields that depend on the kind of event: event, bounce_type, reason, smtp_diagnostic."""
    response = _text(value.get("response"))
    if name in _SIMPLE_EVENTS:
        return {"event": _SIMPLE_EVENTS[name], "smtp_diagnostic": response}
    if name == "bounce":
        # A bounce's `reason` is the receiving server's SMTP reply when it comes with a `status`.
        smtp_reply = _text(value.get("reason")) if value.get("status") else None
        return {"event": vocab.BOUNCED, "bounce_type": _bounce_type(value.get("type")),
                "smtp_diagnostic": response or smtp_reply}
    if name == "dropped":
        return {"event": vocab.NOT_SENT, "reason": _drop_reason(value.get("reason"))}
    raise _Unreadable(f"evento desconocido: {name}")


def _bounce_type(kind: object) -> str:
    if kind is None:
        return vocab.HARD  # no `type` (as in SendGrid's batch example): a bounce, not a block
    if isinstance(kind, str) and kind.strip().lower() in _BOUNCE_TYPES:
        return _BOUNCE_TYPES[kind.strip().lower()]
    raise _Unreadable(f"tipo de rebote desconocido: {kind}")


def _drop_reason(text: object) -> str:
    """Rastro's not-sent reason for SendGrid's drop reason text."""
    if not isinstance(text, str) or not text.strip():
        raise _Unreadable("falta el motivo del descarte")
    key = " ".join(text.split()).lower()
    if key in _DROP_REASONS:
        return _DROP_REASONS[key]
    # "Invalid email address" is about the address; "Invalid SMTPAPI header" is not.
    if key.startswith("invalid") and ("address" in key or "email" in key):
        return vocab.INVALID_ADDRESS
    raise _Unreadable(f"motivo de descarte desconocido: {text}")


def _campaign(value: dict) -> dict:
    """origin, campaign_external_id and campaign_name from the custom args (never guessed)."""
    origin = _origin(value.get("origin"))
    marketing_id = _identifier(value.get("marketing_campaign_id"))
    if origin is None and marketing_id is not None:
        return {"origin": "campaign", "campaign_external_id": marketing_id,
                "campaign_name": _text(value.get("marketing_campaign_name"))}
    return {"origin": origin, "campaign_external_id": _identifier(value.get("campaign_id")),
            "campaign_name": _text(value.get("campaign_name"))}


# --- values ----------------------------------------------------------------------------------


def _occurred_at(value: object) -> datetime:
    """A timezone-aware UTC datetime from a Unix timestamp (number or digits) or ISO 8601."""
    if value is None or value == "":
        raise _Unreadable("falta la fecha")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _Unreadable(f"fecha ilegible: {value!r}")
    if isinstance(value, str) and not _NUMBER.fullmatch(value.strip()):
        moment = _from_iso(value)
    else:
        moment = _from_unix(float(value), value)
    if not _EARLIEST < moment < _LATEST:
        raise _Unreadable(f"fecha imposible: {value}")
    return moment


def _from_unix(seconds: float, value: object) -> datetime:
    # Checked before converting: fromtimestamp overflows far outside the window. NaN and
    # infinity fail the comparison too.
    if not _EARLIEST.timestamp() < seconds < _LATEST.timestamp():
        raise _Unreadable(f"fecha imposible: {value}")
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _from_iso(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _Unreadable(f"fecha ilegible: {value}") from None
    if moment.tzinfo is None:
        raise _Unreadable(f"fecha sin zona horaria: {value}")
    return moment.astimezone(timezone.utc)


def _origin(value: object) -> str | None:
    """`campaign` or `automation`; any other value is unknown (None), not guessed."""
    if isinstance(value, str) and value.strip().lower() in vocab.ORIGINS:
        return value.strip().lower()
    return None


def _identifier(value: object) -> str | None:
    """An id as text: strings as they are, integers converted; anything else is no id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return _text(value)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None
