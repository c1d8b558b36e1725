"""`python -m data_access`: db upgrade / current and demo, on both engines, and its errors."""

import subprocess
import sys

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from data_access import migrate, schema
from data_access.cli import main


@pytest.fixture(params=("sqlite", "postgresql"))
def url(request, databases):
    return databases.url(request.param)


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_db_upgrade_and_current(url):
    before = run("db", "current", "--database", url)
    assert before.exit_code == 0 and "sin esquema" in before.output
    done = run("db", "upgrade", "--database", url)
    assert done.exit_code == 0, done.output
    head = migrate.head_revision()
    assert f"Esquema al día (revisión {head})" in done.output
    after = run("db", "current", "--database", url)
    assert f"Revisión {head} (al día)" in after.output


def test_demo_builds_a_world_and_reports_time_and_size(url):
    done = run(
        "demo", "--contacts", "40", "--seed", "3", "--until", "2026-11-26", "--database", url
    )
    assert done.exit_code == 0, done.output
    assert "40 contactos" in done.output and "MiB" in done.output
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.contacts)).scalar() == 40
    engine.dispose()
    again = run("demo", "--contacts", "40", "--database", url)
    assert again.exit_code == 1 and "--replace" in again.output
    replaced = run("demo", "--contacts", "15", "--replace", "--database", url)
    assert replaced.exit_code == 0, replaced.output


def test_database_url_comes_from_the_environment(databases, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", databases.url("sqlite"))
    done = run("db", "upgrade")
    assert done.exit_code == 0 and f"revisión {migrate.head_revision()}" in done.output


@pytest.mark.parametrize(
    "database, message",
    [
        ("postgresql://nadie@127.0.0.1:1/nada", "No se puede conectar con la base de datos"),
        ("esto-no-es-una-url", "URL de base de datos no válida"),
        ("sqlite:////proc/no/se/puede/crear.db", "No se puede crear la carpeta"),
    ],
)
def test_bad_database_gives_one_clear_line(database, message):
    done = CliRunner().invoke(main, ["db", "upgrade", "--database", database])
    assert done.exit_code == 1
    assert message in done.output
    assert "Traceback" not in done.output


def test_bad_arguments_are_refused_before_anything_is_written(url):
    for args in (["--contacts", "0"], ["--contacts", "muchos"], ["--until", "2026-13-45"]):
        done = CliRunner().invoke(main, ["demo", *args, "--database", url])
        assert done.exit_code == 2, args
    assert "sin esquema" in run("db", "current", "--database", url).output


def test_module_entry_point_shows_help():
    done = subprocess.run(
        [sys.executable, "-m", "data_access", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "demo" in done.stdout and "db" in done.stdout
