"""The status policy (the suppression rules of DESIGN.md), as one pure module.

From a contact's address and its events in time order it says whether the contact can be sent
to now and, if not, why, since when, and which event caused it. The card, the reports, the
ingestion and the demo generator all use this module, so they can never disagree.

Rules (thresholds in `PolicyConfig`):
- `invalid_address`: the address fails the syntax check of `email-validator` (no network), or a
  provider reported the address as invalid (a `not_sent` event with that reason). Forever.
- `previous_spam`: the contact filed a spam complaint (or a provider dropped an email because
  of an earlier complaint). Forever.
- `previous_bounce`: one hard bounce (forever), or `soft_threshold` soft bounces among its last
  `soft_window` sends with no delivery between; a delivery clears the soft-bounce block.
  `undetermined` bounces count as soft. A provider drop because of earlier bounces blocks too,
  until a delivery.
- `unsubscribed`: an unsubscribe (or a provider drop for that reason) not followed by a
  re-subscription.

Lifting a block (`block_lifted` events, written by an administrator with a comment; `reason` is
the reason lifted): a lift clears that reason as it stands at the lift's time, and nothing
else; what happens afterwards counts as usual.
- `previous_bounce` may be lifted (a false positive: the mailbox works again). It clears the
  hard bounce, the soft-bounce count and a provider drop; a later hard bounce, or
  `soft_threshold` later soft bounces, block again.
- `previous_spam` and `unsubscribed` may be lifted only with the contact's renewed consent
  (`renewed_consent` true on the event); a lift without it changes nothing. A later complaint
  or unsubscribe (or a provider drop for that reason) blocks again.
- `invalid_address` cannot be lifted (the address is corrected in the CRM): such a lift changes
  nothing. `lift_refusal` says beforehand why a lift would change nothing.

A block by soft bounces also says how many soft bounces among how many sends met the rule
(`Block.soft_bounces`, `Block.sends`), the evidence the card shows.

Several reasons at once: all are reported, in the order of `REASON_PRIORITY`, from the most
permanent to the most reversible (invalid address, spam, bounces, unsubscribe); the first is
the one the card shows first. Each block's `since` is when that reason started to hold and
`cause` the event that made it hold (for an invalid address: no event; `since` is the contact's
creation when known).

Sends, for the soft-bounce window, are the events with an outcome: `delivered` and `bounced`.
`not_sent` events record a consequence; they add evidence only for a reason that did not hold
yet (a provider's own suppression list), so replaying Rastro's own history is stable.
"""

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import email_validator
import polars as pl
from email_validator import EmailNotValidError, validate_email

from . import vocab

REASON_PRIORITY = (
    vocab.INVALID_ADDRESS,
    vocab.PREVIOUS_SPAM,
    vocab.PREVIOUS_BOUNCE,
    vocab.UNSUBSCRIBED_REASON,
)


@dataclass(frozen=True)
class PolicyConfig:
    """Thresholds of the soft-bounce rule: `soft_threshold` soft bounces in the last
    `soft_window` sends with no delivery between."""

    soft_threshold: int = 3
    soft_window: int = 5

    def __post_init__(self):
        if not 1 <= self.soft_threshold <= self.soft_window:
            raise ValueError("se necesita 1 <= soft_threshold <= soft_window")


DEFAULT_CONFIG = PolicyConfig()


@dataclass(frozen=True)
class Block:
    """One reason why the contact cannot be sent to."""

    reason: str
    since: datetime | None
    cause: Any = None  # the event that made the reason hold (whatever the caller passed in)
    # A block by soft bounces: how many soft bounces there were among the last `sends` sends
    # (no delivery between) when the rule was met; None for every other block.
    soft_bounces: int | None = None
    sends: int | None = None


@dataclass(frozen=True)
class Verdict:
    """The policy's answer: `blocks` is empty when the contact can be sent to."""

    blocks: tuple[Block, ...] = field(default_factory=tuple)

    @property
    def can_send(self) -> bool:
        return not self.blocks

    @property
    def primary(self) -> Block | None:
        return self.blocks[0] if self.blocks else None

    @property
    def reason(self) -> str | None:
        return self.blocks[0].reason if self.blocks else None


