"""Clients of the real sandbox that share state through Redis, for tests and their workers."""

from __future__ import annotations

import logging
import os

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.retry import RetryPolicy
from dividebuy_checkout.settings import Settings

CLIENT_ID = "shop-redis"
SECRET = "redis-test-client-secret"

#: the shared-state fallback's logger (one warning per component per outage)
SHARED_LOGGER = "dividebuy_checkout.shared"


def settings(sandbox_url: str, redis_url: str, prefix: str, **kw: object) -> Settings:
    values: dict[str, object] = {
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "environment": "local",
        "base_url": sandbox_url,
        "redis_url": redis_url,
        "redis_prefix": prefix,
        **kw,
    }
    return Settings(**values)  # type: ignore[arg-type]


def client(sandbox_url: str, redis_url: str, prefix: str, **kw: object) -> DivideBuyClient:
    """A client as ``DivideBuyClient(settings=…)`` builds it: the token store comes from
    the settings (Redis), nothing passed by hand."""
    return DivideBuyClient(
        settings=settings(sandbox_url, redis_url, prefix, **kw),
        retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02),
    )


def warnings(records: list[logging.LogRecord]) -> list[str]:
    return [
        r.getMessage() for r in records if r.name == SHARED_LOGGER and r.levelno == logging.WARNING
    ]


def race_worker(env: dict[str, str], barrier: object, results: object) -> None:
    """One of the cross-process test's workers: ``DivideBuyClient.from_env()`` with the
    test's environment (Redis URL included), then one call when every worker is ready."""
    os.environ.update(env)
    try:
        with DivideBuyClient.from_env() as shop:
            barrier.wait(timeout=60)  # type: ignore[attr-defined]
            terms = shop.get_terms("2000")
        results.put(("ok", str(terms.order_value)))  # type: ignore[attr-defined]
    except Exception as exc:  # reported to the test, which fails with it
        results.put(("error", f"{type(exc).__name__}: {exc}"))  # type: ignore[attr-defined]
