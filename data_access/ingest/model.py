"""What a provider parser produces: records in file order, each with its outcomes.

A parser module (`data_access/ingest/<provider>.py`) exposes

    parse(text: str) -> Iterator[Record]

and raises `FormatError` (Spanish message) when the file is not that provider's format at all
(nothing in it is recognisable). Everything else is per record: a record that cannot be read
(broken JSON, missing recipient, unknown event name, impossible date...) yields a `Rejected`
outcome and the parser goes on with the next record.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable


class FormatError(ValueError):
    """The whole file is not in the named provider's format (message in Spanish)."""


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
