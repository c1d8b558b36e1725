"""The card page measured in a real browser: from the click on a suggestion to the card shown.

Debian's Chromium driven by Playwright against `streamlit run` on the benchmark world.
"""

import random
import secrets
import time
from pathlib import Path

import sqlalchemy as sa

from data_access import users
from tests.support.serve import CHROMIUM, CHROMIUM_FLAGS, sign_in, start_streamlit, stop

SEARCH_LABEL = "Buscar contacto por nombre o correo"
BENCH_USER = "benchmark.admin"


def _bench_admin(engine: sa.Engine) -> str:
    """An administrator for the browser to sign in with, with a fresh random password."""
    password = secrets.token_urlsafe(16)
    with engine.begin() as conn:
        if users.get_user(conn, BENCH_USER) is None:
            users.add_user(
                conn, BENCH_USER, display_name="Benchmark", role="admin", password=password
            )
        else:
            users.set_password(conn, BENCH_USER, password)
            users.set_active(conn, BENCH_USER, True)
    return password


def measure_card_page(
    engine: sa.Engine, contacts: int, samples: int, rng: random.Random, log_dir: Path
) -> list[float]:
    """Milliseconds from the pick to the card, for `samples` random contacts (and a warm-up)."""
    from playwright.sync_api import sync_playwright

    ids = [rng.randint(1, contacts) for _ in range(samples + 2)]
    with engine.connect() as conn:
        emails = dict(
            conn.execute(
                sa.select(sa.column("id"), sa.column("email"))
                .select_from(sa.table("contacts"))
                .where(sa.column("id").in_(ids))
            ).all()
        )
    password = _bench_admin(engine)
    url = engine.url.render_as_string(hide_password=False)
    process, base = start_streamlit(url, log_dir / f"streamlit-{engine.dialect.name}.log")
    timings = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            sign_in(page, base, BENCH_USER, password)
            box = page.get_by_label(SEARCH_LABEL)
            for contact_id in ids:
                # Not the whole address: an exact address opens its card at once, with no pick.
                box.fill(emails[contact_id][:-1])
                # The suggestion's button by its key (its drawn address holds an invisible word
                # joiner before the @, which keeps Markdown from making it a mailto link).
                pick = page.locator(f".st-key-pick_{contact_id} button")
                pick.wait_for()
                started = time.perf_counter()
                pick.click()
                page.get_by_text(f"Identificador: {contact_id}", exact=True).wait_for()
                timings.append((time.perf_counter() - started) * 1000)
            browser.close()
    finally:
        stop(process)
    return timings[2:]  # the first two warm the server's caches and the browser
