"""Faults on demand: magic values, the admin injector, latency, and request ids."""

from __future__ import annotations

import json
import time
import uuid
from datetime import date
from decimal import Decimal

import httpx
import pytest
from conftest import SLOW_SECONDS  # tests/conftest.py: the shared sandbox's setting

from dividebuy_checkout import routes
from dividebuy_checkout.money import loads

from .helpers import quote_payload


def _let_the_slow_reply_finish() -> None:
    """A timed-out request is still running in the server: let it end inside this test,
    so it cannot write to the next test's (reset) state."""
    time.sleep(SLOW_SECONDS + 0.1)


def _not_json(response: httpx.Response) -> bool:
    try:
        json.loads(response.content)
    except ValueError:
        return True
    return False


# -- magic amounts ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503, 401])
def test_magic_amounts_give_their_status(api, status):
    response = api.terms(f"99{status}")
    assert response.status_code == status
    assert response.json()["status_code"] == status


def test_magic_429_carries_retry_after(api):
    response = api.terms("99429.00")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"


def test_magic_slow_amount_answers_normally_after_slow_seconds(api):
    started = time.perf_counter()
    response = api.terms("99504")
    assert time.perf_counter() - started >= SLOW_SECONDS
    assert response.status_code == 200
    assert loads(response.content)["data"]["order_value"] == Decimal("99504.00")


def test_magic_malformed_amount_is_a_200_that_is_not_json(api):
    response = api.terms("99422")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert _not_json(response)


def test_magic_amounts_work_in_bodies_too(api, sandbox):
    quote = api.create_quote(quote_payload(order__total=Decimal("99503")))
    assert quote.status_code == 503
    order = api.completed_order()
    refund = api.refund(order["retailer_order_id"], "99500")
    assert refund.status_code == 500
    assert sandbox.state.snapshot()["refunds"] == []  # refused before processing


def test_a_slow_client_times_out_on_a_magic_slow_amount(api):
    with pytest.raises(httpx.ReadTimeout):
        api.http.get(
            routes.TERMS.path,
            params={"amount": "99504"},
            headers=api.headers,
            timeout=SLOW_SECONDS / 3,
        )
    _let_the_slow_reply_finish()


# -- magic order refs -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 503])
def test_fault_refs_on_create_quote(api, sandbox, status):
    response = api.create_quote(quote_payload(order__retailer_order_ref=f"FAULT-{status}"))
    assert response.status_code == status
    assert sandbox.state.snapshot()["quotes"] == []


def test_fault_slow_ref_creates_the_quote_slowly(api, sandbox):
    started = time.perf_counter()
    response = api.create_quote(quote_payload(order__retailer_order_ref="FAULT-SLOW"))
    assert time.perf_counter() - started >= SLOW_SECONDS
    assert response.status_code == 200
    assert len(sandbox.state.snapshot()["quotes"]) == 1


def test_fault_malformed_ref_on_create_quote(api):
    response = api.create_quote(quote_payload(order__retailer_order_ref="FAULT-MALFORMED"))
    assert response.status_code == 200 and _not_json(response)


def test_fault_refs_on_settlement_rows(api, sandbox):
    order = api.completed_order()
    row = {
        "order_ref_id": order["order_ref_id"],
        "retailer_order_id": order["retailer_order_id"],
        "retailer_order_ref": "FAULT-503",
        "date_of_delivery": date.today().isoformat(),
    }
    assert api.settle(row).status_code == 503
    assert sandbox.state.snapshot()["settlements"] == []


# -- the admin fault injector -----------------------------------------------------------------


def test_injected_status_fires_the_given_number_of_times(api, http):
    armed = http.post("/_sandbox/faults", json={"route": "TERMS", "status": 503, "times": 2})
    assert armed.status_code == 201
    assert [api.terms("2000.00").status_code for _ in range(3)] == [503, 503, 200]


def test_injected_faults_only_hit_their_route(api, http):
    http.post("/_sandbox/faults", json={"route": "GET_QUOTE", "status": 500})
    assert api.terms("2000.00").status_code == 200
    assert api.get_quote("anything").status_code == 500
    assert api.get_quote("anything").status_code == 404


def test_injected_malformed_and_wrong_shape(api, http):
    http.post("/_sandbox/faults", json={"route": "TERMS", "status": "malformed"})
    http.post("/_sandbox/faults", json={"route": "TERMS", "status": "wrong-shape"})
    assert _not_json(api.terms("2000.00"))
    wrong = api.terms("2000.00")
    assert wrong.status_code == 200 and "data" not in wrong.json()


def test_injected_fault_on_the_token_route(http):
    from .helpers import token_request

    http.post("/_sandbox/faults", json={"route": "TOKEN", "status": 429})
    first = token_request(http)
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    assert token_request(http).status_code == 200


def test_slow_after_processing_leaves_the_outcome_unknown_to_a_timed_out_client(api, http, sandbox):
    """The refund is recorded, then the reply is late: the client cannot know it happened."""
    order = api.completed_order()
    http.post(
        "/_sandbox/faults",
        json={"route": "REFUND", "status": "slow", "after_processing": True},
    )
    with pytest.raises(httpx.ReadTimeout):
        api.refund(order["retailer_order_id"], "25.00", timeout=SLOW_SECONDS / 3)
    refunds = sandbox.state.snapshot()["refunds"]
    assert [r["amount"] for r in refunds] == [Decimal("25.00")]
    _let_the_slow_reply_finish()


