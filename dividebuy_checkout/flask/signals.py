"""Blinker signals a shop subscribes to, one per event of :mod:`dividebuy_checkout.events`.

The signals are *generated* from :data:`dividebuy_checkout.events.EVENTS`, so every
event the core sends has its signal of the same name; what each one means and
carries is documented there. Each is sent once per recorded change, with the
Flask app as sender and the event's payload as keyword arguments (checkout
signals carry ``record``, back-office signals ``order_id``)::

    from dividebuy_checkout.flask import signals

    @signals.quote_completed.connect_via(app)
    def mark_paid(app, record, **extra):
        orders.mark_paid(record.order_id)

    @signals.quote_declined.connect_via(app)
    def offer_card(app, record, **extra):
        orders.reopen(record.order_id)
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal, Namespace
from flask import Flask

from ..events import EVENTS, Notify

_namespace = Namespace()

#: event name → its signal (blinker name ``dividebuy.<event-with-dashes>``)
SIGNALS: dict[str, NamedSignal] = {
    event: _namespace.signal("dividebuy." + event.replace("_", "-")) for event in EVENTS
}

__all__ = ["SIGNALS", "notifier", *EVENTS]


def notifier(app: Flask) -> Notify:
    """The listener that sends each event as its signal, with *app* as sender."""

    def notify(event: str, /, **payload: Any) -> None:
        SIGNALS[event].send(app, **payload)

    return notify


def __getattr__(name: str) -> NamedSignal:
    # ``signals.quote_completed`` (and ``from … import quote_completed``): PEP 562.
    try:
        return SIGNALS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *SIGNALS})
