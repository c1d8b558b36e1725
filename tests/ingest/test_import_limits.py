"""The size limit of an import (RASTRO_MAX_IMPORT_MB): a bigger file, or an endless stream such
as /dev/zero, is refused whole with a Spanish message, without reading more than the limit;
a file within it is imported."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from data_access import ingest, schema
from data_access.cli import main
from data_access.ingest import limits

HEADER = b"occurred_at,email,event,origin\n"
ROW = b"2026-05-01T10:00:00Z,ana@example.com,delivered,campaign\n"


@pytest.fixture
def sqlite_url(databases):
    url = databases.url("sqlite")
    assert CliRunner().invoke(main, ["db", "upgrade", "--database", url]).exit_code == 0
    return url


def stored(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(schema.email_events)).scalar()
    engine.dispose()
    return count


def test_the_default_limit_is_512_megabytes(monkeypatch):
    monkeypatch.delenv(limits.MAX_IMPORT_MB, raising=False)
    assert limits.max_import_bytes() == 512 * 2**20


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_an_endless_stream_is_refused_by_the_cli(sqlite_url, monkeypatch):
    monkeypatch.setenv(limits.MAX_IMPORT_MB, "1")
    done = CliRunner().invoke(
        main, ["import", "--provider", "csv", "/dev/zero", "--database", sqlite_url]
    )
    assert done.exit_code == 1
    assert (
        "/dev/zero: no se importó nada: El archivo pasa de 1 MB, el máximo que se importa. "
        "Divídelo en archivos más pequeños o sube RASTRO_MAX_IMPORT_MB."
    ) in done.output
    assert stored(sqlite_url) == 0


@pytest.mark.parametrize("extra_rows, refused", [(0, False), (1, True)])
def test_a_file_at_the_limit_is_imported_and_one_byte_more_is_not(
    sqlite_url, tmp_path, monkeypatch, extra_rows, refused
):
    content = HEADER + ROW * 20
    monkeypatch.setenv(limits.MAX_IMPORT_MB, repr(len(content) / 2**20))
    assert limits.max_import_bytes() == len(content)
    path = tmp_path / "eventos.csv"
    path.write_bytes(content + b"x" * extra_rows)
    done = CliRunner().invoke(
        main, ["import", "--provider", "csv", str(path), "--database", sqlite_url]
    )
    if refused:
        assert done.exit_code == 1
        assert "eventos.csv: no se importó nada: El archivo pasa de" in done.output
        assert stored(sqlite_url) == 0
    else:
        assert done.exit_code == 0, done.output
        assert stored(sqlite_url) == 1  # 20 copies of one event


def test_a_big_regular_file_is_refused_by_its_size_without_reading_it(tmp_path, monkeypatch):
    monkeypatch.setenv(limits.MAX_IMPORT_MB, "1")
    path = tmp_path / "enorme.json"
    with path.open("wb") as handle:
        handle.truncate(3 * 2**20)  # sparse: 3 MB that take no room
    with path.open("rb") as handle:
        assert ingest._read_at_most(handle, 2**20) is None
        assert handle.tell() == 0
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_file(None, "sendgrid", path)
    assert refused.value.key == "too_large"
    assert refused.value.params == {
        "megabytes": "1",
        "name": "RASTRO_MAX_IMPORT_MB",
    }


def test_content_over_the_limit_is_refused_before_it_is_parsed(monkeypatch):
    monkeypatch.setenv(limits.MAX_IMPORT_MB, "0.5")
    with pytest.raises(ingest.ImportRefused, match=r"^El archivo pasa de 0\.5 MB"):
        ingest.import_bytes(None, "csv", b"x" * (2**19 + 1), source="subida.csv")


@pytest.mark.parametrize("value", ["mucho", "0", "-3", "nan", "inf"])
def test_a_bad_limit_refuses_the_import_with_a_clear_message(monkeypatch, value):
    monkeypatch.setenv(limits.MAX_IMPORT_MB, value)
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_bytes(None, "csv", HEADER + ROW, source="a.csv")
    assert str(refused.value) == (
        f"RASTRO_MAX_IMPORT_MB debe ser un número mayor que 0 (vale «{value}»)."
    )
