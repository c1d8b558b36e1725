"""Chart builders: pure functions `*_chart(df, lang) -> alt.Chart` over the frames of
`data_access.reports`. They import no Streamlit, so notebooks use them as they are.

Every chart labels its axes, legends and tooltips in the chosen language and uses the colours
of `dashboard.colors`, the same as the card. Bars carry a point selection named "pick" on
their category, which the report page turns into the list of affected contacts.

Readable at any width: every chart is a single view that takes its container's width (no
facets, whose width Vega-Lite cannot fit to the page), legends sit above or below the bars,
and long labels are broken into lines (`wrap_label`, drawn line by line by `WRAPPED`) instead
of being cut.
"""

from datetime import date, timedelta

import altair as alt
import polars as pl

from data_access import vocab

from .colors import CATEGORY_HEX, HEX_COLOR, ORIGIN_HEX
from .formatting import CHART_PERCENT, CHART_PERCENT_AXIS, format_day, wrap_label
from .i18n import t

# Vega expression that draws a label holding newlines as one line each.
WRAPPED = "split(datum.value, '\\n')"
LINE_PX = 13  # height of one label line (11 px font)


def _labels(frame: pl.DataFrame, lang: str, **columns: str) -> pl.DataFrame:
    """Add `<column>_label` columns with catalogue texts (prefix + value)."""
    return frame.with_columns(
        pl.col(column)
        .map_elements(lambda v, p=prefix: t(f"{p}.{v}", lang) if v else "", return_dtype=pl.Utf8)
        .alias(f"{column}_label")
        for column, prefix in columns.items()
    )


def _wrapped(frame: pl.DataFrame, column: str, width: int) -> pl.DataFrame:
    """Add `<column>_axis`: the text broken into lines for an axis."""
    return frame.with_columns(
        pl.col(column)
        .map_elements(lambda v: wrap_label(v or "", width), return_dtype=pl.Utf8)
        .alias(f"{column}_axis")
    )


def _step(frame: pl.DataFrame, column: str, bars: int = 1) -> int:
    """Band height for a y axis of wrapped labels: every line fits, and `bars` bars a band."""
    lines = max((v.count("\n") + 1 for v in frame[column]), default=1)
    return max(18 * bars + 4, LINE_PX * lines + 6)


def _axis(**kwargs) -> alt.Axis:
    # Vega puts the first line of a label at the tick and the others below it: lift the block
    # by half its extra lines, so that it stays centred on its bar.
    lift = f"-(length({WRAPPED}) - 1) * {LINE_PX / 2}"
    return alt.Axis(
        labelExpr=WRAPPED,
        labelLimit=0,
        labelOverlap=False,
        labelOffset=alt.ExprRef(lift),
        labelLineHeight=LINE_PX,
        **kwargs,
    )


def _legend(title: str, columns: int = 0) -> alt.Legend:
    """A legend above the bars: in a row (`columns` 0), or in columns, for a chart whose long
    axis labels leave little room beside them on a phone."""
    if columns:
        return alt.Legend(title=title, orient="top", columns=columns, labelLimit=0)
    return alt.Legend(title=title, orient="top", direction="horizontal", labelLimit=0)


def _scale(keys, palette: dict, lang: str, prefix: str) -> alt.Scale:
    return alt.Scale(
        domain=[t(f"{prefix}.{k}", lang) for k in keys], range=[palette[k] for k in keys]
    )


def _origin_scale(lang: str) -> alt.Scale:
    return _scale(vocab.ORIGINS, ORIGIN_HEX, lang, "origin")


