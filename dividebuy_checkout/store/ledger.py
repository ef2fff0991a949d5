"""The back-office ledger: what was settled and what was refunded, per shop order.

Money leaves the retailer on a refund, so the ledger follows *reserve, then
call, then record*:

1. :meth:`Ledger.reserve_refund` runs in one locked transaction (SQLite's
   ``BEGIN IMMEDIATE``; ``SELECT … FOR UPDATE`` on the order's checkout row
   elsewhere). It works out what is left — the credit amount less every refund
   that succeeded, is in flight (``pending``) or whose outcome is ``unknown`` —
   and inserts a ``pending`` row only if the refund fits. Two refunds racing
   for the last £10 therefore cannot both pass.
2. The caller talks to DivideBuy *outside* the transaction (no lock held
   across the network).
3. :meth:`Ledger.finish_refund` marks the row ``succeeded`` (with DivideBuy's
   refund id), ``failed`` (the reservation is released) or ``unknown`` (sent,
   no answer: it keeps its reservation and blocks further refunds on the order
   until an operator confirms it with :meth:`Ledger.confirm_refund`).

A refund the ledger did not see succeed is never recorded as succeeded.

The ceiling is the order's *credit amount* (what DivideBuy lent). An upfront
payment the retailer collected itself is not DivideBuy's to refund (assumption:
the retailer API document is silent; the local sandbox reads it the same way).

Settlement is idempotent at DivideBuy for the same delivery date, so it needs
less ceremony: rows are *claimed* (``sending``) before the call, so the same
order is not sent twice by one run or settled with two different dates, and
marked ``settled`` after DivideBuy accepted them.

This module is the repository (:class:`SqlLedger`); its tables are in
:mod:`.tables` (on the one shared ``metadata``), its records in :mod:`.records`,
its refusals in :mod:`.errors`, and the protocol services rely on in :mod:`.base`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ._rows import as_utc, batches, rows_in, utc_now
from .errors import (
    ExceedsRemaining,
    NoSuchRefund,
    NothingLeft,
    RefundNotUnknown,
    RefundsBlocked,
)
from .records import (
    Balance,
    CheckoutRecord,
    ClaimResult,
    RefundEntry,
    RefundStatus,
    SettlementClaim,
    SettlementEntry,
    SettlementStatus,
    fold_balance,
    money_of,
)
from .retry import ContentionPolicy, reads, writes
from .tables import checkouts, refunds, settlements

__all__ = ["SqlLedger"]


class SqlLedger:
    """Settlements and refunds in one SQL database: the :class:`~.base.Ledger` on SQLAlchemy.

    :class:`~.sql.SqlStore` is one (checkouts and ledger share a database, so
    reserving a refund can lock the order's checkout row); it can also stand
    alone on an engine whose database has the checkout tables.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        stale_after: timedelta = timedelta(minutes=15),
        contention: ContentionPolicy | None = None,
    ) -> None:
        #: a ``pending`` refund older than this was abandoned mid-call (a crash):
        #: it is treated as ``unknown``, because it may have reached DivideBuy
        self.stale_after = stale_after
        #: how long a write waits out a lock held by another process (see :mod:`.retry`)
        self.contention = contention or ContentionPolicy()
        # Tables come from the migrations (SqlStore.upgrade / `db upgrade`), never from here.
        self.engine = engine

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- settlement --------------------------------------------------------------------------

    @reads
    def settlement(self, order_id: str) -> SettlementEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(settlements).where(settlements.c.order_id == order_id)
            ).first()
        return _settlement(row) if row else None

    @reads
    def settlements_for(self, order_ids: Sequence[str]) -> dict[str, SettlementEntry]:
        with self.engine.connect() as conn:
            return self._settlements(conn, order_ids, lock=False)

    @writes
    def claim_settlements(self, wanted: Sequence[SettlementClaim]) -> ClaimResult:
        """Claim orders for sending, in one locked transaction.

        An order already settled with the same date is *already* (no call); with
        another date it *conflicts*. A ``sending`` claim with the same date (a
        crashed run's, or a concurrent run's) is taken over: resending the same
        date is harmless at DivideBuy.
        """
        for attempt in range(3):
            try:
                return self._claim(wanted)
            except IntegrityError:
                # Another run inserted a claim for the same order between our read and
                # our insert (row locks cannot cover rows that do not exist yet, except
                # on SQLite): read again.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _claim(self, wanted: Sequence[SettlementClaim]) -> ClaimResult:
        claimed: list[SettlementClaim] = []
        already: list[SettlementEntry] = []
        conflicting: list[tuple[SettlementClaim, SettlementEntry]] = []
        with self.engine.begin() as conn:
            existing = self._settlements(conn, [w.order_id for w in wanted], lock=True)
            fresh: list[SettlementClaim] = []
            for claim in wanted:
                entry = existing.get(claim.order_id)
                if entry is None:
                    fresh.append(claim)
                    claimed.append(claim)
                elif entry.delivered_on != claim.delivered_on:
                    conflicting.append((claim, entry))
                elif entry.status is SettlementStatus.SETTLED:
                    already.append(entry)
                else:
                    claimed.append(claim)  # same date, still "sending": resend
            if fresh:
                conn.execute(insert(settlements), _settlement_rows(fresh, SettlementStatus.SENDING))
        return ClaimResult(claimed, already, conflicting)

    @writes
    def mark_settled(self, claims: Sequence[SettlementClaim]) -> None:
        """DivideBuy accepted these orders' delivery dates.

        A claim released meanwhile (a concurrent run with the same date failed) is
        written again: DivideBuy has the date, so the ledger must too.
        """
        now = utc_now()
        with self.engine.begin() as conn:
            existing = self._settlements(conn, [c.order_id for c in claims], lock=True)
            for batch in batches([c.order_id for c in claims if c.order_id in existing]):
                conn.execute(
                    update(settlements)
                    .where(settlements.c.order_id.in_(batch))
                    .values(status=SettlementStatus.SETTLED.value, settled_at=now)
                )
            missing = [c for c in claims if c.order_id not in existing]
            if missing:
                conn.execute(
                    insert(settlements), _settlement_rows(missing, SettlementStatus.SETTLED, now)
                )

    @staticmethod
    def _settlements(
        conn: Connection, order_ids: Sequence[str], *, lock: bool
    ) -> dict[str, SettlementEntry]:
        rows = rows_in(conn, settlements, settlements.c.order_id, order_ids, lock=lock)
        return {row.order_id: _settlement(row) for row in rows}

    @writes
    def release_settlements(self, order_ids: Sequence[str]) -> None:
        """Drop claims that were not settled (refused or not delivered), so a rerun sends them."""
        with self.engine.begin() as conn:
            for batch in batches(list(order_ids)):
                conn.execute(
                    delete(settlements).where(
                        settlements.c.order_id.in_(batch),
                        settlements.c.status == SettlementStatus.SENDING.value,
                    )
                )

    # -- refunds -----------------------------------------------------------------------------

    @reads
    def refunds_for(self, order_id: str) -> list[RefundEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(refunds).where(refunds.c.order_id == order_id).order_by(refunds.c.id)
            ).all()
        return [_refund(row) for row in rows]

    @reads
    def refund(self, refund_id: int) -> RefundEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(refunds).where(refunds.c.id == refund_id)).first()
        return _refund(row) if row else None

    @reads
    def balance(self, record: CheckoutRecord) -> Balance:
        with self.engine.connect() as conn:
            return self._balance(conn, record)

    @reads
    def refunds_by_order(self, order_ids: Sequence[str]) -> dict[str, list[RefundEntry]]:
        """Every listed order's refunds, oldest first, one query per 500 orders (listings)."""
        found: dict[str, list[RefundEntry]] = {}
        with self.engine.connect() as conn:
            rows = rows_in(conn, refunds, refunds.c.order_id, order_ids, order_by=refunds.c.id)
        for row in rows:
            found.setdefault(row.order_id, []).append(_refund(row))
        return found

    @writes
    def reserve_refund(self, record: CheckoutRecord, amount: Decimal | None) -> RefundEntry:
        """Reserve *amount* (``None``: all that is left) as a ``pending`` refund, atomically.

        Raises :class:`RefundsBlocked` while any refund on the order is unknown,
        :class:`ExceedsRemaining` / :class:`NothingLeft` when it does not fit; then
        no reservation is written (a ``pending`` refund abandoned by a crash and
        found on the way is still marked ``unknown``: see :attr:`stale_after`).
        """
        now = utc_now()
        self._expire_abandoned(record.order_id, now)
        with self.engine.begin() as conn:
            # The lock: SQLite already holds the write lock (BEGIN IMMEDIATE); other
            # databases lock the order's checkout row until commit.
            conn.execute(
                select(checkouts.c.quote_id)
                .where(checkouts.c.quote_id == record.quote_id)
                .with_for_update()
            ).first()
            balance = self._balance(conn, record)
            if balance.unknown_ids:
                raise RefundsBlocked(record.order_id, balance.unknown_ids)
            if balance.remaining <= 0:
                raise NothingLeft(balance)
            reserved = balance.remaining if amount is None else amount
            if reserved > balance.remaining:
                raise ExceedsRemaining(reserved, balance)
            result = conn.execute(
                insert(refunds).values(
                    order_id=record.order_id,
                    quote_id=record.quote_id,
                    amount=reserved,
                    full=amount is None,
                    status=RefundStatus.PENDING.value,
                    created_at=now,
                    updated_at=now,
                )
            )
            key = result.inserted_primary_key
            assert key is not None  # an INSERT of one row always has its key
            refund_id = key[0]
            row = conn.execute(select(refunds).where(refunds.c.id == refund_id)).one()
        return _refund(row)

    @writes
    def _expire_abandoned(self, order_id: str, now: datetime) -> None:
        """Turn ``pending`` refunds older than :attr:`stale_after` into ``unknown``.

        Its own transaction: the verdict must stay even when the reservation
        that noticed it is refused (and rolled back).
        """
        with self.engine.begin() as conn:
            conn.execute(
                update(refunds)
                .where(
                    refunds.c.order_id == order_id,
                    refunds.c.status == RefundStatus.PENDING.value,
                    refunds.c.updated_at < now - self.stale_after,
                )
                .values(
                    status=RefundStatus.UNKNOWN.value,
                    updated_at=now,
                    note="Abandoned while being sent (the process stopped): it may have reached "
                    "DivideBuy.",
                )
            )

    @writes
    def finish_refund(
        self,
        refund_id: int,
        status: RefundStatus,
        *,
        amount: Decimal | None = None,
        dividebuy_refund_id: str | None = None,
        refund_type: str | None = None,
        note: str | None = None,
    ) -> RefundEntry:
        """Record how a ``pending`` refund ended: succeeded, failed or unknown.

        *amount* replaces the reservation with what DivideBuy said it refunded.
        """
        if status not in (RefundStatus.SUCCEEDED, RefundStatus.FAILED, RefundStatus.UNKNOWN):
            raise ValueError(f"A pending refund cannot become {status}.")
        values: dict[str, Any] = {"status": status.value, "updated_at": utc_now(), "note": note}
        if amount is not None:
            values["amount"] = amount
        if dividebuy_refund_id is not None:
            values["dividebuy_refund_id"] = dividebuy_refund_id
        if refund_type is not None:
            values["refund_type"] = refund_type
        with self.engine.begin() as conn:
            # From pending, or from an "abandoned" unknown a slow call came back to.
            conn.execute(
                update(refunds)
                .where(
                    refunds.c.id == refund_id,
                    refunds.c.status.in_([RefundStatus.PENDING.value, RefundStatus.UNKNOWN.value]),
                )
                .values(**values)
            )
            row = conn.execute(select(refunds).where(refunds.c.id == refund_id)).one()
        return _refund(row)

    @writes
    def confirm_refund(
        self,
        refund_id: int,
        succeeded: bool,
        *,
        dividebuy_refund_id: str | None = None,
        note: str | None = None,
    ) -> RefundEntry:
        """An operator's verdict on an ``unknown`` refund (after checking DivideBuy)."""
        status = RefundStatus.CONFIRMED_SUCCEEDED if succeeded else RefundStatus.CONFIRMED_FAILED
        with self.engine.begin() as conn:
            row = conn.execute(
                select(refunds).where(refunds.c.id == refund_id).with_for_update()
            ).first()
            if row is None:
                raise NoSuchRefund(refund_id)
            entry = _refund(row)
            if entry.status is not RefundStatus.UNKNOWN:
                raise RefundNotUnknown(entry)
            values: dict[str, Any] = {"status": status.value, "updated_at": utc_now()}
            if note is not None:
                values["note"] = note
            if dividebuy_refund_id is not None:
                values["dividebuy_refund_id"] = dividebuy_refund_id
            conn.execute(update(refunds).where(refunds.c.id == refund_id).values(**values))
            row = conn.execute(select(refunds).where(refunds.c.id == refund_id)).one()
        return _refund(row)

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _balance(conn: Connection, record: CheckoutRecord) -> Balance:
        rows = conn.execute(
            select(refunds.c.id, refunds.c.status, refunds.c.amount)
            .where(refunds.c.order_id == record.order_id)
            .order_by(refunds.c.id)
        ).all()
        return fold_balance(record.credit_amount, rows)


