"""DiSeller signed webhooks end to end over loopback (DS-W2..W9): the fake DiSeller signs and
sends, the shop's Flask app (served on loopback) verifies, records once and processes, the
DivideBuy sandbox settles or refunds once. Refusals record nothing."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from dividebuy_checkout.integrations.diseller.config import DiSellerConfig
from dividebuy_checkout.integrations.diseller.fake import DiSellerFakeServer
from dividebuy_checkout.integrations.diseller.fake.webhooks import (
    DiSellerWebhookSender,
    SignedDeliveryMode,
    WebhookEndpoint,
    sender_for,
)
from dividebuy_checkout.integrations.diseller.signature import sign
from dividebuy_checkout.integrations.diseller.webhooks import events_from_delivery, uk_date
from dividebuy_checkout.integrations.events import EventKind
from dividebuy_checkout.integrations.webhooks import BadEvent
from flask import Flask
from support import serve_wsgi
from werkzeug.serving import BaseWSGIServer

from dividebuy_checkout.config import ConfigurationError
from dividebuy_checkout.flask import DivideBuy, signals
from dividebuy_checkout.flask.webhooks import PlatformServices, platform_services
from dividebuy_checkout.money import dumps, loads
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.sandbox.faults import Fault
from dividebuy_checkout.schemas.examples import example_quote_for
from dividebuy_checkout.store import CheckoutRecord, CheckoutStatus, SqlStore
from dividebuy_checkout.store.inbox import EventStatus, InboxEntry

SECRET = "whsec_diseller-test-secret-0001"
SECRET_OLD = "whsec_diseller-old-secret-00002"
API_KEY = "test-api-key"
#: a GBP order of the fake's (sofa £1,249.00 + £49.00 shipping)
ORDER = "ord_gb_1"
ORDER_TOTAL = Decimal("1298.00")
#: ADAPTERS DS-W4's £59.98 order × 10: DivideBuy (the sandbox's rate card) lends from £250
SMALL_TOTAL = Decimal("599.80")


# -- the shop: a Flask app reading DiSeller orders, served on loopback --------------------------


@dataclass
class DiSellerShop:
    """The app, its loopback URL, the fake DiSeller and the sandbox."""

    app: Flask
    url: str
    server: BaseWSGIServer
    fake: DiSellerFakeServer
    sandbox: SandboxServer

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/dividebuy/webhooks/diseller"

    @property
    def store(self) -> SqlStore:
        return self.app.extensions["dividebuy"].store

    @property
    def platform(self) -> PlatformServices:
        return platform_services(self.app)

    @property
    def sender(self) -> DiSellerWebhookSender:
        return sender_for(self.fake.state)

    def inbox(self) -> list[InboxEntry]:
        return self.platform.inbox.events()

    def subscribe(self, secret: str = SECRET, **kw: Any) -> None:
        self.sender.add_endpoint(WebhookEndpoint(url=self.webhook_url, secret=secret, **kw))

    def admin(self, path: str, body: Any = None) -> Any:
        reply = httpx.post(f"{self.fake.url}/_fake{path}", json=body, timeout=30)
        assert reply.status_code < 300, reply.text
        return loads(reply.content) if reply.content else None

    def fake_complete(self, order_id: str = ORDER) -> Any:
        return self.fake.state.complete(order_id)

    def fake_cancel(self, order_id: str = ORDER) -> Any:
        return self.fake.state.cancel(order_id)

    def fake_refund(self, amount: int, order_id: str = ORDER) -> Any:
        return self.fake.state.refund(order_id, amount)

    def sandbox_state(self) -> dict[str, Any]:
        reply = httpx.get(f"{self.sandbox.url}/_sandbox/state", timeout=10)
        reply.raise_for_status()
        state: dict[str, Any] = loads(reply.content)
        return state

    def settle_calls(self) -> int:
        return int(self.sandbox_state()["settle_calls"])

    def refund_calls(self) -> int:
        return int(self.sandbox_state()["calls"].get("REFUND", 0))

    def refunds(self) -> list[dict[str, Any]]:
        refunds: list[dict[str, Any]] = self.sandbox_state()["refunds"]
        return refunds

    def sandbox_fault(self, **fault: Any) -> None:
        httpx.post(f"{self.sandbox.url}/_sandbox/faults", json=fault, timeout=10).raise_for_status()

    def pending_checkout(
        self, order_id: str = ORDER, total: Decimal = ORDER_TOTAL
    ) -> CheckoutRecord:
        client = self.app.extensions["dividebuy"].client
        quote = client.create_quote(example_quote_for(order_id, total))
        return self.store.add(
            quote_id=quote.id,
            order_id=order_id,
            order_ref=f"REF-{order_id}",
            amount=total,
            credit_amount=total,
            term=12,
            status=CheckoutStatus.PENDING,
            decision=quote.decision,
            checkout_url=quote.checkout_url,
        )

    def completed_checkout(
        self, order_id: str = ORDER, total: Decimal = ORDER_TOTAL
    ) -> CheckoutRecord:
        """A quote completed at the sandbox and recorded as completed (as a return would)."""
        record = self.pending_checkout(order_id, total)
        reply = httpx.post(
            f"{self.sandbox.url}/_sandbox/quotes/{record.quote_id}/complete", timeout=10
        )
        reply.raise_for_status()
        completed = loads(reply.content)["quote"]
        moved = self.store.transition(
            record.quote_id,
            CheckoutStatus.COMPLETED,
            source="test",
            dividebuy_order_id=completed["order_ref_id"],
        )
        assert moved is not None
        return moved

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def shop_config(
    sandbox: SandboxServer, fake: DiSellerFakeServer, tmp_path: Path, **extra: Any
) -> dict[str, Any]:
    return {
        "SECRET_KEY": "diseller-test-secret-key-0123456789abcdef",
        "WTF_CSRF_ENABLED": True,
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": sandbox.url,
        "DIVIDEBUY_CLIENT_ID": f"shop-{uuid.uuid4().hex[:8]}",
        "DIVIDEBUY_CLIENT_SECRET": "shop-secret",
        "DIVIDEBUY_DATABASE_URL": f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:6]}.sqlite3'}",
        "DIVIDEBUY_RATE_LIMIT": "200/minute",
        "DIVIDEBUY_ORDER_SOURCE": "diseller",
        "DIVIDEBUY_DISELLER_BASE_URL": fake.api_url,
        "DIVIDEBUY_DISELLER_API_KEY": API_KEY,
        "DIVIDEBUY_DISELLER_TIMEOUT": 2,
        "DIVIDEBUY_DISELLER_WEBHOOK_SECRETS": [SECRET],
        **extra,
    }


def build_shop(
    sandbox: SandboxServer, fake: DiSellerFakeServer, tmp_path: Path, **extra: Any
) -> DiSellerShop:
    app = Flask(f"diseller-shop-{uuid.uuid4().hex[:6]}")
    app.config.update(shop_config(sandbox, fake, tmp_path, **extra))
    DivideBuy(app)
    server = serve_wsgi(app)
    return DiSellerShop(app, f"http://127.0.0.1:{server.port}", server, fake, sandbox)


@pytest.fixture(scope="session")
def diseller_server() -> Iterator[DiSellerFakeServer]:
    with DiSellerFakeServer() as server:
        yield server


@pytest.fixture
def diseller_fake(diseller_server: DiSellerFakeServer) -> Iterator[DiSellerFakeServer]:
    """The session's fake, back to its seeded data, with no webhook endpoints."""
    diseller_server.state.reset()
    sender_for(diseller_server.state).reset()
    yield diseller_server
    sender_for(diseller_server.state).reset()
    diseller_server.state.reset()


