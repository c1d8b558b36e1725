"""Storing a provider file: exactly once, nothing lost, rollups and statuses kept exact.

One file is one transaction, so an interrupted import leaves nothing behind and running it
again gives the same database as an uninterrupted run. Every event is stored once: the
provider's own id (or, where it has none, a stable hash of the event) is unique per provider
in the database, and a second copy is counted as a duplicate. Every outcome is accounted for:

    received = stored + duplicates + ignored + quarantined

Origin and campaign come from the provider's custom data (`origin`, `campaign_id`); when the
payload has no origin the `default_origin` given by the caller (CLI `--origin`) applies, and
otherwise the event is quarantined — never guessed. An event with an origin but no campaign id
goes to that origin's catch-all campaign ("sin-identificar"). Unknown campaigns are created
from their id (and name, where the payload has one). Unknown recipients become contacts
(even with an invalid address: that is the `invalid_address` case) unless
`unknown_recipients="quarantine"`.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import sqlalchemy as sa

from .. import diagnostics, rollups, schema, vocab
from ..status import refresh_contact_status
from ..text import email_domain, fold, normalise_email
from . import model

UNIDENTIFIED = "sin-identificar"
UNIDENTIFIED_NAME = {"campaign": "Campaña sin identificar", "automation": "Flujo sin identificar"}
CHUNK = 5_000


@dataclass
class ImportReport:
    source: str
    provider: str
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    ignored: int = 0
    quarantined: int = 0

    @property
    def balanced(self) -> bool:
        return self.received == self.stored + self.duplicates + self.ignored + self.quarantined

    def line(self) -> str:
        """The reconciliation line, in Spanish."""
        return (
            f"{self.source}: recibidos {self.received} = guardados {self.stored} + duplicados "
            f"{self.duplicates} + ignorados {self.ignored} + en cuarentena {self.quarantined}"
        )


def _event_hash(provider: str, event: model.Event, email: str) -> str:
    """A stable id for providers that give none: the same event always hashes the same."""
    key = json.dumps(
        [provider, email, event.event, event.occurred_at.astimezone(timezone.utc).isoformat(),
         event.message_id, event.bounce_type, event.reason, event.smtp_diagnostic,
         event.campaign_external_id],
        ensure_ascii=False,
    )
    return "h:" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _check(event: model.Event, default_origin: str | None) -> str | None:
    """Why an event cannot be stored, or None."""
    if not event.email or not normalise_email(event.email):
        return "falta el destinatario"
    if event.event not in vocab.EVENTS:
        return f"evento desconocido: {event.event}"
    if event.event == vocab.BOUNCED and event.bounce_type not in vocab.BOUNCE_TYPES:
        return "rebote sin tipo (hard, soft o undetermined)"
    if event.event == vocab.NOT_SENT and event.reason not in vocab.REASONS:
        return f"no enviado con un motivo desconocido: {event.reason}"
    if event.occurred_at.tzinfo is None:
        return "fecha sin zona horaria"
    if (event.origin or default_origin) not in vocab.ORIGINS:
        return ("no se sabe si es un correo de campaña o de automatización: falta la clave "
                "origin (o indica --origin al importar)")
    return None


class _Batch:
    """The events of one file being stored, with the ids they need."""

    def __init__(self, conn, provider, default_origin, default_campaign, unknown_recipients):
        self.conn = conn
        self.provider = provider
        self.default_origin = default_origin
        self.default_campaign = default_campaign
        self.unknown_recipients = unknown_recipients
        # position, item, event, normalised email, (origin, campaign id, campaign name)
        self.events: list[tuple[int, int, model.Event, str, tuple]] = []
        self.quarantine: list[dict] = []

    def reject(self, position: int, item: int, raw: str, reason: str) -> None:
        self.quarantine.append({"position": position, "item": item, "raw": raw,
                                "reason": reason})

    def campaign_key(self, event: model.Event) -> tuple[str, str, str | None]:
        origin = event.origin or self.default_origin
        external = event.campaign_external_id or self.default_campaign or UNIDENTIFIED
        name = event.campaign_name or (UNIDENTIFIED_NAME[origin] if external == UNIDENTIFIED
                                       else None)
        return origin, str(external)[:100], name

    def campaign_ids(self) -> dict[tuple[str, str], int]:
        k = schema.campaigns.c
        wanted: dict[tuple[str, str], str | None] = {}
        for *_rest, (origin, external, name) in self.events:
            if wanted.get((origin, external)) is None:
                wanted[(origin, external)] = name
        found = {}
        for origin in vocab.ORIGINS:
            externals = [x for (o, x) in wanted if o == origin]
            for start in range(0, len(externals), 500):
                rows = self.conn.execute(sa.select(k.origin, k.external_id, k.id).where(
                    k.origin == origin, k.external_id.in_(externals[start:start + 500]))).all()
                found.update({(o, x): i for o, x, i in rows})
        missing = [key for key in wanted if key not in found]
        if missing:
            now = datetime.now(timezone.utc)
            self.conn.execute(schema.campaigns.insert(), [
                {"origin": o, "external_id": x, "name": (wanted[(o, x)] or x)[:300],
                 "created_at": now} for o, x in missing])
            return self.campaign_ids()
        return found

    def contact_ids(self) -> dict[str, int]:
        c = schema.contacts.c
        first_seen: dict[str, datetime] = {}
        for _pos, _item, event, email, _key in self.events:
            when = event.occurred_at
            if email not in first_seen or when < first_seen[email]:
                first_seen[email] = when
        emails = list(first_seen)
        found = {}
        for start in range(0, len(emails), 500):
            rows = self.conn.execute(sa.select(c.email, c.id).where(
                c.email.in_(emails[start:start + 500]))).all()
            found.update(dict(rows))
        missing = [e for e in emails if e not in found]
        if missing and self.unknown_recipients == "create":
            self.conn.execute(schema.contacts.insert(), [
                {"email": e, "name": "", "email_key": fold(e), "name_key": "",
                 "email_domain": email_domain(e), "created_at": first_seen[e]}
                for e in missing])
            return self.contact_ids()
        return found


def import_records(
    conn: sa.Connection,
    provider: str,
    records,
    *,
    source: str,
    source_sha256: str,
    default_origin: str | None = None,
    default_campaign: str | None = None,
    unknown_recipients: str = "create",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store parsed records in the caller's transaction and say what happened to each."""
    if conn.dialect.name == "postgresql":
        # One import at a time, so that "the ids above the mark" are this import's events.
        conn.exec_driver_sql("LOCK TABLE email_events IN SHARE ROW EXCLUSIVE MODE")
    report = ImportReport(source=source, provider=provider)
    batch = _Batch(conn, provider, default_origin, default_campaign, unknown_recipients)
    for record in records:
        for item, outcome in enumerate(record.outcomes, start=1):
            report.received += 1
            if isinstance(outcome, model.Ignored):
                report.ignored += 1
            elif isinstance(outcome, model.Rejected):
                batch.reject(record.position, item, model.raw_text(record), outcome.reason)
            else:
                problem = _check(outcome, default_origin)
                if problem:
                    batch.reject(record.position, item, model.raw_text(record), problem)
                else:
                    batch.events.append((record.position, item, outcome,
                                         normalise_email(outcome.email),
                                         batch.campaign_key(outcome)))
        if progress:
            progress(1)
    campaigns = batch.campaign_ids() if batch.events else {}
    contacts = batch.contact_ids() if batch.events else {}
    rows = []
    bounced, not_sent = vocab.BOUNCED, vocab.NOT_SENT
    for position, item, event, email, (origin, external, _name) in batch.events:
        contact_id = contacts.get(email)
        if contact_id is None:
            batch.reject(position, item, json.dumps({"email": event.email}, ensure_ascii=False),
                         "destinatario desconocido (importación sin crear contactos)")
            continue
        kind = event.event
        rows.append((  # in the order of EVENT_COLUMNS
            contact_id,
            campaigns[(origin, external)],
            kind,
            event.bounce_type if kind == bounced else None,
            event.reason if kind == not_sent else None,
            event.provider_reason,
            event.smtp_diagnostic,
            provider,
            (event.provider_event_id or _event_hash(provider, event, email))[:255],
            event.message_id[:255] if event.message_id else None,
            event.occurred_at.astimezone(timezone.utc),
            diagnostics.bounce_category(event.smtp_diagnostic, event.provider_reason)
            if kind == bounced else None,
        ))
    mark = rollups.max_event_id(conn)
    _insert_events(conn, rows)
    e = schema.email_events.c
    report.stored = conn.execute(
        sa.select(sa.func.count()).where(e.id > mark)).scalar_one()
    report.duplicates = len(rows) - report.stored
    report.quarantined = len(batch.quarantine)
    _quarantine(conn, provider, source, source_sha256, batch.quarantine)
    if report.stored:
        rollups.add_events(conn, after_id=mark)
        refresh_contact_status(conn, _status_may_change(conn, mark))
    return report


