"""Chart builders: pure functions `*_chart(df, lang) -> alt.Chart` over the frames of
`data_access.reports`. They import no Streamlit, so notebooks use them as they are.

Every chart labels its axes, legends and tooltips in the chosen language and uses the colours
of `dashboard.colors`, the same as the card. Bars carry a point selection named "pick" on
their category, which the report page turns into the list of affected contacts.
"""

import altair as alt
import polars as pl

from data_access import vocab

from .colors import CATEGORY_HEX, HEX_COLOR, ORIGIN_HEX
from .formatting import CHART_PERCENT, CHART_PERCENT_AXIS
from .i18n import t


def _labels(frame: pl.DataFrame, lang: str, **columns: str) -> pl.DataFrame:
    """Add `<column>_label` columns with catalogue texts (prefix + value)."""
    return frame.with_columns(
        pl.col(column)
        .map_elements(lambda v, p=prefix: t(f"{p}.{v}", lang) if v else "", return_dtype=pl.Utf8)
        .alias(f"{column}_label")
        for column, prefix in columns.items()
    )


def _scale(keys, palette: dict, lang: str, prefix: str) -> alt.Scale:
    return alt.Scale(
        domain=[t(f"{prefix}.{k}", lang) for k in keys], range=[palette[k] for k in keys]
    )


def _origin_scale(lang: str) -> alt.Scale:
    return _scale(vocab.ORIGINS, ORIGIN_HEX, lang, "origin")


def timeline_chart(df: pl.DataFrame, lang: str = "es", grain: str = "day") -> alt.Chart:
    """Bounces, spam complaints and not-sent emails per period, one panel per origin."""
    data = _labels(df, lang, kind="event", origin="origin")
    kinds = ("bounced", "spam_complaint", "not_sent")
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            # numeric dates: Vega-Lite would name the months in English
            x=alt.X(
                "period:T",
                title=t("chart.week" if grain == "week" else "chart.day", lang),
                timeUnit="yearmonthdate",
                axis=alt.Axis(format="%d/%m/%y"),
            ),
            y=alt.Y("sum(events):Q", title=t("chart.emails", lang)),
            color=alt.Color(
                "kind_label:N",
                title=t("chart.notice", lang),
                scale=_scale(kinds, HEX_COLOR, lang, "event"),
            ),
            column=alt.Column("origin_label:N", title=None),
            tooltip=[
                alt.Tooltip("period:T", title=t("chart.period", lang), format="%d/%m/%Y"),
                alt.Tooltip("origin_label:N", title=t("chart.origin", lang)),
                alt.Tooltip("kind_label:N", title=t("chart.notice", lang)),
                alt.Tooltip("sum(events):Q", title=t("chart.emails", lang), format=",d"),
            ],
        )
        .properties(width=380, height=220)
    )


def reasons_chart(df: pl.DataFrame, lang: str = "es") -> alt.Chart:
    """Not-sent emails by reason, split by origin."""
    data = _labels(df, lang, reason="reason", origin="origin")
    pick = alt.selection_point(name="pick", fields=["reason", "origin"])
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("reason_label:N", title=None, sort="-x"),
            x=alt.X("events:Q", title=t("chart.not_sent", lang)),
            color=alt.Color(
                "origin_label:N", title=t("chart.origin", lang), scale=_origin_scale(lang)
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
        .properties(height=alt.Step(18))
    )


def categories_chart(df: pl.DataFrame, lang: str = "es") -> alt.Chart:
    """Bounces by type (hard, soft) and diagnostic category, split by origin."""
    data = _labels(df, lang, bounce_type="bounce", category="category", origin="origin")
    pick = alt.selection_point(name="pick", fields=["bounce_type", "category", "origin"])
    present = [c for c in CATEGORY_HEX if c in set(df["category"])] or list(CATEGORY_HEX)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("bounce_type_label:N", title=None),
            x=alt.X("sum(events):Q", title=t("chart.bounces", lang)),
            color=alt.Color(
                "category_label:N",
                title=t("chart.category", lang),
                scale=_scale(present, CATEGORY_HEX, lang, "category"),
            ),
            row=alt.Row("origin_label:N", title=None),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=[
                alt.Tooltip("origin_label:N", title=t("chart.origin", lang)),
                alt.Tooltip("bounce_type_label:N", title=t("chart.bounce_type", lang)),
                alt.Tooltip("category_label:N", title=t("chart.category", lang)),
                alt.Tooltip("sum(events):Q", title=t("chart.bounces", lang), format=",d"),
            ],
        )
        .add_params(pick)
        .properties(width=520, height=alt.Step(22))
    )


def campaigns_chart(
    df: pl.DataFrame, lang: str = "es", metric: str = "bounce_rate", top: int = 15
) -> alt.Chart:
    """Campaigns and flows ranked by bounce rate or complaint rate, with their volumes."""
    data = _labels(
        df.sort(metric, descending=True, nulls_last=True).head(top), lang, origin="origin"
    )
    pick = alt.selection_point(name="pick", fields=["campaign_id"])
    title = t("chart." + metric, lang)
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("campaign_name:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320)),
            x=alt.X(f"{metric}:Q", title=title, axis=alt.Axis(format=CHART_PERCENT_AXIS)),
            color=alt.Color(
                "origin_label:N", title=t("chart.origin", lang), scale=_origin_scale(lang)
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
        .properties(height=alt.Step(20))
    )


def domains_chart(df: pl.DataFrame, lang: str = "es") -> alt.Chart:
    """Recipient domains ranked by bounce rate (only those with enough sends)."""
    pick = alt.selection_point(name="pick", fields=["domain"])
    return (
        alt.Chart(df)
        .mark_bar(color=HEX_COLOR["bounced"])
        .encode(
            y=alt.Y("domain:N", title=t("chart.domain", lang), sort="-x"),
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
        .properties(height=alt.Step(20))
    )
