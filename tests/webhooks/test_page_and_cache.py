"""The Recepción page (AppTest), the CLI `webhooks work|status`, and the dashboard's cache:
a card shows an event that arrived by webhook on the next run, not after the 60 s TTL."""

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from data_access import data_version, migrate
from data_access.cli import main
from data_access.engine import make_engine
from data_access.webhooks import worker
from tests.app.conftest import FakeClient, open_session
from tests.story import load_story

from .conftest import SECRET, make_hooks, samples, sendgrid_headers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def story(tmp_path, monkeypatch, keys):
    url = f"sqlite:///{tmp_path / 'story.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    ids = load_story(engine)
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("RASTRO_WEBHOOK_SECRET", ":".join(SECRET))
    yield engine, ids, make_hooks(engine, keys), url
    engine.dispose()


@pytest.fixture
def signed_in(story, monkeypatch):
    """`signed_in(at)`: `at` run by a browser holding an administrator's session cookie."""
    client = FakeClient()
    monkeypatch.setattr("streamlit.runtime.context._get_client_context", lambda: client)

    def sign_in(at):
        client.hold(open_session(story[0], "ana.admin"))
        return at

    return sign_in


def test_the_recepcion_page_shows_each_provider(story, keys, signed_in):
    _engine, _ids, hooks, _url = story
    body, headers = samples("postmark", keys)[0]
    assert hooks.post("postmark", body, headers, query="?origin=campaign").status_code == 200
    assert hooks.post("postmark", body, headers, auth=("x", "y")).status_code == 401
    at = signed_in(AppTest.from_file(str(ROOT / "app_pages" / "recepcion.py"), default_timeout=60))
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    rows = {r["Proveedor"]: r for r in table.to_dict("records")}
    assert list(rows) == ["sendgrid", "ses", "mailgun", "postmark"]
    postmark = rows["postmark"]
    assert (postmark["Aceptadas (24 h)"], postmark["Rechazadas (24 h)"]) == (1, 1)
    assert postmark["Pendientes"] == 1 and rows["sendgrid"]["Último recibido"] == "Nunca"
    assert postmark["URL para la consola del proveedor"].endswith(
        "@rastro.example/webhooks/postmark"
    )
    assert not at.warning  # the secret is set
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "RASTRO_SES_TOPIC_ARNS" in text and "temas SNS" in text


def test_the_page_warns_without_a_secret(story, monkeypatch, signed_in):
    monkeypatch.delenv("RASTRO_WEBHOOK_SECRET")
    at = signed_in(AppTest.from_file(str(ROOT / "app_pages" / "recepcion.py"), default_timeout=60))
    at.run()
    assert "Falta RASTRO_WEBHOOK_SECRET" in at.warning[0].value


def test_cli_work_once_and_status(story, keys):
    _engine, _ids, hooks, url = story
    body, headers = samples("postmark", keys)[0]
    hooks.post("postmark", body, headers, query="?origin=campaign")
    status = CliRunner().invoke(main, ["webhooks", "status", "--database", url])
    assert status.exit_code == 0, status.output
    assert "postmark" in status.output and "pendientes: 1" in status.output
    done = CliRunner().invoke(main, ["webhooks", "work", "--once", "--database", url])
    assert done.exit_code == 0, done.output
    assert "recibidos 1 = guardados 1 + duplicados 0 + ignorados 0 + en cuarentena 0" in done.output
    again = CliRunner().invoke(main, ["webhooks", "work", "--once", "--database", url])
    assert "No hay nada pendiente" in again.output


def test_a_card_shows_a_webhook_event_on_the_next_run(story, keys, signed_in):
    engine, ids, hooks, _url = story
    at = signed_in(AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60))
    at.query_params["contacto"] = str(ids["jose"])
    at.run()
    assert not at.exception, at.exception
    history = lambda: next(e.label for e in at.expander if "Historial" in e.label)  # noqa: E731
    before = history()
    with engine.connect() as conn:
        version = data_version(conn)
    event = {
        "email": "jose.nunez@example.com",
        "timestamp": int(time.time()),
        "event": "bounce",
        "type": "bounce",
        "status": "5.1.1",
        "reason": "550 5.1.1 user unknown",
        "sg_event_id": "nuevo-rebote-1",
        "origin": "campaign",
        "campaign_id": "cmp-vivo",
    }
    body = json.dumps([event]).encode()
    assert hooks.post("sendgrid", body, sendgrid_headers(keys.sendgrid, body)).status_code == 200
    worker.Worker(engine).drain()
    with engine.connect() as conn:
        assert data_version(conn) > version
    time.sleep(1.1)  # the data version itself is read at most once a second
    at.run()
    after = history()
    assert before != after, (before, after)
    count = lambda label: int(label.split("(")[1].split(")")[0])  # noqa: E731
    assert count(after) == count(before) + 1
