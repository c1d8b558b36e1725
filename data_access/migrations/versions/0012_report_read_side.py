"""The report page's read side at a million contacts: a monthly campaign rollup and an index
that finds the domains that can be ranked.

- `campaign_monthly_rollup`: `daily_rollup` summed by month (first day of the month, in the
  same time zone): the campaign totals of a range are its whole months from here plus the
  days at its two ends from `daily_rollup`, about a sixth of the rows for a year. It is also
  the total of sends per month that the domain ranking's threshold needs. Filled here from
  `daily_rollup` (the days are already the rollups' time zone).
- `ix_domain_monthly_rollup_month_origin_sends` on `domain_monthly_rollup (month, origin,
  sends, domain)`: a domain with at least N sends over R (month, origin) rows has one row with
  at least N / R, so those rows (a few dozen) name every domain that can reach the threshold.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

KEYS = "campaign_id, event, bounce_type, reason, category"


def upgrade() -> None:
    op.create_table(
        "campaign_monthly_rollup",
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("campaign_id", sa.Integer, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("bounce_type", sa.String(16), nullable=False, server_default=""),
        sa.Column("reason", sa.String(24), nullable=False, server_default=""),
        sa.Column("category", sa.String(24), nullable=False, server_default=""),
        sa.Column("events", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint(
            "month",
            "campaign_id",
            "event",
            "bounce_type",
            "reason",
            "category",
            name="pk_campaign_monthly_rollup",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_campaign_monthly_rollup_campaign_id_campaigns",
        ),
    )
    if op.get_bind().dialect.name == "sqlite":
        month = "strftime('%Y-%m-01', day)"
    else:
        month = "CAST(date_trunc('month', day) AS DATE)"
    op.execute(
        f"INSERT INTO campaign_monthly_rollup (month, {KEYS}, events) "
        f"SELECT {month}, {KEYS}, SUM(events) FROM daily_rollup GROUP BY {month}, {KEYS}"
    )
    op.create_index(
        "ix_domain_monthly_rollup_month_origin_sends",
        "domain_monthly_rollup",
        ["month", "origin", "sends", "domain"],
    )


def downgrade() -> None:
    op.drop_index("ix_domain_monthly_rollup_month_origin_sends", "domain_monthly_rollup")
    op.drop_table("campaign_monthly_rollup")
