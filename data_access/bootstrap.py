"""Opening the database the way the dashboard and the notebooks do.

`open_database()` resolves the URL, checks that the server answers, applies pending migrations
(the same code as `python -m data_access db upgrade`) and, for the embedded default only, fills
a new database with the demo world so that a fresh clone shows something on first start.

The embedded demo also needs someone who may look at it. There is no default password: when
it has no users, an administrator `admin` is created with a random password that is printed
once in the terminal (as Jupyter prints its token). Change it with
`python -m data_access users set-password admin`.
"""

import queue
import secrets
import sys
import threading
from collections.abc import Callable

import sqlalchemy as sa

from . import demo, migrate, users, vocab
from .config import DEFAULT_TIMEZONE, configured_timezone, is_embedded, resolve_url
from .engine import check_connection, make_engine

# The steps `open_database` reports to its `progress` callback, in order (the dashboard shows
# each one while the first start builds the demo world: dashboard/ui.py, "startup.<step>").
STEPS = ("connect", "migrate", "demo_generate", "demo_load", "admin")


def open_database(
    url: str | None = None,
    *,
    demo_contacts: int = demo.DEFAULT_CONTACTS,
    progress: Callable[[str, dict], None] | None = None,
) -> sa.Engine:
    """An Engine on an up-to-date database (raises DatabaseUnavailable if it cannot be reached).

    `progress(step, values)` is told each step of STEPS before it starts (the demo steps only
    when the embedded database is new), with the values a message about it needs."""
    url = resolve_url(url)
    report = progress or (lambda step, values: None)
    mine: queue.SimpleQueue = queue.SimpleQueue()
    _WAITING.append(mine)
    try:
        # Waiting for another opening: tell its steps here, in this thread.
        while not _OPENING.acquire(timeout=0.2):
            _drain(mine, report)
        try:
            _drain(mine, report)
            return _open(url, demo_contacts, _teller(mine, report))
        finally:
            _OPENING.release()
    finally:
        _WAITING.remove(mine)


# One opening at a time in a process: two at once on a new embedded file would both find it
# empty (two demo worlds) and both create the first administrator. Whoever holds the lock
# also queues its steps for every caller waiting for it, which tells them in its own thread
# (the page that started the server often waits while the webhook worker builds the demo).
_OPENING = threading.Lock()
_WAITING: list[queue.SimpleQueue] = []


def _teller(mine: queue.SimpleQueue, report: Callable[[str, dict], None]):
    def tell(step: str, values: dict) -> None:
        report(step, values)
        for other in list(_WAITING):
            if other is not mine:
                other.put((step, values))

    return tell


def _drain(told: queue.SimpleQueue, report: Callable[[str, dict], None]) -> None:
    while not told.empty():
        report(*told.get())


def _open(url: str, demo_contacts: int, report: Callable[[str, dict], None]) -> sa.Engine:
    engine = make_engine(url)
    report("connect", {})
    check_connection(engine)
    report("migrate", {})
    migrate.upgrade(engine)
    if is_embedded(url):
        with engine.connect() as conn:
            empty = demo.is_empty(conn)
        if empty:  # report days in the card's time zone, as configured
            zone = configured_timezone() or DEFAULT_TIMEZONE
            report("demo_generate", {"contacts": demo_contacts})
            world = demo.generate(demo_contacts)
            report("demo_load", {"events": world.events.height})
            demo.load(engine, world, timezone=zone)
        report("admin", {})
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
    """Create `admin` with a random password when there are no users; return that password.
    Another process that created it a moment before (a CLI command at the same time) wins: then
    None, and its password is the one printed."""
    try:
        with engine.begin() as conn:
            if users.count_users(conn):
                return None
            password = secrets.token_urlsafe(12)
            users.add_user(
                conn, FIRST_ADMIN, display_name="Administrador", role=vocab.ADMIN, password=password
            )
            return password
    except sa.exc.IntegrityError:
        return None
