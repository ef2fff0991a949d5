"""Item 3: every hold has a way out, and only one: resolve-hold, audited and announced once.

Release (here from the console CLI as a real process) makes the held checkout the
order's paid one and sends ``quote_completed``; refund (here over the authenticated
back-office endpoint) sends DivideBuy a full refund through the ledger and sends
``hold_refunded``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from dividebuy_checkout.checkout import HoldNotResolvable, resolve_hold
from dividebuy_checkout.store import CheckoutStatus, RefundStatus
from tests.checkout.conftest import Shop, Shopper

from . import listener
from .helpers import API_KEY, backoffice, cli_env, pay_by_card, quote_id_of, run_cli
from .test_replaced_quote import apply_twice


@pytest.fixture
def shop(make_shop) -> Shop:
    return make_shop(DIVIDEBUY_BACKOFFICE_API_KEY=API_KEY)


def held_after_card(shop: Shop, shopper: Shopper) -> tuple[str, str]:
    """Card, then a late DivideBuy signature: the order and its held quote."""
    order_id = shopper.buy("walnut-desk")
    checkout_url = shopper.checkout_with_dividebuy()
    shop.service.cancel_application(order_id)
    pay_by_card(shopper)
    shopper.come_back(shopper.press(checkout_url, "complete"))
    quote_id = quote_id_of(checkout_url)
    record = shop.store.get(quote_id)
    assert record is not None and record.status is CheckoutStatus.ON_HOLD
    return order_id, quote_id


def test_release_from_the_cli_completes_the_held_quote_once_audited(
    shop: Shop, shopper: Shopper, tmp_path: Path
):
    old, new = apply_twice(shopper)
    order_id = shopper.order_id
    assert order_id is not None
    shopper.press(old, "complete")
    assert shop.reconcile().exit_code == 0  # the replaced quote: on hold
    events_file = tmp_path / "events.jsonl"
    env = cli_env(shop, events_file)
    args = ["resolve-hold", order_id, "--reason", "Customer confirmed the smaller basket"]
    listen = ["--listener", "tests.lifecycle.listener:notify"]

    refused = run_cli(env, *args, *listen)  # neither --release nor --refund
    assert refused.returncode == 2 and "--release or --refund" in refused.stderr

    done = run_cli(env, *args, "--release", "--actor", "ops:alice", *listen)
    assert done.returncode == 0, done.stderr
    assert "released" in done.stdout
    released = shop.store.get(quote_id_of(old))
    assert released is not None and released.status is CheckoutStatus.COMPLETED
    live = shop.store.live_for_order(order_id)
    assert live is not None and live.quote_id == released.quote_id  # the order's paid one now
    newer = shop.store.get(quote_id_of(new))
    assert newer is not None and newer.status is CheckoutStatus.SUPERSEDED
    assert newer.open_at_dividebuy  # still watched: a late signature would be held
    audit = shop.store.history(released.quote_id)[-1]
    assert (audit.from_status, audit.to_status) == ("on_hold", "completed")
    assert audit.source == "resolve-hold" and audit.actor == "ops:alice"
    assert "Customer confirmed the smaller basket" in (audit.note or "")
    assert [e["event"] for e in listener.read(events_file)] == ["quote_completed"]

    again = run_cli(env, *args, "--release", *listen)
    assert again.returncode == 2 and "not on hold" in again.stderr
    assert len(listener.read(events_file)) == 1


def test_refund_over_the_endpoint_refunds_in_full_through_the_ledger(shop: Shop, shopper: Shopper):
    order_id, quote_id = held_after_card(shop, shopper)
    path = f"/orders/{order_id}/resolve-hold"
    body = {"action": "refund", "reason": "Paid by card first", "actor": "bob"}

    assert backoffice(shop, path, body, key="not-the-key-at-all-000").status_code == 401
    bad = backoffice(shop, path, {"action": "keep", "reason": ""})
    assert bad.status_code == 400
    assert set(bad.json()["field_errors"]) == {"action", "reason"}
    record = shop.store.get(quote_id)
    assert record is not None and record.status is CheckoutStatus.ON_HOLD  # nothing changed
    assert shop.sandbox_state()["refunds"] == []

    answer = backoffice(shop, path, body)
    assert answer.status_code == 200, answer.text
    resolution = answer.json()["resolution"]
    assert resolution["status"] == "refunded" and resolution["actor"] == "api:bob"
    assert resolution["refund"]["status"] == "succeeded"
    refunds = shop.sandbox_state()["refunds"]
    assert len(refunds) == 1 and Decimal(str(refunds[0]["amount"])) == record.credit_amount
    ledger = shop.store.refunds_for(order_id)
    assert [(r.status, r.amount) for r in ledger] == [
        (RefundStatus.SUCCEEDED, record.credit_amount)
    ]
    audit = shop.store.history(quote_id)[-1]
    assert (audit.to_status, audit.actor) == ("refunded", "api:bob")
    assert "Paid by card first" in (audit.note or "")
    assert shop.event_names().count("hold_refunded") == 1
    assert "quote_completed" not in shop.event_names()
    # the shop's receiver: paid by card, so the order is paid again, not on hold
    assert shop.shop_order(order_id).status == "paid"

    again = backoffice(shop, path, body)
    assert again.status_code == 409 and again.json()["error"] == "hold_not_resolvable"
    assert len(shop.sandbox_state()["refunds"]) == 1


def test_several_holds_need_the_quote_named(shop: Shop, shopper: Shopper):
    old, new = apply_twice(shopper)
    order_id = shopper.order_id
    assert order_id is not None
    shopper.press(old, "complete")
    shopper.press(new, "complete")
    assert shop.reconcile().exit_code == 0
    service = shop.app.extensions["dividebuy"].services["backoffice"]
    assert len(shop.service.holds(order_id)) == 2
    with pytest.raises(HoldNotResolvable, match="2 checkouts on hold"):
        resolve_hold(service, order_id, action="release", reason="x", actor="ops")
    with pytest.raises(HoldNotResolvable, match="who resolves"):
        resolve_hold(service, order_id, action="release", reason="x", actor=" ", quote_id="q")
    done = resolve_hold(
        service,
        order_id,
        action="release",
        reason="the newer basket",
        actor="ops",
        quote_id=quote_id_of(new),
    )
    assert done.record.status is CheckoutStatus.COMPLETED
    # the other hold cannot be released now: the order is paid; it must be refunded
    with pytest.raises(HoldNotResolvable, match="already paid"):
        resolve_hold(
            service,
            order_id,
            action="release",
            reason="x",
            actor="ops",
            quote_id=quote_id_of(old),
        )
    assert shop.shop_order(order_id).status == "on hold"  # one hold is still open
