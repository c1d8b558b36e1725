"""`python -m data_access contacts import`, on both engines: the reconciliation line, refused
files and the exit code."""

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from data_access import schema
from data_access.cli import main
from data_access.engine import make_engine


@pytest.fixture(params=("sqlite", "postgresql"))
def url(request, databases):
    return databases.url(request.param)


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_contacts_import_prints_the_reconciliation_of_each_file(url, tmp_path):
    first = tmp_path / "crm.csv"
    first.write_text(
        "email,name,crm_id\nana@example.com,Ana,C-1\n,Sin correo,\nluis@example.com,Luis,C-2\n",
        encoding="utf-8",
    )
    second = tmp_path / "crm2.csv"
    second.write_text("email,name\nana@example.com,Ana María\n", encoding="utf-8")
    done = run("contacts", "import", str(first), str(second), "--database", url)
    assert done.exit_code == 0, done.output
    assert (
        "crm.csv: recibidos 3 = creados 2 + actualizados 0 + sin cambios 0 + en cuarentena 1"
        in done.output
    )
    assert (
        "crm2.csv: recibidos 1 = creados 0 + actualizados 1 + sin cambios 0 + en cuarentena 0"
        in done.output
    )
    engine = make_engine(url)
    with engine.connect() as conn:
        c = schema.contacts.c
        names = dict(conn.execute(sa.select(c.email, c.name)).all())
    engine.dispose()
    assert names == {"ana@example.com": "Ana María", "luis@example.com": "Luis"}
    listed = run("quarantine", "--database", url)
    assert "crm_contacts crm.csv#3: falta la dirección de correo (email)" in listed.output


def test_a_refused_file_says_why_and_the_others_are_imported(url, tmp_path):
    wrong = tmp_path / "eventos.csv"
    wrong.write_text("occurred_at,email,event\n2026-01-01,a@b.com,delivered\n", encoding="utf-8")
    good = tmp_path / "crm.csv"
    good.write_text("email\nana@example.com\n", encoding="utf-8")
    missing = tmp_path / "no-existe.csv"
    done = CliRunner().invoke(
        main, ["contacts", "import", str(wrong), str(good), str(missing), "--database", url]
    )
    assert done.exit_code == 1
    assert "eventos.csv: no se importó nada: Columnas desconocidas: occurred_at, event" in (
        done.output
    )
    assert "no-existe.csv: no se importó nada: No se puede leer" in done.output
    assert "crm.csv: recibidos 1 = creados 1" in done.output
    assert "Traceback" not in done.output
