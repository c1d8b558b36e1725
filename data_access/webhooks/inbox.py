"""The durable inbox of webhook requests and the request counters (tables `webhook_inbox` and
`webhook_requests`). A request is answered 2xx only after `add` has committed its body.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .. import schema, users
from ..quarantine import storable_text

INBOX = schema.webhook_inbox
REQUESTS = schema.webhook_requests
SOURCE_PREFIX = "webhook:"  # the quarantine's `source` of anything that came by webhook


def _now() -> datetime:
    return datetime.now(UTC)


def _insert(conn: sa.Connection, table: sa.Table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def count(conn: sa.Connection, provider: str, outcome: str, at: datetime | None = None) -> None:
    """One more request of this provider and outcome in the hour of `at`."""
    hour = (at or _now()).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    statement = _insert(conn, REQUESTS).values(
        provider=provider, hour=hour, outcome=outcome, requests=1
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["provider", "hour", "outcome"],
            set_={"requests": REQUESTS.c.requests + 1},
        )
    )


def add(
    conn: sa.Connection,
    provider: str,
    body: bytes,
    *,
    remote_addr: str | None,
    content_type: str | None,
    default_origin: str | None,
    at: datetime | None = None,
) -> int:
    """Keep one accepted request (and count it); its inbox id."""
    at = at or _now()
    ident = conn.execute(
        INBOX.insert()
        .values(
            provider=provider,
            received_at=at,
            remote_addr=(remote_addr or "")[:64] or None,
            content_type=(content_type or "")[:200] or None,
            default_origin=default_origin,
            body=body,
            body_sha256=hashlib.sha256(body).hexdigest(),
        )
        .returning(INBOX.c.id)
    ).scalar_one()
    count(conn, provider, "accepted", at)
    return ident


def refuse(
    conn: sa.Connection, provider: str, remote_addr: str | None, reason: str, *, audit: bool
) -> None:
    """Count a refused request; with `audit`, also write it to the audit trail (wrong
    credentials or signature), with the remote address."""
    at = _now()
    count(conn, provider, "refused", at)
    if audit:
        users.record(
            conn,
            "webhook_refused",
            f"{SOURCE_PREFIX}{provider}",
            detail=f"{remote_addr or 'desconocida'}: {reason}"[:2000],
            at=at,
        )


def quarantine_body(conn: sa.Connection, provider: str, body: bytes, reason: str) -> None:
    """Keep a whole body that is not the provider's format (answered 400) in the quarantine
    (its text with NULs and lone surrogates as JSON escapes, as every quarantined record)."""
    sha = hashlib.sha256(body).hexdigest()
    statement = _insert(conn, schema.quarantine).values(
        received_at=_now(),
        provider=provider,
        source=f"{SOURCE_PREFIX}{provider}:rechazado",
        source_sha256=sha,
        position=1,
        item=1,
        raw=storable_text(body.decode("utf-8", "replace")),
        reason=storable_text(reason),
    )
    conn.execute(
        statement.on_conflict_do_nothing(index_elements=["source_sha256", "position", "item"])
    )


@dataclass(frozen=True)
class Pending:
    id: int
    provider: str
    content_type: str | None
    default_origin: str | None
    body: bytes
    body_sha256: str


def pending(conn: sa.Connection, *, max_rows: int, max_bytes: int) -> list[Pending]:
    """The oldest unprocessed requests: up to `max_rows`, and no more bodies than fit in
    `max_bytes` (but at least one)."""
    i = INBOX.c
    ids = conn.execute(
        sa.select(i.id, sa.func.length(i.body))
        .where(i.processed_at.is_(None))
        .order_by(i.id)
        .limit(max_rows)
    ).all()
    chosen, total = [], 0
    for ident, size in ids:
        if chosen and total + size > max_bytes:
            break
        chosen.append(ident)
        total += size
    if not chosen:
        return []
    rows = conn.execute(
        sa.select(i.id, i.provider, i.content_type, i.default_origin, i.body, i.body_sha256)
        .where(i.id.in_(chosen))
        .order_by(i.id)
    ).all()
    return [Pending(*row) for row in rows]


def claim(conn: sa.Connection, ids: list[int], at: datetime | None = None) -> set[int]:
    """Mark these requests processed (in the caller's transaction, the one that stores their
    events) and return those that were not already: another worker may have taken some. On
    SQLite this first write also takes the database's write lock before anything is read."""
    if not ids:
        return set()
    i = INBOX.c
    return set(
        conn.execute(
            INBOX.update()
            .where(i.id.in_(ids), i.processed_at.is_(None))
            .values(processed_at=at or _now())
            .returning(i.id)
        ).scalars()
    )


def record_results(conn: sa.Connection, results: dict[int, object]) -> None:
    """What the store said about each processed request (an ImportReport each)."""
    if not results:
        return
    i = INBOX.c
    statement = (
        INBOX.update()
        .where(i.id == sa.bindparam("ident"))
        .values(
            received=sa.bindparam("r"),
            stored=sa.bindparam("s"),
            duplicates=sa.bindparam("d"),
            ignored=sa.bindparam("g"),
            quarantined=sa.bindparam("q"),
        )
    )
    conn.execute(
        statement,
        [
            {
                "ident": ident,
                "r": report.received,
                "s": report.stored,
                "d": report.duplicates,
                "g": report.ignored,
                "q": report.quarantined,
            }
            for ident, report in results.items()
        ],
    )


def backlog(conn: sa.Connection) -> int:
    i = INBOX.c
    return conn.execute(
        sa.select(sa.func.count()).select_from(INBOX).where(i.processed_at.is_(None))
    ).scalar_one()
