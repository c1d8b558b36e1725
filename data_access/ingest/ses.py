"""Amazon SES notifications: one per file (a JSON object), a JSON array of them, or JSON lines.

A notification is the bare SES body (event publishing: `eventType`; feedback notifications:
`notificationType`) or an SNS envelope `{"Type": "Notification", "Message": "<the body as a
JSON string>", ...}`. One notification is one record; it has one outcome per recipient:

    Bounce      -> bounced per `bounce.bouncedRecipients`: Permanent hard, Transient soft,
                   Undetermined undetermined; but subtype OnAccountSuppressionList or
                   Suppressed -> not_sent, previous_bounce (SES did not send: suppression list).
                   provider_reason "bounceType/bounceSubType", smtp_diagnostic the recipient's
                   `diagnosticCode` (or `status`), id "feedbackId:bounce:recipient".
    Complaint   -> spam_complaint per `complaint.complainedRecipients`; provider_reason the
                   `complaintFeedbackType`; id "feedbackId:complaint:recipient". Subtype
                   OnAccountSuppressionList -> not_sent, previous_spam (SES documents it as
                   "accepted but not sent: the address is on the account's suppression list").
    Delivery    -> delivered per `delivery.recipients`; smtp_diagnostic `smtpResponse`;
                   id "messageId:delivery:recipient".
    Send        -> sent per `mail.destination`, at `mail.timestamp`; id "messageId:send:recipient".
    Subscription (SES contact lists) -> see below.
    Reject, Rendering Failure -> rejected: SES refused or could not build the email, which is
                   none of Rastro's four not-sent reasons.
    DeliveryDelay, Open, Click, Received (inbound mail) -> ignored.
    SNS housekeeping -> ignored, not quarantined (no email is concerned): the envelopes of type
                   SubscriptionConfirmation and UnsubscribeConfirmation, and the Notification
                   "Successfully validated SNS topic for Amazon SES event publishing." that SES
                   sends when a topic is attached.

Subscription: only the whole-list switch counts. `newTopicPreferences.unsubscribeAll` turning
true (it was not) is `unsubscribed`; turning from true to false is `resubscribed`, the mirror
of SendGrid's group_resubscribe, so a contact who comes back is not blocked for ever. A change
of single topics (OptOut/OptIn of one topic) is ignored: the contact still receives the other
topics, so it is not an unsubscribe in Rastro's sense. The event names the email's recipient
in `mail.destination`; with several recipients nobody can tell who unsubscribed, so it is
rejected rather than applied to all. provider_reason is `subscription.source` (for example
UnsubscribeHeader); id "messageId:subscription:recipient:timestamp".

When: the timestamp of the kind's own object (`bounce.timestamp`, `complaint.timestamp`,
`delivery.timestamp`, `subscription.timestamp`; `mail.timestamp` for Send). When it is missing
and the notification came in an SNS envelope, the envelope's `Timestamp` (when SNS published
it, as SES reported the event) stands in; `mail.timestamp` does not, for the other kinds: it is
when the email was sent, not when it bounced. Without either, the record is quarantined
("falta la fecha"). A date that is there but unreadable is refused, never replaced.

message_id is `mail.messageId`; origin and campaign come from the tags `origin`, `campaign_id`
and `campaign_name` in `mail.tags` (SES tags are lists of values). Without `origin` the origin
stays None: the store decides. Values are read as `values` says: dates need their offset,
text is kept as written.
"""

import json
from collections.abc import Callable, Iterator
from datetime import datetime

from data_access import vocab
from data_access.ingest.json_records import json_error_text, loads, parse_events
from data_access.ingest.model import Event, FormatError, Ignored, Outcome, Record, Rejected
from data_access.ingest.values import Unreadable, as_text, campaign_fields, moment

