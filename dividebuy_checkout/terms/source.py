"""``TermsSource``: the one place that asks DivideBuy for terms and examples, and remembers them.

Checkout forms and product-page widgets both need ``GET /terms`` for the same prices. One
source per process (per app) serves both from one cache, so a product page followed by the
checkout form for that price costs one DivideBuy call, and clearing it after a rate-card
change clears what both show.

- **Checkout** asks :meth:`TermsSource.current` / :meth:`TermsSource.offer`: the current answer
  — fresh from the cache, or loaded now (never a stale value, no time budget; DivideBuy's
  errors are raised). A checkout call goes out even while the breaker is open: a shopper at the
  form is worth one call, and its success closes the breaker.
- **Widgets** ask :meth:`TermsSource.within` with a deadline: fresh or stale figures at once,
  else a load waited for until the deadline (then :data:`UNAVAILABLE`, while the load fills the
  cache in the background). While DivideBuy is failing or a call is overdue, widgets do not
  wait at all; while the breaker is open, they only get cached figures.
- **Refusals are answers**: DivideBuy refusing one amount (a 4xx such as 422) is kept as a
  negative entry for that amount (an empty :class:`~dividebuy_checkout.models.Terms`) and
  counts as DivideBuy being up. Only DivideBuy failing — unreachable, 5xx, nonsense, refused
  credentials, rate limiting — counts towards opening the circuit breaker, so amounts chosen by
  a client cannot open it (:func:`is_refusal`).
- **The spend range**: the lowest minimum and highest maximum spend DivideBuy last reported,
  so the widget endpoint can answer amounts outside it without asking DivideBuy.

Entries live in a :class:`~.backend.CacheBackend` (in-process by default; pass a shared one to
share the cache across workers).
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Literal, Protocol, TypeVar

from ..errors import AuthenticationError, DivideBuyError, RateLimitedError
from ..models import RepresentativeExample, Terms
from ..money import MoneyLike, to_money
from .backend import CacheBackend
from .breaker import CircuitBreaker, CircuitOpenError
from .cache import BudgetExceeded, CacheMiss, SWRCache
from .view import Offer
from .wording import WORDING, Wording

__all__ = [
    "UNAVAILABLE",
    "ExampleKey",
    "SourceStats",
    "TermsClient",
    "TermsSource",
    "Unavailable",
    "is_refusal",
]

log = logging.getLogger("dividebuy_checkout.terms")


class Unavailable(enum.Enum):
    """The type of :data:`UNAVAILABLE`: a one-member enum, so ``value is UNAVAILABLE``
    narrows ``T | Unavailable`` to ``T`` for the type checker (a bare ``object()`` cannot)."""

    UNAVAILABLE = "unavailable"


#: what :meth:`TermsSource.within` returns when a value cannot be had within the deadline
UNAVAILABLE: Final = Unavailable.UNAVAILABLE

#: (amount, months): the key of a representative example
ExampleKey = tuple[Decimal, int]

T = TypeVar("T")


class TermsClient(Protocol):
    """What the source needs from a client (``DivideBuyClient`` has both)."""

    def get_terms(self, amount: MoneyLike) -> Terms: ...

    def get_representative_example(self, amount: MoneyLike, term: int) -> RepresentativeExample: ...


def is_refusal(exc: BaseException) -> bool:
    """DivideBuy answered "no" about this one request (a 4xx), rather than failing.

    Assumption (the wire document is silent): a 4xx other than 401/403 (credentials), 408
    (timeout) and 429 (rate limit) is about the request — here, the amount — so it is an
    answer to cache for that amount, and says DivideBuy is up. Every other error (unreachable,
    5xx, malformed reply, credentials, rate limiting) is DivideBuy failing for everyone.
    """
    if not isinstance(exc, DivideBuyError) or isinstance(
        exc, AuthenticationError | RateLimitedError
    ):
        return False
    status = exc.status
    return status is not None and 400 <= status < 500 and status not in (401, 403, 408, 429)


@dataclass
class SourceStats:
    """DivideBuy calls the source made (the bench's "one call per price" is read here)."""

    terms_calls: int = 0
    example_calls: int = 0
    call_failures: int = 0
    refusals: int = 0
    short_circuits: int = 0


class TermsSource:
    """DivideBuy's terms and representative examples, cached once per process. Thread-safe."""

    def __init__(
        self,
        client: TermsClient,
        *,
        ttl: float = 300.0,
        stale_ttl: float = 3600.0,
        example_ttl: float = 3600.0,
        maxsize: int = 4096,
        workers: int = 4,
        failure_threshold: int = 3,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] | None = None,
        breaker: CircuitBreaker | None = None,
        backend: CacheBackend | None = None,
        wording: Wording = WORDING,
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.wording = wording
        if clock is None:  # shared state needs the wall clock: a test's own clock keeps it local
            breaker, backend = _shared_state(
                client, breaker, backend, maxsize, failure_threshold, reset_timeout
            )
        self.breaker = breaker or CircuitBreaker(
            failure_threshold=failure_threshold,
            reset_timeout=reset_timeout,
            clock=clock or time.monotonic,
        )
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dividebuy-terms")
        common: dict[str, Any] = {
            "executor": self._pool,
            "stale_ttl": stale_ttl,
            "maxsize": maxsize,
            "clock": clock or time.time,
            "backend": backend,
            "negative_ttl": ttl,
        }
        self.terms: SWRCache[Decimal, Terms] = SWRCache(
            self._load_terms, ttl=ttl, name="terms", negative=_refused_terms, **common
        )
        self.examples: SWRCache[ExampleKey, RepresentativeExample | None] = SWRCache(
            self._load_example,
            ttl=example_ttl,
            name="example",
            key_text=lambda key: f"{key[0]}:{key[1]}",
            negative=lambda example: example is None,
            **common,
        )
        self._lock = threading.Lock()
        self._stats = SourceStats()
        self._range: tuple[Decimal, Decimal] | None = None

    def __repr__(self) -> str:
        return f"TermsSource({self.client!r}, ttl={self.ttl})"

    # -- checkout: the current answer ----------------------------------------------------------

    def current(self, amount: MoneyLike) -> Terms:
        """DivideBuy's terms for *amount*: fresh from the cache, or asked now (errors raised)."""
        price = to_money(amount)
        try:
            return self.terms.get(price, timeout=None, stale=False, loader=self._load_terms_now)
        except CircuitOpenError:
            # We joined a widget's load that the breaker stopped: ask ourselves, ungated.
            return self.terms.get(price, timeout=None, stale=False, loader=self._load_terms_now)

    def offer(self, amount: MoneyLike) -> Offer:
        """The checkout's :class:`~.view.Offer` for *amount*, from :meth:`current`."""
        price = to_money(amount)
        return Offer.from_terms(price, self.current(price), self.wording)

    # -- widgets: what is there within a deadline -----------------------------------------------

    def slow(self) -> bool:
        """DivideBuy failed lately, or a call somebody gave up on is still running."""
        return bool(self.breaker.troubled or self.terms.overdue() or self.examples.overdue())

    def within(
        self, cache: SWRCache[Any, T], key: Any, deadline: float
    ) -> T | Literal[Unavailable.UNAVAILABLE]:
        """The cached or loaded value, or :data:`UNAVAILABLE` if not by *deadline*.

        *deadline* is a ``time.perf_counter()`` reading. Never raises for DivideBuy's sake.
        """
        timeout = 0.0 if self.slow() else max(deadline - time.perf_counter(), 0.0)
        try:
            return cache.get(key, timeout=timeout, load=self.breaker.would_allow())
        except (CacheMiss, BudgetExceeded, CircuitOpenError):
            return UNAVAILABLE
        except Exception as exc:  # a DivideBuy failure: the page renders without the figures
            log.debug("%s %s unavailable: %s", cache.name, key, exc)
            return UNAVAILABLE

    def cached(self, amount: Decimal) -> bool:
        """Whether the terms for *amount* are kept (fresh, stale or refused): no call needed."""
        return self.terms.cached(amount)

    def spend_range(self) -> tuple[Decimal, Decimal] | None:
        """(lowest minimum spend, highest maximum spend) DivideBuy last reported, if any."""
        return self._range

    # -- loading ---------------------------------------------------------------------------------

    def _call(self, counter: str, call: Callable[[], T], refusal: T, *, gated: bool = True) -> T:
        if gated and not self.breaker.allow():
            with self._lock:
                self._stats.short_circuits += 1
            raise CircuitOpenError("DivideBuy is failing; not calling it for now.")
        with self._lock:
            setattr(self._stats, counter, getattr(self._stats, counter) + 1)
        try:
            value = call()
        except Exception as exc:
            if is_refusal(exc):
                # DivideBuy is up and said no (e.g. the amount is outside every term's limits).
                self.breaker.record_success()
                with self._lock:
                    self._stats.refusals += 1
                log.debug("DivideBuy refused %s: %s", counter, exc)
                return refusal
            self.breaker.record_failure()
            with self._lock:
                self._stats.call_failures += 1
            raise
        self.breaker.record_success()
        return value

    def _fetch_terms(self, price: Decimal, *, gated: bool) -> Terms:
        terms = self._call(
            "terms_calls", lambda: self.client.get_terms(price), Terms(price, ()), gated=gated
        )
        if terms.terms:
            lowest = min(t.minimum_spend for t in terms.terms)
            highest = max(t.maximum_spend for t in terms.terms)
            self._range = (lowest, highest)
        return terms

    def _load_terms(self, price: Decimal) -> Terms:
        return self._fetch_terms(price, gated=True)

    def _load_terms_now(self, price: Decimal) -> Terms:
        return self._fetch_terms(price, gated=False)

    def _load_example(self, key: ExampleKey) -> RepresentativeExample | None:
        price, months = key
        return self._call(
            "example_calls",
            lambda: self.client.get_representative_example(price, months),
            None,
        )

    # -- operations ------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Calls made, failures, refusals, both caches' counters and the breaker's state."""
        with self._lock:
            stats: dict[str, Any] = dict(vars(self._stats))
        stats["terms_cache"] = self.terms.snapshot()
        stats["examples_cache"] = self.examples.snapshot()
        stats["breaker"] = self.breaker.state.value
        stats["breaker_opened"] = self.breaker.times_opened
        return stats

    def clear(self) -> None:
        """Forget every cached figure (the retailer's rate card changed): checkout and widgets."""
        self.terms.clear()
        self.examples.clear()
        self._range = None

    def close(self, *, wait: bool = False) -> None:
        """Stop the background pool: queued loads are dropped, running ones finish.

        Checkout keeps working (its loads run in the caller's thread); widgets then show only
        cached figures. ``wait=True`` returns only when running loads have finished.
        """
        self._pool.shutdown(wait=wait, cancel_futures=True)


def _shared_state(
    client: TermsClient,
    breaker: CircuitBreaker | None,
    backend: CacheBackend | None,
    maxsize: int,
    failure_threshold: int,
    reset_timeout: float,
) -> tuple[CircuitBreaker | None, CacheBackend | None]:
    """The breaker and backend shared through Redis when the client's settings name one
    (``DIVIDEBUY_REDIS_URL``); those given explicitly are kept."""
    from ..shared.terms_state import shared_breaker_for, shared_terms_backend_for

    settings = getattr(client, "settings", None)
    if breaker is None:
        breaker = shared_breaker_for(
            settings, failure_threshold=failure_threshold, reset_timeout=reset_timeout
        )
    if backend is None:
        backend = shared_terms_backend_for(settings, maxsize=maxsize)
    return breaker, backend


def _refused_terms(terms: Terms) -> bool:
    return not terms.terms
