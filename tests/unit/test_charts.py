"""Chart specs through `to_dict()`: Spanish titles, the shared colours, the drill-down pick."""

from datetime import UTC, date, datetime, time, timedelta

import polars as pl

from dashboard import charts, report_view
from dashboard.colors import CATEGORY_HEX, HEX_COLOR, LEVEL_BADGE_COLOR
from dashboard.formatting import format_day, format_iso, format_percent, wrap_label
from dashboard.i18n import t
from dashboard.settings import load_settings
from data_access import reports, vocab

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
    # one full-width panel per origin, one above the other (a facet cannot fit the page)
    panels = spec["vconcat"]
    assert [p["title"]["text"] for p in panels] == ["Correo de campaña", "Correo de automatización"]
    assert [p["transform"][0]["filter"] for p in panels] == [
        "(datum.origin === 'campaign')",
        "(datum.origin === 'automation')",
    ]
    assert spec["resolve"]["scale"] == {"x": "shared", "y": "shared"}
    enc = panels[0]["encoding"]
    assert enc["color"]["scale"]["domain"] == ["Rebotó", "Marcado como spam", "No enviado"]
    assert enc["color"]["scale"]["range"] == [
        HEX_COLOR["bounced"],
        HEX_COLOR["spam_complaint"],
        HEX_COLOR["not_sent"],
    ]
    assert enc["color"]["legend"]["orient"] == "top"
    assert {"Semana (desde el lunes)", "Correos", "Aviso", "Periodo"} <= titles(spec)


def _rows(spec: dict) -> list[dict]:
    return spec["datasets"][next(iter(spec["datasets"]))]


def test_timeline_bars_span_their_whole_period_on_a_utc_axis():
    """Not hairlines: a daily bar covers most of its day, a weekly one most of its week."""
    for grain, days in (("day", 1), ("week", 7)):
        spec = charts.timeline_chart(TIMELINE, "es", grain).to_dict()
        enc = spec["vconcat"][0]["encoding"]
        assert enc["x"]["scale"]["type"] == "utc" and enc["x2"]["field"] == "bar_end"
        for row in _rows(spec):
            start = datetime.fromisoformat(row["bar_start"])
            end = datetime.fromisoformat(row["bar_end"])
            period = datetime.combine(date.fromisoformat(row["period"][:10]), time(0), UTC)
            assert period < start < end < period + timedelta(days=days)
            assert end - start >= timedelta(days=days) * 0.75
    labels = {
        r["period_label"] for r in _rows(charts.timeline_chart(TIMELINE, "en", "week").to_dict())
    }
    assert labels == {"Week of Mar 2, 2026", "Week of Mar 9, 2026"}


def test_timeline_axis_covers_the_report_range():
    spec = charts.timeline_chart(
        TIMELINE.filter(pl.col("origin") == "campaign"),
        "es",
        "day",
        date(2026, 2, 27),
        date(2026, 3, 10),
    ).to_dict()
    assert len(spec["vconcat"]) == 1  # only the origin with notices
    domain = spec["vconcat"][0]["encoding"]["x"]["scale"]["domain"]
    assert [(d["year"], d["month"], d["date"], d["utc"]) for d in domain] == [
        (2026, 2, 27, True),
        (2026, 3, 11, True),
    ]


