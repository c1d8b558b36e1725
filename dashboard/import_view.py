"""The import page's parts: what to import (delivery events or the CRM's contacts), each
one's form and reconciliation table, and the quarantine."""

import polars as pl
import streamlit as st

from data_access import ingest, vocab

from . import data
from .formatting import format_count
from .i18n import t
from .ui import database_errors_shown, language, message_of, text

FROM_FILE = "archivo"
EVENTS, CONTACTS = "eventos", "contactos"


def render_kind(container) -> str:
    """The switch between importing delivery events (the default) and the CRM's contacts."""
    kinds = {EVENTS: text("import.kind_events"), CONTACTS: text("import.kind_contacts")}
    chosen = container.segmented_control(
        text("import.kind"),
        list(kinds),
        format_func=kinds.get,
        default=EVENTS,
        key="import_kind",
        required=True,
        wrap=True,
    )
    return chosen or EVENTS


def render_form(container):
    """Returns (provider, origin, campaign, unknown, files) when the admin pressed Importar."""
    lang = language()
    with container.form("import", clear_on_submit=False):
        cols = st.columns(3)
        provider = cols[0].selectbox(
            text("import.provider"),
            list(ingest.PROVIDERS),
            format_func=lambda p: t(f"provider.{p}", lang),
            key="import_provider",
        )
        origins = {
            FROM_FILE: text("import.origin_file"),
            **{o: t(f"origin.{o}", lang) for o in vocab.ORIGINS},
        }
        origin = cols[1].selectbox(
            text("import.origin"),
            list(origins),
            format_func=origins.get,
            key="import_origin",
            help=text("import.origin_help"),
        )
        unknown = cols[2].radio(
            text("import.unknown"),
            ["create", "quarantine"],
            format_func=lambda v: text(f"import.unknown_{v}"),
            key="import_unknown",
        )
        campaign = st.text_input(
            text("import.campaign"),
            key="import_campaign",
            max_chars=100,
            help=text("import.campaign_help"),
        )
        files = st.file_uploader(
            text("import.files"), accept_multiple_files=True, key="import_files"
        )
        pressed = st.form_submit_button(
            text("import.submit"), type="primary", icon=":material/upload:"
        )
    if not pressed:
        return None
    return (
        provider,
        None if origin == FROM_FILE else origin,
        campaign.strip() or None,
        unknown,
        files or [],
    )


def run_imports(container, provider, origin, campaign, unknown, files) -> list:
    """Import each uploaded file; one clear message per file that is not in the format."""
    if not files:
        container.warning(text("import.no_files"))
        return []
    reports = []
    for upload in files:
        try:
            with (
                database_errors_shown(),
                container.spinner(text("import.running", name=upload.name)),
            ):
                report = data.import_upload(
                    provider,
                    upload.getvalue(),
                    source=upload.name,
                    default_origin=origin,
                    default_campaign=campaign,
                    unknown_recipients=unknown,
                )
        except ingest.ImportRefused as error:
            container.error(
                text(
                    "import.format_error",
                    name=upload.name,
                    detail=message_of(error, "import.refused"),
                )
            )
            continue
        reports.append(report)
    return reports


def reconciliation(reports, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("import.col_file", lang): r.source,
                t("import.col_received", lang): r.received,
                t("import.col_stored", lang): r.stored,
                t("import.col_duplicates", lang): r.duplicates,
                t("import.col_ignored", lang): r.ignored,
                t("import.col_quarantined", lang): r.quarantined,
            }
            for r in reports
        ]
    )


def counted(count: int, key: str, lang: str) -> str:
    """ "1 archivo" / "3 archivos": the catalogue's `<key>_one` for one, `<key>` otherwise."""
    return t(f"{key}_one" if count == 1 else key, lang, count=format_count(count, lang))


def events_outcome(reports, lang: str) -> tuple[str, str]:
    """(kind, text) of the message above the reconciliation: `success` only when events were
    stored; `error` when everything went to the quarantine, `info` when it was all already
    there, `warning` for any other import that stored nothing."""
    files = counted(len(reports), "count.files", lang)
    received, stored, duplicates, ignored, quarantined = (
        sum(getattr(r, name) for r in reports)
        for name in ("received", "stored", "duplicates", "ignored", "quarantined")
    )
    if stored:
        events = counted(stored, "count.new_events", lang)
        if quarantined:
            records = counted(quarantined, "count.records", lang)
            return "success", t(
                "import.done_quarantined", lang, files=files, events=events, records=records
            )
        return "success", t("import.done", lang, files=files, events=events)
    if not received:
        return "warning", t("import.nothing_received", lang, files=files)
    if quarantined == received:
        records = counted(received, "count.records", lang)
        return "error", t("import.all_quarantined", lang, files=files, records=records)
    if duplicates == received:
        events = counted(received, "count.events", lang)
        return "info", t("import.all_duplicates", lang, files=files, events=events)
    return "warning", t(
        "import.nothing_new",
        lang,
        files=files,
        duplicates=format_count(duplicates, lang),
        ignored=format_count(ignored, lang),
        quarantined=format_count(quarantined, lang),
    )


