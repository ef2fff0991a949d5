"""One Redis connection pool per URL per process, with timeouts a page can afford.

redis-py's defaults (5 s socket timeouts, retries with back-off) would let a
wedged Redis hold a page for seconds; here a command gets
:data:`DEFAULT_CONNECT_TIMEOUT` / :data:`DEFAULT_READ_TIMEOUT` and no retry, and
the :class:`~dividebuy_checkout.shared.fallback.FallbackGuard` of each component
turns a failure into per-process state. Both timeouts can be changed in the URL
(``?socket_timeout=0.25&socket_connect_timeout=0.2``), which wins.
"""

from __future__ import annotations

import threading

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .fallback import FIRST_RETRY_SECONDS, MAX_RETRY_SECONDS, FallbackGuard
from .keys import DEFAULT_PREFIX

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "GUARD_NAME",
    "REDIS_ERRORS",
    "SharedRedis",
    "connect",
    "redis_client",
]

#: seconds to open a connection / to wait for a reply. Redis answers in well under
#: a millisecond on a LAN; a tenth of a second means it is down or swamped, and a
#: page should not wait longer than that for it.
DEFAULT_CONNECT_TIMEOUT = 0.1
DEFAULT_READ_TIMEOUT = 0.1

#: the name of a process's one guard over its Redis (the warning says "Shared state in
#: Redis unavailable (…)")
GUARD_NAME = "state in Redis"

#: what "the shared store is unavailable" looks like: any Redis error (refused,
#: timed out, out of memory, read-only replica…) or a socket error
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, OSError)


def redis_client(url: str) -> redis.Redis:
    """A redis-py client for *url*: short timeouts unless the URL sets its own, no retries."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=DEFAULT_CONNECT_TIMEOUT,
        socket_timeout=DEFAULT_READ_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        client_name="dividebuy-checkout",
    )


class SharedRedis:
    """A Redis client, the key prefix, and one fallback guard per component."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        first_retry: float = FIRST_RETRY_SECONDS,
        max_retry: float = MAX_RETRY_SECONDS,
    ) -> None:
        self.redis = client
        self.prefix = prefix
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._guard: FallbackGuard | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SharedRedis(prefix={self.prefix!r})"  # never the URL: it may hold a password

    def key(self, *parts: str) -> str:
        """``prefix + "a:b:c"``: every key this package writes goes through here."""
        return self.prefix + ":".join(parts)

    def guard(self, component: str) -> FallbackGuard:
        """The guard *component* (token store, rate limits, terms cache…) runs its Redis
        operations through: ONE for every component of this process. Redis is down for all
        of them at once, so an outage is one warning per process, and once one component
        has noticed it no other pays a timeout until the back-off has passed (a page that
        touches tokens, limits and terms waits for Redis at most once)."""
        with self._lock:
            if self._guard is None:
                self._guard = FallbackGuard(
                    GUARD_NAME,
                    errors=REDIS_ERRORS,
                    first_retry=self._first_retry,
                    max_retry=self._max_retry,
                )
            return self._guard

    def close(self) -> None:
        self.redis.close()


_connections: dict[tuple[str, str], SharedRedis] = {}
_connections_lock = threading.Lock()


def connect(url: str, prefix: str = DEFAULT_PREFIX) -> SharedRedis:
    """The process's :class:`SharedRedis` for *url* and *prefix* (made on first use).

    One per process, so every client, limiter and cache in a worker shares one
    connection pool and one guard per component. redis-py's pool notices a fork
    (gunicorn's pre-loaded workers) and opens fresh connections in the child.
    """
    with _connections_lock:
        shared = _connections.get((url, prefix))
        if shared is None:
            shared = SharedRedis(redis_client(url), prefix=prefix)
            _connections[(url, prefix)] = shared
        return shared
