"""The database schema: one SQLAlchemy MetaData for SQLite and PostgreSQL.

Tables
- `contacts`: one row per address (stored normalised: trimmed, lower-case, unique), with folded
  search keys for the search box and, for contacts imported from the CRM, the CRM's own id.
- `campaigns`: the emails' origins: an email campaign (`campaign`) or an automation flow
  (`automation`); `external_id` is the CRM's id, used by the editor links and provider tags.
- `email_events`: what happened with each email, in UTC, deduplicated per provider event id.
- `contact_status`: the status policy's current verdict per contact, materialised so that lists
  and badges of blocked contacts need not replay 20M events (kept by the demo generator, by
  ingestion and by lifts; `data_access.contact_status` always recomputes it live), with the
  origin of the email that caused the block for the blocked-contacts counts.
- `block_lifts`: who lifted a block, their comment and whether the contact renewed consent;
  the lift itself is a `block_lifted` row of `email_events` (in the contact's history).

The database enforces the vocabulary (CHECK constraints), the links (foreign keys) and the
uniqueness. Extras that only make sense on one engine (the SQLite FTS5 trigram table, the
PostgreSQL pg_trgm indexes) are created by the migrations; see `migrations/versions`.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from . import diagnostics, vocab
from .text import PACKED_MARK, PACKED_SQL_PATTERN, email_domain

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """An instant in UTC: `timestamptz` on PostgreSQL, ISO text in UTC on SQLite.

    Python values are always timezone-aware UTC datetimes; naive input is refused rather than
    guessed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        value = value.astimezone(UTC)
        # SQLite keeps text; store it without an offset so that it sorts and compares as text.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw text from SQLite through a non-typed path
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# SQLite makes a column a rowid alias only when it is declared exactly INTEGER.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Search keys compare byte-wise on both engines, so a range scan on the index is a prefix search.
SearchKey = sa.String(320).with_variant(sa.String(320, collation="C"), "postgresql")
# The CRM's contact id: compared byte-wise too (its prefix search is a range scan); matched as
# written, since some CRMs' ids are case-sensitive.
CrmId = sa.String(100).with_variant(sa.String(100, collation="C"), "postgresql")


SEARCH_PACKED_SQL = (
    f"regexp_replace(name_key, '{PACKED_SQL_PATTERN}', '{PACKED_MARK}', 'g') || ' ' || "
    f"regexp_replace(email_key, '{PACKED_SQL_PATTERN}', '{PACKED_MARK}', 'g')"
)


def _in(column: str, values: tuple[str, ...]) -> str:
    # Callers add "column IS NOT NULL AND" where NULL must fail: "NULL IN (...)" is NULL, and a
    # CHECK constraint passes when its expression is NULL.
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# Deliveries and sends are ~95 % of the events. The by-event and by-campaign time indexes hold
# only the others (the notices: bounces, spam complaints, not sent, unsubscribes,
# resubscribes), so that an import maintains them for one row in twenty. A query can use them
# only when its WHERE states this very term: SQLite matches the term itself (`event = 'bounced'`
# does not prove it) and PostgreSQL must prove it; add `sa.text(NOTICES_ONLY_SQL)` to the
# query, and only when it asks for notices (for deliveries or sends it would drop every row).
NOT_NOTICES = (vocab.DELIVERED, vocab.SENT)
NOTICES_ONLY_SQL = f"event NOT IN ({', '.join(repr(v) for v in NOT_NOTICES)})"


def _domain_default(context) -> str:
    return email_domain(context.get_current_parameters().get("email") or "")


def _category_default(context) -> str | None:
    row = context.get_current_parameters()
    if row.get("event") != vocab.BOUNCED:
        return None
    return diagnostics.bounce_category(row.get("smtp_diagnostic"), row.get("provider_reason"))


contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("name", sa.String(300), nullable=False, server_default=""),
    sa.Column("email_key", SearchKey, nullable=False),
    sa.Column("name_key", SearchKey, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # The recipient domain, for the domain report (filled from `email` when not given).
    sa.Column(
        "email_domain", sa.String(255), nullable=False, server_default="", default=_domain_default
    ),
    # The CRM's own id (contacts imported from the CRM); unique where given, NULL otherwise.
    sa.Column("crm_id", CrmId, nullable=True),
    sa.UniqueConstraint("email"),
    sa.Index("ix_contacts_email_key", "email_key"),
    sa.Index("ix_contacts_name_key", "name_key"),
    sa.Index("ix_contacts_email_domain", "email_domain"),
    # Uniqueness of the CRM id and its exact and prefix search (NULLs never collide).
    sa.Index("uq_contacts_crm_id", "crm_id", unique=True),
    # PostgreSQL substring search: one trigram index over the packed keys (text.pack).
    sa.Index(
        "ix_contacts_search_packed_trgm",
        sa.text(f"({SEARCH_PACKED_SQL}) gin_trgm_ops"),
        postgresql_using="gin",
    ).ddl_if(dialect="postgresql"),
)

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("external_id", sa.String(100), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint(_in("origin", vocab.ORIGINS), name="origin"),
    sa.UniqueConstraint("origin", "external_id", name="uq_campaigns_origin_external_id"),
)

# On PostgreSQL these two foreign keys of email_events are kept by statement-level triggers
# instead (migration 0014: the same rules, checked once per statement rather than once per
# row, which was ~80 % of the cost of a COPY of events); SQLite has them as declared here.
REFERENCES_BY_TRIGGER = frozenset(
    {"fk_email_events_contact_id_contacts", "fk_email_events_campaign_id_campaigns"}
)

