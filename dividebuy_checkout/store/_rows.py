"""Small helpers the SQL repositories share: UTC times and batched ``IN (…)`` lists."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Row, Table, select

#: how many ids go into one ``IN (…)``: well under every database's parameter limit
IN_BATCH = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives back naive ones; all are UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def batches(items: Sequence[str]) -> Iterator[Sequence[str]]:
    """*items* in slices of at most :data:`IN_BATCH`."""
    for start in range(0, len(items), IN_BATCH):
        yield items[start : start + IN_BATCH]


def rows_in(
    conn: Connection,
    table: Table,
    column: Column[Any],
    ids: Sequence[str],
    *,
    lock: bool = False,
    order_by: Column[Any] | None = None,
) -> list[Row[Any]]:
    """Rows of *table* whose *column* is one of *ids*: one query per :data:`IN_BATCH` ids.

    *lock* takes ``SELECT … FOR UPDATE`` (a no-op on SQLite, whose transaction
    already holds the write lock).
    """
    found: list[Row[Any]] = []
    for batch in batches(list(ids)):
        query = select(table).where(column.in_(batch))
        if order_by is not None:
            query = query.order_by(order_by)
        if lock:
            query = query.with_for_update()
        found.extend(conn.execute(query).all())
    return found
