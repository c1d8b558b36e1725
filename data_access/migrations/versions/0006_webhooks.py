"""Live webhooks: the durable inbox of received requests, request counts, and the audit
action for refused requests.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIONS = (
    "'login_ok', 'login_failed', 'login_throttled', 'logout', 'session_expired', "
    "'access_denied', 'card_opened'"
)
BACKLOG = "processed_at IS NULL"


def _audit_actions(actions: str) -> None:
    # 0002 named it through the naming convention, which prefixed the name once more.
    # SQLite cannot alter a CHECK constraint: batch mode copies the table (a small one).
    with op.batch_alter_table("audit_log", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_audit_log_ck_audit_log_action"), type_="check")
        batch.create_check_constraint(
            op.f("ck_audit_log_ck_audit_log_action"), sa.text(f"action IN ({actions})")
        )


def upgrade() -> None:
    op.create_table(
        "webhook_inbox",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("remote_addr", sa.String(64), nullable=True),
        sa.Column("content_type", sa.String(200), nullable=True),
        sa.Column("default_origin", sa.String(16), nullable=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("processed_at", UTC, nullable=True),
        sa.Column("received", sa.Integer, nullable=True),
        sa.Column("stored", sa.Integer, nullable=True),
        sa.Column("duplicates", sa.Integer, nullable=True),
        sa.Column("ignored", sa.Integer, nullable=True),
        sa.Column("quarantined", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_inbox"),
        sa.CheckConstraint(
            "default_origin IS NULL OR default_origin IN ('campaign', 'automation')",
            name="ck_webhook_inbox_default_origin",
        ),
    )
    op.create_index(
        "ix_webhook_inbox_backlog",
        "webhook_inbox",
        ["id"],
        sqlite_where=sa.text(BACKLOG),
        postgresql_where=sa.text(BACKLOG),
    )
    op.create_index("ix_webhook_inbox_provider_time", "webhook_inbox", ["provider", "received_at"])
    op.create_table(
        "webhook_requests",
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("hour", UTC, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("provider", "hour", "outcome", name="pk_webhook_requests"),
        sa.CheckConstraint(
            "outcome IS NOT NULL AND outcome IN ('accepted', 'refused')",
            name="ck_webhook_requests_outcome",
        ),
    )
    _audit_actions(ACTIONS + ", 'webhook_refused'")


def downgrade() -> None:
    op.execute("DELETE FROM audit_log WHERE action = 'webhook_refused'")
    _audit_actions(ACTIONS)
    op.drop_table("webhook_requests")
    op.drop_table("webhook_inbox")
