"""Issue 15's card, search and import findings, on the pure parts: spam without a delivery,
the history's editor links, the search count and exact address, the import messages, and
Streamlit's own words in Spanish."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import polars as pl
import pytest

from dashboard import card, chrome, import_view, search
from dashboard.settings import load_settings
from data_access.queries import EVENTS_SCHEMA, SEARCH_SCHEMA

T0 = datetime(2026, 3, 3, 15, 5, tzinfo=UTC)


def events(*rows):
    base = {k: None for k in EVENTS_SCHEMA}
    frame = [
        base
        | {"event_id": i, "occurred_at": T0 + timedelta(days=day), "event": event}
        | {"campaign_id": campaign, "origin": "campaign" if campaign else None}
        | {"campaign_name": f"C{campaign}" if campaign else None}
        | {"campaign_external_id": f"c{campaign}" if campaign else None}
        for i, (day, event, campaign) in enumerate(rows, start=1)
    ]
    return pl.DataFrame(frame, schema=EVENTS_SCHEMA).reverse()  # newest first, as the card


def spam_notice(frame):
    return card.notices(frame).filter(pl.col("event") == "spam_complaint").row(0, named=True)


def test_a_complaint_after_the_delivery_of_its_campaign_reads_as_sent_then_spam():
    row = spam_notice(events((0, "delivered", 7), (1, "spam_complaint", 7)))
    assert row["delivered_before"] is True
    labels = [label for label, _ in card.notice_badges(row, "es")]
    assert labels == ["Enviado correctamente", "Marcado como spam", "Correo de campaña"]


@pytest.mark.parametrize(
    "history",
    [
        [(1, "spam_complaint", 7)],  # no delivery at all
        [(0, "delivered", 8), (1, "spam_complaint", 7)],  # another campaign's delivery
        [(1, "spam_complaint", 7), (2, "delivered", 7)],  # delivered only afterwards
    ],
)
def test_a_complaint_with_no_delivery_behind_it_is_not_drawn_as_sent(history):
    row = spam_notice(events(*history))
    assert row["delivered_before"] is False
    labels = [label for label, _ in card.notice_badges(row, "es")]
    assert "Enviado correctamente" not in labels and "Marcado como spam" in labels
    lines = card.notice_lines(row, "es")
    assert lines == [
        "El contacto marcó este correo como spam (Rastro no tiene registrada su entrega)."
    ]


def test_notices_keep_the_newest_first_order():
    frame = events((0, "delivered", 1), (1, "bounced", 2), (2, "spam_complaint", 1))
    assert card.notices(frame)["event_id"].to_list() == [3, 2]


def test_the_history_links_each_campaign_to_its_editor():
    settings = load_settings({"RASTRO_CAMPAIGN_EDITOR_URL": "https://crm.test/e/{id}"})
    frame = card.history_frame(
        events((0, "delivered", 5), (1, "unsubscribed", None)), settings, "es"
    )
    assert frame.columns == ["Fecha", "Qué pasó", "Origen", "Campaña o flujo", "Editor", "Detalle"]
    assert frame["Editor"].to_list() == [None, "https://crm.test/e/c5"]
    assert frame["Campaña o flujo"].to_list() == ["", "C5"]
    config = card.history_columns("es")
    assert set(config) == set(frame.columns)


def test_the_address_line_keeps_the_icon_with_its_label():
    line = card.address_line("una.direccion.muy.larga@example.com", "es")
    assert line == ":material/alternate_email: Correo: `una.direccion.muy.larga@example.com`"


def result(*matches):
    rows = [
        {k: None for k in SEARCH_SCHEMA} | {"id": i, "email": f"e{i}", "match": m}
        for i, m in enumerate(matches, start=1)
    ]
    return pl.DataFrame(rows, schema=SEARCH_SCHEMA)


def test_the_search_says_more_than_the_cap_instead_of_the_cap():
    assert search.count_text(1, "es") == "1 coincidencia"
    assert search.count_text(20, "es") == "20 coincidencias (las mejores primero)"
    assert search.count_text(21, "es") == "Más de 20 coincidencias: escribe más para acotar"
    assert search.count_text(21, "en") == "More than 20 matches: type more to narrow them down"


def test_an_exact_address_opens_its_card_unless_another_address_starts_with_it():
    assert search.exact_address(result("email_exact", "name_word")) == 1
    assert search.exact_address(result("email_exact")) == 1
    assert search.exact_address(result("email_exact", "email_prefix")) is None
    assert search.exact_address(result("email_prefix", "email_prefix")) is None
    assert search.exact_address(result("crm_id_exact")) is None
    assert search.exact_address(result()) is None


def report(**counts):
    fields = ("received", "stored", "duplicates", "ignored", "quarantined")
    return SimpleNamespace(source="f.json", **{f: counts.get(f, 0) for f in fields})


@pytest.mark.parametrize(
    "reports, kind, said",
    [
        (
            [report(received=1, stored=1)],
            "success",
            "Importación terminada: 1 archivo, 1 evento nuevo.",
        ),
        (
            [report(received=3, stored=2, quarantined=1), report(received=1, stored=1)],
            "success",
            "Importación terminada: 2 archivos, 3 eventos nuevos; 1 registro en la cuarentena "
            "(los motivos, aquí abajo en «Cuarentena»).",
        ),
        (
            [report(received=1200, quarantined=1200)],
            "error",
            "No se guardó nada: todo lo recibido (1.200 registros, 1 archivo) está en la "
            "cuarentena. Los motivos, aquí abajo en «Cuarentena».",
        ),
        (
            [report(received=4, duplicates=4)],
            "info",
            "Nada nuevo: todo lo recibido (4 eventos, 1 archivo) ya estaba guardado.",
        ),
        (
            [report(received=4, duplicates=2, ignored=1, quarantined=1)],
            "warning",
            "No se guardó ningún evento nuevo (1 archivo). Duplicados: 2; ignorados: 1; en "
            "cuarentena: 1.",
        ),
        ([report()], "warning", "No se guardó nada: 1 archivo sin ningún registro."),
    ],
)
def test_the_import_message_is_green_only_when_something_was_stored(reports, kind, said):
    assert import_view.events_outcome(reports, "es") == (kind, said)


def contacts(**counts):
    fields = ("received", "created", "updated", "unchanged", "quarantined")
    return SimpleNamespace(source="c.csv", **{f: counts.get(f, 0) for f in fields})


@pytest.mark.parametrize(
    "reports, kind, said",
    [
        (
            [contacts(received=2, created=1, updated=1)],
            "success",
            "Importación terminada: 1 archivo, 1 contacto nuevo y 1 actualizado.",
        ),
        (
            [contacts(received=3, quarantined=3)],
            "error",
            "No se guardó nada: todo lo recibido (3 filas, 1 archivo) está en la cuarentena. "
            "Los motivos, aquí abajo en «Cuarentena».",
        ),
        (
            [contacts(received=3, unchanged=3)] * 2,
            "info",
            "Nada cambió: los contactos recibidos (2 archivos) ya estaban al día.",
        ),
    ],
)
def test_the_contacts_import_message_follows_the_same_rules(reports, kind, said):
    assert import_view.contacts_outcome(reports, "es") == (kind, said)


def test_streamlits_own_words_are_drawn_in_spanish_and_left_alone_in_english():
    css = chrome.chrome_css("es", 200)
    for words in (
        "Elegir archivos",
        "Hasta 200 MB por archivo",
        "Suelta los archivos aquí",
        "Seleccionar todo",
    ):
        assert f'content: "{words}"' in css
    assert css.startswith("<style>") and css.count("</style>") == 1
    assert chrome.chrome_css("en", 200) == ""
    assert chrome._css_string('a"b</style>') == '"a\\"b\\3c /style>"'
