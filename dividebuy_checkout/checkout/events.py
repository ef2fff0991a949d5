"""The checkout's events: what happened, told to whoever listens, once.

The core never imports Flask or blinker: it calls ``notify(event, record, **kw)``
after a change is recorded, and the Flask adapter turns each event into the
blinker signal of the same name (:mod:`dividebuy_checkout.flask.signals`). A
shop on another framework passes its own callable.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..store import CheckoutRecord

#: a quote was created and recorded; the shopper is about to go to DivideBuy
QUOTE_CREATED = "quote_created"
#: DivideBuy gave a decision (``decision=``): APPROVED, DECLINED or REFERRED
QUOTE_DECIDED = "quote_decided"
#: DivideBuy reports the quote completed and its amounts match the order: mark it paid
QUOTE_COMPLETED = "quote_completed"
#: the shopper cancelled at DivideBuy, or the application was declined
QUOTE_CANCELLED = "quote_cancelled"
#: the quote expired unfinished
QUOTE_EXPIRED = "quote_expired"
#: DivideBuy completed a quote whose amounts no longer match the order (``reason=``)
ORDER_ON_HOLD = "order_on_hold"

EVENTS = (
    QUOTE_CREATED,
    QUOTE_DECIDED,
    QUOTE_COMPLETED,
    QUOTE_CANCELLED,
    QUOTE_EXPIRED,
    ORDER_ON_HOLD,
)


class Notify(Protocol):
    """``notify(event, record, **extra)``: called once per recorded change."""

    def __call__(self, event: str, record: CheckoutRecord, **extra: Any) -> None: ...


def ignore(event: str, record: CheckoutRecord, **extra: Any) -> None:
    """The default listener: nobody is listening."""
