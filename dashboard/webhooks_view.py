"""The Recepción page's parts: the status of each provider's webhook and the settings."""

import os
import urllib.parse

import polars as pl
import streamlit as st

from data_access.webhooks import settings as webhook_settings

from . import data
from .formatting import format_datetime
from .markdown import md_escape
from .ui import language, text

SETTINGS = (
    webhook_settings.SECRET,
    webhook_settings.SENDGRID_KEY,
    webhook_settings.MAILGUN_KEY,
    webhook_settings.SES_TOPICS,
    webhook_settings.MAX_AGE,
    webhook_settings.MAX_BYTES,
)


def base_url() -> str:
    """scheme://host of the page as the browser sees it (the providers need the same)."""
    parts = urllib.parse.urlsplit(st.context.url or "")
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return "https://rastro.example"


def status_table() -> tuple[webhook_settings.WebhookSettings, pl.DataFrame]:
    """The current settings and webhook_status.overview (live: no cache)."""
    config = webhook_settings.load()
    return config, data.webhook_overview(config)


def render_status(container, config, table: pl.DataFrame, base: str) -> None:
    if config.secret is None:
        container.warning(text("webhooks.no_secret"))
    for problem in config.problems:
        container.warning(md_escape(problem))  # it quotes the environment's value
    scheme, _, host = base.partition("://")
    zone = data.settings().timezone
    rows = [
        {
            text("webhooks.provider"): row["provider"],
            text("webhooks.url"): f"{scheme}://usuario:contraseña@{host}{row['path']}",
            text("webhooks.signature"): text("webhooks.yes" if row["signature"] else "webhooks.no"),
            text("webhooks.last"): (
                format_datetime(row["last_received"], zone, language())
                if row["last_received"] is not None
                else text("webhooks.never")
            ),
            text("webhooks.accepted"): row["accepted_24h"],
            text("webhooks.refused"): row["refused_24h"],
            text("webhooks.backlog"): row["backlog"],
            text("webhooks.quarantined"): row["quarantined"],
        }
        for row in table.iter_rows(named=True)
    ]
    container.dataframe(
        pl.DataFrame(rows), hide_index=True, placeholder="", width="stretch", key="webhooks_table"
    )


def render_settings(container) -> None:
    container.subheader(text("webhooks.settings"))
    for name in SETTINGS:
        state = text("webhooks.set" if os.environ.get(name) else "webhooks.unset")
        container.markdown(f"**`{name}`** ({state}): {text(f'webhooks.setting.{name}')}")
