"""Cached access to the data layer for the pages (the only place the app opens the database).

The engine is a cached resource (one per URL and process); query results are cached data with
a TTL (RASTRO_CACHE_TTL_SECONDS), keyed by the database URL so that two databases never share
results.
"""

import os

import polars as pl
import sqlalchemy as sa
import streamlit as st

import data_access as da
from data_access import open_database
from data_access.config import ENV_VAR

from .settings import load_settings

TTL = load_settings().cache_ttl_seconds  # fixed when the module is imported


def settings():
    """The current settings (read from the environment on every run: cheap)."""
    return load_settings()


def database_url() -> str | None:
    """DATABASE_URL, else the Streamlit secret `connections.sql.url`, else None (embedded)."""
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    try:
        return st.secrets["connections"]["sql"]["url"]
    except (KeyError, FileNotFoundError):
        return None


def engine() -> sa.Engine:
    """The Engine for the configured database (one per URL and process)."""
    return _engine_for(database_url())


@st.cache_resource(show_spinner=False)
def _engine_for(url: str | None) -> sa.Engine:
    # Opening migrates, and fills the embedded default with demo data on first start.
    return open_database(url)


def _url_key() -> tuple[str, int]:
    """The cache key of every query below: the database, and its data version (the newest
    event id), so that an event stored by an import or a webhook shows on the next run
    instead of after the TTL."""
    return str(engine().url), _data_version(str(engine().url))


@st.cache_data(ttl=1, show_spinner=False, max_entries=20)
def _data_version(url: str) -> int:
    # Read at most once a second per database, whoever asks: one primary-key lookup.
    with engine().connect() as conn:
        return da.data_version(conn)


def search(text: str, limit: int = 20) -> pl.DataFrame:
    """`data_access.search_contacts`, cached."""
    return _search(_url_key(), text, limit)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=2000)
def _search(url: str, text: str, limit: int) -> pl.DataFrame:
    with engine().connect() as conn:
        return da.search_contacts(conn, text, limit=limit)


def contact_card(contact_id: int) -> da.ContactCard:
    """`data_access.contact_card`, cached."""
    return _contact_card(_url_key(), contact_id)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=500)
def _contact_card(url: str, contact_id: int) -> da.ContactCard:
    with engine().connect() as conn:
        return da.contact_card(conn, contact_id)


def report(f) -> "da.reports.Report":
    """`data_access.reports.report`, cached."""
    return _report(_url_key(), f)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=200)
def _report(url: str, f):
    with engine().connect() as conn:
        return da.reports.report(conn, f)


def campaigns() -> pl.DataFrame:
    return _campaigns(_url_key())


@st.cache_data(ttl=TTL, show_spinner=False)
def _campaigns(url: str) -> pl.DataFrame:
    with engine().connect() as conn:
        return da.reports.campaign_list(conn)


def affected(f, target: tuple, limit: int, offset: int):
    """`data_access.reports.affected_contacts` for a drill-down target, cached."""
    return _affected(_url_key(), f, target, limit, offset)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=200)
def _affected(url: str, f, target: tuple, limit: int, offset: int):
    with engine().connect() as conn:
        return da.reports.affected_contacts(conn, f, **dict(target), limit=limit, offset=offset)