def test_long_labels_are_wrapped_never_cut():
    names = [
        "Envíos anteriores rebotaron",
        "El contacto canceló la suscripción",
        "El contacto marcó como spam un envío anterior",
        "Campaña especial de fidelización para clientes premium de la región andina 2026",
        "universidadnacionaldecolombia.edu.co",
    ]
    for name in names:
        wrapped = wrap_label(name, 24)
        assert all(len(line) <= 24 for line in wrapped.split("\n"))
        assert wrapped.replace("\n", " ").split() == name.split() or "." in name
        assert wrapped.replace("\n", "") == name.replace(" ", "") or " " in name
    assert wrap_label("universidadnacionaldecolombia.edu.co", 24).split("\n") == [
        "universidadnacionaldecol",
        "ombia.edu.co",
    ]
    assert wrap_label("mail.universidadnacional.edu.co", 24).split("\n") == [
        "mail.",
        "universidadnacional.edu.",
        "co",
    ]
    spec = charts.reasons_chart(
        pl.DataFrame(
            {"origin": ["campaign"] * 3, "reason": list(vocab.REASONS)[:3], "events": [1, 2, 3]},
            schema=reports.REASONS_SCHEMA,
        ),
        "es",
    ).to_dict()
    axis = spec["encoding"]["y"]["axis"]
    assert axis["labelLimit"] == 0 and axis["labelExpr"] == charts.WRAPPED
    assert axis["labelOverlap"] is False
    shown = {r["reason_label_axis"].replace("\n", " ") for r in _rows(spec)}
    assert shown == {t(f"reason.{r}", "es") for r in list(vocab.REASONS)[:3]}
    # the bands are tall enough for every line of the labels, two bars each
    lines = max(r["reason_label_axis"].count("\n") + 1 for r in _rows(spec))
    assert spec["height"]["step"] >= charts.LINE_PX * lines


def test_every_label_of_the_charts_is_readable_in_english_too():
    for lang in ("es", "en"):
        cats = charts.categories_chart(CATEGORIES, lang).to_dict()
        legend = cats["encoding"]["color"]["legend"]
        assert legend["orient"] == "bottom" and legend["labelLimit"] == 0
        for spec, field in (
            (charts.categories_chart(CATEGORIES, lang).to_dict(), "bar_axis"),
            (charts.campaigns_chart(CAMPAIGNS, lang).to_dict(), "campaign_name_axis"),
            (charts.domains_chart(DOMAINS, lang).to_dict(), "domain_axis"),
        ):
            assert spec["encoding"]["y"]["field"] == field
            assert spec["encoding"]["y"]["axis"]["labelLimit"] == 0
            assert "facet" not in spec and "row" not in spec["encoding"]
    bar = _rows(charts.categories_chart(CATEGORIES, "en").to_dict())[0]["bar_axis"]
    assert bar == "Hard bounce\nCampaign email"


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
    # ranked by complaint rate, a campaign's bar lists its spam complaints
    assert pick(
        "campaigns", {"pick": [{"campaign_id": 7.0}]}, "complaint_rate"
    ) == reports.DrillTarget("spam_complaint", campaign_id=7)
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


def test_the_drill_down_names_what_it_lists():
    label = report_view.drill_label
    assert label(reports.DrillTarget("bounced", bounce_type="hard"), "es") == (
        "Rebotó (rebote duro)"
    )
    assert label(
        reports.DrillTarget("bounced", bounce_type="soft", category="mailbox_full"), "es"
    ) == ("Rebotó (rebote suave): Buzón lleno")
    assert label(reports.DrillTarget("not_sent", reason="unsubscribed"), "en") == (
        "Not sent: The contact unsubscribed"
    )
    assert label(reports.DrillTarget("spam_complaint", campaign_id=4), "es", {4: "Buen Fin"}) == (
        "Marcado como spam en «Buen Fin»"
    )
    assert label(reports.DrillTarget("bounced", domain="gmial.com"), "en") == (
        "Bounced at gmial.com"
    )


def test_a_new_pick_wins_and_a_kept_one_does_not():
    hard = reports.DrillTarget("bounced", bounce_type="hard")
    spam = reports.DrillTarget("spam_complaint", campaign_id=3)
    assert report_view.newest_pick({}, {"reasons": None}) is None
    assert report_view.newest_pick({}, {"categories": hard}) == hard
    assert report_view.newest_pick({"categories": hard}, {"categories": hard}) is None
    assert (
        report_view.newest_pick({"categories": hard}, {"categories": hard, "campaigns": spam})
        == spam
    )


def test_every_campaign_chosen_is_the_empty_selection():
    known = {1: "a", 2: "b", 3: "c"}
    assert report_view.only_some([1, 2, 3], known) == []
    assert report_view.only_some([1, 3], known) == [1, 3]
    assert report_view.only_some([], known) == []
    assert report_view.only_some([], {}) == []


