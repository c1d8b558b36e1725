"""Issue 15's card, search and import findings in a real browser, on the demo world: the
evidence of each reason, the search's cap and an exact address, Streamlit's own words in
Spanish, and the card and the import page at 390 px (a phone) and 1920 px, with screenshots."""

import re
from datetime import UTC, datetime

import polars as pl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from data_access import demo, migrate, policy, schema, users, vocab
from data_access.engine import make_engine
from data_access.status import refresh_contact_status
from tests.conftest import WORLD_CONTACTS, WORLD_SEED, WORLD_UNTIL
from tests.story import PASSWORD
from tests.support.serve import new_page, settle, sign_in, start_streamlit, stop

from .conftest import EDITORS

NAMELESS = "una.direccion.de.correo.muy.larga.sin.nombre@empresa-de-ejemplo.com.mx"


def _two_reasons(world) -> int:
    """A contact the policy blocks for a complaint and an unsubscribe at once."""
    emails = dict(zip(world.contacts["id"], world.contacts["email"]))
    events = world.events.sort("id").partition_by("contact_id", as_dict=True)
    for contact_id in world.statuses.filter(pl.col("reason") == vocab.PREVIOUS_SPAM)["contact_id"]:
        verdict = policy.evaluate(emails[contact_id], events[(contact_id,)].to_dicts())
        if {b.reason for b in verdict.blocks} == {vocab.PREVIOUS_SPAM, vocab.UNSUBSCRIBED_REASON}:
            return int(contact_id)
    raise AssertionError("the demo world has no contact with two reasons")


@pytest.fixture(scope="module")
def world_server(tmp_path_factory):
    """The tests' demo world on SQLite, an administrator, and a contact with no name."""
    world = demo.generate(WORLD_CONTACTS, seed=WORLD_SEED, until=WORLD_UNTIL)
    folder = tmp_path_factory.mktemp("e2e-world")
    url = f"sqlite:///{folder / 'world.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    demo.load(engine, world)
    with engine.begin() as conn:
        users.add_user(conn, "ana.admin", display_name="Ana", role="admin", password=PASSWORD)
        nameless = conn.execute(
            schema.contacts.insert().returning(schema.contacts.c.id),
            {
                "name": "",
                "email": NAMELESS,
                "name_key": "",
                "email_key": NAMELESS,
                "created_at": datetime(2026, 2, 1, tzinfo=UTC),
            },
        ).scalar_one()
        refresh_contact_status(conn, [nameless])
    engine.dispose()
    heavy = world.events.group_by("contact_id").len().sort("len", descending=True)
    ids = {
        "two": _two_reasons(world),
        "heavy": int(heavy["contact_id"][0]),
        "nameless": int(nameless),
    }
    process, base = start_streamlit(url, folder / "streamlit.log", EDITORS)
    yield base, ids, world, url
    stop(process)


def test_two_reasons_each_with_its_date_and_campaign(browser, world_server, artifacts):
    base, ids, _, _ = world_server
    page = new_page(browser)
    sign_in(page, f"{base}/?contacto={ids['two']}", "ana.admin", PASSWORD)
    status = page.get_by_test_id("stAlertContentError").first
    expect(status).to_contain_text("el contacto marcó como spam un envío anterior")
    expect(status).to_contain_text(re.compile(r"Además, el contacto canceló la suscripción: desde"))
    # Both reasons name their campaign, as links to its editor.
    expect(status.get_by_role("link")).to_have_count(2)
    settle(page)
    page.screenshot(path=str(artifacts / "card-two-reasons.png"), full_page=True)
    page.close()


def test_the_search_says_more_than_20_and_an_exact_address_opens_its_card(browser, world_server):
    base, _ids, world, _ = world_server
    page = new_page(browser)
    sign_in(page, base, "ana.admin", PASSWORD)
    box = page.get_by_label("Buscar contacto por nombre o correo")
    box.press_sequentially("gmail", delay=30)
    expect(page.get_by_text("Más de 20 coincidencias: escribe más para acotar")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("gmail"))).to_have_count(20)
    emails = world.contacts["email"].to_list()
    address = next(e for e in emails if not any(o != e and o.startswith(e) for o in emails))
    contact_id = world.contacts.filter(pl.col("email") == address)["id"][0]
    box.fill(address)
    box.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]contacto={contact_id}\b"))
    expect(page.get_by_text(f"Identificador: {contact_id}")).to_be_visible()
    expect(box).to_have_value("")  # emptied, so that the card is not pushed down
    page.close()


def _history_fits(page) -> bool:
    """The history table needs no sideways scrolling (its scroller is as wide as its box)."""
    return page.eval_on_selector(
        '[data-testid="stDataFrame"] .dvn-scroller',
        "e => e.scrollWidth <= e.clientWidth + 1",
    )


