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
                           true,  HardBounce → not_sent, previous_bounce, as evidence only
                           true,  SpamComplaint → not_sent, previous_spam, as evidence only
                           true,  anything else → rejected
                           false (reactivation)  → resubscribed
    Open, Click        → ignored (engagement, not delivery outcomes)
    anything else      → rejected ("evento desconocido: …")

A suppression after a hard bounce or a complaint is evidence of a block, not a new failure:
Postmark sends it and the Bounce / SpamComplaint record as two separate webhooks (each one
enabled on its own), in no guaranteed order, and either may be the only one an account
receives. So it is stored as `not_sent` with the block's reason (`evidence_only`) when the
contact has no hard bounce (for HardBounce) or spam complaint (for SpamComplaint) yet, in the
database or in the same file, which blocks the contact for that reason; and the store counts it
as ignored when the contact has one, so the same bounce is not counted twice. A bounce that
arrives after its suppression is stored as well (the not_sent stays: evidence is never
deleted, and the verdict is the same).

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
`Inactive` / `CanActivate` are informative only. A record with no recipient at all (neither
Email nor Recipient, like the Type "Unsubscribe" Bounce of django-anymail issue #447) is
rejected: "falta el destinatario". Every record: MessageID → message_id;
`Metadata` (`origin`, `campaign_id`, `campaign_name`) → origin and campaign. Postmark's own
`Origin` field (Recipient, Customer, Admin) and `Tag` say nothing about campaign or automation
and are not used for that. Values are read as `values` says: a date without offset is UTC,
text is trimmed.
"""

from collections.abc import Iterator

from .. import vocab
from .json_records import parse_bodies
from .model import Event, FormatError, Ignored, Outcome, Record, Rejected
from .values import Unreadable, as_text, custom_data, moment

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
# Suppressions that follow a failure: the block they are evidence of.
_SUPPRESSION_EVIDENCE = {
    "HardBounce": vocab.PREVIOUS_BOUNCE,
    "SpamComplaint": vocab.PREVIOUS_SPAM,
}


def parse(text: str) -> Iterator[Record]:
    """The records of a Postmark webhook file, in file order."""
    return parse_bodies(
        text,
        provider="Postmark",
        recognise=_has_record_type,
        outcome=_outcome,
        foreign_record="no parece un evento de Postmark: falta RecordType",
        foreign_file=FormatError(
            "No es un archivo de Postmark: ningún registro tiene RecordType.",
            key="postmark_foreign",
        ),
    )


def _has_record_type(body: object) -> bool:
    return isinstance(body, dict) and "RecordType" in body


def _outcome(body: dict) -> Outcome:
    """What one webhook body means."""
    try:
        return _interpret(body)
    except Unreadable as error:
        return Rejected(str(error))


def _interpret(body: dict) -> Outcome:
    kind = as_text(body.get("RecordType"), trim=True)
    if kind is None:
        raise Unreadable("falta RecordType")
    if kind in _IGNORED_RECORDS:
        return Ignored(_IGNORED_RECORDS[kind])
    if kind == "Delivery":
        return _event(body, vocab.DELIVERED, "Recipient", "DeliveredAt")
    if kind in ("Bounce", "SpamComplaint"):
        return _bounce(body, spam=kind == "SpamComplaint")
    if kind == "SubscriptionChange":
        return _subscription_change(body)
    raise Unreadable(f"evento desconocido: {kind}")


def _bounce(body: dict, *, spam: bool) -> Outcome:
    """A Bounce or SpamComplaint record, by its bounce Type."""
    bounce = as_text(body.get("Type"), trim=True)
    if spam or bounce == "SpamComplaint":
        return _event(body, vocab.SPAM_COMPLAINT, "Email", "BouncedAt", provider_reason=bounce)
    if bounce in _IGNORED_BOUNCES:
        return Ignored(_IGNORED_BOUNCES[bounce])
    if bounce == "Unsubscribe":
        return _event(body, vocab.UNSUBSCRIBED, "Email", "BouncedAt", provider_reason=bounce)
    # A type Postmark adds later is still a bounce: undetermined until someone maps it.
    bounce_type = _BOUNCE_TYPES.get(bounce, vocab.UNDETERMINED)
    return _event(
        body, vocab.BOUNCED, "Email", "BouncedAt", bounce_type=bounce_type, provider_reason=bounce
    )


def _subscription_change(body: dict) -> Outcome:
    """A suppression (unsubscribe) or a reactivation (resubscribe)."""
    suppress = body.get("SuppressSending")
    reason = as_text(body.get("SuppressionReason"), trim=True)
    # Who made the change (Origin: Recipient, Customer, Admin) is worth keeping with the reason.
    parts = {"SuppressionReason": reason, "Origin": as_text(body.get("Origin"), trim=True)}
    said = ", ".join(f"{key}={value}" for key, value in parts.items() if value) or None
    if suppress is False:
        return _event(body, vocab.RESUBSCRIBED, "Recipient", "ChangedAt", provider_reason=said)
    if suppress is not True:
        raise Unreadable("falta SuppressSending (true o false)")
    if reason == "ManualSuppression":
        return _event(body, vocab.UNSUBSCRIBED, "Recipient", "ChangedAt", provider_reason=said)
    if reason in _SUPPRESSION_EVIDENCE:
        event = _event(body, vocab.NOT_SENT, "Recipient", "ChangedAt", provider_reason=said)
        event.reason = _SUPPRESSION_EVIDENCE[reason]
        event.evidence_only = True
        return event
    raise Unreadable(f"motivo de supresión desconocido: {reason}")


def _event(
    body: dict,
    event: str,
    email_key: str,
    time_key: str,
    *,
    bounce_type: str | None = None,
    provider_reason: str | None = None,
) -> Event:
    """The Event of a record whose recipient and time are under these keys."""
    # Bounce records name the recipient Email; accept Recipient there too (and the reverse).
    email = (
        as_text(body.get(email_key), trim=True)
        or as_text(body.get("Recipient"), trim=True)
        or as_text(body.get("Email"), trim=True)
    )
    if email is None:
        raise Unreadable("falta el destinatario")
    return Event(
        email=email,
        event=event,
        occurred_at=moment(body.get(time_key), naive_is_utc=True),
        provider_event_id=as_text(body.get("ID"), trim=True),
        message_id=as_text(body.get("MessageID"), trim=True),
        bounce_type=bounce_type,
        provider_reason=provider_reason,
        smtp_diagnostic=as_text(body.get("Details"), trim=True),
        **custom_data(body.get("Metadata"), trim=True),
    )
