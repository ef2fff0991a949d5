"""A checkout page whose write meets another process's database lock answers a 503 page
with Retry-After (nothing written), never a 500; once the lock is gone the same link works."""

from __future__ import annotations

import pytest
from backoffice.test_contention import Locker
from checkout.conftest import Shopper

from dividebuy_checkout.store import CheckoutStatus


def test_the_return_page_waits_out_a_lock_then_says_try_again(make_shop, database_url: str):
    if not database_url.startswith("sqlite"):
        pytest.skip("the other process holds SQLite's file lock")
    shop = make_shop(DIVIDEBUY_DB_LOCK_TIMEOUT=1.0)
    person: Shopper = shop.shopper()
    locker = Locker(database_url)
    try:
        order_id = person.buy()
        return_url = person.press(person.checkout_with_dividebuy(), "complete")
        locker.lock()
        busy = person.come_back(return_url)
        locker.release()
        back = person.come_back(return_url)
    finally:
        locker.close()
        person.close()

    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "5" and busy.headers["Cache-Control"] == "no-store"
    assert "try again in a moment" in busy.text and "Traceback" not in busy.text
    assert back.status_code in (200, 303)
    record = shop.service.status(order_id)
    assert record is not None and record.status is CheckoutStatus.COMPLETED
