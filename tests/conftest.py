"""Fixtures shared by every suite: one real sandbox on a loopback port per session.

Starting a server per test would cost a socket and a thread each time; a reset
gives every test an empty sandbox with the starting config instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

from dividebuy_checkout.sandbox import SandboxConfig, SandboxServer

#: Small enough to keep the suite fast, large enough to measure.
SLOW_SECONDS = 0.3


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(config=SandboxConfig(slow_seconds=SLOW_SECONDS)) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    """The session's sandbox, emptied and back to its starting config for this test."""
    sandbox_server.state.reset()
    yield sandbox_server
    sandbox_server.state.reset()


# -- services (Redis; the same rule serves PostgreSQL) --------------------------------------------

#: set to 1 on CI: a missing service fails its tests instead of skipping them
REQUIRE_SERVICES = "DIVIDEBUY_REQUIRE_SERVICES"
REDIS_URL_ENV = "DIVIDEBUY_TEST_REDIS_URL"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/0"


def service_missing(what: str, reason: str) -> NoReturn:
    """Skip the test saying why, or fail it when ``DIVIDEBUY_REQUIRE_SERVICES=1``."""
    if os.environ.get(REQUIRE_SERVICES) == "1":
        pytest.fail(f"{what} is required ({REQUIRE_SERVICES}=1) but {reason}", pytrace=False)
    pytest.skip(f"{what} is not available: {reason}")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A reachable Redis (``DIVIDEBUY_TEST_REDIS_URL``, default 127.0.0.1:6379/0)."""
    url = os.environ.get(REDIS_URL_ENV) or DEFAULT_TEST_REDIS_URL
    where = f"{urlsplit(url).hostname}:{urlsplit(url).port or 6379}"  # never the password
    try:
        import redis
    except ImportError:
        service_missing("Redis", "the redis package is not installed (pip install -e '.[test]')")
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as probe:
            probe.ping()
    except (redis.RedisError, OSError) as exc:
        service_missing(
            "Redis",
            f"nothing answers at {where} ({type(exc).__name__}); set "
            f"{REDIS_URL_ENV} to use another",
        )
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own (parallel runs never collide); its keys are
    deleted afterwards."""
    import redis

    prefix = f"dividebuy-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    with redis.Redis.from_url(redis_url, socket_timeout=2) as client:
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        if keys:
            client.delete(*keys)
