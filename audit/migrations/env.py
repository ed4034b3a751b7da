"""Alembic environment of the audit tables: runs on the connection :func:`audit.pg_store.upgrade` passes."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=context.config.attributes["version_table"])
with context.begin_transaction():
    context.run_migrations()
