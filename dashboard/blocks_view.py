"""The Bloqueados page's parts: filters (kept in the URL), headline counts, the paged list with
editor and card links, and the two downloads (neutralised CSV, plain suppression list).

URL: `?motivos=previous_bounce,unsubscribed&causa=automation&bloqueado_desde=2026-01-01&
bloqueado_hasta=2026-03-31&dominio=gmail.com&buscar=nunez&pagina=2`.
"""

from datetime import date

import polars as pl
import streamlit as st

from data_access import csv_safe, vocab
from data_access.blocks import NO_ORIGIN, BlockFilter, suppression_list

from . import data
from .card import origin_label
from .formatting import format_count, format_datetime
from .i18n import t
from .settings import Settings
from .ui import database_errors_shown, language, text
from .url_state import from_url, to_url

PAGE_SIZE = 50
ALL = "all"
ORIGIN_CHOICES = (ALL, *vocab.ORIGINS, NO_ORIGIN)
CARD_URL = "/?contacto={id}"
# Pixels: long names and addresses are cut in the table (whole in the CSV), so that the reason,
# the date and the links stay in view.
COLUMN_WIDTHS = {
    "blocks.col_name": 200,
    "blocks.col_email": 210,
    "blocks.col_reason": 250,
    "blocks.col_since": 130,
    "blocks.col_origin": 160,
    "blocks.col_campaign": 170,
}


# --- pure parts -----------------------------------------------------------------------------


def parse_reasons(raw) -> list[str]:
    """`?motivos=a,b` (or repeated) -> the known reason codes among them, in vocabulary order."""
    parts = raw if isinstance(raw, list) else [raw or ""]
    given = {piece.strip() for part in parts for piece in str(part).split(",")}
    return [r for r in vocab.REASONS if r in given]


def parse_origin(raw) -> str:
    return raw if raw in ORIGIN_CHOICES else ALL


def reason_totals(counts: pl.DataFrame) -> dict[str, int]:
    """Contacts per reason (every reason, zero when none), in vocabulary order."""
    found = dict(counts.group_by("reason").agg(pl.col("contacts").sum()).iter_rows())
    return {r: int(found.get(r, 0)) for r in vocab.REASONS}


def origin_totals(counts: pl.DataFrame) -> dict[str, int]:
    """Contacts per origin of the causing email (NO_ORIGIN when no email caused it)."""
    by = counts.with_columns(pl.col("origin").fill_null(NO_ORIGIN))
    found = dict(by.group_by("origin").agg(pl.col("contacts").sum()).iter_rows())
    return {o: int(found.get(o, 0)) for o in (*vocab.ORIGINS, NO_ORIGIN)}


def blocked_table(rows: pl.DataFrame, settings: Settings, lang: str) -> pl.DataFrame:
    """BLOCKED_PAGE_SCHEMA rows as the page shows and exports them: words, not codes."""
    columns = [
        "blocks.col_name",
        "blocks.col_email",
        "blocks.col_reason",
        "blocks.col_since",
        "blocks.col_origin",
        "blocks.col_campaign",
        "blocks.col_editor",
        "blocks.col_card",
    ]
    shown = [
        (
            r["name"] or "",
            r["email"],
            t(f"reason.{r['reason']}", lang),
            format_datetime(r["since"], settings.timezone, lang),
            origin_label(r["origin"], lang),
            r["campaign_name"] or "",
            settings.editor_url(r["origin"], r["campaign_external_id"]) or "",
            CARD_URL.format(id=r["contact_id"]),
        )
        for r in rows.iter_rows(named=True)
    ]
    return pl.DataFrame(shown, schema={t(c, lang): pl.Utf8 for c in columns}, orient="row")


def export_csv(rows: pl.DataFrame, settings: Settings, lang: str) -> bytes:
    """The list as the CSV download: the table's columns, UTF-8, formulas neutralised."""
    return csv_safe.csv_bytes(blocked_table(rows, settings, lang))


def export_suppression(rows: pl.DataFrame) -> bytes:
    return suppression_list(rows["email"]).encode("utf-8")


# --- drawing --------------------------------------------------------------------------------


