"""Test doubles for the widget tests: DivideBuy's figures without HTTP, and a fake client.

Figures come from the sandbox's own instalment maths (``sandbox/rates.py``), so the unit
tests use the same penny-exact terms the integration tests get over HTTP.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from dividebuy_checkout.errors import ServiceUnavailableError
from dividebuy_checkout.models import RepresentativeExample, Terms
from dividebuy_checkout.money import to_money
from dividebuy_checkout.sandbox import DEFAULT_RATE_CARD, RateCardEntry
from dividebuy_checkout.sandbox.rates import instalments, representative_html, term_for_wire

INTEREST_FREE_ONLY = tuple(e for e in DEFAULT_RATE_CARD if e.interest_rate == 0)
BEARING_ONLY = tuple(e for e in DEFAULT_RATE_CARD if e.interest_rate != 0)


def terms_for(amount: Any, card: Sequence[RateCardEntry] = DEFAULT_RATE_CARD) -> Terms:
    """The terms reply DivideBuy (the sandbox) gives for *amount*, as the client reads it."""
    price = to_money(amount)
    body = {
        "status": "success",
        "data": {"order_value": price, "terms": [term_for_wire(e, price) for e in card]},
    }
    return Terms.from_wire(body)


def example_for(amount: Any, months: int, html: str | None = None) -> RepresentativeExample:
    price = to_money(amount)
    entry = next(e for e in DEFAULT_RATE_CARD if e.months == months)
    figures = instalments(price, months, entry.interest_rate)
    return RepresentativeExample(
        amount=price,
        term=months,
        apr=entry.interest_rate,
        html=representative_html(figures) if html is None else html,
    )


class FakeClient:
    """Counts calls; can block (``gate``), fail (``fail``) or use another rate card."""

    def __init__(self, card: Sequence[RateCardEntry] = DEFAULT_RATE_CARD) -> None:
        self.card = card
        self.terms_calls: list[Decimal] = []
        self.example_calls: list[tuple[Decimal, int]] = []
        self.gate: threading.Event | None = None
        self.fail: Exception | None = None
        self.example_fail: Exception | None = None
        self.example_html: str | None = None
        self.on_call: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def _enter(self) -> None:
        if self.on_call:
            self.on_call()
        if self.gate is not None:
            self.gate.wait(10)

    def get_terms(self, amount: Any) -> Terms:
        with self._lock:
            self.terms_calls.append(to_money(amount))
        self._enter()
        if self.fail is not None:
            raise self.fail
        return terms_for(amount, self.card)

    def get_representative_example(self, amount: Any, term: int) -> RepresentativeExample:
        with self._lock:
            self.example_calls.append((to_money(amount), term))
        self._enter()
        if self.example_fail is not None:
            raise self.example_fail
        return example_for(amount, term, self.example_html)


DOWN = ServiceUnavailableError("DivideBuy is unavailable.", status=503)


class FakeClock:
    """A clock the test moves by hand (cache freshness, breaker timeouts)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def wait_idle(stats: Callable[[], dict[str, Any]]) -> None:
    """Wait until no background load is pending in the terms and examples caches."""
    for _ in range(500):
        now = stats()
        if not now["terms_cache"]["pending"] and not now["examples_cache"]["pending"]:
            return
        time.sleep(0.01)
    raise AssertionError("background loads never finished")
