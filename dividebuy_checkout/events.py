"""Every event the package announces, with its payload: the one contract for listeners.

The core never imports Flask or blinker. After a change is *recorded*, a service
calls its listener once::

    notify(event, **payload)        # e.g. notify("quote_completed", record=record)

A listener is any callable with that signature (:class:`Notify`). The Flask
adapter turns each event into the blinker signal of the same name
(:mod:`dividebuy_checkout.flask.signals`, generated from :data:`EVENTS`); the
console CLI takes one with ``--listener module:callable``; a shop on another
framework passes its own. A listener that raises is logged and does not undo
what was recorded, so a receiver must be safe to call once and only once per
change; it is never called for a change that lost a race.

Checkout events carry ``record``, the :class:`~dividebuy_checkout.store.CheckoutRecord`
as recorded after the change, plus the keys listed. Back-office events carry
``order_id`` (the shop's order id) plus the keys listed.

Each constant below is documented with when it is sent and its payload, in the
manner of Flask-Login's ``signals.py``.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = [
    "CHECKOUT_EVENTS",
    "EVENTS",
    "HOLD_REFUNDED",
    "ORDER_ON_HOLD",
    "ORDER_SETTLED",
    "PLATFORM_EVENT_PROCESSED",
    "PLATFORM_EVENT_REJECTED",
    "QUOTE_CANCELLED",
    "QUOTE_COMPLETED",
    "QUOTE_CREATED",
    "QUOTE_DECIDED",
    "QUOTE_DECLINED",
    "QUOTE_EXPIRED",
    "QUOTE_ORPHANED",
    "REFUND_FAILED",
    "REFUND_ISSUED",
    "REFUND_UNKNOWN",
    "Notify",
    "ignore",
]

# -- checkout: payload ``record`` (the CheckoutRecord after the change) ---------------------

#: A quote was created and recorded; the shopper is about to go to DivideBuy.
#: Payload: ``record``.
QUOTE_CREATED = "quote_created"

#: DivideBuy's decision became known (at creation, or when the shopper signed).
#: Payload: ``record``, ``decision`` (``"APPROVED"``, ``"DECLINED"`` or ``"REFERRED"``).
QUOTE_DECIDED = "quote_decided"

#: DivideBuy completed the quote and its amounts match the order: mark the order paid.
#: Payload: ``record``.
QUOTE_COMPLETED = "quote_completed"

#: DivideBuy declined the application (at creation or later): the order is not paid;
#: offer another way to pay. Payload: ``record``.
QUOTE_DECLINED = "quote_declined"

#: The shopper cancelled at DivideBuy: the order is not paid. Payload: ``record``.
QUOTE_CANCELLED = "quote_cancelled"

#: The quote expired unfinished: the order is not paid. Payload: ``record``.
QUOTE_EXPIRED = "quote_expired"

#: DivideBuy completed a quote that must not mark the order paid as it stands (the
#: amounts no longer match the order, or a replaced quote was signed): a person must
#: look. Payload: ``record``, ``reason`` (a sentence for the operator).
ORDER_ON_HOLD = "order_on_hold"

#: DivideBuy no longer knows the quote (404s past ``DIVIDEBUY_QUOTE_NOT_FOUND_LIMIT``, or
#: past ``DIVIDEBUY_QUOTE_LIFETIME_HOURS``): the checkout is final as ``orphaned``, the order
#: is not paid by it, and an operator should look in DivideBuy's portal. Payload:
#: ``record``, ``reason``.
QUOTE_ORPHANED = "quote_orphaned"

#: An operator resolved a hold by refunding the held quote in full through the ledger
#: (``resolve-hold --refund``): the order is not paid by it. Payload: ``record`` (now
#: ``refunded``), ``refund`` (the ledger's ``RefundEntry``), ``reason``, ``actor``.
#: (Resolving with ``--release`` sends ``quote_completed`` instead.)
HOLD_REFUNDED = "hold_refunded"

# -- back office: payload ``order_id`` (the shop's order id) --------------------------------

#: DivideBuy accepted the order's delivery date (the retailer gets paid).
#: Payload: ``order_id``, ``delivered_on`` (a :class:`datetime.date`).
ORDER_SETTLED = "order_settled"

#: A refund went back to the customer: DivideBuy confirmed it, or an operator confirmed
#: an unknown one. Payload: ``order_id``, ``refund`` (the ledger's
#: :class:`~dividebuy_checkout.store.RefundEntry`).
REFUND_ISSUED = "refund_issued"

#: A refund was not made: DivideBuy refused it, or an operator confirmed that an unknown
#: one did not happen. Its amount is refundable again. Payload: ``order_id``,
#: ``refund`` (the ``RefundEntry``), ``reason``.
REFUND_FAILED = "refund_failed"

#: A refund was sent and no usable answer came back: it may or may not have been made,
#: and it blocks further refunds on the order until an operator confirms it.
#: Payload: ``order_id``, ``refund`` (the ``RefundEntry``), ``reason``.
REFUND_UNKNOWN = "refund_unknown"

# -- shop platforms: payload ``platform``, ``order_id``, ``event_key``, ``outcome``, ``reason`` --

#: A shop platform's event (a REC+ webhook, a poll) was processed: settled, refunded,
#: deferred, ignored or left to retry. Payload: ``platform``, ``order_id``, ``event_key``
#: (``"settle:112312"``), ``outcome`` (the inbox status) and ``reason`` (a sentence or None).
PLATFORM_EVENT_PROCESSED = "platform_event_processed"

#: A shop platform's event needs a person: refused by the back office (the checkout is not
#: completed, the refund exceeds what is left…), given up after its retries, or a refund
#: whose outcome is unknown (``outcome`` ``"needs_operator"``). Payload: as
#: ``platform_event_processed``.
PLATFORM_EVENT_REJECTED = "platform_event_rejected"

#: the checkout events (payload ``record``), in the order a checkout meets them
CHECKOUT_EVENTS: tuple[str, ...] = (
    QUOTE_CREATED,
    QUOTE_DECIDED,
    QUOTE_COMPLETED,
    QUOTE_DECLINED,
    QUOTE_CANCELLED,
    QUOTE_EXPIRED,
    ORDER_ON_HOLD,
    QUOTE_ORPHANED,
    HOLD_REFUNDED,
)

#: every event name the package sends; the Flask signals are generated from this
EVENTS: tuple[str, ...] = (
    *CHECKOUT_EVENTS,
    ORDER_SETTLED,
    REFUND_ISSUED,
    REFUND_FAILED,
    REFUND_UNKNOWN,
    PLATFORM_EVENT_PROCESSED,
    PLATFORM_EVENT_REJECTED,
)


class Notify(Protocol):
    """A listener: ``notify(event, **payload)``, called once per recorded change.

    *event* is one of :data:`EVENTS`; *payload* is what that event documents.
    Any ``Callable[..., None]`` accepting this call fits, e.g.
    ``def notify(event: str, **payload: Any) -> None``.
    """

    def __call__(self, event: str, /, **payload: Any) -> None: ...


def ignore(event: str, /, **payload: Any) -> None:
    """The default listener: nobody is listening."""
