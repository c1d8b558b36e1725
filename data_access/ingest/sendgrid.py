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

import re
from collections.abc import Iterator

import msgspec
import polars as pl

from data_access import vocab
from data_access.ingest import _json_input
from data_access.ingest._json_input import (
    Unreadable as _Unreadable,
)
from data_access.ingest._json_input import (
    _Dumped,
    parse_events,
)
from data_access.ingest._json_input import (
    identifier as _identifier,
)
from data_access.ingest._json_input import (
    occurred_at as _occurred_at,
)
from data_access.ingest._json_input import (
    origin as _origin,
)
from data_access.ingest._json_input import (
    written_text as _text,
)
from data_access.ingest.model import (
    EVENT_FIELDS,
    Columns,
    Event,
    Ignored,
    Outcome,
    Record,
    Rejected,
)

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


def parse(text: str) -> Iterator[Record]:
    """The file's records in order, one outcome each; FormatError if it is not SendGrid's."""
    return parse_events(
        text,
        recognise=_looks_like_sendgrid,
        outcomes=_outcomes,
        empty="no hay ningún evento en el fichero",
        foreign="no parece un fichero de eventos de SendGrid: ningún objeto tiene «event» junto "
        "a «email», «timestamp» o «sg_event_id»",
    )


def _looks_like_sendgrid(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("event"), str)
        and any(name in value for name in _SENDGRID_FIELDS)
    )


# --- one event -------------------------------------------------------------------------------


def _outcomes(value: object) -> tuple[Outcome]:
    """What one event object means for Rastro (one outcome)."""
    try:
        return (_event(value),)
    except _Unreadable as error:
        return (Rejected(str(error)),)


def _event(value: object) -> Event | Ignored:
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
        return {
            "event": vocab.BOUNCED,
            "bounce_type": _bounce_type(value.get("type")),
            "smtp_diagnostic": response or smtp_reply,
        }
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
        return {
            "origin": "campaign",
            "campaign_external_id": marketing_id,
            "campaign_name": _text(value.get("marketing_campaign_name")),
        }
    return {
        "origin": origin,
        "campaign_external_id": _identifier(value.get("campaign_id")),
        "campaign_name": _text(value.get("campaign_name")),
    }


# --- a whole batch, column by column ---------------------------------------------------------

_LOOKS_LIKE_ARRAY = re.compile(r"\s*\[")
_KINDS = {
    **{name: "ignored" for name in _IGNORED},
    **{name: "simple" for name in _SIMPLE_EVENTS},
    "bounce": "bounce",
    "dropped": "dropped",
}
_EARLIEST = int(_json_input.EARLIEST_SECONDS)
_LATEST = int(_json_input.LATEST_SECONDS)


class _Fields(msgspec.Struct, gc=False):
    """The fields Rastro reads from a SendGrid event, with the types a webhook batch gives
    them. Another type anywhere (a float timestamp, a list...) makes the decoder refuse the
    batch, and `parse` then reads it record by record with the json module."""

    event: str | None = None
    email: str | None = None
    timestamp: int | None = None
    sg_event_id: str | int | None = None
    sg_message_id: str | int | None = None
    reason: str | None = None
    response: str | None = None
    type: str | None = None
    status: str | None = None
    origin: str | None = None
    marketing_campaign_id: str | int | None = None
    marketing_campaign_name: str | None = None
    campaign_id: str | int | None = None
    campaign_name: str | None = None


_DECODE = msgspec.json.Decoder(list[_Fields]).decode


class _PerRecord(Exception):
    """This record is read by `parse`'s own code, one record at a time."""


