"""A shop with nothing but the plugin: the checkout pages in their own plain layout.

For the plugin-page browser tests (test_plugin_pages.py): an in-memory order source,
the extension on the session's sandbox, a product page with the widget, and a page
for "the shop's other ways to pay" (DIVIDEBUY_PAYMENT_METHODS_ENDPOINT).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask, redirect, render_template_string
from support import CUSTOMER, serve_wsgi

from dividebuy_checkout.checkout import CheckoutService
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.orders import Address, Customer, Order, OrderLine

__all__ = ["PluginShop"]

PRODUCT = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Sofa</title>
{{ dividebuy_widget_assets() }}</head>
<body><main><h1>Velvet sofa</h1><p>{{ price }}</p>
{{ dividebuy_widget(price) }}</main></body></html>"""

OTHER_WAYS = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Other ways to pay</title></head>
<body><main><h1>Other ways to pay</h1><p>Order {{ order_id }}</p></main></body></html>"""


class PluginShop:
    """The app on a loopback port; ``order(total, last_name)`` adds an order to apply for."""

    def __init__(self, sandbox_url: str, folder: Path) -> None:
        self.orders: dict[str, Order] = {}
        app = Flask(__name__)
        app.config.update(
            SECRET_KEY="plugin-pages-test-secret-key-0123456789abcdef",
            DIVIDEBUY_ENVIRONMENT="local",
            DIVIDEBUY_BASE_URL=sandbox_url,
            DIVIDEBUY_CLIENT_ID=f"plugin-{uuid.uuid4().hex[:8]}",
            DIVIDEBUY_CLIENT_SECRET="secret",
            DIVIDEBUY_DATABASE_URL=f"sqlite:///{folder / 'plugin.sqlite3'}",
            DIVIDEBUY_RATE_LIMIT=None,
            DIVIDEBUY_WIDGET_BUDGET=5.0,
            DIVIDEBUY_PAYMENT_METHODS_ENDPOINT="other_ways",
        )
        DivideBuy(app, order_source=self)

        @app.route("/start/<order_id>")
        def start(order_id: str) -> Any:
            return redirect(app.jinja_env.globals["dividebuy_checkout_url"](order_id))

        @app.route("/pay/<order_id>")
        def other_ways(order_id: str) -> str:
            return render_template_string(OTHER_WAYS, order_id=order_id)

        @app.route("/product/<price>")
        def product(price: str) -> str:
            return render_template_string(PRODUCT, price=price)

        @app.route("/favicon.ico")
        def favicon() -> tuple[str, int]:
            return "", 204

        self.app = app
        self._server = serve_wsgi(app)
        self.url = f"http://127.0.0.1:{self._server.port}"

    def get_order(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

    def order(self, total: str, last_name: str = "Lovelace", postcode: str | None = None) -> str:
        """A new order of one item at *total* for the demo shopper (surname *last_name*).

        A *postcode* DivideBuy would refuse makes the form ask for the whole address.
        """
        order_id = uuid.uuid4().hex[:10]
        amount = Decimal(total)
        self.orders[order_id] = Order(
            order_id=order_id,
            order_ref=f"P-{order_id[:6].upper()}",
            lines=(OrderLine("Velvet sofa", 1, unit_price_including_vat=amount),),
            subtotal=amount,
            vat=(amount / 6).quantize(Decimal("0.01")),
            shipping=Decimal("0.00"),
            total=amount,
            vat_rate=Decimal("20"),
            customer=Customer(
                first_name=CUSTOMER["first_name"],
                last_name=last_name,
                email=CUSTOMER["email"],
                mobile_number=CUSTOMER["mobile_number"],
                title="Ms",
                address=Address(
                    house_number=CUSTOMER["house_number"],
                    address_line_1=CUSTOMER["address_line_1"],
                    town=CUSTOMER["town"],
                    postcode=postcode or CUSTOMER["postcode"],
                ),
            ),
        )
        return order_id

    @property
    def service(self) -> CheckoutService:
        service: CheckoutService = self.app.extensions["dividebuy"].services["checkout"]
        return service

    def return_url(self, order_id: str) -> str:
        """The signed return page of the order's checkout (as DivideBuy would send back)."""
        record = self.service.status(order_id)
        assert record is not None
        with self.app.test_request_context():
            token = self.service.return_token(record)
        return f"{self.url}/dividebuy/return?ref={token}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.app.extensions["dividebuy"].services["widgets"].close(wait=True)
