"""``WidgetService``: the instalment widget for a price, within a time budget, never failing.

It puts the parts together: DivideBuy's terms and representative examples from the shared
:class:`~dividebuy_checkout.terms.TermsSource` (one cache, single flight, a circuit breaker,
shared with checkout), and :func:`~.viewmodel.build_view`. A render asks
:meth:`WidgetService.view`; it gets a :class:`~.viewmodel.WidgetView` or ``None`` (render
nothing) and never an exception because DivideBuy is slow, down or odd.

Time: a render waits at most ``budget`` seconds in all (terms, then the example, share it).
While a DivideBuy call that a render gave up on is still running, or since DivideBuy last
failed, new misses do not wait at all (their loads run in the background); while the breaker
is open, nothing is called and only cached figures are shown. The representative example is
asked for only when an interest-bearing term would be shown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from ..models import RepresentativeExample, Terms
from ..money import MoneyLike, to_money
from ..terms import UNAVAILABLE, SWRCache, TermsClient, TermsSource
from ..terms.breaker import CircuitBreaker
from ..terms.cache import MISSING, BudgetExceeded
from .guard import AmountGuard
from .viewmodel import WORDING, WidgetView, Wording, build_view, example_term, ineligible

__all__ = ["WarmReport", "WidgetOutcome", "WidgetResult", "WidgetService"]

log = logging.getLogger("dividebuy_checkout.widgets")

#: prices warmed at once by WidgetService.warm (well under the caches' pending-load limit)
WARM_BATCH = 64


class WidgetOutcome(StrEnum):
    """Why a render shows what it shows (counted in ``stats()``; sets HTTP caching)."""

    SHOWN = "shown"  # every figure the widget needs
    PARTIAL = "partial"  # shown without interest-bearing terms: their example did not arrive
    INELIGIBLE = "ineligible"  # DivideBuy offers no term for this price
    UNAVAILABLE = "unavailable"  # DivideBuy slow, down, or the breaker open: show nothing


@dataclass(frozen=True)
class WidgetResult:
    """A view and how it came about (the JSON endpoint sets its cache headers from it)."""

    view: WidgetView
    outcome: WidgetOutcome

    @property
    def cacheable(self) -> bool:
        """Whether a browser or CDN may keep this answer: not when it was degraded."""
        return self.outcome in (WidgetOutcome.SHOWN, WidgetOutcome.INELIGIBLE)


class _Memo(NamedTuple):
    """The last result for a price and the cached objects it was built from."""

    terms: Terms
    months: int | None
    example: Any
    result: WidgetResult


@dataclass(frozen=True)
class WarmReport:
    """What :meth:`WidgetService.warm` did."""

    prices: int
    eligible: int
    failed: tuple[Decimal, ...] = field(default=())


class WidgetService:
    """Instalment widgets for product pages, cached and budgeted. Thread-safe; one per app.

    Give it the app's shared ``source=`` (so checkout and widgets share one cache), or a
    *client*, and it makes a source of its own from the cache settings.
    """

    def __init__(
        self,
        client: TermsClient | None = None,
        *,
        source: TermsSource | None = None,
        budget: float = 0.3,
        terms_ttl: float = 300.0,
        example_ttl: float = 3600.0,
        stale_ttl: float = 3600.0,
        maxsize: int = 4096,
        workers: int = 4,
        failure_threshold: int = 3,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] | None = None,
        wording: Wording = WORDING,
        prefer_interest_free: bool = False,
        breaker: CircuitBreaker | None = None,
        guard: AmountGuard | None = None,
    ) -> None:
        if budget < 0:
            raise ValueError("budget must be 0 or more seconds.")
        if source is None:
            if client is None:
                raise TypeError("WidgetService needs a client or a source=TermsSource(…).")
            source = TermsSource(
                client,
                ttl=terms_ttl,
                stale_ttl=stale_ttl,
                example_ttl=example_ttl,
                maxsize=maxsize,
                workers=workers,
                failure_threshold=failure_threshold,
                reset_timeout=reset_timeout,
                clock=clock,
                breaker=breaker,
                wording=wording,
            )
        self.source = source
        self.budget = budget
        self.wording = wording
        #: limits on the uncached amounts clients may ask the JSON endpoint about
        self.guard = guard or AmountGuard.from_specs()
        self._options: dict[str, Any] = {
            "wording": wording,
            "prefer_interest_free": prefer_interest_free,
        }
        # Views are rebuilt only when the cached terms or example objects change. Plain
        # dicts, emptied when full: an LRU's bookkeeping would cost more than a render.
        self._maxsize = maxsize
        self._views: dict[Decimal, _Memo] = {}
        self._prices: dict[Decimal | str, Decimal] = {}
        self._lock = threading.Lock()
        self._outcomes = dict.fromkeys(WidgetOutcome, 0)

    @property
    def client(self) -> TermsClient:
        return self.source.client

    @property
    def terms(self) -> SWRCache[Decimal, Terms]:
        return self.source.terms

    @property
    def examples(self) -> SWRCache[tuple[Decimal, int], RepresentativeExample | None]:
        return self.source.examples

    @property
    def breaker(self) -> CircuitBreaker:
        return self.source.breaker

    # -- rendering ---------------------------------------------------------------------------

    def view(self, amount: MoneyLike) -> WidgetView | None:
        """The widget for *amount*, or ``None`` to render nothing. Waits at most the budget."""
        result = self.result(amount)
        return result.view if result.view.eligible else None

    def result(self, amount: MoneyLike) -> WidgetResult:
        """Like :meth:`view`, saying why. Raises ``MoneyError`` only for a bad *amount*.

        The hot path (figures cached and fresh, view already built) is a few dictionary
        lookups: a product page with the widget must cost about what it costs without.
        """
        price = self._price(amount)
        deadline = time.perf_counter() + self.budget
        source = self.source
        terms = source.terms.fresh(price)
        if terms is MISSING:
            terms = source.within(source.terms, price, deadline)
            if terms is UNAVAILABLE:
                return self._count(WidgetResult(ineligible(price), WidgetOutcome.UNAVAILABLE))
        memo = self._views.get(price)
        if memo is not None and memo.terms is not terms:
            memo = None
        months = memo.months if memo is not None else example_term(terms, price)
        example = None
        if months is not None:  # only when an interest-bearing term would be shown
            key = (price, months)
            example = source.examples.fresh(key)
            if example is MISSING:
                example = source.within(source.examples, key, deadline)
        if memo is not None and memo.example is example:
            return self._count(memo.result)
        missing = example is UNAVAILABLE  # needed, but it did not arrive in time
        view = build_view(price, terms, None if missing else example, **self._options)
        if missing:
            outcome = WidgetOutcome.PARTIAL if view.eligible else WidgetOutcome.UNAVAILABLE
        else:
            outcome = WidgetOutcome.SHOWN if view.eligible else WidgetOutcome.INELIGIBLE
        result = WidgetResult(view, outcome)
        with self._lock:
            if len(self._views) >= self._maxsize:
                self._views.clear()
            self._views[price] = _Memo(terms, months, example, result)
        return self._count(result)

    def _price(self, amount: MoneyLike) -> Decimal:
        """*amount* as pounds (``to_money``), remembered per input: templates repeat prices."""
        # only text and Decimals are keys: a float 1.5 == Decimal("1.5") would find the
        # Decimal's price and skip to_money, which refuses floats
        if not isinstance(amount, (Decimal, str)):
            return to_money(amount)
        price = self._prices.get(amount)
        if price is None:
            price = to_money(amount)
            if len(self._prices) >= self._maxsize:
                self._prices.clear()
            self._prices[amount] = price
        return price

    def _count(self, result: WidgetResult) -> WidgetResult:
        with self._lock:
            self._outcomes[result.outcome] += 1
        return result

    # -- operations ------------------------------------------------------------------------------
    def warm(self, prices: Iterable[MoneyLike], *, timeout: float = 30.0) -> WarmReport:
        """Load the figures for *prices* now (e.g. at start-up or after a price import).

        Loads run on the pool, a batch at a time (so the renders of live pages still find
        room for theirs); this waits up to *timeout* seconds in all.
        """
        amounts = sorted({to_money(price) for price in prices})
        deadline = time.perf_counter() + timeout
        failed: list[Decimal] = []
        for start in range(0, len(amounts), WARM_BATCH):
            batch = amounts[start : start + WARM_BATCH]
            terms = self._load_all(self.terms, batch, deadline, failed)
            wanted = [(p, example_term(t, p)) for p, t in zip(batch, terms, strict=True) if t]
            keys = [(price, months) for price, months in wanted if months is not None]
            self._load_all(self.examples, keys, deadline, failed)
        eligible = 0
        for price in amounts:
            cached = self.terms.peek(price)
            if cached is None:
                continue
            months = example_term(cached, price)
            example = self.examples.peek((price, months)) if months is not None else None
            eligible += build_view(price, cached, example, **self._options).eligible
        return WarmReport(prices=len(amounts), eligible=eligible, failed=tuple(sorted(set(failed))))

    def _load_all(
        self, cache: SWRCache[Any, Any], keys: list[Any], deadline: float, failed: list[Decimal]
    ) -> list[Any]:
        """Load *keys* into *cache* together; the values (None where a load failed)."""
        futures: list[Future[Any] | None] = []
        for key in keys:
            try:
                futures.append(cache.load(key))
            except BudgetExceeded:
                futures.append(None)
        wait([f for f in futures if f is not None], timeout=max(deadline - time.perf_counter(), 0))
        values: list[Any] = []
        for key, future in zip(keys, futures, strict=True):
            if future is None or not future.done() or future.exception() is not None:
                failed.append(key[0] if isinstance(key, tuple) else key)
                values.append(None)
            else:
                values.append(future.result())
        return values

    def stats(self) -> dict[str, Any]:
        """Counters: renders by outcome, DivideBuy calls, failures, cache hits, breaker state."""
        with self._lock:
            stats: dict[str, Any] = {"renders": sum(self._outcomes.values())}
            stats.update((outcome.value, n) for outcome, n in self._outcomes.items())
        stats.update(self.source.stats())
        return stats

    def clear(self) -> None:
        """Forget every cached figure (the rate card changed): the shared source's too."""
        self.source.clear()
        with self._lock:
            self._views.clear()

    def close(self, *, wait: bool = False) -> None:
        """Stop the source's background pool: queued loads are dropped, running ones finish.

        ``wait=True`` returns only when they have (tests: no call lands after teardown).
        """
        self.source.close(wait=wait)