def _refund(row: Any) -> RefundEntry:
    return RefundEntry(
        id=row.id,
        order_id=row.order_id,
        quote_id=row.quote_id,
        amount=money_of(row.amount),
        full=bool(row.full),
        status=RefundStatus(row.status),
        dividebuy_refund_id=row.dividebuy_refund_id,
        refund_type=row.refund_type,
        note=row.note,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def _settlement_rows(
    claims: Iterable[SettlementClaim], status: SettlementStatus, settled_at: datetime | None = None
) -> list[dict[str, Any]]:
    now = utc_now()
    return [
        {
            "order_id": c.order_id,
            "quote_id": c.quote_id,
            "dividebuy_order_id": c.dividebuy_order_id,
            "delivered_on": c.delivered_on,
            "status": status.value,
            "claimed_at": now,
            "settled_at": settled_at,
        }
        for c in claims
    ]


def _settlement(row: Any) -> SettlementEntry:
    return SettlementEntry(
        order_id=row.order_id,
        quote_id=row.quote_id,
        dividebuy_order_id=row.dividebuy_order_id,
        delivered_on=row.delivered_on,
        status=SettlementStatus(row.status),
        claimed_at=as_utc(row.claimed_at),
        settled_at=as_utc(row.settled_at) if row.settled_at is not None else None,
    )
