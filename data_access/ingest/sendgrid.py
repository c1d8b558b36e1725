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
`sg_message_id` the message_id. Values are read as `values` says: dates need their offset,
text is kept as written.

A webhook batch (a JSON array) is read column by column (`parse_columns`, for big files) and
anything else record by record (`parse`); both map an event with the same function,
`_event_fields`.
"""

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from operator import attrgetter

import msgspec
import polars as pl

from data_access import vocab
from data_access.ingest.json_records import Dumped, loads, parse_events
from data_access.ingest.model import (
    EVENT_FRAME_SCHEMA,
    Columns,
    Event,
    FormatError,
    Ignored,
    Outcome,
    Record,
    Rejected,
    event_frame,
)
from data_access.ingest.values import (
    EARLIEST_SECONDS,
    LATEST_SECONDS,
    Unreadable,
    as_text,
    moment,
    origin,
)
from data_access.text import strip_expr

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
        empty=FormatError("no hay ningún evento en el fichero", key="sendgrid_empty"),
        foreign=FormatError(
            "no parece un fichero de eventos de SendGrid: ningún objeto tiene «event» junto "
            "a «email», «timestamp» o «sg_event_id»",
            key="sendgrid_foreign",
        ),
    )


def _looks_like_sendgrid(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("event"), str)
        and any(name in value for name in _SENDGRID_FIELDS)
    )


# --- one event -------------------------------------------------------------------------------


class _Fields(msgspec.Struct, gc=False):
    """The fields Rastro reads from a SendGrid event. A webhook batch is decoded straight into
    these, with the types it gives them: another type anywhere (a float timestamp, a list...)
    makes the decoder refuse the batch, and `parse` then reads it record by record. Read
    record by record, the fields hold whatever JSON values the event has."""

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


_FIELD_NAMES = _Fields.__struct_fields__


def _outcomes(value: object) -> tuple[Outcome]:
    """What one event object means for Rastro (one outcome)."""
    try:
        return (_event(value),)
    except Unreadable as error:
        return (Rejected(str(error)),)


def _event(value: object) -> Event | Ignored:
    if not isinstance(value, dict):
        raise Unreadable("se esperaba un objeto JSON")
    name = value.get("event")
    if not isinstance(name, str) or not name.strip():
        raise Unreadable("falta el evento")
    if name in _IGNORED:
        return Ignored(_IGNORED[name])
    fields = _Fields(*(value.get(key) for key in _FIELD_NAMES))
    return Event(*_event_fields(fields, _occurred_at, _campaign))


def _occurred_at(value: object) -> datetime:
    """A date as this provider writes it: always with its offset (values.moment)."""
    return moment(value, naive_is_utc=False)


def _event_fields(
    f: _Fields, occurred_at: Callable[[object], object], campaign: Callable[[_Fields], tuple]
) -> tuple:
    """What a SendGrid delivery event means: Event's fields in model.EVENT_FIELDS order, with
    `occurred_at(f.timestamp)` and `campaign(f)` (origin, campaign id and name). Unreadable
    when it cannot be understood, for the first reason in this order: the event name, its
    bounce type or drop reason, the recipient, the date."""
    name = f.event
    response = as_text(f.response)
    bounce_type = drop_reason = None
    if name in _SIMPLE_EVENTS:
        event, smtp_diagnostic = _SIMPLE_EVENTS[name], response
    elif name == "bounce":
        event, bounce_type = vocab.BOUNCED, _bounce_type(f.type)
        # A bounce's `reason` is the receiving server's SMTP reply when it comes with a `status`.
        smtp_reply = as_text(f.reason) if f.status else None
        smtp_diagnostic = response or smtp_reply
    elif name == "dropped":
        event, smtp_diagnostic = vocab.NOT_SENT, None
        drop_reason = _drop_reason(f.reason)
    else:
        raise Unreadable(f"evento desconocido: {name}")
    email = f.email
    if not isinstance(email, str) or not email.strip():
        raise Unreadable("falta el destinatario")
    return (
        email,
        event,
        occurred_at(f.timestamp),
        as_text(f.sg_event_id),
        as_text(f.sg_message_id),
        bounce_type,
        drop_reason,
        as_text(f.reason),
        smtp_diagnostic,
        *campaign(f),
    )


def _bounce_type(kind: object) -> str:
    if kind is None:
        return vocab.HARD  # no `type` (as in SendGrid's batch example): a bounce, not a block
    if isinstance(kind, str) and kind.strip().lower() in _BOUNCE_TYPES:
        return _BOUNCE_TYPES[kind.strip().lower()]
    raise Unreadable(f"tipo de rebote desconocido: {kind}")


def _drop_reason(reason: object) -> str:
    """Rastro's not-sent reason for SendGrid's drop reason text."""
    if not isinstance(reason, str) or not reason.strip():
        raise Unreadable("falta el motivo del descarte")
    key = " ".join(reason.split()).lower()
    if key in _DROP_REASONS:
        return _DROP_REASONS[key]
    # "Invalid email address" is about the address; "Invalid SMTPAPI header" is not.
    if key.startswith("invalid") and ("address" in key or "email" in key):
        return vocab.INVALID_ADDRESS
    raise Unreadable(f"motivo de descarte desconocido: {reason}")


def _campaign(f: _Fields) -> tuple:
    """(origin, campaign_external_id, campaign_name) from the custom args (never guessed)."""
    said = origin(f.origin)
    marketing_id = as_text(f.marketing_campaign_id)
    if said is None and marketing_id is not None:
        return "campaign", marketing_id, as_text(f.marketing_campaign_name)
    return said, as_text(f.campaign_id), as_text(f.campaign_name)


# --- a whole batch, column by column ---------------------------------------------------------

_LOOKS_LIKE_ARRAY = re.compile(r"\s*\[")
_DECODE = msgspec.json.Decoder(list[_Fields]).decode
# The Unix seconds `moment` reads, as the whole seconds of a batch's `timestamp`.
_EARLIEST = int(EARLIEST_SECONDS)
_LATEST = int(LATEST_SECONDS)


class _PerRecord(Exception):
    """This record is read by `parse`'s own code, one record at a time."""


