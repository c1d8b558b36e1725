"""Dashboard sessions: the server side of the session cookie, and the audit actions for
session starts and ends.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIONS = (
    "'login_ok', 'login_failed', 'login_throttled', 'logout', 'session_expired', "
    "'access_denied', 'card_opened', 'webhook_refused', 'block_lifted'"
)
REASONS = "'logout', 'idle', 'lifetime', 'disabled', 'password_changed', 'unused'"


def _audit_actions(actions: str) -> None:
    # As in 0006: the name carries the naming convention's prefix twice; batch mode for SQLite.
    with op.batch_alter_table("audit_log", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_audit_log_ck_audit_log_action"), type_="check")
        batch.create_check_constraint(
            op.f("ck_audit_log_ck_audit_log_action"), sa.text(f"action IN ({actions})")
        )


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("nonce_hash", sa.String(64), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_seen_at", UTC, nullable=False),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("end_reason", sa.String(24), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_user_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_user_sessions_user_id_users",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "method IS NOT NULL AND method IN ('password', 'sso')",
            name="ck_user_sessions_method",
        ),
        sa.CheckConstraint(
            "(ended_at IS NULL AND end_reason IS NULL) OR (ended_at IS NOT NULL AND "
            f"end_reason IS NOT NULL AND end_reason IN ({REASONS}))",
            name="ck_user_sessions_end_reason",
        ),
        sa.UniqueConstraint("token_hash", name="uq_user_sessions_token_hash"),
        sa.UniqueConstraint("nonce_hash", name="uq_user_sessions_nonce_hash"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    _audit_actions(ACTIONS + ", 'session_started', 'session_ended'")


def downgrade() -> None:
    op.execute("DELETE FROM audit_log WHERE action IN ('session_started', 'session_ended')")
    _audit_actions(ACTIONS)
    op.drop_table("user_sessions")
