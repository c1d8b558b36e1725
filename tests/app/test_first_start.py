"""The first run of the dashboard on a fresh clone says what it is doing while it builds the
demo world (issue 13: "the page says what it is doing while it builds"), and later runs of the
same server do not."""

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import data
from data_access import bootstrap, config
from tests.app.conftest import ENTRYPOINT, ROOT


@pytest.fixture
def fresh_clone(tmp_path, monkeypatch):
    """The embedded default database of a clone that has never started (a small demo)."""
    path = tmp_path / "var" / "rastro.sqlite3"
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(config, "EMBEDDED_PATH", path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setitem(bootstrap.open_database.__kwdefaults__, "demo_contacts", 120)
    monkeypatch.setattr(data, "_ENGINES", {})
    return path


def _texts(at: AppTest) -> list[str]:
    return [element.value for element in at.markdown]


def test_first_start_shows_each_step_of_building_the_demo(fresh_clone):
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=60).run()
    assert not at.exception
    shown = _texts(at)
    assert "Conectando con la base de datos." in shown
    assert "Aplicando las migraciones pendientes del esquema." in shown
    assert "Primer arranque: creando los datos de demostración (120 contactos)." in shown
    assert any(t.startswith("Guardando ") and "eventos de demostración" in t for t in shown)
    assert fresh_clone.exists()
    # then the sign-in form, under the finished status
    assert at.text_input(key="sign_in_user").label == "Usuario"
    # the next run of the same server opens nothing and says nothing about it
    again = AppTest.from_file(str(ENTRYPOINT), default_timeout=60).run()
    assert not again.exception
    assert not [t for t in _texts(again) if "demostración" in t or "migraciones" in t]


def test_a_started_database_leaves_no_steps_on_the_page(fresh_clone):
    bootstrap.open_database(demo_contacts=120)  # an earlier server built it
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=60).run()
    assert not at.exception
    shown = _texts(at)
    assert not [t for t in shown if "demostración" in t or "migraciones" in t]
    assert at.text_input(key="sign_in_user").label == "Usuario"
