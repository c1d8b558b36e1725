"""Pure parts of the dashboard: settings, formatting, Markdown safety, card texts."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from dashboard import card, i18n, markdown
from dashboard.formatting import format_count, format_date, format_datetime
from dashboard.search import parse_contact_id, result_label
from dashboard.settings import DEFAULT_TIMEZONE, load_settings
from data_access.queries import EVENTS_SCHEMA, STATUS_SCHEMA

BOGOTA = ZoneInfo("America/Bogota")
MOMENT = datetime(2026, 3, 3, 15, 5, tzinfo=UTC)


def test_settings_defaults_and_overrides():
    default = load_settings({})
    assert default.timezone.key == DEFAULT_TIMEZONE and default.problems == ()
    custom = load_settings(
        {
            "RASTRO_TIMEZONE": "America/Lima",
            "RASTRO_CAMPAIGN_EDITOR_URL": "https://crm/c/{id}",
            "RASTRO_CACHE_TTL_SECONDS": "5",
        }
    )
    assert custom.timezone.key == "America/Lima" and custom.cache_ttl_seconds == 5
    assert custom.editor_url("campaign", "cmp 7/x") == "https://crm/c/cmp%207%2Fx"
    assert custom.editor_url("automation", "f1").endswith("/f1/edit")
    assert custom.editor_url(None, "x") is None and custom.editor_url("campaign", None) is None


@pytest.mark.parametrize(
    "env, problem",
    [
        ({"RASTRO_TIMEZONE": "Marte/Olympus"}, "settings.bad_timezone"),
        ({"RASTRO_CAMPAIGN_EDITOR_URL": "javascript:alert(1)//{id}"}, "settings.bad_editor_url"),
        ({"RASTRO_FLOW_EDITOR_URL": "https://crm/sin-id"}, "settings.bad_editor_url"),
        ({"RASTRO_CACHE_TTL_SECONDS": "mucho"}, "settings.bad_number"),
        ({"RASTRO_IDLE_MINUTES": "1.5"}, "settings.bad_number"),
    ],
)
def test_bad_settings_fall_back_and_are_reported(env, problem):
    settings = load_settings(env)
    assert problem in settings.problems
    assert settings.editor_url("campaign", "1").startswith("https://")
    assert problem in i18n.CATALOGUE


def test_spanish_dates_in_the_administrators_time_zone():
    assert format_date(MOMENT, BOGOTA) == "3 mar 2026"
    assert format_datetime(MOMENT, BOGOTA) == "3 mar 2026, 10:05"
    assert format_datetime(MOMENT, BOGOTA, "en") == "Mar 3, 2026, 10:05"
    assert format_date(datetime(2026, 9, 1, 3, tzinfo=UTC), BOGOTA) == "31 ago 2026"
    assert format_date(None, BOGOTA) == "—"
    assert format_count(1234567) == "1.234.567" and format_count(1234567, "en") == "1,234,567"


def test_catalogue_has_spanish_and_english_for_every_key():
    for key, entry in i18n.CATALOGUE.items():
        assert entry.get("es") and entry.get("en"), key


def test_markdown_from_data_cannot_inject_links_colours_or_html():
    hostile = "[x](javascript:alert(1)) :red[grito] <b>hola</b> $x$ *a*"
    escaped = markdown.md_escape(hostile)
    assert "[" not in escaped.replace("\\[", "")
    assert "<" not in escaped.replace("\\<", "")
    assert markdown.md_link("Black Friday", "https://crm/1") == "[Black Friday](https://crm/1)"
    assert markdown.md_link("Sin enlace", None) == "Sin enlace"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("12", 12),
        (" 7 ", 7),
        ("0", None),
        ("-3", None),
        ("1.5", None),
        ("abc", None),
        ("１２", None),
        ("99999999999", None),
        ("", None),
        (None, None),
        (["1"], None),
    ],
)
def test_contact_ids_from_links(raw, expected):
    assert parse_contact_id(raw) == expected


def test_search_result_label_escapes_and_shows_the_badge():
    row = {
        "name": "Ana *López*",
        "email": "ana_lopez@x.com",
        "blocked": True,
        "reason": "previous_spam",
    }
    label = result_label(row, "es")
    assert "Ana \\*López\\*" in label and "ana\\_lopez" in label
    assert "Bloqueado: El contacto marcó como spam un envío anterior" in label
    assert "Se puede enviar" in result_label({**row, "blocked": False}, "es")
    assert "Bloqueado" not in result_label({**row, "blocked": None}, "es")


def _events(rows):
    base = {k: None for k in EVENTS_SCHEMA}
    return pl.DataFrame([{**base, **r} for r in rows], schema=EVENTS_SCHEMA)


EVENTS = _events(
    [
        {
            "event_id": 4,
            "occurred_at": MOMENT,
            "event": "not_sent",
            "reason": "unsubscribed",
            "origin": "automation",
            "campaign_name": "Bienvenida",
            "campaign_external_id": "f9",
        },
        {
            "event_id": 3,
            "occurred_at": MOMENT,
            "event": "spam_complaint",
            "origin": "campaign",
            "campaign_name": "Black Friday",
            "campaign_external_id": "c1",
        },
        {
            "event_id": 2,
            "occurred_at": MOMENT,
            "event": "bounced",
            "bounce_type": "hard",
            "origin": "campaign",
            "smtp_diagnostic": "550 5.1.1 no such user",
        },
        {"event_id": 1, "occurred_at": MOMENT, "event": "delivered", "origin": "campaign"},
    ]
)


def test_notices_and_counts_by_origin():
    assert card.origin_counts(EVENTS) == {"all": 3, "campaign": 2, "automation": 1}
    assert card.notices(EVENTS, "automation")["event_id"].to_list() == [4]
    assert "delivered" not in card.notices(EVENTS)["event"].to_list()


def test_a_spam_notice_reads_as_delivered_then_spam():
    row = EVENTS.row(1, named=True)
    labels = [label for label, _ in card.notice_badges(row, "es")]
    assert labels == ["Enviado correctamente", "Marcado como spam", "Correo de campaña"]
    assert card.notice_lines(row, "es")[:2] == [
        "El correo se envió correctamente.",
        "Después, el contacto lo marcó como spam.",
    ]


def test_bounce_and_not_sent_notices_say_why():
    bounce = EVENTS.row(2, named=True)
    assert card.event_label(bounce, "es") == "Rebotó (rebote duro)"
    assert "Respuesta del servidor: 550 5.1.1 no such user" in card.notice_lines(bounce, "es")
    dropped = EVENTS.row(0, named=True)
    assert card.notice_lines(dropped, "es") == ["El contacto canceló la suscripción."]


def test_status_summary_texts():
    settings = load_settings({"RASTRO_TIMEZONE": "America/Bogota"})
    ok = card.card_status(
        pl.DataFrame([{"contact_id": 1, "can_send": True}], schema=STATUS_SCHEMA), settings, "es"
    )
    assert ok.can_send and ok.headline == "Se puede enviar"
    base = {k: None for k in STATUS_SCHEMA}
    blocked = pl.DataFrame(
        [
            {
                **base,
                "contact_id": 1,
                "can_send": False,
                "rank": 1,
                "reason": "previous_spam",
                "since": MOMENT,
                "campaign_name": "Black [Friday]",
                "origin": "campaign",
                "campaign_external_id": "c1",
            },
            {
                **base,
                "contact_id": 1,
                "can_send": False,
                "rank": 2,
                "reason": "unsubscribed",
                "since": datetime(2026, 2, 1, 12, tzinfo=UTC),
                "cause_event": "unsubscribed",
                "campaign_name": "Bienvenida",
                "origin": "automation",
                "campaign_external_id": "f9",
            },
        ],
        schema=STATUS_SCHEMA,
    )
    summary = card.card_status(blocked, settings, "es")
    assert summary.headline == (
        "Los próximos envíos no se realizarán: el contacto marcó como spam un envío anterior"
    )
    assert "desde el 3 mar 2026" in summary.detail
    assert (
        "Correo de campaña «[Black \\[Friday\\]](https://crm.example.com/emails/campaigns/c1/edit)»"
        in summary.detail
    )
    # The second reason has its date and its campaign too.
    assert summary.also == (
        "Además\\, el contacto canceló la suscripción\\: desde el 1 feb 2026 — Correo de "
        "automatización «[Bienvenida](https://crm.example.com/automations/flows/f9/edit)»",
    )


def _block(**values):
    row = {k: None for k in STATUS_SCHEMA} | {"reason": "previous_bounce", "since": MOMENT}
    return row | values


def test_a_soft_bounce_block_says_how_many_in_how_many_sends():
    row = _block(
        cause_event="bounced",
        cause_bounce_type="soft",
        soft_bounces=3,
        sends=3,
        provider_reason="Mailbox full",
        smtp_diagnostic="452 4.2.2 over quota",
    )
    assert card.block_evidence(row, "es") == (
        "3 rebotes suaves en los últimos 3 envíos, sin ninguna entrega entre ellos: "
        "Mailbox full — 452 4.2.2 over quota"
    )
    assert card.block_evidence(row, "en").startswith("3 soft bounces in the last 3 sends")


def test_a_hard_bounce_a_provider_drop_and_a_complaint_say_what_they_say():
    hard = _block(cause_event="bounced", cause_bounce_type="hard", smtp_diagnostic="550 5.1.1")
    assert card.block_evidence(hard, "es") == "un rebote duro: 550 5.1.1"
    drop = _block(cause_event="not_sent", provider_reason="Bounced Address")
    assert card.block_evidence(drop, "es") == "el proveedor no lo envió: Bounced Address"
    spam = _block(reason="previous_spam", cause_event="spam_complaint")
    assert card.block_evidence(spam, "es") is None


@pytest.mark.parametrize(
    "reason, reply, shown",
    [
        ("550 5.1.1 User unknown", "550 5.1.1 user  unknown", ["550 5.1.1 user  unknown"]),
        (
            "Mailbox full",
            "452 4.2.2 Mailbox full, over quota",
            ["452 4.2.2 Mailbox full, over quota"],
        ),
        ("Mailbox full", "452 4.2.2 over quota", ["Mailbox full", "452 4.2.2 over quota"]),
        ("Bounced Address", None, ["Bounced Address"]),
    ],
)
def test_the_providers_text_is_shown_once(reason, reply, shown):
    row = {k: None for k in EVENTS_SCHEMA} | {"event": "bounced", "bounce_type": "soft"}
    row |= {"provider_reason": reason, "smtp_diagnostic": reply}
    lines = card.notice_lines(row, "es")
    said = [line.split(": ", 1)[1] for line in lines]
    assert said == shown
    assert card.provider_text(row) == " — ".join(shown)


def test_history_lists_every_event_in_words():
    settings = load_settings({"RASTRO_TIMEZONE": "America/Bogota"})
    frame = card.history_frame(EVENTS, settings, "es")
    assert frame.height == 4
    assert frame["Qué pasó"].to_list()[-1] == "Enviado correctamente"
    assert frame["Qué pasó"].to_list()[0] == "No enviado: El contacto canceló la suscripción"
