"""A TTL cache with single flight, stale-while-revalidate, a wait budget and negative entries.

Product pages ask for the same few hundred prices thousands of times, checkout forms ask for
the same prices again, and DivideBuy is a network call away. This cache makes that cheap and
safe:

- **entries in a backend** (:mod:`.backend`): in this process by default, shareable across
  workers; each value is *fresh* for ``ttl`` seconds, then *stale* for ``stale_ttl``;
- **negative entries**: a value the ``negative`` predicate picks (DivideBuy refused the amount)
  is kept for ``negative_ttl`` seconds and never served stale;
- **single flight**: however many threads miss the same key at once, one load runs; the rest
  wait for that load (50 concurrent renders of a new price → one DivideBuy call). The
  backend's lock extends that across processes;
- **stale-while-revalidate**: a *stale* value is returned at once and a background refresh is
  started; if the refresh fails, the stale value stays until it expires. A caller that must
  have the current answer (checkout) passes ``stale=False``;
- **a wait budget**: background loads run on a small thread pool and a caller waits at most
  ``timeout`` seconds for one (:class:`BudgetExceeded` then; the load carries on and fills the
  cache). ``timeout=None`` waits as long as the load takes, and a miss with no load running
  is loaded in the caller's own thread. :meth:`SWRCache.overdue` counts loads somebody gave
  up on: while there are any, DivideBuy is slow.

Freshness uses an injectable ``clock`` (tests move time instead of sleeping; the default is
the wall clock, which a shared backend needs); waiting uses real time, because that is what a
shopper experiences.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from .backend import CacheBackend, MemoryBackend, Stored

__all__ = ["MISSING", "BudgetExceeded", "CacheMiss", "CacheStats", "SWRCache"]

log = logging.getLogger("dividebuy_checkout.terms")

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: what :meth:`SWRCache.fresh` returns when it has no fresh value
MISSING: Any = object()

#: seconds a load waits for another process's lock on the same key before loading anyway
LOCK_TIMEOUT = 10.0


class CacheMiss(LookupError):
    """Nothing cached for the key, and the caller did not allow a load."""


class BudgetExceeded(TimeoutError):
    """The value did not arrive within the caller's budget (the load goes on in the background)."""


