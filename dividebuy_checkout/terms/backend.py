"""Where the terms cache keeps its entries: a small protocol, and the in-process store.

The cache (:mod:`.cache`) decides *what* is fresh, stale or missing and *who* loads it;
a backend only keeps entries for a while and offers a lock per key. Keeping that seam small
lets a shop with several workers put the entries somewhere they all see (Redis), so that one
worker's ``GET /terms`` serves every other worker's product pages and checkout forms.

The protocol, for whoever writes another backend (e.g. Redis):

- **keys** are short ASCII strings built by the cache (``"terms:2000.00"``,
  ``"example:2000.00:36"``); the part before the first ``:`` is a namespace.
- ``get(key)`` returns the :class:`Stored` entry, or ``None`` when there is none or it expired.
  It must never raise for a missing key; it may raise for a broken store (the cache then
  treats the value as missing and DivideBuy is asked).
- ``set(key, entry, ttl)`` keeps *entry* for *ttl* seconds (a positive float; Redis: ``SET
  … PX``). ``entry.value`` is one of this package's frozen dataclasses
  (:class:`~dividebuy_checkout.models.Terms`, ``RepresentativeExample``) or ``None``; a shared
  backend serialises it (these are the library's own values, never input from a shopper).
  ``entry.loaded_at`` is the cache clock's reading at load time: a shared backend needs a
  wall clock (``time.time``, the cache's default), not ``time.monotonic``.
- ``delete(key)`` forgets one key; ``clear(prefix)`` forgets every key that starts with
  *prefix* (``""``: every key of this backend — after a rate-card change).
- ``lock(key, timeout)`` is a context manager around one load of *key*: it yields ``True``
  once this caller holds the key's lock, or ``False`` after *timeout* seconds without it (the
  caller then loads anyway: a lock must never make a page wait longer than its budget). Inside
  one process the cache already runs a single load per key; the lock exists so that several
  *processes* missing the same key make one DivideBuy call (Redis: ``SET lock:key NX PX``,
  released on exit; the caller re-reads the key after acquiring it).
- ``size()`` counts the entries (for stats; an estimate is fine).

A backend must be safe to call from several threads at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from cachetools import TLRUCache

__all__ = ["CacheBackend", "MemoryBackend", "Stored"]


@dataclass(frozen=True)
class Stored:
    """One cached value, when it was loaded, and how long it is fresh for."""

    value: Any
    #: the cache clock's reading when the value arrived from DivideBuy
    loaded_at: float
    #: seconds after loaded_at that the value is fresh (afterwards it is stale, if still kept)
    fresh_for: float


@runtime_checkable
class CacheBackend(Protocol):
    """Keeps :class:`Stored` entries by key for a while; see the module docstring."""

    def get(self, key: str) -> Stored | None: ...

    def set(self, key: str, entry: Stored, ttl: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def clear(self, prefix: str = "") -> None: ...

    def lock(self, key: str, timeout: float) -> AbstractContextManager[bool]: ...

    def size(self) -> int: ...


@dataclass(frozen=True)
class _Slot:
    entry: Stored
    ttl: float


def _expires(_key: str, slot: _Slot, now: float) -> float:
    return now + slot.ttl


class MemoryBackend:
    """The default backend: a bounded ``cachetools.TLRUCache`` in this process.

    Each entry has its own time to live (a refusal is kept as long as the terms, a stale
    window only for answers). Bounded: the least recently used entries go first. The lock is
    always granted at once: in one process the cache's own single flight already runs one
    load per key, and nothing outside this process sees these entries.
    """

    def __init__(self, *, maxsize: int = 4096, clock: Callable[[], float]) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1.")
        self._data: TLRUCache[str, _Slot] = TLRUCache(maxsize=maxsize, ttu=_expires, timer=clock)
        self._lock = threading.Lock()

    def get(self, key: str) -> Stored | None:
        with self._lock:
            slot = self._data.get(key)
        return None if slot is None else slot.entry

    def set(self, key: str, entry: Stored, ttl: float) -> None:
        with self._lock:
            self._data[key] = _Slot(entry, ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear(self, prefix: str = "") -> None:
        with self._lock:
            if not prefix:
                self._data.clear()
                return
            for key in [k for k in self._data if k.startswith(prefix)]:
                self._data.pop(key, None)

    def lock(self, key: str, timeout: float) -> AbstractContextManager[bool]:
        return nullcontext(True)

    def size(self) -> int:
        with self._lock:
            self._data.expire()
            return len(self._data)
