"""The "find your order" bridge and a REC+ order paid end to end over real HTTP:
bridge → application form → the sandbox's hosted page → return → write-back at the fake."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from support import ANSWERS, press_at_dividebuy

from dividebuy_checkout.flask.bridge import MISS_MESSAGE, order_matches
from dividebuy_checkout.orders import Customer, Order
from dividebuy_checkout.sandbox.faults import Fault
from dividebuy_checkout.store import CheckoutStatus

from .platform_app import ORDER, PAID, PENDING, PlatformShop

EMAIL = "ann.lee@example.co.uk"


@pytest.fixture
def shop(platform_shop: PlatformShop) -> PlatformShop:
    return platform_shop


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def find(http: httpx.Client, number: str, email: str, **extra: str) -> httpx.Response:
    page = http.get(f"/dividebuy/start/recplus?order={number}")
    assert page.status_code == 200
    assert '<label for="order_number">' in page.text and '<label for="email">' in page.text
    data = {"csrf_token": _token(page.text), "order_number": number, "email": email, **extra}
    return http.post("/dividebuy/start/recplus", data=data)


def wait_for(condition: Any, what: str, timeout: float = 20.0) -> None:
    """Poll until *condition()* (the write-back runs on a background thread)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_a_gbp_order_from_the_fake_is_paid_end_to_end(shop: PlatformShop) -> None:
    with httpx.Client(base_url=shop.url, timeout=20) as http:
        found = find(http, ORDER, "  Ann.Lee@Example.co.uk ")
        assert found.status_code == 303, found.text
        apply_url = found.headers["location"]
        assert "/dividebuy/apply/" in apply_url
        form = http.get(apply_url)
        assert form.status_code == 200, form.text
        terms = re.findall(r'name="term" type="radio" value="(\d+)"', form.text) or ["12"]
        data = {
            "csrf_token": _token(form.text),
            **ANSWERS,
            "term": terms[0],
            "submit": "Continue",
        }
        sent = http.post(apply_url, data=data)
        assert sent.status_code == 303, sent.text
        checkout_url = sent.headers["location"]
        assert checkout_url.startswith(shop.sandbox.url)
        wait_for(
            lambda: PENDING in [s for _, s in shop.recplus.state.history(ORDER)],
            "the pending-finance write-back",
        )
        back = press_at_dividebuy(checkout_url, "complete")
        assert back.startswith(shop.url)
        returned = http.get(back[len(shop.url) :])
        assert returned.status_code in (200, 303)
    record = shop.store.live_for_order(ORDER)
    assert record is not None and record.status is CheckoutStatus.COMPLETED
    wait_for(
        lambda: (shop.recplus.state.get_order(ORDER) or {}).get("status") == PAID,
        "the paid write-back",
    )
    written = [w.changes["status"] for w in shop.recplus.state.writes if not w.dry_run]
    assert written == [PENDING, PAID]


@pytest.mark.parametrize(
    ("number", "email"),
    [(ORDER, "someone@example.com"), ("999999", EMAIL), ("112312", EMAIL), (ORDER, "")],
    ids=["wrong-email", "no-such-order", "another-customer", "blank-email"],
)
def test_every_miss_gets_the_same_message(shop: PlatformShop, number: str, email: str) -> None:
    with httpx.Client(base_url=shop.url, timeout=20) as http:
        answer = find(http, number, email)
    assert answer.status_code == 400
    assert 'class="dividebuy-error-summary"' in answer.text
    if email:
        assert MISS_MESSAGE.replace("'", "&#39;") in answer.text
    else:
        assert "Enter the e-mail address you ordered with." in answer.text
    assert shop.store.live_for_order(number) is None


def test_the_form_needs_its_csrf_token(shop: PlatformShop) -> None:
    with httpx.Client(base_url=shop.url, timeout=20) as http:
        answer = http.post("/dividebuy/start/recplus", data={"order_number": ORDER, "email": EMAIL})
    assert answer.status_code == 400 and "expired" in answer.text
    assert "location" not in answer.headers


def test_recplus_down_is_a_clear_page_and_the_order_is_untouched(shop: PlatformShop) -> None:
    shop.recplus.state.arm_fault("ORDER_GET", Fault(kind="status", status=503), times=10)
    with httpx.Client(base_url=shop.url, timeout=30) as http:
        answer = find(http, ORDER, EMAIL)
    assert answer.status_code == 503
    assert "We could not read your order from the shop just now" in answer.text
    assert shop.recplus.state.writes == []
    assert shop.store.live_for_order(ORDER) is None
    assert shop.sandbox_state()["calls"].get("CREATE_QUOTE", 0) == 0


def test_the_bridge_is_rate_limited(make_platform_shop: Any) -> None:
    limited = make_platform_shop(DIVIDEBUY_RATE_LIMIT="2/minute")
    with httpx.Client(base_url=limited.url, timeout=20) as http:
        codes = [find(http, ORDER, "guess@example.com").status_code for _ in range(3)]
    assert codes == [400, 400, 429]


def test_matching_is_on_normalised_values_and_needs_an_email() -> None:
    order = Order(
        order_id="7",
        order_ref="7",
        lines=(),
        subtotal="1.00",
        vat="0.00",
        shipping="0.00",
        total="1.00",
        customer=Customer(email="Bob@Example.com"),
    )
    assert order_matches(order, " 7 ", "bob@example.COM ")
    assert not order_matches(order, "7", "bob@example.org")
    assert not order_matches(order, "8", "bob@example.com")
    assert not order_matches(None, "", "")
    no_email = Order(**{**order.__dict__, "customer": Customer()})
    assert not order_matches(no_email, "7", "")