@dataclass(eq=False)
class _Flight(Generic[V]):
    started: float
    future: Future[V] = field(default_factory=Future)
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
        clock: Callable[[], float] = time.time,
        name: str = "cache",
        backend: CacheBackend | None = None,
        key_text: Callable[[K], str] = str,
        negative: Callable[[V], bool] | None = None,
        negative_ttl: float | None = None,
    ) -> None:
        if ttl <= 0 or stale_ttl < 0 or (negative_ttl is not None and negative_ttl <= 0):
            raise ValueError("ttl (and negative_ttl) must be positive and stale_ttl not negative.")
        self.name = name
        self.ttl = ttl
        self.stale_ttl = stale_ttl
        self.negative_ttl = ttl if negative_ttl is None else negative_ttl
        self._loader = loader
        self._executor = executor
        self._clock = clock
        self._max_pending = max_pending
        self._backend: CacheBackend = backend or MemoryBackend(maxsize=maxsize, clock=clock)
        self._key_text = key_text
        self._negative = negative
        # A plain-dict index of entries recently seen fresh: the render hot path is one dict
        # lookup (a backend's bookkeeping costs more than the rest of a render). Bounded by
        # being emptied when full; the backend stays the authority.
        self._recent: dict[K, Stored] = {}
        self._maxsize = maxsize
        self._flights: dict[K, _Flight[V]] = {}
        self._overdue = 0
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def __len__(self) -> int:
        return self._backend.size()

    def _text(self, key: K) -> str:
        return f"{self.name}:{self._key_text(key)}"

    def _value(self, entry: Stored) -> V:
        """*entry*'s value as this cache's type. :class:`Stored` is not generic because a
        backend (memory or Redis) keeps entries of any cache; this cache only ever reads the
        entries it wrote under its own keys, so the value is a ``V``."""
        return cast(V, entry.value)

    def _fresh(self, entry: Stored) -> bool:
        return self._clock() - entry.loaded_at < entry.fresh_for

    def _read(self, key: K) -> Stored | None:
        try:
            return self._backend.get(self._text(key))
        except Exception as exc:  # a broken shared store: treat as missing, ask DivideBuy
            log.warning("%s cache backend failed to read %s: %s", self.name, key, exc)
            return None

    def fresh(self, key: K) -> Any:
        """The value for *key* if it was seen fresh lately, else :data:`MISSING`. Never loads."""
        with self._lock:
            entry = self._recent.get(key)
            if entry is not None and self._clock() - entry.loaded_at < entry.fresh_for:
                self.stats.fresh_hits += 1
                return entry.value
        return MISSING

    def get(
        self,
        key: K,
        *,
        timeout: float | None = None,
        load: bool = True,
        stale: bool = True,
        loader: Callable[[K], V] | None = None,
    ) -> V:
        """The value for *key*: fresh (or, with *stale*, stale) from the cache, else loaded.

        Waits at most *timeout* seconds for a load (``None``: as long as it takes, loading in
        this thread when nobody else is). With ``load=False`` nothing is loaded or refreshed
        (the breaker is open): a miss raises :class:`CacheMiss`. A load that fails raises its
        exception to every waiter. *loader* replaces the cache's loader when this call starts
        the load (checkout's call, which the breaker does not stop).
        """
        entry = self._read(key)
        with self._lock:
            if entry is not None:
                if self._fresh(entry):
                    self.stats.fresh_hits += 1
                    self._remember(key, entry)
                    return self._value(entry)
                if stale:
                    self.stats.stale_hits += 1
                    if load and key not in self._flights:
                        self.stats.refreshes += 1
                        # too busy to refresh now: the stale value serves meanwhile
                        with contextlib.suppress(BudgetExceeded):
                            self._start(key, None)
                    return self._value(entry)
            self.stats.misses += 1
            if not load:
                raise CacheMiss(key)
            flight = self._flights.get(key)
            inline = flight is None and timeout is None
            if flight is None:
                flight = self._start(key, loader, inline=inline)
        if inline:
            self._run(key, flight, loader or self._loader)
        return self._wait(flight, timeout)

    def peek(self, key: K) -> V | None:
        """The cached value (fresh or stale) without loading, counting or refreshing."""
        entry = self._read(key)
        return None if entry is None else entry.value

    def cached(self, key: K) -> bool:
        """Whether anything (fresh, stale or a negative entry) is kept for *key*."""
        with self._lock:
            entry = self._recent.get(key)
        if entry is not None and self._fresh(entry):
            return True  # seen fresh lately: no backend round trip (Redis) per request
        return self._read(key) is not None

    def load(self, key: K) -> Future[Any]:
        """Start a background load of *key* (or join the one running) and return its future."""
        with self._lock:
            flight = self._flights.get(key) or self._start(key, None)
        return flight.future

    def overdue(self) -> int:
        """How many loads are still running after a caller gave up waiting for them."""
        return self._overdue

    def invalidate(self, key: K) -> None:
        self._backend.delete(self._text(key))
        with self._lock:
            self._recent.pop(key, None)

    def clear(self) -> None:
        """Forget every entry of this cache (in the backend too: every worker forgets it)."""
        self._backend.clear(f"{self.name}:")
        with self._lock:
            self._recent.clear()

    def snapshot(self) -> dict[str, int]:
        size = len(self)
        with self._lock:
            stats = dict(vars(self.stats))
            stats["size"] = size
            stats["pending"] = len(self._flights)
            stats["overdue"] = self._overdue
        return stats

    # -- internals (called with the lock held, except _run and _wait) ---------------------------

    def _remember(self, key: K, entry: Stored) -> None:
        if len(self._recent) >= self._maxsize:
            self._recent.clear()
        self._recent[key] = entry

    def _start(
        self, key: K, loader: Callable[[K], V] | None, *, inline: bool = False
    ) -> _Flight[V]:
        if not inline and len(self._flights) >= self._max_pending:
            raise BudgetExceeded(f"{self.name}: too many loads pending; not starting another.")
        flight: _Flight[V] = _Flight(started=self._clock())
        self._flights[key] = flight
        self.stats.loads_started += 1
        if inline:
            return flight  # the caller runs it
        try:
            self._executor.submit(self._run, key, flight, loader or self._loader)
        except RuntimeError:  # the pool is shut down (the app is stopping)
            del self._flights[key]
            raise BudgetExceeded(f"{self.name}: the loader pool is closed.") from None
        return flight

    def _run(self, key: K, flight: _Flight[V], loader: Callable[[K], V]) -> None:
        try:
            with self._backend.lock(self._text(key), LOCK_TIMEOUT) as held:
                again = self._read(key) if held else None
                if again is not None and self._fresh(again):
                    entry = again  # another process loaded it while we waited for its lock
                else:
                    value = loader(key)
                    entry = self._store(key, value)
        except BaseException as exc:
            self._finish(key, flight, None)
            with self._lock:
                self.stats.loads_failed += 1
            flight.future.set_exception(exc)
            return
        self._finish(key, flight, entry)
        flight.future.set_result(self._value(entry))

    def _store(self, key: K, value: V) -> Stored:
        negative = self._negative is not None and self._negative(value)
        fresh_for = self.negative_ttl if negative else self.ttl
        entry = Stored(value, self._clock(), fresh_for)
        keep = fresh_for if negative else fresh_for + self.stale_ttl
        try:
            self._backend.set(self._text(key), entry, keep)
        except Exception as exc:  # a broken shared store: the value still serves this caller
            log.warning("%s cache backend failed to store %s: %s", self.name, key, exc)
        return entry

    def _finish(self, key: K, flight: _Flight[V], entry: Stored | None) -> None:
        with self._lock:
            if entry is not None:
                self._remember(key, entry)
            if self._flights.get(key) is flight:
                del self._flights[key]
            flight.finished = True
            if flight.overran:
                self._overdue -= 1

    def _wait(self, flight: _Flight[V], timeout: float | None) -> V:
        try:
            return flight.future.result(timeout=None if timeout is None else max(timeout, 0.0))
        except FutureTimeout:
            with self._lock:
                if not flight.finished and not flight.overran:
                    flight.overran = True
                    self._overdue += 1
                self.stats.overruns += 1
            raise BudgetExceeded(f"{self.name}: no answer within {timeout:.3f} s.") from None
