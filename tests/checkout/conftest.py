"""Fixtures for the checkout: a real sandbox and the example shop, both on loopback ports.

End-to-end tests drive the shop over real HTTP with httpx, the way a browser
would: the shop's own forms (with their CSRF tokens), the application form,
DivideBuy's hosted page at ``checkout_url`` (its buttons are plain POST forms)
and the 303 back to the shop's return route, each redirect followed by hand so
a test can look at every hop.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from support import ANSWERS, CUSTOMER, create_example_shop, press_at_dividebuy, serve_wsgi
from werkzeug.serving import BaseWSGIServer

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.checkout import CheckoutService, ReferenceSigner
from dividebuy_checkout.flask import signals
from dividebuy_checkout.money import loads
from dividebuy_checkout.orders import (
    Address,
    Applicant,
    Customer,
    Order,
    OrderLine,
    PreviousAddress,
)
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.store import CheckoutRecord, SqlStore
from dividebuy_checkout.tokens import MemoryTokenStore

SECRET_KEY = "test-secret-key-for-the-example-shop-0123456789"


SIGNALS = (
    "quote_created",
    "quote_decided",
    "quote_completed",
    "quote_declined",
    "quote_cancelled",
    "quote_expired",
    "order_on_hold",
    "quote_orphaned",
    "hold_refunded",
)


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@dataclass
class Shop:
    """The example shop served on a loopback port, with what a test needs to look inside."""

    app: Flask
    url: str
    sandbox: SandboxServer
    events: list[tuple[str, CheckoutRecord, dict[str, Any]]] = field(default_factory=list)

    @property
    def service(self) -> CheckoutService:
        return self.app.extensions["dividebuy"].services["checkout"]

    @property
    def store(self) -> SqlStore:
        return self.app.extensions["dividebuy"].store

    def event_names(self) -> list[str]:
        return [name for name, _, _ in self.events]

    def shop_order(self, order_id: str) -> Any:
        return self.app.extensions["shop_orders"].get(order_id)

    def sandbox_state(self) -> dict[str, Any]:
        return loads(httpx.get(f"{self.sandbox.url}/_sandbox/state", timeout=10).content)

    def calls(self, route: str) -> int:
        return int(self.sandbox_state()["calls"].get(route, 0))

    def quotes(self) -> list[dict[str, Any]]:
        return self.sandbox_state()["quotes"]

    def admin(self, path: str, **kw: Any) -> httpx.Response:
        response = httpx.post(f"{self.sandbox.url}/_sandbox{path}", timeout=10, **kw)
        response.raise_for_status()
        return response

    def fault(self, route: str, status: Any, *, after: bool = False, times: int = 1) -> None:
        body = {"route": route, "status": status, "times": times, "after_processing": after}
        self.admin("/faults", json=body)

    def reconcile(self, *args: str) -> Any:
        """``flask dividebuy reconcile`` in the shop, as a scheduler would run it."""
        return self.app.test_cli_runner().invoke(args=["dividebuy", "reconcile", *args])

    def shopper(self) -> Shopper:
        return Shopper(self)


class Shopper:
    """One browser: a cookie jar, the shop's pages, DivideBuy's page, redirects by hand."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.http = httpx.Client(base_url=shop.url, timeout=15)
        self.order_id: str | None = None
        self.apply_url: str | None = None
        self.form_html: str = ""

    def close(self) -> None:
        self.http.close()

    def add(self, slug: str, quantity: int = 1) -> None:
        page = self.http.get(f"/products/{slug}")
        assert page.status_code == 200
        response = self.http.post(
            "/basket/add",
            data={"csrf_token": _token(page.text), "slug": slug, "quantity": str(quantity)},
        )
        assert response.status_code == 302, response.text

    def place_order(self, **details: str) -> str:
        """The shop's own checkout: the order is created (or brought in line with the basket)."""
        page = self.http.get("/checkout")
        assert page.status_code == 200, page.text
        data = {"csrf_token": _token(page.text), **CUSTOMER, **details}
        response = self.http.post("/checkout", data=data)
        assert response.status_code == 303, response.text
        self.order_id = response.headers["location"].rstrip("/").rsplit("/", 1)[-1]
        return self.order_id

    def buy(self, slug: str = "walnut-desk", **details: str) -> str:
        self.add(slug)
        return self.place_order(**details)

    def order_page(self) -> httpx.Response:
        return self.http.get(f"/orders/{self.order_id}")

    def open_application(self) -> httpx.Response:
        """Follow the order page's "Pay with DivideBuy" link to the application form."""
        page = self.order_page()
        match = re.search(r'id="pay-with-dividebuy" href="([^"]+)"', page.text)
        assert match, "no Pay with DivideBuy link on the order page"
        self.apply_url = match.group(1)
        form = self.http.get(self.apply_url)
        assert form.status_code == 200, form.text
        self.form_html = form.text
        return form

    def submit(self, **answers: str) -> httpx.Response:
        """Post the application form (opening it first if needed); no redirect followed."""
        if self.apply_url is None:
            self.open_application()
        assert self.apply_url is not None
        data = {"csrf_token": _token(self.form_html), **ANSWERS, "submit": "Continue", **answers}
        data = {key: value for key, value in data.items() if value is not None}
        response = self.http.post(self.apply_url, data=data)
        if response.status_code != 303:
            self.form_html = response.text
        return response

    def at_dividebuy(self, checkout_url: str) -> httpx.Response:
        """DivideBuy's hosted page (another site: no shop cookies)."""
        return httpx.get(checkout_url, timeout=10)

    def press(self, checkout_url: str, button: str) -> str:
        """Press "complete" or "cancel" on DivideBuy's page; the address it sends us back to."""
        return press_at_dividebuy(checkout_url, button)

    def come_back(self, return_url: str) -> httpx.Response:
        """Arrive at the shop's return URL (what the browser does after DivideBuy's 303)."""
        assert return_url.startswith(self.shop.url), return_url
        return self.http.get(return_url[len(self.shop.url) :])

    def checkout_with_dividebuy(self, **answers: str) -> str:
        """Apply and get sent to DivideBuy; its page's address."""
        response = self.submit(**answers)
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        assert location.startswith(self.shop.sandbox.url + "/checkout/"), location
        return location