@pytest.mark.parametrize("width", [390, 1920])
def test_the_card_at_phone_and_wide_widths(browser, world_server, artifacts, width):
    base, ids, _, _ = world_server
    page = new_page(browser, width, 2200)
    sign_in(page, f"{base}/?contacto={ids['heavy']}", "ana.admin", PASSWORD)
    expect(page.get_by_text(re.compile(r"Avisos 1–20 de \d+"))).to_be_visible()
    # The origin filter fits the screen: its last choice is inside the window.
    last = page.get_by_role("radio", name=re.compile(r"Correo de automatización \(\d+\)"))
    box = last.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    settle(page)
    page.screenshot(path=str(artifacts / f"card-{width}.png"), full_page=True)
    page.get_by_text(re.compile(r"Historial completo de envíos")).click()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    settle(page)
    if width >= 1400:
        assert _history_fits(page)
    page.screenshot(path=str(artifacts / f"card-history-{width}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("width", [390, 1400])
def test_a_contact_without_a_name_shows_its_address_once(browser, world_server, artifacts, width):
    base, ids, _, _ = world_server
    page = new_page(browser, width)
    sign_in(page, f"{base}/?contacto={ids['nameless']}", "ana.admin", PASSWORD)
    expect(page.get_by_role("heading", name=NAMELESS)).to_be_visible()
    expect(page.get_by_text(NAMELESS)).to_have_count(1)
    settle(page)
    page.screenshot(path=str(artifacts / f"card-nameless-{width}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("width", [390, 1400])
def test_the_address_line_keeps_its_icon_company(browser, world_server, width):
    base, ids, _, _ = world_server
    page = new_page(browser, width)
    sign_in(page, f"{base}/?contacto={ids['two']}", "ana.admin", PASSWORD)
    line = page.get_by_test_id("stMarkdownContainer").filter(has_text="Correo:").first
    expect(line).to_be_visible()
    # The icon and the label after it are on one line, whatever the address does: the text
    # node "Correo:" starts where the icon's line is.
    icon_top, label_top = line.evaluate(
        """p => {
            const icon = p.querySelector('[role="img"]');
            const range = document.createRange();
            range.setStart(icon.nextSibling, 1);
            range.setEnd(icon.nextSibling, 2);
            return [icon.getBoundingClientRect().top, range.getBoundingClientRect().top];
        }"""
    )
    assert abs(icon_top - label_top) < 12
    page.close()


def sign_in_to_import(page, base: str) -> None:
    """The sign-in page in front of Importar (sign_in waits for the search box of Contactos)."""
    page.goto(f"{base}/importar")
    page.get_by_label("Usuario").fill("ana.admin")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.get_by_text("Importar eventos de entrega").first.wait_for()
    page.get_by_test_id("stFileUploaderDropzone").wait_for()


def _after(page, selector: str) -> str:
    return page.eval_on_selector(selector, "e => getComputedStyle(e, '::after').content")


@pytest.mark.parametrize("width", [390, 1920])
def test_the_import_page_speaks_spanish(browser, world_server, artifacts, tmp_path, width):
    base, _ids, _, _ = world_server
    page = new_page(browser, width, 1600)
    sign_in_to_import(page, base)
    button = '[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p'
    assert _after(page, button) == '"Elegir archivos"'
    hint = '[data-testid="stFileUploaderDropzoneInstructions"] span'
    assert _after(page, hint) == '"Hasta 200 MB por archivo"'
    assert page.eval_on_selector(hint, "e => getComputedStyle(e).fontSize") == "0px"
    # A SendGrid file whose lines are all broken JSON: refused, in Spanish.
    broken = tmp_path / "roto.json"
    broken.write_text('{email: "a@example.com"}\n', encoding="utf-8")
    page.get_by_role("combobox").first.click()
    page.get_by_role("option", name="SendGrid").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(broken))
    page.get_by_role("button", name="Importar").click()
    refusal = page.get_by_text("roto.json: no se importó nada")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("se esperaba el nombre de una propiedad entre comillas dobles")
    expect(page.get_by_text("Expecting", exact=False)).to_have_count(0)
    settle(page)
    page.screenshot(path=str(artifacts / f"import-{width}.png"), full_page=True)
    page.close()


def test_a_broken_line_goes_to_the_quarantine_with_a_spanish_reason(
    browser, world_server, tmp_path
):
    base, _ids, _, url = world_server
    page = new_page(browser)
    sign_in_to_import(page, base)
    lines = tmp_path / "lineas.json"
    good = (
        '{"email": "nueva.e2e@example.com", "event": "delivered", "timestamp": 1780000000, '
        '"sg_event_id": "e2e-1", "origin": "campaign", "campaign_id": "cmp-1001"}'
    )
    lines.write_text(good + "\n{roto\n", encoding="utf-8")  # one event, one broken line
    page.get_by_role("combobox").first.click()
    page.get_by_role("option", name="SendGrid").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(lines))
    page.get_by_role("button", name="Importar").click()
    done = page.get_by_text(re.compile(r"Importación terminada: 1 archivo, 1 evento nuevo; 1 "))
    expect(done).to_be_visible()
    engine = make_engine(url)
    with engine.connect() as conn:
        reasons = conn.execute(sa.select(schema.quarantine.c.reason)).scalars().all()
    engine.dispose()
    assert any(r.startswith("JSON roto: se esperaba") for r in reasons), reasons
    page.close()
