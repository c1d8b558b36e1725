"""The report page's parts: filters (kept in the URL), headline figures against the limits,
the charts, and the drill-down list of affected contacts with its CSV download."""

from datetime import UTC, date, datetime, timedelta

import polars as pl
import streamlit as st

from data_access import csv_safe, vocab
from data_access.reports import (
    DrillTarget,
    Report,
    ReportFilter,
    clamp_range,
    min_domain_sends,
)

from . import auth, charts, data
from .colors import LEVEL_BADGE_COLOR
from .formatting import format_count, format_datetime, format_day, format_iso, format_percent
from .i18n import t
from .markdown import md_code
from .settings import Settings
from .ui import database_errors_shown, language, text
from .url_state import from_url, to_url

PAGE_SIZE = 25
EXPORT_LIMIT = 100_000
BOTH = "ambos"
PICKS = "_report_picks"  # session keys: the bars picked at the last run, and the last new one
PICKED = "_report_picked"


# --- pure parts -----------------------------------------------------------------------------


def rate_level(rate: float | None, limits: tuple[float, float]) -> str:
    """ "none", "ok", "warning" or "critical" for a rate against (warning, critical)."""
    if rate is None:
        return "none"
    warning, critical = limits
    return "critical" if rate > critical else "warning" if rate > warning else "ok"


def drill_label(target: DrillTarget, lang: str, names: dict[int, str] | None = None) -> str:
    """What a drill-down lists, in words: `Rebotó (rebote duro): El buzón no existe`,
    `No enviado: El contacto canceló la suscripción`, `Marcado como spam en «Black Friday»`."""
    label = t(f"event.{target.event}", lang)
    if target.bounce_type:
        label = f"{label} ({t('bounce.' + target.bounce_type, lang)})"
    if target.reason:
        label = f"{label}: {t('reason.' + target.reason, lang)}"
    if target.category:
        label = f"{label}: {t('category.' + target.category, lang)}"
    if target.campaign_id is not None:
        name = (names or {}).get(target.campaign_id) or f"#{target.campaign_id}"
        label = t("drill.in_campaign", lang, what=label, campaign=name)
    if target.domain:
        label = t("drill.in_domain", lang, what=label, domain=target.domain)
    return label


def drill_options(rep: Report, lang: str) -> dict[str, DrillTarget]:
    """Drill-down targets that have events in this report: label -> target."""
    h = rep.headline.row(0, named=True)
    targets = [
        DrillTarget(vocab.BOUNCED, bounce_type=bounce_type)
        for bounce_type, count in (
            (vocab.HARD, h["hard_bounced"]),
            (vocab.SOFT, h["soft_bounced"]),
            (vocab.UNDETERMINED, h["undetermined_bounced"]),
        )
        if count
    ]
    if h["spam_complaints"]:
        targets.append(DrillTarget(vocab.SPAM_COMPLAINT))
    targets += [
        DrillTarget(vocab.NOT_SENT, reason=reason)
        for reason in rep.reasons["reason"].unique(maintain_order=True).to_list()
    ]
    return {drill_label(target, lang): target for target in targets}


def target_from_selection(
    chart: str, selection: dict, metric: str = "bounce_rate"
) -> DrillTarget | None:
    """A drill-down target from a chart's point selection (Streamlit's on_select event). A
    campaign ranked by complaint rate lists its spam complaints, by bounce rate its bounces."""
    points = (selection or {}).get("pick") or []
    if not points:
        return None
    point = points[0]
    if chart == "reasons" and point.get("reason"):
        return DrillTarget(vocab.NOT_SENT, reason=point["reason"])
    if chart == "categories" and point.get("category"):
        return DrillTarget(
            vocab.BOUNCED, bounce_type=point.get("bounce_type"), category=point["category"]
        )
    if chart == "campaigns" and point.get("campaign_id") is not None:
        event = vocab.SPAM_COMPLAINT if metric == "complaint_rate" else vocab.BOUNCED
        # Vega sends numbers as floats.
        return DrillTarget(event, campaign_id=int(point["campaign_id"]))
    if chart == "domains" and point.get("domain"):
        return DrillTarget(vocab.BOUNCED, domain=point["domain"])
    return None


def newest_pick(before: dict, now: dict) -> DrillTarget | None:
    """The bar picked since the last run: {chart: target or None} before and now. A bar that
    stays picked is not new, so that choosing in the list afterwards wins over it."""
    for chart, target in now.items():
        if target is not None and before.get(chart) != target:
            return target
    return None


def status_text(blocked: bool | None, lang: str) -> str:
    if blocked is None:
        return t("drill.status_unknown", lang)
    return t("drill.status_blocked" if blocked else "status.ok", lang)