@pytest.fixture
def make_diseller_shop(
    sandbox: SandboxServer, diseller_fake: DiSellerFakeServer, tmp_path: Path
) -> Iterator[Callable[..., DiSellerShop]]:
    made: list[DiSellerShop] = []

    def build(**extra: Any) -> DiSellerShop:
        shop = build_shop(sandbox, diseller_fake, tmp_path, **extra)
        made.append(shop)
        return shop

    yield build
    for shop in made:
        shop.stop()


@pytest.fixture
def diseller_shop(make_diseller_shop: Callable[..., DiSellerShop]) -> DiSellerShop:
    return make_diseller_shop()


@pytest.fixture
def rejected(diseller_shop: DiSellerShop) -> Iterator[list[dict[str, Any]]]:
    """Every ``platform_event_rejected`` the shop's app sends."""
    seen: list[dict[str, Any]] = []

    def receive(sender: Flask, **payload: Any) -> None:
        seen.append(payload)

    signals.platform_event_rejected.connect(receive, sender=diseller_shop.app, weak=False)
    yield seen
    signals.platform_event_rejected.disconnect(receive, sender=diseller_shop.app)


# -- delivering events by hand (signed like DiSeller) -------------------------------------------


_counter = iter(range(1, 10**9))


def event(
    kind: str, obj: dict[str, Any], *, created: int | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "id": extra.pop("id", f"evt_test_{uuid.uuid4().hex[:12]}_{next(_counter)}"),
        "type": kind,
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
        **extra,
    }


def completed_event(shop: DiSellerShop, order_id: str = ORDER, **kw: Any) -> dict[str, Any]:
    return event("order.completed", {"id": order_id, "status": "completed"}, **kw)


def refund_event(
    order_id: str = ORDER, amount: Any = 1500, refund_id: str = "re_1", **obj: Any
) -> dict[str, Any]:
    body = {"id": refund_id, "order_id": order_id, "amount": amount, "currency": "gbp", **obj}
    return event("refund.processed", {k: v for k, v in body.items() if v is not None})


