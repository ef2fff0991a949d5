"""The REC+ fake itself: its admin API, listing, write rules and webhook deliveries,
driven over loopback the way the webhook work and the demo will use it."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx
import pytest
from dividebuy_checkout.integrations._fakeserver import FakeServer
from dividebuy_checkout.integrations.recplus.fake import DeliveryMode, WebhookSubscription

from dividebuy_checkout.money import loads

AUTH = ("api", "api-pass")


class Receiver:
    """A webhook endpoint that records what arrives and answers ``status``."""

    def __init__(self) -> None:
        self.state = self
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {
            k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
        with self._lock:
            self.received.append((headers, body))
        start_response(f"{self.status} X", [("Content-Type", "text/plain")])
        return [b"ok"]

    def events(self) -> list[tuple[str, Any]]:
        out = []
        for _, body in self.received:
            data = loads(body)
            out.append((data["event"], data["data"]["status"]))
        return out


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    app = Receiver()
    with FakeServer(app) as server:
        yield app, server.url + "/webhooks/recplus"


def test_admin_creates_an_order_changes_its_status_and_lists_writes(recplus):
    admin = httpx.Client(base_url=recplus.url + "/_fake")
    api = httpx.Client(base_url=recplus.api_url, auth=AUTH)
    order = api.get("/orders/500001").json()
    order.update(id=700001, invoice_id=9002)
    assert (
        admin.put(
            "/orders/700001", content=httpx.Request("PUT", "/", json=order).content
        ).status_code
        == 201
    )
    assert api.get("/orders/9002", params={"identifier": "invoice_id"}).json()["id"] == 700001
    assert admin.post("/orders/700001/status", json={"status": "Dispatched"}).status_code == 200
    fetched = api.get("/orders/700001").json()
    assert fetched["status"] == "Dispatched"
    assert {line["status"] for line in fetched["lines"]} == {"Dispatched"}
    assert api.post("/orders/700001", json={"status": "Completed"}).status_code == 204
    assert admin.get("/writes").json() == [
        {"order_id": "700001", "changes": {"status": "Completed"}, "dry_run": False}
    ]
    state = admin.get("/state").json()
    assert state["history"]["700001"] == ["Awaiting Payment", "Dispatched", "Completed"]


def test_writes_accept_only_the_updatable_fields_and_known_statuses(recplus):
    api = httpx.Client(base_url=recplus.api_url, auth=AUTH)
    refused = api.post("/orders/500001", json={"total": "1.00"})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["message"].startswith("Fields that cannot be updated")
    assert api.post("/orders/500001", json={"status": "Teleported"}).status_code == 400
    assert api.post("/orders/500001", content=b"{not json").status_code == 400
    assert api.post("/orders/424242", json={"status": "Completed"}).status_code == 404
    assert recplus.state.writes == []


def test_the_list_pages_with_basic_objects_unless_fields_star(recplus):
    api = httpx.Client(base_url=recplus.api_url, auth=AUTH)
    page = api.get("/orders", params={"limit": 1}).json()
    assert (page["count"], page["total_count"]) == (1, 2)
    assert set(page["orders"][0]) == {"href", "id", "invoice_id", "status", "start_date"}
    assert page["paging"]["next_page_href"] == "/orders.json?limit=1&offset=1"
    full = api.get("/orders", params={"limit": 5000, "offset": 1, "fields": "*"}).json()
    assert full["paging"]["limit"] == 1000
    assert full["orders"][0]["lines"]


def test_suppressed_response_codes_and_armed_faults(recplus):
    api = httpx.Client(base_url=recplus.api_url, auth=AUTH)
    missing = api.get("/orders/424242", params={"suppress_response_codes": "true"})
    assert missing.status_code == 200 and missing.json()["errors"][0]["status"] == 404
    admin = httpx.Client(base_url=recplus.url + "/_fake")
    assert (
        admin.post("/faults", json={"route": "ORDER_GET", "status": 503, "times": 1}).status_code
        == 201
    )
    assert api.get("/orders/500001").status_code == 503
    assert api.get("/orders/500001").status_code == 200
    assert admin.post("/faults", json={"route": "NOPE", "status": 503}).status_code == 400


def test_credentials_are_checked_on_every_call(recplus):
    wrong = httpx.get(recplus.api_url + "/orders/500001", auth=("api", "nope"))
    assert wrong.status_code == 401 and "Basic" in wrong.headers["WWW-Authenticate"]
    assert httpx.get(recplus.api_url + "/orders/500001").status_code == 401
    public = httpx.get(recplus.api_url + "/orders/500001", auth=("public", "public-key"))
    assert public.status_code == 403


def test_status_changes_are_delivered_wrapped_with_basic_auth(recplus, receiver):
    app, url = receiver
    recplus.state.webhooks.subscribe(
        WebhookSubscription(url=url, auth="basic", user="hook", password="hook-secret-value")
    )
    recplus.state.set_status("500001", "Dispatched")
    (delivery,) = recplus.state.webhooks.deliveries
    assert (delivery.event, delivery.order_id, delivery.status) == ("update.order", "500001", 200)
    headers, _ = app.received[0]
    assert (
        headers["Authorization"] == "Basic " + base64.b64encode(b"hook:hook-secret-value").decode()
    )
    assert app.events() == [("update.order", "Dispatched")]


def test_duplicate_and_held_reordered_deliveries(recplus, receiver):
    app, url = receiver
    state = recplus.state
    state.webhooks.subscribe(WebhookSubscription(url=url))
    state.webhooks.set_mode(DeliveryMode(duplicate=3))
    state.set_status("500001", "Dispatched")
    assert app.events() == [("update.order", "Dispatched")] * 3
    app.received.clear()
    state.webhooks.set_mode(DeliveryMode(hold=True, reorder=True))
    state.set_status("500001", "Completed")
    state.set_status("500001", "Refunded")
    assert app.received == []
    state.webhooks.flush()
    assert app.events() == [("update.order", "Refunded"), ("update.order", "Completed")]


def test_an_unwrapped_xml_webhook_and_a_failing_receiver_are_recorded(recplus, receiver):
    app, url = receiver
    app.status = 503
    recplus.state.webhooks.subscribe(WebhookSubscription(url=url, wrap=False, format="xml"))
    recplus.state.set_status("500001", "Dispatched")
    headers, body = app.received[0]
    assert headers["Content-Type"] == "application/xml"
    assert body.startswith(b"<update_order>")
    assert recplus.state.webhooks.deliveries[0].status == 503
    again = recplus.state.webhooks.redeliver(1)
    assert again.number == 2 and len(app.received) == 2


def test_the_fake_clock_moves_only_forward(recplus):
    admin = httpx.Client(base_url=recplus.url + "/_fake")
    before = recplus.state.now()
    assert admin.post("/clock", json={"advance": 3600}).json() == {"offset": "3600.000"}
    assert recplus.state.now() - before >= 3600
    assert admin.post("/clock", json={"advance": -1}).status_code == 400
    assert admin.post("/clock", json={"advance": "soon"}).status_code == 400
