"""Mailgun webhooks → Rastro events: the JSON webhooks and the legacy form-encoded ones.

Which form a file holds is read from its content (the request's Content-Type is not in a file):

- JSON, when the text starts with `{` or `[`: one webhook body per file (`{"signature": {...},
  "event-data": {...}}`), a JSON array of bodies, or JSON lines (one body per line; a broken
  line is rejected and the rest is read). A bare event-data object (top-level `event` and
  `recipient`, as the Events API lists them) is accepted too.
- Legacy webhooks (accounts created before the JSON webhooks still post them): one
  multipart/form-data body (the text starts with its `--boundary` line and has
  `Content-Disposition: form-data` parts), or application/x-www-form-urlencoded bodies, one
  per line (form_bodies says how they are read).

The file is not Mailgun's (`FormatError`) when no record is recognised: no body has
`event-data` nor a top-level `event` with a `recipient` (JSON), no form has an `event` field
(legacy).

Mapping of `event-data.event` (JSON):

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

Fields (JSON): `recipient` → email; `timestamp` (unix seconds) → occurred_at; `id` is only
unique within a day, so the provider event id is `"{id}:{UTC date of timestamp}"`;
`message.headers.message-id` → message_id; `reason` → provider_reason; `delivery-status`
(`message`, else `description`, after its `code`) → smtp_diagnostic; `user-variables`
(`origin`, `campaign_id`, `campaign_name`) → origin and campaign.

Mapping of the legacy `event` field, like the JSON events:

    delivered     → delivered
    bounced       → bounced, hard (Mailgun posts `bounced` for permanent failures only)
    dropped       → by `reason` and `code`:
                      reason "old" (Mailgun gave up retrying) → bounced, soft
                      reason "hardfail" (or none) and code 605 / 606 / 607 → not_sent,
                        previous_bounce / unsubscribed / previous_spam (the codes above)
                      anything else (reason "maxfails", another code...) → rejected with its
                        reason, code and description: none of Rastro's four not-sent reasons
    complained    → spam_complaint
    unsubscribed  → unsubscribed
    opened, clicked → ignored
    anything else → rejected ("evento desconocido: …")

Fields (legacy): `recipient` → email; `timestamp` → occurred_at; `Message-Id` (or
`message-id`, without its angle brackets, as the JSON events give it) → message_id; `code` and
`error` (bounced) or `description` (dropped) → smtp_diagnostic, "550 5.1.1 ..."; `reason`
(dropped), else `notification` (bounced: Mailgun's detailed reason) → provider_reason. Custom
variables (`origin`, `campaign_id`, `campaign_name`) come from the `X-Mailgun-Variables`
header inside `message-headers` (a JSON list of [name, value] pairs; the header's value is a
JSON object) when the body carries it, else from the top-level fields of those names (Mailgun
merges custom variables into the form). A field that comes twice (a custom variable named like
one of Mailgun's fields) is read as Mailgun does: its first value, except `timestamp`, `token`
and `signature`, whose last value is Mailgun's.

Exactly once (legacy): a legacy body has no event id, and its `token`, `timestamp` and
`signature` are the request's signature (Mailgun documents them under "securing webhooks" and
advises refusing a token seen before, so a retried POST is signed anew), not the event's: none
of them is a key that survives a retry. The id is `"{Message-Id}:{event}:{recipient}"` (one
message has one outcome of each kind per recipient); a body without Message-Id (unsubscribes,
opens and clicks carry none) gets the store's stable hash of the event.

Values are read as `values` says: an ISO 8601 date without offset is UTC, text is trimmed.
`signature_fields` gives a body's timestamp, token and signature, whichever the form, for the
webhook endpoint's HMAC check.
"""

