"""Item 4: a quote DivideBuy no longer knows does not trap the order.

After ``DIVIDEBUY_QUOTE_NOT_FOUND_LIMIT`` consecutive 404s the checkout is final as
``orphaned``, announced for the operator, and the next submit creates a fresh quote
(the orphaned one is never reused). A read that works resets the count.
"""

from __future__ import annotations

from datetime import timedelta

import httpx

from dividebuy_checkout.checkout import CheckoutService
from dividebuy_checkout.store import CheckoutStatus
from tests.checkout.conftest import Shop, Shopper, make_applicant

from .helpers import quote_id_of

RETURN_URL = "https://shop.example/dividebuy/return?ref={}".format


def test_a_quote_dividebuy_forgot_is_orphaned_after_the_threshold(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("walnut-desk")
    quote_id = quote_id_of(shopper.checkout_with_dividebuy())
    shop.fault("GET_QUOTE", 404, times=3)
    for run in (1, 2):
        result = shop.reconcile()
        assert result.exit_code == 1, result.output  # not checked: still pending
        record = shop.store.get(quote_id)
        assert record is not None and record.status is CheckoutStatus.PENDING
        assert record.not_found_count == run
    assert shop.reconcile().exit_code == 0
    orphaned = shop.store.get(quote_id)
    assert orphaned is not None and orphaned.status is CheckoutStatus.ORPHANED
    assert not orphaned.open_at_dividebuy
    assert shop.event_names().count("quote_orphaned") == 1
    _, _, extra = next(e for e in shop.events if e[0] == "quote_orphaned")
    assert "not found" in extra["reason"]
    assert not shop.service.is_pending_finance(order_id)  # the shop may take payment
    assert shop.shop_order(order_id).status == "awaiting payment"
    # The shopper applies again: a new quote, never the orphaned one.
    shopper.apply_url = None
    fresh = quote_id_of(shopper.checkout_with_dividebuy())
    assert fresh != quote_id
    replaced = shop.store.get(quote_id)
    assert replaced is not None and replaced.status is CheckoutStatus.SUPERSEDED
    assert shop.reconcile().exit_code == 0
    assert shop.event_names().count("quote_orphaned") == 1


def test_a_read_that_works_resets_the_count(shop: Shop, shopper: Shopper):
    shopper.buy("walnut-desk")
    quote_id = quote_id_of(shopper.checkout_with_dividebuy())
    shop.fault("GET_QUOTE", 404, times=2)
    shop.reconcile()
    shop.reconcile()
    assert shop.reconcile().exit_code == 0  # the third read works
    record = shop.store.get(quote_id)
    assert record is not None and record.status is CheckoutStatus.PENDING
    assert record.not_found_count == 0


def test_past_its_lifetime_a_quote_expires_here_and_is_still_watched(service, orders, events):
    submitted = service.submit(
        "1001", make_applicant(), ip_address="203.0.113.9", return_url=RETURN_URL
    )
    later = CheckoutService(
        service.client,
        service.store,
        orders,
        signer=service.signer,
        notify=service.notify,
        clock=lambda: submitted.record.created_at + timedelta(days=31),
    )
    report = later.reconcile()
    record = service.store.get(submitted.record.quote_id)
    assert record is not None and record.status is CheckoutStatus.EXPIRED
    assert record.open_at_dividebuy and report.changed
    assert [name for name, _, _ in events][-1] == "quote_expired"


def test_a_404_past_the_lifetime_orphans_at_once(service, orders, events, sandbox):
    submitted = service.submit(
        "1001", make_applicant(), ip_address="203.0.113.9", return_url=RETURN_URL
    )
    later = CheckoutService(
        service.client,
        service.store,
        orders,
        signer=service.signer,
        notify=service.notify,
        clock=lambda: submitted.record.created_at + timedelta(days=31),
    )
    fault = {"route": "GET_QUOTE", "status": 404, "times": 1, "after_processing": False}
    httpx.post(f"{sandbox.url}/_sandbox/faults", json=fault, timeout=10).raise_for_status()
    later.reconcile()
    record = service.store.get(submitted.record.quote_id)
    assert record is not None and record.status is CheckoutStatus.ORPHANED
    assert record.not_found_count == 1
    assert [name for name, _, _ in events][-1] == "quote_orphaned"
