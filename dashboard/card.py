"""The contact card: details on the left; status summary, notices and history on the right.

`card_*` functions are pure (frames in, texts out) so they are unit-tested without Streamlit;
`render_*(container, ...)` draw them.
"""

from dataclasses import dataclass

import polars as pl
import streamlit as st

import data_access as da
from data_access import users, vocab

from . import data
from .colors import BADGE_COLOR, ORIGIN_BADGE_COLOR
from .formatting import format_count, format_date, format_datetime
from .i18n import md, t
from .markdown import md_code, md_escape, md_link
from .settings import Settings
from .ui import database_errors_shown, language, text

NOTICE_EVENTS = (vocab.BOUNCED, vocab.SPAM_COMPLAINT, vocab.NOT_SENT)
# Opens and clicks are not delivery events and never stored; lifts are part of the history.
HISTORY_EVENTS = vocab.STORED_EVENTS
LIFTS_SHOWN = 3  # the newest lifts under the status (all of them are in the history)
LIFT_DONE_KEY = "lift_done"  # the message of the lift just made, shown once after the rerun
PAGE_SIZE = 20
ALL = "all"


# --- pure parts -----------------------------------------------------------------------------


def notices(events: pl.DataFrame, origin: str = ALL) -> pl.DataFrame:
    """The notices (bounces, spam complaints, not sent), newest first, of one origin or all;
    with `delivered_before` (see `with_delivery_behind`)."""
    found = with_delivery_behind(events).filter(pl.col("event").is_in(NOTICE_EVENTS))
    return found if origin == ALL else found.filter(pl.col("origin") == origin)


def with_delivery_behind(events: pl.DataFrame) -> pl.DataFrame:
    """The events with `delivered_before`: whether a delivery of the same campaign (or of no
    known campaign, for a complaint without one) was recorded at or before the event. A spam
    complaint is drawn as "sent correctly, then spam" only when it is true: a provider may
    report a complaint whose delivery Rastro never received."""
    first = (
        events.filter(pl.col("event") == vocab.DELIVERED)
        .group_by("campaign_id")
        .agg(pl.col("occurred_at").min().alias("_first_delivery"))
    )
    return (
        events.join(first, on="campaign_id", how="left", nulls_equal=True, maintain_order="left")
        .with_columns(
            (pl.col("_first_delivery") <= pl.col("occurred_at"))
            .fill_null(False)
            .alias("delivered_before")
        )
        .drop("_first_delivery")
    )


def origin_counts(events: pl.DataFrame) -> dict[str, int]:
    found = notices(events)
    counts = {o: found.filter(pl.col("origin") == o).height for o in vocab.ORIGINS}
    return {ALL: found.height, **counts}


def event_label(row: dict, lang: str, *, with_reason: bool = True) -> str:
    """ "Rebotó (rebote suave)", "No enviado: <reason in words>", "Marcado como spam"…"""
    label = t(f"event.{row['event']}", lang)
    if row["event"] == vocab.BOUNCED and row.get("bounce_type"):
        label = f"{label} ({t('bounce.' + row['bounce_type'], lang)})"
    if with_reason and row["event"] in vocab.EVENTS_WITH_REASON and row.get("reason"):
        label = f"{label}: {t('reason.' + row['reason'], lang)}"
    return label


def _spam_after_delivery(row: dict) -> bool:
    """A spam notice whose delivery is recorded (`delivered_before`; assumed when absent)."""
    return row["event"] == vocab.SPAM_COMPLAINT and row.get("delivered_before") is not False


def notice_badges(row: dict, lang: str) -> list[tuple[str, str]]:
    """(label, colour) of a notice's badges; a spam notice is a delivery followed by spam,
    unless no delivery of that email was recorded."""
    if _spam_after_delivery(row):
        first = [(t("event.delivered", lang), BADGE_COLOR[vocab.DELIVERED])]
    else:
        first = []
    return first + [
        (event_label(row, lang, with_reason=False), BADGE_COLOR[row["event"]]),
        (origin_label(row["origin"], lang), ORIGIN_BADGE_COLOR.get(row["origin"], "gray")),
    ]


