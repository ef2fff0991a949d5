"""``dividebuy-checkout events …`` as a real process, and ``flask dividebuy events …``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest

from dividebuy_checkout.store import CheckoutStatus
from dividebuy_checkout.store.inbox import EventStatus

from .platform_app import ORDER, PAID, REFUND, SETTLE, PlatformShop


@pytest.fixture
def shop(platform_shop: PlatformShop) -> PlatformShop:
    return platform_shop


def cli(
    shop: PlatformShop, *args: str, command: str = "events"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    for key, value in shop.app.config.items():
        if not str(key).startswith("DIVIDEBUY_") or value is None:
            continue
        if isinstance(value, list | tuple):
            value = ",".join(value)
        env[key] = str(value)
    return subprocess.run(
        [sys.executable, "-m", "dividebuy_checkout", *([command] if command else []), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_deferred_settle_is_retried_and_processed_by_the_console_cli(shop: PlatformShop) -> None:
    record = shop.pending_checkout()
    shop.subscribe()
    shop.recplus.state.set_status(ORDER, SETTLE)
    [row] = shop.inbox()
    assert row.status is EventStatus.DEFERRED
    listed = cli(shop, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["status"] for r in json.loads(listed.stdout)] == ["deferred"]
    assert cli(shop, "process").returncode == 1  # still waiting for the shopper
    httpx.post(
        f"{shop.sandbox.url}/_sandbox/quotes/{record.quote_id}/complete", timeout=10
    ).raise_for_status()
    shop.store.transition(record.quote_id, CheckoutStatus.COMPLETED, source="test")
    retried = cli(shop, "retry", str(row.id))
    assert retried.returncode == 0, retried.stderr
    processed = cli(shop, "process", "--json")
    assert processed.returncode == 0, processed.stdout + processed.stderr
    assert json.loads(processed.stdout)["events"]["done"] == 1
    assert shop.settle_calls() == 1
    assert cli(shop, "process").returncode == 0 and shop.settle_calls() == 1


def test_an_unknown_refund_cannot_be_retried(shop: PlatformShop) -> None:
    shop.completed_checkout()
    shop.subscribe()
    httpx.post(
        f"{shop.sandbox.url}/_sandbox/faults",
        json={"route": "REFUND", "status": 500, "times": 5},
        timeout=10,
    ).raise_for_status()
    shop.recplus.state.set_status(ORDER, REFUND)
    [row] = shop.inbox()
    refused = cli(shop, "retry", str(row.id))
    assert refused.returncode == 1 and "refund-confirm" in refused.stderr
    assert cli(shop, "retry", "999999").returncode == 2


def test_flask_dividebuy_events_list(shop: PlatformShop) -> None:
    shop.completed_checkout()
    shop.subscribe()
    shop.recplus.state.set_status(ORDER, SETTLE)
    result = shop.app.test_cli_runner().invoke(args=["dividebuy", "events", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.output)
    assert [(r["event_key"], r["status"]) for r in rows] == [(f"settle:{ORDER}", "done")]


def test_a_console_reconcile_queues_the_write_back_and_events_process_sends_it(
    shop: PlatformShop,
) -> None:
    record = shop.pending_checkout()
    httpx.post(
        f"{shop.sandbox.url}/_sandbox/quotes/{record.quote_id}/complete", timeout=10
    ).raise_for_status()
    reconciled = cli(shop, "reconcile", command="")
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert shop.store.live_for_order(ORDER).status is CheckoutStatus.COMPLETED
    [queued] = shop.platform.inbox.writes()
    assert (queued.trigger, queued.status.value) == ("quote_completed", "pending")
    assert shop.recplus.state.writes == []  # queued, not sent by reconcile itself
    sent = cli(shop, "process")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert (shop.recplus.state.get_order(ORDER) or {})["status"] == PAID