_NOT_RASTRO_REASON = "no es ninguno de los motivos de no envío de Rastro"
_IGNORED = {
    "DeliveryDelay": "retraso de entrega: SES sigue reintentando, no es un resultado final",
    "Open": "apertura: no es un evento de entrega",
    "Click": "clic: no es un evento de entrega",
    "Received": "correo entrante, no es un envío",
    "AmazonSnsSubscriptionSucceeded": "aviso de SES sobre el tema SNS, no es un envío",
}
_SNS_CONFIRMATIONS = ("SubscriptionConfirmation", "UnsubscribeConfirmation")
# The Notification SES publishes once when a topic is attached to a configuration set.
_TOPIC_VALIDATED = "Successfully validated SNS topic for Amazon SES event publishing."
_BOUNCE_TYPES = {
    "Permanent": vocab.HARD,
    "Transient": vocab.SOFT,
    "Undetermined": vocab.UNDETERMINED,
}
# Subtypes meaning that SES never tried: the address was on a suppression list.
_SUPPRESSED = ("OnAccountSuppressionList", "Suppressed")


def parse(text: str) -> Iterator[Record]:
    """The file's notifications in order, with their outcomes; FormatError if it is not SES."""
    return parse_events(
        text,
        recognise=_looks_like_ses,
        outcomes=_outcomes,
        empty=FormatError("no hay ninguna notificación en el fichero", key="ses_empty"),
        foreign=FormatError(
            "no parece un fichero de notificaciones de Amazon SES: ningún objeto tiene "
            "«eventType» o «notificationType» ni es un sobre SNS",
            key="ses_foreign",
        ),
    )


def _looks_like_ses(value: object) -> bool:
    return isinstance(value, dict) and (
        _is_sns(value)
        or any(isinstance(value.get(key), str) for key in ("eventType", "notificationType"))
    )


def _is_sns(value: dict) -> bool:
    return isinstance(value.get("Type"), str) and "Message" in value


# --- one notification ------------------------------------------------------------------------


def _outcomes(value: object) -> tuple[Outcome, ...]:
    """What one notification means for Rastro: one outcome per recipient, or one for all."""
    try:
        return _notification(value)
    except Unreadable as error:
        return (Rejected(str(error)),)


def _notification(value: object) -> tuple[Outcome, ...]:
    if not isinstance(value, dict):
        raise Unreadable("se esperaba un objeto JSON")
    published = None  # when SNS published the notification, if it came in an envelope
    if _is_sns(value):
        if value["Type"] in _SNS_CONFIRMATIONS:
            return (Ignored("confirmación de suscripción SNS, no es un envío"),)
        if is_topic_validation(value):
            return (Ignored("aviso de SES: tema SNS validado, no es un envío"),)
        published = value.get("Timestamp")
        value = _sns_message(value)
    kind = value.get("eventType") or value.get("notificationType")
    if kind == "Received" or "receipt" in value:
        return (Ignored(_IGNORED["Received"]),)
    if not isinstance(kind, str) or not kind.strip():
        raise Unreadable("falta el tipo de notificación (eventType o notificationType)")
    if kind in _IGNORED:
        return (Ignored(_IGNORED[kind]),)
    if kind in _HANDLERS:
        mail = value.get("mail")
        return _HANDLERS[kind](value, mail if isinstance(mail, dict) else {}, published)
    raise Unreadable(f"evento desconocido: {kind}")


def is_topic_validation(envelope: dict) -> bool:
    """The notice SES sends once when a topic is attached: SNS housekeeping, not an event."""
    message = envelope.get("Message")
    return envelope.get("Type") == "Notification" and (
        isinstance(message, str) and message.strip() == _TOPIC_VALIDATED
    )


def _sns_message(envelope: dict) -> dict:
    """The SES body inside an SNS envelope (its `Message` is the body as a JSON string)."""
    if envelope["Type"] != "Notification":
        raise Unreadable(f"mensaje SNS desconocido: {envelope['Type']}")
    message = envelope["Message"]
    if isinstance(message, str):
        try:
            message = loads(message)
        except json.JSONDecodeError as error:
            raise Unreadable(f"el mensaje SNS no es JSON: {json_error_text(error)}") from None
        except RecursionError:
            raise Unreadable("el mensaje SNS tiene demasiados niveles de anidamiento") from None
    if not isinstance(message, dict):
        raise Unreadable("el mensaje SNS no es un objeto JSON")
    return message


# --- the kinds of notification ---------------------------------------------------------------


