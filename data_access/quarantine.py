"""What the imports could not store: the quarantine, newest first (the import page and the
`quarantine` command show the same list)."""

import polars as pl
import sqlalchemy as sa

from . import schema

QUARANTINE_SCHEMA = {
    "received_at": pl.Datetime("us", "UTC"),  # when the import ran
    "provider": pl.Utf8,  # ingest.PROVIDERS key of the file's format
    "source": pl.Utf8,  # the file's name
    "position": pl.Int64,  # the record in the file (1-based)
    "reason": pl.Utf8,  # why it was not stored (Spanish, for people)
    "raw": pl.Utf8,  # the record as received
}


def recent_quarantine(conn: sa.Connection, *, limit: int = 50) -> pl.DataFrame:
    """The `limit` most recently quarantined records, newest first; schema QUARANTINE_SCHEMA."""
    q = schema.quarantine.c
    rows = conn.execute(
        sa.select(q.received_at, q.provider, q.source, q.position, q.reason, q.raw)
        .order_by(q.id.desc())
        .limit(limit)
    ).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=QUARANTINE_SCHEMA, orient="row")
