"""The Informes page in Chromium, with a screenshot."""

from playwright.sync_api import expect

from tests.story import PASSWORD
from tests.support.serve import sign_in


def test_reports_page_draws_figures_and_charts(browser, story_server, artifacts):
    base, _ = story_server
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="es-ES")
    page.set_default_timeout(20_000)
    sign_in(page, f"{base}/?x=1", "ana.admin", PASSWORD)
    # a new page load keeps the session (the cookie): the shared link opens directly
    page.goto(f"{base}/informes?desde=2026-01-01&hasta=2026-03-31")
    expect(page.get_by_text("Informes de rebotes, spam y envíos no realizados")).to_be_visible()
    expect(page.get_by_text("Tasa de rebote").first).to_be_visible()
    expect(page.get_by_text("Motivos de no envío")).to_be_visible()
    expect(page.locator("canvas, svg.marks").first).to_be_visible()
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts / "reports.png"), full_page=True)
    page.close()