def _bounce(body: dict, mail: dict, published: object) -> tuple[Outcome, ...]:
    bounce = _section(body, "bounce")
    occurred_at = _occurred_at(bounce.get("timestamp"), published)
    kind, subtype = as_text(bounce.get("bounceType")), as_text(bounce.get("bounceSubType"))
    if subtype in _SUPPRESSED:
        fields = {"event": vocab.NOT_SENT, "reason": vocab.PREVIOUS_BOUNCE}
    elif kind in _BOUNCE_TYPES:
        fields = {"event": vocab.BOUNCED, "bounce_type": _BOUNCE_TYPES[kind]}
    else:
        raise Unreadable(f"tipo de rebote desconocido: {kind}")
    feedback_id = as_text(bounce.get("feedbackId"))
    common = _common(mail)

    def event(address: str, entry: object) -> Event:
        entry = entry if isinstance(entry, dict) else {}
        return Event(
            email=address,
            occurred_at=occurred_at,
            provider_event_id=f"{feedback_id}:bounce:{address}" if feedback_id else None,
            provider_reason="/".join(part for part in (kind, subtype) if part),
            smtp_diagnostic=as_text(entry.get("diagnosticCode")) or as_text(entry.get("status")),
            **fields,
            **common,
        )

    return _per_recipient(bounce.get("bouncedRecipients"), event)


def _complaint(body: dict, mail: dict, published: object) -> tuple[Outcome, ...]:
    complaint = _section(body, "complaint")
    occurred_at = _occurred_at(complaint.get("timestamp"), published)
    subtype = as_text(complaint.get("complaintSubType"))
    if subtype in _SUPPRESSED:
        fields = {"event": vocab.NOT_SENT, "reason": vocab.PREVIOUS_SPAM}
    else:
        fields = {"event": vocab.SPAM_COMPLAINT}
    feedback_id = as_text(complaint.get("feedbackId"))
    common = _common(mail)

    def event(address: str, _entry: object) -> Event:
        return Event(
            email=address,
            occurred_at=occurred_at,
            provider_event_id=f"{feedback_id}:complaint:{address}" if feedback_id else None,
            provider_reason=as_text(complaint.get("complaintFeedbackType")) or subtype,
            **fields,
            **common,
        )

    return _per_recipient(complaint.get("complainedRecipients"), event)


def _delivery(body: dict, mail: dict, published: object) -> tuple[Outcome, ...]:
    delivery = _section(body, "delivery")
    occurred_at = _occurred_at(delivery.get("timestamp"), published)
    common = _common(mail)
    message_id = common["message_id"]

    def event(address: str, _entry: object) -> Event:
        return Event(
            email=address,
            event=vocab.DELIVERED,
            occurred_at=occurred_at,
            provider_event_id=f"{message_id}:delivery:{address}" if message_id else None,
            smtp_diagnostic=as_text(delivery.get("smtpResponse")),
            **common,
        )

    return _per_recipient(delivery.get("recipients"), event)


def _send(_body: dict, mail: dict, published: object) -> tuple[Outcome, ...]:
    occurred_at = _occurred_at(mail.get("timestamp"), published)
    common = _common(mail)
    message_id = common["message_id"]

    def event(address: str, _entry: object) -> Event:
        return Event(
            email=address,
            event=vocab.SENT,
            occurred_at=occurred_at,
            provider_event_id=f"{message_id}:send:{address}" if message_id else None,
            **common,
        )

    return _per_recipient(mail.get("destination"), event)


def _subscription(body: dict, mail: dict, published: object) -> tuple[Outcome, ...]:
    subscription = _section(body, "subscription")
    change = _consent_change(subscription)
    if change is None:
        return (Ignored("cambio de preferencias por tema, sin baja de toda la lista"),)
    stamp = subscription.get("timestamp")
    if _missing(stamp):
        stamp = published
    occurred_at = _occurred_at(stamp)
    recipients = mail.get("destination")
    if isinstance(recipients, list) and len(recipients) > 1:
        raise Unreadable(
            f"cambio de suscripción de un correo con {len(recipients)} "
            "destinatarios: no se sabe cuál de ellos fue"
        )
    common = _common(mail)
    message_id = common["message_id"]

    def event(address: str, _entry: object) -> Event:
        return Event(
            email=address,
            event=change,
            occurred_at=occurred_at,
            provider_event_id=(
                f"{message_id}:subscription:{address}:{stamp}" if message_id else None
            ),
            provider_reason=as_text(subscription.get("source")),
            **common,
        )

    return _per_recipient(recipients, event)


