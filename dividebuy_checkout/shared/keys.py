"""The ``DIVIDEBUY_REDIS_*`` settings, declared in the package's one registry.

Imported by :mod:`dividebuy_checkout.settings` (the client reads them), so the
keys exist wherever settings are read. Timeouts are not separate settings: they
go in the URL the way redis-py reads them
(``redis://host:6379/0?socket_timeout=0.25&socket_connect_timeout=0.1``).
"""

from __future__ import annotations

from ..config import declare, setting

__all__ = ["DEFAULT_PREFIX", "REDIS_SCHEMES", "redis_url_check"]

#: the first part of every key this package writes in Redis
DEFAULT_PREFIX = "dividebuy:"

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def redis_url_check(value: str | None) -> str | None:
    """Refuse anything that is not a Redis URL (the message never repeats it: it may
    hold a password)."""
    if value is not None and not value.startswith(REDIS_SCHEMES):
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return value


declare(
    "shared",
    {
        "DIVIDEBUY_REDIS_URL": setting(
            None,
            "Redis shared by every worker and host (tokens, rate limits); none: each "
            "process keeps its own. Timeouts as redis-py URL options (default 0.1 s)",
            kind=str,
            accepts="a redis://, rediss:// or unix:// URL, or none",
            secret=True,
            check=redis_url_check,
        ),
        "DIVIDEBUY_REDIS_PREFIX": setting(
            DEFAULT_PREFIX,
            "first part of every Redis key, so several shops (or test runs) share one Redis",
        ),
    },
)
