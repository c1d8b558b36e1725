"""Report rollups: recipient domain per contact, bounce category per bounce, daily and
domain-by-month rollup tables.

The new columns of existing rows and the rollups are filled after this migration by
`data_access.rollups.backfill` (run by `migrate.upgrade`), which uses the same code as new
events do, so old and new rows can never be categorised differently.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CATEGORIES = (
    "'mailbox_unknown', 'domain_unknown', 'mailbox_full', 'mailbox_disabled', 'blocked', "
    "'temporary', 'other'"
)


def upgrade() -> None:
    # Plain ADD COLUMN on both engines: SQLite's "batch" mode would copy the tables (20M
    # events) and lose the search triggers of `contacts`.
    op.add_column(
        "contacts", sa.Column("email_domain", sa.String(255), nullable=False, server_default="")
    )
    op.create_index("ix_contacts_email_domain", "contacts", ["email_domain"])
    check = f"bounce_category IS NULL OR bounce_category IN ({CATEGORIES})"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE email_events ADD COLUMN bounce_category VARCHAR(24) "
            f"CONSTRAINT ck_email_events_bounce_category CHECK ({check})"
        )
    else:
        op.add_column("email_events", sa.Column("bounce_category", sa.String(24), nullable=True))
        op.create_check_constraint(op.f("ck_email_events_bounce_category"), "email_events", check)
    op.create_table(
        "daily_rollup",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("bounce_type", sa.String(16), nullable=False, server_default=""),
        sa.Column("reason", sa.String(24), nullable=False, server_default=""),
        sa.Column("category", sa.String(24), nullable=False, server_default=""),
        sa.Column("events", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "campaign_id",
            "event",
            "bounce_type",
            "reason",
            "category",
            name="pk_daily_rollup",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_daily_rollup_campaign_id_campaigns"
        ),
    )
    op.create_table(
        "domain_monthly_rollup",
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("sends", sa.Integer, nullable=False),
        sa.Column("bounced", sa.Integer, nullable=False),
        sa.Column("hard_bounced", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("month", "origin", "domain", name="pk_domain_monthly_rollup"),
    )


def downgrade() -> None:
    op.drop_table("domain_monthly_rollup")
    op.drop_table("daily_rollup")
    op.drop_index("ix_contacts_email_domain", "contacts")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a column that a CHECK constraint names; rebuild the table.
        with op.batch_alter_table("email_events") as batch:
            batch.drop_constraint(op.f("ck_email_events_bounce_category"), type_="check")
            batch.drop_column("bounce_category")
    else:
        op.drop_constraint(op.f("ck_email_events_bounce_category"), "email_events", type_="check")
        op.drop_column("email_events", "bounce_category")
    op.drop_column("contacts", "email_domain")