def _consent_change(subscription: dict) -> str | None:
    """unsubscribed / resubscribed when `unsubscribeAll` switched, else None (topics only)."""
    new = subscription.get("newTopicPreferences")
    if not isinstance(new, dict):
        raise Unreadable("faltan las preferencias nuevas (newTopicPreferences)")
    old = subscription.get("oldTopicPreferences")
    was_out = isinstance(old, dict) and old.get("unsubscribeAll") is True
    if new.get("unsubscribeAll") is True and not was_out:
        return vocab.UNSUBSCRIBED
    if new.get("unsubscribeAll") is False and was_out:
        return vocab.RESUBSCRIBED
    return None


def _reject(body: dict, _mail: dict, _published: object) -> tuple[Outcome, ...]:
    reject = body.get("reject")
    detail = (isinstance(reject, dict) and as_text(reject.get("reason"))) or "sin motivo"
    raise Unreadable(f"SES rechazó el envío ({detail}): {_NOT_RASTRO_REASON}")


def _rendering_failure(body: dict, _mail: dict, _published: object) -> tuple[Outcome, ...]:
    failure = body.get("failure")
    detail = (isinstance(failure, dict) and as_text(failure.get("errorMessage"))) or "sin detalle"
    raise Unreadable(
        f"SES no pudo componer el correo con la plantilla ({detail}): {_NOT_RASTRO_REASON}"
    )


_HANDLERS: dict[str, Callable[[dict, dict, object], tuple[Outcome, ...]]] = {
    "Bounce": _bounce,
    "Complaint": _complaint,
    "Delivery": _delivery,
    "Send": _send,
    "Subscription": _subscription,
    "Reject": _reject,
    "Rendering Failure": _rendering_failure,
    "RenderingFailure": _rendering_failure,  # the SES v2 API's spelling
}


# --- parts of a notification -----------------------------------------------------------------


def _occurred_at(value: object, published: object = None) -> datetime:
    """A date as this provider writes it: always with its offset (values.moment). A missing
    one is when SNS published the notification (`published`, the envelope's `Timestamp`), if
    it came in an envelope: SNS publishes it as SES reports the event, and a real bounce or
    complaint is not thrown away for want of a date. A date that is there but unreadable is
    not replaced: it is refused."""
    if _missing(value):
        value = published
    return moment(value, naive_is_utc=False)


def _missing(value: object) -> bool:
    return value is None or value == ""


def _section(body: dict, name: str) -> dict:
    """The notification's object for its kind (`bounce`, `delivery`...); missing is unreadable."""
    section = body.get(name)
    if not isinstance(section, dict):
        raise Unreadable(f"falta el objeto «{name}»")
    return section


def _per_recipient(
    recipients: object,
    event: Callable[[str, object], Event],
) -> tuple[Outcome, ...]:
    """One event per recipient (a string, or an object with `emailAddress`)."""
    if not isinstance(recipients, list) or not recipients:
        raise Unreadable("falta el destinatario")
    outcomes: list[Outcome] = []
    for entry in recipients:
        address = entry.get("emailAddress") if isinstance(entry, dict) else entry
        if isinstance(address, str) and address.strip():
            outcomes.append(event(address, entry))
        else:
            outcomes.append(Rejected("falta el destinatario"))
    return tuple(outcomes)


def _common(mail: dict) -> dict:
    """message_id, origin, campaign_external_id and campaign_name from the `mail` object."""
    tags = mail.get("tags")
    tags = tags if isinstance(tags, dict) else {}
    return {
        "message_id": as_text(mail.get("messageId")),
        **campaign_fields(
            _tag(tags, "origin"),
            _tag(tags, "campaign_id"),
            _tag(tags, "campaign_name"),
        ),
    }


def _tag(tags: dict, name: str) -> object:
    """A tag's value: SES gives each tag as a list of values; the first one counts."""
    value = tags.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value
