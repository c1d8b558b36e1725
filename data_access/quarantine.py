"""What the imports could not store: the quarantine, newest first (the import page and the
`quarantine` command show the same list).

The quarantine keeps each record's text as received, with one exception: the characters no
text column can hold are written as their JSON escape (`storable_text`), on both engines. A NUL
(U+0000; PostgreSQL refuses it) becomes the six characters `\\u0000`, and a lone UTF-16
surrogate (U+D800 to U+DFFF, which a JSON escape such as `"\\ud800"` makes, and which cannot be
encoded in UTF-8 for either engine) becomes `\\ud800`.
"""

import re

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


# What a text column cannot hold: NUL (PostgreSQL) and lone surrogates (UTF-8, both engines).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: str) -> str:
    """`value` with each NUL and lone surrogate written as its JSON escape (`\\u0000`)."""
    return UNSTORABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", value)


def recent_quarantine(conn: sa.Connection, *, limit: int = 50) -> pl.DataFrame:
    """The `limit` most recently quarantined records, newest first; schema QUARANTINE_SCHEMA."""
    q = schema.quarantine.c
    rows = conn.execute(
        sa.select(q.received_at, q.provider, q.source, q.position, q.reason, q.raw)
        .order_by(q.id.desc())
        .limit(limit)
    ).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=QUARANTINE_SCHEMA, orient="row")
