"""Chart specs through `to_dict()`: Spanish titles, the shared colours, the drill-down pick."""

from datetime import date

import polars as pl

from dashboard import charts, report_view
from dashboard.colors import CATEGORY_HEX, HEX_COLOR, LEVEL_BADGE_COLOR, ORIGIN_HEX
from dashboard.formatting import format_percent
from data_access import reports

TIMELINE = pl.DataFrame(
    {
        "period": [date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 9)],
        "origin": ["campaign", "automation", "campaign"],
        "kind": ["bounced", "spam_complaint", "not_sent"],
        "events": [5, 1, 2],
    },
    schema=reports.TIMELINE_SCHEMA,
)
REASONS = pl.DataFrame(
    {
        "origin": ["campaign", "automation"],
        "reason": ["previous_bounce", "unsubscribed"],
        "events": [7, 3],
    },
    schema=reports.REASONS_SCHEMA,
)
CATEGORIES = pl.DataFrame(
    {
        "origin": ["campaign"],
        "bounce_type": ["hard"],
        "category": ["mailbox_unknown"],
        "events": [4],
    },
    schema=reports.CATEGORIES_SCHEMA,
)
CAMPAIGNS = pl.DataFrame(
    [
        {
            "campaign_id": 1,
            "campaign_name": "Black Friday",
            "origin": "campaign",
            "sends": 100,
            "delivered": 90,
            "bounced": 10,
            "spam_complaints": 1,
            "bounce_rate": 0.1,
            "complaint_rate": 1 / 90,
        }
    ],
    schema=reports.CAMPAIGNS_SCHEMA,
)
DOMAINS = pl.DataFrame(
    [
        {
            "domain": "gmial.com",
            "sends": 200,
            "bounced": 150,
            "hard_bounced": 140,
            "bounce_rate": 0.75,
        }
    ],
    schema=reports.DOMAINS_SCHEMA,
)


def titles(spec: dict) -> set[str]:
    """Every title and tooltip title in a spec."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "title" and isinstance(value, str):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def test_timeline_chart_is_split_by_origin_with_notice_colours():
    spec = charts.timeline_chart(TIMELINE, "es", "week").to_dict()
    enc = spec["encoding"]
    assert enc["column"]["field"] == "origin_label"
    assert enc["color"]["scale"]["domain"] == ["Rebotó", "Marcado como spam", "No enviado"]
    assert enc["color"]["scale"]["range"] == [
        HEX_COLOR["bounced"],
        HEX_COLOR["spam_complaint"],
        HEX_COLOR["not_sent"],
    ]
    assert {"Semana (desde el lunes)", "Correos", "Aviso", "Origen"} <= titles(spec)


def test_reasons_chart_labels_reasons_in_words_and_can_be_picked():
    spec = charts.reasons_chart(REASONS, "es").to_dict()
    values = spec["datasets"][spec["data"]["name"]]
    assert {v["reason_label"] for v in values} == {
        "Envíos anteriores rebotaron",
        "El contacto canceló la suscripción",
    }
    assert spec["params"][0]["name"] == "pick"
    assert spec["encoding"]["color"]["scale"]["range"] == [
        ORIGIN_HEX["campaign"],
        ORIGIN_HEX["automation"],
    ]


def test_categories_campaigns_and_domains_charts():
    cats = charts.categories_chart(CATEGORIES, "es").to_dict()
    assert "Causa del rebote" in titles(cats)
    camp = charts.campaigns_chart(CAMPAIGNS, "es", "complaint_rate").to_dict()
    assert camp["encoding"]["x"]["field"] == "complaint_rate"
    assert "Tasa de quejas por spam" in titles(camp)
    dom = charts.domains_chart(DOMAINS, "en").to_dict()
    assert {"Recipient domain", "Bounce rate", "Sends"} <= titles(dom)


def test_charts_accept_empty_frames():
    for chart in (
        charts.timeline_chart(TIMELINE.head(0)),
        charts.reasons_chart(REASONS.head(0)),
        charts.categories_chart(CATEGORIES.head(0)),
        charts.campaigns_chart(CAMPAIGNS.head(0)),
        charts.domains_chart(DOMAINS.head(0)),
    ):
        assert chart.to_dict()["$schema"].startswith("https://vega.github.io/schema/vega-lite")


def test_rate_levels_and_percentages():
    limits = (0.02, 0.05)
    assert report_view.rate_level(None, limits) == "none"
    assert report_view.rate_level(0.02, limits) == "ok"
    assert report_view.rate_level(0.021, limits) == "warning"
    assert report_view.rate_level(0.051, limits) == "critical"
    assert format_percent(0.0158) == "1,58 %" and format_percent(0.0158, "en") == "1.58%"
    assert format_percent(0.05) == "5,00 %" and format_percent(None) == "—"


def test_chart_picks_become_drill_down_targets():
    pick = report_view.target_from_selection
    assert pick("reasons", {"pick": [{"reason": "unsubscribed"}]}) == reports.DrillTarget(
        "not_sent", reason="unsubscribed"
    )
    campaign = pick("campaigns", {"pick": [{"campaign_id": 7.0}]})
    assert campaign == reports.DrillTarget("bounced", campaign_id=7)
    assert type(campaign.campaign_id) is int  # Vega sends floats; the query wants the id
    assert pick(
        "categories", {"pick": [{"bounce_type": "hard", "category": "mailbox_unknown"}]}
    ) == reports.DrillTarget("bounced", bounce_type="hard", category="mailbox_unknown")
    assert pick("domains", {"pick": [{"domain": "correo.test"}]}) == reports.DrillTarget(
        "bounced", domain="correo.test"
    )
    assert report_view.target_from_selection("domains", {"pick": []}) is None
    assert report_view.target_from_selection("domains", {}) is None


def test_report_filters_from_the_url():
    assert report_view.parse_origin("automation") == "automation"
    assert report_view.parse_origin("marte") == report_view.BOTH
    assert report_view.parse_origin(None) == report_view.BOTH
    assert report_view.parse_campaign_ids("3,5, 5,x,-1") == [3, 5]
    assert report_view.parse_campaign_ids(["3", "7"]) == [3, 7]
    assert report_view.parse_campaign_ids(None) == []


def test_drill_down_targets_are_hashable_values():
    """They key st.cache_data and the pagination widget: equal targets, one key."""
    a = reports.DrillTarget("bounced", bounce_type="hard")
    b = reports.DrillTarget("bounced", bounce_type="hard")
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != reports.DrillTarget("bounced", bounce_type="soft")


def test_the_colour_tables_cover_their_vocabularies():
    from data_access import diagnostics

    assert set(CATEGORY_HEX) == set(diagnostics.CATEGORIES)
    assert set(LEVEL_BADGE_COLOR) == {"none", "ok", "warning", "critical"}
