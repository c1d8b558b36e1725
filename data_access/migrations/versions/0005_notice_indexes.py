"""The by-event and by-campaign time indexes of email events hold notices only.

Deliveries and sends are ~95 % of the events and no query looks them up by event or by
campaign and time (the card reads a contact's events through the contact index, the rollups
read new events by id). Partial indexes that leave them out cost an import a twentieth of
the index upkeep. A query uses them only when its WHERE states the same predicate.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NOTICES_ONLY = "event NOT IN ('delivered', 'sent')"
INDEXES = {
    "ix_email_events_event_time": ["event", "occurred_at"],
    "ix_email_events_campaign_time": ["campaign_id", "occurred_at"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="email_events")
        op.create_index(
            name,
            "email_events",
            columns,
            sqlite_where=sa.text(NOTICES_ONLY),
            postgresql_where=sa.text(NOTICES_ONLY),
        )


def downgrade() -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="email_events")
        op.create_index(name, "email_events", columns)
