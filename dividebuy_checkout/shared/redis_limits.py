"""A per-address sliding window kept in Redis, so the limit holds across every worker.

Same algorithm as the in-process
:class:`~dividebuy_checkout.checkout.ratelimit.SlidingWindowLimiter` (a log of hit
times per address; at most *limit* in any *window*), run atomically by one Lua
script on a sorted set ``{prefix}ratelimit:{name}:{digest of the address}``, which
expires one window after its last hit. Addresses are digested so the shared
store holds no IP addresses in clear. Times are wall-clock milliseconds of the
calling host (hosts keep their clocks in step with NTP; a few milliseconds of
skew do not matter to a per-minute limit).

While Redis is unavailable, each process counts in its own in-process window (the
base class), with one warning per process (see
:class:`~dividebuy_checkout.shared.fallback.FallbackGuard`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

from ..checkout.ratelimit import SlidingWindowLimiter
from .connection import SharedRedis

__all__ = ["RedisSlidingWindowLimiter"]

#: KEYS[1]: the address's sorted set; ARGV: now (ms), window (ms), limit, a unique member.
#: Returns nil when the hit is allowed (and recorded), else the milliseconds until
#: the oldest hit leaves the window.
_HIT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  redis.call('PEXPIRE', KEYS[1], window)
  return tonumber(oldest[2]) + window - now
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return false
"""

#: the same check without recording a hit (peek): nil when a hit would be allowed
_PEEK = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
return false
"""


class RedisSlidingWindowLimiter(SlidingWindowLimiter):
    """At most *limit* hits per *window* seconds per address, counted across processes."""

    def __init__(
        self,
        shared: SharedRedis,
        name: str,
        limit: int,
        window: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(limit, window, max_keys=max_keys, clock=clock)
        self.name = name
        self._shared = shared
        self._guard = shared.guard("rate limits")  # one warning for every limit in a process
        self._script = shared.redis.register_script(_HIT)
        self._peek_script = shared.redis.register_script(_PEEK)
        self._window_ms = max(int(window * 1000), 1)

    def __repr__(self) -> str:
        return f"RedisSlidingWindowLimiter({self.name!r}, {self.limit}/{self.window:g}s)"

    def hit(self, key: str) -> float | None:
        """Count a hit for *key*; ``None`` if allowed, else seconds until the next is."""
        return self._guard.run(
            lambda: self._shared_hit(key), lambda: SlidingWindowLimiter.hit(self, key)
        )

    def peek(self, key: str) -> float | None:
        """Like :meth:`hit` without counting (shared across processes)."""
        return self._guard.run(
            lambda: self._shared_hit(key, peek=True), lambda: SlidingWindowLimiter.peek(self, key)
        )

    def _shared_hit(self, key: str, *, peek: bool = False) -> float | None:
        digest = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
        now_ms = int(self._clock() * 1000)
        script = self._peek_script if peek else self._script
        wait_ms = script(
            keys=[self._shared.key("ratelimit", self.name, digest)],
            args=[now_ms, self._window_ms, self.limit, f"{now_ms}-{secrets.token_hex(6)}"],
        )
        if wait_ms is None:
            return None
        return max(int(wait_ms) / 1000, 0.001)
