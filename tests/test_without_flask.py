"""The whole journey in a web app that is not Flask: Starlette, served by uvicorn, over HTTP.

The shop below is what ``docs/without-flask.md`` describes, built only from the
public core API (nothing from ``dividebuy_checkout.flask``): the widget's terms
JSON, the application form read with :mod:`dividebuy_checkout.checkout.answers`,
the quote and the redirect to DivideBuy (the real local sandbox), the signed
return, reconcile for a shopper who never comes back, then settlement and a
refund through the back office, each an HTTP endpoint of the Starlette app.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from support import ANSWERS, CUSTOMER, press_at_dividebuy, serve_asgi

from dividebuy_checkout import DivideBuyClient, MemoryTokenStore, Settings
from dividebuy_checkout.backoffice import BackOfficeError, BackOfficeService
from dividebuy_checkout.checkout import (
    AlreadyFinanced,
    BadReference,
    CheckoutService,
    DivideBuyUnavailable,
    InvalidApplication,
    NotFinanceable,
    ReferenceSigner,
)
from dividebuy_checkout.checkout.answers import (
    FormErrors,
    asked_fields,
    map_errors,
    prefill_values,
    read_answers,
)
from dividebuy_checkout.money import loads
from dividebuy_checkout.orders import Address, Customer, Order, OrderLine
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.store import SqlStore
from dividebuy_checkout.terms import TermsSource
from dividebuy_checkout.widgets import WidgetMarkup, WidgetService, asset_href, asset_tags

SECRET = "starlette-shop-secret-0123456789abcdef"
#: where the shop serves the package's static files; widget.js asks ../widget/terms from there
STATIC = "/dividebuy/static"


# -- the shop's side: its orders and its listener --------------------------------------------------


def demo_order(order_id: str, price: str = "899.00") -> Order:
    """An order as the shop's own database would hold it, for the demo shopper."""
    address = Address(
        house_number=CUSTOMER["house_number"],
        address_line_1=CUSTOMER["address_line_1"],
        town=CUSTOMER["town"],
        postcode=CUSTOMER["postcode"],
    )
    customer = Customer(
        first_name=CUSTOMER["first_name"],
        last_name=CUSTOMER["last_name"],
        email=CUSTOMER["email"],
        mobile_number=CUSTOMER["mobile_number"],
        address=address,
    )
    total = Decimal(price)
    vat = (total / 6).quantize(Decimal("0.01"))
    return Order(
        order_id=order_id,
        order_ref=f"ST-{order_id}",
        lines=(OrderLine("Walnut desk", 1, unit_price_including_vat=total, sku="WNT-DSK"),),
        subtotal=total - vat,
        vat=vat,
        vat_rate=Decimal(20),
        shipping=Decimal("0.00"),
        total=total,
        customer=customer,
    )


class ShopOrders:
    """The order source: ``get_order(order_id)`` → :class:`Order` or ``None``."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.paid: set[str] = set()

    def get_order(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)


@dataclass
class Listener:
    """The shop's one listener for checkout and back-office events."""

    heard: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    orders: ShopOrders | None = None

    def __call__(self, event: str, /, **payload: Any) -> None:
        self.heard.append((event, payload))
        if event == "quote_completed" and self.orders is not None:
            self.orders.paid.add(payload["record"].order_id)

    def names(self) -> list[str]:
        return [name for name, _ in self.heard]


# -- the Starlette app ----------------------------------------------------------------------------


@dataclass
class Parts:
    checkout: CheckoutService
    backoffice: BackOfficeService
    widgets: WidgetService
    markup: WidgetMarkup
    #: the shop's public address, from its configuration (never from the request's Host)
    public_url: str = ""


def terms_answer(widgets: WidgetService, request: Request) -> Response:
    """``GET /dividebuy/terms?amount=…`` answered by the core's framework-free terms JSON."""
    from dividebuy_checkout.widgets import terms_json

    client = request.client.host if request.client else None
    answer = terms_json(
        widgets,
        request.query_params.get("amount"),
        client_address=client,
        if_none_match=request.headers.get("if-none-match"),
    )
    return Response(answer.body, answer.status, answer.headers)