def deliver(
    shop: DiSellerShop,
    payload: dict[str, Any] | bytes,
    *,
    secret: str = SECRET,
    header: str | None = None,
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else dumps(payload)
    headers = {
        "Content-Type": "application/json",
        "X-DiSeller-Signature": header or sign(body, secret, int(time.time())),
    }
    return httpx.post(shop.webhook_url, content=body, headers=headers, timeout=30)


def impatient_pair(
    make_diseller_shop: Callable[..., DiSellerShop], tmp_path: Path
) -> tuple[DiSellerShop, DiSellerShop]:
    """Two apps on one database and one DivideBuy client: the second gives DivideBuy 0.1 s
    (less than the sandbox's slow reply), the first the normal time (for set-up and the
    calls that must go through even on a loaded machine)."""
    database = f"sqlite:///{tmp_path / f'pair-{uuid.uuid4().hex[:6]}.sqlite3'}"
    patient = make_diseller_shop(DIVIDEBUY_DATABASE_URL=database)
    impatient = make_diseller_shop(
        DIVIDEBUY_DATABASE_URL=database,
        DIVIDEBUY_CLIENT_ID=patient.app.config["DIVIDEBUY_CLIENT_ID"],
        DIVIDEBUY_TIMEOUT=0.1,
    )
    return patient, impatient


def _until(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


# -- DS-W2: once, however often it arrives -----------------------------------------------------


def test_the_same_event_three_times_settles_once(diseller_shop: DiSellerShop) -> None:
    shop = diseller_shop
    shop.completed_checkout()
    shop.subscribe()
    shop.sender.set_mode(SignedDeliveryMode(duplicate=3))
    shop.fake_complete()
    deliveries = shop.sender.deliveries
    assert [d.status for d in deliveries] == [200, 200, 200]
    assert len({d.event_id for d in deliveries}) == 1
    assert shop.settle_calls() == 1
    [row] = shop.inbox()
    assert (row.event_key, row.status) == (f"settle:{ORDER}", EventStatus.DONE), row.note
    assert row.delivery_id == deliveries[0].event_id


def test_the_same_event_twice_concurrently_settles_once(
    make_diseller_shop: Callable[..., DiSellerShop], database_url: str
) -> None:
    shop = make_diseller_shop(DIVIDEBUY_DATABASE_URL=database_url)
    shop.completed_checkout()
    shop.fake_complete()
    body = dumps(completed_event(shop))
    start = threading.Barrier(2)
    answers: list[int] = []

    def send() -> None:
        start.wait()
        answers.append(deliver(shop, body).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [200, 200]
    assert shop.settle_calls() == 1
    assert [r.status for r in shop.inbox()] == [EventStatus.DONE]


def test_the_same_event_at_two_hosts_sharing_one_database_settles_once(
    make_diseller_shop: Callable[..., DiSellerShop], database_url: str
) -> None:
    """Two app instances (two engines, as two hosts) on one database, the event at both."""
    database = database_url
    one = make_diseller_shop(DIVIDEBUY_DATABASE_URL=database)
    two = make_diseller_shop(
        DIVIDEBUY_DATABASE_URL=database, DIVIDEBUY_CLIENT_ID=one.app.config["DIVIDEBUY_CLIENT_ID"]
    )
    one.completed_checkout()
    one.fake_complete()
    body = dumps(completed_event(one))
    start = threading.Barrier(2)
    answers: list[int] = []

    def send(shop: DiSellerShop) -> None:
        start.wait()
        answers.append(deliver(shop, body).status_code)

    threads = [threading.Thread(target=send, args=(s,)) for s in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers) == [200, 200]
    assert one.settle_calls() == 1
    assert [r.status for r in one.inbox()] == [EventStatus.DONE]


def test_two_events_with_one_refund_id_refund_once(
    make_diseller_shop: Callable[..., DiSellerShop], database_url: str
) -> None:
    shop = make_diseller_shop(DIVIDEBUY_DATABASE_URL=database_url)
    shop.completed_checkout()
    first = deliver(shop, refund_event(refund_id="re_same"))
    second = deliver(shop, refund_event(refund_id="re_same"))  # a new evt_ id, same refund
    assert first.json()["recorded"] == 1 and second.json()["duplicates"] == 1
    assert shop.refund_calls() == 1
    [row] = shop.inbox()
    assert (row.event_key, row.status, row.amount) == (
        "refund:re_same",
        EventStatus.DONE,
        Decimal("15.00"),
    )


# -- DS-W3: what is not acted on --------------------------------------------------------------


def test_a_completed_event_whose_re_read_says_cancelled_is_ignored(
    diseller_shop: DiSellerShop,
) -> None:
    shop = diseller_shop
    shop.completed_checkout()
    shop.fake_cancel()  # the order at DiSeller is cancelled; a late order.completed arrives
    answer = deliver(shop, completed_event(shop))
    assert answer.status_code == 200 and answer.json()["ignored"] == 1
    assert shop.inbox() == [] and shop.settle_calls() == 0


def test_an_order_without_a_dividebuy_checkout_costs_no_call(diseller_shop: DiSellerShop) -> None:
    shop = diseller_shop
    before = shop.sandbox_state()["calls"]
    reads = shop.fake.state.calls("ORDER_GET")
    for payload in (
        completed_event(shop),
        refund_event(),
        event("order.cancelled", {"id": ORDER, "status": "cancelled"}),
    ):
        answer = deliver(shop, payload)
        assert answer.status_code == 200 and answer.json()["ignored"] == 1
    assert shop.fake.state.calls("ORDER_GET") == reads
    assert shop.sandbox_state()["calls"] == before
    assert shop.inbox() == []


@pytest.mark.parametrize(
    "kind", ["order.created", "order.updated", "payment.succeeded", "product.updated", "what.ever"]
)
def test_other_events_are_acknowledged_and_ignored(diseller_shop: DiSellerShop, kind: str) -> None:
    diseller_shop.completed_checkout()
    answer = deliver(diseller_shop, event(kind, {"id": ORDER, "status": "completed"}))
    assert answer.status_code == 200 and answer.json() == {
        "received": 0,
        "recorded": 0,
        "duplicates": 0,
        "ignored": 1,
    }
    assert diseller_shop.inbox() == [] and diseller_shop.settle_calls() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "order.completed", "created": 1700000000, "data": {"object": {}}}, "id"),
        ({"id": "evt_1", "created": 1700000000, "data": {"object": {}}}, "type"),
        ({"id": "evt_1", "type": "order.completed", "data": {"object": {}}}, "created"),
        ({"id": "evt_1", "type": "x", "created": "1700000000", "data": {"object": {}}}, "created"),
        ({"id": "evt_1", "type": "x", "created": 1700000000}, "data"),
        (
            {"id": "evt_1", "type": "x", "created": 1700000000, "data": {"object": []}},
            "data.object",
        ),
        (
            {
                "id": "evt_1",
                "type": "order.completed",
                "created": 1700000000,
                "data": {"object": {}},
            },
            "data.object.id",
        ),
    ],
)
def test_a_signed_malformed_event_is_400_naming_the_field(
    diseller_shop: DiSellerShop, payload: dict[str, Any], field: str
) -> None:
    answer = deliver(diseller_shop, payload)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "bad_event" and answer.json()["field"] == field
    assert diseller_shop.inbox() == []


