"""A real `streamlit run` on a free port against a seeded SQLite file, and Debian's Chromium
driven by Playwright (no browser download). Screenshots go to test-artifacts/ (git-ignored).

Chromium is mandatory like PostgreSQL: `.ci/run` installs it; RASTRO_ALLOW_NO_BROWSER=1 skips.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from data_access import migrate
from data_access.engine import make_engine
from tests.story import load_story
from tests.support.serve import CHROMIUM, CHROMIUM_FLAGS, ROOT, start_streamlit, stop

ARTIFACTS = ROOT / "test-artifacts"
# Playwright's assertions wait 5 s by default; a first Streamlit render on a slow, busy CI
# machine can take longer (seen: the Informes page after signing in). Waiting longer only
# changes how long a real failure takes to be reported.
expect.set_options(timeout=20_000)
EDITORS = {
    "RASTRO_CAMPAIGN_EDITOR_URL": "https://crm.test/emails/{id}/editor",
    "RASTRO_FLOW_EDITOR_URL": "https://crm.test/flujos/{id}/editor",
    "RASTRO_TIMEZONE": "America/Bogota",
}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("RASTRO_ALLOW_NO_BROWSER") == "1":
            pytest.skip("Chromium no está instalado")
        pytest.fail(
            f"Falta Chromium en {CHROMIUM} (apt-get install chromium; .ci/run lo hace) "
            "o exporta RASTRO_ALLOW_NO_BROWSER=1 para saltar estas pruebas.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def story_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'story.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    ids = load_story(engine, heavy=True)
    engine.dispose()
    process, base = start_streamlit(url, folder / "streamlit.log", EDITORS)
    yield base, ids
    stop(process)


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
