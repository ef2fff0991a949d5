from __future__ import annotations

import pytest

from dividebuy_checkout import DivideBuyClient, MemoryTokenStore
from dividebuy_checkout.retry import RetryPolicy

from .fake_api import FakeDivideBuy

SECRET = "s3cr3t-client-secret"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> FakeDivideBuy:
    return FakeDivideBuy()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(api, clock, sleeps):
    clients = []

    def make(**kw) -> DivideBuyClient:
        kw.setdefault("retry", RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05))
        client = DivideBuyClient(
            client_id="shop-1",
            client_secret=SECRET,
            environment="sandbox",
            token_store=MemoryTokenStore(clock=clock),
            transport=api.transport(),
            sleep=sleeps.append,
            clock=clock,
            **kw,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> DivideBuyClient:
    return make_client()