import json
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from .. import vocab
from .form_bodies import Form, Unparsed, form_items
from .json_records import empty_file, loads, parse_bodies
from .model import Event, FormatError, Ignored, Outcome, Record, Rejected
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
_LEGACY_SIMPLE = {
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
_HARDFAIL = "hardfail"  # a legacy drop's reason for an address on a suppression list
_CAMPAIGN_KEYS = ("origin", "campaign_id", "campaign_name")
_NOT_RASTRO_REASON = "no es ninguno de los motivos de no envío de Rastro"
_RETRY = "fallo temporal: Mailgun lo reintentará (el resultado final llega en otro evento)"


class SignatureFields(NamedTuple):
    """What Mailgun signs a webhook request with: HMAC-SHA256 of timestamp + token, in hex,
    keyed with the webhook signing key."""

    timestamp: str
    token: str
    signature: str


def parse(text: str) -> Iterator[Record]:
    """The records of a Mailgun webhook file (JSON or legacy forms), in file order."""
    text = text.removeprefix("\ufeff")
    if _is_json(text):
        return parse_bodies(
            text,
            provider="Mailgun",
            recognise=_looks_like_mailgun,
            outcome=_outcome,
            foreign_record="no parece un evento de Mailgun: falta event-data",
            foreign_file=FormatError(
                "No es un archivo de Mailgun: ningún registro tiene event-data ni un evento "
                "con recipient.",
                key="mailgun_foreign",
            ),
        )
    return _parse_forms(text)


def signature_fields(body: str) -> SignatureFields | None:
    """The timestamp, token and signature of one webhook request body, JSON (its `signature`
    object) or legacy (top-level fields: the last value of each, Mailgun's when a custom
    variable has the same name); None when the body has not all three."""
    body = body.removeprefix("\ufeff")
    if _is_json(body):
        try:
            value = loads(body)
        except (json.JSONDecodeError, RecursionError):
            return None
        block = value.get("signature") if isinstance(value, dict) else None
        fields = (
            [block.get(name) for name in SignatureFields._fields] if isinstance(block, dict) else []
        )
    else:
        items = form_items(body)
        if len(items) != 1 or isinstance(items[0][2], Unparsed):
            return None
        fields = [items[0][2].last(name) for name in SignatureFields._fields]
    texts = [as_text(field) for field in fields]
    if len(texts) != 3 or None in texts:
        return None
    return SignatureFields(*texts)


def _is_json(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[")


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


# --- legacy webhooks (form-encoded) ----------------------------------------------------------


def _parse_forms(text: str) -> Iterator[Record]:
    """The records of a file of legacy webhook bodies; FormatError when no form has an event."""
    items = form_items(text)
    records = [Record(position, raw, (_form_outcome(form),)) for position, raw, form in items]
    if any(isinstance(form, Form) and _field(form, "event") for _p, _r, form in items):
        return iter(records)
    if not items:
        raise empty_file()
    if all(isinstance(form, Unparsed) for _p, _r, form in items):
        reason = items[0][2].reason
        raise FormatError(
            f"No es un archivo de Mailgun: no es JSON ni un formulario de webhook ({reason}).",
            key="mailgun_not_json_nor_form",
            reason=reason,
        )
    raise FormatError(
        "No es un archivo de Mailgun: ningún formulario tiene el campo event.",
        key="mailgun_forms_foreign",
    )


def _form_outcome(form: Form | Unparsed) -> Outcome:
    """What one legacy webhook body means (a body that is not a form is rejected)."""
    if isinstance(form, Unparsed):
        return Rejected(form.reason)
    if _field(form, "event") is None:
        return Rejected("no parece un evento de Mailgun: falta el campo event")
    try:
        return _interpret_legacy(form)
    except Unreadable as error:
        return Rejected(str(error))


def _interpret_legacy(form: Form) -> Outcome:
    name = _field(form, "event")
    if name in _IGNORED:
        return Ignored(_IGNORED[name])
    if name == "bounced":
        event, bounce_type, reason = vocab.BOUNCED, vocab.HARD, None
    elif name == "dropped":
        event, bounce_type, reason = _legacy_drop(form)
    elif name in _LEGACY_SIMPLE:
        event, bounce_type, reason = _LEGACY_SIMPLE[name], None, None
    else:
        raise Unreadable(f"evento desconocido: {name}")
    email = _field(form, "recipient")
    if email is None:
        raise Unreadable("falta el destinatario")
    message_id = _field(form, "Message-Id") or _field(form, "message-id")
    if message_id is not None:
        message_id = message_id.removeprefix("<").removesuffix(">").strip() or None
    return Event(
        email=email,
        event=event,
        occurred_at=moment(form.last("timestamp"), naive_is_utc=True),
        provider_event_id=f"{message_id}:{name}:{email}" if message_id else None,
        message_id=message_id,
        bounce_type=bounce_type,
        reason=reason,
        provider_reason=_field(form, "reason") or _field(form, "notification"),
        smtp_diagnostic=_joined(
            _field(form, "code"), _field(form, "error") or _field(form, "description")
        ),
        **custom_data(_legacy_variables(form), trim=True),
    )


def _legacy_drop(form: Form) -> tuple[str, str | None, str | None]:
    """(event, bounce_type, reason) of a legacy `dropped` body; Unreadable when it is none of
    Rastro's reasons."""
    reason, code = _field(form, "reason"), _field(form, "code")
    if reason == _EXPIRED:
        return vocab.BOUNCED, vocab.SOFT, None
    suppressed = _SUPPRESSED_BY_REASON.get(reason)
    if suppressed is None and reason in (None, _HARDFAIL):
        suppressed = _SUPPRESSED_BY_CODE.get(code)
    if suppressed is not None:
        return vocab.NOT_SENT, None, suppressed
    said = [reason, code, _field(form, "description") or _field(form, "error")]
    detail = ", ".join(part for part in said if part) or "sin motivo"
    raise Unreadable(f"Mailgun descartó el envío ({detail}): {_NOT_RASTRO_REASON}")


def _legacy_variables(form: Form) -> dict:
    """origin, campaign_id and campaign_name: from the X-Mailgun-Variables header when the
    body carries the message's headers, else from the top-level fields."""
    header = _header_variables(form.first("message-headers"))
    return {key: header[key] if key in header else form.last(key) for key in _CAMPAIGN_KEYS}


def _header_variables(headers: str | None) -> dict:
    """The custom variables in the X-Mailgun-Variables headers of `message-headers`, merged;
    headers that cannot be read hold none (the top-level fields still do)."""
    if headers is None:
        return {}
    try:
        pairs = loads(headers)
    except (json.JSONDecodeError, RecursionError):
        return {}
    variables: dict = {}
    for pair in pairs if isinstance(pairs, list) else []:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], str)):
            continue
        if not (isinstance(pair[0], str) and pair[0].lower() == "x-mailgun-variables"):
            continue
        try:
            value = loads(pair[1])
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(value, dict):
            variables.update(value)
    return variables


def _field(form: Form, name: str) -> str | None:
    """A field's first value, trimmed (None when missing or blank)."""
    return as_text(form.first(name), trim=True)


# --- parts of an event ------------------------------------------------------------------------


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
    return _joined(code, message)


def _joined(code: str | None, message: str | None) -> str | None:
    """ "550 5.1.1 ...": the code before the message, unless the message starts with it."""
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