def _status_may_change(conn: sa.Connection, mark: int) -> list[int]:
    """Contacts whose verdict the new events (ids above `mark`) can change: any event but a
    send or a delivery; a delivery to a contact blocked by bounces (it lifts a soft-bounce
    block); and contacts with no stored status yet. Deliveries to everyone else change
    nothing, and they are most of the events."""
    e, s = schema.email_events.c, schema.contact_status.c
    new = sa.select(e.contact_id).where(e.id > mark)
    notices = new.where(e.event.not_in((vocab.DELIVERED, vocab.SENT)))
    lifted = new.where(e.event == vocab.DELIVERED).where(e.contact_id.in_(
        sa.select(s.contact_id).where(s.reason == vocab.PREVIOUS_BOUNCE)))
    unknown = new.where(~sa.exists().where(s.contact_id == e.contact_id))
    query = sa.union(notices, lifted, unknown)
    return list(conn.execute(query).scalars())


EVENT_COLUMNS = ("contact_id", "campaign_id", "event", "bounce_type", "reason",
                 "provider_reason", "smtp_diagnostic", "provider", "provider_event_id",
                 "message_id", "occurred_at", "bounce_category")
_SQLITE_INSERT = (
    f"INSERT INTO email_events ({', '.join(EVENT_COLUMNS)}) VALUES "
    f"({', '.join('?' for _ in EVENT_COLUMNS)}) ON CONFLICT (provider, provider_event_id) "
    "WHERE provider_event_id IS NOT NULL DO NOTHING"
)


