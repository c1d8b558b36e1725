"""Cached access to the data layer for the pages (the only place the app opens the database)."""

import os

import sqlalchemy as sa
import streamlit as st

from data_access import open_database
from data_access.config import ENV_VAR


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