def origin_label(origin: str | None, lang: str) -> str:
    return t(f"origin.{origin}", lang) if origin in vocab.ORIGINS else t("origin.none", lang)


@dataclass(frozen=True)
class StatusSummary:
    can_send: bool
    headline: str
    detail: str  # Markdown: since when, which event (campaign link), the evidence
    also: tuple[str, ...] = ()  # Markdown: each further reason, with the same details


def card_status(status: pl.DataFrame, settings: Settings, lang: str) -> StatusSummary:
    """The status summary: "Se puede enviar" or why the next emails will not be sent, every
    reason with its date, its causing campaign and its evidence."""
    if status.is_empty() or status["can_send"][0]:
        return StatusSummary(True, t("status.ok", lang), t("status.ok_detail", lang))
    rows = status.rows(named=True)
    first = rows[0]
    headline = t("status.blocked", lang, reason=t(f"reason.{first['reason']}", lang).lower())
    also = tuple(
        md_escape(t("status.also", lang, reason=t(f"reason.{row['reason']}", lang).lower()))
        + " "
        + block_detail(row, settings, lang)
        for row in rows[1:]
    )
    return StatusSummary(False, headline, block_detail(first, settings, lang), also)


def block_detail(row: dict, settings: Settings, lang: str) -> str:
    """Markdown: since when one reason holds, the email that caused it (campaign link), and
    what shows it: the soft bounces counted, a hard bounce, the provider's text."""
    parts = []
    if row["since"] is not None:
        date = format_date(row["since"], settings.timezone, lang)
        parts.append(md_escape(t("status.since", lang, date=date)))
    if row["campaign_name"]:
        url = settings.editor_url(row["origin"], _external_id(row))
        parts.append(
            md(
                "status.cause",
                lang,
                origin=md_escape(origin_label(row["origin"], lang)),
                campaign=md_link(row["campaign_name"], url),
            )
        )
    evidence = block_evidence(row, lang)
    if evidence:
        parts.append(md_escape(evidence))
    return " — ".join(parts)


def block_evidence(row: dict, lang: str) -> str | None:
    """What made the reason hold, in words (plain text); None when the date and the campaign
    say it all (a complaint, an unsubscribe, an invalid address)."""
    if row.get("soft_bounces"):
        key = "status.soft_evidence_one_send" if row["sends"] == 1 else "status.soft_evidence"
        said = t(key, lang, count=row["soft_bounces"], sends=row["sends"])
    elif row.get("cause_bounce_type") == vocab.HARD:
        said = t("status.hard_evidence", lang)
    elif row.get("cause_event") == vocab.NOT_SENT:
        said = t("status.provider_evidence", lang)
    else:
        return None
    text = provider_text(row)
    return f"{said}: {text}" if text else said


def provider_text(row: dict) -> str | None:
    """The provider's words about an event, once: the SMTP reply, and the provider's own reason
    before it only when it says something the reply does not (SendGrid repeats the reply)."""
    reason, reply = row.get("provider_reason"), row.get("smtp_diagnostic")
    if reason and reply and _same_words(reason, reply):
        return reply if len(reply) >= len(reason) else reason
    return " — ".join(x for x in (reason, reply) if x) or None


def _same_words(a: str, b: str) -> bool:
    a, b = " ".join(a.split()).casefold(), " ".join(b.split()).casefold()
    return a in b or b in a


def _external_id(row: dict) -> str | None:
    return row.get("campaign_external_id")


def crm_id_line(person: dict, settings: Settings, lang: str) -> str | None:
    """Markdown: the contact's CRM id, linking to the contact in the CRM (None without one)."""
    if not person.get("crm_id"):
        return None
    link = md_link(person["crm_id"], settings.contact_url(person["crm_id"]))
    return f":material/badge: {md_escape(t('card.crm_id', lang))}: {link}"


