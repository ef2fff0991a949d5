"""Every page of the example shop in headless Chromium: accessible, fits a phone, acts on status.

The shop (``examples/flask_shop``) runs in-process on a loopback port against the
session's sandbox; the shopper goes through it as a person would (product,
basket, checkout form, DivideBuy's application form, the sandbox's hosted page),
once per outcome the sandbox can give: approved and signed, declined (surname
"Declined"), referred ("Referred"), left unsigned (pending) and cancelled.

Each page is checked at 1280 and 390 px wide: axe-core reports no violation, the
page never scrolls sideways, and a full-page screenshot is kept under
``artifacts/`` for a person to look at.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import ANSWERS, CUSTOMER, create_example_shop, serve_wsgi

from dividebuy_checkout.sandbox import SandboxServer

from .axe import check_page as check_at_each_width

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECRET_KEY = "browser-test-secret-key-for-the-example-shop-0123456789"
BACKOFFICE_PASSWORD = "browser-test-backoffice"


# -- the shop -----------------------------------------------------------------------------------


class RunningShop:
    def __init__(self, app: Any, url: str) -> None:
        self.app = app
        self.url = url


@pytest.fixture(scope="module")
def running_shop(sandbox_server: SandboxServer, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("shop-pages")
    app = create_example_shop(
        {
            "SECRET_KEY": SECRET_KEY,
            "DIVIDEBUY_ENVIRONMENT": "local",
            "DIVIDEBUY_BASE_URL": sandbox_server.url,
            "DIVIDEBUY_CLIENT_ID": f"shop-{uuid.uuid4().hex[:8]}",
            "DIVIDEBUY_CLIENT_SECRET": "shop-secret",
            "DIVIDEBUY_DATABASE_URL": f"sqlite:///{folder / 'dividebuy.sqlite3'}",
            "DIVIDEBUY_RATE_LIMIT": None,
            "BACKOFFICE_PASSWORD": BACKOFFICE_PASSWORD,
        }
    )
    server = serve_wsgi(app)
    yield RunningShop(app, f"http://127.0.0.1:{server.port}")
    server.shutdown()
    server.server_close()


@pytest.fixture
def shopper(browser: Any) -> Iterator[Any]:
    """A fresh browser (own cookies, so a new basket and session) at laptop width."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


# -- what is checked on every page --------------------------------------------------------------


def check_page(page: Any, name: str, artifacts: Path) -> None:
    """At 1280 and 390 px: axe-core finds nothing, no sideways scroll, a screenshot kept.

    (The shared helper, :mod:`.axe`); the window goes back to laptop width after.
    """
    try:
        check_at_each_width(page, artifacts, f"shop-{name}")
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


# -- the shopper's steps ------------------------------------------------------------------------


def add_to_basket(page: Any, shop: RunningShop, slug: str) -> None:
    page.goto(f"{shop.url}/products/{slug}")
    page.get_by_role("button", name="Add to basket").click()
    page.get_by_role("heading", name="Your basket").wait_for()


def fill_checkout(page: Any, **details: str) -> None:
    values = {**CUSTOMER, **details}
    for name, value in values.items():
        page.locator(f"form [name={name}]").fill(value)
    page.get_by_role("button", name="Continue to payment").click()


def place_order(page: Any, shop: RunningShop, slug: str = "walnut-desk", **details: str) -> str:
    add_to_basket(page, shop, slug)
    page.get_by_role("link", name="Go to checkout").click()
    fill_checkout(page, **details)
    page.locator("#order-status").wait_for()
    return page.url


def fill_application(page: Any, **answers: str) -> None:
    """DivideBuy's application form, whatever control each answer is (select, radio, text)."""
    for name, value in {**ANSWERS, **answers}.items():
        controls = page.locator(f"form [name='{name}']")
        if controls.count() == 0:
            continue
        first = controls.first
        tag = first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if tag.startswith("select"):
            first.select_option(value)
        elif tag.endswith(":radio") or tag.endswith(":checkbox"):
            page.locator(f"form [name='{name}'][value='{value}']").check()
        else:
            first.fill(value)


