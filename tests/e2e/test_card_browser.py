"""The contact card in a real browser: search, pick, read, follow the editor links."""

import re

from playwright.sync_api import expect

from tests.story import PASSWORD
from tests.support.serve import new_page, settle, sign_in


def test_search_pick_and_read_the_card(browser, story_server, artifacts):
    base, ids = story_server
    page = new_page(browser)
    sign_in(page, base, "ana.admin", PASSWORD)
    box = page.get_by_label("Buscar contacto por nombre o correo")
    box.press_sequentially("nunez", delay=40)
    suggestion = page.get_by_role("button", name=re.compile("José Núñez Peña"))
    expect(suggestion).to_be_visible()
    expect(suggestion).to_contain_text("Bloqueado")
    suggestion.click()

    expect(page.get_by_text("Los próximos envíos no se realizarán")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"[?&]contacto={ids['jose']}\b"))
    expect(page.get_by_text("el contacto marcó como spam un envío anterior").first).to_be_visible()
    expect(page.get_by_text("Marcado como spam").first).to_be_visible()
    expect(page.get_by_text("Rebotó (rebote suave)").first).to_be_visible()
    expect(page.get_by_text("452 4.2.2 over quota")).to_be_visible()
    campaign = page.get_by_role("link", name="Black Friday").first
    expect(campaign).to_have_attribute("href", "https://crm.test/emails/cmp-77/editor")
    flow = page.get_by_role("link", name="Bienvenida").first
    expect(flow).to_have_attribute("href", "https://crm.test/flujos/flujo-9/editor")
    expect(page.get_by_text("Correo de automatización").first).to_be_visible()
    settle(page)
    page.screenshot(path=str(artifacts / "card.png"), full_page=True)
    page.close()


def test_a_shared_link_opens_the_card_and_a_bad_one_explains(browser, story_server, artifacts):
    base, ids = story_server
    page = new_page(browser)
    # a new tab is a new session: the shared link waits behind the sign-in page
    sign_in(page, f"{base}/?contacto={ids['heavy']}", "ana.admin", PASSWORD)
    expect(page.get_by_text("Buzón de Pruebas del Equipo de Marketing Digital")).to_be_visible()
    expect(page.get_by_text("Avisos 1–20 de 150")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    settle(page)
    page.screenshot(path=str(artifacts / "card-long-history.png"), full_page=True)
    page.goto(f"{base}/?contacto=%3Cscript%3E")  # still signed in: the session cookie
    expect(page.get_by_text("El enlace no es válido")).to_be_visible()
    expect(page.get_by_label("Buscar contacto por nombre o correo")).to_be_visible()
    page.close()
