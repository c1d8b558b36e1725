"""Lifting blocks: the `block_lifted` event, the `block_lifts` table (who, comment, renewed
consent), the `block_lifted` audit action, and the origin of the causing email in
`contact_status` with the indexes of the blocked-contacts list.

The CHECK constraints of `email_events` and `audit_log` only become wider (every row that
passed them still passes). PostgreSQL replaces them. SQLite cannot alter a constraint, and
rebuilding `email_events` would copy 20M rows; so its stored table definition is edited in
place, the procedure SQLite documents for loosening constraints ("Making Other Kinds Of Table
Schema Changes" in its ALTER TABLE page): in this transaction, with `writable_schema` on and
the schema version bumped. Each new definition is first created in a scratch in-memory
database, so a text that SQLite would not read is refused before the real schema is touched.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
REASONS = "'invalid_address', 'previous_spam', 'unsubscribed', 'previous_bounce'"
LIFTABLE = "'previous_spam', 'unsubscribed', 'previous_bounce'"
OLD_EVENTS = "'sent', 'delivered', 'bounced', 'spam_complaint', 'not_sent', 'unsubscribed', "
OLD_EVENTS += "'resubscribed'"
OLD_ACTIONS = (
    "'login_ok', 'login_failed', 'login_throttled', 'logout', 'session_expired', "
    "'access_denied', 'card_opened'"
)

# (table, constraint, before, after)
CHECKS = [
    (
        "email_events",
        "ck_email_events_ck_email_events_event",
        f"event IN ({OLD_EVENTS})",
        f"event IN ({OLD_EVENTS}, 'block_lifted')",
    ),
    (
        "email_events",
        "ck_email_events_ck_email_events_reason",
        f"(event = 'not_sent' AND reason IS NOT NULL AND reason IN ({REASONS}))"
        " OR (event <> 'not_sent' AND reason IS NULL)",
        f"(event = 'not_sent' AND reason IS NOT NULL AND reason IN ({REASONS}))"
        f" OR (event = 'block_lifted' AND reason IS NOT NULL AND reason IN ({LIFTABLE}))"
        " OR (event NOT IN ('not_sent', 'block_lifted') AND reason IS NULL)",
    ),
    (
        "email_events",
        "ck_email_events_ck_email_events_campaign_required",
        "campaign_id IS NOT NULL OR event IN ('unsubscribed', 'resubscribed')",
        "campaign_id IS NOT NULL OR event IN ('unsubscribed', 'resubscribed', 'block_lifted')",
    ),
    (
        "audit_log",
        "ck_audit_log_ck_audit_log_action",
        f"action IN ({OLD_ACTIONS}, 'webhook_refused')",
        f"action IN ({OLD_ACTIONS}, 'webhook_refused', 'block_lifted')",
    ),
]


def _replace_check(sql: str, name: str, before: str, after: str) -> str:
    """The CREATE TABLE text with constraint `name`'s expression `before` replaced by `after`."""
    old = f"CONSTRAINT {name} CHECK ({before})"
    if sql.count(old) != 1:
        raise RuntimeError(f"no se encontró la restricción {name} tal como la creó la migración")
    return sql.replace(old, f"CONSTRAINT {name} CHECK ({after})")


def _sqlite_set_checks(checks) -> None:
    bind = op.get_bind()
    tables = {}
    for table, name, before, after in checks:
        if table not in tables:
            tables[table] = bind.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).scalar_one()
        tables[table] = _replace_check(tables[table], name, before, after)
    scratch = sqlite3.connect(":memory:")
    try:
        for sql in tables.values():
            scratch.execute(sql)  # raises on a definition SQLite could not read back
    finally:
        scratch.close()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    for table, sql in tables.items():
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table)
        )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _set_checks(checks) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_set_checks(checks)
        return
    for table, name, _before, after in checks:
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, after)


def upgrade() -> None:
    _set_checks(CHECKS)
    op.create_table(
        "block_lifts",
        sa.Column("event_id", BIG_ID, nullable=False),
        sa.Column("lifted_by", sa.String(150), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("renewed_consent", sa.Boolean(create_constraint=False), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_block_lifts"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["email_events.id"],
            name="fk_block_lifts_event_id_email_events",
            ondelete="CASCADE",
        ),
    )
    check = "cause_origin IS NULL OR cause_origin IN ('campaign', 'automation')"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE contact_status ADD COLUMN cause_origin VARCHAR(16) "
            f"CONSTRAINT ck_contact_status_cause_origin CHECK ({check})"
        )
    else:
        op.add_column("contact_status", sa.Column("cause_origin", sa.String(16), nullable=True))
        op.create_check_constraint(op.f("ck_contact_status_cause_origin"), "contact_status", check)
    # The origin of the causing email of the blocks already stored (one look-up per block).
    op.execute(
        "UPDATE contact_status SET cause_origin = ("
        "SELECT k.origin FROM email_events e JOIN campaigns k ON k.id = e.campaign_id "
        "WHERE e.id = contact_status.cause_event_id) "
        "WHERE cause_event_id IS NOT NULL"
    )
    op.drop_index("ix_contact_status_blocked_reason", table_name="contact_status")
    op.create_index(
        "ix_contact_status_blocked_reason_origin",
        "contact_status",
        ["blocked", "reason", "cause_origin"],
    )
    op.create_index(
        "ix_contact_status_blocked_since",
        "contact_status",
        ["blocked", "since", "contact_id", "reason", "cause_origin"],
    )


def downgrade() -> None:
    lifts = (
        op.get_bind()
        .exec_driver_sql("SELECT COUNT(*) FROM email_events WHERE event = 'block_lifted'")
        .scalar_one()
    )
    if lifts:
        # The narrower constraints would refuse these rows, and the audit trail is not
        # deleted to make a downgrade possible.
        raise RuntimeError(
            f"Hay {lifts} bloqueos levantados guardados: la revisión 0005 no puede guardarlos."
        )
    op.drop_index("ix_contact_status_blocked_since", table_name="contact_status")
    op.drop_index("ix_contact_status_blocked_reason_origin", table_name="contact_status")
    op.create_index("ix_contact_status_blocked_reason", "contact_status", ["blocked", "reason"])
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("contact_status") as batch:
            batch.drop_constraint(op.f("ck_contact_status_cause_origin"), type_="check")
            batch.drop_column("cause_origin")
    else:
        op.drop_constraint(op.f("ck_contact_status_cause_origin"), "contact_status", type_="check")
        op.drop_column("contact_status", "cause_origin")
    op.drop_table("block_lifts")
    _set_checks([(table, name, after, before) for table, name, before, after in CHECKS])