async def posted_form(request: Request) -> dict[str, str]:
    """The url-encoded form body (``await request.form()`` does the same with python-multipart)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True, max_num_fields=200))


def form_page(order: Order, parts: Parts, errors: FormErrors, status: int = 200) -> HTMLResponse:
    """A bare application form: the core says what to ask, what to prefill, where errors go."""
    asked = asked_fields(order)
    offer = parts.checkout.offer(order)
    values = prefill_values(order, asked)
    rows = [f"<p>Order {html.escape(order.order_ref)}</p>"]
    rows += [
        f'<a href="#{anchor}">{html.escape(message)}</a>' for message, anchor in errors.summary()
    ]
    rows += [
        f'<input name="{name}" id="{name}" value="{html.escape(value)}">'
        for name, value in values.items()
    ]
    rows += [
        f'<label><input type="radio" name="term" value="{c.months}">{html.escape(c.label)}</label>'
        for c in offer.choices
    ]
    return HTMLResponse(f"<form method=post>{''.join(rows)}</form>", status)


def product_page(parts: Parts, price: str) -> HTMLResponse:
    """A product page with the server-rendered widget and its asset tags."""
    head = asset_tags(asset_href(STATIC, "widget.css"), asset_href(STATIC, "widget.js"))
    body = parts.markup(price, price_source="quantity")
    quantity = '<input id="quantity" name="quantity" value="1">'
    return HTMLResponse(f"<html><head>{head}</head><body>{quantity}{body}</body></html>")


def build_app(parts: Parts) -> Starlette:
    async def product(request: Request) -> Response:
        return await run_in_threadpool(product_page, parts, "899.00")

    async def terms(request: Request) -> Response:
        return await run_in_threadpool(terms_answer, parts.widgets, request)

    async def apply(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            order = await run_in_threadpool(parts.checkout.order_for_start, token)
        except BadReference as exc:
            return HTMLResponse(html.escape(str(exc)), 400)
        if request.method == "GET":
            return await run_in_threadpool(form_page, order, parts, FormErrors())
        asked = asked_fields(order)
        answers = read_answers(await posted_form(request), asked)
        client = request.client.host if request.client else ""
        try:
            submitted = await run_in_threadpool(
                lambda: parts.checkout.submit(
                    order.order_id,
                    answers.applicant,
                    ip_address=client,
                    return_url=lambda ref: f"{parts.public_url}/dividebuy/return?ref={ref}",
                )
            )
        except InvalidApplication as exc:
            errors = map_errors(exc.field_errors, answers.rows, asked)
            return await run_in_threadpool(form_page, order, parts, errors, 400)
        except (NotFinanceable, DivideBuyUnavailable) as exc:
            return HTMLResponse(html.escape(str(exc)), 503)
        except AlreadyFinanced:
            return RedirectResponse(f"/orders/{order.order_id}", 303)
        target = submitted.checkout_url or f"/dividebuy/return?ref={submitted.return_token}"
        return RedirectResponse(target, 303)

    async def back(request: Request) -> Response:
        try:
            outcome = await run_in_threadpool(
                parts.checkout.handle_return, request.query_params.get("ref", "")
            )
        except BadReference as exc:
            return HTMLResponse(html.escape(str(exc)), 400)
        return HTMLResponse(f"<h1>{outcome.record.status.value}</h1>")

    async def reconcile(request: Request) -> Response:
        report = await run_in_threadpool(parts.checkout.reconcile)
        changed = [after.order_id for _, after in report.changed]
        return JSONResponse({"checked": report.checked, "changed": changed, "ok": report.ok})

    async def settle(request: Request) -> Response:
        body = await request.json()
        report = await run_in_threadpool(
            parts.backoffice.settle, [request.path_params["order_id"]], body["delivered_on"]
        )
        return Response(_json(report.to_dict()), 200 if report.ok else 409, media_type="json")

    async def refund(request: Request) -> Response:
        body = await request.json()
        order_id = request.path_params["order_id"]
        try:
            await run_in_threadpool(parts.backoffice.refund, order_id, body.get("amount"))
        except BackOfficeError as exc:
            return JSONResponse({"error": str(exc)}, 409)
        status = await run_in_threadpool(parts.backoffice.order_status, order_id)
        return Response(_json(status.to_dict()), 200, media_type="application/json")

    return Starlette(
        routes=[
            Route("/products/desk", product),
            Route("/dividebuy/widget/terms", terms),
            Mount(STATIC, StaticFiles(directory=str(files("dividebuy_checkout") / "static"))),
            Route("/dividebuy/apply/{token}", apply, methods=["GET", "POST"]),
            Route("/dividebuy/return", back),
            Route("/admin/reconcile", reconcile, methods=["POST"]),
            Route("/admin/orders/{order_id}/settle", settle, methods=["POST"]),
            Route("/admin/orders/{order_id}/refund", refund, methods=["POST"]),
        ]
    )


def _json(data: Any) -> str:
    """JSON with Decimals and dates as strings (money stays exact on the way out)."""
    return json.dumps(data, default=str)


# -- fixtures ------------------------------------------------------------------------------------


@dataclass
class StarletteShop:
    url: str
    orders: ShopOrders
    listener: Listener
    parts: Parts
    sandbox: SandboxServer

    def sandbox_state(self) -> dict[str, Any]:
        return loads(httpx.get(f"{self.sandbox.url}/_sandbox/state", timeout=10).content)

    def apply_url(self, order_id: str) -> str:
        return f"/dividebuy/apply/{self.parts.checkout.start_token(order_id)}"


@pytest.fixture
def starlette_shop(sandbox: SandboxServer, tmp_path: Path) -> Iterator[StarletteShop]:
    settings = Settings(
        client_id="starlette-shop",
        client_secret="s",
        environment="local",
        base_url=sandbox.url,
    )
    orders = ShopOrders()
    listener = Listener(orders=orders)
    store = SqlStore(f"sqlite:///{tmp_path / 'shop.sqlite3'}").upgrade()
    with DivideBuyClient(settings=settings, token_store=MemoryTokenStore()) as client:
        terms = TermsSource(client)  # one terms cache for the widget and the checkout
        widgets = WidgetService(source=terms)
        parts = Parts(
            checkout=CheckoutService(
                client,
                store,
                orders,
                signer=ReferenceSigner(SECRET, return_max_age=3600, start_max_age=3600),
                notify=listener,
                terms=terms,
            ),
            backoffice=BackOfficeService(client, store, notify=listener),
            widgets=widgets,
            markup=WidgetMarkup(widgets),
        )
        with serve_asgi(build_app(parts)) as url:
            parts.public_url = url
            yield StarletteShop(url, orders, listener, parts, sandbox)
        parts.widgets.close(wait=True)


# -- the journey ----------------------------------------------------------------------------------


def test_the_whole_journey_runs_in_a_starlette_app_over_real_http(starlette_shop: StarletteShop):
    shop = starlette_shop
    shop.orders.orders["A1"] = demo_order("A1")
    shop.orders.orders["A2"] = demo_order("A2")
    http = httpx.Client(base_url=shop.url, timeout=15)

    # 1. A product page with the widget and its assets, served from the package's static files.
    page = http.get("/products/desk")
    assert page.status_code == 200
    assert '<dividebuy-instalments class="dbw" amount="899.00" data-state="shown"' in page.text
    assert 'price-source="quantity"' in page.text and "£74.92" in page.text
    script = re.search(r'src="(/dividebuy/static/widget\.js\?v=[^"]+)"', page.text)
    assert script, page.text
    assert http.get(script.group(1)).status_code == 200

    # 2. The widget's terms JSON (next to widget.js), and a clear 400 for a bad amount.
    terms = http.get("/dividebuy/widget/terms", params={"amount": "899.00"})
    assert terms.status_code == 200, terms.text
    assert terms.json()["eligible"] is True
    assert 12 in {term["months"] for term in terms.json()["terms"]}
    bad = http.get("/dividebuy/widget/terms", params={"amount": "lots"})
    assert bad.status_code == 400 and "amount" in bad.json()["field_errors"]

    # 3. The application form: the order's details are known, so only the rest is asked.
    form = http.get(shop.apply_url("A1"))
    assert form.status_code == 200
    assert 'name="term" value="12"' in form.text and "£74.92" in form.text
    assert 'name="first_name"' not in form.text  # the order has a valid name: not asked
    assert shop.sandbox_state()["calls"].get("TERMS") == 1  # one terms cache for both

    # 4. Answers the rules refuse: field-level errors linked to their inputs, nothing sent.
    refused = http.post(shop.apply_url("A1"), data={**ANSWERS, "dob_year": "", "rent": "lots"})
    assert refused.status_code == 400
    assert 'href="#dob_day"' in refused.text and 'href="#rent"' in refused.text
    assert shop.parts.checkout.status("A1") is None
    assert shop.sandbox_state()["quotes"] == []

    # 5. Good answers → a quote, recorded before the shopper is sent to DivideBuy.
    sent = http.post(shop.apply_url("A1"), data=dict(ANSWERS))
    assert sent.status_code == 303, sent.text
    checkout_url = sent.headers["location"]
    assert checkout_url.startswith(f"{shop.sandbox.url}/checkout/")
    record = shop.parts.checkout.status("A1")
    assert record is not None and record.status.value == "pending"
    assert shop.listener.names() == ["quote_created", "quote_decided"]
    assert shop.listener.heard[1][1]["decision"] == "APPROVED"
    assert shop.listener.heard[0][1]["record"].order_id == "A1"

    # 6. Signed at DivideBuy, back at the shop's return URL: paid, told once.
    return_url = press_at_dividebuy(checkout_url, "complete")
    assert return_url.startswith(f"{shop.url}/dividebuy/return?ref=")
    back = http.get(return_url[len(shop.url) :])
    assert back.status_code == 200 and "<h1>completed</h1>" in back.text
    assert shop.listener.names().count("quote_completed") == 1
    assert shop.orders.paid == {"A1"}
    assert http.get("/dividebuy/return", params={"ref": "forged"}).status_code == 400

    # 7. A second shopper signs and closes the tab: reconcile completes the order.
    second = http.post(shop.apply_url("A2"), data=dict(ANSWERS))
    press_at_dividebuy(second.headers["location"], "complete")  # never comes back
    run = http.post("/admin/reconcile").json()
    assert run == {"checked": 1, "changed": ["A2"], "ok": True}
    assert shop.orders.paid == {"A1", "A2"}
    assert http.post("/admin/reconcile").json()["checked"] == 0

    # 8. Delivered: settlement tells DivideBuy, once.
    today = date.today().isoformat()
    settled = http.post("/admin/orders/A1/settle", json={"delivered_on": today})
    assert settled.status_code == 200, settled.text
    assert shop.sandbox_state()["settle_calls"] == 1
    assert "order_settled" in shop.listener.names()

    # 9. A partial refund, then more than is left is refused; DivideBuy agrees with the ledger.
    refunded = http.post("/admin/orders/A1/refund", json={"amount": "100.00"})
    assert refunded.status_code == 200, refunded.text
    assert Decimal(refunded.json()["refundable"]) == Decimal("799.00")
    too_much = http.post("/admin/orders/A1/refund", json={"amount": "800.00"})
    assert too_much.status_code == 409
    at_dividebuy = shop.sandbox_state()["refunds"]
    assert [Decimal(str(r["amount"])) for r in at_dividebuy] == [Decimal("100.00")]
    assert shop.listener.names().count("refund_issued") == 1
    http.close()
