"""What the store hands out: checkouts, their audit trail and the ledger's entries.

Plain frozen dataclasses and enums, with no database in sight, so a service (or
another store implementation) can use them without SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

__all__ = [
    "Balance",
    "CheckoutRecord",
    "CheckoutStatus",
    "ClaimResult",
    "RefundEntry",
    "RefundStatus",
    "SettlementClaim",
    "SettlementEntry",
    "SettlementStatus",
    "Transition",
    "fold_balance",
    "money_of",
]

ZERO = Decimal("0.00")

# -- checkouts ------------------------------------------------------------------------------


class CheckoutStatus(StrEnum):
    """The shop-side state of a finance checkout.

    ``PENDING`` is what a shop's stock-hold timer must leave alone: the
    shopper may finish at DivideBuy days later (a REFERRED application waits for
    a guarantor). ``ON_HOLD`` means DivideBuy completed a quote whose amounts no
    longer match the order (the basket changed): a person must look.
    """

    PENDING = "pending"
    COMPLETED = "completed"
    ON_HOLD = "on_hold"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    #: DivideBuy no longer knows the quote (404s past the limit, or past its lifetime)
    ORPHANED = "orphaned"
    #: a held quote an operator resolved by refunding it in full (resolve-hold --refund)
    REFUNDED = "refunded"

    @property
    def is_final(self) -> bool:
        """Nothing more will happen at DivideBuy (every state but ``PENDING``)."""
        return self is not CheckoutStatus.PENDING


@dataclass(frozen=True)
class CheckoutRecord:
    """A checkout as recorded: one DivideBuy quote for one shop order."""

    quote_id: str
    order_id: str
    order_ref: str
    amount: Decimal
    credit_amount: Decimal
    term: int
    status: CheckoutStatus
    decision: str | None
    checkout_url: str | None
    dividebuy_order_id: str | None
    hold_reason: str | None
    created_at: datetime
    updated_at: datetime
    #: DivideBuy may still complete the quote although the shop moved on: reconcile watches it
    open_at_dividebuy: bool = False
    #: consecutive 404s from DivideBuy for this quote
    not_found_count: int = 0
    #: why the applicant may not be the buyer (decided at submit; no application data kept)
    applicant_mismatch: str | None = None

    @property
    def live(self) -> bool:
        return self.status is not CheckoutStatus.SUPERSEDED


@dataclass(frozen=True)
class Transition:
    """One recorded status change of a checkout: the audit trail."""

    quote_id: str
    from_status: str | None
    to_status: str
    source: str
    note: str | None
    at: datetime
    #: who made the change when a person did (resolve-hold), else ``None``
    actor: str | None = None


# -- the ledger ------------------------------------------------------------------------------


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
    """Where an order's settlement stands in the ledger."""

    #: claimed by a run that is sending it now (or crashed while sending)
    SENDING = "sending"
    #: DivideBuy accepted the delivery date
    SETTLED = "settled"


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


def money_of(value: Any) -> Decimal:
    """A stored amount as pounds and pence (``None`` is zero)."""
    return Decimal(value if value is not None else 0).quantize(Decimal("0.01"))


def fold_balance(credit_amount: Decimal, rows: Iterable[Any]) -> Balance:
    """Add up refund rows (or entries) in ``Decimal``, never in SQL, where SQLite sums floats."""
    refunded = held = ZERO
    unknown: list[int] = []
    for row in rows:
        state = RefundStatus(row.status)
        if state.refunded:
            refunded += money_of(row.amount)
        elif state.holds_money:
            held += money_of(row.amount)
        if state is RefundStatus.UNKNOWN:
            unknown.append(row.id)
    return Balance(credit_amount, refunded, held, tuple(unknown))