email_events = sa.Table(
    "email_events",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column(
        "contact_id", sa.Integer, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id"), nullable=True),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("bounce_type", sa.String(16), nullable=True),
    sa.Column("reason", sa.String(24), nullable=True),
    sa.Column("provider_reason", sa.Text, nullable=True),
    sa.Column("smtp_diagnostic", sa.Text, nullable=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("provider_event_id", sa.String(255), nullable=True),
    sa.Column("message_id", sa.String(255), nullable=True),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    # diagnostics.bounce_category of a bounce's text (filled when not given)
    sa.Column("bounce_category", sa.String(24), nullable=True, default=_category_default),
    sa.CheckConstraint(_in("event", vocab.STORED_EVENTS), name="event"),
    sa.CheckConstraint(
        f"bounce_category IS NULL OR {_in('bounce_category', diagnostics.CATEGORIES)}",
        name="bounce_category",
    ),
    sa.CheckConstraint(
        f"(event = 'bounced' AND bounce_type IS NOT NULL AND {_in('bounce_type', vocab.BOUNCE_TYPES)})"
        " OR (event <> 'bounced' AND bounce_type IS NULL)",
        name="bounce_type",
    ),
    sa.CheckConstraint(
        f"(event = 'not_sent' AND reason IS NOT NULL AND {_in('reason', vocab.REASONS)})"
        f" OR (event = 'block_lifted' AND reason IS NOT NULL"
        f" AND {_in('reason', vocab.LIFTABLE_REASONS)})"
        f" OR (event NOT IN ('not_sent', 'block_lifted') AND reason IS NULL)",
        name="reason",
    ),
    sa.CheckConstraint(
        f"campaign_id IS NOT NULL OR {_in('event', vocab.EVENTS_WITHOUT_CAMPAIGN)}",
        name="campaign_required",
    ),
    # Every event of a contact (the card and the status policy need deliveries too).
    sa.Index("ix_email_events_contact_time", "contact_id", "occurred_at"),
    # Notices only (partial; see NOTICES_ONLY_SQL): the report drill-down.
    sa.Index(
        "ix_email_events_event_time",
        "event",
        "occurred_at",
        sqlite_where=sa.text(NOTICES_ONLY_SQL),
        postgresql_where=sa.text(NOTICES_ONLY_SQL),
    ),
    sa.Index(
        "ix_email_events_campaign_time",
        "campaign_id",
        "occurred_at",
        sqlite_where=sa.text(NOTICES_ONLY_SQL),
        postgresql_where=sa.text(NOTICES_ONLY_SQL),
    ),
    # Every provider event is stored once: its own id is unique per provider. Events made by
    # Rastro itself (the demo world) have no provider id and are not indexed here.
    sa.Index(
        "uq_email_events_provider_event",
        "provider",
        "provider_event_id",
        unique=True,
        sqlite_where=sa.text("provider_event_id IS NOT NULL"),
        postgresql_where=sa.text("provider_event_id IS NOT NULL"),
    ),
)

contact_status = sa.Table(
    "contact_status",
    metadata,
    sa.Column(
        "contact_id",
        sa.Integer,
        sa.ForeignKey("contacts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("blocked", sa.Boolean(create_constraint=False), nullable=False),
    sa.Column("reason", sa.String(24), nullable=True),
    sa.Column("since", UTCDateTime, nullable=True),
    sa.Column(
        "cause_event_id",
        BigId,
        sa.ForeignKey("email_events.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # The origin of the campaign of `cause_event_id` (null when no email caused the block), kept
    # here so that the blocked-contacts counts by origin read one index, not 1M joins.
    sa.Column("cause_origin", sa.String(16), nullable=True),
    sa.CheckConstraint(
        f"(blocked AND reason IS NOT NULL AND {_in('reason', vocab.REASONS)}) OR (NOT blocked AND reason IS NULL)",
        name="reason",
    ),
    sa.CheckConstraint(
        f"cause_origin IS NULL OR {_in('cause_origin', vocab.ORIGINS)}", name="cause_origin"
    ),
    # The blocked-contacts counts and its list, newest first; both cover the reason and origin
    # filters, so that filtering them reads no table rows.
    sa.Index("ix_contact_status_blocked_reason_origin", "blocked", "reason", "cause_origin"),
    sa.Index(
        "ix_contact_status_blocked_since",
        "blocked",
        "since",
        "contact_id",
        "reason",
        "cause_origin",
    ),
)

block_lifts = sa.Table(
    "block_lifts",
    metadata,
    # The `block_lifted` event this row describes (its time, contact and reason are there).
    sa.Column(
        "event_id",
        BigId,
        sa.ForeignKey("email_events.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("lifted_by", sa.String(150), nullable=False),  # the administrator's username
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("renewed_consent", sa.Boolean(create_constraint=False), nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(150), nullable=False),
    sa.Column("display_name", sa.String(300), nullable=False),
    sa.Column("email", sa.String(320), nullable=True),  # matched by single sign-on
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column(
        "active", sa.Boolean(create_constraint=False), nullable=False, server_default=sa.true()
    ),
    sa.Column("password_hash", sa.String(255), nullable=True),  # argon2id; none: SSO only
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint(_in("role", vocab.ROLES), name="role"),
    sa.UniqueConstraint("username"),
    sa.UniqueConstraint("email"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    # Who acted, or the username someone tried (which may not exist): no foreign key, so the
    # trail outlives users and contacts.
    sa.Column("username", sa.String(150), nullable=False),
    sa.Column("contact_id", sa.Integer, nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
    sa.CheckConstraint(_in("action", vocab.AUDIT_ACTIONS), name="action"),
    sa.Index("ix_audit_log_username_action_time", "username", "action", "occurred_at"),
    sa.Index("ix_audit_log_time", "occurred_at"),
)

# --- report rollups (kept exact as events arrive: see data_access.rollups) -----------------

daily_rollup = sa.Table(
    "daily_rollup",
    metadata,
    sa.Column("day", sa.Date, nullable=False),  # day in the rollup time zone (rollup_settings)
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id"), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("bounce_type", sa.String(16), nullable=False, server_default=""),
    sa.Column("reason", sa.String(24), nullable=False, server_default=""),
    sa.Column("category", sa.String(24), nullable=False, server_default=""),
    sa.Column("events", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("day", "campaign_id", "event", "bounce_type", "reason", "category"),
)

domain_monthly_rollup = sa.Table(
    "domain_monthly_rollup",
    metadata,
    sa.Column("month", sa.Date, nullable=False),  # first day of the month, same time zone
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("domain", sa.String(255), nullable=False),
    sa.Column("sends", sa.Integer, nullable=False),  # delivered + bounced
    sa.Column("bounced", sa.Integer, nullable=False),
    sa.Column("hard_bounced", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("month", "origin", "domain"),
    # The domains that can reach the ranking threshold, found without reading every row.
    sa.Index("ix_domain_monthly_rollup_month_origin_sends", "month", "origin", "sends", "domain"),
)

# `daily_rollup` summed by month (revision 0012): a range's whole months are read here, its
# end days from `daily_rollup`.
campaign_monthly_rollup = sa.Table(
    "campaign_monthly_rollup",
    metadata,
    sa.Column("month", sa.Date, nullable=False),  # first day of the month, same time zone
    sa.Column("campaign_id", sa.Integer, sa.ForeignKey("campaigns.id"), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("bounce_type", sa.String(16), nullable=False, server_default=""),
    sa.Column("reason", sa.String(24), nullable=False, server_default=""),
    sa.Column("category", sa.String(24), nullable=False, server_default=""),
    sa.Column("events", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("month", "campaign_id", "event", "bounce_type", "reason", "category"),
)

# The time zone whose calendar days and months the two rollups count (one row; "UTC" until a
# `rollups rebuild --timezone` sets another). Every writer of the rollups reads it here.
rollup_settings = sa.Table(
    "rollup_settings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.CheckConstraint("id = 1", name="one_row"),
)

# --- imports --------------------------------------------------------------------------------

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("source", sa.String(300), nullable=False),  # the file's name
    sa.Column("source_sha256", sa.String(64), nullable=False),  # the file's content
    sa.Column("position", sa.Integer, nullable=False),  # record in the file (1-based)
    sa.Column("item", sa.Integer, nullable=False),  # outcome within the record (1-based)
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    # Importing the same file again does not quarantine the same record twice.
    sa.UniqueConstraint(
        "source_sha256", "position", "item", name="uq_quarantine_source_position_item"
    ),
    sa.Index("ix_quarantine_received_at", "received_at"),
)

# --- live webhooks (see data_access.webhooks) -------------------------------------------------

WEBHOOK_OUTCOMES = ("accepted", "refused")

# Every accepted webhook request, as received, committed before the provider gets its 2xx; the
# worker turns it into events through the import store and marks it processed in the same
# transaction (with what the store said about it).
webhook_inbox = sa.Table(
    "webhook_inbox",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("remote_addr", sa.String(64), nullable=True),
    sa.Column("content_type", sa.String(200), nullable=True),
    sa.Column("default_origin", sa.String(16), nullable=True),  # ?origin= of the URL
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("processed_at", UTCDateTime, nullable=True),
    # The store's reconciliation for this request, once processed.
    sa.Column("received", sa.Integer, nullable=True),
    sa.Column("stored", sa.Integer, nullable=True),
    sa.Column("duplicates", sa.Integer, nullable=True),
    sa.Column("ignored", sa.Integer, nullable=True),
    sa.Column("quarantined", sa.Integer, nullable=True),
    sa.CheckConstraint(
        f"default_origin IS NULL OR {_in('default_origin', vocab.ORIGINS)}", name="default_origin"
    ),
    # The backlog (rows not processed yet) is found without reading the processed ones.
    sa.Index(
        "ix_webhook_inbox_backlog",
        "id",
        sqlite_where=sa.text("processed_at IS NULL"),
        postgresql_where=sa.text("processed_at IS NULL"),
    ),
    sa.Index("ix_webhook_inbox_provider_time", "provider", "received_at"),
)

# Requests per provider, UTC hour and outcome (accepted or refused), for the Recepción page.
webhook_requests = sa.Table(
    "webhook_requests",
    metadata,
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("hour", UTCDateTime, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.CheckConstraint(
        f"outcome IS NOT NULL AND {_in('outcome', WEBHOOK_OUTCOMES)}", name="outcome"
    ),
    sa.PrimaryKeyConstraint("provider", "hour", "outcome"),
)

# --- dashboard sessions (see data_access.sessions) --------------------------------------------

# One row per sign-in. The browser holds a random token in an HttpOnly cookie; only its SHA-256
# is kept here. Until the browser opens the one-time sign-in link, the row holds that link's
# nonce (hashed) instead of a token. An ended session keeps its row: when and why it ended.
user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),  # password or sso
    sa.Column("token_hash", sa.String(64), nullable=True),
    sa.Column("nonce_hash", sa.String(64), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.Column("end_reason", sa.String(24), nullable=True),
    sa.CheckConstraint(
        f"method IS NOT NULL AND {_in('method', vocab.SESSION_METHODS)}", name="method"
    ),
    sa.CheckConstraint(
        "(ended_at IS NULL AND end_reason IS NULL) OR (ended_at IS NOT NULL AND "
        f"end_reason IS NOT NULL AND {_in('end_reason', vocab.SESSION_END_REASONS)})",
        name="end_reason",
    ),
    sa.UniqueConstraint("token_hash"),
    sa.UniqueConstraint("nonce_hash"),
    sa.Index("ix_user_sessions_user_id", "user_id"),
)
