"""Contacts from the CRM in the app (AppTest): the "Contactos del CRM" upload on the import
page (reconciliation, quarantine, refused files, progress), the CRM id on the card with its
link, and the search box finding a contact by its CRM id."""

import pytest
import sqlalchemy as sa

from data_access import schema
from tests.support.hostile import shown_text

from .conftest import ENTRYPOINT, PAGES

PAGE = PAGES / "importar.py"
CSV = (
    "\ufeffemail,name,crm_id,created_at\n"
    "nueva@example.com,Nueva Núñez,CRM-1,2025-02-01T10:00:00Z\n"
    "=cmd|' /C calc'!A0,=HYPERLINK(\"x\"),CRM-2,\n"
    ",Sin correo,CRM-3,\n"
    "NUEVA@example.com,Nueva Núñez Peña,CRM-1,\n"
)


@pytest.fixture
def page(admin_db, make_app):
    return make_app(admin_db, PAGE, user="ana.admin"), admin_db.engine


def choose_contacts(at):
    at.run()
    assert not at.exception, at.exception
    at.segmented_control(key="import_kind").set_value("contactos").run()
    assert not at.exception, at.exception
    return at


def upload(at, name, content: bytes):
    at.file_uploader(key="crm_import_files").upload(name, content, "text/csv")
    at.button(key="FormSubmitter:crm_import-Importar contactos").click().run()
    assert not at.exception, at.exception


def test_the_page_opens_on_events_and_switches_to_crm_contacts(page):
    at, _ = page
    at.run()
    assert at.title[0].value == "Importar eventos de entrega"
    choose_contacts(at)
    assert at.title[0].value == "Importar contactos del CRM"
    assert "email, name, crm_id y created_at" in at.caption[0].value


def test_upload_a_contacts_csv_and_see_the_reconciliation(page):
    at, engine = page
    upload(choose_contacts(at), "crm.csv", CSV.encode())
    assert at.success[0].value == (
        "Importación terminada: 1 archivo, 2 contactos nuevos y 0 actualizados. En la "
        "cuarentena: 2 filas (los motivos, aquí abajo en «Cuarentena»)."
    )
    table = at.dataframe[0].value
    row = table.iloc[0].to_dict()
    assert row == {
        "Archivo": "crm.csv",
        "Recibidos": 4,
        "Creados": 2,
        "Actualizados": 0,
        "Sin cambios": 0,
        "En cuarentena": 2,
    }
    assert "recibidos = creados + actualizados + sin cambios + en cuarentena" in (
        at.caption[-1].value
    )
    with engine.connect() as conn:
        c = schema.contacts.c
        stored = dict(conn.execute(sa.select(c.email, c.name)).all())
    assert stored == {
        "nueva@example.com": "Nueva Núñez Peña",  # the last row of the address
        "=cmd|' /c calc'!a0": '=HYPERLINK("x")',  # stored as text; never run
    }
    assert at.expander[0].label == "Cuarentena (los 2 registros más recientes)"
    quarantined = at.dataframe[1].value
    assert list(quarantined["Posición"]) == [4, 2]
    assert "vale la fila de la línea 5" in quarantined["Motivo"].iloc[1]


def test_a_file_that_is_not_a_contacts_csv_is_refused_with_a_clear_message(page):
    at, engine = page
    events = "occurred_at,email,event\n2026-06-01T10:00:00Z,a@example.com,delivered\n"
    upload(choose_contacts(at), "eventos.csv", events.encode())
    assert shown_text(at.error[0].value).startswith(
        "eventos.csv: no se importó nada. Columnas desconocidas"
    )
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.contacts)).scalar() == 0


def test_no_file_chosen(page):
    at, _ = page
    choose_contacts(at)
    at.button(key="FormSubmitter:crm_import-Importar contactos").click().run()
    assert "Elige al menos un archivo." in at.warning[0].value


def test_the_progress_bar_follows_the_rows(page, monkeypatch):
    from dashboard import import_view

    shown = []
    real = import_view.data.import_contacts_upload

    def spy(content, *, source, progress):
        def seen(done, total):
            shown.append((done, total))
            progress(done, total)

        return real(content, source=source, progress=seen)

    monkeypatch.setattr(import_view.data, "import_contacts_upload", spy)
    upload(choose_contacts(at := page[0]), "crm.csv", CSV.encode())
    assert shown[-1] == (4, 4) and shown == sorted(shown)
    assert not at.exception


def test_a_seller_cannot_import(story_db, make_app):
    at = make_app(story_db, PAGE, user="victor.ventas")
    at.run()
    assert not at.exception
    assert not at.file_uploader
    assert "No autorizado" in " ".join(e.value for e in at.error)


# --- the card and the search box ------------------------------------------------------------


@pytest.fixture
def crm_app(story_db, make_app):
    with story_db.engine.begin() as conn:
        c = schema.contacts.c
        conn.execute(
            schema.contacts.update().where(c.id == story_db.ids["jose"]).values(crm_id="003Dn0A")
        )
    app = make_app(
        story_db, ENTRYPOINT, user="ana.admin", RASTRO_CONTACT_URL="https://crm.test/p/{id}"
    )
    return app, story_db.ids


def test_the_card_links_the_crm_id_to_the_contact_in_the_crm(crm_app):
    app, ids = crm_app
    app.query_params["contacto"] = str(ids["jose"])
    app.run()
    assert not app.exception, app.exception
    lines = [str(m.value) for m in app.markdown if "Id en el CRM" in str(m.value)]
    assert lines == [":material/badge: Id en el CRM: [003Dn0A](https://crm.test/p/003Dn0A)"]
    app.query_params["contacto"] = str(ids["lucia"])  # no CRM id: no line
    app.run()
    assert not [m for m in app.markdown if "Id en el CRM" in str(m.value)]


def test_the_search_box_finds_a_contact_by_its_crm_id(crm_app):
    app, ids = crm_app
    app.run()
    app.text_input(key="busqueda").input("003Dn").run()
    assert not app.exception
    labels = [b.label for b in app.button if b.key.startswith("pick_")]
    assert len(labels) == 1 and "id del CRM 003Dn0A" in labels[0]
    app.button(key=f"pick_{ids['jose']}").click().run()
    assert any("Id en el CRM" in str(m.value) for m in app.markdown)