def card_links_base(settings: Settings, page_url: str | None) -> str:
    """Where card links point: RASTRO_BASE_URL, else the address the browser uses (the page's
    own path removed), else "" (links relative to the site)."""
    if settings.base_url:
        return settings.base_url
    if not page_url:
        return ""
    root, _, last = page_url.rstrip("/").rpartition("/")
    return root if last == "informes" else page_url.rstrip("/")


def _card_link(base: str) -> pl.Expr:
    return base + "/?contacto=" + pl.col("contact_id").cast(pl.Utf8)


def affected_table(
    frame: pl.DataFrame, settings: Settings, lang: str, base: str = ""
) -> pl.DataFrame:
    """The on-page list: dates in words in the administrator's time zone."""
    return frame.select(
        pl.col("name").alias(t("drill.name", lang)),
        pl.col("email").alias(t("drill.email", lang)),
        pl.col("last_at")
        .map_elements(lambda v: format_datetime(v, settings.timezone, lang), return_dtype=pl.Utf8)
        .alias(t("drill.last", lang)),
        pl.col("events").alias(t("drill.events", lang)),
        pl.struct("blocked", "block_reason")
        .map_elements(
            lambda v: (
                status_text(v["blocked"], lang)
                + (f": {t('reason.' + v['block_reason'], lang)}" if v["block_reason"] else "")
            ),
            return_dtype=pl.Utf8,
        )
        .alias(t("drill.status", lang)),
        _card_link(base).alias(t("drill.card", lang)),
    )


def export_csv(affected: pl.DataFrame, settings: Settings, lang: str, base: str = "") -> bytes:
    """Affected contacts (AFFECTED_SCHEMA) as the CSV download, UTF-8: the last notice in ISO
    8601 with the time zone's offset, the current status and block reason in words (reason
    empty unless blocked), and the absolute link to the card (`base`: card_links_base);
    spreadsheet formulas neutralised (csv_safe)."""
    return (
        affected.select(
            pl.col("name").alias(t("drill.name", lang)),
            pl.col("email").alias(t("drill.email", lang)),
            pl.col("last_at")
            .map_elements(lambda v: format_iso(v, settings.timezone), return_dtype=pl.Utf8)
            .alias(t("drill.last", lang)),
            pl.col("events").alias(t("drill.events", lang)),
            pl.col("blocked")
            .map_elements(lambda v: status_text(v, lang), return_dtype=pl.Utf8, skip_nulls=False)
            .alias(t("drill.status", lang)),
            pl.col("block_reason")  # null (an empty field) unless blocked
            .map_elements(lambda v: t("reason." + v, lang), return_dtype=pl.Utf8)
            .alias(t("drill.reason", lang)),
            _card_link(base).alias(t("drill.card", lang)),
        )
    ).pipe(csv_safe.csv_bytes)


# --- drawing --------------------------------------------------------------------------------


def today_utc() -> date:
    return datetime.now(UTC).date()


def parse_origin(raw) -> str:
    return raw if raw in vocab.ORIGINS else BOTH


def parse_campaign_ids(raw) -> list[int]:
    """`?campanas=3,5` (or repeated) -> [3, 5]; anything that is not a whole number is
    dropped."""
    parts = raw if isinstance(raw, list) else [raw or ""]
    ids = []
    for part in parts:
        for piece in str(part).split(","):
            piece = piece.strip()
            if piece.isascii() and piece.isdigit() and len(piece) < 10:
                ids.append(int(piece))
    return sorted(set(ids))


def only_some(chosen: list[int], known) -> list[int]:
    """The campaign selection, with "every one of them" stated as the empty one (= all)."""
    return [] if known and set(chosen) >= set(known) else chosen


KNOWN_CAMPAIGNS = "campanas_conocidas"  # the campaign ids the list offers, for its callback


@auth.callback
def all_campaigns_is_none() -> None:
    """ "All" is the empty selection: choosing every campaign folds back to no chips (and a
    short URL)."""
    known = st.session_state.get(KNOWN_CAMPAIGNS, [])
    st.session_state["campanas"] = only_some(st.session_state.get("campanas", []), known)