def test_a_signed_json_array_is_400_and_unconfigured_secrets_are_403(
    make_diseller_shop: Callable[..., DiSellerShop],
) -> None:
    shop = make_diseller_shop()
    assert deliver(shop, b"[1, 2]").status_code == 400
    closed = make_diseller_shop(DIVIDEBUY_DISELLER_WEBHOOK_SECRETS=None)
    answer = deliver(closed, completed_event(closed))
    assert answer.status_code == 403 and answer.json()["error"] == "not_configured"


# -- DS-W4, DS-W5: refunds ---------------------------------------------------------------------


def test_partial_over_and_remaining_refunds(
    diseller_shop: DiSellerShop, rejected: list[dict[str, Any]]
) -> None:
    shop = diseller_shop
    shop.completed_checkout(total=SMALL_TOTAL)
    assert deliver(shop, refund_event(amount=15000, refund_id="re_a")).status_code == 200
    assert [(r["amount"], r["refund_type"]) for r in shop.refunds()] == [
        (Decimal("150.00"), "PARTIAL")
    ]
    calls = shop.refund_calls()
    # 50000 > £449.80 left: refused by the ledger before any DivideBuy call, with a signal
    assert deliver(shop, refund_event(amount=50000, refund_id="re_b")).status_code == 200
    assert shop.refund_calls() == calls
    row = next(r for r in shop.inbox() if r.event_key == "refund:re_b")
    assert row.status is EventStatus.REJECTED and "449.80" in (row.note or "")
    assert [p["event_key"] for p in rejected] == ["refund:re_b"]
    assert deliver(shop, refund_event(amount=44980, refund_id="re_c")).status_code == 200
    assert [r["refund_type"] for r in shop.refunds()] == ["PARTIAL", "FULL"]


def test_a_refund_before_the_checkout_completed_is_rejected(
    diseller_shop: DiSellerShop, rejected: list[dict[str, Any]]
) -> None:
    shop = diseller_shop
    shop.pending_checkout()
    assert deliver(shop, refund_event()).status_code == 200
    [row] = shop.inbox()
    assert row.status is EventStatus.REJECTED and shop.refund_calls() == 0
    assert rejected and rejected[0]["outcome"] == "rejected"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"currency": "usd"}, "not GBP"),
        ({"amount": None}, "no amount"),
        ({"amount": Decimal("15.5")}, "whole minor units"),
        ({"amount": "1500"}, "whole minor units"),
        ({"amount": 0}, "positive"),
        ({"order_id": None}, "names no order"),
        ({"refund_id": ""}, "no id"),
    ],
)
def test_a_refund_that_cannot_be_acted_on_is_200_warned_signalled_and_not_recorded(
    diseller_shop: DiSellerShop,
    rejected: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
    changes: dict[str, Any],
    why: str,
) -> None:
    shop = diseller_shop
    shop.completed_checkout()
    answer = deliver(shop, refund_event(**changes))
    assert answer.status_code == 200 and answer.json()["rejected"] == 1
    assert shop.inbox() == [] and shop.refund_calls() == 0
    assert why in caplog.text
    [signal] = rejected
    assert why in signal["reason"] and signal["platform"] == "diseller"


# -- DS-W6: DivideBuy failing ------------------------------------------------------------------


