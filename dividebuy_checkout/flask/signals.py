"""Signals a shop subscribes to (blinker), in the manner of Flask-Login's.

Each is sent once per transition, after it is recorded, with the Flask app as
sender and the :class:`~dividebuy_checkout.store.CheckoutRecord` as ``record``
(back-office signals carry ``order_id`` and their own keyword arguments)::

    from dividebuy_checkout.flask import signals

    @signals.quote_completed.connect_via(app)
    def mark_paid(app, record, **extra):
        orders.mark_paid(record.order_id)
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: a quote was created and recorded (``record``); the shopper is about to go to DivideBuy
quote_created = _signals.signal("dividebuy.quote-created")
#: DivideBuy gave a decision (``record``, ``decision``): APPROVED, DECLINED or REFERRED
quote_decided = _signals.signal("dividebuy.quote-decided")
#: the shopper signed and paid the first instalment: mark the order paid (``record``)
quote_completed = _signals.signal("dividebuy.quote-completed")
#: the shopper cancelled at DivideBuy, or the application was declined (``record``)
quote_cancelled = _signals.signal("dividebuy.quote-cancelled")
#: the quote expired unfinished (``record``)
quote_expired = _signals.signal("dividebuy.quote-expired")
#: DivideBuy completed a quote whose amounts no longer match the order (``record``, ``reason``)
order_on_hold = _signals.signal("dividebuy.order-on-hold")
#: DivideBuy was told the order was delivered (``order_id``, ``delivered_on``)
order_settled = _signals.signal("dividebuy.order-settled")
#: DivideBuy confirmed a refund (``order_id``, ``refund``)
refund_issued = _signals.signal("dividebuy.refund-issued")
