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

from collections.abc import Iterator

from data_access import vocab
from data_access.ingest._json_input import (
    Unreadable as _Unreadable, identifier as _identifier, occurred_at as _occurred_at,
    origin as _origin, parse_events, written_text as _text)
from data_access.ingest.model import Event, Ignored, Outcome, Record, Rejected

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
        text, recognise=_looks_like_sendgrid, outcomes=_outcomes,
        empty="no hay ningún evento en el fichero",
        foreign="no parece un fichero de eventos de SendGrid: ningún objeto tiene «event» junto "
                "a «email», «timestamp» o «sg_event_id»")


def _looks_like_sendgrid(value: object) -> bool:
    return (isinstance(value, dict) and isinstance(value.get("event"), str)
            and any(name in value for name in _SENDGRID_FIELDS))


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