def test_a_refund_refused_with_503_is_retried_by_events_process(
    diseller_shop: DiSellerShop,
) -> None:
    shop = diseller_shop
    shop.completed_checkout()
    shop.sandbox_fault(route="REFUND", status=503, times=10)
    assert deliver(shop, refund_event()).status_code == 200
    [row] = shop.inbox()
    assert row.status is EventStatus.FAILED, row.note
    assert shop.refunds() == []
    httpx.delete(f"{shop.sandbox.url}/_sandbox/faults", timeout=10).raise_for_status()
    shop.platform.inbox.retry_event(row.id)
    run = shop.platform.processor.process_due()
    assert run.counts == {"done": 1}, shop.inbox()[0].note
    assert [r["amount"] for r in shop.refunds()] == [Decimal("15.00")]


def test_dividebuy_slow_after_refunding_waits_for_an_operator_and_is_never_resent(
    make_diseller_shop: Callable[..., DiSellerShop], tmp_path: Path
) -> None:
    patient, shop = impatient_pair(make_diseller_shop, tmp_path)
    patient.completed_checkout()
    shop.sandbox_fault(route="REFUND", status="slow", after_processing=True)
    assert deliver(shop, refund_event()).status_code == 200
    [row] = shop.inbox()
    assert row.status is EventStatus.NEEDS_OPERATOR, row.note
    _until(lambda: len(shop.refunds()) == 1, "the sandbox's late refund")
    calls = shop.refund_calls()
    shop.platform.processor.process_due()
    assert deliver(shop, refund_event()).json()["duplicates"] == 1  # redelivered: still once
    assert shop.refund_calls() == calls and len(shop.refunds()) == 1
    assert shop.inbox()[0].status is EventStatus.NEEDS_OPERATOR


# -- DS-W7: cancellations ----------------------------------------------------------------------


def test_a_cancellation_is_noted_and_nothing_is_refunded(diseller_shop: DiSellerShop) -> None:
    shop = diseller_shop
    shop.completed_checkout()
    shop.subscribe()
    shop.fake_cancel()
    [row] = shop.inbox()
    assert (row.event_key, row.kind, row.status) == (
        f"cancel:{ORDER}",
        "cancelled",
        EventStatus.DONE,
    )
    assert shop.refund_calls() == 0


def test_a_cancellation_refunds_all_that_is_left_when_configured(
    make_diseller_shop: Callable[..., DiSellerShop],
) -> None:
    shop = make_diseller_shop(DIVIDEBUY_DISELLER_REFUND_ON_CANCEL=True)
    shop.completed_checkout()
    shop.subscribe()
    shop.fake_cancel()
    [row] = shop.inbox()
    assert (row.event_key, row.kind, row.status) == (f"cancel:{ORDER}", "refund", EventStatus.DONE)
    assert [(r["amount"], r["refund_type"]) for r in shop.refunds()] == [(ORDER_TOTAL, "FULL")]


# -- DS-W8, DS-W9: dates -----------------------------------------------------------------------


def test_the_delivery_date_is_the_uk_date_of_created() -> None:
    """1761435000 is 2025-10-25 23:30 UTC, 00:30 BST on the 26th."""
    assert uk_date(1761435000) == date(2025, 10, 26)
    assert uk_date(1766187000) == date(2025, 12, 19)  # 23:30 GMT stays on its day
    config = DiSellerConfig.from_mapping(
        {"DIVIDEBUY_DISELLER_API_KEY": API_KEY, "DIVIDEBUY_DISELLER_WEBHOOK_SECRETS": [SECRET]}
    )

    class Reader:
        def read_order(self, order_id: str) -> dict[str, Any]:
            return {"id": order_id, "status": "completed"}

    payload = event("order.completed", {"id": "ord_1", "status": "completed"}, created=1761435000)
    [derived] = events_from_delivery(payload, config, Reader(), lambda _order: True)
    assert (derived.kind, derived.key, derived.delivered_on) == (
        EventKind.SETTLE,
        "settle:ord_1",
        date(2025, 10, 26),
    )
    assert derived.delivery_id == payload["id"]
    with pytest.raises(BadEvent):
        events_from_delivery({**payload, "created": True}, config, Reader(), lambda _order: True)


def test_completed_at_diseller_before_the_checkout_existed_is_rejected(
    diseller_shop: DiSellerShop, rejected: list[dict[str, Any]]
) -> None:
    shop = diseller_shop
    shop.completed_checkout()
    shop.fake_complete()
    answer = deliver(shop, completed_event(shop, created=1761435000))
    assert answer.status_code == 200 and answer.json()["recorded"] == 1
    [row] = shop.inbox()
    assert row.delivered_on == date(2025, 10, 26)
    assert row.status is EventStatus.REJECTED, row.note
    assert shop.settle_calls() == 0 and rejected


# -- the fake's sender -------------------------------------------------------------------------


def test_the_fakes_bad_signature_and_stale_modes_are_refused(diseller_shop: DiSellerShop) -> None:
    shop = diseller_shop
    shop.completed_checkout()
    shop.subscribe()
    shop.sender.set_mode(SignedDeliveryMode(bad_signature=True))
    shop.fake_complete()
    shop.sender.set_mode(SignedDeliveryMode(stale_seconds=400))
    [evt] = [e for e in shop.fake.state.events if e["type"] == "order.completed"]
    shop.admin(f"/events/{evt['id']}/redeliver")  # a redelivery is signed afresh: accepted
    statuses = [d.status for d in shop.sender.deliveries]
    assert statuses == [401, 200]
    assert shop.settle_calls() == 1


