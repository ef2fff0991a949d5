"""Alembic's environment for the store's migrations (run by :mod:`dividebuy_checkout.store.schema`).

The connection is always handed in by :mod:`~dividebuy_checkout.store.schema` (the caller's
engine), so there is no URL or logging setup here: the package never reads an ``alembic.ini``.
"""

from __future__ import annotations

from alembic import context

from dividebuy_checkout.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place: batch mode copies the table instead
    render_as_batch=True,
    compare_type=True,
    compare_server_default=True,
)
with context.begin_transaction():
    context.run_migrations()