def render_results(container, reports) -> None:
    if not reports:
        return
    lang = language()
    kind, said = events_outcome(reports, lang)
    getattr(container, kind)(said)
    container.dataframe(
        reconciliation(reports, lang), hide_index=True, placeholder="", width="stretch"
    )
    container.caption(text("import.balance"))


def quarantine_table(rows: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The quarantine as shown: file, record, reason and the start of the raw record."""
    return rows.select(
        pl.col("source").alias(t("import.col_file", lang)),
        pl.col("position").alias(t("import.col_position", lang)),
        pl.col("reason").alias(t("import.col_reason", lang)),
        pl.col("raw").str.slice(0, 300).alias(t("import.col_raw", lang)),
    )


def render_quarantine(container, limit: int = 50, *, expanded: bool = False) -> None:
    """The newest quarantined records (open when the import just made sent some there)."""
    with database_errors_shown():
        rows = data.recent_quarantine(limit)
    if rows.is_empty():
        title = text("import.quarantine_none")
    else:
        title = counted(rows.height, "import.quarantine", language())
    with container.expander(title, expanded=expanded):
        if rows.is_empty():
            st.caption(text("import.quarantine_empty"))
            return
        st.dataframe(
            quarantine_table(rows, language()), hide_index=True, placeholder="", width="stretch"
        )


# --- contacts from the CRM ------------------------------------------------------------------


def render_contacts_form(container) -> list | None:
    """The uploaded contact files when the admin pressed the button, else None."""
    with container.form("crm_import", clear_on_submit=False):
        files = st.file_uploader(
            text("crm_import.files"),
            type=["csv"],
            accept_multiple_files=True,
            key="crm_import_files",
        )
        pressed = st.form_submit_button(
            text("crm_import.submit"), type="primary", icon=":material/upload:"
        )
    return (files or []) if pressed else None


def run_contact_imports(container, files) -> list:
    """Import each uploaded contacts file with a progress bar; one clear message per file
    that is not a contacts CSV."""
    if not files:
        container.warning(text("import.no_files"))
        return []
    reports = []
    for upload in files:
        bar = container.progress(0.0, text=text("crm_import.running", name=upload.name))

        def progress(done, total, bar=bar, name=upload.name):
            shown = text("crm_import.progress", name=name, done=done, total=total)
            bar.progress(min(1.0, done / total) if total else 1.0, text=shown)

        try:
            with database_errors_shown():
                report = data.import_contacts_upload(
                    upload.getvalue(), source=upload.name, progress=progress
                )
        except ingest.ImportRefused as error:
            bar.empty()
            container.error(text("import.format_error", name=upload.name, detail=str(error)))
            continue
        bar.empty()
        reports.append(report)
    return reports


def contacts_reconciliation(reports, lang: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                t("import.col_file", lang): r.source,
                t("import.col_received", lang): r.received,
                t("crm_import.col_created", lang): r.created,
                t("crm_import.col_updated", lang): r.updated,
                t("crm_import.col_unchanged", lang): r.unchanged,
                t("import.col_quarantined", lang): r.quarantined,
            }
            for r in reports
        ]
    )


def contacts_outcome(reports, lang: str) -> tuple[str, str]:
    """(kind, text) of the message above the contacts' reconciliation, as `events_outcome`:
    `success` only when contacts were created or updated."""
    files = counted(len(reports), "count.files", lang)
    received, created, updated, unchanged, quarantined = (
        sum(getattr(r, name) for r in reports)
        for name in ("received", "created", "updated", "unchanged", "quarantined")
    )
    if created or updated:
        said = t(
            "crm_import.done",
            lang,
            files=files,
            created=counted(created, "count.new_contacts", lang),
            updated=counted(updated, "count.updated_contacts", lang),
        )
        if quarantined:
            said += " " + t(
                "crm_import.some_quarantined",
                lang,
                rows=counted(quarantined, "count.rows", lang),
            )
        return "success", said
    if not received:
        return "warning", t("import.nothing_received", lang, files=files)
    if quarantined == received:
        rows = counted(received, "count.rows", lang)
        return "error", t("import.all_quarantined", lang, files=files, records=rows)
    if unchanged == received:
        return "info", t("crm_import.all_unchanged", lang, files=files)
    return "warning", t(
        "crm_import.nothing_new",
        lang,
        files=files,
        unchanged=format_count(unchanged, lang),
        quarantined=format_count(quarantined, lang),
    )


def render_contact_results(container, reports) -> None:
    if not reports:
        return
    kind, said = contacts_outcome(reports, language())
    getattr(container, kind)(said)
    frame = contacts_reconciliation(reports, language())
    container.dataframe(frame, hide_index=True, placeholder="", width="stretch")
    container.caption(text("crm_import.balance"))
