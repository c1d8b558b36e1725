"""The app under faults: a damaged SQLite file or a URL with no dialect shows one Spanish
message naming it (never a traceback), and the import page refuses a file over
RASTRO_MAX_IMPORT_MB."""

import pytest
import sqlalchemy as sa

from data_access import schema
from tests.data_access.test_damaged_database import (
    events_page_overwritten,
    not_a_database,
    truncated,
)
from tests.support.hostile import shown_text

from .conftest import PAGES

CAUSES = {
    "not a database": not_a_database,
    "truncated": truncated,
    "a table page overwritten": events_page_overwritten,
}


@pytest.mark.parametrize("cause", [*CAUSES, "unknown dialect"])
def test_the_app_names_the_damaged_database_and_what_to_do(make_app, tmp_path, cause):
    if cause == "unknown dialect":
        url, expected = (
            "mysqlx://ana:secreta@servidor/rastro",
            ["URL de base de datos no válida: mysqlx://ana:***@servidor/rastro"],
        )
    else:
        path = CAUSES[cause](tmp_path / "rastro.sqlite3")
        url = f"sqlite:///{path}"
        expected = [f"El archivo de la base de datos {path} está dañado", "copia de seguridad"]
    # signed in (the file has the administrator) and on a contact's card, which reads events
    at = make_app(url, user="ana.admin" if cause == "a table page overwritten" else None)
    at.query_params["contacto"] = "1"
    at.run()
    assert not at.exception, at.exception
    shown = shown_text(" ".join(e.value for e in at.error))
    assert all(part in shown for part in expected), shown
    assert "secreta" not in shown


def test_the_import_page_refuses_a_file_over_the_limit(admin_db, make_app):
    at = make_app(admin_db, PAGES / "importar.py", user="ana.admin", RASTRO_MAX_IMPORT_MB="0.001")
    at.run()
    at.selectbox(key="import_provider").set_value("csv")
    big = b"occurred_at,email,event\n" + b"2026-06-01T10:00:00Z,a@example.com,sent\n" * 100
    at.file_uploader(key="import_files").upload("grande.csv", big, "text/csv")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    assert shown_text(at.error[0].value).startswith("grande.csv: no se importó nada")
    assert "El archivo pasa de 0.001 MB, el máximo que se importa" in shown_text(at.error[0].value)
    with admin_db.engine.connect() as conn:
        assert not conn.execute(
            sa.select(sa.func.count()).select_from(schema.email_events)
        ).scalar()
