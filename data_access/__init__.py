"""Rastro's data layer: schema, engines, the status policy, queries returning polars DataFrames,
the demo world and the CLI (`python -m data_access --help`). It never imports streamlit, so the
dashboard and the analysts' notebooks share it.
"""

from . import blocks, csv_safe, policy, reports, rollups, schema, vocab
from .bootstrap import open_database
from .config import resolve_url
from .engine import DatabaseUnavailable, make_engine
from .migrate import upgrade
from .quarantine import QUARANTINE_SCHEMA, recent_quarantine
from .queries import (
    CONTACT_SCHEMA,
    EVENTS_SCHEMA,
    SEARCH_SCHEMA,
    STATUS_SCHEMA,
    ContactCard,
    contact,
    contact_card,
    contact_events,
    contact_status,
    data_version,
    search_contacts,
)
from .status import BLOCKED_SCHEMA, blocked_contacts, refresh_contact_status

__all__ = [
    "BLOCKED_SCHEMA",
    "CONTACT_SCHEMA",
    "EVENTS_SCHEMA",
    "QUARANTINE_SCHEMA",
    "SEARCH_SCHEMA",
    "STATUS_SCHEMA",
    "ContactCard",
    "DatabaseUnavailable",
    "blocked_contacts",
    "blocks",
    "contact",
    "contact_card",
    "contact_events",
    "contact_status",
    "csv_safe",
    "data_version",
    "make_engine",
    "open_database",
    "policy",
    "recent_quarantine",
    "refresh_contact_status",
    "reports",
    "resolve_url",
    "rollups",
    "schema",
    "search_contacts",
    "upgrade",
    "vocab",
]
