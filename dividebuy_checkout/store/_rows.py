"""Small helpers the SQL repositories share: UTC times and batched ``IN (…)`` lists."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

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
