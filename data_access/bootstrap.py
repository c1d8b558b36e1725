"""Opening the database the way the dashboard and the notebooks do.

`open_database()` resolves the URL, checks that the server answers, applies pending migrations
(the same code as `python -m data_access db upgrade`) and, for the embedded default only, fills
a new database with the demo world so that a fresh clone shows something on first start.

The embedded demo also needs someone who may look at it. There is no default password: when
it has no users, an administrator `admin` is created with a random password that is printed
once in the terminal (as Jupyter prints its token). Change it with
`python -m data_access users set-password admin`.
"""

import secrets
import sys

import sqlalchemy as sa

from . import demo, migrate, users, vocab
from .config import DEFAULT_TIMEZONE, configured_timezone, is_embedded, resolve_url
from .engine import check_connection, make_engine


def open_database(
    url: str | None = None, *, demo_contacts: int = demo.DEFAULT_CONTACTS
) -> sa.Engine:
    """An Engine on an up-to-date database (raises DatabaseUnavailable if it cannot be reached)."""
    url = resolve_url(url)
    engine = make_engine(url)
    check_connection(engine)
    migrate.upgrade(engine)
    if is_embedded(url):
        with engine.connect() as conn:
            empty = demo.is_empty(conn)
        if empty:  # report days in the card's time zone, as configured
            zone = configured_timezone() or DEFAULT_TIMEZONE
            demo.load(engine, demo.generate(demo_contacts), timezone=zone)
        password = ensure_first_admin(engine)
        if password:
            print(
                "\n  Rastro (base de datos de demostración): se ha creado el administrador\n"
                f"      usuario: {FIRST_ADMIN}\n      contraseña: {password}\n"
                "  Se muestra solo esta vez; cámbiala con:\n"
                f"      python -m data_access users set-password {FIRST_ADMIN}\n",
                file=sys.stderr,
                flush=True,
            )
    return engine


FIRST_ADMIN = "admin"


def ensure_first_admin(engine: sa.Engine) -> str | None:
    """Create `admin` with a random password when there are no users; return that password."""
    with engine.begin() as conn:
        if users.count_users(conn):
            return None
        password = secrets.token_urlsafe(12)
        users.add_user(
            conn, FIRST_ADMIN, display_name="Administrador", role=vocab.ADMIN, password=password
        )
        return password