def parse_columns(text: str) -> Columns | None:
    """The same outcomes as `parse`, for a webhook batch (a JSON array), read column by column:
    the plain events a batch mostly holds are mapped as `_event_fields` maps them, each rule
    run on whole columns or once per distinct value; any other record is left to
    `_outcomes`, the per-record path. None when the text is not such a batch (then `parse`
    reads it, and judges it)."""
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
    fields = _field_columns(batch)
    if fields is None:  # a value that only Python reads as `_event_fields` does
        return _row_by_row(batch, whole)
    return _by_columns(fields, whole)


def _field_columns(batch: list[_Fields]) -> pl.DataFrame | None:
    """The fields of every event as columns: texts as `as_text` gives them where `_event_fields`
    reads them so (ids of either type included), the others as written; None when a value
    fits no column (an integer beyond 64 bits)."""
    columns = {}
    for name in _FIELD_NAMES:
        values = list(map(attrgetter(name), batch))
        if name == "timestamp":
            try:
                columns[name] = pl.Series(name, values, dtype=pl.Int64, strict=True)
            except (TypeError, OverflowError):
                return None
            continue
        try:
            column = pl.Series(name, values, dtype=pl.Utf8, strict=True)
        except TypeError:  # integers among the texts (only where the type says str | int)
            try:
                column = pl.Series(name, [as_text(v) for v in values], dtype=pl.Utf8)
            except ValueError:  # an integer too long for str()
                return None
        columns[name] = column
    frame = pl.DataFrame(columns)
    blank_is_none = [
        pl.when(strip_expr(pl.col(name)) != "").then(pl.col(name)).alias(f"{name}_text")
        for name in _AS_TEXT
    ]
    return frame.with_columns(blank_is_none)


# The fields `_event_fields` reads through `as_text` (non-blank text or nothing).
_AS_TEXT = (
    "response",
    "reason",
    "sg_event_id",
    "sg_message_id",
    "marketing_campaign_id",
    "marketing_campaign_name",
    "campaign_id",
    "campaign_name",
)
_REFUSED = "\x00"  # what `_each_distinct` gives a value its rule refuses (no rule says it)
_EVENT_WORDS = {**_SIMPLE_EVENTS, "bounce": vocab.BOUNCED, "dropped": vocab.NOT_SENT}


def _each_distinct(column: pl.Series, rule: Callable, where: pl.Series) -> pl.Series:
    """rule(value) for the values of `column` where `where`, called once per distinct value;
    _REFUSED where the rule finds the value Unreadable (and on the rows not asked about)."""

    def judged(value):
        try:
            return rule(value)
        except Unreadable:
            return _REFUSED

    asked = column.filter(where)
    mapping = {value: judged(value) for value in asked.drop_nulls().unique().to_list()}
    none = judged(None) if asked.null_count() else _REFUSED
    frame = column.rename("value").to_frame()
    mapped = (
        pl.col("value").replace_strict(mapping, default=_REFUSED, return_dtype=pl.Utf8)
        if mapping
        else pl.lit(_REFUSED, pl.Utf8)
    )
    value = pl.col("value")
    judged_all = pl.when(value.is_null()).then(pl.lit(none, pl.Utf8)).otherwise(mapped)
    return frame.select(judged_all.alias("value"))["value"]


