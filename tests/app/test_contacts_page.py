"""The Contactos page through AppTest: search, pick, deep links, and the card's contents."""

import re

import pytest

from .conftest import EDITORS


@pytest.fixture
def app(heavy_story_db, make_app):
    """The entrypoint, signed in as the administrator, with editor links and Bogotá's time."""
    return make_app(heavy_story_db, user="ana.admin", RASTRO_TIMEZONE="America/Bogota", **EDITORS)


@pytest.fixture
def ids(heavy_story_db):
    return heavy_story_db.ids


def open_card(app, contact_id):
    app.query_params["contacto"] = str(contact_id)
    app.run()
    assert not app.exception, app.exception
    return app


def texts(app):
    """Every text the page shows (Markdown, captions, alerts, badges, titles)."""
    parts = []
    for kind in (
        "markdown",
        "caption",
        "error",
        "success",
        "warning",
        "info",
        "title",
        "subheader",
    ):
        parts += [str(e.value) for e in getattr(app, kind)]
    return "\n".join(parts)


def badges(app):
    """Labels of the badges (st.badge draws `:color-badge[label]` Markdown)."""
    found = []
    for element in app.markdown:
        found += re.findall(r":\w+-badge\[([^\]]*)\]", str(element.value))
    return found


def unescape(value: str) -> str:
    return value.replace("\\", "")


# --- search and pick ------------------------------------------------------------------------


def test_page_opens_with_an_empty_search_box(app):
    app.run()
    assert not app.exception
    assert app.title[0].value == "Qué pasó con los correos de un contacto"
    assert app.text_input(key="busqueda").value == ""
    assert "Escribe parte del nombre" in texts(app)


def test_typing_suggests_contacts_with_a_status_badge_and_picking_opens_the_card(app, ids):
    app.run()
    app.text_input(key="busqueda").input("nunez").run()
    labels = [unescape(b.label) for b in app.button]
    assert any("José Núñez Peña" in label and "Bloqueado" in label for label in labels)
    app.button(key=f"pick_{ids['jose']}").click().run()
    assert not app.exception
    assert app.query_params["contacto"] == [str(ids["jose"])] or app.query_params[
        "contacto"
    ] == str(ids["jose"])
    assert "Los próximos envíos no se realizarán" in texts(app)
    assert app.text_input(key="busqueda").value == ""  # the list folds away above the card
    assert not any(b.key.startswith("pick_") for b in app.button)


@pytest.mark.parametrize(
    "typed",
    [
        "x",
        "zz",
        "x" * 300,
        '"',
        "%",
        "_",
        "'; DROP TABLE contacts; --",
        "<script>alert(1)</script>",
        "😀",
        "**negrita** [enlace](javascript:alert(1))",
    ],
)
def test_any_search_text_gives_results_or_a_clear_message(app, typed):
    app.run()
    app.text_input(key="busqueda").input(typed).run()
    assert not app.exception
    assert "Ningún contacto coincide" in texts(app) or len(app.button) > 0


def test_one_or_two_letters_explain_that_only_starts_are_searched(app):
    app.run()
    app.text_input(key="busqueda").input("zq").run()
    assert "escribe tres o más" in texts(app)


# --- deep links -----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "1.5", "1e3", "99999999999", "１２", "<b>1</b>"])
def test_a_malformed_id_gives_a_spanish_message_and_the_search_box(app, raw):
    open_card(app, raw)
    assert "El enlace no es válido" in texts(app)
    assert app.text_input(key="busqueda") is not None


def test_an_unknown_id_gives_a_spanish_message(app):
    open_card(app, 424242)
    assert "No existe ningún contacto con el identificador 424242" in texts(app)


# --- the card -------------------------------------------------------------------------------


