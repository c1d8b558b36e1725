"""Postmark webhooks → Rastro events.

Input: one webhook body per file, a JSON array of bodies, or JSON lines (one body per line; a
broken line is rejected and the rest is read). The file is not Postmark's (`FormatError`) when
no record has a `RecordType`.

Mapping of `RecordType`:

    Delivery           → delivered (Recipient, DeliveredAt; Details → smtp_diagnostic)
    Bounce             → by `Type` (Postmark's bounce types), see below
    SpamComplaint      → spam_complaint
    SubscriptionChange → by `SuppressSending` and `SuppressionReason`:
                           true,  ManualSuppression → unsubscribed (Postmark records a recipient
                                  who unsubscribes this way, and a sender's manual suppression)
                           true,  HardBounce or SpamComplaint → ignored: the bounce or the
                                  complaint itself arrives as its own Bounce / SpamComplaint
                                  record, counting it twice would be wrong
                           true,  anything else → rejected
                           false (reactivation)  → resubscribed
    Open, Click        → ignored (engagement, not delivery outcomes)
    anything else      → rejected ("evento desconocido: …")

Bounce `Type` (https://postmarkapp.com/developer/api/bounce-api#bounce-types):

    hard:          HardBounce, BadEmailAddress
    soft:          SoftBounce, Transient, DnsError, Blocked, DMARCPolicy, SpamNotification,
                   VirusNotification, ChallengeVerification (the address works; the message was
                   refused or held this time)
    undetermined:  Unknown, and any type Postmark adds later
    spam_complaint: SpamComplaint (older accounts send complaints as Bounce records)
    unsubscribed:  Unsubscribe (the recipient asked to be removed by replying)
    ignored:       AutoResponder, AddressChange, Subscribe, OpenRelayTest (replies, not
                   failures); ManuallyDeactivated (the sender deactivated the address, no email
                   bounced); Unconfirmed, SMTPApiError, InboundError, TemplateRenderingFailed
                   (problems of the sending account or of inbound mail, not of the recipient)

Bounce and SpamComplaint fields: Email → email, BouncedAt → occurred_at, ID → provider event
id (as text), Details → smtp_diagnostic, Type → provider_reason (Postmark's classification;
its Description is a fixed text per type that would mislead the bounce category).
`Inactive` / `CanActivate` are informative only. Every record: MessageID → message_id;
`Metadata` (`origin`, `campaign_id`, `campaign_name`) → origin and campaign. Postmark's own
`Origin` field (Recipient, Customer, Admin) and `Tag` say nothing about campaign or automation
and are not used for that.
"""

import json
from functools import partial
import math
from collections.abc import Iterator
from datetime import datetime, timezone

from .. import vocab
from .model import Event, FormatError, Ignored, Outcome, Record, Rejected

_IGNORED_RECORDS = {
    "Open": "apertura: no es un resultado de entrega",
    "Click": "clic: no es un resultado de entrega",
}
_BOUNCE_TYPES = {
    "HardBounce": vocab.HARD,
    "BadEmailAddress": vocab.HARD,
    "SoftBounce": vocab.SOFT,
    "Transient": vocab.SOFT,
    "DnsError": vocab.SOFT,
    "Blocked": vocab.SOFT,
    "DMARCPolicy": vocab.SOFT,
    "SpamNotification": vocab.SOFT,
    "VirusNotification": vocab.SOFT,
    "ChallengeVerification": vocab.SOFT,
    "Unknown": vocab.UNDETERMINED,
}
_IGNORED_BOUNCES = {
    "AutoResponder": "respuesta automática: el correo llegó",
    "AddressChange": "aviso de cambio de dirección: el correo llegó",
    "Subscribe": "petición de alta por respuesta: no es un resultado de entrega",
    "OpenRelayTest": "prueba de relay abierto: no es un resultado de entrega",
    "ManuallyDeactivated": "dirección desactivada a mano en Postmark: no rebotó ningún correo",
    "Unconfirmed": "firma de remitente sin confirmar: problema de la cuenta, no del contacto",
    "SMTPApiError": "error de la API SMTP de Postmark: problema del envío, no del contacto",
    "InboundError": "error de correo entrante: no es un envío",
    "TemplateRenderingFailed": "fallo de la plantilla: problema del envío, no del contacto",
}
_SUPPRESSION_IGNORED = {
    "HardBounce": "baja por rebote: el rebote llega en su propio registro Bounce",
    "SpamComplaint": "baja por queja: la queja llega en su propio registro SpamComplaint",
}
_LATEST_YEAR = 2100


