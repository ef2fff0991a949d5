"""State shared by every worker and host — in Redis when ``DIVIDEBUY_REDIS_URL`` is set.

Without it everything is per process, as before. With it:

- the token store (:class:`~.redis_tokens.RedisTokenStore`): one token request
  for all workers and hosts per token lifetime;
- the per-address rate limits (:class:`~.redis_limits.RedisSlidingWindowLimiter`);
- the terms cache and its circuit breaker (:class:`~.redis_terms.RedisTermsBackend`,
  :class:`~.redis_breaker.RedisCircuitBreaker`, chosen by :mod:`.terms_state`): one
  ``GET /terms`` per price per lifetime for all workers.

Redis down or slow: each process falls back to its own state with one warning
(one :class:`~.fallback.FallbackGuard` per process for every component) and tries
Redis again after a back-off; a page never fails because of Redis.

This module is imported by the client on every start, so it does not import
``redis`` (an optional extra: ``pip install dividebuy-checkout[redis]``) unless a
Redis URL is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config import ConfigurationError
from .fallback import FallbackGuard
from .keys import DEFAULT_PREFIX

if TYPE_CHECKING:
    from ..checkout.ratelimit import SlidingWindowLimiter
    from ..tokens import MemoryTokenStore, TokenStore
    from .connection import SharedRedis

__all__ = [
    "DEFAULT_PREFIX",
    "FallbackGuard",
    "limiter_for",
    "shared_redis_for",
    "token_store_for",
]


def shared_redis_for(settings: Any) -> SharedRedis | None:
    """The process's Redis connection for *settings*' ``redis_url``, or None without one.

    *settings* is a :class:`~dividebuy_checkout.settings.Settings` (anything with
    ``redis_url`` and ``redis_prefix``).
    """
    url: str | None = getattr(settings, "redis_url", None)
    if not url:
        return None
    prefix: str = getattr(settings, "redis_prefix", None) or DEFAULT_PREFIX
    try:
        from .connection import connect
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "redis":
            raise
        raise ConfigurationError(
            "DIVIDEBUY_REDIS_URL is set but the redis package is not installed: "
            "pip install 'dividebuy-checkout[redis]'.",
            key="DIVIDEBUY_REDIS_URL",
        ) from None
    return connect(url, prefix)


def token_store_for(settings: Any, local: MemoryTokenStore) -> TokenStore:
    """The token store a client built from *settings* uses: Redis (with *local* as its
    near cache and fallback) when ``redis_url`` is set, else *local* itself."""
    shared = shared_redis_for(settings)
    if shared is None:
        return local
    from .redis_tokens import RedisTokenStore

    return RedisTokenStore(shared, local=local)


def limiter_for(
    limit: int, window: float, *, name: str, settings: Any = None
) -> SlidingWindowLimiter:
    """A per-address limiter named *name* (part of its Redis key): shared through Redis
    when *settings* has a ``redis_url``, else in-process."""
    from ..checkout.ratelimit import SlidingWindowLimiter

    shared = shared_redis_for(settings) if settings is not None else None
    if shared is None:
        return SlidingWindowLimiter(limit, window)
    from .redis_limits import RedisSlidingWindowLimiter

    return RedisSlidingWindowLimiter(shared, name, limit, window)
