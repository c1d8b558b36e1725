"""The Bloqueados page and lifting a block on the card, through AppTest."""

import csv
import io
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest
import sqlalchemy as sa

from dashboard import blocks_view, data
from dashboard.settings import load_settings
from data_access import blocks, schema, users, vocab
from data_access.blocks import BlockFilter

from .conftest import EDITORS, PAGES

PAGE = PAGES / "bloqueados.py"
CONTACTS = PAGES / "contactos.py"
COMMENT = "El buzón funciona: confirmado por teléfono."


@pytest.fixture
def page(world_db, make_app):
    return make_app(world_db, PAGE, user="ana.admin", **EDITORS)


def metrics(at):
    return {m.label: m.value for m in at.metric}


def expected(engine, f=BlockFilter()):  # noqa: B008 (frozen)
    with engine.connect() as conn:
        return blocks.block_counts(conn, f), blocks.blocked_page(conn, f, limit=None)


def dotted(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def test_filters_come_from_the_url_and_the_counts_and_rows_match(page, world_db):
    page.query_params.update({"motivos": "previous_spam,unsubscribed", "causa": "campaign"})
    page.run()
    assert not page.exception, page.exception
    f = BlockFilter(reasons=(vocab.PREVIOUS_SPAM, vocab.UNSUBSCRIBED_REASON), origin="campaign")
    counts, rows = expected(world_db.engine, f)
    assert 0 < rows.height < 50
    shown = metrics(page)
    assert shown["Bloqueados con estos filtros"] == dotted(rows.height)
    spam = int(counts.filter(pl.col("reason") == "previous_spam")["contacts"].sum())
    assert shown["Marcó como spam"] == dotted(spam)
    assert shown["Rebotes anteriores"] == "0"
    assert shown["Correo de automatización"] == "0"
    table = page.dataframe[0].value
    assert table["Correo"].to_list() == rows["email"].to_list()
    assert set(table["Motivo"]) <= {
        "El contacto marcó como spam un envío anterior",
        "El contacto canceló la suscripción",
    }
    assert set(table["Origen"]) == {"Correo de campaña"}
    assert table["Ficha"].to_list() == [f"/?contacto={i}" for i in rows["contact_id"]]
    assert table["Editor"].str.startswith("https://crm.test/emails/").all()
    assert page.multiselect(key="motivos").value == ["previous_spam", "unsubscribed"]


def test_dates_domain_and_search_come_from_the_url(page, world_db):
    _, everyone = expected(world_db.engine)
    person = everyone.row(len(everyone) // 2, named=True)
    day = person["since"].date()
    domain = person["email"].rsplit("@", 1)[1]
    page.query_params.update(
        {
            "bloqueado_desde": day.isoformat(),
            "bloqueado_hasta": day.isoformat(),
            "dominio": domain,
            "buscar": person["email"].split("@")[0],
        }
    )
    page.run()
    assert not page.exception, page.exception
    f = BlockFilter(
        since_from=day, since_to=day, domain=domain, search=person["email"].split("@")[0]
    )
    _, rows = expected(world_db.engine, f)
    assert person["contact_id"] in rows["contact_id"].to_list()
    assert page.dataframe[0].value["Correo"].to_list() == rows["email"].to_list()


def test_changing_a_filter_changes_the_list_and_the_url(page):
    page.run()
    total = metrics(page)["Bloqueados con estos filtros"]
    page.multiselect(key="motivos").set_value(["previous_bounce"]).run()
    assert metrics(page)["Bloqueados con estos filtros"] != total
    assert page.query_params.get("motivos") in ("previous_bounce", ["previous_bounce"])
    page.segmented_control(key="causa").set_value("automation").run()
    assert page.query_params.get("causa") in ("automation", ["automation"])
    assert set(page.dataframe[0].value["Origen"]) == {"Correo de automatización"}


def test_pages_of_fifty_from_the_url_and_the_pager(page, world_db):
    _, everyone = expected(world_db.engine)
    assert everyone.height > 100
    page.query_params["pagina"] = "2"
    page.run()
    assert page.dataframe[0].value["Correo"].to_list() == everyone["email"][50:100].to_list()
    assert any(c.value.startswith("Contactos 51–100 de ") for c in page.caption)
    page.get("pagination")[0].set_value(3).run()
    assert page.dataframe[0].value["Correo"].to_list() == everyone["email"][100:150].to_list()


def test_the_empty_state(admin_db, make_app):
    at = make_app(admin_db, PAGE, user="ana.admin")
    at.run()
    assert not at.exception
    assert metrics(at)["Bloqueados con estos filtros"] == "0"
    assert at.info[0].value == "Ningún contacto bloqueado con estos filtros."
    assert not at.dataframe and not at.get("download_button")


@pytest.mark.parametrize(
    "params",
    [
        {"motivos": "nada,previous_spam"},
        {"causa": "marte"},
        {"bloqueado_desde": "ayer"},
        {"dominio": "=1+1", "buscar": "%_\\"},
    ],
)
def test_bad_url_parameters_never_break_the_page(page, params):
    page.query_params.update(params)
    page.run()
    assert not page.exception, page.exception
    assert page.title[0].value == "Contactos bloqueados"


def test_a_reversed_range_is_explained(page):
    page.query_params.update({"bloqueado_desde": "2026-05-01", "bloqueado_hasta": "2026-04-01"})
    page.run()
    assert "La fecha inicial es posterior a la final" in page.warning[0].value


def test_the_exports_hold_the_whole_filtered_list_neutralised(world_db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", world_db.url)
    f = BlockFilter(reasons=(vocab.PREVIOUS_BOUNCE,))
    _, rows = expected(world_db.engine, f)
    read_all = data.blocked_reader(f)
    with ThreadPoolExecutor(1) as pool:  # as the download button does: no Streamlit run
        everything = pool.submit(read_all).result()
    assert everything.height == rows.height > 50
    nasty = everything.with_columns(pl.lit("=HYPERLINK(1)").alias("name"))
    table = list(
        csv.reader(io.StringIO(blocks_view.export_csv(nasty, load_settings({}), "es").decode()))
    )
    assert table[0][:4] == ["Nombre", "Correo", "Motivo", "Bloqueado desde"]
    assert len(table) == rows.height + 1
    assert {r[0] for r in table[1:]} == {"'=HYPERLINK(1)"}
    assert {r[2] for r in table[1:]} == {"Envíos anteriores rebotaron"}
    plain = blocks_view.export_suppression(everything).decode()
    assert plain.splitlines() == everything["email"].to_list()


# --- lifting a block on the card ------------------------------------------------------------


@pytest.fixture
def card(story_db, make_app):
    def open_card(key, user="ana.admin"):
        at = make_app(story_db, CONTACTS, user=user, **EDITORS)
        at.query_params["contacto"] = str(story_db.ids[key])
        at.run()
        assert not at.exception, at.exception
        return at

    return open_card


def texts(at):
    kinds = ("markdown", "caption", "error", "success", "warning", "info")
    shown = "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))
    return shown.replace("\\", "")  # Markdown escapes


def lifts(engine):
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).where(schema.email_events.c.event == vocab.BLOCK_LIFTED)
        ).scalar_one()


def fill(at, reason, comment=COMMENT, consent=None, confirm=True):
    at.text_area(key=f"lift_comment_{reason}").input(comment)
    if consent is not None:
        at.checkbox(key=f"lift_consent_{reason}").check() if consent else None
    if confirm:
        at.checkbox(key=f"lift_confirm_{reason}").check()
    at.button(key=f"lift_submit_{reason}").click().run()
    assert not at.exception, at.exception
    return at


def test_lifting_a_bounce_shows_on_the_card_and_in_the_history(card, story_db):
    at = card("pedro")
    assert "Los próximos envíos no se realizarán" in texts(at)
    fill(at, vocab.PREVIOUS_BOUNCE)
    shown = texts(at)
    assert "Bloqueo levantado: Envíos anteriores rebotaron." in shown
    assert "Se puede enviar" in shown
    assert "Bloqueo levantado (envíos anteriores rebotaron)" in shown and "ana.admin" in shown
    history = at.dataframe[0].value
    first = history.iloc[0].tolist()
    assert "Bloqueo levantado: Envíos anteriores rebotaron" in first
    # the lift has no editor link: its cell is empty, not Streamlit's English "None"
    assert history.iloc[0].isna().any() and at.dataframe[0].proto.placeholder == ""
    assert at.dataframe[0].proto.HasField("placeholder")
    assert f"ana.admin: {COMMENT}" in first
    assert lifts(story_db.engine) == 1
    with story_db.engine.connect() as conn:
        assert users.audit_log(conn, action="block_lifted")["username"].to_list() == ["ana.admin"]


def test_a_comment_too_short_is_refused(card, story_db):
    at = fill(card("pedro"), vocab.PREVIOUS_BOUNCE, comment="corto")
    assert "escribe al menos 10 caracteres" in texts(at)
    assert lifts(story_db.engine) == 0


def test_the_confirmation_is_required(card, story_db):
    at = fill(card("pedro"), vocab.PREVIOUS_BOUNCE, confirm=False)
    assert "Marca la confirmación" in texts(at)
    assert lifts(story_db.engine) == 0


@pytest.mark.parametrize("key, reason", [("jose", "previous_spam"), ("mariajo", "unsubscribed")])
def test_spam_and_unsubscribe_need_the_renewed_consent(card, story_db, key, reason):
    at = fill(card(key), reason, consent=False)
    assert "dio de nuevo su consentimiento" in texts(at)
    assert lifts(story_db.engine) == 0
    at = fill(card(key), reason, consent=True)
    assert "El contacto dio de nuevo su consentimiento." in texts(at)
    assert lifts(story_db.engine) == 1


def test_an_invalid_address_cannot_be_lifted(card):
    at = card("ana")
    assert "corrígela en el CRM" in texts(at)
    assert not [b for b in at.button if b.key and b.key.startswith("lift_submit_")]


def test_a_contact_that_can_be_sent_to_has_no_lift(card):
    at = card("lucia")
    assert not [b for b in at.button if b.key and b.key.startswith("lift_submit_")]


def test_a_seller_is_refused_even_with_the_form_already_open(card, story_db):
    at = card("pedro")
    with story_db.engine.begin() as conn:  # demoted between drawing the form and the click
        conn.execute(
            schema.users.update()
            .where(schema.users.c.username == "ana.admin")
            .values(role=vocab.SELLER)
        )
    fill(at, vocab.PREVIOUS_BOUNCE)
    assert "No autorizado" in texts(at)
    assert lifts(story_db.engine) == 0


def test_a_crafted_call_as_a_seller_is_refused(story_db, monkeypatch):
    """Whatever the page shows, the lift itself reads the account again."""
    monkeypatch.setenv("DATABASE_URL", story_db.url)
    with pytest.raises(blocks.LiftRefused) as refused:
        data.lift_block(
            story_db.ids["pedro"],
            vocab.PREVIOUS_BOUNCE,
            username="victor.ventas",
            comment=COMMENT,
            renewed_consent=False,
        )
    assert refused.value.code == blocks.NOT_ADMIN
    assert lifts(story_db.engine) == 0
