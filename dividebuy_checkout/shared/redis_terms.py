"""The terms cache's entries in Redis, so every worker and host shares one ``GET /terms``.

A :class:`~dividebuy_checkout.terms.backend.CacheBackend` (see that module for the
protocol). The :class:`~dividebuy_checkout.terms.cache.SWRCache` above it keeps
deciding what is fresh, stale or missing (stale-while-revalidate, negative entries,
the wait budget); this only keeps the entries where every process sees them:

- **Keys**: ``{prefix}terms-cache:{cache key}`` (``…terms-cache:terms:2000.00``,
  ``…terms-cache:example:2000.00:36``), written with ``PX`` = the time the cache keeps
  the entry (fresh plus stale window), so Redis forgets it when the cache would.
- **Values**: JSON of the library's own frozen dataclasses (:func:`encode` /
  :func:`decode`; amounts as decimal strings, never floats), not pickle: whoever can
  write to Redis must not be able to run code in the shop.
- **Single flight across processes**: :meth:`RedisTermsBackend.lock` takes
  ``SET {prefix}terms-lock:{cache key} <random> NX PX`` (:data:`LOCK_SECONDS`); the
  others poll it every :data:`POLL_SECONDS` and, once it is theirs, re-read the key
  (the cache does) and find the value the first process stored. So 4 workers missing
  the same price at once make one DivideBuy call. The lock is released only by its
  owner (compare-and-delete in Lua).
- **Near copy and fallback**: each process keeps the entries it read or wrote in its
  own bounded :class:`~dividebuy_checkout.terms.backend.MemoryBackend`. While Redis is
  down or slow, the backend uses that copy (the guard of
  :class:`~dividebuy_checkout.shared.fallback.FallbackGuard`: one warning per process,
  retried after a back-off), the lock is not taken (each process loads for itself) and
  nothing waits for Redis more than its 0.1 s timeout, once per back-off.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import fields
from decimal import Decimal
from typing import Any, Literal

from ..models import RepresentativeExample, Term, Terms
from ..terms.backend import MemoryBackend, Stored
from .connection import SharedRedis

__all__ = [
    "GUARD_COMPONENT",
    "LOCK_SECONDS",
    "POLL_SECONDS",
    "RedisTermsBackend",
    "decode",
    "encode",
]

log = logging.getLogger("dividebuy_checkout.shared")

#: the name the terms cache and the circuit breaker give the fallback guard (the process's
#: one guard over Redis: an outage costs a page at most one Redis timeout and one warning)
GUARD_COMPONENT = "terms cache and circuit breaker"

#: how long a process loading a price holds its lock at most. Longer than a terms call
#: (the client's timeouts and retries) so a slow call is not duplicated; if the holder
#: dies, the others load after this (a second call, no harm).
LOCK_SECONDS = 15.0
#: how often a process waiting for another's load looks at the lock
POLL_SECONDS = 0.02

#: delete KEYS[1] only if it still holds ARGV[1] (the lock owner's random value)
_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_Turn = Literal["mine", "wait", "local"]


# -- the values: the library's own dataclasses as JSON -----------------------------------------


def _flat(obj: Any) -> dict[str, Any]:
    """A flat dataclass (Term, RepresentativeExample) as JSON-ready values; Decimals as text."""
    return {
        f.name: str(value) if isinstance(value, Decimal) else value
        for f in fields(obj)
        for value in (getattr(obj, f.name),)
    }


def _term(data: dict[str, Any]) -> Term:
    values: dict[str, Any] = {}
    for f in fields(Term):
        raw = data[f.name]
        if f.type in ("Decimal", Decimal):
            values[f.name] = Decimal(str(raw))
        elif f.type in ("int", int):
            values[f.name] = int(raw)
        elif f.type in ("bool", bool):
            values[f.name] = bool(raw)
        else:
            values[f.name] = str(raw)
    return Term(**values)


def encode(entry: Stored) -> str:
    """*entry* as JSON text. Values are ``Terms``, ``RepresentativeExample`` or ``None``."""
    value = entry.value
    payload: dict[str, Any]
    if value is None:
        payload = {"kind": "none"}
    elif isinstance(value, Terms):
        payload = {
            "kind": "terms",
            "order_value": str(value.order_value),
            "terms": [_flat(term) for term in value.terms],
        }
    elif isinstance(value, RepresentativeExample):
        payload = {"kind": "example", **_flat(value)}
    else:
        raise TypeError(f"The terms cache does not keep {type(value).__name__} values.")
    return json.dumps(
        {"value": payload, "loaded_at": entry.loaded_at, "fresh_for": entry.fresh_for},
        separators=(",", ":"),
    )


def decode(raw: str | bytes) -> Stored:
    """The :class:`Stored` entry :func:`encode` wrote. Raises ValueError/KeyError/TypeError
    for anything else."""
    data = json.loads(raw)
    payload = data["value"]
    kind = payload["kind"]
    value: Terms | RepresentativeExample | None
    if kind == "none":
        value = None
    elif kind == "terms":
        value = Terms(
            Decimal(str(payload["order_value"])), tuple(_term(t) for t in payload["terms"])
        )
    elif kind == "example":
        value = RepresentativeExample(
            amount=Decimal(str(payload["amount"])),
            term=int(payload["term"]),
            apr=Decimal(str(payload["apr"])),
            html=str(payload["html"]),
        )
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return Stored(value, float(data["loaded_at"]), float(data["fresh_for"]))


# -- the backend ---------------------------------------------------------------------------------


def _glob_escape(text: str) -> str:
    """*text* matched literally by a Redis ``SCAN MATCH`` pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class RedisTermsBackend:
    """Terms-cache entries in Redis, with a per-process near copy and fallback. Thread-safe."""

    def __init__(
        self,
        shared: SharedRedis,
        *,
        maxsize: int = 4096,
        lock_seconds: float = LOCK_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._shared = shared
        self._redis = shared.redis
        self._guard = shared.guard(GUARD_COMPONENT)
        self._local = MemoryBackend(maxsize=maxsize, clock=clock)
        self._lock_ms = max(int(lock_seconds * 1000), 1)
        self._poll = poll_seconds
        self._sleep = sleep
        self._release = self._redis.register_script(_RELEASE_LOCK)

    def __repr__(self) -> str:
        return f"RedisTermsBackend({self._shared!r})"

    def _key(self, key: str) -> str:
        return self._shared.key("terms-cache", key)

    # -- CacheBackend ----------------------------------------------------------------------------

    def get(self, key: str) -> Stored | None:
        return self._guard.run(lambda: self._shared_get(key), lambda: self._local.get(key))

    def set(self, key: str, entry: Stored, ttl: float) -> None:
        self._local.set(key, entry, ttl)
        text = encode(entry)
        ttl_ms = max(int(ttl * 1000), 1)
        self._guard.run(lambda: self._redis.set(self._key(key), text, px=ttl_ms), lambda: None)

    def delete(self, key: str) -> None:
        self._local.delete(key)
        self._guard.run(lambda: self._redis.delete(self._key(key)), lambda: None)

    def clear(self, prefix: str = "") -> None:
        self._local.clear(prefix)
        self._guard.run(lambda: self._shared_clear(prefix), lambda: None)

    def lock(self, key: str, timeout: float) -> AbstractContextManager[bool]:
        return self._locked(key, timeout)

    def size(self) -> int:
        """Entries this process holds (an estimate of Redis's: counting there costs a scan)."""
        return self._local.size()

    # -- plumbing --------------------------------------------------------------------------------

    def _shared_get(self, key: str) -> Stored | None:
        """The entry in Redis (copied into the near copy for its remaining lifetime)."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(self._key(key))
        pipe.pttl(self._key(key))
        raw, pttl = pipe.execute()
        if raw is None:
            return None
        try:
            entry = decode(raw)
        except (ValueError, KeyError, TypeError) as exc:
            # damaged or not ours: treated as missing; the next load overwrites it
            log.debug("Ignoring an unreadable terms-cache entry (%s).", type(exc).__name__)
            return None
        if isinstance(pttl, int) and pttl > 0:
            self._local.set(key, entry, pttl / 1000)
        return entry

    def _shared_clear(self, prefix: str) -> None:
        pattern = _glob_escape(self._key(prefix)) + "*"
        batch: list[Any] = []
        for name in self._redis.scan_iter(match=pattern, count=500):
            batch.append(name)
            if len(batch) >= 500:
                self._redis.delete(*batch)
                batch = []
        if batch:
            self._redis.delete(*batch)

    @contextmanager
    def _locked(self, key: str, timeout: float) -> Iterator[bool]:
        """Hold *key*'s cross-process lock (True), or give up after *timeout* or when Redis
        is unavailable (False: the caller loads anyway)."""
        lock_key = self._shared.key("terms-lock", key)
        owner = secrets.token_hex(16)
        deadline = time.monotonic() + timeout

        def attempt() -> _Turn:
            return "mine" if self._redis.set(lock_key, owner, nx=True, px=self._lock_ms) else "wait"

        held = False
        while True:
            turn: _Turn = self._guard.run(attempt, lambda: "local")
            if turn == "mine":
                held = True
                break
            if turn == "local" or time.monotonic() >= deadline:
                break
            self._sleep(self._poll)
        try:
            yield held
        finally:
            if held:
                self._guard.run(lambda: self._release(keys=[lock_key], args=[owner]), lambda: 0)
