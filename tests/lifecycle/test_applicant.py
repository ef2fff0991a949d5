"""Item 8: the applicant is the buyer, or a person looks before the order is paid.

Decided at submit (surname and postcode against the order's billing details; nothing of
the application is stored), applied when DivideBuy completes the quote, over the real
sandbox. ``DIVIDEBUY_CHECK_APPLICANT`` (``check_applicant=``) turns it off.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from support import press_at_dividebuy

from dividebuy_checkout.checkout import CheckoutService
from dividebuy_checkout.checkout.lifecycle import applicant_mismatch
from dividebuy_checkout.orders import Address
from dividebuy_checkout.store import CheckoutStatus
from tests.checkout.conftest import HOME, make_applicant, make_order

RETURN_URL = "https://shop.example/dividebuy/return?ref={}".format
ELSEWHERE = Address(
    house_number="3", address_line_1="Canal Street", town="Leeds", postcode="LS2 7AB"
)


def complete(service: CheckoutService, **applicant: object):
    submitted = service.submit(
        "1001", make_applicant(**applicant), ip_address="203.0.113.9", return_url=RETURN_URL
    )
    assert submitted.checkout_url is not None
    back = press_at_dividebuy(submitted.checkout_url, "complete")
    return service.handle_return(parse_qs(urlsplit(back).query)["ref"][0]).record


@pytest.mark.parametrize(
    ("applicant", "why"),
    [
        ({"last_name": "Smith"}, "surname"),
        ({"address": ELSEWHERE}, "postcode"),
    ],
)
def test_another_applicant_completes_on_hold_for_review(service, events, applicant, why):
    record = complete(service, **applicant)
    assert record.status is CheckoutStatus.ON_HOLD
    assert why in (record.hold_reason or "") and "Smith" not in (record.hold_reason or "")
    assert [name for name, _, _ in events][-1] == "order_on_hold"


def test_the_buyer_completes_and_the_check_can_be_turned_off(service, orders, events):
    assert complete(service, last_name="lovelace ").status is CheckoutStatus.COMPLETED
    unchecked = CheckoutService(
        service.client,
        service.store,
        orders,
        signer=service.signer,
        notify=service.notify,
        check_applicant=False,
    )
    orders.orders["1002"] = make_order(order_id="1002", order_ref="FS-1002")
    submitted = unchecked.submit(
        "1002", make_applicant(last_name="Smith"), ip_address="203.0.113.9", return_url=RETURN_URL
    )
    assert submitted.record.applicant_mismatch is None  # not even decided when off
    assert submitted.checkout_url is not None
    back = press_at_dividebuy(submitted.checkout_url, "complete")
    record = unchecked.handle_return(parse_qs(urlsplit(back).query)["ref"][0]).record
    assert record.status is CheckoutStatus.COMPLETED


def test_the_comparison_ignores_case_spacing_and_punctuation_only():
    order = make_order()
    same = {"last_name": " LOVELACE", "address": {"postcode": "LS14AP"}}
    assert applicant_mismatch(order, same) is None
    moved = {"last_name": "Lovelace", "address": {**HOME.to_wire(), "postcode": "LS2 7AB"}}
    assert "postcode" in (applicant_mismatch(order, moved) or "")