def test_slow_before_processing_acts_only_after_the_delay(api, http, sandbox):
    order = api.completed_order()
    http.post("/_sandbox/faults", json={"route": "REFUND", "status": "slow"})
    with pytest.raises(httpx.ReadTimeout):
        api.refund(order["retailer_order_id"], "25.00", timeout=SLOW_SECONDS / 3)
    assert sandbox.state.snapshot()["refunds"] == []  # not yet: still sleeping
    _let_the_slow_reply_finish()
    assert len(sandbox.state.snapshot()["refunds"]) == 1


def test_status_after_processing_acts_then_fails(api, http, sandbox):
    http.post(
        "/_sandbox/faults",
        json={"route": "CREATE_QUOTE", "status": 500, "after_processing": True},
    )
    assert api.create_quote(quote_payload()).status_code == 500
    assert len(sandbox.state.snapshot()["quotes"]) == 1


def test_armed_faults_are_listed_and_can_be_cleared(api, http):
    http.post("/_sandbox/faults", json={"route": "SETTLE", "status": 502, "times": 3})
    listed = http.get("/_sandbox/faults").json()["faults"]
    assert listed == [
        {"route": "SETTLE", "times": 3, "kind": "status", "status": 502,
         "after_processing": False, "source": "injected"}
    ]  # fmt: skip
    assert http.delete("/_sandbox/faults").json() == {"cleared": 1}
    assert http.get("/_sandbox/faults").json()["faults"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"route": "/terms", "status": 503}, "route"),
        ({"route": "TERMS", "status": 200}, "status"),
        ({"route": "TERMS", "status": "broken"}, "status"),
        ({"route": "TERMS", "status": 503, "times": 0}, "times"),
        ({"route": "TERMS", "status": 503, "after_processing": "yes"}, "after_processing"),
    ],
)
def test_the_injector_refuses_nonsense(http, body, field):
    response = http.post("/_sandbox/faults", json=body)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_python_api_injects_the_same_faults(api, sandbox):
    sandbox.state.inject_fault("TERMS", 504)
    assert api.terms("2000.00").status_code == 504


# -- latency, request ids, the request log ----------------------------------------------------


def test_latency_is_added_to_every_api_reply(api, http):
    assert http.post("/_sandbox/config", json={"latency": 0.2}).status_code == 200
    started = time.perf_counter()
    assert api.terms("2000.00").status_code == 200
    assert time.perf_counter() - started >= 0.2
    started = time.perf_counter()
    http.get("/_sandbox/state")
    assert time.perf_counter() - started < 0.2  # admin calls are not slowed


def test_slow_seconds_is_configurable(api, http):
    http.post("/_sandbox/config", json={"slow_seconds": 0})
    started = time.perf_counter()
    assert api.terms("99504").status_code == 200
    assert time.perf_counter() - started < SLOW_SECONDS


@pytest.mark.parametrize(
    "body",
    [{"latency": -1}, {"slow_seconds": "fast"}, {"token_lifetime": 1.5}, {"rate_card": []}],
)
def test_config_changes_are_validated(http, body):
    assert http.post("/_sandbox/config", json=body).status_code == 422


def test_every_reply_carries_a_unique_request_id(api, http, sandbox):
    replies = [
        api.terms("2000.00"),
        api.terms("oops"),
        api.get_quote("missing"),
        http.get("/terms?amount=1"),
        http.get("/no/such/path"),
        http.get("/checkout/missing"),
        api.terms("99500"),
    ]
    ids = [reply.headers["X-Request-Id"] for reply in replies]
    assert all(uuid.UUID(i) for i in ids) and len(set(ids)) == len(ids)
    log = sandbox.state.snapshot()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in log][-3:] == [
        ("GET", "/no/such/path", 404),
        ("GET", "/checkout/missing", 404),
        ("GET", "/terms", 500),
    ]
    assert log[-1]["request_id"] == ids[-1] and "magic" in log[-1]["fault"]


@pytest.mark.parametrize("route_name", ["CREATE_QUOTE", "SETTLE", "REFUND", "TOKEN"])
@pytest.mark.parametrize(
    "content",
    [b"{", b"null", b"[]", b'{"orders": [null, 1, "x", {"amount": {}}]}', b'{"amount": NaN}',
     b'{"order": {"total": 1e999999}, "customer": []}', b'{"amount": 1e999999}'],
)  # fmt: skip
def test_garbage_bodies_are_4xx_never_500(api, route_name, content):
    route = getattr(routes, route_name)
    url = route.format(retailer_order_id="1001") if "{" in route.path else route.path
    headers = {**api.headers, "Content-Type": "application/json"}
    if route_name == "TOKEN":
        response = api.http.post(url, content=content, auth=("a", "b"))
    else:
        response = api.http.post(url, content=content, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert isinstance(response.json(), dict)


def test_wrong_method_and_unknown_path_are_json(http):
    wrong = http.delete(routes.TERMS.path)
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    missing = http.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["status_code"] == 404
