"""``PlatformInbox``: shop-platform events recorded once, and status write-backs queued.

Two tables on the store's one ``metadata`` (:mod:`.tables`):

- ``dividebuy_platform_events`` (the *inbox*): one row per action a platform asked
  for (settle an order, refund it), unique per ``(platform, event_key)``, so a
  webhook delivered three times is recorded once. Rows move from ``received`` to
  ``done`` | ``ignored`` | ``deferred`` | ``rejected`` | ``failed`` | ``needs_operator``.
- ``dividebuy_platform_writes`` (the *outbox*): one row per ``(platform, order_id,
  trigger)``: a status to write back to the platform, ``pending`` → ``done`` |
  ``failed`` (retried) | ``gave_up`` | ``superseded`` (a later write for the order
  replaced it, so an old status is never written over a newer one).

Work is *claimed* before it is done: :meth:`PlatformInbox.claim_events` gives each
due row a lease (an owner token and an expiry) in one transaction, and only the
lease holder can finish it. Several hosts running ``events process`` at once
therefore do each row once; a host that dies mid-row leaves a lease that expires
and the row is picked up again. The claim is a ``SELECT`` of due ids followed by
a conditional ``UPDATE`` (``… AND (lease_until IS NULL OR lease_until < now)``):
SQLite's write lock serialises it; on PostgreSQL the conditional update is
re-checked on the locked row (``FOR UPDATE SKIP LOCKED`` on the ``SELECT``, see
:func:`_due_ids`, lets hosts skip each other's rows instead of waiting).

No request body is stored (platform bodies carry names and addresses); ``note``
and ``last_error`` hold operator sentences without personal data.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from sqlalchemy import Engine, Row, Table, and_, delete, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from ._rows import as_utc, utc_now
from .tables import platform_events, platform_writes

if TYPE_CHECKING:  # typing.Unpack for **kwargs is 3.12+; only the type checker needs it
    from typing_extensions import Unpack

__all__ = [
    "DUE_EVENT_STATUSES",
    "ClaimOptions",
    "EventStatus",
    "InboxEntry",
    "PlatformInbox",
    "RowFilter",
    "WriteEntry",
    "WriteStatus",
]

#: longest note kept (the column's size)
NOTE_LENGTH = 500


class EventStatus(StrEnum):
    """Where an inbox row is."""

    RECEIVED = "received"
    DONE = "done"
    IGNORED = "ignored"
    DEFERRED = "deferred"
    REJECTED = "rejected"
    FAILED = "failed"
    #: a refund whose outcome is unknown: an operator confirms it; never resent
    NEEDS_OPERATOR = "needs_operator"


#: rows ``events process`` picks up when their time has come
DUE_EVENT_STATUSES = (EventStatus.RECEIVED, EventStatus.FAILED, EventStatus.DEFERRED)
#: rows ``events purge`` may delete (finished for good)
PURGEABLE = (EventStatus.DONE, EventStatus.IGNORED, EventStatus.REJECTED)
#: rows ``events retry`` may put back in the queue (not needs_operator: never resent)
RETRYABLE = (EventStatus.FAILED, EventStatus.DEFERRED, EventStatus.REJECTED)


class WriteStatus(StrEnum):
    """Where an outbox row is."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    GAVE_UP = "gave_up"
    SUPERSEDED = "superseded"


DUE_WRITE_STATUSES = (WriteStatus.PENDING, WriteStatus.FAILED)


class ClaimOptions(TypedDict, total=False):
    """What :meth:`PlatformInbox.claim_events` and :meth:`~PlatformInbox.claim_writes` take:
    both queues are claimed the same way, so the options are spelled once."""

    #: how long the rows are held (default 5 minutes; after that another host may take them)
    lease: timedelta
    #: the most rows leased at once (default 50)
    limit: int
    #: only this platform's rows
    platform: str | None
    #: exactly these rows, if they are due
    ids: Sequence[int] | None
    #: the clock reading to compare with (default: now)
    now: datetime | None