def _utc_midnight(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")


def _utc_day(day: date) -> alt.DateTime:
    return alt.DateTime(year=day.year, month=day.month, date=day.day, utc=True)


def timeline_chart(
    df: pl.DataFrame,
    lang: str = "es",
    grain: str = "day",
    start: date | None = None,
    end: date | None = None,
) -> alt.VConcatChart:
    """Bounces, spam complaints and not-sent emails per day or ISO week, stacked by kind: one
    panel per origin, one above the other, each as wide as the page, on shared scales and with
    one legend. Each bar spans its whole period (a small gap between bars) on a UTC time scale,
    so that days are not shifted by the browser's time zone; `start` and `end` (the report's
    range) fix the time axis, so that quiet days at either end still show."""
    span = timedelta(days=7 if grain == "week" else 1)
    gap = span * 0.1
    data = _labels(df, lang, kind="event").with_columns(
        (_utc_midnight("period") + gap).alias("bar_start"),
        (_utc_midnight("period") + span - gap).alias("bar_end"),
        pl.col("period")
        .map_elements(
            lambda d: (
                t("chart.week_of", lang, day=format_day(d, lang))
                if grain == "week"
                else format_day(d, lang)
            ),
            return_dtype=pl.Utf8,
        )
        .alias("period_label"),
    )
    domain = alt.Undefined
    if start is not None and end is not None:
        if grain == "week":
            start, end = start - timedelta(days=start.weekday()), end - timedelta(end.weekday())
        domain = [_utc_day(start), _utc_day(end + span)]
    kinds = ("bounced", "spam_complaint", "not_sent")
    base = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "bar_start:T",
                title=t("chart.week" if grain == "week" else "chart.day", lang),
                scale=alt.Scale(type="utc", domain=domain),
                # numeric dates: Vega-Lite would name the months in English
                axis=alt.Axis(format="%d/%m/%y", labelOverlap=True, labelFlush=True),
            ),
            x2="bar_end:T",
            y=alt.Y("sum(events):Q", title=t("chart.emails", lang)),
            color=alt.Color(
                "kind_label:N",
                legend=_legend(t("chart.notice", lang)),
                scale=_scale(kinds, HEX_COLOR, lang, "event"),
            ),
            tooltip=[
                alt.Tooltip("period_label:N", title=t("chart.period", lang)),
                alt.Tooltip("kind_label:N", title=t("chart.notice", lang)),
                alt.Tooltip("sum(events):Q", title=t("chart.emails", lang), format=",d"),
            ],
        )
        .properties(height=170)
    )
    present = set(df["origin"]) or set(vocab.ORIGINS)
    panels = [
        base.transform_filter(alt.datum.origin == origin).properties(
            title=alt.TitleParams(t(f"origin.{origin}", lang), anchor="start", fontSize=13)
        )
        for origin in vocab.ORIGINS
        if origin in present
    ]
    return alt.vconcat(*panels, spacing=24).resolve_scale(x="shared", y="shared")


def reasons_chart(df: pl.DataFrame, lang: str = "es") -> alt.Chart:
    """Not-sent emails by reason, split by origin."""
    data = _wrapped(_labels(df, lang, reason="reason", origin="origin"), "reason_label", 24)
    pick = alt.selection_point(name="pick", fields=["reason", "origin"])
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("reason_label_axis:N", title=None, sort="-x", axis=_axis()),
            x=alt.X("events:Q", title=t("chart.not_sent", lang)),
            color=alt.Color(
                "origin_label:N",
                legend=_legend(t("chart.origin", lang), columns=1),
                scale=_origin_scale(lang),
            ),
            yOffset="origin_label:N",
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("reason_label:N", title=t("chart.reason", lang)),
                alt.Tooltip("origin_label:N", title=t("chart.origin", lang)),
                alt.Tooltip("events:Q", title=t("chart.emails", lang), format=",d"),
            ],
        )
        .add_params(pick)
        .properties(height=alt.Step(_step(data, "reason_label_axis", bars=2)))
    )


