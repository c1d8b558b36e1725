"""The Informes page measured in a real browser: `python -m benchmarks.reports_page`.

Debian's Chromium driven by Playwright against `streamlit run`. Each sample opens a new tab,
signs in, and clicks "Informes" in the sidebar (the first open of the page in that tab), then
records three moments after the click:
- `server_ms`: the last websocket message the server sent before every chart was drawn;
- `drawn_ms`: every chart of the page drawn (a canvas or SVG inside each Vega-Lite element);
- `after_server_ms`: the difference, the time the browser alone spent on the charts.
The first tab after each server start (`--restarts`) also pays the server's first import of
the chart stack; it is reported apart from the later tabs. Prints medians and the bytes the
server sent; `--think-ms` pauses between the sign-in and the click, as a person would.
"""

import argparse
import json
import secrets
import statistics
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from data_access import demo, migrate, users
from data_access.engine import make_engine
from tests.support.serve import CHROMIUM, CHROMIUM_FLAGS, sign_in, start_streamlit, stop

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / "data"
RESULTS_DIR = HERE / "results"
BENCH_USER = "benchmark.admin"
CHART = '[data-testid="stVegaLiteChart"]'
DRAWN = f"{CHART} canvas, {CHART} svg.marks"


def _world(contacts: int, until: date) -> str:
    """A demo world of `contacts` contacts (built once, kept in benchmarks/data/)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"reports-{contacts}-{until.isoformat()}.sqlite3"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        have = conn.execute(sa.text("SELECT COUNT(*) FROM contacts")).scalar_one()
    if have != contacts:
        demo.load(engine, demo.generate(contacts, until=until))
    engine.dispose()
    return url


def _bench_admin(url: str) -> str:
    password = secrets.token_urlsafe(16)
    engine = make_engine(url)
    with engine.begin() as conn:
        if users.get_user(conn, BENCH_USER) is None:
            users.add_user(
                conn, BENCH_USER, display_name="Benchmark", role="admin", password=password
            )
        else:
            users.set_password(conn, BENCH_USER, password)
            users.set_active(conn, BENCH_USER, True)
    engine.dispose()
    return password


def _open_reports(browser, base: str, password: str, width: int, think_ms: int = 0) -> dict:
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.set_default_timeout(120_000)
    frames: list[tuple[float, int]] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda payload: frames.append((time.perf_counter(), len(payload or b""))),
        ),
    )
    sign_in(page, base, BENCH_USER, password)
    page.wait_for_timeout(500 + think_ms)
    frames.clear()
    started = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"] a').nth(1).click()
    page.locator(CHART).first.wait_for()
    page.wait_for_function(
        "() => { const c = document.querySelectorAll(arguments[0]).length;"
        " return c > 0 && document.querySelectorAll(arguments[1]).length >= c"
        " && !document.querySelector('[data-testid=stStatusWidget]'); }".replace(
            "arguments[0]", json.dumps(CHART)
        ).replace("arguments[1]", json.dumps(DRAWN))
    )
    drawn = time.perf_counter()
    charts = page.locator(CHART).count()
    page.close()
    sent = [at for at, _ in frames if at <= drawn]
    server = (max(sent) if sent else started) - started
    return {
        "server_ms": server * 1000,
        "drawn_ms": (drawn - started) * 1000,
        "after_server_ms": (drawn - started - server) * 1000,
        "bytes": sum(size for at, size in frames if at <= drawn),
        "charts": charts,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reports_page", description=__doc__)
    parser.add_argument("--database", help="database URL (default: a demo world, built once)")
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--until", type=date.fromisoformat, default=date(2026, 11, 26))
    parser.add_argument("--samples", type=int, default=6, help="tabs opened per server start")
    parser.add_argument("--restarts", type=int, default=3, help="server starts")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument(
        "--think-ms",
        type=int,
        default=0,
        help="pause between the sign-in and the click on Informes (a person reads the page)",
    )
    args = parser.parse_args(argv)
    url = args.database or _world(args.contacts, args.until)
    password = _bench_admin(url)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    cold, warm = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(args.restarts):
            process, base = start_streamlit(url, RESULTS_DIR / "streamlit-reports.log")
            try:
                cold.append(_open_reports(browser, base, password, args.width, args.think_ms))
                for _ in range(args.samples - 1):
                    warm.append(_open_reports(browser, base, password, args.width))
            finally:
                stop(process)
        browser.close()
    print(f"charts: {cold[0]['charts']}, websocket bytes: {cold[0]['bytes']:,}")
    for name, runs in (("first open after a server start", cold), ("later tabs", warm)):
        if not runs:
            continue
        print(f"{name} ({len(runs)} samples):")
        for key in ("server_ms", "drawn_ms", "after_server_ms"):
            values = [r[key] for r in runs]
            print(f"  {key:<16} median {statistics.median(values):8.0f}  max {max(values):8.0f}")
    out = {"think_ms": args.think_ms, "cold": cold, "warm": warm}
    (RESULTS_DIR / "reports_page.json").write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
