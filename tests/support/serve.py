"""Starting the dashboard in a child process and a headless Chromium to drive it, for the
end-to-end tests and the browser benchmark (the same code, so both measure the real app).
Not part of the shipped app: the benchmarks import it as `tests.support.serve`."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the project (tests/support/serve.py)
CHROMIUM = os.environ.get("RASTRO_CHROMIUM", "/usr/bin/chromium")
# Debian's Chromium as root, headless, with no calls home (this machine has no network).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(
    database_url: str | None,
    log_path: Path,
    env: dict | None = None,
    timeout: float = 120,
    cwd: Path = ROOT,
):
    """`streamlit run streamlit_app.py` (of the project in `cwd`) on a free local port; returns
    (process, base URL) once its health check answers. Without `database_url`, the app uses
    its embedded default."""
    port = free_port()
    child_env = {**os.environ, **(env or {})}
    child_env.pop("DATABASE_URL", None)
    if database_url:
        child_env["DATABASE_URL"] = database_url
    log = open(log_path, "w")  # noqa: SIM115 (the child writes to it after we return)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=cwd,
        env=child_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit run ended early; see {log_path}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"streamlit run did not answer within {timeout:.0f} s; see {log_path}")


def stop(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


TIMEOUT = 20_000  # ms a browser test waits for an element (a first render can be slow here)


def new_page(browser, width: int = 1400, height: int = 1000):
    """A Spanish-locale Playwright page of the given viewport, with the tests' timeout."""
    page = browser.new_page(viewport={"width": width, "height": height}, locale="es-ES")
    page.set_default_timeout(TIMEOUT)
    return page


def settle(page) -> None:
    """Wait until Streamlit has finished the current run (no stale, faded elements)."""
    from playwright.sync_api import expect  # only the browser tests need Playwright

    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def sign_in(page, base: str, username: str, password: str) -> None:
    """Sign in through the real sign-in page (a Playwright page) and wait for the search box."""
    page.goto(base)
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()
    page.get_by_label("Buscar contacto por nombre o correo").wait_for()
