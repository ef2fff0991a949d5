"""What a store refuses, raised by every implementation of the store protocols.

Each is raised before anything is written; the services turn them into their
own errors with words for the shopper or the operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from .records import Balance, RefundEntry

__all__ = [
    "DatabaseBusy",
    "DuplicateLiveCheckout",
    "ExceedsRemaining",
    "LedgerRefusal",
    "NoSuchRefund",
    "NothingLeft",
    "RefundNotUnknown",
    "RefundsBlocked",
    "StoreError",
]


class StoreError(Exception):
    """Base of the store's refusals: nothing was written."""


class DatabaseBusy(StoreError):
    """The database stayed locked (or kept failing the transaction) past the lock timeout.

    Nothing was written: the transaction was rolled back each time. Raised by
    :func:`~.retry.retry_on_contention`; the message never holds SQL or data.
    """

    def __init__(self, what: str, tries: int) -> None:
        self.what = what
        self.tries = tries
        super().__init__(
            f"The shop's database was busy (locked by another process) for {what}; "
            f"gave up after {tries} tries. Nothing was written."
        )


class DuplicateLiveCheckout(StoreError):
    """The order already has a live quote (the unique constraint caught a race)."""


class LedgerRefusal(StoreError):
    """The ledger refused to reserve a refund; nothing was written."""


class RefundsBlocked(LedgerRefusal):
    """A refund on the order has an unknown outcome: no other refund may be reserved."""

    def __init__(self, order_id: str, unknown_ids: Sequence[int]) -> None:
        self.order_id = order_id
        self.unknown_ids = tuple(unknown_ids)
        super().__init__(order_id, self.unknown_ids)


class ExceedsRemaining(LedgerRefusal):
    """The refund asked for is more than is left on the order."""

    def __init__(self, requested: Decimal, balance: Balance) -> None:
        self.requested = requested
        self.balance = balance
        super().__init__(requested, balance.remaining)


class NothingLeft(LedgerRefusal):
    """Nothing is left to refund on the order (refunded, or in flight)."""

    def __init__(self, balance: Balance) -> None:
        self.balance = balance
        super().__init__(balance.remaining)


class NoSuchRefund(LedgerRefusal):
    """No refund has that id."""


class RefundNotUnknown(LedgerRefusal):
    """Only a refund whose outcome is unknown can be confirmed by an operator."""

    def __init__(self, entry: RefundEntry) -> None:
        self.entry = entry
        super().__init__(entry.id, entry.status)