def address_line(email: str, lang: str) -> str:
    """Markdown: "@ Correo: <address>". The label keeps the icon company when a long address
    moves to the next line (an icon and an address alone cannot be kept on one line: the
    browser breaks after the icon whatever space follows it)."""
    # As code: copied exactly (md_escape's invisible joiner would break a pasted address), and
    # never turned into a mailto: link.
    return f":material/alternate_email: {md_escape(t('card.email', lang))}: {md_code(email)}"


def lift_lines(events: pl.DataFrame, settings: Settings, lang: str) -> list[str]:
    """The newest lifts in words (plain text): reason, date, who and the comment, and the
    renewed consent when the admin stated it."""
    lifts = events.filter(pl.col("event") == vocab.BLOCK_LIFTED).head(LIFTS_SHOWN)
    lines = []
    for row in lifts.iter_rows(named=True):
        line = t(
            "lift.shown",
            lang,
            reason=t(f"reason.{row['reason']}", lang).lower(),
            date=format_datetime(row["occurred_at"], settings.timezone, lang),
            who=row["lifted_by"] or "—",
            comment=row["comment"] or "",
        )
        if row["renewed_consent"]:
            line += " " + t("lift.shown_consent", lang)
        lines.append(line)
    return lines


def lift_detail(row: dict, lang: str) -> str:
    """The history table's detail of a lift: who and why (and the renewed consent)."""
    key = "lift.detail_consent" if row.get("renewed_consent") else "lift.detail"
    return t(key, lang, who=row.get("lifted_by") or "—", comment=row.get("comment") or "")


def liftable_reasons(status: pl.DataFrame) -> list[str]:
    """The reasons blocking the contact now that an administrator may lift, in card order."""
    if status.is_empty() or status["can_send"][0]:
        return []
    return [r for r in status["reason"].to_list() if r in vocab.LIFTABLE_REASONS]


def notice_lines(row: dict, lang: str) -> list[str]:
    """What a notice says under its title (plain text, escaped when drawn)."""
    lines = []
    if _spam_after_delivery(row):
        lines = [t("notice.sent_ok", lang), t("notice.spam", lang)]
    elif row["event"] == vocab.SPAM_COMPLAINT:
        lines = [t("notice.spam_no_delivery", lang)]
    if row["event"] == vocab.NOT_SENT and row.get("reason"):
        lines.append(t(f"reason.{row['reason']}", lang) + ".")
    reason, reply = row.get("provider_reason"), row.get("smtp_diagnostic")
    if reason and reply and _same_words(reason, reply):
        reason, reply = None, max(reply, reason, key=len)  # one text: shown once
    if reason:
        lines.append(t("notice.provider_reason", lang, text=reason))
    if reply:
        lines.append(t("notice.provider", lang, text=reply))
    return lines


# --- drawing --------------------------------------------------------------------------------


def render_card(
    container, card: da.ContactCard, settings: Settings, actor: users.User | None = None
) -> None:
    """The card; with `actor` (the signed-in administrator), the lift actions too."""
    left, right = container.columns([1, 2], gap="large")
    render_contact_details(left, card.contact, settings)
    render_status(right, card.status, settings)
    render_lifts(right, card.events, settings)
    if actor is not None:
        render_lift_actions(right, card, actor)
    render_notices(right, card.events, settings)
    # The history is a wide table: across the whole card, so that its columns fit.
    render_history(container, card.events, settings)


def render_contact_details(container, contact: pl.DataFrame, settings: Settings) -> None:
    person = contact.row(0, named=True)
    box = container.container(border=True)
    if person["name"]:
        box.subheader(md_escape(person["name"]), anchor=False)
        box.markdown(address_line(person["email"], language()))
    else:  # the address is the title: said once
        box.subheader(md_code(person["email"]), anchor=False)
    crm_line = crm_id_line(person, settings, language())
    if crm_line:
        box.markdown(crm_line)
    if not person["email_valid"]:
        box.warning(text("card.invalid_email"), icon=":material/warning:")
    when = format_date(person["created_at"], settings.timezone, language())
    box.caption(text("card.created", date=when))
    box.caption(text("card.id", id=person["id"]))