# Most addresses are plain ASCII ones that the validator accepts after a Unicode check of the
# domain that costs ~50 µs an address (5 s for an import of 100,000 new contacts). An address
# of this narrow shape is one the validator always accepts (tests/unit/test_address_shape.py
# holds the two to that); every other address goes to the validator.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:{_LABEL}\.)+[a-z]{{2,63}}")


def is_plainly_valid(address: str) -> bool:
    """True for a lower-case ASCII address of the most common shape that the validator is
    sure to accept (False means "ask the validator", not "invalid")."""
    if len(address) > 254 or not _PLAIN_ADDRESS.fullmatch(address):
        return False
    local, _, domain = address.rpartition("@")
    if len(local) > 64 or len(domain) > 253 or "--" in domain:
        return False
    return not any(
        domain == name or domain.endswith("." + name)
        for name in email_validator.SPECIAL_USE_DOMAIN_NAMES
    )


@lru_cache(maxsize=65536)
def is_valid_address(address: str) -> bool:
    """Syntax check with email-validator; no DNS look-up, so it works offline and is stable."""
    if is_plainly_valid(address):
        return True
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


class StatusTracker:
    """The policy as a state machine: feed events in time order with `apply`, read `verdict`.

    `apply` takes plain values so that the demo generator can drive millions of events; `ref`
    is returned as the block's `cause` (an id, an index or the event itself).
    """

    __slots__ = (
        "_hard",
        "_invalid",
        "_provider_bounce",
        "_recent",
        "_soft",
        "_spam",
        "_unsub",
        "config",
    )

    def __init__(
        self,
        address: str,
        *,
        created_at: datetime | None = None,
        config: PolicyConfig = DEFAULT_CONFIG,
        address_valid: bool | None = None,
    ):
        self.config = config
        valid = is_valid_address(address) if address_valid is None else address_valid
        self._invalid: Block | None = (
            None if valid else Block(vocab.INVALID_ADDRESS, created_at, None)
        )
        self._spam: Block | None = None
        self._hard: Block | None = None
        self._soft: Block | None = None
        self._provider_bounce: Block | None = None
        self._unsub: Block | None = None
        # Outcomes of the last sends since the last delivery: True for a soft bounce.
        self._recent: deque[bool] = deque(maxlen=config.soft_window)

    def apply(
        self,
        event: str,
        occurred_at: datetime | None,
        *,
        bounce_type: str | None = None,
        reason: str | None = None,
        ref: Any = None,
        renewed_consent: bool = False,
    ) -> None:
        if event == vocab.DELIVERED:
            self._recent.clear()
            self._soft = None
            self._provider_bounce = None
        elif event == vocab.BOUNCED:
            if bounce_type == vocab.HARD:
                if self._hard is None:
                    self._hard = Block(vocab.PREVIOUS_BOUNCE, occurred_at, ref)
                self._recent.append(False)
            else:
                self._recent.append(True)
                soft = sum(self._recent)
                if self._soft is None and soft >= self.config.soft_threshold:
                    self._soft = Block(
                        vocab.PREVIOUS_BOUNCE,
                        occurred_at,
                        ref,
                        soft_bounces=soft,
                        sends=len(self._recent),
                    )
        elif event == vocab.SPAM_COMPLAINT:
            if self._spam is None:
                self._spam = Block(vocab.PREVIOUS_SPAM, occurred_at, ref)
        elif event == vocab.UNSUBSCRIBED:
            if self._unsub is None:
                self._unsub = Block(vocab.UNSUBSCRIBED_REASON, occurred_at, ref)
        elif event == vocab.RESUBSCRIBED:
            self._unsub = None
        elif event == vocab.NOT_SENT:
            self._apply_provider_drop(reason, occurred_at, ref)
        elif event == vocab.BLOCK_LIFTED:
            self._apply_lift(reason, renewed_consent)

    def _apply_lift(self, reason, renewed_consent) -> None:
        if reason == vocab.PREVIOUS_BOUNCE:
            self._hard = self._soft = self._provider_bounce = None
            self._recent.clear()
        elif reason in vocab.CONSENT_REASONS and renewed_consent:
            if reason == vocab.PREVIOUS_SPAM:
                self._spam = None
            else:
                self._unsub = None

    def _apply_provider_drop(self, reason, occurred_at, ref) -> None:
        block = Block(reason, occurred_at, ref)
        if reason == vocab.INVALID_ADDRESS and self._invalid is None:
            self._invalid = block
        elif reason == vocab.PREVIOUS_SPAM and self._spam is None:
            self._spam = block
        elif reason == vocab.UNSUBSCRIBED_REASON and self._unsub is None:
            self._unsub = block
        elif (
            reason == vocab.PREVIOUS_BOUNCE
            and self._hard is None
            and self._soft is None
            and self._provider_bounce is None
        ):
            self._provider_bounce = block

    @property
    def can_send(self) -> bool:
        return not (
            self._invalid
            or self._spam
            or self._hard
            or self._soft
            or self._provider_bounce
            or self._unsub
        )

    def verdict(self) -> Verdict:
        # Bounces are one reason; report the block that started first.
        bounces = [b for b in (self._hard, self._soft, self._provider_bounce) if b is not None]
        bounce = min(bounces, key=_since_key) if bounces else None
        blocks = (self._invalid, self._spam, bounce, self._unsub)
        return Verdict(tuple(b for b in blocks if b is not None))


