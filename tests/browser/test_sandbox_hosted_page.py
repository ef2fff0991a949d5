"""The sandbox's hosted application page in Chromium: every outcome, at 1280 and 390 px.

Each page is what a shopper sees at ``checkout_url`` (or after signing or cancelling
there): axe-core reports no violation, nothing scrolls sideways on a 390 px phone,
every button or link is at least 44 px tall, and it says what happened to the
shopper's money. Screenshots are kept as ``artifacts/sandbox-<outcome>-<width>.png``.
"""

from __future__ import annotations

from typing import Any

import pytest

from dividebuy_checkout.schemas.examples import example_quote_payload

from .axe import check_page

#: The issue's sofa: £1,749 over 36 months at 9.9 % APR, nothing paid up front.
SOFA = {
    "selected_instalment_term": 36,
    "subtotal": "1457.50",
    "vat": "291.50",
    "total": "1749.00",
    "upfront_payment": "0.00",
    "credit_amount": "1749.00",
    "line_items": [{"name": "Velvet sofa", "quantity": 1, "price_including_vat": "1749.00"}],
}


def _quote(sandbox: Any, last_name: str = "Smith", *, redirect: bool = True) -> Any:
    payload = example_quote_payload()
    payload["customer"]["last_name"] = last_name
    payload["order"].update(SOFA)
    payload["order"]["redirect_url"] = f"{sandbox.url}/_sandbox/state?from=dividebuy"
    if not redirect:  # the sandbox then shows its own "you can close this page"
        del payload["order"]["redirect_url"]
    return sandbox.state.create_quote(payload, base_url=sandbox.url)


def _targets_too_small(page: Any) -> list[str]:
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('button, a[href], input, select')]
                .filter(e => e.getBoundingClientRect().height < 44)
                .map(e => e.outerHTML.slice(0, 80))"""
        )
    )


def _check(page: Any, artifacts: Any, name: str) -> str:
    check_page(page, artifacts, f"sandbox-{name}")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert _targets_too_small(page) == [], width
    return str(page.locator("main").inner_text())


def test_an_approved_application_shows_the_plan_and_both_actions(sandbox, page, artifacts):
    quote = _quote(sandbox)
    page.goto(quote.checkout_url)
    text = _check(page, artifacts, "application")
    assert "Your instalment plan" in text
    assert "£55.57" in text and "£55.50" in text and "9.9% APR" in text  # 1 + 34 + 1
    assert "Total payable" in text and "£2,000.45" in text
    sign = page.get_by_role("button", name="Sign agreement and pay first instalment")
    cancel = page.get_by_role("button", name="Cancel and return to the shop")
    assert sign.is_visible() and cancel.is_visible()
    # On a phone the main action comes first and fills the width.
    page.set_viewport_size({"width": 390, "height": 900})
    sign_box, cancel_box = sign.bounding_box(), cancel.bounding_box()
    assert sign_box["y"] < cancel_box["y"] and sign_box["width"] > 300


def test_a_signed_application_says_the_first_instalment_is_paid(sandbox, page, artifacts):
    quote = _quote(sandbox, redirect=False)
    page.goto(quote.checkout_url)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign agreement and pay first instalment").click()
    text = _check(page, artifacts, "signed")
    assert "Agreement signed" in text
    assert "first instalment of £55.57 is paid" in text
    assert "34 monthly instalments of £55.57" in text and "£2,000.45 in all" in text


def test_a_referred_application_has_paid_nothing_and_cannot_be_signed(sandbox, page, artifacts):
    quote = _quote(sandbox, "Referred")
    page.goto(quote.checkout_url)
    text = _check(page, artifacts, "referred")
    assert "a guarantor is needed" in text and "You have paid nothing" in text
    assert page.get_by_role("button", name="Sign agreement and pay first instalment").count() == 0
    assert page.get_by_role("link", name="Return to the shop").is_visible()


@pytest.mark.parametrize("outcome", ["declined", "cancelled", "expired"])
def test_a_finished_application_says_nothing_was_paid(sandbox, page, artifacts, outcome):
    if outcome == "declined":
        quote = _quote(sandbox, "Declined")
    else:
        quote = _quote(sandbox)
        finish = (
            sandbox.state.cancel_quote if outcome == "cancelled" else sandbox.state.expire_quote
        )
        finish(quote.id)
    page.goto(f"{sandbox.url}/checkout/{quote.id}")
    text = _check(page, artifacts, outcome)
    assert f"Application {outcome}" in text and "You have paid nothing" in text
    assert page.get_by_role("button").count() == 0
    assert page.get_by_role("link", name="Return to the shop").is_visible()


def test_an_unknown_application_is_a_plain_404_page(sandbox, page, artifacts):
    response = page.goto(f"{sandbox.url}/checkout/no-such-quote")
    assert response is not None and response.status == 404
    text = _check(page, artifacts, "not-found")
    assert "There is no such application." in text
