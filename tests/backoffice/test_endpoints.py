"""The back-office JSON endpoints: auth first, then field errors, then the same service."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import wraps
from typing import Any

import pytest
from flask import Flask, abort, request
from flask_wtf import CSRFProtect

from dividebuy_checkout.flask import DivideBuy, signals
from dividebuy_checkout.settings import ConfigurationError

from .conftest import Shop

D = Decimal
KEY = "k3y-for-the-back-office-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


def make_app(shop: Shop, *, csrf: str | None = None, **config: Any) -> Flask:
    app = Flask("shop")
    app.config.update(SECRET_KEY="test-secret", DIVIDEBUY_BACKOFFICE_API_KEY=KEY)
    app.config.update(config)
    if csrf == "before":
        CSRFProtect(app)
    DivideBuy(app, client=shop.client, store=shop.store)
    if csrf == "after":
        CSRFProtect(app)
    return app


@pytest.fixture
def app(shop: Shop) -> Flask:
    return make_app(shop)


@pytest.fixture
def http(app: Flask):
    return app.test_client()


def _post(http, url: str, body: Any, headers: dict[str, str] | None = AUTH, **kw: Any):
    return http.post(url, json=body, headers=headers or {}, **kw)


ONE_ORDER = {"orders": [{"order_id": "A1", "delivered_on": "2026-01-01"}]}
ENDPOINTS = [
    ("POST", "/dividebuy/backoffice/settle", ONE_ORDER),
    ("POST", "/dividebuy/backoffice/orders/A1/refunds", {"amount": "10.00"}),
    ("GET", "/dividebuy/backoffice/orders/A1", None),
    ("POST", "/dividebuy/backoffice/refunds/1/confirm", {"succeeded": True}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-key"}, {"Authorization": f"Basic {KEY}"}],
    ids=["missing", "wrong", "not-bearer"],
)
def test_a_missing_or_wrong_key_is_401_and_changes_nothing(
    shop: Shop, http, method, url, body, headers
):
    shop.completed_order("A1")

    response = http.open(url, method=method, json=body, headers=headers)

    assert response.status_code == 401
    assert response.json["error"] == "unauthorised"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert shop.calls("REFUND") == 0 and shop.state()["settle_calls"] == 0


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_with_no_key_configured_every_endpoint_refuses(shop: Shop, method, url, body):
    app = make_app(shop, DIVIDEBUY_BACKOFFICE_API_KEY=None)

    response = app.test_client().open(url, method=method, json=body, headers=AUTH)

    assert response.status_code == 403
    assert "DIVIDEBUY_BACKOFFICE_API_KEY" in response.json["message"]


def test_a_guessable_key_is_refused_at_start_up(shop: Shop):
    with pytest.raises(ConfigurationError, match="too short"):
        make_app(shop, DIVIDEBUY_BACKOFFICE_API_KEY="letmein")


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/dividebuy/backoffice/orders/A1/refunds", {"amount": "ten"}, "amount"),
        ("/dividebuy/backoffice/orders/A1/refunds", {"amount": -5}, "amount"),
        ("/dividebuy/backoffice/orders/A1/refunds", {"amount": 0}, "amount"),
        ("/dividebuy/backoffice/orders/A1/refunds", {"amount": 10.001}, "amount"),
        ("/dividebuy/backoffice/orders/A1/refunds", {"amount": True}, "amount"),
        ("/dividebuy/backoffice/orders/A1/refunds", {"amount": "1e999999"}, "amount"),
        ("/dividebuy/backoffice/orders/A1/refunds", {"amont": 5}, "amont"),
        ("/dividebuy/backoffice/orders/A1/refunds", [5], "_body"),
        ("/dividebuy/backoffice/settle", {}, "orders"),
        ("/dividebuy/backoffice/settle", {"orders": []}, "orders"),
        ("/dividebuy/backoffice/settle", {"orders": "A1"}, "orders"),
        (
            "/dividebuy/backoffice/settle",
            {"orders": [{"order_id": "A1", "delivered_on": "2026-01-01"}, {"order_id": ""}]},
            "orders.1.order_id",
        ),
        (
            "/dividebuy/backoffice/settle",
            {"orders": [{"order_id": "A1", "delivered_on": "01/01/2026"}]},
            "orders.0.delivered_on",
        ),
        ("/dividebuy/backoffice/refunds/1/confirm", {"succeeded": "yes"}, "succeeded"),
        ("/dividebuy/backoffice/refunds/1/confirm", {}, "succeeded"),
    ],
)
def test_bad_bodies_are_400_with_field_errors_and_change_nothing(
    shop: Shop, http, url, body, field
):
    shop.completed_order("A1")

    response = _post(http, url, body)

    assert response.status_code == 400, response.json
    assert response.json["error"] == "invalid_body"
    assert field in response.json["field_errors"], response.json
    assert shop.calls("REFUND") == 0 and shop.state()["settle_calls"] == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("{", "application/json"), ('{"amount": 5}', "text/plain"), ("", "application/json")],
    ids=["broken-json", "not-json-content-type", "empty"],
)
def test_bodies_that_are_not_json_objects_are_400(shop: Shop, http, data, content_type):
    shop.completed_order("A1")

    response = http.post(
        "/dividebuy/backoffice/orders/A1/refunds",
        data=data,
        headers={**AUTH, "Content-Type": content_type},
    )

    assert response.status_code == 400
    assert "_body" in response.json["field_errors"]
    assert shop.calls("REFUND") == 0


def test_too_many_orders_in_one_request_is_400(shop: Shop):
    app = make_app(shop, DIVIDEBUY_BACKOFFICE_MAX_SETTLE_ORDERS=2)
    orders = [{"order_id": f"A{i}", "delivered_on": "2026-01-01"} for i in range(3)]

    response = _post(app.test_client(), "/dividebuy/backoffice/settle", {"orders": orders})

    assert response.status_code == 400 and "orders" in response.json["field_errors"]


def test_settle_refund_and_status_through_the_endpoints(shop: Shop, app: Flask, http):
    shop.completed_order("A1", D("100.00"))
    today = app.extensions["dividebuy"].services["backoffice"].today().isoformat()
    received: list[tuple[str, dict]] = []
    signals.order_settled.connect(lambda s, **kw: received.append(("settled", kw)), app, weak=False)
    signals.refund_issued.connect(lambda s, **kw: received.append(("refund", kw)), app, weak=False)

    settled = _post(
        http,
        "/dividebuy/backoffice/settle",
        {"orders": [{"order_id": "A1", "delivered_on": today}]},
    )
    refunded = _post(http, "/dividebuy/backoffice/orders/A1/refunds", {"amount": 25})
    too_much = _post(http, "/dividebuy/backoffice/orders/A1/refunds", {"amount": "75.01"})
    status = http.get("/dividebuy/backoffice/orders/A1", headers=AUTH)

    assert settled.status_code == 200 and settled.json["ok"] is True
    assert settled.json["orders"][0]["outcome"] == "settled"
    assert refunded.status_code == 201 and refunded.json["refund"]["amount"] == "25.00"
    assert too_much.status_code == 422
    assert too_much.json["error"] == "refund_exceeds_remaining"
    assert "£75.00" in too_much.json["field_errors"]["amount"][0]
    assert status.status_code == 200
    assert status.json["refundable"] == "75.00" and status.json["settlement"]["status"] == "settled"
    assert [name for name, _ in received] == ["settled", "refund"]
    assert received[1][1]["refund"].amount == D("25.00")
    assert shop.calls("REFUND") == 1


def test_refusals_have_their_own_status(shop: Shop, http):
    shop.pending_order("P1")
    shop.completed_order("A1")
    shop.fault("REFUND", 502, after=True)  # DivideBuy refunds, then the gateway fails

    unknown_order = http.get("/dividebuy/backoffice/orders/NOPE", headers=AUTH)
    pending = _post(http, "/dividebuy/backoffice/orders/P1/refunds", {})
    failed = _post(http, "/dividebuy/backoffice/orders/A1/refunds", {"amount": 10})
    blocked = _post(http, "/dividebuy/backoffice/orders/A1/refunds", {"amount": 10})

    assert unknown_order.status_code == 404
    assert pending.status_code == 409 and pending.json["error"] == "order_not_completed"
    assert failed.status_code == 502 and failed.json["error"] == "refund_outcome_unknown"
    assert failed.json["refund"]["status"] == "unknown"
    assert blocked.status_code == 409 and blocked.json["error"] == "refund_blocked"
    refund_id = failed.json["refund"]["id"]

    confirm = _post(
        http, f"/dividebuy/backoffice/refunds/{refund_id}/confirm", {"succeeded": False}
    )
    again = _post(http, f"/dividebuy/backoffice/refunds/{refund_id}/confirm", {"succeeded": True})

    assert confirm.status_code == 200 and confirm.json["refund"]["status"] == "confirmed_failed"
    assert again.status_code == 409 and again.json["error"] == "refund_not_confirmable"


@pytest.mark.parametrize("order", ["before", "after"])
def test_the_api_key_endpoints_work_with_csrf_protect_on(shop: Shop, order: str):
    shop.completed_order("A1")
    app = make_app(shop, csrf=order)

    response = _post(app.test_client(), "/dividebuy/backoffice/orders/A1/refunds", {"amount": 5})

    assert response.status_code == 201, response.get_data(as_text=True)


def staff_only(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.headers.get("X-Staff") != "yes":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def test_the_shops_own_auth_decorator_replaces_the_key_and_keeps_csrf(shop: Shop):
    shop.completed_order("A1")
    app = make_app(shop, csrf="before", DIVIDEBUY_BACKOFFICE_AUTH=staff_only)
    http = app.test_client()

    stranger = http.get("/dividebuy/backoffice/orders/A1")
    staff = http.get("/dividebuy/backoffice/orders/A1", headers={"X-Staff": "yes"})
    no_csrf_token = http.post(
        "/dividebuy/backoffice/orders/A1/refunds",
        data=json.dumps({"amount": 5}),
        headers={"X-Staff": "yes", "Content-Type": "application/json"},
    )

    assert stranger.status_code == 403
    assert staff.status_code == 200
    assert no_csrf_token.status_code == 400  # a cookie-authenticated POST needs the CSRF token
    assert shop.calls("REFUND") == 0


def test_flask_dividebuy_runs_the_commands_with_the_apps_service(shop: Shop, app: Flask):
    shop.completed_order("A1", D("100.00"))
    refunds: list[Any] = []
    signals.refund_issued.connect(lambda s, **kw: refunds.append(kw["refund"]), app, weak=False)
    runner = app.test_cli_runner()

    refunded = runner.invoke(args=["dividebuy", "refund", "A1", "--amount", "12.50"])
    shown = runner.invoke(args=["dividebuy", "orders", "show", "A1", "--json"])

    assert refunded.exit_code == 0, refunded.output
    assert [r.amount for r in refunds] == [D("12.50")]  # the app's signal: the app's service
    assert json.loads(shown.stdout)["refunded"] == "12.50"
