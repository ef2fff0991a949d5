"""A checkout: one DivideBuy quote for one shop order, and the states it moves through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


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

    @property
    def is_final(self) -> bool:
        return self is not CheckoutStatus.PENDING


class DuplicateLiveCheckout(Exception):
    """The order already has a live quote (the unique constraint caught a race)."""


@dataclass(frozen=True)
class CheckoutRecord:
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

    @property
    def live(self) -> bool:
        return self.status is not CheckoutStatus.SUPERSEDED


@dataclass(frozen=True)
class Transition:
    quote_id: str
    from_status: str | None
    to_status: str
    source: str
    note: str | None
    at: datetime