class RowFilter(TypedDict, total=False):
    """What :meth:`PlatformInbox.events` and :meth:`~PlatformInbox.writes` filter on besides
    the status (both lists read the same way)."""

    platform: str | None
    order_id: str | None
    limit: int | None


@dataclass(frozen=True)
class InboxEntry:
    """One inbox row."""

    id: int
    platform: str
    event_key: str
    kind: str
    order_id: str
    status: EventStatus
    attempts: int
    next_attempt_at: datetime
    received_at: datetime
    updated_at: datetime
    amount: Decimal | None = None
    delivered_on: date | None = None
    platform_ref: str | None = None
    delivery_id: str | None = None
    note: str | None = None
    refund_id: int | None = None
    lease_owner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "event_key": self.event_key,
            "kind": self.kind,
            "order_id": self.order_id,
            "status": self.status.value,
            "attempts": self.attempts,
            "amount": None if self.amount is None else format(self.amount, "f"),
            "delivered_on": self.delivered_on.isoformat() if self.delivered_on else None,
            "note": self.note,
            "refund_id": self.refund_id,
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "received_at": self.received_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class WriteEntry:
    """One outbox row."""

    id: int
    platform: str
    order_id: str
    trigger: str
    value: str
    status: WriteStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    last_error: str | None = None
    lease_owner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "order_id": self.order_id,
            "trigger": self.trigger,
            "value": self.value,
            "status": self.status.value,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


#: columns kept as naive UTC by SQLite: read back as aware UTC (:func:`.as_utc`)
_TIMES = frozenset({"next_attempt_at", "received_at", "created_at", "updated_at"})
_Entry = TypeVar("_Entry", InboxEntry, WriteEntry)


def _entry(kind: type[_Entry], row: Row[Any]) -> _Entry:
    """*row* as an inbox or outbox entry: the dataclass's fields are the table's columns of
    the same names (one mapping for both queues, so a new column is added in one place)."""
    columns = row._mapping
    values: dict[str, Any] = {}
    for field in fields(kind):
        value = columns[field.name]
        values[field.name] = as_utc(value) if field.name in _TIMES else value
    values["status"] = (EventStatus if kind is InboxEntry else WriteStatus)(values["status"])
    return kind(**values)


def _event(row: Row[Any]) -> InboxEntry:
    return _entry(InboxEntry, row)


def _write(row: Row[Any]) -> WriteEntry:
    return _entry(WriteEntry, row)


def _short(text: str | None) -> str | None:
    return None if text is None else text[:NOTE_LENGTH]


def _lease_free(table: Table, now: datetime) -> Any:
    return or_(table.c.lease_until.is_(None), table.c.lease_until < now)


