"""The example shop's back-office page in headless Chromium: confirmations, CSV upload, a phone.

Orders are made as a shopper makes them (the example shop and the sandbox's
hosted page, see :mod:`.test_shop_pages`); then a member of staff signs in,
settles one (the page asks first), refunds everything left (the page asks
first, and a refund with no amount is refused with the box marked), and uploads
a settlement CSV, whose rows come back one by one as the CLI reports them.
Every page is checked with axe-core and for sideways scrolling at 1280 and 390 px.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .test_shop_pages import (
    BACKOFFICE_PASSWORD,
    RunningShop,
    apply_with_dividebuy,
    check_page,
    place_order,
    press_at_dividebuy,
    running_shop,  # noqa: F401 - the module-scoped shop fixture, shared
    shopper,  # noqa: F401 - a fresh browser context per test
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def paid_order(page: Any, shop: RunningShop, **details: str) -> str:
    """A shopper buys the walnut desk on DivideBuy and signs; the shop's order id."""
    order_url = place_order(page, shop, **details)
    apply_with_dividebuy(page)
    press_at_dividebuy(page, shop, "complete")
    return order_url.rstrip("/").rsplit("/", 1)[-1]


def sign_in(page: Any, shop: RunningShop, artifacts: Path) -> None:
    page.goto(f"{shop.url}/backoffice/")
    page.get_by_role("heading", name="Sign in to the back office").wait_for()
    check_page(page, "backoffice-login", artifacts)
    page.get_by_label("Password").fill(BACKOFFICE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="DivideBuy finance orders").wait_for()


def order_card(page: Any, order_id: str) -> Any:
    return page.locator(f"li#order-{order_id}")


def test_settling_and_refunding_everything_each_ask_first(
    running_shop: RunningShop,  # noqa: F811
    shopper: Any,  # noqa: F811
    browser: Any,
    artifacts: Path,
):
    order_id = paid_order(shopper, running_shop)
    staff = browser.new_context(locale="en-GB").new_page()
    try:
        sign_in(staff, running_shop, artifacts)
        check_page(staff, "backoffice-index", artifacts)
        card = order_card(staff, order_id)

        card.get_by_role("button", name="Settle…").click()
        staff.get_by_role("heading", name=f"Settle order {order_id}?").wait_for()
        check_page(staff, "backoffice-confirm-settle", artifacts)
        asked_settle = staff.inner_text("main")
        status_before_yes = order_card_after_back(staff, running_shop, order_id)
        card.get_by_role("button", name="Settle…").click()
        staff.get_by_role("button", name=f"Yes, settle order {order_id}").click()
        settled = staff.locator(".flash").inner_text()

        card.get_by_role("button", name="Refund this amount").click()  # no amount typed
        summary = staff.locator("#error-summary")
        summary.wait_for()
        focused = staff.evaluate("() => document.activeElement.id")
        check_page(staff, "backoffice-refund-error", artifacts)
        box_error = staff.locator(f"#amount-{order_id}-error").inner_text()

        card.get_by_role("button", name="Refund everything (£899.00)…").click()
        staff.get_by_role("heading", name=f"Refund everything left on order {order_id}?").wait_for()
        check_page(staff, "backoffice-confirm-refund", artifacts)
        staff.get_by_role("link", name="No, go back").click()
        refunded_after_no = order_card(staff, order_id).locator("dd").nth(1).inner_text()
        card.get_by_role("button", name="Refund everything (£899.00)…").click()
        staff.get_by_role("button", name="Yes, refund £899.00").click()
        refunded = staff.locator(".flash").inner_text()
        left = staff.locator(f"#order-{order_id}-refundable").inner_text()
    finally:
        staff.context.close()

    assert "DivideBuy then pays the shop" in asked_settle and status_before_yes == "Not settled"
    assert settled.startswith(f"Order {order_id} settled: delivered on ")
    assert focused == "error-summary"
    assert "Enter the amount to refund" in box_error
    assert refunded_after_no == "£0.00"  # "No, go back" refunded nothing
    assert refunded == f"Refunded £899.00 on order {order_id}."
    assert left == "£0.00"


def order_card_after_back(page: Any, shop: RunningShop, order_id: str) -> str:
    """Leave the confirmation with "No, go back"; the order's delivery as the list shows it."""
    page.get_by_role("link", name="No, go back").click()
    page.get_by_role("heading", name="DivideBuy finance orders").wait_for()
    return order_card(page, order_id).locator("dd").nth(3).inner_text()


def test_a_settlement_csv_uploaded_on_the_page_reports_every_row(
    running_shop: RunningShop,  # noqa: F811
    shopper: Any,  # noqa: F811
    browser: Any,
    artifacts: Path,
):
    order_id = paid_order(shopper, running_shop)
    staff = browser.new_context(locale="en-GB").new_page()
    try:
        sign_in(staff, running_shop, artifacts)
        today = staff.locator("#default_date").get_attribute("max")
        csv_text = (
            f"order_id,delivered_on\n{order_id},{today}\nNO-SUCH-ORDER,{today}\n"
            f"{order_id},2026-02-30\n"
        )
        upload = {"name": "delivered.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}
        staff.locator("#csv_file").set_input_files(upload)
        staff.get_by_role("button", name="Upload and settle").click()  # not confirmed
        unconfirmed = staff.locator("#csv-confirmed-error").inner_text()

        staff.locator("#csv_file").set_input_files(upload)  # a browser never keeps a file
        staff.get_by_label("These orders were delivered on the dates in the file").check()
        staff.get_by_role("button", name="Upload and settle").click()
        report = staff.locator("#csv-report")
        report.wait_for()
        check_page(staff, "backoffice-csv-report", artifacts)
        summary = staff.locator("#csv-report-summary").inner_text()
        rows = staff.locator("#csv-report-problems tbody tr").evaluate_all(
            "trs => trs.map(tr => [...tr.cells].map(td => td.innerText.trim()))"
        )
        delivered = order_card(staff, order_id).locator("dd").nth(3).inner_text()
    finally:
        staff.context.close()

    assert "Tick the box" in unconfirmed
    assert summary.startswith("1 settled, 0 already settled, 2 rejected, 0 failed (3 orders")
    assert [row[:3] for row in rows] == [
        ["3", "NO-SUCH-ORDER", "rejected"],
        ["4", order_id, "rejected"],
    ]
    assert "No DivideBuy checkout is recorded" in rows[0][3]
    assert "2026-02-30" in rows[1][3]
    assert delivered == today
