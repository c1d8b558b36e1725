"""Every notebook in notebooks/ runs top to bottom in a fresh kernel against a small demo
database and produces its key result; none is committed with outputs."""

import re
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from data_access import demo, migrate, schema
from data_access.engine import make_engine
from data_access.status import refresh_contact_status
from tests.conftest import WORLD_UNTIL

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# What each notebook must print last ("Resultado: ..."); a new notebook needs only to print a
# line that starts with "Resultado:".
EXPECTED = {
    "01_rebotes.ipynb": r"Resultado: [1-9]\d* rebotes \(\d+ duros, \d+ suaves\) en [1-9]",
    "02_no_enviados_y_bloqueados.ipynb": r"Resultado: [1-9]\d* contactos bloqueados exportados",
    "03_un_contacto.ipynb": r"Resultado: contacto \d+, [1-9]\d* correos, ",
}
FORMULA_NAME = "=HYPERLINK(1)"


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_hold_no_outputs(path):
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('nb') / 'demo.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    demo.load(engine, demo.generate(800, seed=9, until=WORLD_UNTIL))
    with engine.begin() as conn:  # a blocked contact whose name a spreadsheet would run
        contact_id = conn.execute(
            schema.contacts.insert().returning(schema.contacts.c.id),
            {
                "name": FORMULA_NAME,
                "email": "sin arroba",
                "name_key": "x",
                "email_key": "sin arroba",
                "created_at": datetime(2026, 1, 5, tzinfo=UTC),
            },
        ).scalar_one()
        refresh_contact_status(conn, [contact_id])
    engine.dispose()
    return url


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_produces_its_result(path, demo_database, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_database)
    monkeypatch.setenv("RASTRO_HASTA", "2026-11-25")
    monkeypatch.setenv("RASTRO_CSV", str(tmp_path / "salida.csv"))
    book = nbformat.read(path, as_version=4)
    NotebookClient(
        book, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    printed = "".join(
        output.get("text", "")
        for cell in book.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )
    assert "Resultado:" in printed, printed
    pattern = EXPECTED.get(path.name, r"Resultado: ")
    assert re.search(pattern, printed), printed
    if path.name.startswith("02_"):
        lines = (tmp_path / "salida.csv").read_text().splitlines()
        assert lines[0].startswith("contact_id,name,email,reason,since") and len(lines) > 1
        assert any(line.split(",")[1] == "'" + FORMULA_NAME for line in lines)
