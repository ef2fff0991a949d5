"""The terms cache backend and circuit breaker a :class:`~dividebuy_checkout.terms.TermsSource`
uses: shared through Redis when one is configured.

With ``DIVIDEBUY_REDIS_URL`` set (``settings.redis_url``) both are shared through Redis
(:class:`~.redis_terms.RedisTermsBackend`, :class:`~.redis_breaker.RedisCircuitBreaker`);
without it, ``None`` (the source then makes its in-process ones). ``TermsSource`` asks
here for its client's settings, so ``DivideBuyClient.from_env()``, the CLI and the Flask
extension all share terms across workers with nothing else configured.

Imports ``redis`` only when a URL is set (it is an optional extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import shared_redis_for

if TYPE_CHECKING:
    from ..terms.backend import CacheBackend
    from ..terms.breaker import CircuitBreaker

__all__ = ["BREAKER_NAME", "shared_breaker_for", "shared_terms_backend_for"]

#: the name (part of the Redis key) of the breaker in front of DivideBuy's terms calls
BREAKER_NAME = "terms"


def shared_terms_backend_for(settings: Any, *, maxsize: int = 4096) -> CacheBackend | None:
    """A Redis-backed terms cache backend for *settings*, or None without a Redis URL."""
    shared = shared_redis_for(settings) if settings is not None else None
    if shared is None:
        return None
    from .redis_terms import RedisTermsBackend

    return RedisTermsBackend(shared, maxsize=maxsize)


def shared_breaker_for(
    settings: Any, *, failure_threshold: int, reset_timeout: float
) -> CircuitBreaker | None:
    """A circuit breaker shared through Redis for *settings*, or None without a Redis URL."""
    shared = shared_redis_for(settings) if settings is not None else None
    if shared is None:
        return None
    from .redis_breaker import RedisCircuitBreaker

    return RedisCircuitBreaker(
        shared,
        BREAKER_NAME,
        failure_threshold=failure_threshold,
        reset_timeout=reset_timeout,
    )