def apply_with_dividebuy(page: Any, **answers: str) -> None:
    """From the order page: open the application form, fill it in and send it."""
    page.locator("#pay-with-dividebuy").click()
    fill_application(page, **answers)
    page.locator("form [name=submit]").click()
    page.wait_for_load_state()


def press_at_dividebuy(page: Any, shop: RunningShop, action: str) -> None:
    """Press "complete" or "cancel" on the sandbox's hosted page; wait to be back at the shop."""
    page.locator(f"form[action$='/{action}'] [type=submit]").click()
    page.wait_for_url(lambda url: url.startswith(shop.url + "/"))
    page.wait_for_load_state()


def to_order_page(page: Any, order_url: str) -> None:
    page.goto(order_url)
    page.locator("#order-status").wait_for()


def pay_buttons(page: Any) -> dict[str, bool]:
    return {
        "dividebuy": page.locator("#pay-with-dividebuy").count() > 0,
        "card": page.get_by_role("button", name=re.compile("by card")).count() > 0,
    }


# -- the pages ----------------------------------------------------------------------------------


def test_catalogue_basket_and_checkout_pages(
    running_shop: RunningShop, shopper: Any, artifacts: Path
):
    page = shopper
    page.goto(running_shop.url)
    icon = page.locator("link[rel=icon]").get_attribute("href")
    check_page(page, "home", artifacts)
    page.goto(f"{running_shop.url}/products/velvet-sofa")
    check_page(page, "product", artifacts)
    add_to_basket(page, running_shop, "oak-bedside-table")  # under £500: delivery is charged
    check_page(page, "basket", artifacts)
    page.get_by_role("link", name="Go to checkout").click()
    check_page(page, "checkout", artifacts)
    icon_response = page.request.get(running_shop.url + icon)

    banner = page.locator("header .demo-banner")
    assert banner.count() == 1 and "demonstration shop" in banner.inner_text()
    assert page.locator("body > p, body > div:not(.flashes)").count() == 0  # all in landmarks
    assert icon_response.ok and "svg" in icon_response.headers["content-type"]
    assert "£1.66 on delivery" in page.locator("aside").inner_text()  # £9.95 with 20% VAT


def test_the_checkout_form_explains_mistakes_and_keeps_the_shoppers_place(
    running_shop: RunningShop, shopper: Any, artifacts: Path
):
    page = shopper
    add_to_basket(page, running_shop, "walnut-desk")
    page.get_by_role("link", name="Go to checkout").click()
    autocomplete = page.eval_on_selector_all(
        "form input:not([type=hidden])", "els => els.map(e => [e.name, e.autocomplete])"
    )
    fill_checkout(page, first_name="", mobile_number="01632 960123", postcode="LS1 XYZ")

    summary = page.locator("#error-summary")
    summary.wait_for()
    focused = page.evaluate("() => document.activeElement.id")
    links = summary.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    check_page(page, "checkout-errors", artifacts)
    summary.locator("a[href='#postcode']").click()
    after_click = page.evaluate("() => document.activeElement.id")

    assert all(token for _, token in autocomplete), autocomplete
    assert dict(autocomplete)["email"] == "email" and dict(autocomplete)["postcode"] == (
        "postal-code"
    )
    assert focused == "error-summary"
    assert links == ["#first_name", "#mobile_number", "#postcode"]  # the page's order
    assert "Enter a UK mobile number, like 07400 123456." in summary.inner_text()
    assert "Enter a UK postcode, like SW1A 1AA." in summary.inner_text()
    assert page.locator("#mobile_number").input_value() == "01632 960123"  # kept
    assert page.locator("#email").input_value() == CUSTOMER["email"]
    assert page.locator("#postcode").get_attribute("aria-invalid") == "true"
    assert after_click == "postcode"
    assert page.title().startswith("Error: ")


