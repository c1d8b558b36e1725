"""Users (admin / seller, argon2 password hashes) and the audit trail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIONS = (
    "'login_ok', 'login_failed', 'login_throttled', 'logout', 'session_expired', "
    "'access_denied', 'card_opened'"
)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("display_name", sa.String(300), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column(
            "active", sa.Boolean(create_constraint=False), nullable=False, server_default=sa.true()
        ),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.CheckConstraint("role IN ('admin', 'seller')", name="ck_users_role"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("contact_id", sa.Integer, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.CheckConstraint(f"action IN ({ACTIONS})", name="ck_audit_log_action"),
    )
    op.create_index(
        "ix_audit_log_username_action_time", "audit_log", ["username", "action", "occurred_at"]
    )
    op.create_index("ix_audit_log_time", "audit_log", ["occurred_at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("users")