def test_reordered_deliveries_still_end_in_one_settlement(diseller_shop: DiSellerShop) -> None:
    shop = diseller_shop
    shop.completed_checkout()
    shop.subscribe()
    shop.sender.set_mode(SignedDeliveryMode(reorder=True, duplicate=2, delay_ms=5))
    shop.fake_complete()
    shop.fake_refund(1500)
    assert shop.inbox() == []  # held
    sent = shop.sender.flush()
    assert [d.event_type for d in sent][:2] == ["refund.processed", "refund.processed"]
    assert all(d.status == 200 for d in sent)
    assert shop.settle_calls() == 1 and shop.refund_calls() == 1
    assert sorted(r.event_key for r in shop.inbox())[0] == "refund:" + str(
        shop.fake.state.events[-1]["data"]["object"]["id"]
    )


def test_the_fakes_admin_routes(diseller_shop: DiSellerShop) -> None:
    shop = diseller_shop
    made = shop.admin(
        "/webhooks", {"url": shop.webhook_url, "secret": SECRET, "events": ["order.completed"]}
    )
    assert made["events"] == ["order.completed"]
    shop.admin("/webhooks/mode", {"duplicate": 2})
    shop.completed_checkout()
    shop.fake_complete()
    shop.fake_cancel(ORDER)  # not subscribed: not sent
    state = httpx.get(f"{shop.fake.url}/_fake/webhooks", timeout=10).json()
    assert [d["status"] for d in state["deliveries"]] == [200, 200]
    assert SECRET not in httpx.get(f"{shop.fake.url}/_fake/webhooks", timeout=10).text
    bad = httpx.post(f"{shop.fake.url}/_fake/webhooks/mode", json={"duplicate": 0}, timeout=10)
    assert bad.status_code == 400 and "duplicate" in bad.text
    missing = httpx.post(f"{shop.fake.url}/_fake/events/evt_nope/redeliver", timeout=10)
    assert missing.status_code == 404
    assert shop.settle_calls() == 1


# -- end to end, logs, settings ----------------------------------------------------------------


