"""Alembic environment: run by ``ogi.corpus.database.migrate`` with an open connection (no alembic.ini needed)."""

from alembic import context

from ogi.corpus.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
)
with context.begin_transaction():
    context.run_migrations()
