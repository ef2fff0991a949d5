"""The example shop's back-office page: a login in front, CSRF on every form, the same service."""

from __future__ import annotations

import importlib.util
import re
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask

from dividebuy_checkout.flask import DivideBuy

from .conftest import Shop

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def _page_module() -> ModuleType:
    path = ROOT / "examples" / "flask_shop" / "backoffice.py"
    spec = importlib.util.spec_from_file_location("example_shop_backoffice", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def app(shop: Shop) -> Flask:
    app = Flask("example-shop")
    app.config.update(SECRET_KEY="test-secret", BACKOFFICE_PASSWORD=PASSWORD)
    DivideBuy(app, client=shop.client, store=shop.store)
    _page_module().register(app)
    return app


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _login(http) -> str:
    token = _token(http.get("/backoffice/login").get_data(as_text=True))
    response = http.post("/backoffice/login", data={"csrf_token": token, "password": PASSWORD})
    assert response.status_code == 302
    return _token(http.get("/backoffice/").get_data(as_text=True))


def test_the_page_and_its_actions_need_a_login(shop: Shop, app: Flask):
    shop.completed_order("A1")
    http = app.test_client()

    page = http.get("/backoffice/")
    settle = http.post("/backoffice/settle", data={"order_id": "A1", "delivered_on": "2026-01-01"})
    token = _token(http.get("/backoffice/login").get_data(as_text=True))
    wrong = http.post("/backoffice/login", data={"csrf_token": token, "password": "guess"})

    assert page.status_code == 302 and page.location.endswith("/backoffice/login")
    assert settle.status_code == 302 and settle.location.endswith("/backoffice/login")
    assert wrong.status_code == 401 and "not the back-office password" in wrong.get_data(True)
    assert shop.state()["settle_calls"] == 0


def test_signed_in_staff_see_orders_and_settle_and_refund(shop: Shop, app: Flask):
    shop.completed_order("A1", Decimal("120.00"))
    http = app.test_client()
    token = _login(http)
    today = app.extensions["dividebuy"].services["backoffice"].today().isoformat()

    listing = http.get("/backoffice/").get_data(as_text=True)
    settled = http.post(
        "/backoffice/settle",
        data={"csrf_token": token, "order_id": "A1", "delivered_on": today},
        follow_redirects=True,
    ).get_data(as_text=True)
    refunded = http.post(
        "/backoffice/refund",
        data={"csrf_token": token, "order_id": "A1", "amount": "20"},
        follow_redirects=True,
    ).get_data(as_text=True)
    too_much = http.post(
        "/backoffice/refund",
        data={"csrf_token": token, "order_id": "A1", "amount": "500"},
        follow_redirects=True,
    ).get_data(as_text=True)

    assert 'id="order-A1"' in listing and "£120.00" in listing
    assert f"Order A1 settled: delivered on {today}." in settled
    assert "Refunded £20.00 on order A1." in refunded
    assert "is more than is left to refund" in too_much
    assert shop.state()["settle_calls"] == 1 and shop.calls("REFUND") == 1


def test_a_form_without_its_csrf_token_changes_nothing(shop: Shop, app: Flask):
    shop.completed_order("A1")
    http = app.test_client()
    _login(http)

    response = http.post("/backoffice/refund", data={"order_id": "A1", "amount": "5"})

    assert response.status_code == 303
    assert shop.calls("REFUND") == 0


def test_an_unknown_refund_is_shown_and_confirmed_on_the_page(shop: Shop, app: Flask):
    shop.completed_order("A1", Decimal("100.00"))
    shop.fault("REFUND", 502, after=True)
    http = app.test_client()
    token = _login(http)

    unknown = http.post(
        "/backoffice/refund",
        data={"csrf_token": token, "order_id": "A1", "amount": "30"},
        follow_redirects=True,
    ).get_data(as_text=True)
    confirmed = http.post(
        "/backoffice/refunds/confirm",
        data={"csrf_token": token, "refund_id": "1", "verdict": "succeeded"},
        follow_redirects=True,
    ).get_data(as_text=True)

    assert "The outcome of refund #1" in unknown
    assert "DivideBuy's retailer portal" in unknown and "It is there: refunded" in unknown
    assert "Refund #1 recorded as refunded." in confirmed
    assert "It is there: refunded" not in confirmed
    assert "£70.00" in confirmed  # refundable after the confirmed £30
