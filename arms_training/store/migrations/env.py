"""Alembic's entry point for the store: always run on a connection the caller opened.

:func:`arms_training.store.schema.migrate` passes a connection already inside a transaction that
holds the migration lock, so every revision it applies commits together or not at all.
"""

from __future__ import annotations

from alembic import context

from arms_training.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "arms-training migrations run through arms_training.store.schema.migrate (or Store()), "
        "which passes the connection; offline SQL generation is not supported"
    )
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
