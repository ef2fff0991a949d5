"""REC+ webhooks end to end over loopback: the fake delivers, the app records once, the
sandbox settles or refunds once. Every refusal leaves the inbox empty."""

from __future__ import annotations

import base64
import logging
import threading
from typing import Any

import httpx
import pytest
from dividebuy_checkout.integrations.recplus.fake import DeliveryMode

from dividebuy_checkout.config import ConfigurationError
from dividebuy_checkout.money import dumps
from dividebuy_checkout.sandbox.faults import Fault
from dividebuy_checkout.store import CheckoutStatus
from dividebuy_checkout.store.inbox import EventStatus

from .platform_app import (
    HOOK_PASSWORD,
    HOOK_TOKEN,
    HOOK_USER,
    ORDER,
    REFUND,
    SETTLE,
    PlatformShop,
)


@pytest.fixture
def make_shop(make_platform_shop: Any) -> Any:
    return make_platform_shop


@pytest.fixture
def shop(platform_shop: PlatformShop) -> PlatformShop:
    return platform_shop


def basic(user: str = HOOK_USER, password: str = HOOK_PASSWORD) -> dict[str, str]:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}", "Content-Type": "application/json"}


def wrapped(shop: PlatformShop, order_id: str = ORDER, **changes: Any) -> bytes:
    order = shop.recplus.state.get_order(order_id) or {"id": int(order_id), "lines": []}
    return dumps({"event": "update.order", "data": {**order, **changes}})


def post(
    shop: PlatformShop, body: bytes, headers: dict[str, str], path: str = ""
) -> httpx.Response:
    return httpx.post(shop.webhook_url + path, content=body, headers=headers, timeout=20)


# -- settle and refund, once ------------------------------------------------------------------


def test_update_order_delivered_three_times_settles_once(shop: PlatformShop) -> None:
    shop.completed_checkout()
    shop.subscribe()
    shop.recplus.state.webhooks.set_mode(DeliveryMode(duplicate=3))
    shop.recplus.state.set_status(ORDER, SETTLE)
    deliveries = shop.recplus.state.webhooks.deliveries
    assert [d.status for d in deliveries] == [200, 200, 200]
    assert shop.settle_calls() == 1
    [row] = shop.inbox()
    assert (row.event_key, row.status) == (f"settle:{ORDER}", EventStatus.DONE), row.note