# Why a lift cannot be done (`lift_refusal`).
NOT_LIFTABLE = "not_liftable"  # invalid_address: corrected in the CRM, never lifted
CONSENT_REQUIRED = "consent_required"  # spam report or unsubscribe without renewed consent
NOT_BLOCKED = "not_blocked"  # that reason does not block the contact now


def lift_refusal(reason: str, verdict: Verdict, *, renewed_consent: bool = False) -> str | None:
    """Why lifting `reason` from a contact with this `verdict` would change nothing (one of the
    codes above), or None when the lift is allowed and clears that reason."""
    if reason not in vocab.LIFTABLE_REASONS:
        return NOT_LIFTABLE
    if reason not in {b.reason for b in verdict.blocks}:
        return NOT_BLOCKED
    if reason in vocab.CONSENT_REASONS and not renewed_consent:
        return CONSENT_REQUIRED
    return None


def _since_key(block: Block):
    return (block.since is None, block.since or datetime.min)


def evaluate(
    address: str,
    events: Iterable[Any],
    *,
    created_at: datetime | None = None,
    config: PolicyConfig = DEFAULT_CONFIG,
) -> Verdict:
    """The verdict for a contact, from its address and its events in time order.

    Each event is a mapping or an object with `event`, `occurred_at` and optionally
    `bounce_type`, `reason` and (lifts) `renewed_consent`; it is returned as the `cause` of
    the block it made.
    """
    tracker = StatusTracker(address, created_at=created_at, config=config)
    apply = tracker.apply
    for item in events:
        if isinstance(item, dict):
            get = item.get
            apply(
                get("event"),
                get("occurred_at"),
                bounce_type=get("bounce_type"),
                reason=get("reason"),
                ref=item,
                renewed_consent=bool(get("renewed_consent")),
            )
        else:  # a database row (status refresh: thousands of them per import)
            apply(
                getattr(item, "event", None),
                getattr(item, "occurred_at", None),
                bounce_type=getattr(item, "bounce_type", None),
                reason=getattr(item, "reason", None),
                ref=item,
                renewed_consent=bool(getattr(item, "renewed_consent", False)),
            )
    return tracker.verdict()


def plainly_valid_series(addresses: pl.Series) -> pl.Series:
    """is_plainly_valid() of each address, a column at a time (None is False; tests hold the
    two equal)."""
    special = "|".join(re.escape(name) for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)
    address = pl.col("address")
    frame = addresses.rename("address").to_frame()
    frame = frame.with_columns(
        length=address.str.len_chars(),
        domain_length=address.str.extract(r"@([^@]*)$", 1).str.len_chars(),
    )
    plain = (
        address.str.contains(f"^(?:{_PLAIN_ADDRESS.pattern})$")
        & (pl.col("length") <= 254)
        & (pl.col("length") - pl.col("domain_length") - 1 <= 64)
        & (pl.col("domain_length") <= 253)
        # "--" anywhere in the domain: the local part of a plain address has no "@"
        & ~address.str.contains(r"@[^@]*--")
        # the domain is a special-use name or ends with "." and one
        & ~address.str.contains(f"[@.](?:{special})$")
    )
    return frame.select(plain.fill_null(False).alias("address"))["address"]
