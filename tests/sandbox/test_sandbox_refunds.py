"""Refunds: partial and full, a ledger that never goes below zero, even under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from dividebuy_checkout.money import loads
from dividebuy_checkout.sandbox import RateCardEntry


@pytest.fixture(autouse=True)
def _low_minimum_spend(sandbox):
    """A £100 order needs a term whose minimum spend is below the default £250."""
    sandbox.state.configure(
        rate_card=(RateCardEntry(3, minimum_spend=Decimal("1.00")), RateCardEntry(12))
    )


def _order(api, total="2000.00", **changes):
    amount = Decimal(total)
    return api.completed_order(order__total=amount, order__credit_amount=amount, **changes)


def test_partial_refund_has_the_documented_reply(api):
    order = _order(api)
    response = api.refund(order["retailer_order_id"], "150.00")
    assert response.status_code == 201
    body = loads(response.content)
    assert body["status_code"] == 201 and body["message"] == "Refund created successfully"
    refund = body["data"]["refund"]
    assert refund["amount"] == Decimal("150.00") and refund["refund_type"] == "PARTIAL"
    assert refund["id"]


def test_no_amount_refunds_what_is_left_as_full(api):
    order = _order(api)
    api.refund(order["retailer_order_id"], "150.00")
    refund = loads(api.refund(order["retailer_order_id"]).content)["data"]["refund"]
    assert refund == {**refund, "amount": Decimal("1850.00"), "refund_type": "FULL"}


def test_a_partial_that_takes_exactly_the_rest_is_full(api):
    order = _order(api)
    api.refund(order["retailer_order_id"], "1000.00")
    refund = loads(api.refund(order["retailer_order_id"], "1000.00").content)["data"]["refund"]
    assert refund["refund_type"] == "FULL"


def test_a_refund_never_exceeds_what_is_left(api, sandbox):
    order = _order(api)
    api.refund(order["retailer_order_id"], "1900.00")
    response = api.refund(order["retailer_order_id"], "100.01")
    assert response.status_code == 422
    assert "100.00" in response.json()["errors"]["amount"][0]
    assert sandbox.state.snapshot()["orders"][0]["refunded"] == Decimal("1900.00")


def test_nothing_is_left_after_a_full_refund(api):
    order = _order(api)
    assert api.refund(order["retailer_order_id"]).status_code == 201
    for amount in (None, "0.01"):
        response = api.refund(order["retailer_order_id"], amount)
        assert response.status_code == 422 and "amount" in response.json()["errors"]


@pytest.mark.parametrize("amount", ["0", "-5", "1.234", "ten", True, None])
def test_bad_refund_amounts_are_422(api, amount):
    order = _order(api)
    response = api.post(f"/orders/{order['retailer_order_id']}/refunds", {"amount": amount})
    if amount is None:  # explicit null = no amount = full refund
        assert response.status_code == 201
    else:
        assert response.status_code == 422
        assert "amount" in response.json()["errors"]


def test_unknown_order_is_a_404(api):
    response = api.refund("no-such-order", "10.00")
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


def test_an_order_whose_quote_is_not_completed_cannot_be_refunded(api):
    api.new_quote()
    response = api.refund("1001", "10.00")
    assert response.status_code == 409
    assert "not been completed" in response.json()["message"]


def test_retailer_order_ids_with_slashes_and_spaces_work(api):
    from dividebuy_checkout import routes

    order = _order(api, order__retailer_order_id="2024/07 #15")
    url = routes.REFUND.format(retailer_order_id=order["retailer_order_id"])
    assert api.post(url, {"amount": Decimal("5.00")}).status_code == 201


def test_twenty_concurrent_ten_pound_refunds_of_a_hundred_pound_order(api, sandbox):
    order = _order(api, "100.00", order__selected_instalment_term=3)

    def refund(_):
        return api.refund(order["retailer_order_id"], "10.00").status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(refund, range(20)))
    assert statuses.count(201) == 10
    assert statuses.count(422) == 10
    listing = sandbox.state.snapshot()
    assert listing["orders"][0]["refunded"] == Decimal("100.00")
    assert sum(r["amount"] for r in listing["refunds"]) == Decimal("100.00")
    assert [r["refund_type"] for r in listing["refunds"]].count("FULL") == 1
