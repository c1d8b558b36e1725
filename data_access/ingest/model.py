"""What a provider parser produces: records in file order, each with its outcomes.

A parser module (`data_access/ingest/<provider>.py`) exposes

    parse(text: str) -> Iterator[Record]

and raises `FormatError` (Spanish message) when the file is not that provider's format at all
(nothing in it is recognisable). Everything else is per record: a record that cannot be read
(broken JSON, missing recipient, unknown event name, impossible date...) yields a `Rejected`
outcome and the parser goes on with the next record.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import polars as pl


class ImportRefused(ValueError):
    """Nothing of the file was stored, for the reason in the message (Spanish: what the CLI
    prints). `key` names the reason in the dashboard's catalogue (`import.refused.<key>`, in
    Spanish and English) and `params` are the values its text is filled with, so that the app
    can say it in the reader's language."""

    def __init__(self, message: str, *, key: str | None = None, **params) -> None:
        super().__init__(message)
        self.key = key
        self.params = params


class FormatError(ImportRefused):
    """The whole file is not in the named provider's format (message in Spanish)."""


class ConcurrentImport(ImportRefused):
    """Another import stored events while this one ran: nothing of this file was stored."""

    def __init__(self) -> None:
        super().__init__(
            "otra importación guardó eventos a la vez; no se guardó nada de este archivo: "
            "vuelve a importarlo",
            key="concurrent_import",
        )


@dataclass(slots=True)  # not frozen: a frozen dataclass costs ~1.6 µs more to create
class Event:
    """One delivery event, normalised to the words of DESIGN.md (data_access.vocab)."""

    email: str  # the recipient as the provider wrote it (the store normalises it)
    event: str  # vocab.EVENTS: sent, delivered, bounced, spam_complaint, not_sent, ...
    occurred_at: datetime  # timezone-aware
    provider_event_id: str | None = None  # the provider's own id; None: the store hashes
    message_id: str | None = None
    bounce_type: str | None = None  # hard / soft / undetermined, for bounced
    reason: str | None = None  # vocab.REASONS, for not_sent
    provider_reason: str | None = None  # the provider's raw reason or classification
    smtp_diagnostic: str | None = None  # the SMTP reply / diagnostic code text
    origin: str | None = None  # campaign / automation, from the provider's custom data
    campaign_external_id: str | None = None  # the CRM's campaign or flow id
    campaign_name: str | None = None
    # A not_sent that is only evidence of a block, not a send the provider skipped (Postmark's
    # SubscriptionChange after a hard bounce or a complaint): the store counts it as ignored
    # when the contact already has the event that causes that block (a hard bounce for
    # previous_bounce, a spam complaint for previous_spam), in the database or in the file.
    evidence_only: bool = False


@dataclass(frozen=True)
class Ignored:
    """Received but not a delivery event (opens, clicks, inbound mail, deferrals...)."""

    reason: str


@dataclass(frozen=True)
class Rejected:
    """Could not be understood: goes to the quarantine with this reason (Spanish)."""

    reason: str


Outcome = Event | Ignored | Rejected


@dataclass(frozen=True)
class Record:
    position: int  # 1-based: line number (JSON lines, CSV) or index in the array / file
    # The record's text as received (for the quarantine), or a function that makes it: most
    # records are stored and never need their text, and rebuilding it costs time.
    raw: str | Callable[[], str]
    outcomes: tuple[Outcome, ...] = field(default_factory=tuple)


def raw_text(record: Record) -> str:
    return record.raw if isinstance(record.raw, str) else record.raw()


# The events of a file read column by column (`parse_columns`), one row per event, in the order
# of the file; what the columns mean is what Event's fields mean.
EVENT_FRAME_SCHEMA = {
    "position": pl.Int64,
    "item": pl.Int64,
    "email": pl.Utf8,
    "event": pl.Utf8,
    "occurred_at": pl.Datetime("us", "UTC"),
    "provider_event_id": pl.Utf8,
    "message_id": pl.Utf8,
    "bounce_type": pl.Utf8,
    "reason": pl.Utf8,
    "provider_reason": pl.Utf8,
    "smtp_diagnostic": pl.Utf8,
    "origin": pl.Utf8,
    "campaign_external_id": pl.Utf8,
    "campaign_name": pl.Utf8,
}
EVENT_FIELDS = tuple(EVENT_FRAME_SCHEMA)[2:]


@dataclass
class Columns:
    """A file read column by column: the same outcomes as its records, faster for big files.

    events: the records that are one plain event each (EVENT_FRAME_SCHEMA, item 1).
    raw: the text of the record at a position (for the quarantine).
    ignored: how many records were ignored (opens, clicks...).
    records: the other records, read one by one as `parse` reads them.
    """

    events: pl.DataFrame
    raw: Callable[[int], str]
    ignored: int = 0
    records: list[Record] = field(default_factory=list)

    @property
    def received(self) -> int:
        return self.events.height + self.ignored + sum(len(r.outcomes) for r in self.records)


def event_frame(rows: list[tuple], *, unix_seconds: bool = False) -> pl.DataFrame:
    """EVENT_FRAME_SCHEMA from (position, item, *EVENT_FIELDS) tuples; occurred_at is an aware
    datetime, or whole Unix seconds if `unix_seconds` (a webhook batch's timestamps, which
    need no datetime made for each event)."""
    columns = list(zip(*rows)) if rows else [()] * len(EVENT_FRAME_SCHEMA)
    # Column by column, and the moments as microseconds since 1970: several times faster than
    # polars converting rows and aware datetimes itself.
    series = []
    for (name, dtype), column in zip(EVENT_FRAME_SCHEMA.items(), columns):
        if name == "occurred_at":
            if unix_seconds:
                micros = pl.Series(name, column, dtype=pl.Int64) * 1_000_000
            else:
                micros = pl.Series(name, [(m - _EPOCH) // _MICROSECOND for m in column], pl.Int64)
            series.append(micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))
        else:
            series.append(pl.Series(name, column, dtype=dtype))
    return pl.DataFrame(series)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
