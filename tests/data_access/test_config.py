"""Where the database is, and how the app opens it."""

import subprocess
import sys

import sqlalchemy as sa

import data_access as da
from data_access import bootstrap, config, demo, migrate, schema, users


def test_explicit_url_wins_then_environment_then_embedded(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert config.resolve_url("sqlite:///x.db") == "sqlite:///x.db"
    assert config.resolve_url() == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("DATABASE_URL")
    assert config.resolve_url() == config.embedded_url()
    assert config.EMBEDDED_PATH.is_relative_to(config.PROJECT_DIR)


def test_postgres_urls_get_the_psycopg_driver():
    assert config.normalise_url("postgres://a@b/c") == "postgresql+psycopg://a@b/c"
    assert config.normalise_url("postgresql+psycopg://a@b/c") == "postgresql+psycopg://a@b/c"


def test_embedded_database_is_git_ignored():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(config.EMBEDDED_PATH)], cwd=config.PROJECT_DIR
    )
    assert ignored.returncode == 0


def test_open_database_creates_and_fills_the_embedded_default(tmp_path, monkeypatch, capsys):
    path = tmp_path / "var" / "rastro.sqlite3"
    monkeypatch.setattr(config, "EMBEDDED_PATH", path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    engine = bootstrap.open_database(demo_contacts=50)
    assert path.exists()
    # no default password: a random one for "admin", printed once
    printed = capsys.readouterr().err
    password = printed.split("contraseña: ")[1].split()[0]
    assert len(password) >= 16
    with engine.begin() as conn:
        assert users.authenticate(conn, "admin", password).outcome == users.OK
    bootstrap.open_database(demo_contacts=50)
    assert "contraseña" not in capsys.readouterr().err
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(schema.contacts)).scalar_one()
    assert count == 50
    # a second start keeps what is there
    bootstrap.open_database(demo_contacts=80)
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(schema.contacts)).scalar_one() == 50
        )


def test_open_database_only_migrates_a_configured_database(databases):
    url = databases.url("postgresql")
    engine = bootstrap.open_database(url)
    assert migrate.is_up_to_date(engine)
    with engine.connect() as conn:
        assert demo.is_empty(conn)
        assert users.count_users(conn) == 0  # production databases get no automatic account
    engine.dispose()


def test_open_database_reports_an_unreachable_server_in_spanish():
    try:
        bootstrap.open_database("postgresql://nadie@127.0.0.1:1/nada")
    except da.DatabaseUnavailable as error:
        assert "No se puede conectar con la base de datos" in str(error)
    else:
        raise AssertionError("an unreachable server must raise DatabaseUnavailable")


def test_packages_import_from_any_folder(tmp_path):
    code = "import data_access, dashboard; print(data_access.search_contacts.__name__)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "search_contacts"


def test_two_openings_at_once_build_one_demo_and_one_administrator(tmp_path, monkeypatch):
    """The dashboard's page and its webhook worker open a new embedded file at the same moment:
    one demo world, one first administrator, no error, and the waiting one is told the steps
    of the other."""
    import threading

    path = tmp_path / "var" / "rastro.sqlite3"
    monkeypatch.setattr(config, "EMBEDDED_PATH", path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    steps: dict[int, list[str]] = {0: [], 1: []}
    errors = []
    barrier = threading.Barrier(2)

    def start(n):
        barrier.wait()
        try:
            bootstrap.open_database(
                demo_contacts=300, progress=lambda step, values: steps[n].append(step)
            )
        except Exception as error:  # the test fails on it below
            errors.append(error)

    threads = [threading.Thread(target=start, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = bootstrap.open_database()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.contacts)).scalar() == 300
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.users)).scalar() == 1
    # both were told the demo was being built (one by doing it, one while it waited)
    assert all("demo_load" in told for told in steps.values())
