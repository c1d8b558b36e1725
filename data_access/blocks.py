"""Blocked contacts (the "Bloqueados" page and `python -m data_access blocks`), and lifting a
block. No Streamlit here: the dashboard, the CLI and the notebooks share these functions.

Reading: every contact the next send will skip, from the materialised status
(`contact_status`, kept by the status policy), never by replaying events. `block_counts` is
one GROUP BY on the status (a covering index without filters); `blocked_page` one page in
order, newest block first, with the contact and the email that caused the block.

Lifting (`lift_block`): DESIGN.md's rules (`policy.lift_refusal`), a comment of at least
MIN_COMMENT characters, and an account that is an active administrator *now* (read again in
the same transaction, whatever the caller believes). The lift is a `block_lifted` event in the
contact's history (no campaign, so reports and rollups never count it), its `block_lifts` row
(who, comment, renewed consent), the contact's refreshed status and an audit entry, all in the
caller's transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import polars as pl
import sqlalchemy as sa

from . import policy, schema, users, vocab
from .queries import contact_verdict
from .status import refresh_contact_status
from .text import fold_query, normalise_email

TIME = pl.Datetime("us", "UTC")
NO_ORIGIN = "none"  # filter: blocks that no email caused (an invalid address, a preference centre)
ORIGIN_FILTERS = (*vocab.ORIGINS, NO_ORIGIN)
MIN_COMMENT = 10
MAX_PAGE = 1000
PROVIDER = "rastro"  # `email_events.provider` of the events Rastro writes itself

COUNTS_SCHEMA = {
    "reason": pl.Utf8,
    "origin": pl.Utf8,  # of the email that caused the block; null when none did
    "contacts": pl.Int64,
}
BLOCKED_PAGE_SCHEMA = {
    "contact_id": pl.Int64,
    "name": pl.Utf8,
    "email": pl.Utf8,
    "reason": pl.Utf8,  # the primary reason (policy.REASON_PRIORITY)
    "since": TIME,
    "cause_event_id": pl.Int64,  # null when no event caused it (an invalid address)
    "cause_event": pl.Utf8,
    "campaign_id": pl.Int64,
    "campaign_name": pl.Utf8,
    "origin": pl.Utf8,
    "campaign_external_id": pl.Utf8,  # the CRM's id, for the editor link
}


@dataclass(frozen=True)
class BlockFilter:
    """Which blocked contacts: reasons (any of them; none = all), origin of the causing email
    (`campaign`, `automation` or NO_ORIGIN), blocked since (inclusive UTC days), recipient
    domain, and a piece of the name or address (case- and accent-insensitive)."""

    reasons: tuple[str, ...] = ()
    origin: str | None = None
    since_from: date | None = None
    since_to: date | None = None
    domain: str | None = None
    search: str | None = None

    def __post_init__(self):
        unknown = [r for r in self.reasons if r not in vocab.REASONS]
        if unknown:
            raise ValueError(
                f"motivo desconocido: {', '.join(unknown)} (válidos: {', '.join(vocab.REASONS)})"
            )
        if self.origin not in (None, *ORIGIN_FILTERS):
            raise ValueError(
                f"origen desconocido: {self.origin} (válidos: {', '.join(ORIGIN_FILTERS)})"
            )
        if self.since_from and self.since_to and self.since_from > self.since_to:
            raise ValueError("la fecha inicial es posterior a la final")
        object.__setattr__(self, "reasons", tuple(sorted(set(self.reasons))))
        domain = (self.domain or "").strip().lower().lstrip("@") or None
        object.__setattr__(self, "domain", domain)
        object.__setattr__(self, "search", fold_query(self.search) or None)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(f: BlockFilter) -> tuple[list, bool]:
    """(conditions, whether they need `contacts`)."""
    s, c = schema.contact_status.c, schema.contacts.c
    # `= true`, not IS: both engines then use the (blocked, ...) indexes.
    conditions = [s.blocked == sa.true()]
    if f.reasons:
        conditions.append(s.reason.in_(f.reasons))
    if f.origin == NO_ORIGIN:
        conditions.append(s.cause_origin.is_(None))
    elif f.origin:
        conditions.append(s.cause_origin == f.origin)
    if f.since_from:
        conditions.append(s.since >= _day_start(f.since_from))
    if f.since_to:
        conditions.append(s.since < _day_start(f.since_to + timedelta(days=1)))
    contacts = False
    if f.domain:
        conditions.append(c.email_domain == f.domain)
        contacts = True
    if f.search:
        pattern = f"%{_escape_like(f.search)}%"
        conditions.append(
            sa.or_(c.name_key.like(pattern, escape="\\"), c.email_key.like(pattern, escape="\\"))
        )
        contacts = True
    return conditions, contacts


def block_counts(conn: sa.Connection, f: BlockFilter = BlockFilter()) -> pl.DataFrame:
    """Blocked contacts in the filter per primary reason and origin of the causing email
    (only combinations that occur); schema COUNTS_SCHEMA. Their sum is the list's length."""
    s, c = schema.contact_status.c, schema.contacts.c
    conditions, needs_contacts = _where(f)
    source = schema.contact_status
    if needs_contacts:
        source = source.join(schema.contacts, c.id == s.contact_id)
    rows = conn.execute(
        sa.select(s.reason, s.cause_origin, sa.func.count())
        .select_from(source)
        .where(*conditions)
        .group_by(s.reason, s.cause_origin)
        .order_by(s.reason, s.cause_origin)
    ).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=COUNTS_SCHEMA, orient="row")


