"""The time zone of the report rollups' days and months, kept in the database.

Reports counted UTC days while the card shows dates in RASTRO_TIMEZONE. The rollups now count
the calendar days of a time zone stored here (one row), which every writer of the rollups
reads: `rollups rebuild --timezone ZONE` recounts them in another zone. Existing rollups were
counted in UTC, so that is the row this migration writes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "rollup_settings",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rollup_settings"),
        sa.CheckConstraint("id = 1", name="ck_rollup_settings_one_row"),
    )
    op.bulk_insert(table, [{"id": 1, "timezone": "UTC"}])


def downgrade() -> None:
    op.drop_table("rollup_settings")
