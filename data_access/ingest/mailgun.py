"""Mailgun webhooks → Rastro events.

Input: one webhook body per file (`{"signature": {...}, "event-data": {...}}`), a JSON array of
bodies, or JSON lines (one body per line; a broken line is rejected and the rest is read). A
bare event-data object (top-level `event` and `recipient`, as the Events API lists them) is
accepted too. The file is not Mailgun's (`FormatError`) when no record has `event-data` nor a
top-level `event` with a `recipient`.

Mapping of `event-data.event`:

    accepted      → sent
    delivered     → delivered
    failed        → bounced, by `severity`: permanent → hard, missing or other →
                    undetermined; temporary → ignored (a retry: Mailgun tries again for up to
                    8 hours and then reports the final outcome; deferrals are not stored, as
                    for the other providers). When Mailgun gives up after those retries
                    (`reason` "old", "Too old", whatever the severity) → soft: the address
                    never refused the message for good.
                    Except when Mailgun did not even try because the address is on one of its
                    suppression lists → not_sent, by `reason` or by `delivery-status.code`:
                      suppress-bounce      or 605 → previous_bounce
                      suppress-unsubscribe or 606 → unsubscribed
                      suppress-complaint   or 607 → previous_spam
                    (605 "Not delivering to previously bounced address", 606 "Not delivering
                    to unsubscribed address", 607 "Not delivering to a user who marked your
                    messages as spam" are Mailgun's codes for suppressed sends; some events
                    carry only the code. When reason and code disagree, the reason wins.)
    complained    → spam_complaint
    unsubscribed  → unsubscribed
    opened, clicked, stored → ignored (engagement and inbound mail: not delivery outcomes)
    anything else → rejected ("evento desconocido: …")

Fields: `recipient` → email; `timestamp` (unix seconds) → occurred_at; `id` is only unique
within a day, so the provider event id is `"{id}:{UTC date of timestamp}"`;
`message.headers.message-id` → message_id; `reason` → provider_reason; `delivery-status`
(`message`, else `description`, after its `code`) → smtp_diagnostic; `user-variables`
(`origin`, `campaign_id`, `campaign_name`) → origin and campaign. Values are read as `values`
says: an ISO 8601 date without offset is UTC, text is trimmed.
"""

from collections.abc import Iterator
from datetime import datetime

from .. import vocab
from .json_records import parse_bodies
from .model import Event, Ignored, Outcome, Record, Rejected
from .values import Unreadable, as_text, custom_data, moment

_IGNORED = {
    "opened": "apertura: no es un resultado de entrega",
    "clicked": "clic: no es un resultado de entrega",
    "stored": "correo entrante almacenado: no es un envío",
}
_SIMPLE = {
    "accepted": vocab.SENT,
    "delivered": vocab.DELIVERED,
    "complained": vocab.SPAM_COMPLAINT,
    "unsubscribed": vocab.UNSUBSCRIBED,
}
_SUPPRESSED_BY_REASON = {
    "suppress-bounce": vocab.PREVIOUS_BOUNCE,
    "suppress-unsubscribe": vocab.UNSUBSCRIBED_REASON,
    "suppress-complaint": vocab.PREVIOUS_SPAM,
}
_SUPPRESSED_BY_CODE = {
    "605": vocab.PREVIOUS_BOUNCE,
    "606": vocab.UNSUBSCRIBED_REASON,
    "607": vocab.PREVIOUS_SPAM,
}
_BOUNCE_BY_SEVERITY = {"permanent": vocab.HARD}
_EXPIRED = "old"  # Mailgun's reason when it stops retrying ("Too old")
_RETRY = "fallo temporal: Mailgun lo reintentará (el resultado final llega en otro evento)"


def parse(text: str) -> Iterator[Record]:
    """The records of a Mailgun webhook file, in file order."""
    return parse_bodies(
        text,
        provider="Mailgun",
        recognise=_looks_like_mailgun,
        outcome=_outcome,
        foreign_record="no parece un evento de Mailgun: falta event-data",
        foreign_file="ningún registro tiene event-data ni un evento con recipient.",
    )


def _looks_like_mailgun(body: object) -> bool:
    return isinstance(body, dict) and (
        isinstance(body.get("event-data"), dict) or ("event" in body and "recipient" in body)
    )


def _outcome(body: dict) -> Outcome:
    """What one webhook body means."""
    data = body["event-data"] if isinstance(body.get("event-data"), dict) else body
    try:
        return _interpret(data)
    except Unreadable as error:
        return Rejected(str(error))


def _interpret(data: dict) -> Outcome:
    name = data.get("event")
    if not isinstance(name, str) or not name:
        raise Unreadable("falta el evento")
    if name in _IGNORED:
        return Ignored(_IGNORED[name])
    if name == "failed":
        failure = _failure(data)
        if failure is None:
            return Ignored(_RETRY)
        event, bounce_type, reason = failure
    elif name in _SIMPLE:
        event, bounce_type, reason = _SIMPLE[name], None, None
    else:
        raise Unreadable(f"evento desconocido: {name}")
    email = as_text(data.get("recipient"), trim=True)
    if email is None:
        raise Unreadable("falta el destinatario")
    occurred_at = moment(data.get("timestamp"), naive_is_utc=True)
    return Event(
        email=email,
        event=event,
        occurred_at=occurred_at,
        provider_event_id=_event_id(data.get("id"), occurred_at),
        message_id=as_text(_get(data, "message", "headers", "message-id"), trim=True),
        bounce_type=bounce_type,
        reason=reason,
        provider_reason=as_text(data.get("reason"), trim=True),
        smtp_diagnostic=_diagnostic(data.get("delivery-status")),
        **custom_data(data.get("user-variables"), trim=True),
    )


def _failure(data: dict) -> tuple[str, str | None, str | None] | None:
    """(event, bounce_type, reason) of a `failed` event: suppressed send or bounce; None for a
    temporary failure that Mailgun will retry."""
    reason = as_text(data.get("reason"), trim=True)
    suppressed = _SUPPRESSED_BY_REASON.get(reason)
    if suppressed is None:
        suppressed = _SUPPRESSED_BY_CODE.get(
            as_text(_get(data, "delivery-status", "code"), trim=True)
        )
    if suppressed is not None:
        return vocab.NOT_SENT, None, suppressed
    if reason == _EXPIRED:
        return vocab.BOUNCED, vocab.SOFT, None
    severity = as_text(data.get("severity"), trim=True)
    if severity == "temporary":
        return None
    return vocab.BOUNCED, _BOUNCE_BY_SEVERITY.get(severity, vocab.UNDETERMINED), None


def _event_id(event_id: object, occurred_at: datetime) -> str | None:
    # Mailgun's event id is only unique within a day: the day makes it unique for good.
    text = as_text(event_id, trim=True)
    return None if text is None else f"{text}:{occurred_at.date().isoformat()}"


def _diagnostic(status: object) -> str | None:
    """The SMTP reply: "550 5.1.1 ..." from delivery-status code and message (or description)."""
    if not isinstance(status, dict):
        return None
    code = as_text(status.get("code"), trim=True)
    message = as_text(status.get("message"), trim=True) or as_text(
        status.get("description"), trim=True
    )
    if message is None:
        return code
    if code is None or message.startswith(code):
        return message
    return f"{code} {message}"


def _get(data: dict, *keys: str) -> object:
    """A nested value, or None when any level is missing or not an object."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