def shop_config(sandbox: SandboxServer, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "SECRET_KEY": SECRET_KEY,
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": sandbox.url,
        # a client id per app: each app gets its own cached token (the sandbox forgets tokens)
        "DIVIDEBUY_CLIENT_ID": f"shop-{uuid.uuid4().hex[:8]}",
        "DIVIDEBUY_CLIENT_SECRET": "shop-secret",
        "DIVIDEBUY_DATABASE_URL": f"sqlite:///{tmp_path / 'dividebuy.sqlite3'}",
        "DIVIDEBUY_RATE_LIMIT": "200/minute",
        "BACKOFFICE_PASSWORD": "not-the-demo-password",
        **extra,
    }


def record_events(app: Flask, events: list[tuple[str, CheckoutRecord, dict[str, Any]]]) -> None:
    for name in SIGNALS:

        def receiver(sender: Flask, record: CheckoutRecord, _name: str = name, **extra: Any):
            events.append((_name, record, extra))

        getattr(signals, name).connect_via(app, weak=False)(receiver)


@pytest.fixture
def make_shop(sandbox: SandboxServer, tmp_path: Path, database_url: str) -> Iterator[Any]:
    """Build and serve shops (config overrides as keywords); each is stopped afterwards.
    Their store is on SQLite and on PostgreSQL (tests/conftest.py's ``database_url``)."""
    running: list[BaseWSGIServer] = []

    def build(**extra: Any) -> Shop:
        config = {"DIVIDEBUY_DATABASE_URL": database_url, **extra}
        app = create_example_shop(shop_config(sandbox, tmp_path, **config))
        server = serve_wsgi(app)
        running.append(server)
        shop = Shop(app, f"http://127.0.0.1:{server.port}", sandbox)
        record_events(app, shop.events)
        return shop

    yield build
    for server in running:
        server.shutdown()
        server.server_close()


@pytest.fixture
def shop(make_shop: Any) -> Shop:
    return make_shop()


@pytest.fixture
def shopper(shop: Shop) -> Iterator[Shopper]:
    person = shop.shopper()
    yield person
    person.close()


# -- the service without Flask --------------------------------------------------------------------

HOME = Address(house_number="12", address_line_1="Acacia Avenue", town="Leeds", postcode="ls1 4ap")


def make_order(**changes) -> Order:
    values = {
        "order_id": "1001",
        "order_ref": "FS-1001",
        "lines": (
            OrderLine("Walnut desk", 1, unit_price_including_vat="899.00", sku="WNT-DSK"),
            OrderLine("Cushion", 2, unit_price_excluding_vat="20.00", vat_percentage=20),
        ),
        "subtotal": Decimal("782.50"),
        "vat": Decimal("164.50"),
        "vat_rate": 20,
        "shipping": "0.00",
        "total": Decimal("947.00"),
        "customer": Customer("Ada", "Lovelace", "ada@example.com", "07400 123456", HOME),
    }
    values.update(changes)
    return Order(**values)


def make_applicant(**changes) -> Applicant:
    values = {
        "instalment_term": "12",
        "instalment_day": "28",
        "time_at_address": "01-06",
        "title": "Ms",
        "date_of_birth": "1985-07-23",
        "income_type": "Employed full-time",
        "residential_status": "No, renting",
        "rent": "650",
        "nationality": "British",
        "previous_addresses": (
            PreviousAddress(
                Address(address_line_1="Mill Lane", town="Harrogate", postcode="HG1 1AA"),
                "01-06",
            ),
        ),
    }
    values.update(changes)
    return Applicant(**values)


RETURN_BASE = "https://shop.example/dividebuy/return?ref="


class Orders:
    """An order source backed by a dict, as a shop's database would be."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.broken = False

    def get_order(self, order_id: str) -> Order | None:
        if self.broken:
            raise RuntimeError("the shop's database is down")
        return self.orders.get(order_id)


@pytest.fixture
def orders() -> Orders:
    source = Orders()
    source.orders["1001"] = make_order()
    return source


@pytest.fixture
def events() -> list[tuple[str, Any, dict[str, Any]]]:
    return []


@pytest.fixture
def client(sandbox) -> Iterator[DivideBuyClient]:
    settings = Settings(
        client_id="svc", client_secret="s", environment="local", base_url=sandbox.url
    )
    with DivideBuyClient(settings=settings, token_store=MemoryTokenStore()) as client:
        yield client


@pytest.fixture
def service(client, orders, events, database_url: str) -> CheckoutService:
    return CheckoutService(
        client,
        SqlStore(database_url),
        orders,
        signer=ReferenceSigner("k" * 32, return_max_age=3600, start_max_age=3600),
        notify=lambda event, record, **kw: events.append((event, record, kw)),
    )
