"""The entrypoint and its placeholder page, through Streamlit's AppTest."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(monkeypatch, databases):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DATABASE_URL", databases.url("sqlite"))
    return AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)


def test_home_page_opens_the_database(app):
    app.run()
    assert not app.exception
    assert app.title[0].value == "Rastro"
    assert "La base de datos está lista (sqlite)" in app.success[0].value


def test_unreachable_database_gives_a_spanish_message(app, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nadie@127.0.0.1:1/nada")
    app.run()
    assert not app.exception
    assert "No se puede abrir la base de datos" in app.error[0].value