def test_completed_then_refunded_at_the_fake_settles_and_refunds_at_the_sandbox(
    diseller_shop: DiSellerShop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shop = diseller_shop
    shop.completed_checkout()
    shop.subscribe()
    shop.fake_complete()
    assert shop.settle_calls() == 1
    shop.fake_refund(15000)
    assert [(r["amount"], r["refund_type"]) for r in shop.refunds()] == [
        (Decimal("150.00"), "PARTIAL")
    ]
    assert {r.status for r in shop.inbox()} == {EventStatus.DONE}
    text = caplog.text.lower()
    for personal in ("ann lee", "ann.lee", "high street", "ls1 4ap", "07400", SECRET.lower()):
        assert personal not in text, personal


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"DIVIDEBUY_DISELLER_WEBHOOK_SECRETS": ["short"]}, "WEBHOOK_SECRETS"),
        ({"DIVIDEBUY_DISELLER_SIGNATURE_SCHEME": "md5"}, "SIGNATURE_SCHEME"),
    ],
)
def test_settings_that_cannot_work_stop_the_app_at_start_up(
    make_diseller_shop: Callable[..., DiSellerShop], extra: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        make_diseller_shop(**extra)


# -- the console CLI and real processes ---------------------------------------------------------


def _env(shop: DiSellerShop) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    for key, value in shop.app.config.items():
        if not str(key).startswith("DIVIDEBUY_") or value is None:
            continue
        if isinstance(value, list | tuple):
            value = ",".join(value)
        env[key] = str(value)
    return env


def cli(shop: DiSellerShop, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dividebuy_checkout", *args],
        capture_output=True,
        text=True,
        env=_env(shop),
        timeout=60,
    )


def test_a_refund_refused_with_503_is_retried_by_the_console_events_process(
    diseller_shop: DiSellerShop,
) -> None:
    shop = diseller_shop
    shop.completed_checkout()
    shop.sandbox_fault(route="REFUND", status=503, times=10)
    shop.subscribe()
    shop.fake_refund(15000)
    [row] = shop.inbox()
    assert row.status is EventStatus.FAILED and shop.refunds() == []
    assert cli(shop, "events", "process").returncode == 1  # not due yet: still waiting
    httpx.delete(f"{shop.sandbox.url}/_sandbox/faults", timeout=10).raise_for_status()
    assert cli(shop, "events", "retry", str(row.id)).returncode == 0
    processed = cli(shop, "events", "process", "--json")
    assert processed.returncode == 0, processed.stdout + processed.stderr
    assert json.loads(processed.stdout)["events"]["done"] == 1
    assert [r["amount"] for r in shop.refunds()] == [Decimal("150.00")]
    assert cli(shop, "events", "process").returncode == 0 and len(shop.refunds()) == 1


def test_an_unknown_refund_is_not_resent_by_the_cli_until_an_operator_confirms_it(
    make_diseller_shop: Callable[..., DiSellerShop], tmp_path: Path
) -> None:
    patient, shop = impatient_pair(make_diseller_shop, tmp_path)
    patient.completed_checkout()
    shop.sandbox_fault(route="REFUND", status="slow", after_processing=True)
    assert deliver(shop, refund_event(refund_id="re_slow")).status_code == 200
    [row] = shop.inbox()
    assert row.status is EventStatus.NEEDS_OPERATOR and row.refund_id is not None
    _until(lambda: len(shop.refunds()) == 1, "the sandbox's late refund (DivideBuy did refund)")
    shop = patient  # from here on DivideBuy is given its normal time
    assert cli(shop, "events", "process").returncode == 0
    refused = cli(shop, "events", "retry", str(row.id))
    assert refused.returncode == 1 and "refund-confirm" in refused.stderr
    assert len(shop.refunds()) == 1
    # the ledger blocks further refunds on the order until an operator says what happened
    assert deliver(shop, refund_event(amount=1000, refund_id="re_next")).status_code == 200
    assert next(r for r in shop.inbox() if r.event_key == "refund:re_next").status is (
        EventStatus.REJECTED
    )
    confirmed = cli(shop, "refund-confirm", str(row.refund_id), "--succeeded")
    assert confirmed.returncode == 0, confirmed.stderr
    assert deliver(shop, refund_event(amount=1000, refund_id="re_after")).status_code == 200
    assert next(r for r in shop.inbox() if r.event_key == "refund:re_after").status is (
        EventStatus.DONE
    )
    assert [r["amount"] for r in shop.refunds()] == [Decimal("15.00"), Decimal("10.00")]


HOST = """
import json, sys, time
from flask import Flask
from dividebuy_checkout.flask import DivideBuy

config, start = json.loads(sys.argv[1]), float(sys.argv[2])
body, header = sys.stdin.buffer.read(), sys.argv[3]
app = Flask("host")
app.config.update(config)
DivideBuy(app)
client = app.test_client()
while time.time() < start:
    time.sleep(0.001)
answer = client.post(
    "/dividebuy/webhooks/diseller",
    data=body,
    headers={"Content-Type": "application/json", "X-DiSeller-Signature": header},
)
print(answer.status_code, json.dumps(answer.get_json()))
"""


def test_the_same_event_at_two_processes_at_once_settles_once(
    make_diseller_shop: Callable[..., DiSellerShop], database_url: str
) -> None:
    """Two hosts (processes with their own app and engine) on one database get it together."""
    shop = make_diseller_shop(DIVIDEBUY_DATABASE_URL=database_url)
    shop.completed_checkout()
    shop.fake_complete()
    body = dumps(completed_event(shop))
    header = sign(body, SECRET, int(time.time()) + 5)
    config = {
        k: v
        for k, v in shop.app.config.items()
        if str(k).startswith("DIVIDEBUY_") or k == "SECRET_KEY"
    }
    start = time.time() + 5  # both processes are ready by then
    hosts = [
        subprocess.Popen(
            [sys.executable, "-c", HOST, json.dumps(config, default=str), str(start), header],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")},
        )
        for _ in range(2)
    ]
    outputs = [host.communicate(body, timeout=60) for host in hosts]
    answers = [out.decode().split()[0] for out, _err in outputs]
    assert answers == ["200", "200"], [err.decode()[-2000:] for _out, err in outputs]
    assert shop.settle_calls() == 1
    [row] = shop.inbox()
    assert row.status is EventStatus.DONE, row.note


def test_dividebuy_down_at_a_settle_still_answers_200_and_events_process_settles_later(
    diseller_shop: DiSellerShop,
) -> None:
    """C-9: the platform's 200 does not depend on DivideBuy."""
    shop = diseller_shop
    shop.completed_checkout()
    shop.subscribe()
    shop.sandbox_fault(route="SETTLE", status=503, times=20)
    shop.fake_complete()
    assert [d.status for d in shop.sender.deliveries] == [200]
    [row] = shop.inbox()
    assert row.status is EventStatus.FAILED, row.note
    httpx.delete(f"{shop.sandbox.url}/_sandbox/faults", timeout=10).raise_for_status()
    shop.platform.inbox.retry_event(row.id)
    assert shop.platform.processor.process_due().counts == {"done": 1}
    assert shop.inbox()[0].status is EventStatus.DONE


def test_the_hex_body_scheme_end_to_end(make_diseller_shop: Callable[..., DiSellerShop]) -> None:
    shop = make_diseller_shop(DIVIDEBUY_DISELLER_SIGNATURE_SCHEME="hex-body")
    shop.completed_checkout()
    shop.subscribe(scheme="hex-body")
    shop.fake_complete()
    assert [d.status for d in shop.sender.deliveries] == [200]
    assert shop.settle_calls() == 1
    # no signed timestamp: an event created over 3 days ago is refused as a possible replay
    old = refund_event()
    old["created"] = int(time.time()) - 4 * 86400
    body = dumps(old)
    answer = deliver(shop, body, header=sign(body, SECRET, scheme="hex-body"))
    assert answer.status_code == 200 and answer.json()["ignored"] == 1
    assert shop.refund_calls() == 0
    # and a t=,v1= header is not what this shop verifies
    assert deliver(shop, refund_event()).status_code == 401


def test_no_personal_data_reaches_the_inbox(diseller_shop: DiSellerShop) -> None:
    shop = diseller_shop
    shop.completed_checkout()
    shop.subscribe()
    shop.fake_complete()
    shop.fake_refund(1500)
    shop.fake_cancel()
    rows = " ".join(str(r.to_dict()) for r in shop.inbox()).lower()
    assert len(shop.inbox()) == 3
    for personal in ("ann", "lee", "example.co.uk", "high street", "leeds", "ls1", "07400"):
        assert personal not in rows, personal


def test_the_settle_status_comes_from_the_event_type_not_its_payload(
    diseller_shop: DiSellerShop,
) -> None:
    """An order.completed whose object says "pending" for a pending order settles nothing."""
    shop = diseller_shop
    shop.completed_checkout()
    answer = deliver(shop, event("order.completed", {"id": ORDER, "status": "pending"}))
    assert answer.status_code == 200 and answer.json()["ignored"] == 1
    assert shop.inbox() == [] and shop.settle_calls() == 0


def test_a_lost_delivery_is_recovered_by_a_redelivery(diseller_shop: DiSellerShop) -> None:
    """A fault armed on the fake's WEBHOOK_SEND route loses the delivery; redelivered, it
    settles (signed afresh)."""
    shop = diseller_shop
    shop.completed_checkout()
    shop.subscribe()
    shop.fake.state.arm_fault("WEBHOOK_SEND", Fault(kind="status", status=503))
    shop.fake_complete()
    [lost] = shop.sender.deliveries
    assert (lost.status, lost.error) == (None, "fault: not sent")
    assert shop.inbox() == [] and shop.settle_calls() == 0
    [again] = shop.sender.redeliver(lost.event_id)
    assert again.status == 200 and shop.settle_calls() == 1


def test_a_503_from_the_shop_is_sent_again_on_the_fakes_retry_schedule(
    diseller_shop: DiSellerShop,
) -> None:
    """DiSeller cannot be re-read (every attempt of the source 503s): the shop answers 503,
    records nothing; the fake's retry finds it readable and the order settles once."""
    shop = diseller_shop
    shop.completed_checkout()
    shop.subscribe()
    shop.sender.set_mode(SignedDeliveryMode(retry_ms=(10, 10)))
    shop.fake.state.arm_fault("ORDER_GET", Fault(kind="status", status=503), times=3)
    shop.fake_complete()
    assert [(d.attempt, d.status) for d in shop.sender.deliveries] == [(1, 503), (2, 200)]
    assert shop.settle_calls() == 1
    assert [r.status for r in shop.inbox()] == [EventStatus.DONE]
    bad = httpx.post(
        f"{shop.fake.url}/_fake/webhooks/mode", json={"retry_ms": [10, -1]}, timeout=10
    )
    assert bad.status_code == 400 and "retry_ms" in bad.text


def test_the_opt_in_status_write_back_goes_through_the_webhook_side(
    make_diseller_shop: Callable[..., DiSellerShop],
) -> None:
    """With DIVIDEBUY_DISELLER_WRITE_BACK a completed checkout writes the paid status to the
    order (PUT /v1/orders/{id}); off (the default), nothing is written."""
    off = make_diseller_shop()
    assert off.platform.writeback is not None
    off.platform.writeback("quote_completed", record=off.completed_checkout())
    off.platform.writeback.wait()
    assert off.fake.state.writes == []
    shop = make_diseller_shop(
        DIVIDEBUY_DISELLER_WRITE_BACK=True, DIVIDEBUY_DISELLER_STATUS_PAID="paid"
    )
    record = shop.completed_checkout()
    assert shop.platform.writeback is not None
    shop.platform.writeback("quote_completed", record=record)
    shop.platform.writeback.wait()
    writes = shop.fake.state.writes
    assert [(w["order_id"], w["status"]) for w in writes] == [(ORDER, "paid")]


def test_write_back_through_a_source_that_cannot_write_is_rejected_not_a_crash() -> None:
    # a shop's own order source handed to the webhooks has no write_status: the outbox row
    # is rejected (resending cannot help) instead of failing every retry with a traceback
    from dividebuy_checkout.integrations.diseller.webhooks import DiSellerWebhooks

    config = DiSellerConfig.from_mapping(
        {"DIVIDEBUY_DISELLER_API_KEY": API_KEY, "DIVIDEBUY_DISELLER_WEBHOOK_SECRETS": [SECRET]}
    )

    class ReadOnly:
        def read_order(self, order_id: str) -> dict[str, Any]:
            return {"id": order_id, "status": "completed"}

    written = DiSellerWebhooks(config, ReadOnly()).write_status("ord_1", "paid")
    assert (written.outcome, written.status) == ("rejected", None)
    assert "cannot write statuses" in written.message
