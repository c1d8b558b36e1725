"""The Bloqueados page and lifting a block in a real browser, with screenshots."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from data_access import migrate, schema
from data_access.engine import make_engine
from data_access.status import refresh_contact_status
from data_access.text import fold
from tests.story import PASSWORD, load_story
from tests.support.serve import new_page, settle, sign_in, start_streamlit, stop

from .conftest import EDITORS

LONG_NAME = "María de los Ángeles Fernández-Villaverde y Sánchez de la Cruz del Monte Alto"
COMMENT = "El buzón funciona de nuevo: lo confirmó el contacto por teléfono."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The story (it is written to: a lift) and a blocked contact with a very long name."""
    folder = tmp_path_factory.mktemp("e2e-blocks")
    url = f"sqlite:///{folder / 'story.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    ids = load_story(engine)
    with engine.begin() as conn:
        long_id = conn.execute(
            schema.contacts.insert().returning(schema.contacts.c.id),
            {
                "name": LONG_NAME,
                "email": "direccion sin arroba.example.com",
                "name_key": fold(LONG_NAME),
                "email_key": "direccion sin arroba.example.com",
                "created_at": datetime(2026, 2, 1, tzinfo=UTC),
            },
        ).scalar_one()
        refresh_contact_status(conn, [long_id])
    engine.dispose()
    process, base = start_streamlit(url, folder / "streamlit.log", EDITORS)
    yield base, ids
    stop(process)


def test_the_list_with_its_counts_filters_and_links(browser, server, artifacts):
    base, _ = server
    page = new_page(browser)
    sign_in(page, base, "ana.admin", PASSWORD)
    page.get_by_role("link", name="Bloqueados").click()
    expect(page.get_by_role("heading", name="Contactos bloqueados")).to_be_visible()
    expect(page.get_by_text("Bloqueados con estos filtros")).to_be_visible()
    expect(page.get_by_text("Contactos 1–5 de 5")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    expect(page.get_by_role("button", name="Descargar CSV")).to_be_visible()
    expect(page.get_by_role("button", name="Descargar lista de supresión")).to_be_visible()
    page.set_viewport_size({"width": 2000, "height": 1300})  # the whole page in the picture
    settle(page)
    page.screenshot(path=str(artifacts / "blocked-list.png"), full_page=True)

    box = page.get_by_label("Dominio del destinatario")
    box.fill("example.com")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]dominio=example\.com\b"))
    expect(page.get_by_text("Contactos 1–4 de 4")).to_be_visible()
    page.get_by_test_id("stButtonGroup").get_by_text("Correo de automatización").click()
    expect(page).to_have_url(re.compile(r"[?&]causa=automation\b"))
    expect(page.get_by_text("Contactos 1–1 de 1")).to_be_visible()
    # the same URL in a new session (after the sign-in) shows the same list
    shared = page.url
    other = new_page(browser)
    other.goto(shared)
    other.get_by_label("Usuario").fill("ana.admin")
    other.get_by_label("Contraseña").fill(PASSWORD)
    other.get_by_role("button", name="Entrar").click()
    expect(other.get_by_text("Contactos 1–1 de 1")).to_be_visible()
    other.close()
    page.close()


def test_lifting_a_bounce_on_the_card(browser, server, artifacts):
    base, ids = server
    page = new_page(browser)
    sign_in(page, f"{base}/?contacto={ids['pedro']}", "ana.admin", PASSWORD)
    expect(page.get_by_text("Los próximos envíos no se realizarán")).to_be_visible()
    page.get_by_text("Levantar bloqueo: envíos anteriores rebotaron").click()
    page.get_by_label(re.compile("Comentario")).fill(COMMENT)
    page.get_by_text("Confirmo que quiero levantar este bloqueo").click()
    page.get_by_role("button", name="Levantar bloqueo").click()
    expect(page.get_by_text("Bloqueo levantado: Envíos anteriores rebotaron.")).to_be_visible()
    expect(page.get_by_text("Se puede enviar", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Bloqueo levantado \(envíos anteriores"))).to_be_visible()
    page.get_by_text(re.compile("Historial completo de envíos")).click()
    page.set_viewport_size({"width": 1400, "height": 1500})
    settle(page)
    page.screenshot(path=str(artifacts / "card-block-lifted.png"), full_page=True)
    page.close()


def test_an_invalid_address_says_to_correct_it_in_the_crm(browser, server):
    base, ids = server
    page = new_page(browser)
    sign_in(page, f"{base}/?contacto={ids['ana']}", "ana.admin", PASSWORD)
    expect(page.get_by_text("corrígela en el CRM")).to_be_visible()
    expect(page.get_by_role("button", name="Levantar bloqueo")).to_have_count(0)
    page.close()