def test_an_approved_and_signed_order_shows_it_is_paid(
    running_shop: RunningShop, shopper: Any, artifacts: Path
):
    page = shopper
    order_url = place_order(page, running_shop)
    check_page(page, "order-awaiting-payment", artifacts)
    before = pay_buttons(page)
    apply_with_dividebuy(page)
    press_at_dividebuy(page, running_shop, "complete")
    to_order_page(page, order_url)
    check_page(page, "order-completed", artifacts)

    assert before == {"dividebuy": True, "card": True}
    assert page.locator("#order-status").inner_text() == "Status: paid · paid with DivideBuy"
    assert pay_buttons(page) == {"dividebuy": False, "card": False}
    assert "DivideBuy reference" in page.locator("#finance-status").inner_text()
    # the plan in DivideBuy's figures for 12 months interest-free on £899.00
    assert page.locator("#plan-payments").inner_text().startswith("12")
    assert page.locator("#plan-total").inner_text() == "£899.00"
    assert page.locator("#plan-paid-today").inner_text().startswith("£")


def test_a_declined_order_offers_only_the_shops_other_ways_to_pay(
    running_shop: RunningShop, shopper: Any, artifacts: Path
):
    page = shopper
    order_url = place_order(page, running_shop, last_name="Declined")
    apply_with_dividebuy(page)
    page.get_by_role("link", name="Choose another way to pay").click()
    to_order_page(page, order_url)
    check_page(page, "order-declined", artifacts)

    assert pay_buttons(page) == {"dividebuy": False, "card": True}
    assert "DivideBuy did not approve your application" in page.inner_text("main")
    assert page.get_by_role("heading", name="Other ways to pay").count() == 1


def test_a_referred_order_says_what_happens_next_and_offers_no_dead_ends(
    running_shop: RunningShop, shopper: Any, artifacts: Path
):
    page = shopper
    order_url = place_order(page, running_shop, slug="velvet-sofa", last_name="Referred")
    apply_with_dividebuy(page)
    to_order_page(page, order_url)
    check_page(page, "order-referred", artifacts)
    text = page.inner_text("main")

    assert pay_buttons(page) == {"dividebuy": False, "card": False}
    assert "Nothing has been paid yet" in text and "a few working days" in text
    assert page.get_by_role("link", name="cancel your application at DivideBuy").count() == 1


def test_an_unsigned_application_offers_to_continue_it_and_nothing_that_would_fail(
    running_shop: RunningShop, shopper: Any, artifacts: Path
):
    page = shopper
    order_url = place_order(page, running_shop)
    apply_with_dividebuy(page)  # at DivideBuy's page; the shopper wanders back to the shop
    to_order_page(page, order_url)
    check_page(page, "order-pending", artifacts)

    assert pay_buttons(page) == {"dividebuy": False, "card": False}
    assert page.locator("#continue-at-dividebuy").count() == 1
    assert "Status: waiting for DivideBuy" in page.locator("#order-status").inner_text()


def test_a_cancelled_application_lets_the_shopper_start_again(
    running_shop: RunningShop, shopper: Any, artifacts: Path
):
    page = shopper
    order_url = place_order(page, running_shop)
    apply_with_dividebuy(page)
    press_at_dividebuy(page, running_shop, "cancel")
    to_order_page(page, order_url)
    check_page(page, "order-cancelled", artifacts)

    assert pay_buttons(page) == {"dividebuy": True, "card": True}
    assert page.locator("#pay-with-dividebuy").inner_text() == "Start a new DivideBuy application"
    assert "Your DivideBuy application was cancelled" in page.inner_text("main")


def test_the_plugins_pages_sit_in_the_shops_layout_accessibly(
    running_shop: RunningShop, shopper: Any, artifacts: Path
):
    """The application form and the decline page, as the shop's layout and stylesheet show them."""
    page = shopper
    place_order(page, running_shop, last_name="Declined")
    page.locator("#pay-with-dividebuy").click()
    page.locator("form [name=submit]").wait_for()
    check_page(page, "dividebuy-apply", artifacts)
    fill_application(page)
    page.locator("form [name=submit]").click()
    page.get_by_role("link", name="Choose another way to pay").wait_for()
    check_page(page, "dividebuy-declined", artifacts)
