"""What the back office hands back: a settlement report and an order's finance status.

Plain dataclasses with ``to_dict()`` (money as strings of pounds), so the CLI's
``--json``, the JSON endpoints and the example shop all show the same facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..store import Balance, CheckoutRecord, RefundEntry, SettlementEntry, SettlementStatus

__all__ = [
    "OrderStatus",
    "SettlementOutcome",
    "SettlementReport",
    "SettlementResult",
    "finance_status",
    "refund_dict",
    "settlement_dict",
]


class SettlementResult(StrEnum):
    """What a settlement run did with one order (``SettlementOutcome.outcome``)."""

    #: DivideBuy accepted the delivery date in this run
    SETTLED = "settled"
    #: settled before with the same date: nothing was sent
    ALREADY_SETTLED = "already_settled"
    #: refused (by the back office or by DivideBuy): fix the row and run again
    REJECTED = "rejected"
    #: DivideBuy could not be reached or failed: nothing recorded, safe to run again
    FAILED = "failed"


@dataclass(frozen=True)
class SettlementOutcome:
    """What happened to one order (one CSV row) of a settlement run."""

    order_id: str
    outcome: SettlementResult
    delivered_on: date | None = None
    reason: str | None = None
    #: the CSV line, for rows read from a file
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "outcome": self.outcome.value,
            "delivered_on": self.delivered_on.isoformat() if self.delivered_on else None,
            "reason": self.reason,
            "line": self.line,
        }


@dataclass
class SettlementReport:
    """Every order's outcome, and how many settlement requests went to DivideBuy.

    A long CSV run streams instead (``keep=False``): each outcome goes to
    *listener* as it happens and only the counts are kept, so a file of any
    size (of bad rows, say) is reported in flat memory.
    """

    outcomes: list[SettlementOutcome] = field(default_factory=list)
    #: settlement calls made (each carries up to ``chunk_size`` orders)
    requests: int = 0
    #: keep each outcome in :attr:`outcomes` (False: counts only, outcomes to *listener*)
    keep: bool = True
    #: told each outcome as it is added
    listener: Callable[[SettlementOutcome], None] | None = None
    counts: Counter[SettlementResult] = field(default_factory=Counter)

    def add(self, outcome: SettlementOutcome) -> None:
        self.counts[outcome.outcome] += 1
        if self.keep:
            self.outcomes.append(outcome)
        if self.listener is not None:
            self.listener(outcome)

    @property
    def rows(self) -> int:
        """How many orders (rows) the run has reported."""
        return sum(self.counts.values())

    def count(self, outcome: SettlementResult) -> int:
        return self.counts[outcome]

    def of(self, outcome: SettlementResult) -> list[SettlementOutcome]:
        return [o for o in self.outcomes if o.outcome is outcome]

    @property
    def ok(self) -> bool:
        """True when every order is settled now (this run or before)."""
        return self.count(SettlementResult.REJECTED) + self.count(SettlementResult.FAILED) == 0

    @property
    def failed(self) -> bool:
        """True when DivideBuy failed (not merely refused rows): worth running again."""
        return self.count(SettlementResult.FAILED) > 0

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            **{outcome.value: self.count(outcome) for outcome in SettlementResult},
            "requests": self.requests,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "orders": [o.to_dict() for o in self.outcomes],
        }


def refund_dict(entry: RefundEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "order_id": entry.order_id,
        "amount": format(entry.amount, "f"),
        "full": entry.full,
        "status": entry.status.value,
        "dividebuy_refund_id": entry.dividebuy_refund_id,
        "refund_type": entry.refund_type,
        "note": entry.note,
        "created_at": entry.created_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
    }


def settlement_dict(entry: SettlementEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "status": entry.status.value,
        "delivered_on": entry.delivered_on.isoformat(),
        "dividebuy_order_id": entry.dividebuy_order_id,
        "settled_at": entry.settled_at.isoformat() if entry.settled_at else None,
    }


def finance_status(
    record: CheckoutRecord, settlement: SettlementEntry | None, balance: Balance
) -> str:
    """One word or two for a listing: where the money stands for this order."""
    if balance.unknown_ids:
        return "refund unknown"
    if balance.refunded and balance.remaining <= 0 and not balance.held:
        return "refunded"
    if balance.refunded or balance.held:
        return "part refunded"
    if settlement is not None and settlement.status is SettlementStatus.SETTLED:
        return "settled"
    return record.status.value.replace("_", " ")


@dataclass(frozen=True)
class OrderStatus:
    """An order as the back office sees it: checkout, settlement, refunds and what is left."""

    record: CheckoutRecord
    settlement: SettlementEntry | None
    refunds: tuple[RefundEntry, ...]
    balance: Balance

    @property
    def order_id(self) -> str:
        return self.record.order_id

    @property
    def finance_status(self) -> str:
        return finance_status(self.record, self.settlement, self.balance)

    @property
    def refundable(self) -> Decimal:
        return max(self.balance.remaining, Decimal("0.00"))

    def to_dict(self) -> dict[str, Any]:
        record = self.record
        return {
            "order_id": record.order_id,
            "order_ref": record.order_ref,
            "quote_id": record.quote_id,
            "dividebuy_order_id": record.dividebuy_order_id,
            "checkout_status": record.status.value,
            "finance_status": self.finance_status,
            "amount": format(record.amount, "f"),
            "credit_amount": format(record.credit_amount, "f"),
            "refunded": format(self.balance.refunded, "f"),
            "held": format(self.balance.held, "f"),
            "refundable": format(self.refundable, "f"),
            "blocked_by_refunds": list(self.balance.unknown_ids),
            "created_at": record.created_at.isoformat(),
            "settlement": settlement_dict(self.settlement),
            "refunds": [refund_dict(r) for r in self.refunds],
        }
