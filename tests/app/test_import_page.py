"""The Importar eventos page through AppTest: upload, the reconciliation, the quarantine."""

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access import schema
from tests.support.hostile import shown_text

from .conftest import PAGES

PAGE = PAGES / "importar.py"
CSV = (
    "occurred_at,email,event,bounce_type,reason,origin,campaign_id,campaign_name,event_id\n"
    "2026-06-01T10:00:00Z,nueva@example.com,delivered,,,campaign,cmp-1,Verano,a1\n"
    "2026-06-01T10:05:00Z,nueva@example.com,bounced,hard,,campaign,cmp-1,Verano,a2\n"
    "2026-06-01T10:06:00Z,otra@example.com,opened,,,campaign,cmp-1,Verano,a3\n"
    "2026-06-01T10:07:00Z,,delivered,,,campaign,cmp-1,Verano,a4\n"
)


@pytest.fixture
def page(admin_db, make_app):
    return make_app(admin_db, PAGE, user="ana.admin"), admin_db.engine


def test_upload_a_csv_and_see_the_reconciliation(page):
    at, engine = page
    at.run()
    assert not at.exception
    at.selectbox(key="import_provider").set_value("csv")
    at.file_uploader(key="import_files").upload("eventos.csv", CSV.encode(), "text/csv")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    assert at.success[0].value == (
        "Importación terminada: 1 archivo, 2 eventos nuevos; 2 registros en la cuarentena (los "
        "motivos, aquí abajo en «Cuarentena»)."
    )
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
    # The quarantine below lists the two records that were not stored, newest first.
    assert at.expander[0].label == "Cuarentena (los 2 registros más recientes)"
    assert at.expander[0].proto.expanded  # open: this import sent records there
    quarantined = at.dataframe[1].value
    assert list(quarantined.columns) == ["Archivo", "Posición", "Motivo", "Contenido recibido"]
    assert list(quarantined["Archivo"]) == ["eventos.csv", "eventos.csv"]
    assert list(quarantined["Posición"]) == [5, 4]  # lines of the file (1 is the header)


def test_an_empty_quarantine_says_so(page):
    at, _ = page
    at.run()
    assert not at.exception
    assert at.expander[0].label == "Cuarentena (vacía)"
    assert "La cuarentena está vacía." in [c.value for c in at.caption]
    assert not at.dataframe


def test_a_file_in_another_format_is_refused_whole(page):
    at, engine = page
    at.run()
    at.selectbox(key="import_provider").set_value("sendgrid")
    at.file_uploader(key="import_files").upload("eventos.csv", CSV.encode(), "text/csv")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception
    assert "eventos.csv: no se importó nada" in shown_text(at.error[0].value)
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


def test_a_refused_file_is_explained_in_english_on_the_english_interface(admin_db):
    # The page's own widgets cannot be driven in English by AppTest (its radio re-formats the
    # Spanish labels), so the page's import step runs alone, on the real data layer.
    def script(url):
        import os
        from types import SimpleNamespace

        import streamlit as st

        from dashboard import import_view, ui

        os.environ["DATABASE_URL"] = url
        st.session_state[ui.ENGLISH_KEY] = True
        upload = SimpleNamespace(name="vacio.csv", getvalue=lambda: b"")
        import_view.run_imports(st, "csv", None, None, "create", [upload])

    url = admin_db.engine.url.render_as_string(hide_password=False)
    at = AppTest.from_function(script, args=(url,)).run()
    assert not at.exception, at.exception
    shown = shown_text(at.error[0].value)
    assert shown.startswith("vacio.csv: nothing was imported.")
    # The data layer's Spanish message ("El archivo está vacío…") is not what English readers get.
    assert "vacío" not in shown and "empty" in shown.lower()


def test_a_file_that_all_goes_to_the_quarantine_is_no_success(page):
    at, engine = page
    at.run()
    at.selectbox(key="import_provider").set_value("csv")
    bad = CSV.splitlines()[0] + "\n" + "\n".join(CSV.splitlines()[3:]) + "\n"  # opened, no email
    at.file_uploader(key="import_files").upload("malos.csv", bad.encode(), "text/csv")
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    assert not at.success
    assert at.error[0].value == (
        "No se guardó nada: todo lo recibido (2 registros, 1 archivo) está en la cuarentena. "
        "Los motivos, aquí abajo en «Cuarentena»."
    )
    assert at.expander[0].proto.expanded
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(schema.email_events)).scalar() == 0
        )
