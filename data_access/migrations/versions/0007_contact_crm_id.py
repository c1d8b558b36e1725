"""The CRM's own id of each contact (`contacts.crm_id`), unique where given.

Contacts imported from the CRM's contact list carry the CRM's id, which the card links to
and the search box finds. One unique index serves both: uniqueness (NULLs never collide on
either engine, so contacts without an id are fine) and the prefix search, a range scan of the
index (byte-wise on PostgreSQL: COLLATE "C", like the search keys).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CRM_ID = sa.String(100).with_variant(sa.String(100, collation="C"), "postgresql")


def upgrade() -> None:
    # Plain ADD COLUMN on both engines: SQLite's "batch" mode would copy the table and lose
    # the search triggers of `contacts`.
    op.add_column("contacts", sa.Column("crm_id", CRM_ID, nullable=True))
    op.create_index("uq_contacts_crm_id", "contacts", ["crm_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_contacts_crm_id", table_name="contacts")
    op.drop_column("contacts", "crm_id")
