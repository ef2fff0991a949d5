"""Fixtures: a real sandbox on loopback, a client and a store, and a ``Shop`` that makes orders.

Completed orders are made the way they happen for real: the client creates a
quote at the sandbox, the sandbox's admin endpoint completes it (the shopper
signing), and the store records the checkout and its move to ``completed`` with
DivideBuy's order id.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from dividebuy_checkout.backoffice import BackOfficeService
from dividebuy_checkout.client import DivideBuyClient
from dividebuy_checkout.money import loads
from dividebuy_checkout.sandbox import RateCardEntry, SandboxConfig, SandboxServer
from dividebuy_checkout.schemas.examples import example_quote_for
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.store import CheckoutRecord, CheckoutStatus, SqlStore
from dividebuy_checkout.store.tables import checkouts
from dividebuy_checkout.tokens import MemoryTokenStore

#: one 12-month interest-free term from £10, so a £100 order can be financed
RATE_CARD = (RateCardEntry(12, minimum_spend=Decimal("10.00")),)
#: how long the sandbox's "slow" fault sleeps; the unknown-outcome client waits less
SLOW_SECONDS = 1.5
CREDENTIALS = ("shop-client-id", "shop-client-secret")


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    config = SandboxConfig(rate_card=RATE_CARD, slow_seconds=SLOW_SECONDS, request_log_size=50)
    with SandboxServer(config=config) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    httpx.post(f"{sandbox_server.url}/_sandbox/reset", timeout=5).raise_for_status()
    yield sandbox_server


def make_client(url: str, *, timeout: float = 15.0) -> DivideBuyClient:
    settings = Settings(
        client_id=CREDENTIALS[0],
        client_secret=CREDENTIALS[1],
        environment="local",
        base_url=url,
        timeout=timeout,
    )
    # A token store per client: the sandbox forgets tokens on reset.
    return DivideBuyClient(settings=settings, token_store=MemoryTokenStore())


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[DivideBuyClient]:
    with make_client(sandbox.url) as client:
        yield client


@pytest.fixture
def store(database_url: str) -> SqlStore:
    # On SQLite (a file, not :memory:: the thread tests need every connection to see one
    # database) and on PostgreSQL (tests/conftest.py's database_url)
    return SqlStore(database_url)


def quote_payload(order_id: str, total: Decimal, upfront: Decimal = Decimal("0.00")) -> dict:
    return example_quote_for(order_id, total, upfront=upfront)


@dataclass
class Shop:
    """Makes orders at the sandbox and in the store; reads the sandbox's state."""

    sandbox: SandboxServer
    client: DivideBuyClient
    store: SqlStore
    http: httpx.Client

    def admin(self, method: str, path: str, **kw: Any) -> Any:
        response = self.http.request(method, f"/_sandbox{path}", **kw)
        response.raise_for_status()
        return loads(response.content)

    def state(self) -> dict[str, Any]:
        return self.admin("GET", "/state")

    def calls(self, route: str) -> int:
        return int(self.state()["calls"].get(route, 0))

    def fault(self, route: str, status: Any, *, times: int = 1, after: bool = False) -> None:
        body = {"route": route, "status": status, "times": times, "after_processing": after}
        self.admin("POST", "/faults", json=body)

    def pending_order(self, order_id: str, total: Decimal = Decimal("100.00")) -> CheckoutRecord:
        quote = self.client.create_quote(quote_payload(order_id, total))
        return self.store.add(
            quote_id=quote.id,
            order_id=order_id,
            order_ref=f"REF-{order_id}",
            amount=total,
            credit_amount=total,
            term=12,
            status=CheckoutStatus.PENDING,
            decision=quote.decision,
            checkout_url=quote.checkout_url,
        )

    def completed_order(
        self,
        order_id: str,
        total: Decimal = Decimal("100.00"),
        *,
        record_dividebuy_id: bool = True,
    ) -> CheckoutRecord:
        record = self.pending_order(order_id, total)
        completed = self.admin("POST", f"/quotes/{record.quote_id}/complete")["quote"]
        extra = {"dividebuy_order_id": completed["order_ref_id"]} if record_dividebuy_id else {}
        moved = self.store.transition(
            record.quote_id, CheckoutStatus.COMPLETED, source="test", **extra
        )
        assert moved is not None
        return moved

    def completed_orders(
        self, order_ids: Sequence[str], total: Decimal = Decimal("100.00")
    ) -> list[CheckoutRecord]:
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(lambda oid: self.completed_order(oid, total), order_ids))

    def backdate(self, order_id: str, *, days: int) -> None:
        """Pretend the order was placed *days* ago (the store stamps "now")."""
        with self.store.engine.begin() as conn:
            conn.execute(
                update(checkouts)
                .where(checkouts.c.order_id == order_id)
                .values(created_at=datetime.now(UTC) - timedelta(days=days))
            )

    def sandbox_refunds(self, order_id: str) -> list[dict[str, Any]]:
        return [r for r in self.state()["refunds"] if r["retailer_order_id"] == order_id]


@pytest.fixture
def shop(sandbox: SandboxServer, client: DivideBuyClient, store: SqlStore) -> Iterator[Shop]:
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        yield Shop(sandbox, client, store, http)


@pytest.fixture
def events() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
def service(client: DivideBuyClient, store: SqlStore, events: list) -> BackOfficeService:
    return BackOfficeService(
        client, store, chunk_size=100, notify=lambda event, **kw: events.append((event, kw))
    )
