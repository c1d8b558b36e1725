"""Initial schema: contacts, campaigns, email events, contact status, search indexes.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SEARCH_KEY = sa.String(320).with_variant(sa.String(320, collation="C"), "postgresql")
ORIGINS = "'campaign', 'automation'"
EVENTS = (
    "'sent', 'delivered', 'bounced', 'spam_complaint', 'not_sent', 'unsubscribed', 'resubscribed'"
)
BOUNCE_TYPES = "'hard', 'soft', 'undetermined'"
REASONS = "'invalid_address', 'previous_spam', 'unsubscribed', 'previous_bounce'"

# SQLite: substring search through an FTS5 trigram index over the folded keys, kept in step
# with `contacts` by triggers (external-content table: the text is not stored twice).
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE contacts_search USING fts5("
    "name_key, email_key, content='contacts', content_rowid='id', tokenize='trigram')",
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


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(300), nullable=False, server_default=""),
        sa.Column("email_key", SEARCH_KEY, nullable=False),
        sa.Column("name_key", SEARCH_KEY, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contacts"),
        sa.UniqueConstraint("email", name="uq_contacts_email"),
    )
    op.create_index("ix_contacts_email_key", "contacts", ["email_key"])
    op.create_index("ix_contacts_name_key", "contacts", ["name_key"])

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
        sa.CheckConstraint(f"origin IN ({ORIGINS})", name="ck_campaigns_origin"),
        sa.UniqueConstraint("origin", "external_id", name="uq_campaigns_origin_external_id"),
    )

    op.create_table(
        "email_events",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("contact_id", sa.Integer, nullable=False),
        sa.Column("campaign_id", sa.Integer, nullable=True),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("bounce_type", sa.String(16), nullable=True),
        sa.Column("reason", sa.String(24), nullable=True),
        sa.Column("provider_reason", sa.Text, nullable=True),
        sa.Column("smtp_diagnostic", sa.Text, nullable=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("provider_event_id", sa.String(255), nullable=True),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_email_events"),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name="fk_email_events_contact_id_contacts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name="fk_email_events_campaign_id_campaigns"
        ),
        sa.CheckConstraint(f"event IN ({EVENTS})", name="ck_email_events_event"),
        sa.CheckConstraint(
            f"(event = 'bounced' AND bounce_type IS NOT NULL AND bounce_type IN ({BOUNCE_TYPES}))"
            " OR (event <> 'bounced' AND bounce_type IS NULL)",
            name="ck_email_events_bounce_type",
        ),
        sa.CheckConstraint(
            f"(event = 'not_sent' AND reason IS NOT NULL AND reason IN ({REASONS}))"
            " OR (event <> 'not_sent' AND reason IS NULL)",
            name="ck_email_events_reason",
        ),
        sa.CheckConstraint(
            "campaign_id IS NOT NULL OR event IN ('unsubscribed', 'resubscribed')",
            name="ck_email_events_campaign_required",
        ),
    )
    op.create_index("ix_email_events_contact_time", "email_events", ["contact_id", "occurred_at"])
    op.create_index("ix_email_events_event_time", "email_events", ["event", "occurred_at"])
    op.create_index("ix_email_events_campaign_time", "email_events", ["campaign_id", "occurred_at"])
    op.create_index(
        "uq_email_events_provider_event",
        "email_events",
        ["provider", "provider_event_id"],
        unique=True,
        sqlite_where=sa.text("provider_event_id IS NOT NULL"),
        postgresql_where=sa.text("provider_event_id IS NOT NULL"),
    )

    op.create_table(
        "contact_status",
        sa.Column("contact_id", sa.Integer, nullable=False),
        sa.Column("blocked", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("reason", sa.String(24), nullable=True),
        sa.Column("since", UTC, nullable=True),
        sa.Column("cause_event_id", BIG_ID, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name="pk_contact_status"),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name="fk_contact_status_contact_id_contacts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cause_event_id"],
            ["email_events.id"],
            name="fk_contact_status_cause_event_id_email_events",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(
            f"(blocked AND reason IS NOT NULL AND reason IN ({REASONS})) OR (NOT blocked AND reason IS NULL)",
            name="ck_contact_status_reason",
        ),
    )
    op.create_index("ix_contact_status_blocked_reason", "contact_status", ["blocked", "reason"])

    if dialect == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    elif dialect == "postgresql":
        # Substring search: trigrams of the keys with everything but a-z0-9 removed, so that
        # punctuation in what the user types does not turn into very common padded trigrams.
        op.execute(
            "CREATE INDEX ix_contacts_search_packed_trgm ON contacts USING gin ("
            "(regexp_replace(name_key, '[^a-z0-9]', '', 'g') || ' ' || "
            "regexp_replace(email_key, '[^a-z0-9]', '', 'g')) gin_trgm_ops)"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("contacts_search_au", "contacts_search_ad", "contacts_search_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS contacts_search")
    op.drop_table("contact_status")
    op.drop_table("email_events")
    op.drop_table("campaigns")
    op.drop_table("contacts")
