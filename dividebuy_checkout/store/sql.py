"""``SqlStore``: checkouts, their audit trail and the ledger on SQLAlchemy Core.

It implements both store protocols (:class:`~.base.CheckoutStore` and
:class:`~.base.Ledger`) over one database: SQLite by default, any SQLAlchemy
URL for a shared database. Tables are made by :meth:`SqlStore.upgrade` (migrations,
:mod:`.schema`), never by the constructor.

Every status change is a *conditional* update (``… WHERE status IN (expected)``)
in one transaction with its audit row, so when a shopper's return and a
reconcile race, exactly one of them records the transition and the other sees
that it lost (and signals nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any, Self

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    create_engine,
    event,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from . import schema
from ._rows import as_utc, rows_in, utc_now
from .errors import DuplicateLiveCheckout
from .ledger import SqlLedger
from .records import CheckoutRecord, CheckoutStatus, Transition
from .retry import (
    DEFAULT_LOCK_TIMEOUT,
    ContentionPolicy,
    begin_statement,
    connect_args,
    reads,
    writes,
)
from .tables import checkouts, transitions

__all__ = ["SqlStore", "make_engine"]


def make_engine(url: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Engine:
    """An engine for *url*; SQLite is set up for many threads (WAL, a busy timeout).

    One try waits a part of *lock_timeout* for a lock held elsewhere; the store's
    writes retry the rest of it (:mod:`.retry`).
    """
    args = connect_args(url, ContentionPolicy(lock_timeout))
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args=args)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below take effect
            cursor = dbapi_connection.cursor()
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn: Any) -> None:
            # Take the write lock at the start of every transaction: SQLite's
            # stand-in for SELECT … FOR UPDATE, so read-check-write is atomic.
            # Reads (retry.reads) begin plainly: a WAL snapshot, no lock.
            conn.exec_driver_sql(begin_statement())

        return engine
    return create_engine(url, pool_pre_ping=True, connect_args=args)


class SqlStore(SqlLedger):
    """Checkouts, their audit trail and the ledger in one SQL database.

    *refund_stale_after*: a ``pending`` refund older than this was abandoned
    mid-call (a crash) and is treated as ``unknown`` (see :class:`SqlLedger`).
    *lock_timeout*: seconds a write waits out another process's lock, retrying,
    before :class:`~.errors.DatabaseBusy` (see :mod:`.retry`).
    """

    def __init__(
        self,
        url_or_engine: str | Engine = "sqlite:///dividebuy.sqlite3",
        *,
        refund_stale_after: timedelta = timedelta(minutes=15),
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        if isinstance(url_or_engine, str):
            engine = make_engine(url_or_engine, lock_timeout=lock_timeout)
        else:
            engine = url_or_engine
        super().__init__(
            engine, stale_after=refund_stale_after, contention=ContentionPolicy(lock_timeout)
        )

    def upgrade(self) -> Self:
        """Bring the database's tables to this version's schema (the shipped migrations); the
        store, so ``store = SqlStore(url).upgrade()`` reads as one step.

        The constructor never creates or alters tables: a deployment runs this once
        (``dividebuy-checkout db upgrade``); only the embedded SQLite demo does it at start-up.
        """
        schema.upgrade(self.engine)
        return self

    # -- reading ------------------------------------------------------------------------------

    @reads
    def _one(self, condition: ColumnElement[bool]) -> CheckoutRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(checkouts).where(condition)).first()
        return _record(row) if row else None

    @reads
    def _many(self, condition: ColumnElement[bool]) -> list[CheckoutRecord]:
        """Checkouts matching *condition*, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(checkouts).where(condition).order_by(checkouts.c.created_at)
            ).all()
        return [_record(row) for row in rows]

    def get(self, quote_id: str) -> CheckoutRecord | None:
        """The checkout of DivideBuy quote *quote_id*."""
        return self._one(checkouts.c.quote_id == quote_id)

    def by_return_ref(self, return_ref: str) -> CheckoutRecord | None:
        """The checkout whose signed return URL carries *return_ref*."""
        return self._one(checkouts.c.return_ref == return_ref)

    @reads
    def return_ref(self, quote_id: str) -> str | None:
        """The return reference recorded with a checkout (to sign its return URL again)."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(checkouts.c.return_ref).where(checkouts.c.quote_id == quote_id)
            ).scalar_one_or_none()

    def live_for_order(self, order_id: str) -> CheckoutRecord | None:
        """The order's live checkout (its newest quote, not superseded)."""
        return self._one(checkouts.c.live_order_id == order_id)

    def for_order(self, order_id: str) -> list[CheckoutRecord]:
        """Every quote the order has had, oldest first."""
        return self._many(checkouts.c.order_id == order_id)

    def with_status(self, *statuses: CheckoutStatus) -> list[CheckoutRecord]:
        """Checkouts in one of *statuses*, oldest first."""
        return self._many(checkouts.c.status.in_([s.value for s in statuses]))

    @reads
    def live_checkouts(self, order_ids: Sequence[str]) -> dict[str, CheckoutRecord]:
        """The live checkout of each order that has one (one query per 500 orders)."""
        with self.engine.connect() as conn:
            rows = rows_in(conn, checkouts, checkouts.c.live_order_id, order_ids)
        return {row.order_id: _record(row) for row in rows}

    @reads
    def recent_checkouts(
        self, statuses: Iterable[CheckoutStatus], *, limit: int | None = None
    ) -> list[CheckoutRecord]:
        """Checkouts with one of *statuses*, newest first, at most *limit* (listings)."""
        query = (
            select(checkouts)
            .where(checkouts.c.status.in_([str(s) for s in statuses]))
            .order_by(checkouts.c.created_at.desc(), checkouts.c.quote_id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query).all()]

    @reads
    def history(self, quote_id: str) -> list[Transition]:
        """Every status change of the checkout, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(transitions)
                .where(transitions.c.quote_id == quote_id)
                .order_by(transitions.c.id)
            ).all()
        return [
            Transition(
                r.quote_id, r.from_status, r.to_status, r.source, r.note, as_utc(r.at), r.actor
            )
            for r in rows
        ]

    def watched(self) -> list[CheckoutRecord]:
        """Checkouts DivideBuy may still complete (pending, or the shop moved on): oldest first."""
        return self._many(_WATCHED)

    # -- writing ------------------------------------------------------------------------------

    @writes
    def add(
        self,
        *,
        quote_id: str,
        order_id: str,
        order_ref: str,
        amount: Decimal,
        credit_amount: Decimal,
        term: int,
        status: CheckoutStatus,
        decision: str | None,
        checkout_url: str | None,
        supersede: str | None = None,
        source: str = "checkout",
        return_ref: str | None = None,
        supersede_expected: Iterable[CheckoutStatus] | None = None,
        applicant_mismatch: str | None = None,
    ) -> CheckoutRecord:
        """Record a new quote as the order's live one (superseding *supersede* atomically).

        With *supersede_expected*, *supersede* is replaced only while it is in one of
        those states (a quote that completed meanwhile is never replaced).
        Raises :class:`DuplicateLiveCheckout` if the order already has another live quote.
        """
        now = utc_now()
        values: dict[str, Any] = {
            "quote_id": quote_id,
            "order_id": order_id,
            "order_ref": order_ref,
            "live_order_id": order_id,
            "amount": amount,
            "credit_amount": credit_amount,
            "term": term,
            "status": status.value,
            "decision": decision,
            "checkout_url": checkout_url,
            "return_ref": return_ref,
            "created_at": now,
            "updated_at": now,
            "open_at_dividebuy": status is CheckoutStatus.PENDING,
            "not_found_count": 0,
            "applicant_mismatch": applicant_mismatch,
        }
        try:
            with self.engine.begin() as conn:
                if supersede is not None:
                    expected = None if supersede_expected is None else list(supersede_expected)
                    self._move(
                        conn,
                        supersede,
                        CheckoutStatus.SUPERSEDED,
                        expected,
                        source,
                        "basket changed",
                    )
                conn.execute(insert(checkouts).values(**values))
                conn.execute(
                    insert(transitions).values(
                        quote_id=quote_id,
                        from_status=None,
                        to_status=status.value,
                        source=source,
                        note=None,
                        at=now,
                    )
                )
        except IntegrityError:
            raise DuplicateLiveCheckout(order_id) from None
        record = self.get(quote_id)
        assert record is not None
        return record

    @writes
    def transition(
        self,
        quote_id: str,
        to_status: CheckoutStatus,
        *,
        expected: Iterable[CheckoutStatus] = (CheckoutStatus.PENDING,),
        source: str,
        note: str | None = None,
        actor: str | None = None,
        make_live: bool = False,
        **fields: Any,
    ) -> CheckoutRecord | None:
        """Move a checkout to *to_status* if it is in one of *expected*; record it once.

        Returns the updated record, or ``None`` when the checkout was not in an
        expected state (someone else already moved it): the caller then signals
        nothing. *actor* names the person behind the change (audited). With
        *make_live*, a checkout that is not the order's live one becomes it in the
        same transaction, the current live one being superseded; raises
        :class:`DuplicateLiveCheckout` when that one is paid (completed or on hold).
        """
        with self.engine.begin() as conn:
            if make_live:
                self._take_live(conn, quote_id, source, actor)
            moved = self._move(
                conn, quote_id, to_status, list(expected), source, note, actor=actor, **fields
            )
        return self.get(quote_id) if moved else None

    def _take_live(self, conn: Connection, quote_id: str, source: str, actor: str | None) -> None:
        row = conn.execute(select(checkouts).where(checkouts.c.quote_id == quote_id)).first()
        if row is None or row.live_order_id is not None:
            return
        live = conn.execute(
            select(checkouts).where(checkouts.c.live_order_id == row.order_id)
        ).first()
        if live is not None:
            if live.status in (CheckoutStatus.COMPLETED.value, CheckoutStatus.ON_HOLD.value):
                raise DuplicateLiveCheckout(row.order_id)
            self._move(
                conn,
                live.quote_id,
                CheckoutStatus.SUPERSEDED,
                None,
                source,
                f"replaced by quote {quote_id}, released from hold",
                actor=actor,
            )
        conn.execute(
            update(checkouts)
            .where(checkouts.c.quote_id == quote_id)
            .values(live_order_id=row.order_id)
        )

    @writes
    def record_lookup(self, quote_id: str, *, found: bool) -> int:
        """Count consecutive 404s for *quote_id* (*found* resets the count); the count now."""
        value = 0 if found else checkouts.c.not_found_count + 1
        with self.engine.begin() as conn:
            conn.execute(
                update(checkouts)
                .where(checkouts.c.quote_id == quote_id)
                .values(not_found_count=value)
            )
            count = conn.execute(
                select(checkouts.c.not_found_count).where(checkouts.c.quote_id == quote_id)
            ).scalar_one_or_none()
        return int(count or 0)

    @writes
    def stop_watching(self, quote_id: str, *, source: str, note: str) -> bool:
        """DivideBuy reports the quote final (or forgot it): stop reconciling it. Audited once."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(checkouts.c.status).where(checkouts.c.quote_id == quote_id, _WATCHED)
            ).first()
            if row is None:
                return False
            conn.execute(
                update(checkouts)
                .where(checkouts.c.quote_id == quote_id)
                .values(open_at_dividebuy=False, updated_at=utc_now())
            )
            conn.execute(
                insert(transitions).values(
                    quote_id=quote_id,
                    from_status=row.status,
                    to_status=row.status,
                    source=source,
                    note=note,
                    at=utc_now(),
                )
            )
        return True

    def _move(
        self,
        conn: Connection,
        quote_id: str,
        to_status: CheckoutStatus,
        expected: list[CheckoutStatus] | None,
        source: str,
        note: str | None,
        *,
        actor: str | None = None,
        **fields: Any,
    ) -> bool:
        current = conn.execute(
            select(checkouts.c.status).where(checkouts.c.quote_id == quote_id)
        ).scalar_one_or_none()
        if current is None:
            return False
        if expected is not None and current not in {s.value for s in expected}:
            return False
        now = utc_now()
        values: dict[str, Any] = {"status": to_status.value, "updated_at": now, **fields}
        if to_status is CheckoutStatus.SUPERSEDED:
            values["live_order_id"] = None
        result = conn.execute(
            update(checkouts)
            .where(checkouts.c.quote_id == quote_id, checkouts.c.status == current)
            .values(**values)
        )
        if result.rowcount != 1:
            return False
        conn.execute(
            insert(transitions).values(
                quote_id=quote_id,
                from_status=current,
                to_status=to_status.value,
                source=source,
                note=note,
                at=now,
                actor=actor,
            )
        )
        return True