def render_filters(container) -> ReportFilter | None:
    """Date range, origin and campaigns; every filter lives in the URL (shareable view):
    `?desde=2026-01-01&hasta=2026-03-31&origen=campaign&campanas=3,5`."""
    lang = language()
    end_default = today_utc()
    cols = container.columns([1, 1, 2])
    start = cols[0].date_input(
        text("reports.from"),
        value=end_default - timedelta(days=89),
        key="desde",
        bind="query-params",
        format="DD/MM/YYYY",
    )
    end = cols[1].date_input(
        text("reports.to"), value=end_default, key="hasta", bind="query-params", format="DD/MM/YYYY"
    )
    origin_labels = {
        BOTH: text("reports.both"),
        **{o: t(f"origin.{o}", lang) for o in vocab.ORIGINS},
    }
    # Origin and campaigns keep their codes in the URL (not the translated labels).
    from_url("origen", parse_origin)
    origin = (
        cols[2].segmented_control(
            text("reports.origin"),
            list(origin_labels),
            format_func=origin_labels.get,
            key="origen",
            required=True,
        )
        or BOTH
    )
    to_url("origen", None if origin == BOTH else origin)
    with database_errors_shown():
        known = data.campaigns()
    if origin != BOTH:
        known = known.filter(pl.col("origin") == origin)
    names = dict(zip(known["campaign_id"], known["campaign_name"]))
    from_url("campanas", parse_campaign_ids)
    st.session_state["campanas"] = only_some(
        [i for i in st.session_state["campanas"] if i in names], names
    )
    st.session_state[KNOWN_CAMPAIGNS] = list(names)
    chosen = container.multiselect(
        text("reports.campaigns"),
        list(names),
        format_func=lambda i: names.get(i, str(i)),
        key="campanas",
        placeholder=text("reports.campaigns_all"),
        on_change=all_campaigns_is_none,
    )
    to_url("campanas", ",".join(str(i) for i in sorted(chosen)))
    if not isinstance(start, date) or not isinstance(end, date):
        return None
    if start > end:
        container.warning(text("reports.bad_range"))
        return None
    with database_errors_shown():
        days = data.data_days()
    shown = clamp_range(start, end, days)
    overlaps = days is not None and start <= days[1] and end >= days[0]
    if overlaps and shown != (start, end):
        container.caption(
            text(
                "reports.clamped",
                first=format_day(shown[0], lang),
                last=format_day(shown[1], lang),
            )
        )
    start, end = shown
    ids = tuple(sorted(int(i) for i in chosen if i in names))
    return ReportFilter(start, end, None if origin == BOTH else origin, ids)


def render_headline(container, rep: Report, settings: Settings) -> None:
    lang = language()
    h = rep.headline.row(0, named=True)
    cols = container.columns(7)
    cols[0].metric(text("metric.sends"), format_count(h["sends"], lang))
    cols[1].metric(text("metric.delivered"), format_count(h["delivered"], lang))
    cols[2].metric(
        text("metric.bounced"),
        format_count(h["bounced"], lang),
        help=text(
            "metric.bounced_detail",
            hard=format_count(h["hard_bounced"], lang),
            soft=format_count(h["soft_bounced"], lang),
        ),
    )
    cols[3].metric(text("metric.spam"), format_count(h["spam_complaints"], lang))
    cols[4].metric(text("metric.not_sent"), format_count(h["not_sent"], lang))
    for col, key, value, limits in (
        (cols[5], "metric.bounce_rate", h["bounce_rate"], settings.bounce_limits),
        (cols[6], "metric.complaint_rate", h["complaint_rate"], settings.complaint_limits),
    ):
        level = rate_level(value, limits)
        col.metric(text(key), format_percent(value, lang))
        limit = limits[0] if level == "warning" else limits[1]
        label = text("level." + level, limit=format_percent(limit, lang))
        col.markdown(f":{LEVEL_BADGE_COLOR[level]}-badge[{label}]")
    b, c = settings.bounce_limits, settings.complaint_limits
    container.caption(
        text(
            "reports.limits",
            bw=format_percent(b[0], lang),
            bc=format_percent(b[1], lang),
            cw=format_percent(c[0], lang),
            cc=format_percent(c[1], lang),
        )
    )
    card_zone = settings.timezone.key
    if rep.timezone == card_zone:
        container.caption(text("reports.days", zone=card_zone))
    else:
        # The command as one code span: a value escaped inside backticks would show its escapes.
        command = md_code(f"python -m data_access rollups rebuild --timezone {card_zone}")
        container.warning(
            text("reports.days_other", zone=rep.timezone, card=card_zone, command=command)
        )
    container.caption(text("reports.definitions"))


def _chart(container, chart, key: str) -> dict:
    event = container.altair_chart(chart, on_select="rerun", key=key, width="stretch")
    return getattr(event, "selection", None) or {}