def render_filters(container) -> BlockFilter | None:
    """Reasons, origin, dates, domain and search, every one kept in the URL."""
    lang = language()
    from_url("motivos", parse_reasons)
    reasons = container.multiselect(
        text("blocks.reasons"),
        list(vocab.REASONS),
        format_func=lambda r: t(f"reason.{r}", lang),
        key="motivos",
        placeholder=text("blocks.reasons_all"),
    )
    to_url("motivos", ",".join(r for r in vocab.REASONS if r in reasons))
    labels = {ALL: text("blocks.origin_all")} | {
        o: origin_label(None if o == NO_ORIGIN else o, lang) for o in ORIGIN_CHOICES[1:]
    }
    from_url("causa", parse_origin)
    origin = (
        container.segmented_control(
            text("blocks.origin"),
            list(labels),
            format_func=labels.get,
            key="causa",
            required=True,
        )
        or ALL
    )
    to_url("causa", None if origin == ALL else origin)
    cols = container.columns(4)
    since_from = cols[0].date_input(
        text("blocks.since_from"),
        value=None,
        key="bloqueado_desde",
        bind="query-params",
        format="DD/MM/YYYY",
    )
    since_to = cols[1].date_input(
        text("blocks.since_to"),
        value=None,
        key="bloqueado_hasta",
        bind="query-params",
        format="DD/MM/YYYY",
    )
    domain = cols[2].text_input(
        text("blocks.domain"),
        key="dominio",
        bind="query-params",
        max_chars=255,
        placeholder=text("blocks.domain_placeholder"),
    )
    search = cols[3].text_input(
        text("blocks.search"),
        key="buscar",
        bind="query-params",
        max_chars=200,
        placeholder=text("blocks.search_placeholder"),
    )
    since_from = since_from if isinstance(since_from, date) else None
    since_to = since_to if isinstance(since_to, date) else None
    if since_from and since_to and since_from > since_to:
        container.warning(text("reports.bad_range"))
        return None
    return BlockFilter(
        reasons=tuple(reasons),
        origin=None if origin == ALL else origin,
        since_from=since_from,
        since_to=since_to,
        domain=domain,
        search=search,
    )


def render_headline(container, counts: pl.DataFrame) -> None:
    lang = language()
    total = int(counts["contacts"].sum())
    container.metric(text("blocks.total"), format_count(total, lang))
    left, right = container.columns(2)
    left.caption(text("blocks.by_reason"))
    for col, (reason, count) in zip(left.columns(4), reason_totals(counts).items()):
        col.metric(
            t(f"reason_short.{reason}", lang),
            format_count(count, lang),
            help=t(f"reason.{reason}", lang),
        )
    right.caption(text("blocks.by_origin"))
    for col, (origin, count) in zip(right.columns(3), origin_totals(counts).items()):
        label = origin_label(None if origin == NO_ORIGIN else origin, lang)
        col.metric(label, format_count(count, lang))


def render_list(container, f: BlockFilter, total: int, settings: Settings) -> None:
    """One page of the list, newest block first, with its pager."""
    lang = language()
    pages = max(1, -(-total // PAGE_SIZE))
    if not 1 <= (st.session_state.get("pagina") or 1) <= pages:
        st.session_state["pagina"] = 1  # the filters changed under a later page
    page = container.pagination(pages, key="pagina", bind="query-params") if pages > 1 else 1
    first = (page - 1) * PAGE_SIZE
    with database_errors_shown():
        rows = data.blocked_page(f, PAGE_SIZE, first)
    container.caption(
        text(
            "blocks.rows",
            first=format_count(first + 1, lang),
            last=format_count(first + rows.height, lang),
            total=format_count(total, lang),
        )
        + " · "
        + text("blocks.utc")
    )
    editor, card = t("blocks.col_editor", lang), t("blocks.col_card", lang)
    config = {
        t(key, lang): st.column_config.TextColumn(width=width)
        for key, width in COLUMN_WIDTHS.items()
    }
    config[editor] = st.column_config.LinkColumn(
        editor, display_text=t("blocks.open_editor", lang), width=100
    )
    config[card] = st.column_config.LinkColumn(
        card, display_text=t("blocks.open_card", lang), width=90
    )
    container.dataframe(
        blocked_table(rows, settings, lang),
        hide_index=True,
        placeholder="",
        width="stretch",
        column_config=config,
    )


def render_exports(container, f: BlockFilter, settings: Settings) -> None:
    lang = language()
    read_all = data.blocked_reader(f)
    left, right = container.columns(2)
    # Both read only when pressed: the full list can be large.
    left.download_button(
        text("blocks.download_csv"),
        lambda: export_csv(read_all(), settings, lang),
        file_name="rastro-contactos-bloqueados.csv",
        mime="text/csv",
        icon=":material/download:",
        key="descargar_csv",
    )
    right.download_button(
        text("blocks.download_list"),
        lambda: export_suppression(read_all()),
        file_name="rastro-lista-de-supresion.txt",
        mime="text/plain",
        icon=":material/block:",
        key="descargar_lista",
    )
    container.caption(text("blocks.download_help"))
