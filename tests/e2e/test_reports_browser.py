"""The Informes page in Chromium: figures and charts, every chart within the page's width at
1400 and 390 px in Spanish and English, a picked bar named by the drill-down selector, and the
screenshots (test-artifacts/reports-*.png) of the demo world (long names included)."""

import csv
import re

import pytest
from playwright.sync_api import expect

from data_access import demo, migrate, rollups, users
from data_access.engine import make_engine
from tests.conftest import WORLD_CONTACTS, WORLD_SEED, WORLD_UNTIL
from tests.story import PASSWORD
from tests.support.serve import sign_in, start_streamlit, stop

from .conftest import EDITORS

CHART = '[data-testid="stVegaLiteChart"]'
DRAWN = f"{CHART} canvas, {CHART} svg.marks"
ZONE = EDITORS["RASTRO_TIMEZONE"]
RANGE = f"desde={WORLD_UNTIL.replace(day=1).replace(month=9).isoformat()}"
RANGE += f"&hasta={WORLD_UNTIL.isoformat()}"


@pytest.fixture(scope="module")
def world_server(tmp_path_factory):
    """The small demo world, its report days counted in the card's time zone."""
    folder = tmp_path_factory.mktemp("e2e-world")
    url = f"sqlite:///{folder / 'world.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    world = demo.generate(WORLD_CONTACTS, seed=WORLD_SEED, until=WORLD_UNTIL)
    demo.load(engine, world, timezone=ZONE)
    with engine.begin() as conn:
        users.add_user(conn, "ana.admin", display_name="Ana", role="admin", password=PASSWORD)
        assert rollups.stored_zone(conn) == ZONE
    engine.dispose()
    process, base = start_streamlit(url, folder / "streamlit.log", EDITORS)
    yield base
    stop(process)


def open_reports(browser, base: str, width: int):
    page = browser.new_page(viewport={"width": width, "height": 1000}, locale="es-ES")
    page.set_default_timeout(20_000)
    sign_in(page, f"{base}/?x=1", "ana.admin", PASSWORD)
    # a new page load keeps the session (the cookie): the shared link opens directly
    page.goto(f"{base}/informes?{RANGE}")
    expect(page.get_by_text("Informes de rebotes, spam y envíos no realizados")).to_be_visible()
    wait_for_charts(page)
    return page


def wait_for_charts(page, count: int = 5) -> None:
    page.wait_for_function(
        "([chart, drawn, count]) => document.querySelectorAll(chart).length >= count"
        " && document.querySelectorAll(drawn).length >= count",
        arg=[CHART, DRAWN, count],
    )
    page.wait_for_timeout(600)


def overflowing_charts(page) -> list:
    """Charts whose drawing is wider than their place on the page (a cut legend or label)."""
    return page.evaluate(
        """(chart) => [...document.querySelectorAll(chart)].flatMap((el, i) => {
            const box = el.getBoundingClientRect();
            const drawn = el.querySelector('canvas, svg.marks').getBoundingClientRect();
            return drawn.right > box.right + 1 || drawn.left < box.left - 1
                ? [[i, Math.round(drawn.width), Math.round(box.width)]] : [];
        })""",
        CHART,
    )


def screenshot(page, artifacts, name: str) -> None:
    """The whole page (Streamlit scrolls inside its own container: grow the viewport)."""
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain], section')]"
        ".map(e => e.scrollHeight))"
    )
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": min(height + 40, 9000)})
    page.wait_for_timeout(900)
    page.screenshot(path=str(artifacts / f"reports-{name}.png"), full_page=True)
    page.set_viewport_size({"width": width, "height": 1000})


def test_reports_page_draws_figures_and_charts(browser, world_server, artifacts):
    page = open_reports(browser, world_server, 1400)
    expect(page.get_by_text("Tasa de rebote").first).to_be_visible()
    expect(page.get_by_text("Motivos de no envío")).to_be_visible()
    expect(page.get_by_text(f"Días del calendario de {ZONE}")).to_be_visible()
    campaigns = page.get_by_role("combobox", name="Campañas y flujos")
    expect(campaigns).to_have_attribute(
        "placeholder", "Todas las campañas y flujos (elige para acotar)"
    )
    assert overflowing_charts(page) == []
    screenshot(page, artifacts, "es-1400")
    page.close()


def test_a_picked_bar_is_named_by_the_drill_down_selector(browser, world_server, artifacts):
    page = open_reports(browser, world_server, 1400)
    domains = page.locator(CHART).nth(4)  # ranked by bounce rate: the first bar is the longest
    domains.scroll_into_view_if_needed()
    box = domains.bounding_box()
    domains.click(position={"x": box["width"] * 0.6, "y": 16})
    selector = page.get_by_role("combobox", name="Elige una barra de un gráfico o un tipo de aviso")
    expect(selector).to_have_value(re.compile(r"^Rebotó en [a-z0-9.-]+\.[a-z]+$"))
    domain = selector.input_value().removeprefix("Rebotó en ")
    with page.expect_download() as download:
        page.get_by_role("button", name="Descargar CSV").click()
    rows = list(csv.DictReader(open(download.value.path(), encoding="utf-8")))  # noqa: SIM115
    assert rows and all(r["Correo"].endswith("@" + domain) for r in rows)
    # absolute card links (the browser's address: no RASTRO_BASE_URL here), ISO dates
    assert all(r["Ficha"].startswith(world_server + "/?contacto=") for r in rows)
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-05:00", r["Último aviso"]) for r in rows
    )
    assert {r["Estado"] for r in rows} <= {"Bloqueado", "Se puede enviar"}
    screenshot(page, artifacts, "es-1400-picked")
    page.close()


@pytest.mark.parametrize("lang, width", [("es", 390), ("en", 1400), ("en", 390)])
def test_every_chart_fits_the_page(browser, world_server, artifacts, lang, width):
    page = open_reports(browser, world_server, 1400)
    if lang == "en":
        page.get_by_text("English").click()
        expect(page.get_by_text("Bounce, spam and unsent reports")).to_be_visible()
        wait_for_charts(page)
    page.set_viewport_size({"width": width, "height": 1000})
    page.wait_for_timeout(1500)
    if width < 700 and page.locator('[data-testid="stSidebarCollapseButton"] button').count():
        page.locator('[data-testid="stSidebarCollapseButton"] button').first.click()
        page.wait_for_timeout(800)
    assert overflowing_charts(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, artifacts, f"{lang}-{width}")
    page.close()
