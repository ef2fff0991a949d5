"""The fake Divendo itself (ADAPTERS §4.5), driven with plain httpx over loopback: the token
endpoint, the bearer check, the per-account cap, orders, contacts, magic ids and the admin
calls ``platform poll`` builds on (ship, cancel a line, status)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dividebuy_checkout.integrations.divendo.fake import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    MAGIC_VALUES,
    SEED_CONTACT_ID,
    DivendoFakeConfig,
    DivendoFakeServer,
    load_fixture,
)
from dividebuy_checkout.integrations.divendo.fake.app import DENIED

from dividebuy_checkout.money import loads

BASIC = (
    "Basic " + base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
)
GRANT = {"grant_type": "client_credentials"}


@pytest.fixture(scope="module")
def server() -> Iterator[DivendoFakeServer]:
    with DivendoFakeServer(config=DivendoFakeConfig(slow_seconds=0.5)) as running:
        yield running


@pytest.fixture
def fake(server: DivendoFakeServer) -> Iterator[DivendoFakeServer]:
    server.state.reset()
    yield server
    server.state.configure(
        max_connections=5, limit_on="requests", latency=0.0, accept_tokens=True, slow_seconds=0.5
    )
    server.state.reset()


@pytest.fixture
def http(fake: DivendoFakeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=10) as client:
        yield client


def token(http: httpx.Client) -> str:
    reply = http.post("/oauth2/token", data=GRANT, headers={"Authorization": BASIC})
    assert reply.status_code == 200, reply.text
    value: str = reply.json()["access_token"]
    return value


def bearer(http: httpx.Client) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(http)}"}


def body(reply: httpx.Response) -> Any:
    return loads(reply.content)


# -- the token endpoint ---------------------------------------------------------------------------


def test_a_token_is_issued_for_basic_credentials_with_a_form_body(http, fake):
    reply = http.post("/oauth2/token", data=GRANT, headers={"Authorization": BASIC})
    assert reply.status_code == 200
    answer = reply.json()
    assert answer["token_type"] == "bearer" and answer["expires_in"] == 21599
    assert fake.state.token_variants == {"basic/form": 1}


def test_credentials_in_a_json_body_are_accepted_and_recorded(http, fake):
    reply = http.post(
        "/oauth2/token",
        json={**GRANT, "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET},
    )
    assert reply.status_code == 200
    assert fake.state.token_variants == {"body/json": 1}


def test_a_wrong_grant_or_secret_is_refused_in_oauths_words(http):
    wrong_grant = http.post(
        "/oauth2/token", data={"grant_type": "password"}, headers={"Authorization": BASIC}
    )
    assert wrong_grant.status_code == 400 and wrong_grant.json() == {
        "error": "unsupported_grant_type"
    }
    wrong = "Basic " + base64.b64encode(f"{DEFAULT_CLIENT_ID}:nope".encode()).decode()
    refused = http.post("/oauth2/token", data=GRANT, headers={"Authorization": wrong})
    assert refused.status_code == 401 and refused.json() == {"error": "invalid_client"}


def test_the_token_lifetime_is_configurable_and_expiry_follows_the_fakes_clock(http, fake):
    fake.state.configure(token_lifetime=60.0)
    headers = bearer(http)
    assert http.get("/orders/ord-uk-1", headers=headers).status_code == 200
    fake.state.advance_clock(61)
    expired = http.get("/orders/ord-uk-1", headers=headers)
    assert expired.status_code == 401 and expired.json() == {"message": DENIED}
    assert expired.headers["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_and_no_token_are_refused(http, fake):
    headers = bearer(http)
    assert http.post("/_fake/tokens/revoke").json() == {"revoked": 1}
    assert http.get("/orders/ord-uk-1", headers=headers).status_code == 401
    assert http.get("/orders/ord-uk-1").status_code == 401
    assert fake.state.unauthorised == 2


# -- the connection cap ------------------------------------------------------------------------


def test_the_sixth_simultaneous_request_gets_the_throttling_error_and_a_closed_connection(fake):
    fake.state.configure(latency=0.3)
    with httpx.Client(base_url=fake.url, timeout=10) as setup:
        headers = bearer(setup)
    replies: list[httpx.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def call() -> None:
        with httpx.Client(base_url=fake.url, timeout=10) as own:
            start.wait()
            reply = own.get("/orders/ord-uk-1", headers=headers)
        with lock:
            replies.append(reply)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [200, 200, 200, 200, 200, 429]
    [refused] = [r for r in replies if r.status_code == 429]
    assert "permitted up to 5 simultaneous connections" in refused.json()["message"]
    assert refused.headers["Connection"] == "close"
    state = fake.state.snapshot()
    assert state["peak_in_flight"] == {DEFAULT_CLIENT_ID: 6} and state["throttled"] == 1
    assert state["in_flight"] == {DEFAULT_CLIENT_ID: 0}


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the fake never got there"
        time.sleep(0.005)


def test_counting_connections_refuses_a_connection_over_the_cap():
    # a server of its own: no other test's connection (keep-alive, or closing) is counted
    config = DivendoFakeConfig(
        limit_on="connections", max_connections=1, throttle_status=503, slow_seconds=3.0
    )
    with DivendoFakeServer(config=config) as fake:
        reply = httpx.post(
            f"{fake.url}/oauth2/token", data=GRANT, headers={"Authorization": BASIC}, timeout=10
        )
        headers = {"Authorization": f"Bearer {reply.json()['access_token']}"}
        _wait_for(lambda: fake.state.open_connections == 0)  # the token's connection is gone
        holder = threading.Thread(
            target=lambda: httpx.get(f"{fake.url}/orders/slow", headers=headers, timeout=10)
        )
        holder.start()
        _wait_for(lambda: fake.state.in_flight() >= 1)  # the slow order holds its connection
        with httpx.Client(base_url=fake.url, timeout=10) as second:
            refused = second.get("/orders/ord-uk-1", headers=headers)
        holder.join()
        assert refused.status_code == 503 and refused.headers["Connection"] == "close"
        assert fake.state.peak_connections >= 2 and fake.state.throttled == 1


# -- orders and contacts ------------------------------------------------------------------------


def test_orders_are_paged_at_most_25_at_a_time(http, fake):
    headers = bearer(http)
    first = body(http.get("/orders", params={"count": 100}, headers=headers))
    total = len(fake.state.list_orders())
    assert first["total"] == total and first["count"] == min(25, total) and first["offset"] == 0
    past = body(http.get("/orders", params={"offset": total + 5}, headers=headers))
    assert past["results"] == [] and past["count"] == 0 and past["total"] == total
    bad = http.get("/orders", params={"count": "x"}, headers=headers)
    assert bad.status_code == 400 and "whole numbers" in bad.json()["message"]


def test_orders_are_searched_by_creation_time(http):
    headers = bearer(http)
    found = body(http.get("/orders/search/2017-12-10 0000/2017-12-10 2359", headers=headers))
    assert [o["id"] for o in found["results"]] == ["5668f38d46fc510c6c0d4705"]
    assert http.get("/orders/search/yesterday/today", headers=headers).status_code == 400


def test_put_replaces_the_whole_order(http, fake):
    headers = bearer(http)
    reply = http.put("/orders/ord-uk-1", json={"status": {"name": "Complete"}}, headers=headers)
    assert reply.status_code == 200
    assert fake.state.get_order("ord-uk-1") == {"id": "ord-uk-1", "status": {"name": "Complete"}}
    assert http.put("/orders/nope", json={}, headers=headers).status_code == 404
    not_json = http.put("/orders/ord-uk-1", content=b"{", headers=headers)
    assert not_json.status_code == 400


def test_the_seed_contact_is_served_verbatim_and_deleted_with_an_empty_204(http):
    headers = bearer(http)
    reply = http.get(f"/contacts/{SEED_CONTACT_ID}", headers=headers)
    assert body(reply) == load_fixture(f"contact_{SEED_CONTACT_ID}.json")
    assert http.get("/contacts/missing", headers=headers).status_code == 404
    deleted = http.delete(f"/contacts/{SEED_CONTACT_ID}", headers=headers)
    assert deleted.status_code == 204 and deleted.content == b""
    assert deleted.headers["Content-Type"].startswith("application/json")
    created = http.post("/contacts", json={"name": {"firstname": "New"}}, headers=headers)
    assert created.status_code == 200 and len(created.json()["id"]) == 24


def test_order_statuses_are_listed(http):
    names = [
        s["name"] for s in body(http.get("/store/orderstatuses", headers=bearer(http)))["results"]
    ]
    assert names == ["New Order", "In Progress", "High Fraud", "Complete", "Cancelled", "Refunded"]


def test_the_big_order_has_300_lines(http):
    assert len(body(http.get("/orders/ord-big", headers=bearer(http)))["lines"]) == 300


@pytest.mark.parametrize(
    ("order_id", "status"),
    [("fault-429", 429), ("fault-500", 500), ("fault-503", 503), ("fault-401", 401)],
)
def test_magic_ids_answer_their_status(http, order_id, status):
    reply = http.get(f"/orders/{order_id}", headers=bearer(http))
    assert reply.status_code == status and order_id in MAGIC_VALUES
    if status == 429:
        assert reply.headers["Retry-After"] == "1"


def test_magic_malformed_and_empty_204(http):
    headers = bearer(http)
    cut = http.get("/orders/malformed", headers=headers)
    assert cut.status_code == 200
    with pytest.raises(ValueError):
        loads(cut.content)
    empty = http.put("/orders/empty-204", json={}, headers=headers)
    assert empty.status_code == 204 and empty.content == b""


def test_an_armed_fault_is_served_then_cleared(http):
    headers = bearer(http)
    armed = http.post("/_fake/faults", json={"route": "ORDER_GET", "status": 502, "times": 2})
    assert armed.status_code == 201
    assert [http.get("/orders/ord-uk-1", headers=headers).status_code for _ in range(3)] == [
        502,
        502,
        200,
    ]
    http.post("/_fake/faults", json={"route": "CONTACT_GET", "status": 500, "times": 3})
    assert http.delete("/_fake/faults").json() == {"cleared": 1}
    bad = http.post("/_fake/faults", json={"route": "NOPE", "status": 500})
    assert bad.status_code == 400 and "route must be one of" in bad.json()["message"]


# -- admin: what platform poll builds on ----------------------------------------------------------


def test_ship_sets_the_shipping_date_and_modified(http, fake):
    reply = http.post(
        "/_fake/orders/ord-uk-1/ship", json={"shippingdate": "2026-07-01T23:30:00+00:00"}
    )
    assert reply.status_code == 200
    order = fake.state.get_order("ord-uk-1")
    assert order is not None and order["shipping"]["shippingdate"] == "2026-07-01T23:30:00+00:00"
    assert order["modified"] != "2026-11-20T10:15:02.1234567+00:00"
    assert http.post("/_fake/orders/ord-ie/ship").status_code == 200  # now, on the fake's clock
    bad = http.post("/_fake/orders/ord-uk-1/ship", json={"shippingdate": "next week"})
    assert bad.status_code == 400 and "ISO 8601" in bad.json()["message"]
    assert http.post("/_fake/orders/nope/ship").status_code == 404


def test_status_and_cancel_a_line(http, fake):
    status = http.post("/_fake/orders/ord-uk-1/status", json={"name": "Complete"})
    assert status.status_code == 200 and status.json()["status"]["name"] == "Complete"
    assert http.post("/_fake/orders/ord-uk-1/status", json={"name": "Shipped"}).status_code == 400
    line = "5668f38d46fc510c6c0d0041"
    cancelled = http.post(f"/_fake/orders/ord-cancelled-line/lines/{line}/cancel", json={})
    assert cancelled.status_code == 200
    assert [x["cancellation"] is not None for x in cancelled.json()["lines"]] == [True, True]
    again = http.post(f"/_fake/orders/ord-cancelled-line/lines/{line}/cancel")
    assert again.json()["lines"][0]["cancellation"] == cancelled.json()["lines"][0]["cancellation"]
    assert http.post("/_fake/orders/ord-uk-1/lines/nope/cancel").status_code == 404


def test_config_clock_state_and_reset(http, fake):
    assert http.post("/_fake/config", json={"max_connections": 3}).json()["max_connections"] == 3
    assert http.post("/_fake/config", json={"limit_on": "sockets"}).status_code == 400
    assert http.post("/_fake/config", json={"secret": 1}).status_code == 400
    assert http.post("/_fake/clock", json={"advance": 30}).json() == {"offset": 30}
    assert http.post("/_fake/clock", json={"advance": -1}).status_code == 400
    put = http.put("/_fake/orders/ord-new", json={"currency": "GBP"})
    assert put.status_code == 201
    state = http.get("/_fake/state").json()
    assert "ord-new" in state["orders"] and state["config"]["max_connections"] == 3
    assert DEFAULT_CLIENT_SECRET not in http.get("/_fake/state").text
    assert http.post("/_fake/reset").json() == {"reset": True}
    assert "ord-new" not in http.get("/_fake/state").json()["orders"]


def test_the_cli_starts_the_fake(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dividebuy-checkout"), "fake", "divendo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Divendo fake listening on http://127.0.0.1:"), first
        url = first.rsplit(" ", 1)[1].strip()
        usage = process.stdout.readline()
        assert "DIVIDEBUY_ORDER_SOURCE=divendo" in usage and f"_BASE_URL={url}" in usage
        assert httpx.get(f"{url}/_fake/state", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
