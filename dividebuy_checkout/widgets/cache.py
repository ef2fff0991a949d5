"""A bounded TTL cache with single flight, stale-while-revalidate and a wait budget.

Product pages ask for the same few hundred prices thousands of times, and DivideBuy is a
network call away. This cache makes that cheap and safe:

- **bounded TTL store**: a ``cachetools.TTLCache`` (``maxsize`` entries) that keeps each value
  for ``ttl + stale_ttl`` seconds; for the first ``ttl`` it is *fresh*;
- **single flight**: however many threads miss the same key at once, one load runs; the rest
  wait for that load (50 concurrent renders of a new price → one DivideBuy call);
- **stale-while-revalidate**: a *stale* value (older than ``ttl``) is returned at once and a
  background refresh is started; if the refresh fails, the stale value stays until it expires;
- **a wait budget**: loads run on a small thread pool and a caller waits at most ``timeout``
  seconds for one (:class:`BudgetExceeded` then; the load carries on and fills the cache for
  the next page). While a load that somebody gave up on is still running, DivideBuy is slow:
  :meth:`SWRCache.overdue` says so, and the service stops waiting for new misses at all.

Freshness uses an injectable ``clock`` (tests move time instead of sleeping); waiting uses real
time, because that is what a shopper experiences.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cachetools import TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


#: what :meth:`SWRCache.fresh` returns when it has no fresh value
MISSING: Any = object()


class CacheMiss(LookupError):
    """Nothing cached for the key, and the caller did not allow a load."""


class BudgetExceeded(TimeoutError):
    """The value did not arrive within the caller's budget (the load goes on in the background)."""


@dataclass
class _Entry(Generic[V]):
    value: V
    loaded_at: float


@dataclass(eq=False)
class _Flight:
    started: float
    future: Future = field(default_factory=Future)
    #: somebody waited for this load and gave up
    overran: bool = False
    #: the load ended (its value is stored, or it failed)
    finished: bool = False


@dataclass
class CacheStats:
    """Counters for the bench and for a shop's metrics (read with :meth:`SWRCache.snapshot`)."""

    fresh_hits: int = 0
    stale_hits: int = 0
    misses: int = 0
    loads_started: int = 0
    loads_failed: int = 0
    refreshes: int = 0
    overruns: int = 0


class SWRCache(Generic[K, V]):
    """``get(key, timeout=…)`` returns a cached value, or loads it once for every caller."""

    def __init__(
        self,
        loader: Callable[[K], V],
        *,
        ttl: float,
        executor: Executor,
        stale_ttl: float = 0.0,
        maxsize: int = 1024,
        max_pending: int = 256,
        clock: Callable[[], float] = time.monotonic,
        name: str = "cache",
    ) -> None:
        if ttl <= 0 or stale_ttl < 0:
            raise ValueError("ttl must be positive and stale_ttl not negative.")
        self.name = name
        self.ttl = ttl
        self.stale_ttl = stale_ttl
        self._loader = loader
        self._executor = executor
        self._clock = clock
        self._max_pending = max_pending
        self._store: TTLCache[K, _Entry[V]] = TTLCache(
            maxsize=maxsize, ttl=ttl + stale_ttl, timer=clock
        )
        # A plain-dict index of entries recently seen fresh: the render hot path is one dict
        # lookup (TTLCache's bookkeeping costs more than the rest of a render). Bounded by
        # being emptied when full; the TTLCache stays the authority.
        self._recent: dict[K, _Entry[V]] = {}
        self._maxsize = maxsize
        self._flights: dict[K, _Flight] = {}
        self._overdue = 0
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def __len__(self) -> int:
        with self._lock:
            self._store.expire()
            return len(self._store)

    def fresh(self, key: K) -> V | Any:
        """The value for *key* if it is cached and fresh, else :data:`MISSING`. Never loads."""
        with self._lock:
            entry = self._recent.get(key)
            if entry is not None and self._clock() - entry.loaded_at < self.ttl:
                self.stats.fresh_hits += 1
                return entry.value
        return MISSING

    def get(self, key: K, *, timeout: float | None = None, load: bool = True) -> V:
        """The value for *key*: fresh or stale from the cache, else loaded (waiting ≤ *timeout*).

        With ``load=False`` nothing is loaded or refreshed (the breaker is open): a miss
        raises :class:`CacheMiss`. A load that fails raises its exception to every waiter.
        """
        with self._lock:
            entry = self._store.get(key)
            if entry is not None:
                if self._clock() - entry.loaded_at < self.ttl:
                    self.stats.fresh_hits += 1
                    self._remember(key, entry)
                    return entry.value
                self.stats.stale_hits += 1
                if load and key not in self._flights:
                    self.stats.refreshes += 1
                    self._start(key)
                return entry.value
            self.stats.misses += 1
            if not load:
                raise CacheMiss(key)
            flight = self._flights.get(key) or self._start(key)
        return self._wait(flight, timeout)

    def peek(self, key: K) -> V | None:
        """The cached value (fresh or stale) without loading, counting or refreshing."""
        with self._lock:
            entry = self._store.get(key)
            return None if entry is None else entry.value

    def load(self, key: K) -> Future:
        """Start a load of *key* (or join the one running) and return its future."""
        with self._lock:
            flight = self._flights.get(key) or self._start(key)
        return flight.future

    def overdue(self) -> int:
        """How many loads are still running after a caller gave up waiting for them."""
        return self._overdue

    def invalidate(self, key: K) -> None:
        with self._lock:
            self._store.pop(key, None)
            self._recent.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._store.clear()
            self._recent.clear()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            stats = dict(vars(self.stats))
            self._store.expire()
            stats["size"] = len(self._store)
            stats["pending"] = len(self._flights)
            stats["overdue"] = self._overdue
        return stats

    # -- internals (called with the lock held, except _run and _wait) ---------------------------

    def _remember(self, key: K, entry: _Entry[V]) -> None:
        if len(self._recent) >= self._maxsize:
            self._recent.clear()
        self._recent[key] = entry

    def _start(self, key: K) -> _Flight:
        if len(self._flights) >= self._max_pending:
            raise BudgetExceeded(f"{self.name}: too many loads pending; not starting another.")
        flight = _Flight(started=self._clock())
        self._flights[key] = flight
        self.stats.loads_started += 1
        try:
            self._executor.submit(self._run, key, flight)
        except RuntimeError:  # the pool is shut down (the app is stopping)
            del self._flights[key]
            raise BudgetExceeded(f"{self.name}: the loader pool is closed.") from None
        return flight

    def _run(self, key: K, flight: _Flight) -> None:
        try:
            value = self._loader(key)
        except BaseException as exc:
            self._finish(key, flight, None)
            with self._lock:
                self.stats.loads_failed += 1
            flight.future.set_exception(exc)
            return
        self._finish(key, flight, _Entry(value, self._clock()))
        flight.future.set_result(value)

    def _finish(self, key: K, flight: _Flight, entry: _Entry[V] | None) -> None:
        with self._lock:
            if entry is not None:
                self._store[key] = entry
                self._remember(key, entry)
            if self._flights.get(key) is flight:
                del self._flights[key]
            flight.finished = True
            if flight.overran:
                self._overdue -= 1

    def _wait(self, flight: _Flight, timeout: float | None) -> V:
        try:
            return flight.future.result(timeout=None if timeout is None else max(timeout, 0.0))
        except FutureTimeout:
            with self._lock:
                if not flight.finished and not flight.overran:
                    flight.overran = True
                    self._overdue += 1
                self.stats.overruns += 1
            raise BudgetExceeded(f"{self.name}: no answer within {timeout:.3f} s.") from None
