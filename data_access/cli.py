"""The command line: `python -m data_access ...` (click). Messages are in Spanish.

Every command takes `--database URL`; without it, `DATABASE_URL`, then the embedded SQLite file.
"""

import functools
import time
from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from . import demo as demo_world
from . import migrate
from .config import resolve_url
from .engine import DatabaseUnavailable, check_connection, make_engine

database_option = click.option(
    "--database",
    "database",
    metavar="URL",
    default=None,
    help="URL de la base de datos (por defecto DATABASE_URL o el SQLite integrado).",
)


def _friendly_errors(command):
    """Turn the failures a user can cause into one clear line instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DatabaseUnavailable as error:
            raise click.ClickException(str(error)) from error
        except sa.exc.ArgumentError as error:
            raise click.ClickException(f"URL de base de datos no válida: {error}") from error
        except sa.exc.OperationalError as error:
            raise click.ClickException(f"Error de la base de datos: {error.orig}") from error

    return wrapper


def _engine(database: str | None) -> sa.Engine:
    engine = make_engine(resolve_url(database))
    check_connection(engine)
    return engine


def database_size(engine: sa.Engine) -> int:
    """Bytes the database takes on disk (SQLite: file plus WAL)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
    path = Path(make_url(engine.url).database)
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


@click.group(help="Rastro: capa de datos (esquema, migraciones, datos de demostración).")
def main():
    pass


@main.group(help="Esquema de la base de datos.")
def db():
    pass


@db.command("upgrade", help="Crea o actualiza el esquema (migraciones de Alembic).")
@database_option
@_friendly_errors
def db_upgrade(database):
    engine = _engine(database)
    migrate.upgrade(engine)
    click.echo(f"Esquema al día (revisión {migrate.current_revision(engine)}).")


@db.command("current", help="Muestra la revisión del esquema de la base de datos.")
@database_option
@_friendly_errors
def db_current(database):
    engine = _engine(database)
    current = migrate.current_revision(engine)
    head = migrate.head_revision()
    if current is None:
        click.echo(f"Base de datos sin esquema; la última revisión es {head}.")
    elif current == head:
        click.echo(f"Revisión {current} (al día).")
    else:
        click.echo(f"Revisión {current}; pendiente actualizar a {head} (db upgrade).")


@main.command(help="Construye el mundo de demostración (contactos, campañas, flujos y eventos).")
@click.option("--contacts", type=click.IntRange(min=1), default=demo_world.DEFAULT_CONTACTS,
              show_default=True, help="Número de contactos.")
@click.option("--seed", type=int, default=demo_world.DEFAULT_SEED, show_default=True,
              help="Semilla: la misma semilla y fecha dan el mismo mundo.")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Fin del año simulado (AAAA-MM-DD); por defecto, hoy.")
@click.option("--replace", is_flag=True, help="Sustituye los datos que ya tenga la base de datos.")
@database_option
@_friendly_errors
def demo(contacts, seed, until, replace, database):
    engine = _engine(database)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        if not replace and not demo_world.is_empty(conn):
            raise click.ClickException(
                "La base de datos ya tiene contactos; usa --replace para sustituirlos."
            )
    started = time.perf_counter()
    until_date: date | None = until.date() if until else None
    world = demo_world.generate(contacts, seed=seed, until=until_date)
    generated = time.perf_counter()
    click.echo(
        f"Generado: {world.contacts.height:,} contactos, {world.campaigns.height} campañas y "
        f"flujos, {world.events.height:,} eventos en {generated - started:.1f} s."
    )
    demo_world.load(engine, world, replace=replace)
    loaded = time.perf_counter()
    size = database_size(engine) / 1024**2
    click.echo(
        f"Cargado en {loaded - generated:.1f} s ({engine.dialect.name}); "
        f"total {loaded - started:.1f} s; tamaño de la base de datos {size:,.1f} MiB."
    )
