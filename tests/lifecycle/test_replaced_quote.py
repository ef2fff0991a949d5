"""Item 2: a quote replaced by a changed basket is watched until DivideBuy reports it final.

If the shopper signs the old quote after applying again, the order may be financed
twice: reconcile finds it and the order goes on hold, announced once; a completion of
the newer quote while the order is on hold is held too; the shop's receivers never
overwrite a hold.
"""

from __future__ import annotations

from dividebuy_checkout.store import CheckoutStatus
from tests.checkout.conftest import Shop, Shopper

from .helpers import quote_id_of


def apply_twice(shopper: Shopper) -> tuple[str, str]:
    """Apply, change the basket, apply again: DivideBuy's pages of the old and new quotes."""
    shopper.buy("walnut-desk")
    old = shopper.checkout_with_dividebuy()
    shopper.add("beeswax-candles")
    shopper.place_order()  # the open order follows the basket: a new total
    shopper.apply_url = None
    new = shopper.checkout_with_dividebuy()
    assert quote_id_of(old) != quote_id_of(new)
    return old, new


def test_a_replaced_quote_signed_later_puts_the_order_on_hold_after_reconcile(
    shop: Shop, shopper: Shopper
):
    old, new = apply_twice(shopper)
    order_id = shopper.order_id
    replaced = shop.store.get(quote_id_of(old))
    assert replaced is not None and replaced.status is CheckoutStatus.SUPERSEDED
    assert replaced.open_at_dividebuy  # still watched
    shopper.press(old, "complete")  # signed in the old tab, never back at the shop
    assert shop.reconcile().exit_code == 0
    held = shop.store.get(quote_id_of(old))
    assert held is not None and held.status is CheckoutStatus.ON_HOLD
    assert "financed twice" in (held.hold_reason or "")
    assert held.dividebuy_order_id  # settlement or a refund will need it
    assert [n for n in shop.event_names() if n == "order_on_hold"] == ["order_on_hold"]
    assert shop.shop_order(order_id).status == "on hold"
    # The newer quote completes too: held as well, and the shop's hold stays.
    back = shopper.come_back(shopper.press(new, "complete"))
    assert back.status_code == 200
    newer = shop.store.get(quote_id_of(new))
    assert newer is not None and newer.status is CheckoutStatus.ON_HOLD
    assert "on hold" in (newer.hold_reason or "")
    assert "quote_completed" not in shop.event_names()
    assert shop.shop_order(order_id).status == "on hold"
    # Reconcile again: nothing left to watch, nothing announced twice.
    assert shop.reconcile().exit_code == 0
    assert shop.event_names().count("order_on_hold") == 2


def test_a_replaced_quote_that_expires_at_dividebuy_stops_being_watched(shop: Shop, shopper):
    old, _new = apply_twice(shopper)
    shopper.press(old, "cancel")
    assert shop.reconcile().exit_code == 0
    replaced = shop.store.get(quote_id_of(old))
    assert replaced is not None and replaced.status is CheckoutStatus.SUPERSEDED
    assert not replaced.open_at_dividebuy
    assert "order_on_hold" not in shop.event_names()
    assert "superseded" in [t.to_status for t in shop.store.history(replaced.quote_id)]
