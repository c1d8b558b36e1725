"""The materialised status (`contact_status`): the policy's verdict per contact, kept so that
badges and lists of blocked contacts need not replay every event.

`refresh_contact_status` recomputes it from the events with the policy for the contacts given
(ingestion calls it for the contacts an import touched, a lift for its contact, in the same
transaction; the demo generator writes it directly).
"""

import json
from datetime import UTC, datetime
from itertools import groupby
from operator import attrgetter

import polars as pl
import sqlalchemy as sa

from . import policy, schema, vocab
from .queries import required_id

BATCH = 500


def refresh_contact_status(
    conn: sa.Connection,
    contact_ids,
    *,
    config: policy.PolicyConfig = policy.DEFAULT_CONFIG,
) -> int:
    """Recompute and store the status of `contact_ids`; returns how many rows were written."""
    if contact_ids is None or isinstance(contact_ids, str | bytes):
        raise ValueError(f"contact_ids debe ser una colección de ids, no {contact_ids!r}")
    ids = sorted({required_id(i) for i in contact_ids})
    written = 0
    for start in range(0, len(ids), BATCH):
        written += _refresh_batch(conn, ids[start : start + BATCH], config)
    return written


class _Event:
    """One event as the policy reads it (attributes are several times faster to read than a
    database row's; an import refreshes contacts with thousands of events)."""

    __slots__ = (
        "bounce_type",
        "campaign_id",
        "contact_id",
        "event",
        "id",
        "occurred_at",
        "reason",
        "renewed_consent",
    )

    def __init__(self, id, contact_id, event, bounce_type, reason, occurred_at, campaign_id):
        self.id = id
        self.contact_id = contact_id
        self.event = event
        self.bounce_type = bounce_type
        self.reason = reason
        self.occurred_at = occurred_at
        self.campaign_id = campaign_id
        self.renewed_consent = False


def _add_consent(conn, events: list[_Event]) -> None:
    """Read the renewed consent of the lifts among `events` (rare: one small query, if any)."""
    lifts = {ev.id: ev for ev in events if ev.event == vocab.BLOCK_LIFTED}
    if not lifts:
        return
    b = schema.block_lifts.c
    found = conn.execute(
        sa.select(b.event_id, b.renewed_consent).where(b.event_id.in_(list(lifts)))
    ).all()
    for event_id, consent in found:
        lifts[event_id].renewed_consent = bool(consent)


def _origins(conn, campaign_ids) -> dict[int, str]:
    if not campaign_ids:
        return {}
    k = schema.campaigns.c
    rows = conn.execute(sa.select(k.id, k.origin).where(k.id.in_(sorted(campaign_ids)))).all()
    return dict(rows)


_EVENTS_OF = (
    "SELECT id, contact_id, event, bounce_type, reason, occurred_at, campaign_id "
    "FROM email_events WHERE contact_id IN ({ids}) ORDER BY contact_id, occurred_at, id"
)


def _utc(text: str) -> datetime:
    """SQLite's UTC text of a moment (as UTCDateTime stores it) as an aware datetime."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _events_of(conn, ids: list[int]) -> list[_Event]:
    """Every event of the contacts `ids` (ints), in the order the policy reads them: through
    the driver (an import refreshes contacts with tens of thousands of events, and a row
    through SQLAlchemy's result processing costs several times more than the policy's look
    at it). Moments are aware UTC datetimes, as UTCDateTime reads them."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        if conn.dialect.name == "sqlite":
            cursor.execute(
                _EVENTS_OF.format(ids="SELECT value FROM json_each(?)"), (json.dumps(ids),)
            )
            return [
                _Event(i, who, kind, bounce, reason, _utc(at), campaign)
                for i, who, kind, bounce, reason, at, campaign in cursor.fetchall()
            ]
        cursor.execute(_EVENTS_OF.format(ids="SELECT unnest(%s::bigint[])"), (ids,))
        return [
            _Event(i, who, kind, bounce, reason, at.astimezone(UTC), campaign)
            for i, who, kind, bounce, reason, at, campaign in cursor.fetchall()
        ]
    finally:
        cursor.close()


def _refresh_batch(conn, ids, config) -> int:
    c, s = schema.contacts.c, schema.contact_status
    people = conn.execute(sa.select(c.id, c.email, c.created_at).where(c.id.in_(ids))).all()
    events = _events_of(conn, ids)
    _add_consent(conn, events)
    by_contact = {key: list(rows) for key, rows in groupby(events, key=attrgetter("contact_id"))}
    blocks = {}
    for person in people:
        verdict = policy.evaluate(
            person.email, by_contact.get(person.id, []), created_at=person.created_at, config=config
        )
        blocks[person.id] = verdict.primary
    causes = [b.cause for b in blocks.values() if b is not None and b.cause is not None]
    origins = _origins(conn, {cause.campaign_id for cause in causes} - {None})
    now = datetime.now(UTC)
    rows = []
    for contact_id, block in blocks.items():
        cause = block.cause if block else None
        rows.append(
            {
                "contact_id": contact_id,
                "blocked": block is not None,
                "reason": block.reason if block else None,
                "since": block.since if block else None,
                "cause_event_id": cause.id if cause is not None else None,
                "cause_origin": origins.get(cause.campaign_id) if cause is not None else None,
                "updated_at": now,
            }
        )
    conn.execute(s.delete().where(s.c.contact_id.in_(ids)))
    if rows:
        conn.execute(s.insert(), rows)
    return len(rows)


BLOCKED_SCHEMA = {
    "contact_id": pl.Int64,
    "name": pl.Utf8,
    "email": pl.Utf8,
    "reason": pl.Utf8,
    "since": pl.Datetime("us", "UTC"),
    "cause_event": pl.Utf8,  # null for an invalid address (no event caused it)
    "campaign_name": pl.Utf8,
    "origin": pl.Utf8,  # origin of the email that caused the block
}


def blocked_contacts(
    conn: sa.Connection,
    *,
    reason: str | None = None,
    origin: str | None = None,
    limit: int | None = None,
) -> pl.DataFrame:
    """Contacts the next send will skip (from the stored status), most recent block first,
    with the event that caused it; schema BLOCKED_SCHEMA."""
    s, c, e, k = (
        schema.contact_status.c,
        schema.contacts.c,
        schema.email_events.c,
        schema.campaigns.c,
    )
    query = (
        sa.select(c.id, c.name, c.email, s.reason, s.since, e.event, k.name, k.origin)
        .select_from(
            schema.contact_status.join(schema.contacts, c.id == s.contact_id)
            .outerjoin(schema.email_events, e.id == s.cause_event_id)
            .outerjoin(schema.campaigns, k.id == e.campaign_id)
        )
        .where(s.blocked.is_(True))
        .order_by(s.since.desc(), c.id)
    )
    if reason:
        query = query.where(s.reason == reason)
    if origin:
        query = query.where(k.origin == origin)
    if limit:
        query = query.limit(limit)
    rows = conn.execute(query).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=BLOCKED_SCHEMA, orient="row")
