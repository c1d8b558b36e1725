"""Schema migrations (Alembic), run programmatically: the app and the CLI share this path."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


# Revisions after which existing rows need data filled in by application code (the same code
# that fills new rows), run once when a database crosses them.
_BACKFILLS = {"0003": "rollups"}


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Create or update the database behind `engine` to `revision` (default: the newest)."""
    before = current_revision(engine)
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)
        after = MigrationContext.configure(connection).get_current_revision()
        if before is not None and after is not None:
            for mark, what in _BACKFILLS.items():
                if before < mark <= after and what == "rollups":
                    from . import rollups

                    rollups.backfill(connection)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Undo migrations down to `revision` (\"base\" removes the whole schema)."""
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def is_up_to_date(engine: sa.Engine) -> bool:
    return current_revision(engine) == head_revision()