def render_charts(container, rep: Report) -> dict[str, DrillTarget | None]:
    """Draw the charts; return the drill-down target of the bar picked in each of them."""
    lang = language()
    picks: dict[str, DrillTarget | None] = {}
    container.subheader(text("reports.timeline"))
    if rep.timeline.is_empty():
        container.caption(text("reports.none"))
    else:
        f = rep.filter
        chart = charts.timeline_chart(rep.timeline, lang, f.grain, f.start, f.end)
        container.altair_chart(chart, width="stretch")
    left, right = container.columns(2)
    left.subheader(text("reports.reasons"))
    if rep.reasons.is_empty():
        left.caption(text("reports.none"))
    else:
        picks["reasons"] = target_from_selection(
            "reasons", _chart(left, charts.reasons_chart(rep.reasons, lang), "chart_reasons")
        )
    right.subheader(text("reports.categories"))
    if rep.categories.is_empty():
        right.caption(text("reports.none"))
    else:
        picks["categories"] = target_from_selection(
            "categories",
            _chart(right, charts.categories_chart(rep.categories, lang), "chart_categories"),
        )
    container.subheader(text("reports.campaigns_rank"))
    note = "reports.campaigns_note_hidden" if rep.campaigns_below_min else "reports.campaigns_note"
    container.caption(
        text(
            note,
            min=format_count(rep.campaign_min_sends, lang),
            hidden=format_count(rep.campaigns_below_min, lang),
        )
    )
    if rep.campaigns.is_empty():
        container.caption(text("reports.none"))
    else:
        metrics = {
            "bounce_rate": t("chart.bounce_rate", lang),
            "complaint_rate": t("chart.complaint_rate", lang),
        }
        metric = (
            container.segmented_control(
                text("reports.rank_by"),
                list(metrics),
                format_func=metrics.get,
                default="bounce_rate",
                key="ranking",
                required=True,
            )
            or "bounce_rate"
        )
        chart = charts.campaigns_chart(rep.campaigns, lang, metric)
        picks["campaigns"] = target_from_selection(
            "campaigns", _chart(container, chart, "chart_campaigns"), metric
        )
    container.subheader(text("reports.domains"))
    h = rep.headline.row(0, named=True)
    container.caption(
        text("reports.domains_note", min=format_count(min_domain_sends(h["sends"]), lang))
    )
    if rep.domains.is_empty():
        container.caption(text("reports.none"))
    else:
        picks["domains"] = target_from_selection(
            "domains", _chart(container, charts.domains_chart(rep.domains, lang), "chart_domains")
        )
    return picks


def _drill_choice(container, rep: Report, picks: dict) -> DrillTarget | None:
    """The list's selector, naming what the list shows: a bar picked since the last run
    becomes its choice (and stays among its options), else the choice made in it."""
    lang = language()
    names = dict(zip(rep.campaigns["campaign_id"], rep.campaigns["campaign_name"], strict=True))
    options = drill_options(rep, lang)
    new = newest_pick(st.session_state.get(PICKS, {}), picks)
    st.session_state[PICKS] = picks
    if new is not None:
        st.session_state[PICKED] = new
    picked = st.session_state.get(PICKED)
    if picked is not None and picked not in options.values():
        options[drill_label(picked, lang, names)] = picked
    labels = {target: label for label, target in options.items()}
    none = text("drill.none")
    if new is not None:
        st.session_state["detalle"] = labels[new]
    elif st.session_state.get("detalle") not in (none, *options):
        st.session_state["detalle"] = none
    choice = container.selectbox(text("drill.pick"), [none, *options], key="detalle")
    return options.get(choice)


def render_drill(container, rep: Report, settings: Settings, picks: dict) -> None:
    lang = language()
    container.subheader(text("drill.title"))
    target = _drill_choice(container, rep, picks)
    if target is None:
        return
    with database_errors_shown():
        first, total = data.affected(rep.filter, target, PAGE_SIZE, 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = container.pagination(pages, key=f"drill_page_{hash(target)}") if pages > 1 else 1
    with database_errors_shown():
        rows, _ = (
            data.affected(rep.filter, target, PAGE_SIZE, (page - 1) * PAGE_SIZE)
            if page > 1
            else (first, total)
        )
    container.caption(text("drill.count", total=format_count(total, lang)))
    card = t("drill.card", lang)
    base = card_links_base(settings, st.context.url)
    container.dataframe(
        affected_table(rows, settings, lang, base),
        hide_index=True,
        placeholder="",
        width="stretch",
        column_config={card: st.column_config.LinkColumn(card, display_text=t("drill.open", lang))},
    )
    read_all = data.affected_reader(rep.filter, target, EXPORT_LIMIT)
    container.download_button(
        text("drill.download"),
        # Read only when the button is pressed: the full list can be large.
        lambda: export_csv(read_all(), settings, lang, base),
        file_name="rastro-contactos-afectados.csv",
        mime="text/csv",
        icon=":material/download:",
    )