def categories_chart(df: pl.DataFrame, lang: str = "es") -> alt.Chart:
    """Bounces by type (hard, soft) and diagnostic category, one bar per origin and type."""

    def bar(bounce_type: str, origin: str) -> str:
        kind = t(f"bounce.{bounce_type}", lang)
        return f"{kind[:1].upper()}{kind[1:]}\n{t(f'origin.{origin}', lang)}"

    def legend(category: str) -> str:
        return wrap_label(t(f"category.{category}", lang), 26)

    data = _labels(df, lang, bounce_type="bounce", category="category", origin="origin")
    data = data.with_columns(
        pl.struct("bounce_type", "origin")
        .map_elements(lambda v: bar(v["bounce_type"], v["origin"]), return_dtype=pl.Utf8)
        .alias("bar_axis"),
        pl.col("category").map_elements(legend, return_dtype=pl.Utf8).alias("category_legend"),
    )
    order = [bar(b, o) for o in vocab.ORIGINS for b in vocab.BOUNCE_TYPES]
    pick = alt.selection_point(name="pick", fields=["bounce_type", "category", "origin"])
    present = [c for c in CATEGORY_HEX if c in set(df["category"])] or list(CATEGORY_HEX)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("bar_axis:N", title=None, sort=order, axis=_axis()),
            x=alt.X("sum(events):Q", title=t("chart.bounces", lang)),
            color=alt.Color(
                "category_legend:N",
                # below the bars, one per line, long causes on two lines: fits a phone
                legend=alt.Legend(
                    title=t("chart.category", lang),
                    orient="bottom",
                    columns=1,
                    labelLimit=0,
                    labelExpr=WRAPPED,
                ),
                scale=alt.Scale(
                    domain=[legend(c) for c in present],
                    range=[CATEGORY_HEX[c] for c in present],
                ),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("origin_label:N", title=t("chart.origin", lang)),
                alt.Tooltip("bounce_type_label:N", title=t("chart.bounce_type", lang)),
                alt.Tooltip("category_label:N", title=t("chart.category", lang)),
                alt.Tooltip("sum(events):Q", title=t("chart.bounces", lang), format=",d"),
            ],
        )
        .add_params(pick)
        .properties(height=alt.Step(2 * LINE_PX + 10))
    )


def campaigns_chart(
    df: pl.DataFrame, lang: str = "es", metric: str = "bounce_rate", top: int = 15
) -> alt.Chart:
    """Campaigns and flows ranked by bounce rate or complaint rate, with their volumes."""
    data = _wrapped(
        _labels(df.sort(metric, descending=True, nulls_last=True).head(top), lang, origin="origin"),
        "campaign_name",
        40,
    )
    pick = alt.selection_point(name="pick", fields=["campaign_id"])
    title = t("chart." + metric, lang)
    return (
        alt.Chart(data)
        .mark_bar(size=16)
        .encode(
            y=alt.Y("campaign_name_axis:N", title=None, sort="-x", axis=_axis()),
            x=alt.X(f"{metric}:Q", title=title, axis=alt.Axis(format=CHART_PERCENT_AXIS)),
            color=alt.Color(
                "origin_label:N",
                legend=_legend(t("chart.origin", lang), columns=1),
                scale=_origin_scale(lang),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("campaign_name:N", title=t("chart.campaign", lang)),
                alt.Tooltip("origin_label:N", title=t("chart.origin", lang)),
                alt.Tooltip(f"{metric}:Q", title=title, format=CHART_PERCENT),
                alt.Tooltip("sends:Q", title=t("chart.sends", lang), format=",d"),
                alt.Tooltip("bounced:Q", title=t("chart.bounces", lang), format=",d"),
                alt.Tooltip("spam_complaints:Q", title=t("chart.spam", lang), format=",d"),
            ],
        )
        .add_params(pick)
        .properties(height=alt.Step(_step(data, "campaign_name_axis")))
    )


def domains_chart(df: pl.DataFrame, lang: str = "es") -> alt.Chart:
    """Recipient domains ranked by bounce rate (only those with enough sends)."""
    data = _wrapped(df, "domain", 28)
    pick = alt.selection_point(name="pick", fields=["domain"])
    return (
        alt.Chart(data)
        .mark_bar(color=HEX_COLOR["bounced"], size=16)
        .encode(
            y=alt.Y("domain_axis:N", title=t("chart.domain", lang), sort="-x", axis=_axis()),
            x=alt.X(
                "bounce_rate:Q",
                title=t("chart.bounce_rate", lang),
                axis=alt.Axis(format=CHART_PERCENT_AXIS),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("domain:N", title=t("chart.domain", lang)),
                alt.Tooltip(
                    "bounce_rate:Q", title=t("chart.bounce_rate", lang), format=CHART_PERCENT
                ),
                alt.Tooltip("sends:Q", title=t("chart.sends", lang), format=",d"),
                alt.Tooltip("bounced:Q", title=t("chart.bounces", lang), format=",d"),
                alt.Tooltip("hard_bounced:Q", title=t("chart.hard", lang), format=",d"),
            ],
        )
        .add_params(pick)
        .properties(height=alt.Step(_step(data, "domain_axis")))
    )