def _due_ids(
    conn: Any, table: Table, statuses: Sequence[str], now: datetime, limit: int, extra: Any
) -> list[int]:
    """Ids of due, unleased rows, oldest due first (locked and skipped where supported)."""
    query = (
        select(table.c.id)
        .where(
            table.c.status.in_(list(statuses)),
            table.c.next_attempt_at <= now,
            _lease_free(table, now),
            extra,
        )
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [row.id for row in conn.execute(query)]


class PlatformInbox:
    """The inbox and outbox tables on *engine* (the store's engine, upgraded by its migrations)."""

    def __init__(self, engine: Engine) -> None:
        # Tables come from the migrations (SqlStore.upgrade / `db upgrade`), never from here.
        self.engine = engine

    def __repr__(self) -> str:
        return f"PlatformInbox({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- inbox -------------------------------------------------------------------------------

    def record(
        self,
        platform: str,
        event_key: str,
        kind: str,
        order_id: str,
        *,
        amount: Decimal | None = None,
        delivered_on: date | None = None,
        platform_ref: str | None = None,
        delivery_id: str | None = None,
        note: str | None = None,
        now: datetime | None = None,
    ) -> InboxEntry | None:
        """Record an event; ``None`` when the platform already sent it (a duplicate)."""
        now = now or utc_now()
        values = {
            "platform": platform,
            "event_key": event_key,
            "delivery_id": delivery_id,
            "kind": kind,
            "order_id": order_id,
            "amount": amount,
            "delivered_on": delivered_on,
            "platform_ref": platform_ref,
            "status": EventStatus.RECEIVED.value,
            "attempts": 0,
            "next_attempt_at": now,
            "note": _short(note),
            "received_at": now,
            "updated_at": now,
        }
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(insert(platform_events).values(**values)).inserted_primary_key
        except IntegrityError:
            return None
        assert new_id is not None
        return self.event(int(new_id[0]))

    def event(self, event_id: int) -> InboxEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(platform_events).where(platform_events.c.id == event_id)
            ).first()
        return _event(row) if row else None

    def events(
        self, statuses: Sequence[EventStatus] | None = None, **filters: Unpack[RowFilter]
    ) -> list[InboxEntry]:
        """Rows, newest first, filtered by status, platform and order (:class:`RowFilter`)."""
        rows = self._rows(platform_events, platform_events.c.received_at, statuses, **filters)
        return [_event(row) for row in rows]

    def _rows(
        self,
        table: Table,
        newest: Any,
        statuses: Sequence[StrEnum] | None,
        *,
        platform: str | None = None,
        order_id: str | None = None,
        limit: int | None = None,
    ) -> list[Row[Any]]:
        query = select(table).order_by(newest.desc(), table.c.id.desc())
        if statuses:
            query = query.where(table.c.status.in_([s.value for s in statuses]))
        if platform:
            query = query.where(table.c.platform == platform)
        if order_id:
            query = query.where(table.c.order_id == order_id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return list(conn.execute(query).all())

    def _claim(
        self,
        table: Table,
        statuses: Sequence[StrEnum],
        *,
        lease: timedelta = timedelta(minutes=5),
        limit: int = 50,
        platform: str | None = None,
        ids: Sequence[int] | None = None,
        now: datetime | None = None,
    ) -> tuple[str, list[Row[Any]]]:
        """Lease up to *limit* due rows of *table* in one transaction; ``(owner, rows)``."""
        now = now or utc_now()
        owner = uuid.uuid4().hex
        extra = and_(
            table.c.platform == platform if platform else true(),
            table.c.id.in_(list(ids)) if ids is not None else true(),
        )
        with self.engine.begin() as conn:
            due = _due_ids(conn, table, [s.value for s in statuses], now, limit, extra)
            if not due:
                return owner, []
            conn.execute(
                update(table)
                .where(table.c.id.in_(due), _lease_free(table, now))
                .values(lease_owner=owner, lease_until=now + lease)
            )
            rows = conn.execute(
                select(table)
                .where(table.c.lease_owner == owner)
                .order_by(table.c.next_attempt_at, table.c.id)
            ).all()
        return owner, list(rows)

    def claim_events(self, **options: Unpack[ClaimOptions]) -> tuple[str, list[InboxEntry]]:
        """Lease up to *limit* due rows (or exactly *ids* if due); ``(owner token, rows)``.
        Options: :class:`ClaimOptions`."""
        owner, rows = self._claim(platform_events, DUE_EVENT_STATUSES, **options)
        return owner, [_event(row) for row in rows]

    def finish_event(
        self,
        entry: InboxEntry,
        owner: str,
        status: EventStatus,
        *,
        note: str | None = None,
        next_attempt_at: datetime | None = None,
        refund_id: int | None = None,
        count_attempt: bool = True,
        now: datetime | None = None,
    ) -> bool:
        """Record what processing did; ``False`` when the lease was lost (someone else has it)."""
        now = now or utc_now()
        values: dict[str, Any] = {
            "status": status.value,
            "note": _short(note),
            "lease_owner": None,
            "lease_until": None,
            "updated_at": now,
            "attempts": entry.attempts + (1 if count_attempt else 0),
            "next_attempt_at": next_attempt_at or now,
        }
        if refund_id is not None:
            values["refund_id"] = refund_id
        with self.engine.begin() as conn:
            done = conn.execute(
                update(platform_events)
                .where(platform_events.c.id == entry.id, platform_events.c.lease_owner == owner)
                .values(**values)
            )
        return done.rowcount == 1

    def retry_event(self, event_id: int, *, now: datetime | None = None) -> InboxEntry | None:
        """Put a failed, deferred or rejected row back in the queue now (``None``: not allowed).

        A ``needs_operator`` row is never put back: its refund may have been made, and
        only the operator's ``refund-confirm`` can say.
        """
        now = now or utc_now()
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(platform_events)
                .where(
                    platform_events.c.id == event_id,
                    platform_events.c.status.in_([s.value for s in RETRYABLE]),
                )
                .values(
                    status=EventStatus.RECEIVED.value,
                    attempts=0,
                    next_attempt_at=now,
                    updated_at=now,
                    lease_owner=None,
                    lease_until=None,
                )
            )
        return self.event(event_id) if changed.rowcount == 1 else None

    def purge_events(self, older_than: datetime) -> int:
        """Delete finished rows (done, ignored, rejected) last changed before *older_than*."""
        with self.engine.begin() as conn:
            gone = conn.execute(
                delete(platform_events).where(
                    platform_events.c.status.in_([s.value for s in PURGEABLE]),
                    platform_events.c.updated_at < older_than,
                )
            )
        return int(gone.rowcount)

    # -- outbox ------------------------------------------------------------------------------

    def enqueue_write(
        self,
        platform: str,
        order_id: str,
        trigger: str,
        value: str,
        *,
        now: datetime | None = None,
    ) -> WriteEntry:
        """Queue *value* for the order; earlier unfinished writes for it are superseded."""
        now = now or utc_now()
        with self.engine.begin() as conn:
            conn.execute(
                update(platform_writes)
                .where(
                    platform_writes.c.platform == platform,
                    platform_writes.c.order_id == order_id,
                    platform_writes.c.trigger != trigger,
                    platform_writes.c.status.in_([s.value for s in DUE_WRITE_STATUSES]),
                )
                .values(status=WriteStatus.SUPERSEDED.value, updated_at=now)
            )
            fresh = {
                "value": value,
                "status": WriteStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": None,
                "lease_owner": None,
                "lease_until": None,
                "updated_at": now,
            }
            changed = conn.execute(
                update(platform_writes)
                .where(
                    platform_writes.c.platform == platform,
                    platform_writes.c.order_id == order_id,
                    platform_writes.c.trigger == trigger,
                )
                .values(**fresh)
            )
            if changed.rowcount == 0:
                conn.execute(
                    insert(platform_writes).values(
                        platform=platform,
                        order_id=order_id,
                        trigger=trigger,
                        created_at=now,
                        **fresh,
                    )
                )
            row = conn.execute(
                select(platform_writes).where(
                    platform_writes.c.platform == platform,
                    platform_writes.c.order_id == order_id,
                    platform_writes.c.trigger == trigger,
                )
            ).one()
        return _write(row)

    def writes(
        self, statuses: Sequence[WriteStatus] | None = None, **filters: Unpack[RowFilter]
    ) -> list[WriteEntry]:
        """Write-backs, newest first, filtered by status, platform and order
        (:class:`RowFilter`)."""
        rows = self._rows(platform_writes, platform_writes.c.updated_at, statuses, **filters)
        return [_write(row) for row in rows]

    def claim_writes(self, **options: Unpack[ClaimOptions]) -> tuple[str, list[WriteEntry]]:
        """Lease up to *limit* due write-backs; ``(owner token, rows)``. Options:
        :class:`ClaimOptions`."""
        owner, rows = self._claim(platform_writes, DUE_WRITE_STATUSES, **options)
        return owner, [_write(row) for row in rows]

    def finish_write(
        self,
        entry: WriteEntry,
        owner: str,
        status: WriteStatus,
        *,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Record a write attempt; ``False`` when the lease was lost or the row superseded."""
        now = now or utc_now()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(platform_writes)
                .where(
                    platform_writes.c.id == entry.id,
                    platform_writes.c.lease_owner == owner,
                    platform_writes.c.status.in_([s.value for s in DUE_WRITE_STATUSES]),
                )
                .values(
                    status=status.value,
                    last_error=_short(error),
                    attempts=entry.attempts + 1,
                    next_attempt_at=next_attempt_at or now,
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                )
            )
        return done.rowcount == 1