def blocked_page(
    conn: sa.Connection,
    f: BlockFilter = BlockFilter(),
    *,
    limit: int | None = 50,
    offset: int = 0,
) -> pl.DataFrame:
    """Blocked contacts in the filter, newest block first (`limit` None: all of them, for an
    export); schema BLOCKED_PAGE_SCHEMA."""
    s, c, e, k = (
        schema.contact_status.c,
        schema.contacts.c,
        schema.email_events.c,
        schema.campaigns.c,
    )
    conditions, needs_contacts = _where(f)
    # The page's contacts first, from the status alone (its (blocked, since, contact_id) index
    # when no filter needs the contacts), so that an OFFSET skips index entries, not joins.
    source = schema.contact_status
    if needs_contacts:
        source = source.join(schema.contacts, c.id == s.contact_id)
    chosen = (
        sa.select(s.contact_id)
        .select_from(source)
        .where(*conditions)
        .order_by(s.since.desc(), s.contact_id.desc())
        .offset(max(0, int(offset)))
    )
    if limit is not None:
        chosen = chosen.limit(max(1, min(int(limit), MAX_PAGE)))
    page = chosen.subquery("page")
    query = (
        sa.select(
            c.id,
            c.name,
            c.email,
            s.reason,
            s.since,
            s.cause_event_id,
            e.event,
            e.campaign_id,
            k.name,
            k.origin,
            k.external_id,
        )
        .select_from(
            page.join(schema.contact_status, s.contact_id == page.c.contact_id)
            .join(schema.contacts, c.id == s.contact_id)
            .outerjoin(schema.email_events, e.id == s.cause_event_id)
            .outerjoin(schema.campaigns, k.id == e.campaign_id)
        )
        .order_by(s.since.desc(), s.contact_id.desc())
    )
    rows = conn.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=BLOCKED_PAGE_SCHEMA, orient="row")


def suppression_list(emails: Iterable[str]) -> str:
    """One address a line (what providers' suppression imports accept), each once, in order.
    Addresses are written as stored: this is not a CSV, and changing an address (as formula
    neutralisation would) would suppress someone else."""
    unique = dict.fromkeys(e for e in emails if e)
    return "".join(f"{e}\n" for e in unique)


# --- lifting a block ------------------------------------------------------------------------

NOT_ADMIN = "not_admin"
COMMENT_SHORT = "comment_short"
UNKNOWN_CONTACT = "unknown_contact"
UNKNOWN_REASON = "unknown_reason"
REFUSALS = {
    NOT_ADMIN: "Solo un administrador activo puede levantar un bloqueo.",
    COMMENT_SHORT: f"El comentario es obligatorio (al menos {MIN_COMMENT} caracteres).",
    UNKNOWN_CONTACT: "No existe ese contacto.",
    UNKNOWN_REASON: "Motivo desconocido.",
    policy.NOT_LIFTABLE: "Una dirección inválida no se puede desbloquear: corrígela en el CRM.",
    policy.NOT_BLOCKED: "El contacto no está bloqueado por ese motivo.",
    policy.CONSENT_REQUIRED: (
        "Para levantar una queja por spam o una baja hace falta que el contacto haya dado de "
        "nuevo su consentimiento."
    ),
}


class LiftRefused(ValueError):
    """A lift that cannot be done; `code` is one of REFUSALS, the message Spanish."""

    def __init__(self, code: str):
        super().__init__(REFUSALS[code])
        self.code = code


@dataclass(frozen=True)
class Lift:
    contact_id: int
    reason: str
    lifted_at: datetime
    event_id: int | None  # None for a dry run
    can_send: bool  # nothing else blocks the contact after the lift


def _check_actor(conn: sa.Connection, username: str) -> users.User:
    user = users.get_user(conn, username)
    if user is None or not user.is_admin:
        raise LiftRefused(NOT_ADMIN)
    return user


def _check_comment(comment: object) -> str:
    text = comment.strip() if isinstance(comment, str) else ""
    if len(text) < MIN_COMMENT:
        raise LiftRefused(COMMENT_SHORT)
    return text


