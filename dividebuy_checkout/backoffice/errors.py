"""Why the back office refused or failed, one exception type per reason.

Two families, because a caller acts differently on each:

- :class:`Refused`: the back office said no *before* calling DivideBuy;
  nothing was sent and nothing changed. Fix the input (or the order's state)
  and try again. The CLI exits 2; the endpoints answer 4xx.
- :class:`CallFailed`: DivideBuy was called and did not confirm. The ledger
  already says what is known (``failed``: nothing happened; ``unknown``: it may
  have happened). The CLI exits 1; the endpoints answer 502.

Every message says what to do next, so it can be shown to an operator as is.
"""

from __future__ import annotations

from decimal import Decimal

from ..errors import DivideBuyError
from ..money import format_gbp
from ..store import RefundEntry

__all__ = [
    "BackOfficeError",
    "CallFailed",
    "CheckoutNotFound",
    "DatabaseBusyError",
    "InvalidAmount",
    "NothingToRefund",
    "OrderNotCompleted",
    "RefundBlocked",
    "RefundExceedsRemaining",
    "RefundFailed",
    "RefundNotConfirmable",
    "RefundNotFound",
    "RefundNotRecorded",
    "RefundOutcomeUnknown",
    "Refused",
]


class BackOfficeError(Exception):
    """Base of every back-office refusal or failure. ``code`` is a stable machine name."""

    code = "backoffice_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Refused(BackOfficeError):
    """Refused before any call to DivideBuy: nothing was sent, nothing changed."""

    code = "refused"


class CheckoutNotFound(Refused):
    """No DivideBuy checkout is recorded for the order (``code`` stays ``order_not_found``)."""

    code = "order_not_found"

    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        super().__init__(
            f"No DivideBuy checkout is recorded for order {order_id!r}: check the order id "
            "(it is the shop's order id, not DivideBuy's)."
        )


class OrderNotCompleted(Refused):
    """The order's quote is not ``completed`` (pending, on hold, declined …)."""

    code = "order_not_completed"

    def __init__(self, order_id: str, status: str, hint: str) -> None:
        self.order_id = order_id
        self.status = status
        super().__init__(f"Order {order_id!r} is {status.replace('_', ' ')}: {hint}")


class InvalidAmount(Refused):
    code = "invalid_amount"
    field = "amount"


class RefundExceedsRemaining(Refused):
    code = "refund_exceeds_remaining"
    field = "amount"

    def __init__(
        self, order_id: str, requested: Decimal, remaining: Decimal, held: Decimal
    ) -> None:
        self.order_id = order_id
        self.requested = requested
        self.remaining = remaining
        in_flight = f" ({format_gbp(held)} more is being refunded right now)" if held else ""
        super().__init__(
            f"{format_gbp(requested)} is more than is left to refund on order {order_id!r}: "
            f"{format_gbp(remaining)}{in_flight}. Refund at most {format_gbp(remaining)}."
        )


class NothingToRefund(Refused):
    code = "nothing_to_refund"

    def __init__(self, order_id: str, held: Decimal) -> None:
        self.order_id = order_id
        detail = (
            f"{format_gbp(held)} is being refunded right now; check again when it finishes."
            if held
            else "it has been refunded in full."
        )
        super().__init__(f"Nothing is left to refund on order {order_id!r}: {detail}")


class RefundBlocked(Refused):
    """A refund on the order has an unknown outcome: an operator must confirm it first."""

    code = "refund_blocked"

    def __init__(self, order_id: str, unknown_ids: tuple[int, ...]) -> None:
        self.order_id = order_id
        self.unknown_ids = unknown_ids
        ids = ", ".join(f"#{i}" for i in unknown_ids)
        first = unknown_ids[0] if unknown_ids else "ID"
        super().__init__(
            f"Refunds on order {order_id!r} are blocked: refund {ids} was sent to DivideBuy but "
            "no answer came back, so it may or may not have been made. Check the order's "
            "refunds in the DivideBuy retailer portal, then record what you find with "
            f"`dividebuy-checkout refund-confirm {first} --succeeded` (or `--failed`). "
            "Refunding again before that could pay the customer twice."
        )


class RefundNotFound(Refused):
    code = "refund_not_found"

    def __init__(self, refund_id: int) -> None:
        self.refund_id = refund_id
        super().__init__(f"There is no refund #{refund_id} in the ledger.")


class RefundNotConfirmable(Refused):
    code = "refund_not_confirmable"

    def __init__(self, refund_id: int, status: str) -> None:
        self.refund_id = refund_id
        self.status = status
        super().__init__(
            f"Refund #{refund_id} is {status.replace('_', ' ')}, not unknown: only a refund "
            "whose outcome is unknown needs an operator's confirmation."
        )


class CallFailed(BackOfficeError):
    """DivideBuy was called and did not confirm; ``cause`` is the client's error."""

    code = "call_failed"

    def __init__(
        self, message: str, *, cause: DivideBuyError | None, entry: RefundEntry | None = None
    ) -> None:
        super().__init__(message)
        self.cause = cause
        #: the ledger row, when the call was a refund
        self.entry = entry


class RefundFailed(CallFailed):
    """DivideBuy refused the refund (or it never reached DivideBuy): nothing was refunded."""

    code = "refund_failed"
    #: the ledger row, marked failed (always given: raised after the ledger records it)
    entry: RefundEntry


class RefundOutcomeUnknown(CallFailed):
    """The refund was sent and no answer came back: recorded as unknown, blocks the order."""

    code = "refund_outcome_unknown"
    #: the ledger row, marked unknown (always given: raised after the ledger records it)
    entry: RefundEntry


class DatabaseBusyError(BackOfficeError):
    """The shop's database stayed locked past its lock timeout; nothing was sent or changed.

    Safe to try again in a moment (the CLI exits 1; the endpoints answer 503 with
    ``Retry-After``).
    """

    code = "database_busy"

    def __init__(self, doing: str) -> None:
        super().__init__(
            f"The shop's database is busy (another process holds its lock), so {doing}. "
            "Try again in a moment; if it keeps happening, look for a long-running job or a "
            "stuck process using the database."
        )


class RefundNotRecorded(BackOfficeError):
    """DivideBuy answered the refund, but the shop's database could not record the answer.

    The ledger still holds the refund as ``pending`` (its amount reserved, so
    nothing more than is left can be refunded). The service keeps trying to
    record the answer in the background; if the process stops first, the
    pending refund turns ``unknown`` after the ledger's ``stale_after`` and
    blocks the order's refunds until an operator confirms it.
    """

    code = "refund_not_recorded"

    def __init__(self, message: str, *, entry: RefundEntry, made: bool) -> None:
        super().__init__(message)
        #: the ledger row as it stands (``pending``)
        self.entry = entry
        #: True when DivideBuy made the refund
        self.made = made
