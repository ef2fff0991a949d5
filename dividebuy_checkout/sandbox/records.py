"""What the sandbox remembers: quotes, orders, refunds and settlements.

Plain mutable records, changed only by :class:`~.state.SandboxState` under its
lock. No personal data is kept: a quote keeps the order figures and the
decision, never the applicant's name, date of birth or bank details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .rates import Instalments

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "DECLINED",
    "EXPIRED",
    "FULL",
    "PARTIAL",
    "PENDING",
    "OrderRecord",
    "QuoteRecord",
    "RefundRecord",
    "SettlementRecord",
    "iso",
]

# Quote statuses, as WIRE.md reads them.
PENDING = "Pending"
COMPLETED = "Completed"
CANCELLED = "Cancelled"
EXPIRED = "Expired"
DECLINED = "Declined"

FULL = "FULL"
PARTIAL = "PARTIAL"


def iso(timestamp: float | None) -> str | None:
    """A sandbox-clock timestamp as ISO 8601 UTC (for the admin listing)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


@dataclass
class QuoteRecord:
    id: str
    status: str
    decision: str | None
    retailer_order_id: str
    retailer_order_ref: str
    order_amount: Decimal
    upfront_payment: Decimal
    credit_amount: Decimal
    term: int
    interest_rate: Decimal
    #: the instalments of the credit amount over the term (shown on the hosted page)
    instalments: Instalments
    redirect_url: str | None
    checkout_url: str | None
    created_at: float
    expires_at: float
    order_ref_id: str | None = None
    finished_at: float | None = None

    def to_wire(self) -> dict[str, Any]:
        """The ``data.quote`` object of ``GET /quotes/{id}``."""
        return {
            "id": self.id,
            "status": self.status,
            "retailer_order_id": self.retailer_order_id,
            "retailer_order_ref": self.retailer_order_ref,
            "order_amount": self.order_amount,
            "upfront_payment": self.upfront_payment,
            "credit_amount": self.credit_amount,
            "term": self.term,
            "interest_rate": self.interest_rate,
            "decision": self.decision,
            "order_ref_id": self.order_ref_id,
        }

    def details(self) -> dict[str, Any]:
        """The short summary in ``requested_quote.details``."""
        return {
            "status": self.status,
            "order_amount": self.order_amount,
            "upfront_payment": self.upfront_payment,
            "credit_amount": self.credit_amount,
            "term": self.term,
            "interest_rate": self.interest_rate,
            "first_instalment_cost": self.instalments.first,
            "regular_instalment_cost": self.instalments.regular,
            "final_instalment_cost": self.instalments.final,
            "total_to_pay": self.instalments.total_to_pay,
            "expires_at": iso(self.expires_at),
        }

    def listing(self) -> dict[str, Any]:
        return {
            **self.to_wire(),
            "checkout_url": self.checkout_url,
            "redirect_url": self.redirect_url,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "finished_at": iso(self.finished_at),
        }


@dataclass
class OrderRecord:
    """A DivideBuy order: exists once its quote is Completed."""

    order_ref_id: str
    quote_id: str
    retailer_order_id: str
    retailer_order_ref: str
    #: what DivideBuy lent, and so what it can refund: the credit amount
    amount: Decimal
    created_at: float
    refunded: Decimal = Decimal("0.00")
    date_of_delivery: str | None = None

    @property
    def refundable(self) -> Decimal:
        return self.amount - self.refunded

    def listing(self) -> dict[str, Any]:
        return {
            "order_ref_id": self.order_ref_id,
            "quote_id": self.quote_id,
            "retailer_order_id": self.retailer_order_id,
            "retailer_order_ref": self.retailer_order_ref,
            "amount": self.amount,
            "refunded": self.refunded,
            "refundable": self.refundable,
            "date_of_delivery": self.date_of_delivery,
            "created_at": iso(self.created_at),
        }


@dataclass
class RefundRecord:
    id: str
    order_ref_id: str
    retailer_order_id: str
    amount: Decimal
    refund_type: str
    created_at: float

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "amount": self.amount, "refund_type": self.refund_type}

    def listing(self) -> dict[str, Any]:
        return {
            **self.to_wire(),
            "order_ref_id": self.order_ref_id,
            "retailer_order_id": self.retailer_order_id,
            "created_at": iso(self.created_at),
        }


@dataclass
class SettlementRecord:
    """The latest settlement of one order (a later call with another date replaces it)."""

    order_ref_id: str
    retailer_order_id: str
    retailer_order_ref: str
    date_of_delivery: str
    first_settled_at: float
    updated_at: float
    #: how many accepted rows named this order (repeats with the same date included)
    times_sent: int = 1

    def listing(self) -> dict[str, Any]:
        return {
            "order_ref_id": self.order_ref_id,
            "retailer_order_id": self.retailer_order_id,
            "retailer_order_ref": self.retailer_order_ref,
            "date_of_delivery": self.date_of_delivery,
            "first_settled_at": iso(self.first_settled_at),
            "updated_at": iso(self.updated_at),
            "times_sent": self.times_sent,
        }
