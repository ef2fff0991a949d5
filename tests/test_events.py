"""One event contract: every event listed and documented once, and a Flask signal for each."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest
from blinker import NamedSignal
from flask import Flask

from dividebuy_checkout import events
from dividebuy_checkout.flask import signals


def _documented_constants() -> dict[str, str]:
    """``NAME = "event"`` assignments of events.py → the ``#:`` comment above each."""
    source = inspect.getsource(events)
    lines = source.splitlines()
    found: dict[str, str] = {}
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            comment = []
            at = node.lineno - 2
            while at >= 0 and lines[at].startswith("#:"):
                comment.insert(0, lines[at][2:].strip())
                at -= 1
            found[node.value.value] = " ".join(comment)
    return found


def test_every_event_is_a_documented_constant_with_its_payload():
    documented = _documented_constants()
    assert len(set(events.EVENTS)) == len(events.EVENTS)
    for event in events.EVENTS:
        assert "Payload" in documented.get(event, ""), f"{event} has no documented payload"
    assert set(events.CHECKOUT_EVENTS) <= set(events.EVENTS)
    assert {"quote_declined", "quote_cancelled", "refund_failed", "refund_unknown"} <= set(
        events.EVENTS
    )


def test_flask_has_the_signal_of_every_event_and_no_other():
    for event in events.EVENTS:
        signal = getattr(signals, event)
        assert isinstance(signal, NamedSignal) and event in signals.__all__
    with pytest.raises(AttributeError):
        signals.quote_refunded  # noqa: B018 - not an event


def test_the_notifier_sends_each_event_as_its_signal_for_its_app_only():
    app, other = Flask("shop"), Flask("other")
    heard: list[tuple[str, dict[str, Any]]] = []
    for event in events.EVENTS:

        def receiver(sender: Flask, _event: str = event, **payload: Any) -> None:
            heard.append((_event, payload))

        signals.SIGNALS[event].connect_via(app, weak=False)(receiver)

    notify: events.Notify = signals.notifier(app)
    for event in events.EVENTS:
        notify(event, order_id="A1")
    signals.notifier(other)(events.QUOTE_COMPLETED, order_id="B2")

    assert heard == [(event, {"order_id": "A1"}) for event in events.EVENTS]
