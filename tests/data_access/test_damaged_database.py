"""A damaged SQLite file (not a database, truncated, a table page overwritten) and a URL with
no dialect: every command says in one Spanish line which file or URL and what to do, never a
traceback; the data layer raises DatabaseUnavailable with a catalogue key for the app."""

import os
import sqlite3
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from dashboard import i18n
from data_access import DatabaseUnavailable, bootstrap, demo, migrate, users
from data_access.cli import main
from data_access.engine import make_engine

DAMAGED = "está dañado o no es una base de datos SQLite"


def _with_data(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    demo.load(engine, demo.generate(60, seed=2, until=date(2026, 11, 26)))
    with engine.begin() as conn:  # someone who may open the app's data pages
        users.add_user(
            conn, "ana.admin", display_name="Ana", role="admin", password="una-contraseña-larga"
        )
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file
    engine.dispose()


def not_a_database(path: Path) -> Path:
    path.write_bytes(b"esto no es una base de datos\n" * 400)
    return path


def truncated(path: Path) -> Path:
    _with_data(path)
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)  # a copy cut short
    return path


def events_page_overwritten(path: Path) -> Path:
    """Opens fine (its schema is intact) and fails when the events are read."""
    _with_data(path)
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        root = conn.exec_driver_sql(
            "SELECT rootpage FROM sqlite_master WHERE name = 'email_events'"
        ).scalar_one()
        page = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
    engine.dispose()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page)
        handle.write(b"\xff" * page)
    return path


@pytest.fixture(params=[not_a_database, truncated])
def unopenable(request, tmp_path):
    return request.param(tmp_path / "rastro.sqlite3")


def commands(tmp_path: Path) -> list[list[str]]:
    events = tmp_path / "eventos.csv"
    events.write_text("occurred_at,email,event\n2026-05-01T10:00:00Z,ana@example.com,sent\n")
    return [
        ["db", "upgrade"],
        ["db", "current"],
        ["demo", "--contacts", "5"],
        ["users", "add", "ana", "--name", "Ana", "--role", "admin", "--password-stdin"],
        ["users", "set-password", "ana", "--password-stdin"],
        ["users", "disable", "ana"],
        ["users", "enable", "ana"],
        ["users", "list"],
        ["audit"],
        ["import", "--provider", "csv", "--origin", "campaign", str(events)],
        ["quarantine"],
        ["rollups", "rebuild"],
        ["webhooks", "work", "--once"],
        ["webhooks", "status"],
    ]


def run(args: list[str], path: Path):
    # catch_exceptions=False: an exception the command let through fails the test here
    return CliRunner().invoke(
        main,
        [*args, "--database", f"sqlite:///{path}"],
        input="una-contraseña-larga\n",
        catch_exceptions=False,
    )


def test_every_command_names_the_damaged_file_and_what_to_do(unopenable, tmp_path):
    before = unopenable.read_bytes()
    for args in commands(tmp_path):
        done = run(args, unopenable)
        assert done.exit_code == 1, (args, done.output)
        assert done.output.startswith(f"Error: El archivo de la base de datos {unopenable} "), args
        assert DAMAGED in done.output and "copia de seguridad" in done.output, args
        assert "Traceback" not in done.output
    assert unopenable.read_bytes() == before  # nothing tried to repair or overwrite it


def test_a_table_found_damaged_while_reading_it_gives_the_same_message(tmp_path):
    path = events_page_overwritten(tmp_path / "rastro.sqlite3")
    assert run(["db", "current"], path).exit_code == 0  # it opens
    for args in (commands(tmp_path)[9], ["rollups", "rebuild"]):  # they read the events
        done = run(args, path)
        assert done.exit_code == 1, (args, done.output)
        assert f"El archivo de la base de datos {path} {DAMAGED}" in done.output, args
        assert "database disk image is malformed" in done.output


def test_opening_it_raises_database_unavailable_with_its_catalogue_key(unopenable):
    with pytest.raises(DatabaseUnavailable) as caught:
        bootstrap.open_database(f"sqlite:///{unopenable}")
    error = caught.value
    assert error.key == "corrupt"
    assert error.params["database"] == str(unopenable)
    assert error.params["detail"] in ("file is not a database", "database disk image is malformed")
    assert i18n.t("error.database.corrupt", "es", **error.params) == str(error)
    english = i18n.t("error.database.corrupt", "en", **error.params)
    assert english.startswith(f"The database file {unopenable} is damaged")


def test_an_empty_file_is_a_new_database_not_a_damaged_one(tmp_path):
    path = tmp_path / "vacia.sqlite3"
    path.touch()
    engine = bootstrap.open_database(f"sqlite:///{path}")
    assert migrate.is_up_to_date(engine)
    engine.dispose()


@pytest.mark.parametrize(
    "url, where",
    [
        ("mysqlx://ana:secreta@servidor/rastro", "mysqlx://ana:***@servidor/rastro"),
        ("sqlite3:///var/rastro.db", "sqlite3:///var/rastro.db"),
        ("esto-no-es-una-url", "esto-no-es-una-url"),
    ],
)
def test_a_url_without_a_dialect_is_refused_in_spanish_without_its_password(url, where):
    with pytest.raises(DatabaseUnavailable) as caught:
        make_engine(url)
    error = caught.value
    assert error.key == "url"
    assert error.params["where"] == where
    assert "secreta" not in str(error)
    assert str(error).startswith(f"URL de base de datos no válida: {where} (")
    assert i18n.t("error.database.url", "es", **error.params) == str(error)
    assert i18n.t("error.database.url", "en", **error.params).startswith("Invalid database URL")
    done = CliRunner().invoke(main, ["db", "current", "--database", url], catch_exceptions=False)
    assert done.exit_code == 1 and f"URL de base de datos no válida: {where}" in done.output


def test_the_fixtures_really_are_damaged(tmp_path):
    # the files above are what they claim: sqlite3 itself cannot read them
    for make in (not_a_database, truncated):
        path = make(tmp_path / f"{make.__name__}.sqlite3")
        with pytest.raises(sqlite3.DatabaseError):
            sqlite3.connect(path).execute("SELECT count(*) FROM sqlite_master").fetchall()
    assert os.path.getsize(tmp_path / "truncated.sqlite3") > 0
