"""Alembic environment: runs on the connection handed in by `data_access.migrate`."""

from alembic import context

from data_access.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` run by hand takes this path
    raise RuntimeError("Use `python -m data_access db upgrade` to run the migrations.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
