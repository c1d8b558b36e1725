"""What the Recepción page and `python -m data_access webhooks status` show, per provider:
the URL path, whether its checks are configured, the last request received, requests
accepted and refused in the last 24 h, the backlog and the quarantine."""

from datetime import UTC, datetime, timedelta

import polars as pl
import sqlalchemy as sa

from .. import schema
from . import inbox
from .settings import PROVIDERS, WebhookSettings

STATUS_SCHEMA = {
    "provider": pl.Utf8,
    "path": pl.Utf8,
    "secret": pl.Boolean,  # RASTRO_WEBHOOK_SECRET set (without it nothing is accepted)
    "signature": pl.Boolean,  # the provider's own check configured (see WebhookSettings.checks)
    "last_received": pl.Datetime("us", "UTC"),
    "accepted_24h": pl.Int64,
    "refused_24h": pl.Int64,
    "backlog": pl.Int64,
    "quarantined": pl.Int64,
}


def overview(conn: sa.Connection, config: WebhookSettings, now: datetime | None = None):
    """One row per provider; schema STATUS_SCHEMA."""
    now = now or datetime.now(UTC)
    i, r, q = schema.webhook_inbox.c, schema.webhook_requests.c, schema.quarantine.c
    last = dict(
        conn.execute(sa.select(i.provider, sa.func.max(i.received_at)).group_by(i.provider)).all()
    )
    since = (now - timedelta(hours=24)).replace(minute=0, second=0, microsecond=0)
    counts = {
        (p, o): n
        for p, o, n in conn.execute(
            sa.select(r.provider, r.outcome, sa.func.sum(r.requests))
            .where(r.hour >= since)
            .group_by(r.provider, r.outcome)
        ).all()
    }
    backlog = dict(
        conn.execute(
            sa.select(i.provider, sa.func.count())
            .where(i.processed_at.is_(None))
            .group_by(i.provider)
        ).all()
    )
    quarantined = dict(
        conn.execute(
            sa.select(q.provider, sa.func.count())
            .where(q.source.startswith(inbox.SOURCE_PREFIX, autoescape=True))
            .group_by(q.provider)
        ).all()
    )
    rows = [
        (
            p,
            f"/webhooks/{p}",
            config.secret is not None,
            config.checks(p),
            _utc(last.get(p)),
            int(counts.get((p, "accepted"), 0)),
            int(counts.get((p, "refused"), 0)),
            backlog.get(p, 0),
            quarantined.get(p, 0),
        )
        for p in PROVIDERS
    ]
    return pl.DataFrame(rows, schema=STATUS_SCHEMA, orient="row")


def _utc(value):
    if isinstance(value, str):  # SQLite's max() of a DateTime column comes back as text
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