def test_update_order_delivered_twice_concurrently_settles_once(shop: PlatformShop) -> None:
    shop.completed_checkout()
    shop.recplus.state.set_status(ORDER, SETTLE)  # no subscription yet: nothing delivered
    body = wrapped(shop)
    start = threading.Barrier(2)
    answers: list[int] = []

    def deliver() -> None:
        start.wait()
        answers.append(post(shop, body, basic()).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [200, 200]
    assert shop.settle_calls() == 1
    assert [r.status for r in shop.inbox()] == [EventStatus.DONE]


def test_unwrapped_body_at_the_event_url_settles(shop: PlatformShop) -> None:
    shop.completed_checkout()
    shop.recplus.state.set_status(ORDER, SETTLE)
    raw = dumps(shop.recplus.state.get_order(ORDER))
    answer = post(shop, raw, basic(), path="/update.order")
    assert answer.status_code == 200 and answer.json()["recorded"] == 1
    assert shop.settle_calls() == 1


def test_unwrapped_deliveries_from_the_fake_settle(shop: PlatformShop) -> None:
    shop.completed_checkout()
    shop.subscribe(wrap=False)
    shop.recplus.state.set_status(ORDER, SETTLE)
    assert shop.settle_calls() == 1


def test_a_refunded_status_refunds_once(shop: PlatformShop) -> None:
    shop.completed_checkout()
    shop.subscribe()
    shop.recplus.state.webhooks.set_mode(DeliveryMode(duplicate=2))
    shop.recplus.state.set_status(ORDER, REFUND)
    shop.recplus.state.set_status(ORDER, "Processing")
    shop.recplus.state.set_status(ORDER, REFUND)  # refunded again later: same action key
    assert shop.refund_calls() == 1
    [row] = shop.inbox()
    assert (row.event_key, row.status) == (f"refund-full:{ORDER}", EventStatus.DONE)
    assert row.refund_id is not None


def test_a_forged_body_cannot_invent_a_status(shop: PlatformShop) -> None:
    """The body says dispatched, REC+ says awaiting payment: the re-read wins."""
    shop.completed_checkout()
    answer = post(shop, wrapped(shop, status=SETTLE), basic())
    assert answer.status_code == 200
    assert shop.settle_calls() == 0 and shop.inbox() == []


def test_dispatched_while_pending_is_deferred_then_settled_by_events_process(
    shop: PlatformShop,
) -> None:
    record = shop.pending_checkout()
    shop.subscribe()
    shop.recplus.state.set_status(ORDER, SETTLE)
    [row] = shop.inbox()
    assert row.status is EventStatus.DEFERRED and shop.settle_calls() == 0
    httpx.post(
        f"{shop.sandbox.url}/_sandbox/quotes/{record.quote_id}/complete", timeout=10
    ).raise_for_status()
    shop.store.transition(record.quote_id, CheckoutStatus.COMPLETED, source="test")
    shop.platform.inbox.retry_event(row.id)
    run = shop.platform.processor.process_due()
    assert run.counts == {"done": 1}
    assert shop.settle_calls() == 1


# -- what is refused, and what is ignored ------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        basic(password="wrong-password-0123456789"),
        basic(user="someone-else"),
        {"Authorization": f"Bearer {HOOK_PASSWORD}", "Content-Type": "application/json"},
        {"Authorization": "Basic !!!not-base64", "Content-Type": "application/json"},
    ],
    ids=["missing", "wrong-password", "wrong-user", "wrong-scheme", "garbled"],
)
def test_a_bad_or_missing_credential_is_401_and_nothing_is_recorded(
    shop: PlatformShop, headers: dict[str, str]
) -> None:
    shop.completed_checkout()
    shop.recplus.state.set_status(ORDER, SETTLE)
    answer = post(shop, wrapped(shop), headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert shop.inbox() == [] and shop.settle_calls() == 0


def test_bearer_credential(make_shop: Any) -> None:
    shop = make_shop(
        DIVIDEBUY_RECPLUS_WEBHOOK_AUTH="bearer", DIVIDEBUY_RECPLUS_WEBHOOK_TOKEN=HOOK_TOKEN
    )
    shop.completed_checkout()
    shop.recplus.state.set_status(ORDER, SETTLE)
    wrong = {
        "Authorization": "Bearer not-the-token-at-all-0000",
        "Content-Type": "application/json",
    }
    assert post(shop, wrapped(shop), wrong).status_code == 401
    assert shop.inbox() == []
    right = {"Authorization": f"Bearer {HOOK_TOKEN}", "Content-Type": "application/json"}
    assert post(shop, wrapped(shop), right).status_code == 200
    assert shop.settle_calls() == 1


def test_no_credential_configured_refuses_every_delivery(make_shop: Any) -> None:
    shop = make_shop(
        DIVIDEBUY_RECPLUS_WEBHOOK_AUTH=None,
        DIVIDEBUY_RECPLUS_WEBHOOK_USER=None,
        DIVIDEBUY_RECPLUS_WEBHOOK_PASSWORD=None,
    )
    answer = post(shop, wrapped(shop), basic())
    assert answer.status_code == 403 and answer.json()["error"] == "not_configured"
    assert post(shop, b"{}", basic(), path="/../nowhere").status_code == 404


def test_a_10_mb_body_is_413(shop: PlatformShop) -> None:
    body = b'{"pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    answer = post(shop, body, basic())
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"
    assert shop.inbox() == []


def test_xml_is_415(shop: PlatformShop) -> None:
    shop.completed_checkout()
    shop.subscribe(format="xml")
    shop.recplus.state.set_status(ORDER, SETTLE)
    assert [d.status for d in shop.recplus.state.webhooks.deliveries] == [415]
    assert shop.inbox() == [] and shop.settle_calls() == 0


def test_a_json_array_is_400(shop: PlatformShop) -> None:
    assert post(shop, b"[1, 2]", basic()).status_code == 400
    assert post(shop, b"{not json", basic()).status_code == 400


def test_an_unknown_order_is_ignored_without_any_call(shop: PlatformShop) -> None:
    """Order 500001 has no DivideBuy checkout here: no REC+ re-read, no DivideBuy call."""
    before = shop.sandbox_state()["calls"]
    reads = shop.recplus.state.calls("ORDER_GET")
    shop.subscribe()
    shop.recplus.state.set_status(ORDER, SETTLE)
    [delivery] = shop.recplus.state.webhooks.deliveries
    assert delivery.status == 200
    assert shop.recplus.state.calls("ORDER_GET") == reads
    assert shop.sandbox_state()["calls"] == before
    assert shop.inbox() == []


def test_not_an_order_is_ignored(shop: PlatformShop) -> None:
    answer = post(shop, dumps({"event": "update.product", "data": {"id": 58661}}), basic())
    assert answer.status_code == 200 and answer.json()["ignored"] == 1


def test_recplus_down_during_the_re_read_is_503_and_nothing_is_recorded(
    shop: PlatformShop,
) -> None:
    shop.completed_checkout()
    shop.recplus.state.set_status(ORDER, SETTLE)
    shop.recplus.state.arm_fault("ORDER_GET", Fault(kind="status", status=503), times=5)
    answer = post(shop, wrapped(shop), basic())
    assert answer.status_code == 503 and answer.json()["error"] == "not_recorded"
    assert shop.inbox() == [] and shop.settle_calls() == 0
    shop.recplus.state.clear_faults()
    assert post(shop, wrapped(shop), basic()).status_code == 200  # the redelivery works
    assert shop.settle_calls() == 1


def test_no_personal_data_or_credential_reaches_the_logs(
    shop: PlatformShop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shop.completed_checkout()
    shop.subscribe()
    shop.recplus.state.set_status(ORDER, SETTLE)
    post(shop, wrapped(shop), basic(password="wrong-password-0123456789"))
    post(shop, b"<xml/>", {**basic(), "Content-Type": "application/xml"})
    text = caplog.text
    assert shop.settle_calls() == 1 and "refused a recplus webhook" in text
    for personal in ("Ann Lee", "ann.lee", "Foregate", "WR1 1DB", "07400", HOOK_PASSWORD):
        assert personal.lower() not in text.lower(), personal


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"DIVIDEBUY_RECPLUS_STATUS_PAID": SETTLE}, "our own status write would settle"),
        ({"DIVIDEBUY_RECPLUS_STATUS_FINANCE_FAILED": REFUND}, "our own status write would"),
        ({"DIVIDEBUY_RECPLUS_WEBHOOK_PASSWORD": "short"}, "WEBHOOK_PASSWORD must be at least"),
        ({"DIVIDEBUY_RECPLUS_WEBHOOK_AUTH": "hmac"}, "WEBHOOK_AUTH must be basic or bearer"),
        ({"DIVIDEBUY_RECPLUS_REFUND_STATUSES": [SETTLE]}, "cannot both settle and refund"),
    ],
    ids=["paid-settles", "failed-refunds", "short-password", "unknown-auth", "overlap"],
)
def test_settings_that_cannot_work_stop_the_app_at_start_up(
    make_shop: Any, extra: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        make_shop(**extra)