def test_card_links_use_the_configured_base_else_the_browsers_address():
    configured = load_settings({"RASTRO_BASE_URL": "https://rastro.example.org/panel/"})
    assert configured.base_url == "https://rastro.example.org/panel"
    bare = load_settings({})
    assert report_view.card_links_base(configured, "http://10.0.0.5:8501/informes") == (
        "https://rastro.example.org/panel"
    )
    assert report_view.card_links_base(bare, "http://10.0.0.5:8501/informes") == (
        "http://10.0.0.5:8501"
    )
    assert report_view.card_links_base(bare, "https://x.test/rastro/informes") == (
        "https://x.test/rastro"
    )
    assert report_view.card_links_base(bare, None) == ""
    wrong = load_settings({"RASTRO_BASE_URL": "rastro.example.org"})
    assert wrong.base_url == "" and "settings.bad_base_url" in wrong.problems


def test_the_csv_export_has_iso_dates_status_reason_and_absolute_links():
    affected = pl.DataFrame(
        [
            (
                7,
                "Ana Núñez",
                "ana@x.test",
                datetime(2026, 3, 3, 16, 5, 9, tzinfo=UTC),
                2,
                True,
                "previous_bounce",
            ),
            (9, "Luis", "luis@x.test", datetime(2026, 3, 1, 2, 0, tzinfo=UTC), 1, False, None),
            (11, "Eva", "eva@x.test", datetime(2026, 3, 1, 2, 0, tzinfo=UTC), 1, None, None),
        ],
        schema=reports.AFFECTED_SCHEMA,
        orient="row",
    )
    settings = load_settings({"RASTRO_TIMEZONE": "America/Mexico_City"})
    lines = (
        report_view.export_csv(affected, settings, "es", "https://r.test")
        .decode("utf-8")
        .splitlines()
    )
    assert lines[0] == "Nombre,Correo,Último aviso,Avisos,Estado,Motivo del bloqueo,Ficha"
    assert lines[1] == (
        "Ana Núñez,ana@x.test,2026-03-03T10:05:09-06:00,2,Bloqueado,"
        "Envíos anteriores rebotaron,https://r.test/?contacto=7"
    )
    assert lines[2] == (
        "Luis,luis@x.test,2026-02-28T20:00:00-06:00,1,Se puede enviar,,https://r.test/?contacto=9"
    )
    assert lines[3].split(",")[4:6] == ["Sin evaluar", ""]
    english = report_view.export_csv(affected, settings, "en", "https://r.test").decode()
    assert english.splitlines()[0] == "Name,Email,Last notice,Notices,Status,Block reason,Card"
    assert format_iso(None, settings.timezone) == ""
    assert format_day(date(2026, 9, 6)) == "6 sept 2026"
    assert format_day(date(2026, 9, 6), "en", with_year=False) == "Sep 6"


def test_the_chart_stack_is_imported_once_in_the_background():
    """dashboard/warmup.py: a fresh process has Altair loaded after start(), by one thread."""
    import subprocess
    import sys

    code = (
        "import sys, threading\n"
        "from dashboard import warmup\n"
        "assert 'altair' not in sys.modules\n"
        "warmup.start(); first = warmup._thread; warmup.start()\n"
        "assert warmup._thread is first and first.name == 'rastro-warm-up'\n"
        "first.join(60)\n"
        "assert 'altair' in sys.modules and 'dashboard.report_view' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_data_layer_and_the_dashboard_default_to_the_same_zone():
    from dashboard.settings import DEFAULT_TIMEZONE
    from data_access import config

    assert config.DEFAULT_TIMEZONE == DEFAULT_TIMEZONE


def test_clamp_range_cuts_to_the_data_and_keeps_an_empty_range_small():
    from datetime import date

    from data_access.reports import clamp_range

    days = (date(2026, 1, 5), date(2026, 11, 26))
    assert clamp_range(date(1900, 1, 1), date(2999, 12, 31), days) == days
    assert clamp_range(date(2026, 2, 1), date(2026, 3, 1), days) == (
        date(2026, 2, 1),
        date(2026, 3, 1),
    )
    assert clamp_range(date(1900, 1, 1), date(1950, 1, 1), days) == (
        date(1900, 1, 1),
        date(1900, 1, 1),
    )
    assert clamp_range(date(1900, 1, 1), date(2999, 1, 1), None) == (
        date(1900, 1, 1),
        date(1900, 1, 1),
    )
