"""The DiSeller fake itself, over loopback HTTP: keys, the error envelope, hourly limits with
headers on the fake clock, lists, writes, admin calls, emitted events, faults, magic ids,
and the ``dividebuy-checkout fake diseller`` command."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from dividebuy_checkout.integrations.diseller.fake import (
    MAGIC_VALUES,
    ApiKey,
    DiSellerFakeConfig,
    DiSellerFakeServer,
    load_fixture,
)
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from dividebuy_checkout.money import dumps, loads

KEY = "test-api-key"
TINY = "tiny-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def server() -> Iterator[DiSellerFakeServer]:
    config = DiSellerFakeConfig(keys={KEY: ApiKey(), TINY: ApiKey(limit=2)}, slow_seconds=0.05)
    with DiSellerFakeServer(config=config) as running:
        yield running


@pytest.fixture
def fake(server: DiSellerFakeServer) -> Iterator[DiSellerFakeServer]:
    server.state.reset()
    yield server
    server.state.reset()


@pytest.fixture
def api(fake: DiSellerFakeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.api_url, headers=AUTH, timeout=10) as client:
        yield client


@pytest.fixture
def admin(fake: DiSellerFakeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{fake.url}/_fake", timeout=10) as client:
        yield client


def body(reply: httpx.Response) -> Any:
    return loads(reply.content)


# -- seed data --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fixture"),
    [
        ("/orders/ord_456", "seed_order_ord_456.json"),
        ("/customers/cust_789", "seed_customer_cust_789.json"),
        ("/products/prod_123", "seed_product_prod_123.json"),
    ],
)
def test_the_seed_objects_are_served_verbatim(api, path, fixture):
    reply = api.get(path)
    assert reply.status_code == 200 and body(reply) == load_fixture(fixture)


# -- keys and the error envelope --------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": KEY}])
def test_a_missing_or_wrong_key_is_401_with_the_envelope(fake, headers):
    reply = httpx.get(f"{fake.api_url}/orders", headers=headers)
    assert reply.status_code == 401
    assert body(reply) == {
        "error": {"type": "authentication_error", "message": "No valid API key provided."}
    }


def test_not_found_is_404_resource_missing(api):
    reply = api.get("/orders/ord_nope")
    assert reply.status_code == 404
    error = body(reply)["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "resource_missing")
    assert api.get("/customers/cust_missing").status_code == 404
    assert api.get("/products/prod_missing").status_code == 404


# -- hourly limits ----------------------------------------------------------------------------


def test_every_reply_carries_the_limit_headers(api):
    first = api.get("/orders/ord_456")
    second = api.get("/orders/ord_nope")
    assert first.headers["X-RateLimit-Limit"] == "1000"
    assert first.headers["X-RateLimit-Remaining"] == "999"
    assert second.headers["X-RateLimit-Remaining"] == "998" and second.status_code == 404
    assert int(first.headers["X-RateLimit-Reset"]) > 0


def test_over_the_hourly_limit_is_429_until_the_window_rolls_on_the_fake_clock(fake, admin):
    with httpx.Client(base_url=fake.api_url, headers={"Authorization": f"Bearer {TINY}"}) as tiny:
        assert tiny.get("/orders/ord_456").status_code == 200
        assert tiny.get("/orders/ord_456").headers["X-RateLimit-Remaining"] == "0"
        refused = tiny.get("/orders/ord_456")
        assert refused.status_code == 429
        assert body(refused)["error"]["type"] == "rate_limit_error"
        assert 3590 <= int(refused.headers["Retry-After"]) <= 3600
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert admin.post("/clock", content=dumps({"advance": 1800})).status_code == 200
        assert tiny.get("/orders/ord_456").status_code == 429
        admin.post("/clock", content=dumps({"advance": 1800}))
        assert tiny.get("/orders/ord_456").status_code == 200
    # another key's allowance is its own
    assert httpx.get(f"{fake.api_url}/orders/ord_456", headers=AUTH).status_code == 200


def test_plans_have_their_hourly_limits():
    config = DiSellerFakeConfig(enterprise_limit=50000)
    assert config.limit_for(ApiKey("starter")) == 1000
    assert config.limit_for(ApiKey("professional")) == 10000
    assert config.limit_for(ApiKey("enterprise")) == 50000
    assert config.limit_for(ApiKey("custom", limit=7)) == 7


# -- lists ------------------------------------------------------------------------------------


def test_lists_page_with_limit_and_starting_after(api, fake):
    everything = [o["id"] for o in fake.state.list_orders()]
    first = body(api.get("/orders"))
    assert [o["id"] for o in first["data"]] == everything[:10]
    assert first["has_more"] is True and first["total"] == len(everything)
    rest = body(api.get("/orders", params={"limit": 100, "starting_after": everything[9]}))
    assert [o["id"] for o in rest["data"]] == everything[10:] and rest["has_more"] is False
    products = body(api.get("/products", params={"limit": 2}))
    assert len(products["data"]) == 2 and products["has_more"] is True
    assert body(api.get("/customers"))["total"] == 3


BAD_LISTS = [
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
    ({"limit": "x"}, "limit"),
    ({"starting_after": "ord_nope"}, "starting_after"),
]


@pytest.mark.parametrize(("params", "param"), BAD_LISTS)
def test_bad_list_parameters_are_400_naming_the_parameter(api, params, param):
    reply = api.get("/orders", params=params)
    assert reply.status_code == 400 and body(reply)["error"]["param"] == param


# -- writes and events ------------------------------------------------------------------------


def test_creating_an_order_copies_prices_and_computes_the_total(api, fake):
    reply = api.post(
        "/orders",
        content=dumps(
            {
                "customer_id": "cust_gb_1",
                "items": [
                    {"product_id": "prod_lamp", "quantity": 2},
                    {"product_id": "prod_cushion", "quantity": 1},
                ],
                "shipping_address": {"street": "1 A St", "city": "Leeds", "zip": "LS1 1AA"},
            }
        ),
    )
    assert reply.status_code == 200, reply.text
    order = body(reply)
    assert order["id"].startswith("ord_") and order["status"] == "pending"
    assert order["total"] == 2 * 8999 + 1999 and order["currency"] == "gbp"
    assert [i["price"] for i in order["items"]] == [8999, 1999]
    assert fake.state.events[-1]["type"] == "order.created"
    assert fake.state.events[-1]["data"]["object"]["id"] == order["id"]


def _order(customer: str | None, *items: tuple[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"items": [{"product_id": p, "quantity": q} for p, q in items]}
    if customer is not None:
        payload["customer_id"] = customer
    return payload


BAD_ORDERS = [
    (_order(None, ("prod_lamp", 1)), "customer_id"),
    (_order("cust_nope", ("prod_lamp", 1)), "customer_id"),
    (_order("cust_gb_1"), "items"),
    (_order("cust_gb_1", ("prod_x", 1)), "items[0][product_id]"),
    (_order("cust_gb_1", ("prod_lamp", Decimal("1.5"))), "items[0][quantity]"),
    (_order("cust_gb_1", ("prod_lamp", 1), ("prod_123", 1)), "items"),  # gbp and usd
]


@pytest.mark.parametrize(("payload", "param"), BAD_ORDERS)
def test_bad_order_bodies_are_400_naming_the_field(api, fake, payload, param):
    reply = api.post("/orders", content=dumps(payload))
    assert reply.status_code == 400 and body(reply)["error"]["param"] == param
    assert fake.state.events == []


def test_customers_and_products_are_created_updated_and_deleted(api, fake):
    customer = body(api.post("/customers", content=dumps({"email": "a@b.uk", "name": "A B"})))
    assert customer["id"].startswith("cust_")
    assert api.post("/customers", content=dumps({"name": "no email"})).status_code == 400
    product = body(
        api.post("/products", content=dumps({"name": "Rug", "price": 4500, "currency": "gbp"}))
    )
    updated = body(api.put(f"/products/{product['id']}", content=dumps({"price": 3999})))
    assert updated["price"] == 3999
    assert body(api.delete(f"/products/{product['id']}")) == {"id": product["id"], "deleted": True}
    assert api.get(f"/products/{product['id']}").status_code == 404
    assert [e["type"] for e in fake.state.events] == [
        "customer.created",
        "product.created",
        "product.updated",
    ]


def test_a_status_write_is_recorded_and_emitted_and_bad_ones_are_refused(api, fake):
    assert api.put("/orders/ord_gb_1", content=dumps({"status": "paid"})).status_code == 200
    assert fake.state.get_order("ord_gb_1")["status"] == "paid"
    assert [w["status"] for w in fake.state.writes] == ["paid"]
    assert fake.state.events[-1]["type"] == "order.updated"
    bad = api.put("/orders/ord_gb_1", content=dumps({"status": "shipped-ish"}))
    assert bad.status_code == 400 and body(bad)["error"]["param"] == "status"
    other = api.put("/orders/ord_gb_1", content=dumps({"status": "paid", "total": 1}))
    assert other.status_code == 400 and body(other)["error"]["param"] == "total"
    assert api.put("/orders/ord_nope", content=dumps({"status": "paid"})).status_code == 404
    assert api.put("/orders/ord_gb_1", content=b"{not json").status_code == 400


def test_admin_complete_cancel_and_refund_emit_their_events(admin, fake):
    fake.state.advance_clock(0)
    seen: list[dict[str, Any]] = []
    fake.state.listeners.append(seen.append)
    try:
        completed = admin.post("/orders/ord_gb_1/complete")
        assert completed.status_code == 200 and body(completed)["status"] == "completed"
        refund = admin.post("/orders/ord_gb_1/refunds", content=dumps({"amount": 1500}))
        assert refund.status_code == 201
        made = body(refund)
        assert made["id"].startswith("re_")
        assert {k: made[k] for k in ("order_id", "amount", "currency", "status")} == {
            "order_id": "ord_gb_1",
            "amount": 1500,
            "currency": "gbp",
            "status": "succeeded",
        }
        too_much = admin.post("/orders/ord_gb_1/refunds", content=dumps({"amount": 128301}))
        assert too_much.status_code == 400 and body(too_much)["error"]["param"] == "amount"
        assert admin.post("/orders/ord_gb_1/refunds", content=dumps({"amount": 128300})).is_success
        assert admin.post("/orders/ord_gb_discount/cancel").status_code == 200
        assert admin.post("/orders/ord_nope/complete").status_code == 404
    finally:
        fake.state.listeners.remove(seen.append)
    assert [e["type"] for e in seen] == [
        "order.completed",
        "refund.processed",
        "refund.processed",
        "order.cancelled",
    ]
    event = seen[0]
    assert set(event) == {"id", "type", "created", "data"} and event["id"].startswith("evt_")
    assert isinstance(event["created"], int)
    assert abs(event["created"] - fake.state.now()) < 5
    assert event["data"]["object"]["id"] == "ord_gb_1"
    assert event["data"]["object"]["status"] == "completed"
    assert seen[1]["data"]["object"] == made
    assert len({e["id"] for e in seen}) == 4
    listed = body(admin.get("/events"))["data"]
    assert [e["id"] for e in listed] == [e["id"] for e in seen]


def test_events_carry_the_fake_clock(fake):
    fake.state.advance_clock(86400)
    event = fake.state.emit("order.updated", {"id": "ord_x"})
    assert abs(event["created"] - (fake.state.now())) < 5
    assert fake.state.event(event["id"]) == event


def test_a_failing_listener_is_logged_and_the_others_still_run(fake, caplog):
    got: list[str] = []

    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("receiver down")

    fake.state.listeners.extend([broken, lambda e: got.append(e["type"])])
    try:
        caplog.set_level(logging.ERROR)
        fake.state.complete("ord_gb_1")
    finally:
        del fake.state.listeners[-2:]
    assert got == ["order.completed"]
    assert "a listener failed on order.completed" in caplog.text


def test_reset_forgets_data_and_events_but_keeps_listeners(fake, admin):
    listener = lambda e: None  # noqa: E731
    fake.state.listeners.append(listener)
    try:
        fake.state.put_order({"id": "ord_tmp", "status": "pending"})
        assert admin.post("/reset").status_code == 200
        assert fake.state.get_order("ord_tmp") is None and fake.state.events == []
        assert listener in fake.state.listeners
    finally:
        fake.state.listeners.remove(listener)


def test_put_replaces_an_order_with_created_then_updated(admin, fake):
    first = admin.put("/orders/ord_put", content=dumps({"status": "pending", "total": 100}))
    second = admin.put("/orders/ord_put", content=dumps({"status": "processing", "total": 100}))
    assert (first.status_code, second.status_code) == (201, 200)
    assert [e["type"] for e in fake.state.events] == ["order.created", "order.updated"]


# -- faults, magic ids, the clock -------------------------------------------------------------


def test_armed_faults_hit_their_route_then_clear(api, admin, fake):
    armed = admin.post("/faults", content=dumps({"route": "CUSTOMER_GET", "status": 503}))
    assert armed.status_code == 201
    assert api.get("/customers/cust_789").status_code == 503
    assert api.get("/customers/cust_789").status_code == 200
    assert admin.post("/faults", content=dumps({"route": "NOPE", "status": 503})).status_code == 400
    assert admin.post("/faults", content=dumps({"route": "ORDER_GET", "status": 200})).is_error
    admin.post("/faults", content=dumps({"route": "PRODUCT_GET", "status": 500, "times": 5}))
    assert body(admin.delete("/faults"))["cleared"] >= 1
    assert api.get("/products/prod_123").status_code == 200
    assert fake.state.calls("CUSTOMER_GET") == 2


@pytest.mark.parametrize(
    "order_id", [k for k, v in MAGIC_VALUES.items() if v.fault is not None and v.fault.status]
)
def test_status_magic_ids_answer_their_status(api, order_id):
    magic = MAGIC_VALUES[order_id]
    reply = api.get(f"/orders/{order_id}")
    assert reply.status_code == magic.fault.status  # type: ignore[union-attr]
    assert reply.headers.get("Retry-After") == magic.retry_after
    assert "error" in body(reply)


def test_data_magic_ids_are_stored_orders(fake):
    for order_id, magic in MAGIC_VALUES.items():
        if magic.fault is None:
            assert fake.state.get_order(order_id) is not None, order_id


def test_malformed_and_slow_magic(api):
    cut = api.get("/orders/ord_malformed")
    assert cut.status_code == 200
    with pytest.raises(ValueError):
        loads(cut.content)
    assert api.get("/orders/ord_slow").status_code == 404


def test_the_clock_only_moves_forward(admin, fake):
    before = fake.state.now()
    moved = body(admin.post("/clock", content=dumps({"advance": 7200})))
    assert moved["now"] >= int(before) + 7200
    assert admin.post("/clock", content=dumps({"advance": -1})).status_code == 400
    assert admin.post("/clock", content=dumps({})).status_code == 400


def test_other_parts_can_add_admin_routes(fake):
    def hello(request: Request, endpoint: str, args: Any) -> Response:
        return Response(f"{endpoint}:{args['name']}", 200)

    fake.app.add_routes([Rule("/_fake/hello/<name>", methods=["GET"], endpoint="x_hello")], hello)
    reply = httpx.get(f"{fake.url}/_fake/hello/there")
    assert (reply.status_code, reply.text) == (200, "x_hello:there")


# -- the command ------------------------------------------------------------------------------


def test_the_fake_diseller_command_serves_the_seed_order():
    exe = Path(sys.executable).with_name("dividebuy-checkout")
    process = subprocess.Popen(
        [str(exe), "fake", "diseller", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("DiSeller fake listening on http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[1].strip()
        hint = process.stdout.readline()
        assert "DIVIDEBUY_DISELLER_API_KEY=test-api-key" in hint
        reply = httpx.get(f"{url}/v1/orders/ord_456", headers=AUTH, timeout=10)
        assert reply.status_code == 200 and body(reply)["currency"] == "usd"
        _order_show_and_platform_check(f"{url}/v1")
    finally:
        process.terminate()
        process.wait(10)


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    return subprocess.run(
        [sys.executable, "-m", "dividebuy_checkout", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
    )


def _order_show_and_platform_check(api_url: str) -> None:
    """``order show --source diseller`` and ``platform check`` against the running fake."""
    env = {"DIVIDEBUY_DISELLER_BASE_URL": api_url, "DIVIDEBUY_DISELLER_API_KEY": KEY}
    shown = _cli("order", "show", "--source", "diseller", "ord_gb_1", "--raw", **env)
    assert shown.returncode == 0, shown.stderr
    assert "1 x Three-seat sofa @ 1249.00 (sku prod_sofa)" in shown.stdout
    assert "shipping 49.00 read from total − items" in shown.stdout
    assert '"credit_amount": "1298.00"' in shown.stdout
    for personal in ("Ann", "ann.lee", "7400", "High Street", "LS1 4AP"):
        assert personal not in shown.stdout, personal
    usd = _cli("order", "show", "--source", "diseller", "ord_456", **env)
    assert usd.returncode == 1
    assert "This order is in USD; DivideBuy lends in pounds only." in usd.stderr
    missing = _cli("order", "show", "--source", "diseller", "ord_nope", **env)
    assert missing.returncode == 2 and "was not found at diseller" in missing.stderr
    checked = _cli("platform", "check", "--source", "diseller", **env)
    assert checked.returncode == 0 and "accepted the API key" in checked.stdout
    refused = _cli(
        "platform", "check", "--source", "diseller", **{**env, "DIVIDEBUY_DISELLER_API_KEY": "x"}
    )
    assert refused.returncode == 1 and "DIVIDEBUY_DISELLER_API_KEY" in refused.stderr
