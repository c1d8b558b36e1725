"""Opening the database the way the dashboard and the notebooks do.

`open_database()` resolves the URL, checks that the server answers, applies pending migrations
(the same code as `python -m data_access db upgrade`) and, for the embedded default only, fills
a new database with the demo world so that a fresh clone shows something on first start.
"""

import sqlalchemy as sa

from . import demo, migrate
from .config import is_embedded, resolve_url
from .engine import check_connection, make_engine


def open_database(url: str | None = None, *, demo_contacts: int = demo.DEFAULT_CONTACTS) -> sa.Engine:
    """An Engine on an up-to-date database (raises DatabaseUnavailable if it cannot be reached)."""
    url = resolve_url(url)
    engine = make_engine(url)
    check_connection(engine)
    migrate.upgrade(engine)
    if is_embedded(url):
        with engine.connect() as conn:
            empty = demo.is_empty(conn)
        if empty:
            demo.load(engine, demo.generate(demo_contacts))
    return engine