def parse_columns(text: str) -> Columns | None:
    """The same outcomes as `parse`, for a webhook batch (a JSON array), read column by column:
    the plain events a batch mostly holds are mapped with the same helpers as `_event`, each
    applied once per distinct value; any other record is left to `_outcomes`, the per-record
    path. None when the text is not such a batch (then `parse` reads it, and judges it)."""
    if not _LOOKS_LIKE_ARRAY.match(text):
        return None
    try:
        batch = _DECODE(text)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeEncodeError, RecursionError):
        return None  # not JSON, other types, too deep, lone surrogates: `parse` reads it
    if not any(
        f.event is not None
        and (f.email is not None or f.timestamp is not None or f.sg_event_id is not None)
        for f in batch
    ):
        return None  # maybe not SendGrid's at all: `parse` says so
    whole = _Whole(text)
    rows, others, ignored = [], [], 0
    bounce_types: dict = {}
    drop_reasons: dict = {}
    campaigns: dict = {}
    for position, f in enumerate(batch, start=1):
        try:
            name = f.event
            kind = _KINDS.get(name)
            if kind is None:
                raise _PerRecord
            if kind == "ignored":
                ignored += 1
                continue
            email, seconds = f.email, f.timestamp
            if (
                email is None
                or not email.strip()
                or seconds is None
                or not _EARLIEST < seconds < _LATEST
            ):
                raise _PerRecord
            reason = f.reason
            response = _text(f.response)
            bounce_type = drop = None
            if kind == "simple":
                event, smtp = _SIMPLE_EVENTS[name], response
            elif kind == "bounce":
                event = vocab.BOUNCED
                bounce_type = _cached(bounce_types, _bounce_type, f.type)
                smtp = response or (_text(reason) if f.status else None)
            else:
                event, smtp = vocab.NOT_SENT, None
                drop = _cached(drop_reasons, _drop_reason, reason)
            key = (
                f.origin,
                f.marketing_campaign_id,
                f.marketing_campaign_name,
                f.campaign_id,
                f.campaign_name,
            )
            campaign = campaigns.get(key)
            if campaign is None:
                campaign = campaigns[key] = _campaign_of(key)
            rows.append(
                (
                    position,
                    email,
                    event,
                    seconds,
                    _identifier(f.sg_event_id),
                    _identifier(f.sg_message_id),
                    bounce_type,
                    drop,
                    _text(reason),
                    smtp,
                    *campaign,
                )
            )
        except (_PerRecord, ValueError):  # _Unreadable, or an integer id too long for str()
            value = whole.value(position)
            others.append(Record(position, _Dumped(value), _outcomes(value)))
    return Columns(events=_frame(rows), raw=whole.raw, ignored=ignored, records=others)


class _Whole:
    """The batch as the json module reads it (what `parse` sees), decoded only if a record
    needs it: one read by `_outcomes`, or the raw text of one for the quarantine."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._values: list | None = None

    def value(self, position: int) -> object:
        if self._values is None:
            self._values = _json_input.loads(self._text)
        return self._values[position - 1]

    def raw(self, position: int) -> str:
        return _Dumped(self.value(position))()


def _cached(cache: dict, function, value: str | None):
    """function(value), remembered per value (an _Unreadable is raised every time)."""
    if value in cache:
        return cache[value]
    cache[value] = result = function(value)
    return result


def _campaign_of(key: tuple) -> tuple:
    names = (
        "origin",
        "marketing_campaign_id",
        "marketing_campaign_name",
        "campaign_id",
        "campaign_name",
    )
    fields = _campaign(dict(zip(names, key)))
    return fields["origin"], fields["campaign_external_id"], fields["campaign_name"]


def _frame(rows: list[tuple]) -> pl.DataFrame:
    """EVENT_FRAME_SCHEMA from the rows made above (timestamps in whole seconds)."""
    names = ("position",) + EVENT_FIELDS
    columns = list(zip(*rows)) if rows else [()] * len(names)
    frame = pl.DataFrame(
        [
            pl.Series(
                name, column, dtype=pl.Int64 if name in ("position", "occurred_at") else pl.Utf8
            )
            for name, column in zip(names, columns)
        ]
    )
    return frame.select(
        "position",
        pl.lit(1, pl.Int64).alias("item"),
        *EVENT_FIELDS[:2],
        pl.from_epoch("occurred_at", "s")
        .dt.cast_time_unit("us")
        .dt.replace_time_zone("UTC")
        .alias("occurred_at"),
        *EVENT_FIELDS[3:],
    )
