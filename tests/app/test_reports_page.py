"""The Informes page through AppTest: filters from the URL, figures, charts, drill-down."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import polars as pl
import pytest
import sqlalchemy as sa

from dashboard.formatting import format_day
from dashboard.i18n import t
from data_access import reports, schema
from tests.conftest import WORLD_UNTIL
from tests.support.hostile import shown_text

from .conftest import PAGES, open_session

PAGE = PAGES / "informes.py"


@pytest.fixture
def page(world_db, make_app):
    return make_app(world_db, PAGE, user="ana.admin")


def metrics(at):
    return {m.label: m.value for m in at.metric}


def expected_headline(engine, f):
    with engine.connect() as conn:
        return reports.report(conn, f).headline.row(0, named=True)


def test_filters_come_from_the_url_and_the_figures_match(page, world_db):
    engine = world_db.engine
    start, end = WORLD_UNTIL - timedelta(days=120), WORLD_UNTIL - timedelta(days=1)
    page.query_params.update(
        {"desde": start.isoformat(), "hasta": end.isoformat(), "origen": "automation"}
    )
    page.run()
    assert not page.exception, page.exception
    want = expected_headline(engine, reports.ReportFilter(start, end, "automation"))
    shown = metrics(page)
    assert shown["Envíos"] == f"{want['sends']:,}".replace(",", ".")
    assert shown["No enviados"] == f"{want['not_sent']:,}".replace(",", ".")
    assert [s.value for s in page.subheader][:3] == [
        "Avisos a lo largo del tiempo",
        "Motivos de no envío",
        "Rebotes por tipo y causa",
    ]
    assert any("Límites: rebote aviso > 2,00 %" in shown_text(c.value) for c in page.caption)


def test_changing_a_filter_changes_the_report_and_the_url(page, world_db):
    page.query_params.update(
        {
            "desde": (WORLD_UNTIL - timedelta(days=364)).isoformat(),
            "hasta": (WORLD_UNTIL - timedelta(days=1)).isoformat(),
        }
    )
    page.run()
    both = metrics(page)["Envíos"]
    page.segmented_control(key="origen").set_value("campaign").run()
    assert not page.exception
    assert metrics(page)["Envíos"] != both
    assert page.query_params.get("origen") in ("campaign", ["campaign"])


def test_drill_down_lists_affected_contacts_with_card_links_and_csv(page, world_db):
    engine = world_db.engine
    start, end = WORLD_UNTIL - timedelta(days=200), WORLD_UNTIL - timedelta(days=1)
    page.query_params.update({"desde": start.isoformat(), "hasta": end.isoformat()})
    page.run()
    options = page.selectbox(key="detalle").options
    hard = next(o for o in options if "rebote duro" in o)
    page.selectbox(key="detalle").set_value(hard).run()
    assert not page.exception
    table = page.dataframe[-1].value
    with engine.connect() as conn:
        _, total = reports.affected_contacts(
            conn, reports.ReportFilter(start, end), event="bounced", bounce_type="hard"
        )
    assert any(c.value == f"{total} contactos" for c in page.caption)
    assert len(table) == min(total, 25)
    assert table["Ficha"].str.startswith("/?contacto=").all()
    assert page.get("download_button")


def test_an_empty_range_is_explained(page):
    page.query_params.update({"desde": "2019-01-01", "hasta": "2019-02-01"})
    page.run()
    assert not page.exception
    assert "No hay envíos en este periodo" in page.info[0].value


def test_a_reversed_range_is_explained(page):
    page.query_params.update({"desde": "2026-05-01", "hasta": "2026-04-01"})
    page.run()
    assert not page.exception
    assert "La fecha inicial es posterior a la final" in page.warning[0].value


@pytest.mark.parametrize(
    "params", [{"desde": "ayer"}, {"origen": "marte"}, {"campanas": "abc"}, {"hasta": "2026-13-40"}]
)
def test_bad_url_parameters_never_break_the_page(page, params):
    page.query_params.update(params)
    page.run()
    assert not page.exception
    assert page.title[0].value.startswith("Informes")


def test_a_campaign_with_no_sends_in_the_range(page, world_db):
    engine = world_db.engine
    with engine.connect() as conn:
        listed = reports.campaign_list(conn)
    first = listed.filter(pl.col("origin") == "campaign")["campaign_id"][0]
    page.query_params.update({"desde": "2019-01-01", "hasta": "2019-01-02", "campanas": str(first)})
    page.run()
    assert not page.exception
    assert "No hay envíos en este periodo" in page.info[0].value


def test_the_report_reaches_a_single_day(page):
    day = (WORLD_UNTIL - timedelta(days=5)).isoformat()
    page.query_params.update({"desde": day, "hasta": day})
    page.run()
    assert not page.exception


def test_default_range_is_the_last_90_days(page):
    page.run()
    start = page.date_input(key="desde").value
    end = page.date_input(key="hasta").value
    assert (end - start).days == 89 and isinstance(start, date)


def test_the_csv_export_holds_every_affected_contact(world_db, monkeypatch, browser):
    from dashboard import data, report_view
    from dashboard.settings import load_settings

    monkeypatch.setenv("DATABASE_URL", world_db.url)
    browser.hold(open_session(world_db.engine, "ana.admin"))  # the reader checks the session
    f = reports.ReportFilter(WORLD_UNTIL - timedelta(days=365), WORLD_UNTIL)
    target = reports.DrillTarget("bounced", bounce_type="hard")
    with world_db.engine.connect() as conn:
        _, total = reports.affected_contacts(conn, f, event="bounced", bounce_type="hard")
    read_all = data.affected_reader(f, target, report_view.EXPORT_LIMIT)
    # The download button reads in a thread of its own, with no Streamlit run around it.
    with ThreadPoolExecutor(1) as pool:
        everything = pool.submit(read_all).result()
    assert everything.height == total
    base = "https://rastro.example.org"
    csv = report_view.export_csv(everything, load_settings({}), "es", base).decode()
    lines = csv.splitlines()
    assert lines[0] == "Nombre,Correo,Último aviso,Avisos,Estado,Motivo del bloqueo,Ficha"
    assert len(lines) == total + 1 > 26  # more than one page of the table
    assert {line.rsplit(",", 1)[1] for line in lines[1:]} == {
        f"{base}/?contacto={i}" for i in everything["contact_id"]
    }
    read = pl.read_csv(csv.encode(), infer_schema=False)
    # ISO 8601 with the offset of the time zone (Mexico City: -06:00 since 2022)
    assert read["Último aviso"].str.contains(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-06:00$").all()
    # the status and reason of each contact are those of contact_status
    with world_db.engine.connect() as conn:
        statuses = dict(
            conn.execute(
                sa.select(schema.contact_status.c.contact_id, schema.contact_status.c.reason)
            ).all()
        )
    ids = read["Ficha"].str.extract(r"contacto=(\d+)").cast(pl.Int64)
    for contact_id, status, reason in zip(
        ids, read["Estado"], read["Motivo del bloqueo"], strict=True
    ):
        want = statuses.get(contact_id)
        assert status == ("Bloqueado" if want else "Se puede enviar")
        assert reason == (t(f"reason.{want}", "es") if want else None)
    assert set(read["Estado"]) == {"Bloqueado"}  # a hard bounce blocks, for ever


def test_every_campaign_chosen_is_all_campaigns_and_leaves_the_url(page, world_db):
    with world_db.engine.connect() as conn:
        listed = reports.campaign_list(conn)["campaign_id"].to_list()
    page.query_params.update({"campanas": ",".join(str(i) for i in listed)})
    page.run()
    assert not page.exception
    assert page.multiselect(key="campanas").value == []
    assert "campanas" not in page.query_params
    assert page.multiselect(key="campanas").placeholder.startswith("Todas las campañas")
    some = listed[:2]
    page.multiselect(key="campanas").set_value(some).run()
    assert page.query_params.get("campanas") in (
        ",".join(map(str, some)),
        [",".join(map(str, some))],
    )
    page.multiselect(key="campanas").set_value(listed).run()
    assert page.multiselect(key="campanas").value == []
    assert "campanas" not in page.query_params


def test_the_campaign_ranking_states_its_minimum(page, world_db):
    start, end = WORLD_UNTIL - timedelta(days=89), WORLD_UNTIL
    page.query_params.update({"desde": start.isoformat(), "hasta": end.isoformat()})
    page.run()
    assert not page.exception
    with world_db.engine.connect() as conn:
        rep = reports.report(conn, reports.ReportFilter(start, end))
    assert rep.campaigns_below_min > 0  # the world has flows with few sends
    note = next(c.value for c in page.caption if c.value.startswith("Solo campañas y flujos"))
    assert "al menos 100 envíos" in note and f"({rep.campaigns_below_min} con menos" in note


def test_the_page_says_whose_days_it_counts(world_db, make_app):
    """The world's rollups count UTC days: with the card in UTC too the page just says so;
    with the card in Mexico City it says that they differ and how to make them agree."""
    same = make_app(world_db, PAGE, user="ana.admin", RASTRO_TIMEZONE="UTC")
    same.run()
    assert not same.exception
    assert any(c.value.startswith("Días del calendario de UTC") for c in same.caption)
    assert not same.warning
    other = make_app(world_db, PAGE, user="ana.admin", RASTRO_TIMEZONE="America/Mexico_City")
    other.run()
    warning = other.warning[0].value
    shown = shown_text(warning)
    assert "cuentan los días de UTC" in shown and "en America/Mexico_City" in shown
    # the command as one code span, exactly as it is typed (no escapes inside backticks)
    assert "`python -m data_access rollups rebuild --timezone America/Mexico_City`" in warning


def test_an_absurd_range_from_the_url_is_cut_to_the_days_with_data(page, world_db):
    # (Streamlit itself ignores dates beyond ten years of today: these are within.)
    page.query_params.update({"desde": "2017-01-01", "hasta": "2035-12-31"})
    page.run()
    assert not page.exception
    with world_db.engine.connect() as conn:
        first, last = reports.data_days(conn)
    said = [c.value for c in page.caption if "Solo hay datos del" in c.value]
    assert said == [
        f"Solo hay datos del {format_day(first)} al {format_day(last)}: el informe muestra "
        "esos días."
    ]


def test_a_range_inside_the_data_is_not_cut(page):
    day = (WORLD_UNTIL - timedelta(days=5)).isoformat()
    page.query_params.update({"desde": day, "hasta": day})
    page.run()
    assert not page.exception
    assert not [c.value for c in page.caption if "Solo hay datos del" in c.value]