def lift_block(
    conn: sa.Connection,
    contact_id: int,
    reason: str,
    *,
    username: str,
    comment: str,
    renewed_consent: bool = False,
    dry_run: bool = False,
    at: datetime | None = None,
) -> Lift:
    """Lift `reason` from the contact, or raise LiftRefused (nothing written). With `dry_run`,
    check everything and write nothing."""
    _check_actor(conn, username)
    text = _check_comment(comment)
    if reason not in vocab.REASONS:
        raise LiftRefused(UNKNOWN_REASON)
    verdict = contact_verdict(conn, contact_id)
    if verdict is None:
        raise LiftRefused(UNKNOWN_CONTACT)
    refusal = policy.lift_refusal(reason, verdict, renewed_consent=renewed_consent)
    if refusal:
        raise LiftRefused(refusal)
    consent = bool(renewed_consent) and reason in vocab.CONSENT_REASONS
    others = [b for b in verdict.blocks if b.reason != reason]
    when = _lift_time(conn, contact_id, at)
    if dry_run:
        return Lift(contact_id, reason, when, None, not others)
    e = schema.email_events
    event_id = conn.execute(
        e.insert().returning(e.c.id),
        {
            "contact_id": contact_id,
            "campaign_id": None,
            "event": vocab.BLOCK_LIFTED,
            "reason": reason,
            "provider": PROVIDER,
            "occurred_at": when,
        },
    ).scalar_one()
    conn.execute(
        schema.block_lifts.insert(),
        {
            "event_id": event_id,
            "lifted_by": users.normalise_username(username),
            "comment": text,
            "renewed_consent": consent,
        },
    )
    refresh_contact_status(conn, [contact_id])
    users.record(
        conn,
        "block_lifted",
        username,
        contact_id=contact_id,
        at=when,
        detail=f"motivo {reason}; consentimiento renovado: {'sí' if consent else 'no'}; "
        f"comentario: {text}",
    )
    return Lift(contact_id, reason, when, event_id, not others)


def _lift_time(conn: sa.Connection, contact_id: int, at: datetime | None) -> datetime:
    """Now (or `at`), but after the contact's newest event: the policy replays events in time
    order, and a provider's clock may run ahead of this one."""
    e = schema.email_events.c
    newest = conn.execute(
        sa.select(sa.func.max(e.occurred_at)).where(e.contact_id == contact_id)
    ).scalar_one()
    when = at or datetime.now(UTC)
    if newest is not None and newest >= when:
        when = newest + timedelta(milliseconds=1)
    return when


@dataclass
class BulkLift:
    """What a bulk lift did (or would do, on a dry run); `problems` lists (address, reason)."""

    received: int = 0
    lifted: int = 0
    not_blocked: int = 0
    refused: int = 0
    unknown: int = 0
    dry_run: bool = False
    problems: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        head = "Simulación (no se ha guardado nada): " if self.dry_run else ""
        verb = "se levantarían" if self.dry_run else "levantados"
        return (
            f"{head}{self.received} direcciones: {verb} {self.lifted}, sin ese bloqueo "
            f"{self.not_blocked}, rechazados {self.refused}, desconocidas {self.unknown}."
        )


def lift_blocks_by_email(
    conn: sa.Connection,
    emails: Iterable[str],
    reason: str,
    *,
    username: str,
    comment: str,
    renewed_consent: bool = False,
    dry_run: bool = False,
) -> BulkLift:
    """`lift_block` for each address (normalised, each once). The actor, the comment and the
    reason are checked first (LiftRefused for the whole request); each address then counts as
    lifted, not blocked for that reason, refused (with why) or unknown. The caller's
    transaction holds every lift, so a failure keeps none."""
    _check_actor(conn, username)
    _check_comment(comment)
    if reason not in vocab.REASONS:
        raise LiftRefused(UNKNOWN_REASON)
    if reason not in vocab.LIFTABLE_REASONS:
        raise LiftRefused(policy.NOT_LIFTABLE)
    if reason in vocab.CONSENT_REASONS and not renewed_consent:
        raise LiftRefused(policy.CONSENT_REQUIRED)
    wanted = list(dict.fromkeys(normalise_email(e) for e in emails if e and e.strip()))
    ids = _ids_by_email(conn, wanted)
    summary = BulkLift(received=len(wanted), dry_run=dry_run)
    for email in wanted:
        contact_id = ids.get(email)
        if contact_id is None:
            summary.unknown += 1
            summary.problems.append((email, REFUSALS[UNKNOWN_CONTACT]))
            continue
        try:
            lift_block(
                conn,
                contact_id,
                reason,
                username=username,
                comment=comment,
                renewed_consent=renewed_consent,
                dry_run=dry_run,
            )
        except LiftRefused as refused:
            if refused.code == policy.NOT_BLOCKED:
                summary.not_blocked += 1
            else:
                summary.refused += 1
            summary.problems.append((email, str(refused)))
            continue
        summary.lifted += 1
    return summary


def _ids_by_email(conn: sa.Connection, emails: list[str]) -> dict[str, int]:
    c = schema.contacts.c
    found: dict[str, int] = {}
    for start in range(0, len(emails), 500):
        part = emails[start : start + 500]
        found.update(conn.execute(sa.select(c.email, c.id).where(c.email.in_(part))).all())
    return found
