"""REC+ order → Order: the seed's example verbatim, and every way an order is refused.

Pure function calls on the fixture shipped in the package (the seed's JSON, copied
verbatim) and on copies of it changed in one place each.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dividebuy_checkout.integrations.errors import MappingError
from dividebuy_checkout.integrations.recplus import map_order
from dividebuy_checkout.integrations.recplus.fake import load_fixture
from dividebuy_checkout.integrations.recplus.mapping import mask_personal

from dividebuy_checkout.money import loads
from dividebuy_checkout.orders import Customer, Order, OrderLine, OrderNotFinanceable

ROOT = Path(__file__).resolve().parents[2]
SEED = next((ROOT.parent / "shared" / "seeds").glob("004_*.txt"), None)


def seed_order() -> dict[str, Any]:
    return load_fixture("order_112312.json")


GOLDEN = Order(
    order_id="112312",
    order_ref="825",
    lines=(
        OrderLine(
            "Traeger Texas Spicy BBQ Sauce 16oz (Multi Pack: Yes, Saver Discount: Yes)",
            1,
            unit_price_including_vat=Decimal("137.40"),
            unit_price_excluding_vat=Decimal("114.50"),
            sku="Sauce-1105410-yes-yes",
            vat_percentage=Decimal("20"),
        ),
        OrderLine(
            "Tubby Tom's The Squealer Hot Sauce 150g",
            2,
            unit_price_including_vat=Decimal("8.40"),
            unit_price_excluding_vat=Decimal("7.00"),
            sku="Sauce-997706",
            vat_percentage=Decimal("20"),
        ),
    ),
    subtotal=Decimal("128.50"),
    vat=Decimal("25.70"),
    shipping=Decimal("0.00"),
    shipping_method="standard",
    shipping_label="Standard",
    discount=Decimal("154.20"),
    time_discount_applied="afterVat",
    total=Decimal("0.00"),
    vat_rate=Decimal("20"),
    is_default_shipping=True,
    is_default_billing=True,
    customer=Customer(
        first_name="Bob",
        last_name="Smith",
        email="bob@smithnet.co.uk",
        mobile_number="07123456789",
        address=None,
        title=None,
    ),
)


@pytest.mark.skipif(SEED is None, reason="the shared seeds are not next to this checkout")
def test_the_fixture_is_the_seeds_example_order_verbatim():
    assert SEED is not None
    text = SEED.read_text()
    fixture = (ROOT / "integrations" / "recplus" / "fixtures" / "order_112312.json").read_text()
    assert fixture.strip() in text


def test_the_seeds_example_order_maps_to_the_golden_values():
    mapped = map_order(seed_order())
    assert mapped.order == GOLDEN
    assert mapped.order.customer.mobile_number == "07123456789"
    assert mapped.order.customer.address is None
    assert "line 19988 each_price_vat 22.900000000000006 read as 22.90" in mapped.notes
    assert "address not pre-filled: billing region country is 'United States'" in mapped.notes


def test_the_seeds_order_is_nothing_to_finance_after_the_gift_voucher():
    order = map_order(seed_order()).order
    assert order.total == Decimal("0.00")
    assert order.credit_amount == Decimal("0.00")
    # the lines and the voucher add up to what the shopper pays
    goods = sum(line.unit_price_including_vat * line.quantity for line in order.lines)
    assert goods + order.shipping - order.discount == order.total


def test_a_uk_billing_region_pre_fills_the_address():
    raw = seed_order()
    raw["user"]["billing_address"]["region"] = {"country": "United Kingdom", "county": "Worcs"}
    address = map_order(raw).order.customer.address
    assert address is not None
    assert (address.address_line_1, address.town, address.postcode, address.county) == (
        "12 Fake Street",
        "Worcester",
        "WR1 1AB",
        "Worcs",
    )


@pytest.mark.parametrize("region", [None, {}, {"country": "Ireland"}, {"country": ""}])
def test_a_missing_or_foreign_region_is_never_pre_filled(region):
    raw = seed_order()
    raw["user"]["billing_address"]["region"] = region
    assert map_order(raw).order.customer.address is None


def test_an_unknown_line_type_is_refused_with_the_type_named():
    raw = seed_order()
    raw["lines"][3]["line_type"] = "SURCHARGE"
    with pytest.raises(OrderNotFinanceable) as caught:
        map_order(raw)
    assert isinstance(caught.value, MappingError)
    assert "SURCHARGE" in caught.value.reason
    assert caught.value.order_id == "112312"


@pytest.mark.parametrize(
    ("field", "value"),
    [("price", "twelve"), ("price", True), ("price", None), ("vat", "22.905"), ("price", [])],
)
def test_malformed_money_is_refused_with_the_field_named(field, value):
    raw = seed_order()
    product = next(line for line in raw["lines"] if line["id"] == 19991)
    product[field] = value
    with pytest.raises(OrderNotFinanceable) as caught:
        map_order(raw)
    assert f"line 19991 {field}" in caught.value.reason


def test_a_float_artefact_is_read_but_a_real_third_decimal_is_not():
    raw = seed_order()
    product = next(line for line in raw["lines"] if line["id"] == 19991)
    product["each_price_vat"] = Decimal("1.405")
    with pytest.raises(OrderNotFinanceable, match="more than two decimal places"):
        map_order(raw)


def test_lines_that_do_not_add_up_to_the_totals_are_refused():
    raw = seed_order()
    next(line for line in raw["lines"] if line["id"] == 19991)["price"] = "16.90"
    with pytest.raises(OrderNotFinanceable) as caught:
        map_order(raw)
    assert caught.value.detail is not None and caught.value.detail.startswith("R1")


@pytest.mark.parametrize("rel", [99999, 0])
def test_an_option_without_its_product_is_refused(rel):
    raw = seed_order()
    raw["lines"][0]["line_rel_id"] = rel
    with pytest.raises(OrderNotFinanceable) as caught:
        map_order(raw)
    assert caught.value.detail is not None and caught.value.detail.startswith("R4")


def test_an_indivisible_row_is_split_so_the_lines_still_add_up():
    raw = seed_order()
    tubby = next(line for line in raw["lines"] if line["id"] == 19991)
    tubby.update(qty=3, price="10.00", vat="1.67")
    coupon = next(line for line in raw["lines"] if line["line_type"] == "COUPON")
    coupon["price"] = "-147.40"
    raw["totals"].update(vat="24.57", qty=4)
    order = map_order(raw).order
    split = [line for line in order.lines if line.sku == "Sauce-997706"]
    assert [(line.quantity, line.unit_price_including_vat) for line in split] == [
        (2, Decimal("3.33")),
        (1, Decimal("3.34")),
    ]
    assert all(line.unit_price_excluding_vat is None for line in split)
    assert sum(line.unit_price_including_vat * line.quantity for line in split) == Decimal("10.00")


def test_a_partial_voucher_with_vat_is_a_discount_before_vat():
    raw = seed_order()
    coupon = next(line for line in raw["lines"] if line["line_type"] == "COUPON")
    coupon.update(price="-50.00", vat="-8.33")
    raw["totals"].update(price="104.20", vat="17.37")
    order = map_order(raw).order
    assert (order.discount, order.time_discount_applied, order.total, order.vat) == (
        Decimal("50.00"),
        "beforeVat",
        Decimal("104.20"),
        Decimal("17.37"),
    )


@pytest.mark.parametrize(
    ("full_name", "recipient", "expected"),
    [
        ("Mr Bob Smith", "", ("Mr", "Bob", "Smith")),
        ("Mary Ann Smith", "", (None, None, None)),
        ("Cher", "", (None, None, None)),
        ("", "Ann Lee", (None, "Ann", "Lee")),
    ],
)
def test_names_are_split_only_when_unambiguous(full_name, recipient, expected):
    raw = seed_order()
    raw["user"]["full_name"] = full_name
    raw["user"]["billing_address"]["recipient_name"] = recipient
    customer = map_order(raw).order.customer
    assert (customer.title, customer.first_name, customer.last_name) == expected


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        (("", "", "", ""), None),
        (("", "01905 123456", "", ""), "01905 123456"),
        (("+44 7400 123456", "", "", ""), "07400123456"),
        (("", "01905 123456", "07400 123456", ""), "07400123456"),
    ],
)
def test_the_mobile_is_the_first_uk_mobile_else_the_first_number_raw(numbers, expected):
    raw = seed_order()
    billing, delivery = raw["user"]["billing_address"], raw["delivery_address"]
    billing["mobile_tel_no"], billing["tel_no"] = numbers[0], numbers[1]
    delivery["mobile_tel_no"], delivery["tel_no"] = numbers[2], numbers[3]
    assert map_order(raw).order.customer.mobile_number == expected


def test_invoice_id_missing_sends_the_order_id_again():
    raw = seed_order()
    raw["invoice_id"] = None
    assert map_order(raw).order.order_ref == "112312"


def test_two_deliveries_are_summed_and_none_is_named():
    raw = seed_order()
    delivery = next(line for line in raw["lines"] if line["line_type"] == "DELIVERY")
    raw["lines"] = [line for line in raw["lines"] if line["line_type"] != "DELIVERY"]
    order = map_order(raw).order
    assert (order.shipping_method, order.shipping_label) == ("no_delivery", "No delivery")
    second = copy.deepcopy(delivery)
    second.update(id=19993, price="5.00", vat="0.83", line_desc="Express")
    second["rel_data"]["delivery"]["name"] = "Express"
    raw["lines"] += [delivery, second]
    raw["totals"].update(delivery="5.00", price="5.00", vat="26.53")
    order = map_order(raw).order
    assert (order.shipping, order.shipping_method, order.shipping_label) == (
        Decimal("5.00"),
        "standard+express",
        "Standard + Express",
    )


def test_masking_hides_every_personal_value_of_the_seed_order():
    masked = repr(mask_personal(seed_order()))
    for personal in ("Bob", "Smith", "bob@smithnet", "Fake Street", "WR1 1AB", "07123456789"):
        assert personal not in masked
    assert "Traeger" in masked  # goods are not personal


def test_the_fixture_decodes_without_a_float():
    def floats(value: Any) -> bool:
        if isinstance(value, dict):
            return any(floats(v) for v in value.values())
        if isinstance(value, list):
            return any(floats(v) for v in value)
        return isinstance(value, float)

    assert not floats(
        loads((ROOT / "integrations" / "recplus" / "fixtures" / "order_112312.json").read_bytes())
    )