def render_status(container, status: pl.DataFrame, settings: Settings) -> None:
    summary = card_status(status, settings, language())
    show = container.success if summary.can_send else container.error
    body = f"**{md_escape(summary.headline)}**  \n{summary.detail}"
    for line in summary.also:
        body += f"  \n{line}"
    show(body, icon=":material/check_circle:" if summary.can_send else ":material/block:")


def render_lifts(container, events: pl.DataFrame, settings: Settings) -> None:
    done = st.session_state.pop(LIFT_DONE_KEY, None)
    if done:
        container.success(done, icon=":material/lock_open:")
    for line in lift_lines(events, settings, language()):
        container.info(md_escape(line), icon=":material/lock_open:")


def render_lift_actions(container, card: da.ContactCard, actor: users.User) -> None:
    """ "Levantar bloqueo" for each liftable reason (comment, consent when needed, confirmation);
    an invalid address says it must be corrected in the CRM."""
    if card.status.is_empty() or card.status["can_send"][0]:
        return
    if vocab.INVALID_ADDRESS in card.status["reason"].to_list():
        container.warning(text("lift.invalid"), icon=":material/edit:")
    contact_id = int(card.contact["id"][0])
    for reason in liftable_reasons(card.status):
        _render_lift_form(container, contact_id, reason, actor)


def _render_lift_form(container, contact_id: int, reason: str, actor: users.User) -> None:
    lang = language()
    words = t(f"reason.{reason}", lang)
    needs_consent = reason in vocab.CONSENT_REASONS
    box = container.expander(text("lift.title", reason=words.lower()), icon=":material/lock_open:")
    with box.form(f"lift_{reason}", clear_on_submit=False):
        st.caption(text("lift.intro_consent" if needs_consent else "lift.intro_bounce"))
        comment = st.text_area(
            text("lift.comment", min=da.blocks.MIN_COMMENT),
            key=f"lift_comment_{reason}",
            max_chars=2000,
            placeholder=text("lift.comment_placeholder"),
        )
        consent = needs_consent and st.checkbox(text("lift.consent"), key=f"lift_consent_{reason}")
        confirmed = st.checkbox(text("lift.confirm"), key=f"lift_confirm_{reason}")
        submitted = st.form_submit_button(
            text("lift.submit"), type="primary", key=f"lift_submit_{reason}"
        )
    if not submitted:
        return
    problem = _lift_problem(comment, needs_consent and not consent, confirmed)
    if problem:
        box.error(problem)
        return
    try:
        with database_errors_shown():
            done = data.lift_block(
                contact_id,
                reason,
                username=actor.username,
                comment=comment,
                renewed_consent=bool(consent),
            )
    except da.blocks.LiftRefused as refused:
        box.error(text(f"lift.refused.{refused.code}", min=da.blocks.MIN_COMMENT))
        return
    key = "lift.done" if done.can_send else "lift.done_still"
    st.session_state[LIFT_DONE_KEY] = text(key, reason=words)
    st.rerun()


def _lift_problem(comment: str, consent_missing: bool, confirmed: bool) -> str | None:
    """What the form still needs, checked here for a quick answer (and again server-side)."""
    if len((comment or "").strip()) < da.blocks.MIN_COMMENT:
        return text("lift.need_comment", min=da.blocks.MIN_COMMENT)
    if consent_missing:
        return text("lift.need_consent")
    if not confirmed:
        return text("lift.need_confirm")
    return None


