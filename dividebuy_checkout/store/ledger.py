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

The tables live on the same ``metadata`` as the checkout tables, so
``SqlStore`` creates them; this module is imported by ``store/__init__``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from .checkouts import CheckoutRecord
from .sql import _record
from .tables import MONEY, checkouts, metadata

ZERO = Decimal("0.00")
#: how many ids go into one ``IN (…)``: well under every database's parameter limit
_IN_BATCH = 500


class RefundStatus(StrEnum):
    """Where a refund stands. Only the first two ``CONFIRMED_*`` come from a person."""

    #: reserved, being sent to DivideBuy now
    PENDING = "pending"
    #: DivideBuy answered that it created the refund
    SUCCEEDED = "succeeded"
    #: DivideBuy refused it, or it was never delivered: nothing was refunded
    FAILED = "failed"
    #: sent, then no readable answer: it may or may not have happened; blocks the order
    UNKNOWN = "unknown"
    #: an operator checked DivideBuy's portal and found the unknown refund there
    CONFIRMED_SUCCEEDED = "confirmed_succeeded"
    #: an operator checked and found that the unknown refund did not happen
    CONFIRMED_FAILED = "confirmed_failed"

    @property
    def holds_money(self) -> bool:
        """Counts against what is left to refund (done, in flight, or possibly done)."""
        return self in _HOLDING

    @property
    def refunded(self) -> bool:
        """Money that DivideBuy (or an operator) confirmed went back to the customer."""
        return self in (RefundStatus.SUCCEEDED, RefundStatus.CONFIRMED_SUCCEEDED)


_HOLDING = frozenset(
    {
        RefundStatus.PENDING,
        RefundStatus.SUCCEEDED,
        RefundStatus.UNKNOWN,
        RefundStatus.CONFIRMED_SUCCEEDED,
    }
)


class SettlementStatus(StrEnum):
    #: claimed by a run that is sending it now (or crashed while sending)
    SENDING = "sending"
    #: DivideBuy accepted the delivery date
    SETTLED = "settled"


