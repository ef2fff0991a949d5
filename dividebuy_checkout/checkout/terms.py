"""The instalment terms a shopper may choose for an order, each with its monthly amount.

Terms are read from DivideBuy (``GET /terms``) for the order total and kept
for a few minutes per amount, so showing the form and then submitting it costs
one call, not two. A small bounded TTL cache (cachetools) is enough: terms are
the retailer's rate card, which changes rarely, and a stale entry lasts at most
``ttl`` seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from cachetools import TTLCache

from ..models import Term, Terms
from ..money import format_gbp


@dataclass(frozen=True)
class TermChoice:
    """One term the shopper may pick, with the figures the form shows beside it."""

    months: int
    interest_rate: Decimal
    first_instalment: Decimal
    monthly: Decimal
    final_instalment: Decimal
    total_to_pay: Decimal

    @classmethod
    def from_term(cls, term: Term) -> TermChoice:
        return cls(
            months=term.months_in_term,
            interest_rate=term.interest_rate,
            first_instalment=term.first_instalment_cost,
            monthly=term.regular_instalment_cost,
            final_instalment=term.final_instalment_cost,
            total_to_pay=term.total_to_pay,
        )

    @property
    def interest_free(self) -> bool:
        return self.interest_rate == 0

    @property
    def label(self) -> str:
        """``12 months: £83.34 a month, interest-free`` (what the radio button says)."""
        rate = (
            "interest-free"
            if self.interest_free
            else f"{self.interest_rate.normalize():f}% APR, {format_gbp(self.total_to_pay)} in all"
        )
        return f"{self.months} months: {format_gbp(self.monthly)} a month, {rate}"


@dataclass(frozen=True)
class Offer:
    """What DivideBuy offers for an order total: the choices, or why there are none."""

    amount: Decimal
    choices: tuple[TermChoice, ...]
    #: the lowest minimum and highest maximum spend of every term (to explain an empty offer)
    minimum_spend: Decimal | None
    maximum_spend: Decimal | None

    @property
    def months(self) -> tuple[int, ...]:
        return tuple(choice.months for choice in self.choices)

    def choice(self, months: int) -> TermChoice | None:
        return next((c for c in self.choices if c.months == months), None)

    @property
    def why_none(self) -> str:
        """Why nothing is offered, in the shopper's words."""
        if self.minimum_spend is not None and self.amount < self.minimum_spend:
            return (
                f"DivideBuy finance is available on orders from {format_gbp(self.minimum_spend)}; "
                f"this order is {format_gbp(self.amount)}."
            )
        if self.maximum_spend is not None and self.amount > self.maximum_spend:
            return (
                f"DivideBuy finance is available on orders up to {format_gbp(self.maximum_spend)}; "
                f"this order is {format_gbp(self.amount)}."
            )
        return "DivideBuy finance is not available for this order."

    def with_figures_from(self, other: Offer) -> Offer:
        """These terms, with *other*'s figures for the same months (where it has them)."""
        figures = {choice.months: choice for choice in other.choices}
        return replace(self, choices=tuple(figures.get(c.months, c) for c in self.choices))

    @classmethod
    def from_terms(cls, amount: Decimal, terms: Terms) -> Offer:
        every = terms.terms
        return cls(
            amount=amount,
            choices=tuple(
                sorted((TermChoice.from_term(t) for t in terms.available), key=lambda c: c.months)
            ),
            minimum_spend=min((t.minimum_spend for t in every), default=None),
            maximum_spend=max((t.maximum_spend for t in every), default=None),
        )


class TermsCache:
    """``Offer`` per amount, fetched with *fetch* and kept for *ttl* seconds (thread-safe)."""

    def __init__(
        self, fetch: Callable[[Decimal], Terms], *, ttl: float = 300, maxsize: int = 512
    ) -> None:
        self._fetch = fetch
        self._cache: TTLCache[Decimal, Offer] = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()

    def offer(self, amount: Decimal) -> Offer:
        with self._lock:
            cached = self._cache.get(amount)
        if cached is not None:
            return cached
        offer = Offer.from_terms(amount, self._fetch(amount))  # outside the lock: network
        if offer.choices or offer.minimum_spend is not None:
            with self._lock:
                self._cache[amount] = offer
        return offer

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