def render_notices(container, events: pl.DataFrame, settings: Settings) -> None:
    lang = language()
    container.subheader(text("notices.title"))
    if events.is_empty():
        container.info(text("notices.none_at_all"))
        return
    counts = origin_counts(events)
    if counts[ALL] == 0:
        if events.height == 1:
            container.success(text("notices.only_delivery"))
        else:
            container.success(
                text("notices.only_deliveries", count=format_count(events.height, lang))
            )
        return
    labels = {
        ALL: text("notices.all", count=counts[ALL]),
        **{
            o: text("notices.origin_count", origin=origin_label(o, lang), count=counts[o])
            for o in vocab.ORIGINS
        },
    }
    choice = (
        container.segmented_control(
            text("notices.filter"),
            list(labels),
            format_func=labels.get,
            default=ALL,
            key="notice_origin",
            required=True,
            wrap=True,  # on a phone the three choices go on two rows instead of being cut
        )
        or ALL
    )
    shown = notices(events, choice)
    if shown.is_empty():
        container.info(text("notices.none_for_origin", origin=origin_label(choice, lang).lower()))
        return
    pages = max(1, -(-shown.height // PAGE_SIZE))
    page = 1
    if pages > 1:
        page = container.pagination(pages, key=f"notice_page_{choice}")
    first = (page - 1) * PAGE_SIZE
    part = shown.slice(first, PAGE_SIZE)
    if pages > 1:
        container.caption(
            text("notices.page", first=first + 1, last=first + part.height, total=shown.height)
        )
    for row in part.iter_rows(named=True):
        render_notice(container, row, settings, lang)


def render_notice(container, row: dict, settings: Settings, lang: str) -> None:
    box = container.container(border=True)
    top = box.columns([3, 1])
    # Badge labels come from the catalogue only, never from the data.
    top[0].markdown(
        " ".join(f":{color}-badge[{label}]" for label, color in notice_badges(row, lang))
    )
    top[1].caption(format_datetime(row["occurred_at"], settings.timezone, lang))
    url = settings.editor_url(row["origin"], row["campaign_external_id"])
    name = row["campaign_name"] or t("notice.no_campaign", lang)
    box.markdown(f":material/mail: {md_link(name, url)}")
    for line in notice_lines(row, lang):
        box.caption(md_escape(line))


HISTORY_COLUMNS = (
    "history.when",
    "history.what",
    "history.origin",
    "history.campaign",
    "history.editor",
    "history.detail",
)


def history_frame(events: pl.DataFrame, settings: Settings, lang: str) -> pl.DataFrame:
    """Every event in words, newest first (for the collapsed history); the editor column is
    the campaign's editor link (null without one)."""
    columns = [t(k, lang) for k in HISTORY_COLUMNS]
    rows = [
        (
            format_datetime(r["occurred_at"], settings.timezone, lang),
            event_label(r, lang),
            origin_label(r["origin"], lang),
            r["campaign_name"] or "",
            settings.editor_url(r["origin"], r["campaign_external_id"]),
            lift_detail(r, lang) if r["event"] == vocab.BLOCK_LIFTED else provider_text(r) or "",
        )
        for r in events.filter(pl.col("event").is_in(HISTORY_EVENTS)).iter_rows(named=True)
    ]
    return pl.DataFrame(rows, schema={c: pl.Utf8 for c in columns}, orient="row")


def history_columns(lang: str) -> dict:
    """The history table's column widths (they fit the card's width from 1400 px on, with no
    sideways scrolling) and the editor links, drawn as an icon beside the campaign's name."""
    when, what, origin, campaign, editor, detail = (t(k, lang) for k in HISTORY_COLUMNS)
    return {
        when: st.column_config.TextColumn(width=120),
        what: st.column_config.TextColumn(width=185),
        origin: st.column_config.TextColumn(width=125),
        campaign: st.column_config.TextColumn(width=185),
        editor: st.column_config.LinkColumn(
            width=55,
            display_text=":material/open_in_new:",
            help=t("history.editor_help", lang),
        ),
        # 870 px in all: the card's width at 1400 px is ~905 px; what is left over, at that
        # width or wider, Streamlit shares among the columns.
        detail: st.column_config.TextColumn(width=200),
    }


def render_history(container, events: pl.DataFrame, settings: Settings) -> None:
    if events.is_empty():
        return
    lang = language()
    with container.expander(
        text("history.title", count=format_count(events.height, lang)), expanded=False
    ):
        st.dataframe(
            history_frame(events, settings, lang),
            hide_index=True,
            placeholder="",
            width="stretch",
            column_config=history_columns(lang),
            row_height=HISTORY_ROW_HEIGHT,
        )


# Taller than Streamlit's 4rem (64 px) lets cells wrap: two or three lines of a long campaign
# name or server reply instead of one cut line.
HISTORY_ROW_HEIGHT = 68
