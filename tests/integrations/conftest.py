"""One REC+ fake per session on a loopback port, reset for each test (like the sandbox)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dividebuy_checkout.integrations.recplus import RecPlusOrderSource
from dividebuy_checkout.integrations.recplus.fake import FakeConfig, RecPlusFakeServer

from dividebuy_checkout.retry import RetryPolicy
from dividebuy_checkout.sandbox import SandboxServer

from .platform_app import PlatformShop, build_platform_shop

#: the fake's "slow" wait; sources in tests time out well before it
SLOW_SECONDS = 0.6
READ_TIMEOUT = 0.2


@pytest.fixture(scope="session")
def recplus_server() -> Iterator[RecPlusFakeServer]:
    with RecPlusFakeServer(config=FakeConfig(slow_seconds=SLOW_SECONDS)) as server:
        yield server


@pytest.fixture
def recplus(recplus_server: RecPlusFakeServer) -> Iterator[RecPlusFakeServer]:
    """The session's fake, back to its seeded orders for this test."""
    recplus_server.state.reset()
    yield recplus_server
    recplus_server.state.reset()


@pytest.fixture
def waits() -> list[float]:
    """Every back-off the source asked to sleep (recorded, not slept)."""
    return []


@pytest.fixture
def make_source(
    recplus: RecPlusFakeServer, waits: list[float]
) -> Iterator[Callable[..., RecPlusOrderSource]]:
    made: list[RecPlusOrderSource] = []

    def make(
        username: str = "api", password: str = "api-pass", **kwargs: object
    ) -> RecPlusOrderSource:
        kwargs.setdefault("retry", RetryPolicy(max_attempts=3))
        kwargs.setdefault("sleep", waits.append)
        kwargs.setdefault("timeout", READ_TIMEOUT)
        source = RecPlusOrderSource(recplus.api_url, username, password, **kwargs)  # type: ignore[arg-type]
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


@pytest.fixture
def make_platform_shop(
    sandbox: SandboxServer, recplus: RecPlusFakeServer, tmp_path: Path
) -> Iterator[Callable[..., PlatformShop]]:
    """Build and serve Flask apps wired to the fake and the sandbox (config overrides as
    keywords); each is stopped afterwards."""
    made: list[PlatformShop] = []

    def build(**extra: Any) -> PlatformShop:
        shop = build_platform_shop(sandbox, recplus, tmp_path, **extra)
        made.append(shop)
        return shop

    yield build
    for shop in made:
        shop.stop()


@pytest.fixture
def platform_shop(make_platform_shop: Callable[..., PlatformShop]) -> PlatformShop:
    return make_platform_shop()
