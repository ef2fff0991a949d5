"""The example shop's back-office page: a login in front, CSRF on every form, the same service."""

from __future__ import annotations

import importlib.util
import io
import re
import sys
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
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
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
    asked = http.post(
        "/backoffice/settle",
        data={"csrf_token": token, "order_id": "A1", "delivered_on": today},
    ).get_data(as_text=True)
    calls_before_yes = shop.state()["settle_calls"]
    settled = http.post(
        "/backoffice/settle",
        data={"csrf_token": token, "order_id": "A1", "delivered_on": today, "confirmed": "yes"},
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
    assert "Yes, settle order A1" in asked and calls_before_yes == 0  # settling asks first
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


def _post(http, path: str, token: str, **data: str):
    return http.post(path, data={"csrf_token": token, **data})


def test_a_refund_needs_an_amount_or_the_refund_everything_confirmation(shop: Shop, app: Flask):
    shop.completed_order("A1", Decimal("120.00"))
    http = app.test_client()
    token = _login(http)

    blank = _post(http, "/backoffice/refund", token, order_id="A1", amount="")
    asked = _post(http, "/backoffice/refund", token, order_id="A1", everything="1")
    calls_before_yes = shop.calls("REFUND")
    done = _post(
        http,
        "/backoffice/refund",
        token,
        order_id="A1",
        everything="1",
        everything_amount="120.00",
        confirmed="yes",
    )
    listing = http.get("/backoffice/").get_data(as_text=True)

    assert blank.status_code == 422
    assert "Enter the amount to refund" in blank.get_data(as_text=True)
    assert asked.status_code == 200 and "Yes, refund £120.00" in asked.get_data(as_text=True)
    assert calls_before_yes == 0
    assert done.status_code == 303 and "Refunded £120.00 on order A1." in listing
    assert shop.calls("REFUND") == 1 and shop.sandbox_refunds("A1")


def test_refund_everything_confirmed_for_an_old_amount_sends_nothing(shop: Shop, app: Flask):
    shop.completed_order("A1", Decimal("120.00"))
    http = app.test_client()
    token = _login(http)
    _post(http, "/backoffice/refund", token, order_id="A1", amount="20")  # meanwhile, elsewhere

    stale = _post(
        http,
        "/backoffice/refund",
        token,
        order_id="A1",
        everything="1",
        everything_amount="120.00",
        confirmed="yes",
    )

    assert stale.status_code == 409
    assert "is now £100.00, not the amount you confirmed" in stale.get_data(as_text=True)
    assert shop.calls("REFUND") == 1  # only the £20


def test_a_refused_refund_keeps_what_was_typed_beside_its_error(shop: Shop, app: Flask):
    shop.completed_order("A1", Decimal("120.00"))
    http = app.test_client()
    token = _login(http)

    page = _post(http, "/backoffice/refund", token, order_id="A1", amount="12,50x")
    html = page.get_data(as_text=True)

    assert page.status_code == 422
    assert 'id="amount-A1-error"' in html and 'value="12,50x"' in html
    assert 'href="#amount-A1"' in html  # the summary links to the box
    assert shop.calls("REFUND") == 0


def test_a_future_delivery_date_is_refused_and_kept(shop: Shop, app: Flask):
    shop.completed_order("A1")
    http = app.test_client()
    token = _login(http)

    page = _post(http, "/backoffice/settle", token, order_id="A1", delivered_on="2999-01-01")
    html = page.get_data(as_text=True)

    assert page.status_code == 422 and "is in the future" in html
    assert 'value="2999-01-01"' in html
    assert shop.state()["settle_calls"] == 0


def test_declined_cancelled_and_expired_orders_offer_nothing_to_refund(shop: Shop, app: Flask):
    from dividebuy_checkout.store import CheckoutStatus

    for order_id, status in (
        ("D1", CheckoutStatus.DECLINED),
        ("C1", CheckoutStatus.CANCELLED),
        ("E1", CheckoutStatus.EXPIRED),
    ):
        record = shop.pending_order(order_id, Decimal("300.00"))
        shop.store.transition(record.quote_id, status, source="test")
    http = app.test_client()
    _login(http)

    html = http.get("/backoffice/").get_data(as_text=True)

    for order_id in ("D1", "C1", "E1"):
        card = html.split(f'id="order-{order_id}"', 1)[1].split("</li>", 1)[0]
        assert "Nothing: DivideBuy lent nothing on this order" in card
        assert "<button" not in card and "<form" not in card and "£300.00 over" in card


def test_a_settlement_csv_uploaded_on_the_page_reports_each_row(shop: Shop, app: Flask):
    shop.completed_orders(["A1", "A2"])
    http = app.test_client()
    token = _login(http)
    today = app.extensions["dividebuy"].services["backoffice"].today().isoformat()
    csv_text = f"order_id,delivered_on\nA1,{today}\nNOPE,{today}\nA2,23/11/2026\nA2,\nA1,{today}\n"

    def upload(**extra: str):
        data = {"csrf_token": token, "csv_file": (io.BytesIO(csv_text.encode()), "d.csv")}
        return http.post("/backoffice/settle/csv", data={**data, **extra})

    unconfirmed = upload()
    report = upload(confirmed="yes", default_date=today)
    html = report.get_data(as_text=True)
    problems = html.split('id="csv-report-problems"', 1)[1].split("</table>", 1)[0]

    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.get_data(True)
    assert report.status_code == 200
    assert "2 settled, 0 already settled, 3 rejected, 0 failed (5 orders" in html
    assert "NOPE" in problems and "No DivideBuy checkout is recorded" in problems
    assert "23/11/2026" in problems and "more than once" in problems
    assert shop.state()["settle_calls"] >= 1


def test_a_csv_that_is_not_utf8_or_has_no_header_sends_nothing(shop: Shop, app: Flask):
    shop.completed_order("A1")
    http = app.test_client()
    token = _login(http)

    def upload(content: bytes):
        data = {"csrf_token": token, "confirmed": "yes", "csv_file": (io.BytesIO(content), "x.csv")}
        return http.post("/backoffice/settle/csv", data=data)

    latin = upload("order_id,delivered_on\nA1,2026-01-01 café\xe9".encode("latin-1"))
    headless = upload(b"A1,2026-01-01\n")

    assert latin.status_code == 422 and "not UTF-8 text" in latin.get_data(True)
    assert headless.status_code == 422 and "header is missing" in headless.get_data(True)
    assert shop.state()["settle_calls"] == 0
