"""Item 1: an order paid another way is never financed, whichever way DivideBuy finishes.

The example shop's order source returns only open orders, so the checkout asks it when
the form is shown, when it is submitted, and when a quote completes.
"""

from __future__ import annotations

from dividebuy_checkout.store import CheckoutStatus
from tests.checkout.conftest import Shop, Shopper

from .helpers import pay_by_card, quote_id_of


def test_card_then_finance_is_held_never_paid_twice(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("walnut-desk")
    checkout_url = shopper.checkout_with_dividebuy()
    quote_id = quote_id_of(checkout_url)
    assert shop.calls("CREATE_QUOTE") == 1
    # The shopper gives up the application in the shop and pays by card instead...
    cancelled = shop.service.cancel_application(order_id)
    assert cancelled is not None and cancelled.status is CheckoutStatus.CANCELLED
    pay_by_card(shopper)
    assert shop.shop_order(order_id).status == "paid"
    # ...then signs the old application at DivideBuy anyway and comes back.
    back = shopper.come_back(shopper.press(checkout_url, "complete"))
    record = shop.store.get(quote_id)
    assert record is not None and record.status is CheckoutStatus.ON_HOLD
    assert "paid another way" in (record.hold_reason or "")
    assert "quote_completed" not in shop.event_names()
    assert shop.event_names().count("order_on_hold") == 1
    assert back.status_code == 200 and "on hold" in back.text
    # the shop keeps how it was paid and shows the hold for a person to resolve
    shop_order = shop.shop_order(order_id)
    assert shop_order.status == "on hold" and shop_order.paid_with == "card (demo)"


def test_a_late_signature_found_by_reconcile_is_held_too(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("walnut-desk")
    checkout_url = shopper.checkout_with_dividebuy()
    shop.service.cancel_application(order_id)
    pay_by_card(shopper)
    shopper.press(checkout_url, "complete")  # the shopper never comes back to the shop
    result = shop.reconcile()
    assert result.exit_code == 0, result.output
    record = shop.store.get(quote_id_of(checkout_url))
    assert record is not None and record.status is CheckoutStatus.ON_HOLD
    assert not record.open_at_dividebuy  # final at DivideBuy: no longer asked about
    assert "quote_completed" not in shop.event_names()
    assert shop.reconcile().exit_code == 0 and shop.event_names().count("order_on_hold") == 1


def test_an_order_paid_by_card_opens_no_application_and_sends_no_quote(shop: Shop, shopper):
    order_id = shopper.buy("walnut-desk")
    shopper.open_application()  # the form was open in another tab
    pay_by_card(shopper)
    quotes_before = shop.calls("CREATE_QUOTE")
    shown = shopper.http.get(shopper.apply_url)
    submitted = shopper.submit()
    assert shown.status_code == 404 and submitted.status_code == 404
    assert shop.calls("CREATE_QUOTE") == quotes_before
    assert shop.store.for_order(order_id) == []


def test_a_quote_cancelled_in_the_shop_that_is_cancelled_at_dividebuy_stops_being_watched(
    shop: Shop, shopper: Shopper
):
    order_id = shopper.buy("walnut-desk")
    checkout_url = shopper.checkout_with_dividebuy()
    shop.service.cancel_application(order_id)
    shopper.press(checkout_url, "cancel")
    assert shop.reconcile().exit_code == 0
    record = shop.store.get(quote_id_of(checkout_url))
    assert record is not None and record.status is CheckoutStatus.CANCELLED
    assert not record.open_at_dividebuy
    assert shop.event_names().count("quote_cancelled") == 1  # the shop's cancel, once
