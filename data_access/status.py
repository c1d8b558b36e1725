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

from . import bulk, policy, schema, vocab
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
    people = _people(conn, ids)
    events = _events_of(conn, ids)
    _add_consent(conn, events)
    rows = _verdict_rows(people, events, config)
    _with_origins(rows, _origins(conn, {row["cause_campaign"] for row in rows} - {None}))
    return _write(conn, ids, rows)


def _people(conn, ids) -> list[tuple]:
    c = schema.contacts.c
    return conn.execute(sa.select(c.id, c.email, c.created_at).where(c.id.in_(ids))).all()


def _verdict_rows(people, events: list[_Event], config) -> list[dict]:
    """The status row of each person from their events (in contact, time and id order); the
    cause's campaign is kept as `cause_campaign` for its origin to be filled in."""
    by_contact = {key: list(rows) for key, rows in groupby(events, key=attrgetter("contact_id"))}
    now = datetime.now(UTC)
    rows = []
    for person_id, email, created_at in people:
        block = policy.evaluate(
            email, by_contact.get(person_id, []), created_at=created_at, config=config
        ).primary
        cause = block.cause if block else None
        rows.append(
            {
                "contact_id": person_id,
                "blocked": block is not None,
                "reason": block.reason if block else None,
                "since": block.since if block else None,
                "cause_event_id": cause.id if cause is not None else None,
                "cause_campaign": cause.campaign_id if cause is not None else None,
                "updated_at": now,
            }
        )
    return rows


def _with_origins(rows: list[dict], origins: dict[int, str]) -> list[dict]:
    """`rows` (from _verdict_rows) with the origin of their cause's campaign."""
    for row in rows:
        row["cause_origin"] = origins.get(row.pop("cause_campaign"))
    return rows


def _write(conn, ids, rows: list[dict]) -> int:
    """Replace the statuses of `ids` by `rows`."""
    s = schema.contact_status
    for among in bulk.one_of(conn, s.c.contact_id, ids, sqlite_chunk=BATCH):
        conn.execute(s.delete().where(among))
    if rows:
        # Through the driver (COPY on PostgreSQL): an import refreshes thousands of contacts.
        bulk.insert_frame(
            conn, schema.contact_status, pl.DataFrame(rows, schema=_STATUS_ROW, orient="row")
        )
    return len(rows)


class PendingRefresh:
    """A refresh of `contact_status` split around an insert of new events (an import): what
    it reads from the database is read first (`read_pending`), the verdicts are worked out
    from that and the new events in memory (`rows`, safe to run in another thread while the
    connection inserts them), and written afterwards (`write`). The new events get the ids
    they are about to be stored with (`first_id` onwards, in the order given); `write` takes
    the ids they really got, if those differ by an offset."""

    def __init__(self, ids, people, stored: list[_Event], origins: dict, config):
        self.ids, self.people, self.stored = ids, people, stored
        self.origins, self.config = origins, config

    def rows(self, new: pl.DataFrame, first_id: int, new_origins: dict[int, str]) -> list[dict]:
        """Status rows from the stored events and `new` (contact_id, event, bounce_type, reason,
        occurred_at, campaign_id; ids first_id, first_id + 1, ... in its order)."""
        wanted = set(self.ids)
        columns = new.select(
            "contact_id", "event", "bounce_type", "reason", "occurred_at", "campaign_id"
        )
        made = [
            _Event(first_id + n, who, kind, bounce, reason, at, campaign)
            for n, (who, kind, bounce, reason, at, campaign) in enumerate(columns.iter_rows())
            if who in wanted
        ]
        events = sorted(self.stored + made, key=lambda ev: (ev.contact_id, ev.occurred_at, ev.id))
        rows = _verdict_rows(self.people, events, self.config)
        return _with_origins(rows, self.origins | new_origins)

    def write(self, conn, rows: list[dict], *, moved_from: int, offset: int) -> int:
        """Store `rows`, the ids from `moved_from` on moved by `offset` (the ids they got)."""
        if offset:
            for row in rows:
                cause = row["cause_event_id"]
                if cause is not None and cause >= moved_from:
                    row["cause_event_id"] = cause + offset
        return _write(conn, self.ids, rows)  # one COPY on PostgreSQL, not one per batch


def read_pending(
    conn: sa.Connection, contact_ids, *, config: policy.PolicyConfig = policy.DEFAULT_CONFIG
) -> PendingRefresh:
    """What refreshing `contact_ids` reads, before new events are inserted (PendingRefresh)."""
    ids = sorted({required_id(i) for i in contact_ids})
    people, stored = [], []
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        people.extend(_people(conn, batch))
        stored.extend(_events_of(conn, batch))
    _add_consent(conn, stored)
    origins = _origins(conn, {ev.campaign_id for ev in stored} - {None})
    return PendingRefresh(ids, people, stored, origins, config)


_STATUS_ROW = {
    "contact_id": pl.Int64,
    "blocked": pl.Boolean,
    "reason": pl.Utf8,
    "since": pl.Datetime("us", "UTC"),
    "cause_event_id": pl.Int64,
    "cause_origin": pl.Utf8,
    "updated_at": pl.Datetime("us", "UTC"),
}


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
