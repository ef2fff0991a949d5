"""The platform-neutral order and the one function that turns it into DivideBuy's quote body."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dividebuy_checkout.money import MoneyError, dumps
from dividebuy_checkout.orders import (
    Address,
    Customer,
    Order,
    OrderLine,
    OrderSource,
    build_quote_payload,
)
from dividebuy_checkout.schemas import load_quote

from .conftest import make_applicant, make_order


def test_the_payload_has_the_wire_shape_with_the_documents_slips_read_as_agreed():
    payload = build_quote_payload(
        make_order(upfront_payment="47.00"),
        make_applicant(),
        redirect_url="https://shop.example/dividebuy/return?ref=abc",
        ip_address="203.0.113.7",
    )
    customer, order = payload["customer"], payload["order"]

    assert set(payload) == {"customer", "order"}  # no payment block: no bank details pass by
    assert customer["ip_address"] == "203.0.113.7" and customer["nationality"] == "British"
    assert "customer" not in customer  # customer.customer.* is read as customer.*
    assert customer["address"] == {
        "house_number": "12",
        "address_line_1": "Acacia Avenue",
        "town": "Leeds",
        "postcode": "ls1 4ap",
        "time_at_address": "01-06",
    }
    assert customer["previous_addresses"][0]["time_at_address"] == "01-06"
    assert order["upfront_payment"] == Decimal("47.00")
    assert order["credit_amount"] == Decimal("900.00")  # total - upfront, in pounds
    assert order["vat"] == Decimal("164.50") and order["vat_rate"] == Decimal("20")
    assert order["is_default_shipping"] == 1 and order["is_default_billing"] == 1
    assert "source" not in order  # a web order
    assert order["line_items"][0] == {
        "name": "Walnut desk",
        "quantity": 1,
        "sku": "WNT-DSK",
        "price_including_vat": Decimal("899.00"),
        "row_total_including_vat": Decimal("899.00"),
    }
    assert order["line_items"][1]["row_total_excluding_vat"] == Decimal("40.00")
    assert order["redirect_url"] == "https://shop.example/dividebuy/return?ref=abc"
    assert b"947.00" in dumps(payload)  # money is written exactly, never as a float


def test_the_payload_passes_the_uk_schema_and_comes_out_normalised():
    payload = build_quote_payload(
        make_order(),
        make_applicant(),
        redirect_url="https://shop.example/dividebuy/return?ref=abc",
        ip_address="203.0.113.7",
    )
    body = load_quote(payload, available_terms=[3, 6, 12])
    assert body["customer"]["mobile_number"] == "07400123456"
    assert body["customer"]["address"]["postcode"] == "LS1 4AP"
    assert body["customer"]["rent"] == 650
    assert body["order"]["selected_instalment_term"] == 12


def test_answers_replace_what_the_order_lacks_and_an_owner_sends_no_rent():
    order = make_order(customer=Customer(first_name="Ada", last_name="Lovelace"))
    applicant = make_applicant(
        mobile_number="07400 654321",
        address=Address(address_line_1="1 New Road", town="York", postcode="YO1 7HH"),
        residential_status="Yes, outright owner",
        rent=None,
    )
    payload = build_quote_payload(
        order, applicant, redirect_url="https://x.example/r", ip_address="::1"
    )
    assert payload["customer"]["mobile_number"] == "07400 654321"
    assert payload["customer"]["address"]["town"] == "York"
    assert "rent" not in payload["customer"]
    assert payload["customer"]["title"] == "Ms"


def test_an_order_refuses_floats_and_fractions_of_a_penny():
    with pytest.raises(MoneyError):
        make_order(total=947.0)
    with pytest.raises(MoneyError):
        make_order(shipping="4.999")
    with pytest.raises(ValueError, match="unit price"):
        OrderLine("Mystery", 1)
    with pytest.raises(ValueError, match="less than the order total"):
        make_order(upfront_payment="947.00")


def test_personal_answers_never_appear_in_a_repr():
    text = repr(make_applicant(mobile_number="07400 654321"))
    for secret in ("1985-07-23", "650", "Employed", "renting", "British", "07400", "Mill Lane"):
        assert secret not in text


def test_any_object_with_get_order_is_an_order_source():
    class Orders:
        def get_order(self, order_id: str) -> Order | None:
            return None

    assert isinstance(Orders(), OrderSource)
