"""What can stop a checkout, each with the words the shopper (or the shop) needs.

Every error here is raised *before* anything is written, except where the
docstring says otherwise, so a caller can show a page and know nothing changed.
"""

from __future__ import annotations

from ..store import CheckoutRecord

__all__ = [
    "AlreadyFinanced",
    "BadReference",
    "CheckoutError",
    "DivideBuyUnavailable",
    "InvalidApplication",
    "NotFinanceable",
    "QuoteOutcomeUnknown",
    "ShopOrderNotFound",
]


class CheckoutError(Exception):
    """Base of the checkout's own errors. ``str()`` is safe to show a shopper."""


class ShopOrderNotFound(CheckoutError):
    """The shop's order source has no such order (or will not let this shopper pay it)."""

    def __init__(self, order_id: str) -> None:
        super().__init__("We could not find that order. Please start the checkout again.")
        self.order_id = order_id


class NotFinanceable(CheckoutError):
    """DivideBuy offers no term for this order total (below its minimum or above its maximum)."""


class InvalidApplication(CheckoutError):
    """The application has field errors, keyed by dotted wire path (``customer.address.town``).

    Raised for the shop's own checks and for a 422 from DivideBuy alike; nothing
    was recorded.
    """

    def __init__(self, field_errors: dict[str, list[str]]) -> None:
        super().__init__("Some details need to be corrected.")
        self.field_errors = field_errors


class DivideBuyUnavailable(CheckoutError):
    """DivideBuy could not be reached or refused to work just now; nothing was recorded."""


class QuoteOutcomeUnknown(CheckoutError):
    """A quote request was sent and no usable answer came back; nothing was recorded.

    DivideBuy may hold a quote the shop does not know of. It cannot be paid
    without the shopper reaching its page (which only the answer names), so it
    simply expires; submitting again creates a fresh quote.
    """


class AlreadyFinanced(CheckoutError):
    """The order already has a completed (or on-hold) DivideBuy checkout."""

    def __init__(self, record: CheckoutRecord) -> None:
        super().__init__("This order has already been paid with DivideBuy.")
        self.record = record


class BadReference(CheckoutError):
    """A return or start link that is forged, for another order, or too old.

    ``reason`` is ``"forged"``, ``"foreign"`` or ``"expired"``. Nothing was changed.
    """

    def __init__(self, reason: str) -> None:
        messages = {
            "expired": "For your security, links back to the shop from DivideBuy work for a "
            "limited time, and this one is too old.",
            "foreign": "This link does not belong to an order in this shop.",
        }
        super().__init__(
            messages.get(
                reason, "This link has been changed or is incomplete, so it cannot be used."
            )
        )
        self.reason = reason
