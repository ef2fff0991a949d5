"""A per-client-address sliding-window limit on checkout submits and returns.

Why not Flask-Limiter: it would add a dependency (and its storage layer) for two
routes, and this limit only needs to blunt a script hammering the application
form (each submit is a credit application at DivideBuy) or the return route
(each is a DivideBuy call). A window per address, in a bounded TTL cache, does
that in a few lines. This class is per process: a shop running many workers
gets a limit per worker. With ``DIVIDEBUY_REDIS_URL`` set, :meth:`from_spec`
(given the settings) returns
:class:`~dividebuy_checkout.shared.redis_limits.RedisSlidingWindowLimiter`, the
same window kept in Redis for every worker and host, which falls back to this
class's in-process window while Redis is unavailable.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache

__all__ = ["SlidingWindowLimiter", "parse_limit"]

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_SPEC = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d*)\s*(second|minute|hour|day)s?\s*", re.I)


def parse_limit(spec: str) -> tuple[int, float]:
    """``"20/minute"``, ``"5 per 10 seconds"`` → ``(count, window_seconds)``; ``ValueError``."""
    match = _SPEC.fullmatch(spec or "")
    if not match or int(match.group(1)) < 1:
        raise ValueError(
            f"{spec!r} is not a rate limit: write it like '20/minute' or '5 per 10 seconds'."
        )
    count, multiple, unit = int(match.group(1)), match.group(2), match.group(3).lower()
    return count, float(int(multiple or 1) * _UNITS[unit])


class SlidingWindowLimiter:
    """At most *limit* hits per *window* seconds for each key (a client address).

    Memory is bounded: at most *max_keys* addresses are tracked, each for one
    window after its last hit.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: TTLCache[str, deque[float]] = TTLCache(
            maxsize=max_keys, ttl=window, timer=clock
        )
        self._lock = threading.Lock()

    @classmethod
    def from_spec(
        cls, spec: str, *, name: str = "default", settings: Any = None, **kw: Any
    ) -> SlidingWindowLimiter:
        """A limiter for ``"20/minute"``; shared through Redis when *settings* (the
        client's :class:`~dividebuy_checkout.settings.Settings`) has a ``redis_url``.
        *name* tells one limit's counts from another's in Redis."""
        limit, window = parse_limit(spec)
        if settings is not None and getattr(settings, "redis_url", None):
            from ..shared import limiter_for

            return limiter_for(limit, window, name=name, settings=settings)
        return cls(limit, window, **kw)

    def peek(self, key: str) -> float | None:
        """Like :meth:`hit` without counting: ``None`` if a hit would be allowed, else seconds
        until it would be (a failure throttle checks this before trying a password)."""
        now = self._clock()
        with self._lock:
            hits = [t for t in self._hits.get(key, ()) if t > now - self.window]
        if len(hits) < self.limit:
            return None
        return max(hits[0] + self.window - now, 0.001)

    def hit(self, key: str) -> float | None:
        """Count a hit for *key*; ``None`` if allowed, else seconds until the next is."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                hits = deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                self._hits[key] = hits
                return max(hits[0] + self.window - now, 0.001)
            hits.append(now)
            self._hits[key] = hits  # re-set: the key lives one window after its last hit
            return None
