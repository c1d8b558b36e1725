"""Against a real server on a free loopback port: `streamlit run streamlit_app.py` (the README's
start command) receives the real samples, and survives `kill -9` while requests stream in:
after a restart and the client resending what was not acknowledged, every event is stored
exactly once. SES goes through uvicorn serving the same app with a test certificate."""

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from data_access import ingest, migrate, schema
from data_access.engine import make_engine
from tests.support.serve import ROOT, free_port, start_streamlit, stop

from .conftest import SECRET, TOPIC, samples, sendgrid_headers

AUTH = "Basic " + base64.b64encode(":".join(SECRET).encode()).decode()


def env_for(keys) -> dict:
    return {
        "RASTRO_WEBHOOK_SECRET": ":".join(SECRET),
        "RASTRO_SENDGRID_WEBHOOK_PUBLIC_KEY": keys.sendgrid_public_b64,
        "RASTRO_MAILGUN_WEBHOOK_SIGNING_KEY": keys.mailgun,
        "RASTRO_SES_TOPIC_ARNS": TOPIC,
    }


def post(base: str, path: str, body: bytes, headers: dict, timeout: float = 30, auth=AUTH) -> int:
    request = urllib.request.Request(
        base + path, data=body, method="POST", headers={**headers, "Authorization": auth}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_for(condition, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("the server did not process the inbox in time")


def events(engine) -> list[tuple]:
    e, c = schema.email_events.c, schema.contacts.c
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(e.provider_event_id, e.event, c.email, e.occurred_at)
                .join(schema.contacts, c.id == e.contact_id)
                .order_by(e.provider_event_id)
            )
        ]


def backlog(engine) -> int:
    i = schema.webhook_inbox.c
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(i.processed_at.is_(None))).scalar_one()


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield url, engine
    engine.dispose()


def test_streamlit_run_receives_and_stores_the_real_samples(database, keys, tmp_path):
    url, engine = database
    process, base = start_streamlit(url, tmp_path / "streamlit.log", env_for(keys))
    try:
        sent = 0
        for provider in ("sendgrid", "mailgun", "postmark"):
            for body, headers in samples(provider, keys):
                assert post(base, f"/webhooks/{provider}?origin=campaign", body, headers) == 200
                sent += 1
        bad = samples("postmark", keys)[0][0]
        assert post(base, "/webhooks/postmark", bad, {}, auth="Basic eDp5") == 401
        with urllib.request.urlopen(base + "/_stcore/health") as answer:  # the app still serves
            assert answer.status == 200
        wait_for(lambda: backlog(engine) == 0 and len(events(engine)) > 0)
        with engine.connect() as conn:
            processed = conn.execute(
                sa.select(sa.func.count()).where(schema.webhook_inbox.c.processed_at.is_not(None))
            ).scalar_one()
        assert processed == sent
        # The same bodies imported as files give the same events.
        other = make_engine(f"sqlite:///{tmp_path / 'files.sqlite3'}")
        migrate.upgrade(other)
        for provider in ("sendgrid", "mailgun", "postmark"):
            for body, _headers in samples(provider, keys):
                ingest.import_bytes(other, provider, body, source="f", default_origin="campaign")
        assert events(engine) == events(other) and len(events(other)) > 3
        other.dispose()
    finally:
        stop(process)


def test_ses_over_http_with_the_same_app_under_uvicorn(database, keys, tmp_path):
    url, engine = database
    cert = tmp_path / "sns.pem"
    cert.write_bytes(keys.sns_cert_pem)
    port = free_port()
    log = open(tmp_path / "uvicorn.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.webhooks.live_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "RASTRO_TEST_SNS_CERT": str(cert), **env_for(keys)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base), timeout=90)
        for body, headers in samples("ses", keys):
            assert post(base, "/webhooks/ses?origin=automation", body, headers) == 200
        wait_for(lambda: backlog(engine) == 0 and len(events(engine)) > 0)
        other = make_engine(f"sqlite:///{tmp_path / 'files.sqlite3'}")
        migrate.upgrade(other)
        for body, _headers in samples("ses", keys):
            ingest.import_bytes(other, "ses", body, source="f", default_origin="automation")
        assert events(engine) == events(other) and len(events(other)) > 3
        other.dispose()
    finally:
        stop(process)
        log.close()


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def synthetic_batches(count: int, size: int) -> list[bytes]:
    """SendGrid batches of distinct events (delivered and bounces) for distinct contacts."""
    batches = []
    for b in range(count):
        items = []
        for i in range(size):
            n = b * size + i
            items.append(
                {
                    "email": f"vivo{n % 997}@example.com",
                    "timestamp": 1_780_000_000 + n,
                    "event": "bounce" if n % 10 == 0 else "delivered",
                    **({"type": "bounce", "status": "5.1.1"} if n % 10 == 0 else {}),
                    "reason": "550 5.1.1 user unknown" if n % 10 == 0 else "",
                    "sg_event_id": f"vivo-{n}",
                    "sg_message_id": f"m{n}",
                    "origin": "campaign",
                    "campaign_id": f"c{b % 3}",
                }
            )
        batches.append(json.dumps(items).encode())
    return batches


def test_kill_9_while_requests_stream_in_loses_nothing_and_doubles_nothing(
    database, keys, tmp_path
):
    url, engine = database
    batches = synthetic_batches(60, 200)
    expected = {f"vivo-{n}" for n in range(60 * 200)}
    acknowledged: set[int] = set()
    lock = threading.Lock()
    process, base = start_streamlit(url, tmp_path / "first.log", env_for(keys))
    killed = threading.Event()

    def send(index: int, target: str) -> None:
        body = batches[index]
        try:
            status = post(target, "/webhooks/sendgrid", body, sendgrid_headers(keys.sendgrid, body))
        except OSError:  # the server died mid-request: not acknowledged
            return
        if status == 200:
            with lock:
                acknowledged.add(index)
                if len(acknowledged) >= 20 and not killed.is_set():
                    killed.set()
                    os.kill(process.pid, signal.SIGKILL)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: send(i, base), range(len(batches))))
    process.wait(timeout=30)
    assert killed.is_set() and process.returncode == -signal.SIGKILL
    assert 20 <= len(acknowledged) < len(batches)  # some answered, some not
    # Restart on the same database; the client resends whatever was not acknowledged.
    process, base = start_streamlit(url, tmp_path / "second.log", env_for(keys))
    try:
        missing = [i for i in range(len(batches)) if i not in acknowledged]
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: send(i, base), missing))
        assert len(acknowledged) == len(batches)
        wait_for(lambda: backlog(engine) == 0 and len(events(engine)) >= len(expected), 180)
        stored = events(engine)
        assert len(stored) == len(expected)  # exactly once
        assert {s[0] for s in stored} == expected
        for provider_event_id, event, email, occurred_at in stored:
            n = int(provider_event_id.removeprefix("vivo-"))
            assert event == ("bounced" if n % 10 == 0 else "delivered")
            assert email == f"vivo{n % 997}@example.com"
            assert int(occurred_at.timestamp()) == 1_780_000_000 + n
    finally:
        stop(process)
