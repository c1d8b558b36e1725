"""Signing in through the real page, in Chromium: the deep link waits behind the sign-in, a
wrong password is refused, a seller is turned away, and signing out ends the session."""

import re

from playwright.sync_api import expect

from tests.story import PASSWORD

TIMEOUT = 20_000


def test_sign_in_page_then_the_shared_card(browser, story_server, artifacts):
    base, ids = story_server
    page = browser.new_page(viewport={"width": 1200, "height": 800}, locale="es-ES")
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{base}/?contacto={ids['jose']}")
    expect(page.get_by_text("Usuarios autorizados: Administradores.")).to_be_visible()
    expect(page.get_by_text("José Núñez Peña")).to_have_count(0)
    expect(page.get_by_label("Contraseña")).to_be_visible()
    page.screenshot(path=str(artifacts / "sign-in.png"))

    page.get_by_label("Usuario").fill("ana.admin")
    page.get_by_label("Contraseña").fill("no-es-esta-1234")
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_text("Usuario o contraseña incorrectos.")).to_be_visible()

    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_text("Los próximos envíos no se realizarán")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"[?&]contacto={ids['jose']}\b"))

    page.get_by_role("button", name="Cerrar sesión").click()
    expect(page.get_by_text("Has cerrado la sesión.")).to_be_visible()
    expect(page.get_by_text("Los próximos envíos no se realizarán")).to_have_count(0)
    page.close()


def test_a_seller_is_turned_away(browser, story_server):
    base, ids = story_server
    page = browser.new_page(locale="es-ES")
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{base}/?contacto={ids['jose']}")
    page.get_by_label("Usuario").fill("victor.ventas")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_text("No autorizado").first).to_be_visible()
    expect(page.get_by_text("José Núñez Peña")).to_have_count(0)
    expect(page.get_by_label("Buscar contacto por nombre o correo")).to_have_count(0)
    page.close()
