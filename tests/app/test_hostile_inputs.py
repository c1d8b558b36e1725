"""The hostile corpus (tests/support/hostile.py) through every input of the app, on SQLite and
PostgreSQL (issue 17): the sign-in, the search box, every URL parameter of every page, the
uploaded files (names, headers, contents), a lift's comment and a provider's text on the card.
Each run: no exception, no traceback, the value never drawn as live Markdown (the raw value
is absent from every Markdown body and its escaped form is where the message quotes it), and
nothing stored that should not be (no NUL reaches PostgreSQL).

A page run costs about a second: the whole corpus goes through the cheap inputs of the data
layer (tests/data_access/test_hostile_corpus.py), a sample of one string per family here,
several of them at once where a page has several inputs (one file per string, one URL
parameter per string)."""

import io

import pytest
import sqlalchemy as sa

from data_access import blocks, migrate, schema
from data_access.engine import make_engine
from tests.story import PASSWORD, load_story
from tests.support.hostile import CORPUS, SAMPLE, assert_clean, assert_escaped_in, typed

from .conftest import ADMIN, ENTRYPOINT, PAGES, AppDatabase

# On PostgreSQL the families that differ between the engines: NUL, surrogates, LIKE, quotes.
POSTGRES_SAMPLE = ["nul", "surrogate", "like_both", "drop_table", "md_link", "long"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hostile_db(request, databases):
    url = databases.url(request.param)
    engine = make_engine(url)
    migrate.upgrade(engine)
    db = AppDatabase(url, engine, load_story(engine))
    db.kind = request.param
    yield db
    engine.dispose()


def sample_for(db) -> list[str]:
    return SAMPLE if db.kind == "sqlite" else POSTGRES_SAMPLE


def _value(name: str) -> str:
    """The string as the browser sends it (files take the raw one: _raw)."""
    return typed(CORPUS[name])


def _raw(name: str) -> str:
    return CORPUS[name]


def _shown(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


# --- sign-in ------------------------------------------------------------------------------


def test_the_sign_in_refuses_every_hostile_username_and_password(hostile_db, make_app):
    at = make_app(hostile_db).run()
    for name in sample_for(hostile_db)[:: 2 if hostile_db.kind == "sqlite" else 1]:
        value = _value(name)
        at.text_input(key="sign_in_user").input(value[:150])
        at.text_input(key="sign_in_password").input(value[:1024] or "x")
        at.get("form_submit_button")[0].click()
        at.run()
        assert_clean(at, value)
        assert [e.value for e in at.error] == ["Usuario o contraseña incorrectos."], name
    # the real password still works after all of that (nothing was locked by a driver error)
    at = make_app(hostile_db).run()
    at.text_input(key="sign_in_user").input(ADMIN)
    at.text_input(key="sign_in_password").input(PASSWORD)
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]


# --- the search box and ?contacto= ----------------------------------------------------------


def test_the_search_box_answers_every_hostile_text(hostile_db, make_app):
    at = make_app(hostile_db, PAGES / "contactos.py", user=ADMIN).run()
    for name in sample_for(hostile_db):
        value = _value(name)
        at.text_input(key="busqueda").input(value[:300]).run()
        assert_clean(at, value)
        if at.info and at.info[0].value.startswith("Ningún contacto coincide"):
            assert_escaped_in(at, value[:80])


def test_the_card_link_quotes_a_hostile_id_escaped(hostile_db, make_app):
    for name in [*sample_for(hostile_db)[:6], "md_image", "big_number", "unicode_digits"]:
        value = _value(name)
        at = make_app(hostile_db, PAGES / "contactos.py", user=ADMIN)
        at.query_params["contacto"] = value
        at.run()
        assert_clean(at, value)
        if value.strip():
            assert at.warning, name
            assert_escaped_in(at, _shown(value, 40))


# --- every URL parameter of every page ----------------------------------------------------

URL_PARAMETERS = {
    "informes.py": ("desde", "hasta", "origen", "campanas", "detalle"),
    "bloqueados.py": (
        "motivos",
        "causa",
        "bloqueado_desde",
        "bloqueado_hasta",
        "dominio",
        "buscar",
        "pagina",
    ),
    "importar.py": ("import_kind", "contacto"),
    "recepcion.py": ("contacto", "desde"),
}


@pytest.mark.parametrize("page", sorted(URL_PARAMETERS))
def test_every_url_parameter_of_every_page_takes_the_corpus(hostile_db, make_app, page):
    names = sample_for(hostile_db)
    keys = URL_PARAMETERS[page]
    # Every string in some parameter, one string per parameter in each run.
    for start in range(0, len(names), len(keys)):
        at = make_app(hostile_db, PAGES / page, user=ADMIN)
        used = []
        for offset, key in enumerate(keys):
            value = _value(names[(start + offset) % len(names)])
            at.query_params[key] = value
            used.append(value)
        at.run()
        assert_clean(at, *used)


def test_the_entrypoint_routes_hostile_page_addresses(hostile_db, make_app):
    at = make_app(hostile_db, ENTRYPOINT, user=ADMIN)
    at.query_params["contacto"] = _value("md_link")
    at.query_params["aviso"] = _value("red")
    at.run()
    assert_clean(at, _value("md_link"), _value("red"))


# --- uploaded files -----------------------------------------------------------------------


def _upload(at, key: str, files: list[tuple[str, bytes]], mime: str = "text/csv"):
    uploader = at.file_uploader(key=key)
    for file_name, content in files:
        uploader.upload(file_name, content, mime)
    return at


def _csv_events(value: str) -> bytes:
    cell = '"' + value.replace('"', '""') + '"'
    return (
        "occurred_at,email,event,bounce_type,provider_reason,smtp_diagnostic,campaign_name,"
        "campaign_external_id,origin\n"
        f"2026-06-01T10:00:00Z,hostil@example.com,bounced,hard,{cell},{cell},{cell},{cell},"
        "campaign\n"
    ).encode("utf-8", "surrogatepass")


def test_event_files_with_hostile_names_headers_and_contents(hostile_db, make_app):
    names = sample_for(hostile_db)
    at = make_app(hostile_db, PAGES / "importar.py", user=ADMIN).run()
    at.selectbox(key="import_provider").set_value("csv")
    files = []
    for name in names:
        value = _value(name).replace("\x00", "").replace("/", "-")[:200] or "vacío"
        files.append((f"{value}.csv", _csv_events(_raw(name))))
    files.append(("[Descargar informe](https://ev.il/z).json", b"{no es json"))
    header = _value("md_link") + "," + _value("red")
    files.append(("cabeceras.csv", f"{header}\n1,2\n".encode()))
    _upload(at, "import_files", files)
    at.get("form_submit_button")[0].click()
    at.run()
    assert_clean(at, *(_value(n) for n in names), "[Descargar informe](https://ev.il/z).json")
    assert_clean(at, _value("md_link"), _value("red"))
    errors = " ".join(e.value for e in at.error)
    assert "\\[Descargar informe\\]\\(https\\:" in errors, errors
    with hostile_db.engine.connect() as conn:
        q = schema.quarantine.c
        reasons = conn.execute(sa.select(q.reason)).scalars().all()
    assert all(reason for reason in reasons)  # a quarantined record always says why


def test_contact_files_with_hostile_names_and_crm_ids(hostile_db, make_app):
    names = sample_for(hostile_db)
    at = make_app(hostile_db, PAGES / "importar.py", user=ADMIN).run()
    at.segmented_control(key="import_kind").set_value("contactos").run()
    rows = io.StringIO()
    rows.write("crm_id,email,name\n")
    for i, name in enumerate(names):
        cell = '"' + _raw(name).replace('"', '""') + '"'
        rows.write(f"{cell},hostil{i}@example.com,{cell}\n")
    content = rows.getvalue().encode("utf-8", "surrogatepass")
    files = [(_value("md_link") + ".csv", content), ("x.csv", b"\xff\xfe\x00rubbish")]
    _upload(at, "crm_import_files", files)
    at.get("form_submit_button")[0].click()
    at.run()
    assert_clean(at, *(_value(n) for n in names), _value("md_link"))


# --- the card: a lift's comment and the provider's text -------------------------------------


def test_a_hostile_lift_comment_and_provider_text_are_drawn_escaped(hostile_db, make_app):
    contact_id = hostile_db.ids["jose"]
    hostile = "[Entrar de nuevo](https://ev.il/x) :red[ya] https://ev.il/y www.ev.il m@ev.il"
    with hostile_db.engine.begin() as conn:
        conn.execute(
            schema.email_events.update()
            .where(schema.email_events.c.contact_id == contact_id)
            .where(schema.email_events.c.event == "bounced")
            .values(provider_reason=hostile, smtp_diagnostic="550 " + hostile)
        )
        blocks.lift_block(
            conn,
            contact_id,
            "previous_spam",
            username=ADMIN,
            comment="Confirmado: " + hostile,
            renewed_consent=True,
        )
    at = make_app(hostile_db, PAGES / "contactos.py", user=ADMIN)
    at.query_params["contacto"] = str(contact_id)
    at.run()
    assert_clean(at, hostile)
    assert_escaped_in(at, hostile)