def test_card_shows_details_status_and_notices_with_editor_links(app, ids):
    open_card(app, ids["jose"])
    shown = unescape(texts(app))
    assert "José Núñez Peña" in shown and "jose.nunez@example.com" in shown
    assert "Contacto creado el 21 feb 2026" in shown  # 15:00 UTC on 21 Feb is 10:00 in Bogotá
    status = unescape(app.error[0].value)
    assert (
        "Los próximos envíos no se realizarán: el contacto marcó como spam un envío anterior"
        in status
    )
    assert "desde el 6 mar 2026" in status and "Correo de campaña «[Black Friday]" in status
    assert "https://crm.test/emails/cmp-77/editor" in status
    assert "El correo se envió correctamente." in shown and "lo marcó como spam" in shown
    assert "https://crm.test/flujos/flujo-9/editor" in shown
    assert "452 4.2.2 over quota" in shown


def test_notices_are_labelled_by_origin_and_never_show_opens(app, ids):
    open_card(app, ids["jose"])
    shown = badges(app)
    assert "Correo de campaña" in shown and "Correo de automatización" in shown
    assert "Rebotó (rebote suave)" in shown
    assert "Marcado como spam" in shown and "Enviado correctamente" in shown
    assert "No enviado" in shown
    assert not any("abrió" in b.lower() or "clic" in b.lower() for b in shown)


@pytest.mark.parametrize(
    "key, reason",
    [
        ("ana", "La dirección de correo es inválida"),
        ("jose", "El contacto marcó como spam un envío anterior"),
        ("mariajo", "El contacto canceló la suscripción"),
        ("pedro", "Envíos anteriores rebotaron"),
    ],
)
def test_each_not_sent_reason_is_in_words(app, ids, key, reason):
    open_card(app, ids[key])
    assert "No enviado" in badges(app)
    assert f"{reason}." in [unescape(c.value) for c in app.caption]
    assert reason.lower() in app.error[0].value.lower()


def test_invalid_address_is_warned_next_to_the_email(app, ids):
    open_card(app, ids["ana"])
    assert any("La dirección de correo es inválida" in w.value for w in app.warning)


def test_origin_filter_has_counts_and_filters(app, ids):
    open_card(app, ids["jose"])
    control = app.get("button_group")[0]
    labels = [option.content for option in control.proto.options]
    assert labels == ["Todos (3)", "Correo de campaña (2)", "Correo de automatización (1)"]
    control.set_value("automation").run()
    assert not app.exception
    shown = badges(app)
    assert "Correo de campaña" not in shown
    assert "Rebotó (rebote suave)" in shown


def test_contact_with_one_origin_only_gets_a_clear_empty_state(app, ids):
    open_card(app, ids["pedro"])
    app.get("button_group")[0].set_value("campaign").run()
    assert "No hay avisos de correo de campaña" in texts(app)


def test_contact_without_emails(app, ids):
    open_card(app, ids["lucia"])
    assert "Todavía no se ha enviado ningún correo a este contacto." in texts(app)
    assert app.success[0].value.startswith("**Se puede enviar**")


def test_contact_with_deliveries_only(app, ids):
    open_card(app, ids["garcia2"])
    assert "Sin avisos: el único correo enviado llegó correctamente." in texts(app)


def test_history_is_collapsed_and_complete(app, ids):
    open_card(app, ids["jose"])
    expander = app.expander[-1]  # after the lift actions
    assert expander.label.startswith("Historial completo de envíos (5)")
    table = app.dataframe[0].value
    assert len(table) == 5
    assert "Enviado correctamente" in set(table["Qué pasó"])


def test_a_long_history_is_paged(app, ids):
    open_card(app, ids["heavy"])
    assert not app.exception
    bounces = [b for b in badges(app) if b.startswith("Rebotó")]
    assert len(bounces) == 20  # one page of the 150 bounce notices
    assert "Avisos 1–20 de 150" in texts(app)
    assert "Buzón de Pruebas del Equipo de Marketing Digital" in unescape(texts(app))


def test_english_switch(app, ids):
    open_card(app, ids["jose"])
    app.toggle(key="lang_en").set_value(True).run()
    assert not app.exception
    assert app.title[0].value == "What happened with a contact's emails"
    assert "The next emails will not be sent" in app.error[0].value


def test_database_down_gives_a_spanish_message(app, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nadie@127.0.0.1:1/nada")
    app.run()
    assert not app.exception
    assert "No se puede abrir la base de datos" in app.error[0].value