def _by_columns(fields: pl.DataFrame, whole: "_Whole") -> Columns:
    """Columns from the field columns: every rule of `_event_fields` on whole columns."""
    name = fields["event"]
    ignored = name.is_in(list(_IGNORED)).fill_null(False)
    bounce, dropped = name == "bounce", name == "dropped"
    bounce_types = _each_distinct(fields["type"], _bounce_type, bounce)
    drop_reasons = _each_distinct(fields["reason"], _drop_reason, dropped)
    origins = _each_distinct(fields["origin"], origin, pl.Series([True] * fields.height))
    frame = fields.with_columns(
        said=origins,
        bounce_type=bounce_types,
        drop_reason=drop_reasons,
        position=pl.int_range(1, fields.height + 1, dtype=pl.Int64),
    )
    event, seconds, email = pl.col("event"), pl.col("timestamp"), pl.col("email")
    plain = (
        seconds.is_not_null()
        & (seconds > _EARLIEST)
        & (seconds < _LATEST)
        & event.is_in(list(_EVENT_WORDS))
        & ((event != "bounce") | (pl.col("bounce_type") != _REFUSED))
        & ((event != "dropped") | (pl.col("drop_reason") != _REFUSED))
        & email.is_not_null()
        & (strip_expr(email) != "")
    )
    frame = frame.filter(~ignored).with_columns(plain=plain.fill_null(False))
    is_bounce, is_drop = event == "bounce", event == "dropped"
    status_given = pl.col("status").is_not_null() & (pl.col("status") != "")
    smtp_reply = pl.when(status_given).then(pl.col("reason_text"))
    marketing = pl.col("said").is_null() & pl.col("marketing_campaign_id_text").is_not_null()
    events = frame.filter("plain").select(
        "position",
        item=pl.lit(1, pl.Int64),
        email=email,
        event=event.replace_strict(_EVENT_WORDS, return_dtype=pl.Utf8),
        occurred_at=(seconds * 1_000_000).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        provider_event_id="sg_event_id_text",
        message_id="sg_message_id_text",
        bounce_type=pl.when(is_bounce).then("bounce_type"),
        reason=pl.when(is_drop).then("drop_reason"),
        provider_reason="reason_text",
        smtp_diagnostic=pl.when(is_drop)
        .then(None)
        .when(is_bounce)
        .then(pl.coalesce("response_text", smtp_reply))
        .otherwise("response_text"),
        origin=pl.when(marketing).then(pl.lit("campaign")).otherwise("said"),
        campaign_external_id=pl.when(marketing)
        .then("marketing_campaign_id_text")
        .otherwise("campaign_id_text"),
        campaign_name=pl.when(marketing)
        .then("marketing_campaign_name_text")
        .otherwise("campaign_name_text"),
    )
    others = []
    for position in frame.filter(~pl.col("plain"))["position"].to_list():
        value = whole.value(position)
        others.append(Record(position, Dumped(value), _outcomes(value)))
    return Columns(
        events=events.cast(EVENT_FRAME_SCHEMA),
        raw=whole.raw,
        ignored=int(ignored.sum()),
        records=others,
    )


def _row_by_row(batch: list[_Fields], whole: "_Whole") -> Columns:
    """Columns from the decoded events one at a time (a batch whose values fit no column)."""
    rows, others, ignored = [], [], 0
    campaigns: dict = {}

    def campaign(f: _Fields) -> tuple:
        key = (
            f.origin,
            f.marketing_campaign_id,
            f.marketing_campaign_name,
            f.campaign_id,
            f.campaign_name,
        )
        found = campaigns.get(key)
        if found is None:
            found = campaigns[key] = _campaign(f)
        return found

    for position, f in enumerate(batch, start=1):
        if f.event in _IGNORED:
            ignored += 1
            continue
        try:
            seconds = f.timestamp
            # A date `moment` would refuse, or one to check as it does: read by `parse`.
            if seconds is None or not _EARLIEST < seconds < _LATEST:
                raise _PerRecord
            rows.append((position, 1, *_event_fields(f, _seconds, campaign)))
        except (_PerRecord, ValueError):  # Unreadable, or an integer id too long for str()
            value = whole.value(position)
            others.append(Record(position, Dumped(value), _outcomes(value)))
    return Columns(
        events=event_frame(rows, unix_seconds=True), raw=whole.raw, ignored=ignored, records=others
    )


def _seconds(seconds: int) -> int:
    """A batch's timestamp as it is: `event_frame` makes the moments of the whole column."""
    return seconds


class _Whole:
    """The batch as the json module reads it (what `parse` sees), decoded only if a record
    needs it: one read by `_outcomes`, or the raw text of one for the quarantine."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._values: list | None = None

    def value(self, position: int) -> object:
        if self._values is None:
            self._values = loads(self._text)
        return self._values[position - 1]

    def raw(self, position: int) -> str:
        return Dumped(self.value(position))()