def _sqlite_time(moment: datetime) -> str:
    """UTC text as SQLAlchemy's DateTime stores it in SQLite ("YYYY-MM-DD HH:MM:SS.ffffff")."""
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def _insert_events(conn: sa.Connection, rows: list[tuple]) -> None:
    """Insert, skipping events already stored (same provider and provider event id)."""
    from sqlalchemy.dialects import postgresql, sqlite

    table = schema.email_events
    if conn.dialect.name == "sqlite":
        # The driver's executemany: several times faster than SQLAlchemy's per-row
        # processing, which matters at 50,000 events a second.
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.executemany(_SQLITE_INSERT, (
                (*row[:10], _sqlite_time(row[10]), row[11]) for row in rows))
        finally:
            cursor.close()
        return
    rows = [dict(zip(EVENT_COLUMNS, row)) for row in rows]
    insert = (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table)
    where = table.c.provider_event_id.is_not(None)
    statement = insert.on_conflict_do_nothing(
        index_elements=[table.c.provider, table.c.provider_event_id], index_where=where)
    for start in range(0, len(rows), CHUNK):
        conn.execute(statement, rows[start:start + CHUNK])


def _quarantine(conn, provider, source, sha, items) -> None:
    if not items:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    now = datetime.now(timezone.utc)
    insert = (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(
        schema.quarantine)
    statement = insert.on_conflict_do_nothing(
        index_elements=["source_sha256", "position", "item"])
    conn.execute(statement, [
        {"received_at": now, "provider": provider, "source": source[:300],
         "source_sha256": sha, "position": q["position"], "item": q["item"],
         "raw": q["raw"], "reason": q["reason"]} for q in items])
