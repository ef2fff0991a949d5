"""The product-name cache: DiSeller orders name products by id only, so every line costs a
``GET /products/{id}`` unless its name is remembered.

Only products are cached (a name does not move money; orders and customers are
read fresh every time). Entries live ``ttl`` seconds on an injectable clock, at
most ``max_size`` ids (least recently used out), and a product is fetched by
**one** caller at a time (single flight): thirty checkouts opening at once on an
order with a new product make one request, the others wait for its answer. A
product that is not found (``None``) is not cached, so a product created later is
named as soon as it exists.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from ..assumptions import DISELLER_PRODUCT_CACHE_SIZE

__all__ = ["ProductCache"]

T = TypeVar("T")


class _Flight(Generic[T]):
    """One fetch in progress; waiters read its outcome once ``done`` is set."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None


class ProductCache(Generic[T]):
    """``get(product_id, load)``: the cached value, else ``load(product_id)`` once for everyone."""

    def __init__(
        self,
        ttl: float,
        *,
        max_size: int = DISELLER_PRODUCT_CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, T]] = OrderedDict()
        self._flights: dict[str, _Flight[T]] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def peek(self, product_id: str) -> T | None:
        """The live cached value, without loading (``None`` when absent or expired)."""
        with self._lock:
            return self._live(product_id)

    def _live(self, product_id: str) -> T | None:
        entry = self._entries.get(product_id)
        if entry is None:
            return None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[product_id]
            return None
        self._entries.move_to_end(product_id)
        return value

    def get(self, product_id: str, load: Callable[[str], T | None]) -> T | None:
        """The value for *product_id*; *load* runs at most once at a time per id.

        An error from *load* reaches every caller waiting on that fetch (none is cached).
        """
        with self._lock:
            value = self._live(product_id)
            if value is not None:
                return value
            flight = self._flights.get(product_id)
            leader = flight is None
            if flight is None:
                flight = self._flights[product_id] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            value = load(product_id)
        except BaseException as exc:
            flight.error = exc
            raise
        else:
            flight.value = value
            return value
        finally:
            with self._lock:
                if flight.error is None and flight.value is not None and self.ttl > 0:
                    self._entries[product_id] = (self._clock() + self.ttl, flight.value)
                    self._entries.move_to_end(product_id)
                    while len(self._entries) > self.max_size:
                        self._entries.popitem(last=False)
                del self._flights[product_id]
            flight.done.set()
