"""SQLite's search index becomes a candidate index: the FTS5 trigram table keeps only which
contacts hold each trigram (`detail=none`, no positions), about a third of the size and a
fraction of the cost per contact written, and the search checks every candidate against the
contact's keys. Rebuilt here from the existing contacts.

PostgreSQL: the trigram index over the "packed" keys writes every character but a-z and 0-9
as "q" instead of removing it (text.pack): without punctuation, "ernan_" looked up the
trigrams of every "fernandez" (tens of thousands of candidates, 200 ms); with its place kept,
"anq" is rare. Rebuilt here (CREATE INDEX over the contacts).

Why: the CRM contacts import writes the index for every new or renamed contact; with
positions (`detail=full`) that was ~15 µs per new contact and ~35 µs per renamed one, more
than the import's whole budget. Without positions a search cannot ask FTS5 for an exact
substring (a phrase), so it asks for the contacts that hold all of the text's trigrams and
keeps those whose name or address contains the text. A candidate index also tolerates
entries left from a contact's earlier name (the check drops them), so the import adds a
renamed contact's new trigrams without first removing the old ones.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TRIGGERS = ("contacts_search_au", "contacts_search_ad", "contacts_search_ai")


def _search_table(detail: str) -> list[str]:
    return [
        "CREATE VIRTUAL TABLE contacts_search USING fts5("
        "name_key, email_key, content='contacts', content_rowid='id', tokenize='trigram'"
        f"{', detail=' + detail if detail != 'full' else ''})",
        # an external-content table reads the contacts themselves: one pass over the table
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
    ]


def _replace(detail: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS contacts_search")
    for statement in _search_table(detail):
        op.execute(statement)


def _packed_index(mark: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute("DROP INDEX IF EXISTS ix_contacts_search_packed_trgm")
    op.execute(
        "CREATE INDEX ix_contacts_search_packed_trgm ON contacts USING gin ("
        f"(regexp_replace(name_key, '[^a-z0-9]', '{mark}', 'g') || ' ' || "
        f"regexp_replace(email_key, '[^a-z0-9]', '{mark}', 'g')) gin_trgm_ops)"
    )


def upgrade() -> None:
    _replace("none")
    _packed_index("q")


def downgrade() -> None:
    _replace("full")
    _packed_index("")