#: DivideBuy may still complete these: pending, or moved on by the shop while still open there
#: (NULL: a row from before the flag, pending or replaced: asked once more)
_WATCHED = or_(
    checkouts.c.open_at_dividebuy.is_(True),
    and_(
        checkouts.c.open_at_dividebuy.is_(None),
        checkouts.c.status.in_([CheckoutStatus.PENDING.value, CheckoutStatus.SUPERSEDED.value]),
    ),
)


def _record(row: Any) -> CheckoutRecord:
    return CheckoutRecord(
        quote_id=row.quote_id,
        order_id=row.order_id,
        order_ref=row.order_ref,
        amount=Decimal(row.amount).quantize(Decimal("0.01")),
        credit_amount=Decimal(row.credit_amount).quantize(Decimal("0.01")),
        term=row.term,
        status=CheckoutStatus(row.status),
        decision=row.decision,
        checkout_url=row.checkout_url,
        dividebuy_order_id=row.dividebuy_order_id,
        hold_reason=row.hold_reason,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        open_at_dividebuy=_open_at_dividebuy(row),
        not_found_count=int(row.not_found_count or 0),
        applicant_mismatch=row.applicant_mismatch,
    )


def _open_at_dividebuy(row: Any) -> bool:
    if row.open_at_dividebuy is None:  # a row from before the flag: see _WATCHED
        return row.status in (CheckoutStatus.PENDING.value, CheckoutStatus.SUPERSEDED.value)
    return bool(row.open_at_dividebuy)
