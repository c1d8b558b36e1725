"""Hostile text in the real browser (issue 17 §1): a sample of the corpus where the app quotes
text from outside — the card link's warning, the search's no-match message, the import error
with a hostile file name, and a provider's reason on the card. Chromium must draw the
characters: no link to ev.il (not even a GFM autolink of a bare URL, www. or an address), no
image, no KaTeX formula, no coloured text, no Material icon from the value."""

import urllib.parse

import pytest
from playwright.sync_api import expect

from data_access import migrate, schema
from data_access.engine import make_engine
from tests.story import PASSWORD, load_story
from tests.support.hostile import CORPUS
from tests.support.serve import new_page, settle, sign_in, start_streamlit, stop

from .conftest import EDITORS

HOSTILE = (
    "[Entrar de nuevo](https://ev.il/x) ![t](https://ev.il/i.png) :red[rojo] $$x^2$$ "
    "https://ev.il/y www.ev.il mallory@ev.il :material/warning:"
)


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e-hostile")
    url = f"sqlite:///{folder / 'story.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    ids = load_story(engine)
    with engine.begin() as conn:
        conn.execute(
            schema.email_events.update()
            .where(schema.email_events.c.contact_id == ids["jose"])
            .where(schema.email_events.c.event == "bounced")
            .values(provider_reason=HOSTILE, smtp_diagnostic="550 " + HOSTILE)
        )
    engine.dispose()
    process, base = start_streamlit(url, folder / "streamlit.log", EDITORS)
    yield base, ids
    stop(process)


def assert_nothing_drawn(page) -> None:
    main = page.locator("section.stMain, [data-testid='stMain']").first
    expect(main.locator("a[href*='ev.il']")).to_have_count(0)
    expect(main.locator("a[href^='mailto:']")).to_have_count(0)
    expect(main.locator("img[src*='ev.il']")).to_have_count(0)
    expect(main.locator(".katex, .katex-display")).to_have_count(0)
    # Streamlit's :red[...] draws a span with an inline colour. The page's own words may be
    # coloured (the card's status badges); the hostile values' words ("rojo", "alerta") never.
    coloured = main.locator("[data-testid='stMarkdownContainer'] span[style*='color']")
    for word in ("rojo", "alerta"):
        expect(coloured.filter(has_text=word)).to_have_count(0)
    # a value's "\n\n# heading" would be a heading inside a message
    expect(
        main.locator("[data-testid='stAlert'] h1, [data-testid='stCaptionContainer'] h1")
    ).to_have_count(0)


def test_the_card_link_warning(browser, hostile_server, artifacts):
    base, _ = hostile_server
    page = new_page(browser)
    value = CORPUS["md_link"]
    sign_in(page, f"{base}/?contacto={urllib.parse.quote(value)}", "ana.admin", PASSWORD)
    warning = page.get_by_test_id("stAlertContentWarning")
    expect(warning).to_contain_text("[Entrar de nuevo](https:")
    settle(page)
    assert_nothing_drawn(page)
    page.screenshot(path=str(artifacts / "hostile-card-link.png"), full_page=True)
    page.close()


def test_the_search_no_match_message(browser, hostile_server, artifacts):
    base, _ = hostile_server
    page = new_page(browser)
    sign_in(page, base, "ana.admin", PASSWORD)
    for name in ("bare_url", "www", "email", "red", "latex_block", "md_image"):
        page.get_by_label("Buscar contacto por nombre o correo").fill(CORPUS[name])
        expect(page.get_by_text("Ningún contacto coincide")).to_be_visible()
        settle(page)
        assert_nothing_drawn(page)
    page.screenshot(path=str(artifacts / "hostile-search.png"), full_page=True)
    page.close()


def test_the_import_error_with_a_hostile_file_name(browser, hostile_server, artifacts):
    base, _ = hostile_server
    page = new_page(browser)
    page.goto(f"{base}/importar")
    page.get_by_label("Usuario").fill("ana.admin")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.get_by_test_id("stFileUploaderDropzone").wait_for()
    page.get_by_role("combobox").first.click()
    page.get_by_role("option", name="SendGrid").click()
    name = "[Descargar informe](https://ev.il/z) www.ev.il :red[x].json"
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        {"name": name, "mimeType": "application/json", "buffer": b"{no es json"}
    )
    page.get_by_role("button", name="Importar").click()
    expect(page.get_by_text("no se importó nada", exact=False).first).to_be_visible()
    settle(page)
    assert_nothing_drawn(page)
    page.screenshot(path=str(artifacts / "hostile-import.png"), full_page=True)
    page.close()


def test_a_provider_reason_with_urls_on_the_card(browser, hostile_server, artifacts):
    base, ids = hostile_server
    page = new_page(browser)
    sign_in(page, f"{base}/?contacto={ids['jose']}", "ana.admin", PASSWORD)
    expect(page.get_by_text("Respuesta del servidor", exact=False).first).to_be_visible()
    settle(page)
    assert_nothing_drawn(page)
    expect(page.get_by_text("mallory", exact=False).first).to_be_visible()
    page.screenshot(path=str(artifacts / "hostile-card-provider.png"), full_page=True)
    page.close()