class _Invalid(ValueError):
    """A record that cannot be read; the message (Spanish) becomes the Rejected reason."""


def parse(text: str) -> Iterator[Record]:
    """The records of a Postmark webhook file, in file order."""
    records = []
    recognised = False
    for position, raw, body, error in _bodies(text):
        if error is not None:
            outcome: Outcome = Rejected(error)
        elif isinstance(body, dict) and "RecordType" in body:
            recognised = True
            outcome = _outcome(body)
        else:
            outcome = Rejected("no parece un evento de Postmark: falta RecordType")
        records.append(Record(position, raw, (outcome,)))
    if not recognised:
        raise FormatError(_not_postmark(records))
    return iter(records)


def _not_postmark(records: list[Record]) -> str:
    """Why the whole file is refused."""
    if not records:
        return "El archivo está vacío."
    if all(r.outcomes[0].reason.startswith("JSON roto") for r in records):
        reason = records[0].outcomes[0].reason
        return f"No es un archivo de Postmark: no se puede leer como JSON ({reason})."
    return "No es un archivo de Postmark: ningún registro tiene RecordType."


def _bodies(text: str) -> list[tuple[int, str, object, str | None]]:
    """(position, raw, parsed body, error) for each record: one JSON document or JSON lines."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return []
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        return _json_lines(text)
    items = whole if isinstance(whole, list) else [whole]
    # The text is rebuilt only if the record ends in the quarantine (see model.raw_text).
    return [(i, partial(_dump, item), item, None) for i, item in enumerate(items, 1)]


def _json_lines(text: str) -> list[tuple[int, str, object, str | None]]:
    result = []
    # Split on "\n" only: str.splitlines would also split on U+2028, legal inside JSON strings.
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            body = json.loads(line)
        except json.JSONDecodeError as error:
            result.append((number, line, None, f"JSON roto: {error.msg} (columna {error.colno})"))
        else:
            result.append((number, _dump(body), body, None))
    return result


def _dump(body: object) -> str:
    return json.dumps(body, ensure_ascii=False)


def _outcome(body: dict) -> Outcome:
    """What one webhook body means."""
    try:
        return _interpret(body)
    except _Invalid as error:
        return Rejected(str(error))


def _interpret(body: dict) -> Outcome:
    kind = _text(body.get("RecordType"))
    if kind is None:
        raise _Invalid("falta RecordType")
    if kind in _IGNORED_RECORDS:
        return Ignored(_IGNORED_RECORDS[kind])
    if kind == "Delivery":
        return _event(body, vocab.DELIVERED, "Recipient", "DeliveredAt")
    if kind in ("Bounce", "SpamComplaint"):
        return _bounce(body, spam=kind == "SpamComplaint")
    if kind == "SubscriptionChange":
        return _subscription_change(body)
    raise _Invalid(f"evento desconocido: {kind}")


def _bounce(body: dict, *, spam: bool) -> Outcome:
    """A Bounce or SpamComplaint record, by its bounce Type."""
    bounce = _text(body.get("Type"))
    if spam or bounce == "SpamComplaint":
        return _event(body, vocab.SPAM_COMPLAINT, "Email", "BouncedAt", provider_reason=bounce)
    if bounce in _IGNORED_BOUNCES:
        return Ignored(_IGNORED_BOUNCES[bounce])
    if bounce == "Unsubscribe":
        return _event(body, vocab.UNSUBSCRIBED, "Email", "BouncedAt", provider_reason=bounce)
    # A type Postmark adds later is still a bounce: undetermined until someone maps it.
    bounce_type = _BOUNCE_TYPES.get(bounce, vocab.UNDETERMINED)
    return _event(body, vocab.BOUNCED, "Email", "BouncedAt", bounce_type=bounce_type,
                  provider_reason=bounce)


def _subscription_change(body: dict) -> Outcome:
    """A suppression (unsubscribe) or a reactivation (resubscribe)."""
    suppress = body.get("SuppressSending")
    reason = _text(body.get("SuppressionReason"))
    # Who made the change (Origin: Recipient, Customer, Admin) is worth keeping with the reason.
    parts = {"SuppressionReason": reason, "Origin": _text(body.get("Origin"))}
    said = ", ".join(f"{key}={value}" for key, value in parts.items() if value) or None
    if suppress is False:
        return _event(body, vocab.RESUBSCRIBED, "Recipient", "ChangedAt", provider_reason=said)
    if suppress is not True:
        raise _Invalid("falta SuppressSending (true o false)")
    if reason == "ManualSuppression":
        return _event(body, vocab.UNSUBSCRIBED, "Recipient", "ChangedAt", provider_reason=said)
    if reason in _SUPPRESSION_IGNORED:
        return Ignored(_SUPPRESSION_IGNORED[reason])
    raise _Invalid(f"motivo de supresión desconocido: {reason}")


def _event(body: dict, event: str, email_key: str, time_key: str, *,
           bounce_type: str | None = None, provider_reason: str | None = None) -> Event:
    """The Event of a record whose recipient and time are under these keys."""
    # Bounce records name the recipient Email; accept Recipient there too (and the reverse).
    email = _text(body.get(email_key)) or _text(body.get("Recipient")) or _text(body.get("Email"))
    if email is None:
        raise _Invalid("falta el destinatario")
    return Event(
        email=email,
        event=event,
        occurred_at=_when(body.get(time_key)),
        provider_event_id=_text(body.get("ID")),
        message_id=_text(body.get("MessageID")),
        bounce_type=bounce_type,
        provider_reason=provider_reason,
        smtp_diagnostic=_text(body.get("Details")),
        **_custom(body.get("Metadata")),
    )


def _custom(metadata: object) -> dict:
    """origin, campaign id and name from the custom data; a wrong origin counts as none."""
    if not isinstance(metadata, dict):
        metadata = {}
    origin = metadata.get("origin")
    return {
        "origin": origin if origin in vocab.ORIGINS else None,
        "campaign_external_id": _text(metadata.get("campaign_id")),
        "campaign_name": _text(metadata.get("campaign_name")),
    }


def _when(value: object) -> datetime:
    """A UTC datetime from ISO 8601 text (no offset: UTC) or unix seconds."""
    if value is None or value == "":
        raise _Invalid("falta la fecha")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return _iso(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(f"fecha no válida: {value!r}")
    if not math.isfinite(value) or value < 0:
        raise _Invalid(f"fecha imposible: {value}")
    try:
        moment = datetime.fromtimestamp(value, timezone.utc)
    except (OverflowError, OSError, ValueError) as error:
        raise _Invalid(f"fecha imposible: {value}") from error
    return _plausible(moment, value)


def _iso(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise _Invalid(f"fecha no válida: {value}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError as error:  # year 1 or 9999 shifted past the calendar's ends
        raise _Invalid(f"fecha imposible: {value}") from error
    return _plausible(moment, value)


def _plausible(moment: datetime, value: object) -> datetime:
    if moment.year < 1970 or moment.year > _LATEST_YEAR:
        raise _Invalid(f"fecha imposible: {value}")
    return moment


def _text(value: object) -> str | None:
    """Non-empty text, integers as text; anything else is no value."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
