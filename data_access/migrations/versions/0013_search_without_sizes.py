"""SQLite's search index stops keeping the size of each contact's entry (`columnsize=0`) and
gathers more of an import in memory before writing it (`hashsize`, 16 MB instead of 1 MB).
Rebuilt here from the existing contacts.

Why: FTS5 writes a "docsize" row per contact only for its ranking functions (bm25), which the
search never calls (migration 0011 made the table a candidate index, checked against the
contacts' keys). Without it, building the index for 200,000 contacts went from 1.19 to 0.87 s
(0.72 s with the larger buffer, fewer and larger segments), and every contact written by an
import writes one row less. PostgreSQL: nothing changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import contextlib

from alembic import op
from sqlalchemy.exc import OperationalError

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TRIGGERS = ("contacts_search_au", "contacts_search_ad", "contacts_search_ai")
HASHSIZE = 16 * 1024 * 1024


def _replace(options: str, hashsize: int | None) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS contacts_search")
    op.execute(
        "CREATE VIRTUAL TABLE contacts_search USING fts5("
        "name_key, email_key, content='contacts', content_rowid='id', tokenize='trigram', "
        f"{options})"
    )
    if hashsize is not None:
        # an SQLite without the option keeps its default (1 MB): slower, the same index
        with contextlib.suppress(OperationalError):
            op.execute(
                "INSERT INTO contacts_search(contacts_search, rank) "
                f"VALUES ('hashsize', {hashsize})"
            )
    for statement in (
        "INSERT INTO contacts_search(contacts_search) VALUES ('rebuild')",
        "CREATE TRIGGER contacts_search_ai AFTER INSERT ON contacts BEGIN "
        "INSERT INTO contacts_search(rowid, name_key, email_key) "
        "VALUES (new.id, new.name_key, new.email_key); END",
        "CREATE TRIGGER contacts_search_ad AFTER DELETE ON contacts BEGIN "
        "INSERT INTO contacts_search(contacts_search, rowid, name_key, email_key) "
        "VALUES ('delete', old.id, old.name_key, old.email_key); END",
        "CREATE TRIGGER contacts_search_au AFTER UPDATE OF name_key, email_key ON contacts BEGIN "
        "INSERT INTO contacts_search(contacts_search, rowid, name_key, email_key) "
        "VALUES ('delete', old.id, old.name_key, old.email_key); "
        "INSERT INTO contacts_search(rowid, name_key, email_key) "
        "VALUES (new.id, new.name_key, new.email_key); END",
    ):
        op.execute(statement)


def upgrade() -> None:
    _replace("detail=none, columnsize=0", HASHSIZE)


def downgrade() -> None:
    _replace("detail=none", None)