settlements = Table(
    "dividebuy_settlements",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("quote_id", String(64), nullable=False),
    Column("dividebuy_order_id", String(64), nullable=False),
    Column("delivered_on", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("settled_at", DateTime(timezone=True), nullable=True),
)

refunds = Table(
    "dividebuy_refunds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("quote_id", String(64), nullable=False),
    #: what was reserved (for a full refund: all that was left at the time)
    Column("amount", MONEY, nullable=False),
    #: asked for "all that is left" (sent to DivideBuy without an amount)
    Column("full", Boolean, nullable=False),
    Column("status", String(24), nullable=False, index=True),
    Column("dividebuy_refund_id", String(64), nullable=True),
    Column("refund_type", String(16), nullable=True),
    #: why it failed or is unknown, or the operator's note; never bank details or tokens
    Column("note", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# -- what the ledger hands out --------------------------------------------------------------


@dataclass(frozen=True)
class RefundEntry:
    """One refund row of the ledger."""

    id: int
    order_id: str
    quote_id: str
    amount: Decimal
    full: bool
    status: RefundStatus
    dividebuy_refund_id: str | None
    refund_type: str | None
    note: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SettlementEntry:
    order_id: str
    quote_id: str
    dividebuy_order_id: str
    delivered_on: date
    status: SettlementStatus
    claimed_at: datetime
    settled_at: datetime | None


@dataclass(frozen=True)
class Balance:
    """An order's refund position, as the ledger sees it."""

    #: what DivideBuy lent (the order total less any upfront payment): the refund ceiling
    credit_amount: Decimal
    #: confirmed refunded (by DivideBuy or an operator)
    refunded: Decimal
    #: in flight or of unknown outcome: not refundable again until resolved
    held: Decimal
    #: ids of refunds whose outcome is unknown: they block further refunds
    unknown_ids: tuple[int, ...]

    @property
    def remaining(self) -> Decimal:
        return self.credit_amount - self.refunded - self.held


@dataclass(frozen=True)
class SettlementClaim:
    """One order to settle, as the service resolved it from the stored quote."""

    order_id: str
    quote_id: str
    dividebuy_order_id: str
    delivered_on: date


@dataclass(frozen=True)
class ClaimResult:
    """How :meth:`Ledger.claim_settlements` sorted a batch."""

    #: claimed by this call: send them
    claimed: list[SettlementClaim]
    #: settled before with the same date: nothing to send
    already: list[SettlementEntry]
    #: settled (or being settled) with another date
    conflicting: list[tuple[SettlementClaim, SettlementEntry]]


# -- refusals the ledger itself detects ------------------------------------------------------


class LedgerRefusal(Exception):
    """The ledger refused to reserve a refund; nothing was written."""


class RefundsBlocked(LedgerRefusal):
    def __init__(self, order_id: str, unknown_ids: Sequence[int]) -> None:
        self.order_id = order_id
        self.unknown_ids = tuple(unknown_ids)
        super().__init__(order_id, self.unknown_ids)


class ExceedsRemaining(LedgerRefusal):
    def __init__(self, requested: Decimal, balance: Balance) -> None:
        self.requested = requested
        self.balance = balance
        super().__init__(requested, balance.remaining)


class NothingLeft(LedgerRefusal):
    def __init__(self, balance: Balance) -> None:
        self.balance = balance
        super().__init__(balance.remaining)


class NoSuchRefund(LedgerRefusal):
    pass


class RefundNotUnknown(LedgerRefusal):
    """Only a refund whose outcome is unknown can be confirmed by an operator."""

    def __init__(self, entry: RefundEntry) -> None:
        self.entry = entry
        super().__init__(entry.id, entry.status)


def _now() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _money(value: Any) -> Decimal:
    return Decimal(value if value is not None else 0).quantize(Decimal("0.01"))


def _batches(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _IN_BATCH):
        yield items[start : start + _IN_BATCH]


class Ledger:
    """Settlements and refunds in the store's database (same engine as :class:`SqlStore`)."""

    def __init__(self, engine: Engine, *, stale_after: timedelta = timedelta(minutes=15)) -> None:
        #: a ``pending`` refund older than this was abandoned mid-call (a crash):
        #: it is treated as ``unknown``, because it may have reached DivideBuy
        self.stale_after = stale_after
        self.engine = engine
        metadata.create_all(engine, tables=[settlements, refunds])

    def __repr__(self) -> str:
        return f"Ledger({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- checkouts, read in bulk -------------------------------------------------------------

    def live_checkouts(self, order_ids: Sequence[str]) -> dict[str, CheckoutRecord]:
        """The live checkout of each order that has one (one query per 500 orders)."""
        found: dict[str, CheckoutRecord] = {}
        with self.engine.connect() as conn:
            for batch in _batches(list(order_ids)):
                rows = conn.execute(
                    select(checkouts).where(checkouts.c.live_order_id.in_(batch))
                ).all()
                found.update({row.order_id: _record(row) for row in rows})
        return found

    def recent_checkouts(
        self, statuses: Iterable[str], *, limit: int | None = None
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

    # -- settlement --------------------------------------------------------------------------

    def settlement(self, order_id: str) -> SettlementEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(settlements).where(settlements.c.order_id == order_id)
            ).first()
        return _settlement(row) if row else None

    def settlements_for(self, order_ids: Sequence[str]) -> dict[str, SettlementEntry]:
        found: dict[str, SettlementEntry] = {}
        with self.engine.connect() as conn:
            for batch in _batches(list(order_ids)):
                rows = conn.execute(
                    select(settlements).where(settlements.c.order_id.in_(batch))
                ).all()
                found.update({row.order_id: _settlement(row) for row in rows})
        return found

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

    def mark_settled(self, claims: Sequence[SettlementClaim]) -> None:
        """DivideBuy accepted these orders' delivery dates.

        A claim released meanwhile (a concurrent run with the same date failed) is
        written again: DivideBuy has the date, so the ledger must too.
        """
        now = _now()
        with self.engine.begin() as conn:
            existing = self._settlements(conn, [c.order_id for c in claims], lock=True)
            for batch in _batches([c.order_id for c in claims if c.order_id in existing]):
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
    def _settlements(conn: Any, order_ids: list[str], *, lock: bool) -> dict[str, SettlementEntry]:
        found: dict[str, SettlementEntry] = {}
        for batch in _batches(order_ids):
            query = select(settlements).where(settlements.c.order_id.in_(batch))
            if lock:
                query = query.with_for_update()
            found.update({row.order_id: _settlement(row) for row in conn.execute(query).all()})
        return found

    def release_settlements(self, order_ids: Sequence[str]) -> None:
        """Drop claims that were not settled (refused or not delivered), so a rerun sends them."""
        with self.engine.begin() as conn:
            for batch in _batches(list(order_ids)):
                conn.execute(
                    delete(settlements).where(
                        settlements.c.order_id.in_(batch),
                        settlements.c.status == SettlementStatus.SENDING.value,
                    )
                )

    # -- refunds -----------------------------------------------------------------------------

    def refunds_for(self, order_id: str) -> list[RefundEntry]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(refunds).where(refunds.c.order_id == order_id).order_by(refunds.c.id)
            ).all()
        return [_refund(row) for row in rows]

    def refund(self, refund_id: int) -> RefundEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(refunds).where(refunds.c.id == refund_id)).first()
        return _refund(row) if row else None

    def balance(self, record: CheckoutRecord) -> Balance:
        with self.engine.connect() as conn:
            return self._balance(conn, record)

    def refunds_by_order(self, order_ids: Sequence[str]) -> dict[str, list[RefundEntry]]:
        """Every listed order's refunds, oldest first, one query per 500 orders (listings)."""
        found: dict[str, list[RefundEntry]] = {}
        with self.engine.connect() as conn:
            for batch in _batches(list(order_ids)):
                rows = conn.execute(
                    select(refunds).where(refunds.c.order_id.in_(batch)).order_by(refunds.c.id)
                ).all()
                for row in rows:
                    found.setdefault(row.order_id, []).append(_refund(row))
        return found

    def reserve_refund(self, record: CheckoutRecord, amount: Decimal | None) -> RefundEntry:
        """Reserve *amount* (``None``: all that is left) as a ``pending`` refund, atomically.

        Raises :class:`RefundsBlocked` while any refund on the order is unknown,
        :class:`ExceedsRemaining` / :class:`NothingLeft` when it does not fit; then
        no reservation is written (a ``pending`` refund abandoned by a crash and
        found on the way is still marked ``unknown``: see :attr:`stale_after`).
        """
        now = _now()
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
            refund_id = result.inserted_primary_key[0]
            row = conn.execute(select(refunds).where(refunds.c.id == refund_id)).one()
        return _refund(row)

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
        values: dict[str, Any] = {"status": status.value, "updated_at": _now(), "note": note}
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
            values: dict[str, Any] = {"status": status.value, "updated_at": _now()}
            if note is not None:
                values["note"] = note
            if dividebuy_refund_id is not None:
                values["dividebuy_refund_id"] = dividebuy_refund_id
            conn.execute(update(refunds).where(refunds.c.id == refund_id).values(**values))
            row = conn.execute(select(refunds).where(refunds.c.id == refund_id)).one()
        return _refund(row)

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _balance(conn: Any, record: CheckoutRecord) -> Balance:
        rows = conn.execute(
            select(refunds.c.id, refunds.c.status, refunds.c.amount)
            .where(refunds.c.order_id == record.order_id)
            .order_by(refunds.c.id)
        ).all()
        return fold_balance(record.credit_amount, rows)


def fold_balance(credit_amount: Decimal, rows: Iterable[Any]) -> Balance:
    """Add up refund rows (or entries) in ``Decimal``, never in SQL, where SQLite sums floats."""
    refunded = held = ZERO
    unknown: list[int] = []
    for row in rows:
        state = RefundStatus(row.status)
        if state.refunded:
            refunded += _money(row.amount)
        elif state.holds_money:
            held += _money(row.amount)
        if state is RefundStatus.UNKNOWN:
            unknown.append(row.id)
    return Balance(credit_amount, refunded, held, tuple(unknown))


def _refund(row: Any) -> RefundEntry:
    return RefundEntry(
        id=row.id,
        order_id=row.order_id,
        quote_id=row.quote_id,
        amount=_money(row.amount),
        full=bool(row.full),
        status=RefundStatus(row.status),
        dividebuy_refund_id=row.dividebuy_refund_id,
        refund_type=row.refund_type,
        note=row.note,
        created_at=_as_utc(row.created_at),  # type: ignore[arg-type]
        updated_at=_as_utc(row.updated_at),  # type: ignore[arg-type]
    )


def _settlement_rows(
    claims: Iterable[SettlementClaim], status: SettlementStatus, settled_at: datetime | None = None
) -> list[dict[str, Any]]:
    now = _now()
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
        claimed_at=_as_utc(row.claimed_at),  # type: ignore[arg-type]
        settled_at=_as_utc(row.settled_at),
    )
