"""``WidgetService``: the instalment widget for a price, within a time budget, never failing.

It puts the parts together: DivideBuy's terms per amount and representative examples per
(amount, term) in :class:`~.cache.SWRCache` caches, a :class:`~.breaker.CircuitBreaker` in
front of every DivideBuy call, and :func:`~.viewmodel.build_view`. A render asks
:meth:`WidgetService.view`; it gets a :class:`~.viewmodel.WidgetView` or ``None`` (render
nothing) and never an exception because DivideBuy is slow, down or odd.

Time: a render waits at most ``budget`` seconds in all (terms, then the example, share it).
While a DivideBuy call that a render gave up on is still running, or since DivideBuy last
failed, new misses do not wait at all (their loads run in the background); while the breaker
is open, nothing is called and only cached figures are shown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from ..errors import ConflictError, NotFoundError, ValidationError
from ..models import RepresentativeExample, Terms
from ..money import MoneyLike, to_money
from .breaker import CircuitBreaker, CircuitOpenError
from .cache import MISSING, BudgetExceeded, CacheMiss, SWRCache
from .viewmodel import WORDING, WidgetView, Wording, build_view, example_term, ineligible

log = logging.getLogger("dividebuy_checkout.widgets")

#: prices warmed at once by WidgetService.warm (well under the caches' pending-load limit)
WARM_BATCH = 64

#: what _get returns when a value cannot be had within the budget
_UNAVAILABLE: Any = object()

#: DivideBuy answered, but with "no" (a 4xx about the request): not a failure of DivideBuy.
_ANSWERS = (ValidationError, ConflictError, NotFoundError)


class TermsSource(Protocol):
    """What the service needs from a client (``DivideBuyClient`` has both)."""

    def get_terms(self, amount: MoneyLike) -> Terms: ...

    def get_representative_example(self, amount: MoneyLike, term: int) -> RepresentativeExample: ...


class Outcome(StrEnum):
    """Why a render shows what it shows (counted in ``stats()``; sets HTTP caching)."""

    SHOWN = "shown"  # every figure the widget needs
    PARTIAL = "partial"  # shown without interest-bearing terms: their example did not arrive
    INELIGIBLE = "ineligible"  # DivideBuy offers no term for this price
    UNAVAILABLE = "unavailable"  # DivideBuy slow, down, or the breaker open: show nothing


@dataclass(frozen=True)
class WidgetResult:
    """A view and how it came about (the JSON endpoint sets its cache headers from it)."""

    view: WidgetView
    outcome: Outcome

    @property
    def cacheable(self) -> bool:
        """Whether a browser or CDN may keep this answer: not when it was degraded."""
        return self.outcome in (Outcome.SHOWN, Outcome.INELIGIBLE)


class _Memo(NamedTuple):
    """The last result for a price and the cached objects it was built from."""

    terms: Terms
    months: int | None
    example: Any
    result: WidgetResult


@dataclass
class ServiceStats:
    """DivideBuy calls the widgets made (the bench's "one call per price" is read here)."""

    terms_calls: int = 0
    example_calls: int = 0
    call_failures: int = 0
    short_circuits: int = 0


@dataclass(frozen=True)
class WarmReport:
    """What :meth:`WidgetService.warm` did."""

    prices: int
    eligible: int
    failed: tuple[Decimal, ...] = field(default=())


class WidgetService:
    """Instalment widgets for product pages, cached and budgeted. Thread-safe; one per app."""

    def __init__(
        self,
        client: TermsSource,
        *,
        budget: float = 0.3,
        terms_ttl: float = 300.0,
        example_ttl: float = 3600.0,
        stale_ttl: float = 3600.0,
        maxsize: int = 4096,
        workers: int = 4,
        failure_threshold: int = 3,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wording: Wording = WORDING,
        prefer_interest_free: bool = False,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if budget < 0:
            raise ValueError("budget must be 0 or more seconds.")
        self.client = client
        self.budget = budget
        self.wording = wording
        self._options: dict[str, Any] = {
            "wording": wording,
            "prefer_interest_free": prefer_interest_free,
        }
        self.breaker = breaker or CircuitBreaker(
            failure_threshold=failure_threshold, reset_timeout=reset_timeout, clock=clock
        )
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dividebuy-widget")
        common: dict[str, Any] = {
            "executor": self._pool,
            "stale_ttl": stale_ttl,
            "maxsize": maxsize,
            "clock": clock,
        }
        self.terms = SWRCache(self._load_terms, ttl=terms_ttl, name="terms", **common)
        self.examples = SWRCache(self._load_example, ttl=example_ttl, name="examples", **common)
        # Views are rebuilt only when the cached terms or example objects change. Plain
        # dicts, emptied when full: an LRU's bookkeeping would cost more than a render.
        self._maxsize = maxsize
        self._views: dict[Decimal, _Memo] = {}
        self._prices: dict[Decimal | str, Decimal] = {}
        self._lock = threading.Lock()
        self._stats = ServiceStats()
        self._outcomes = dict.fromkeys(Outcome, 0)

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
        terms = self.terms.fresh(price)
        if terms is MISSING:
            terms = self._get(self.terms, price, deadline)
            if terms is _UNAVAILABLE:
                return self._count(WidgetResult(ineligible(price), Outcome.UNAVAILABLE))
        memo = self._views.get(price)
        if memo is not None and memo.terms is not terms:
            memo = None
        months = memo.months if memo is not None else example_term(terms, price)
        example = None
        if months is not None:
            key = (price, months)
            example = self.examples.fresh(key)
            if example is MISSING:
                example = self._get(self.examples, key, deadline)
        if memo is not None and memo.example is example:
            return self._count(memo.result)
        missing = example is _UNAVAILABLE  # needed, but it did not arrive in time
        view = build_view(price, terms, None if missing else example, **self._options)
        if missing:
            outcome = Outcome.PARTIAL if view.eligible else Outcome.UNAVAILABLE
        else:
            outcome = Outcome.SHOWN if view.eligible else Outcome.INELIGIBLE
        result = WidgetResult(view, outcome)
        with self._lock:
            if len(self._views) >= self._maxsize:
                self._views.clear()
            self._views[price] = _Memo(terms, months, example, result)
        return self._count(result)

    def _price(self, amount: MoneyLike) -> Decimal:
        """*amount* as pounds (``to_money``), remembered per input: templates repeat prices."""
        kind = type(amount)
        if kind is Decimal or kind is str:  # never a float: 1.5 == Decimal("1.5") as a key
            price = self._prices.get(amount)
            if price is not None:
                return price
        price = to_money(amount)
        if kind is Decimal or kind is str:
            if len(self._prices) >= self._maxsize:
                self._prices.clear()
            self._prices[amount] = price
        return price

    def _get(self, cache: SWRCache, key: Any, deadline: float) -> Any:
        """The cached or freshly loaded value, or _UNAVAILABLE if not within the budget."""
        # While DivideBuy is failing or a call is overdue, do not wait: load in the background.
        slow = self.breaker.troubled or self.terms.overdue() or self.examples.overdue()
        timeout = 0.0 if slow else max(deadline - time.perf_counter(), 0.0)
        try:
            return cache.get(key, timeout=timeout, load=self.breaker.would_allow())
        except (CacheMiss, BudgetExceeded, CircuitOpenError):
            return _UNAVAILABLE
        except Exception as exc:  # a DivideBuy failure: the page renders without the widget
            log.debug("widget %s %s unavailable: %s", cache.name, key, exc)
            return _UNAVAILABLE

    def _count(self, result: WidgetResult) -> WidgetResult:
        with self._lock:
            self._outcomes[result.outcome] += 1
        return result

    # -- loading (on the pool's threads) -------------------------------------------------------

    def _call(self, counter: str, call: Callable[[], Any], on_refusal: Any) -> Any:
        if not self.breaker.allow():
            with self._lock:
                self._stats.short_circuits += 1
            raise CircuitOpenError("DivideBuy is failing; not calling it for now.")
        with self._lock:
            setattr(self._stats, counter, getattr(self._stats, counter) + 1)
        try:
            value = call()
        except _ANSWERS as exc:
            # DivideBuy is up and said no (e.g. the amount is outside every term's limits).
            self.breaker.record_success()
            log.debug("DivideBuy refused a widget request: %s", exc)
            return on_refusal
        except Exception:
            self.breaker.record_failure()
            with self._lock:
                self._stats.call_failures += 1
            raise
        self.breaker.record_success()
        return value

    def _load_terms(self, price: Decimal) -> Terms:
        return self._call("terms_calls", lambda: self.client.get_terms(price), Terms(price, ()))

    def _load_example(self, key: tuple[Decimal, int]) -> RepresentativeExample | None:
        price, months = key
        return self._call(
            "example_calls",
            lambda: self.client.get_representative_example(price, months),
            None,
        )

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
        self, cache: SWRCache, keys: list[Any], deadline: float, failed: list[Decimal]
    ) -> list[Any]:
        """Load *keys* into *cache* together; the values (None where a load failed)."""
        futures = []
        for key in keys:
            try:
                futures.append(cache.load(key))
            except BudgetExceeded:
                futures.append(None)
        wait([f for f in futures if f is not None], timeout=max(deadline - time.perf_counter(), 0))
        values = []
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
            stats.update(vars(self._stats))
        stats["terms_cache"] = self.terms.snapshot()
        stats["examples_cache"] = self.examples.snapshot()
        stats["breaker"] = self.breaker.state.value
        stats["breaker_opened"] = self.breaker.times_opened
        return stats

    def clear(self) -> None:
        """Forget every cached figure (e.g. after the retailer's rate card changed)."""
        self.terms.clear()
        self.examples.clear()
        with self._lock:
            self._views.clear()

    def close(self, *, wait: bool = False) -> None:
        """Stop the background pool: queued loads are dropped, running ones finish.

        ``wait=True`` returns only when they have (tests: no call lands after teardown).
        """
        self._pool.shutdown(wait=wait, cancel_futures=True)
