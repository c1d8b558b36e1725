"""The Importar eventos page through AppTest: upload, the reconciliation, the quarantine."""

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access import migrate, schema, users
from data_access.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "app_pages" / "importar.py"
CSV = (
    "occurred_at,email,event,bounce_type,reason,origin,campaign_id,campaign_name,event_id\n"
    "2026-06-01T10:00:00Z,nueva@example.com,delivered,,,campaign,cmp-1,Verano,a1\n"
    "2026-06-01T10:05:00Z,nueva@example.com,bounced,hard,,campaign,cmp-1,Verano,a2\n"
    "2026-06-01T10:06:00Z,otra@example.com,opened,,,campaign,cmp-1,Verano,a3\n"
    "2026-06-01T10:07:00Z,,delivered,,,campaign,cmp-1,Verano,a4\n"
)


@pytest.fixture
def page(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'import.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        users.add_user(
            conn, "ana.admin", display_name="Ana", role="admin", password="contraseña-de-prueba-1"
        )
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["auth_user"] = {"username": "ana.admin"}
    at.session_state["auth_seen"] = time.time()
    yield at, engine
    engine.dispose()


def test_upload_a_csv_and_see_the_reconciliation(page):
    at, engine = page
    at.run()
    assert not at.exception
    at.selectbox(key="import_provider").set_value("csv")
    at.file_uploader(key="import_files").upload("eventos.csv", CSV.encode(), "text/csv")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    assert "Importación terminada: 1 archivo(s), 2 eventos nuevos." in at.success[0].value
    table = at.dataframe[0].value
    row = table.iloc[0].to_dict() if hasattr(table, "iloc") else table.row(0, named=True)
    assert (
        row["Recibidos"],
        row["Guardados"],
        row["Duplicados"],
        row["Ignorados"],
        row["En cuarentena"],
    ) == (4, 2, 0, 0, 2)  # "opened" is not a CSV event
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(schema.email_events)).scalar() == 2
        )


def test_a_file_in_another_format_is_refused_whole(page):
    at, engine = page
    at.run()
    at.selectbox(key="import_provider").set_value("sendgrid")
    at.file_uploader(key="import_files").upload("eventos.csv", CSV.encode(), "text/csv")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception
    assert "eventos.csv: no se importó nada" in at.error[0].value
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(schema.email_events)).scalar() == 0
        )


def test_no_file_chosen(page):
    at, _ = page
    at.run()
    at.get("form_submit_button")[0].click()
    at.run()
    assert "Elige al menos un archivo." in at.warning[0].value
