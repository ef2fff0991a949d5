"""Divendo mapping (ADAPTERS §4.2, DV-T4, DV-T5): golden tests on the package fixtures and
each invariant broken on a copy. Pure function calls: no HTTP here."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from dividebuy_checkout.integrations.divendo import DivendoConfig, DivendoOrderShape, map_order
from dividebuy_checkout.integrations.divendo.fake import SEED_CONTACT_ID, load_fixture
from dividebuy_checkout.integrations.divendo.fake.app import parse_when
from dividebuy_checkout.integrations.divendo.mapping import (
    mask_personal,
    needs_contact,
    not_payable_reason,
)
from dividebuy_checkout.integrations.errors import MappingError

from dividebuy_checkout.orders import Address, Customer, OrderLine, OrderNotFinanceable
from dividebuy_checkout.settings import ConfigurationError

#: the seed's e-mail is a page-scrape artefact, kept verbatim (with its no-break space)
SEED_EMAIL = "[email\xa0protected]"
#: the e-mail of the public example order (a plain space)
ORDER_EMAIL = "[email protected]"
SEED_CUSTOMER = Customer(
    title="Mr",
    first_name="Test",
    last_name="Customer",
    email=ORDER_EMAIL,
    mobile_number="02030869860",
    address=Address(
        address_line_1="20-22 Wenlock Road", town="London", county="London", postcode="N1 7GU"
    ),
)


def order(name: str = "order_financeable.json") -> dict[str, Any]:
    return load_fixture(name)


def contact() -> dict[str, Any]:
    return load_fixture(f"contact_{SEED_CONTACT_ID}.json")


def test_the_seed_contact_is_kept_verbatim():
    seed = contact()
    assert seed["id"] == SEED_CONTACT_ID
    assert seed["contactnumbers"] == ["02030869860"]
    assert seed["preferences"]["sms"]["optoutreason"] == "optout"
    assert seed["emails"] == [SEED_EMAIL]


def test_golden_public_example_with_the_seed_contact():
    raw = order("order_public_example.json")
    assert needs_contact(raw)
    mapped = map_order(raw, contact())
    got = mapped.order
    assert got.order_id == "5668f38d46fc510c6c0d4705" and got.order_ref == "159949"
    assert got.total == Decimal("5.00") and got.shipping == Decimal("0.00")
    assert got.vat == Decimal("0.83") and got.subtotal == Decimal("4.17")
    assert got.lines == (
        OrderLine(
            "Sylvanian Families Family Set (Barbeque)",
            1,
            unit_price_including_vat=Decimal("5.00"),
            sku="SYL-5033",
        ),
    )
    # the order's own e-mail wins; the rest is the seed contact, field by field
    assert got.customer == SEED_CUSTOMER
    assert got.customer.mobile_number == "02030869860" and got.customer.address is not None
    assert got.customer.address == SEED_CUSTOMER.address
    assert got.shipping_method == "standard_delivery"
    assert got.shipping_label == "Standard Delivery"
    assert got.time_discount_applied == "beforeVat" and got.vat_rate is None
    assert "mobile not pre-filled as a UK mobile: only another number was given" in mapped.notes


def test_golden_financeable_order_uses_its_embedded_billto():
    raw = order()
    assert not needs_contact(raw)
    mapped = map_order(raw, None)
    got = mapped.order
    assert got.order_id == "ord-uk-1" and got.order_ref == "160001"
    assert got.total == Decimal("1299.00")
    assert got.vat == Decimal("216.50") and got.subtotal == Decimal("1082.50")
    assert got.lines == (
        OrderLine(
            "Walnut Dining Table", 1, unit_price_including_vat=Decimal("1299.00"), sku="WDT-180"
        ),
    )
    assert got.customer == Customer(
        title="Mrs",
        first_name="Jane",
        last_name="Example",
        email="jane@example.co.uk",
        mobile_number="07911123456",  # the landline before it is passed over
        address=Address(
            address_line_1="20-22 Wenlock Road",
            town="London",
            county="London",
            postcode="N1 7GU",
        ),
    )
    assert got.customer.mobile_number == "07911123456"
    assert got.is_default_shipping and mapped.notes == ()


def test_a_cancelled_line_is_left_out_and_the_total_holds_without_it():
    mapped = map_order(order("order_cancelled_line.json"))
    got = mapped.order
    assert [line.name for line in got.lines] == ["Sofa (Green velvet)"]
    assert got.total == Decimal("1004.95") and got.shipping == Decimal("4.95")
    assert got.vat == Decimal("166.66") and got.subtotal == Decimal("833.34")
    assert got.shipping_method == "next_day"
    assert not got.is_default_shipping  # shipto differs from billto
    assert got.customer.title == "Mr"  # "Mr." read as Mr
    assert got.customer.mobile_number == "07911123457"  # +44 normalised
    assert "line 5668f38d46fc510c6c0d0042 cancelled: not financed" in mapped.notes


def test_a_sale_discount_goes_on_the_line():
    raw = order()
    line = raw["lines"][0]
    line.update(quantity=2, unitsalediscount=Decimal("99.00"), subtotal=Decimal("2400.00"))
    raw["total"] = Decimal("2400.00")
    got = map_order(raw).order
    assert got.lines[0].quantity == 2 and got.lines[0].discount == Decimal("198.00")
    assert got.lines[0].unit_price_including_vat == Decimal("1299.00")
    assert got.vat == Decimal("433.00") and got.total == Decimal("2400.00")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"subtotal": Decimal("1298.00")}, "V1"),
        ({"unittax": Decimal("1300.00")}, "V4"),
        ({"quantity": 0}, "V5"),
        ({"quantity": Decimal("1.5")}, "V5"),
        ({"unitprice": Decimal("5.999"), "subtotal": Decimal("5.999")}, "V5"),
    ],
    ids=["V1-subtotal", "V4-tax-above-price", "V5-zero-qty", "V5-half-qty", "V5-fraction-of-penny"],
)
def test_a_broken_line_invariant_is_a_mapping_error_naming_it(change, rule):
    raw = order()
    raw["lines"][0].update(change)
    with pytest.raises(MappingError) as caught:
        map_order(raw)
    assert caught.value.detail is not None and caught.value.detail.startswith(rule)
    assert caught.value.order_id == "ord-uk-1"


def test_a_total_that_does_not_add_up_is_v2():
    raw = order()
    raw["total"] = Decimal("1300.00")
    with pytest.raises(MappingError, match="does not add up") as caught:
        map_order(raw)
    assert caught.value.detail is not None and caught.value.detail.startswith("V2")


def test_no_total_is_computed_with_a_note():
    raw = order()
    del raw["total"]
    raw["shipping"]["cost"] = Decimal("5.00")
    mapped = map_order(raw)
    assert mapped.order.total == Decimal("1304.00")
    assert "total absent: computed as 1304.00" in mapped.notes


def test_a_float_artefact_reads_as_pence_with_a_note():
    raw = order()
    raw["lines"][0].update(
        unitprice=Decimal("9.990000000000002"), subtotal=Decimal("9.99"), unittax=Decimal("1.66")
    )
    raw["total"] = Decimal("9.99")
    mapped = map_order(raw)
    assert mapped.order.lines[0].unit_price_including_vat == Decimal("9.99")
    assert any("read as 9.99" in note for note in mapped.notes)


def test_a_discount_equal_to_the_goods_is_a_zero_total_order():
    raw = order()
    raw["discount"] = Decimal("1299.00")
    raw["total"] = Decimal("0.00")
    got = map_order(raw).order
    assert got.total == Decimal("0.00") and got.discount == Decimal("1299.00")


@pytest.mark.parametrize("currency", ["EUR", "usd", ""])
def test_an_order_not_in_pounds_is_not_financeable(currency):
    raw = order()
    raw["currency"] = currency
    with pytest.raises(OrderNotFinanceable, match="pounds only") as caught:
        map_order(raw)
    assert caught.value.detail is not None and caught.value.detail.startswith("V3")


def test_gbp_is_read_case_insensitively():
    raw = order()
    raw["currency"] = "gbp"
    assert map_order(raw).order.total == Decimal("1299.00")


def test_an_order_with_only_cancelled_lines_has_nothing_to_finance():
    raw = order()
    raw["lines"][0]["cancellation"] = {"reason": "Out of stock"}
    with pytest.raises(MappingError, match="no items"):
        map_order(raw)


def test_an_irish_address_is_not_pre_filled():
    mapped = map_order(order("order_ie.json"))
    assert mapped.order.customer.address is None
    assert mapped.order.customer.last_name == "Murphy"
    assert "address not pre-filled: country is 'IE'" in mapped.notes


def test_uk_is_tolerated_as_a_country():
    raw = order()
    raw["customer"]["billto"]["address"]["country"] = "UK"
    assert map_order(raw).order.customer.address is not None


def test_a_landline_only_is_passed_raw_so_the_form_asks():
    got = map_order(order("order_landline.json")).order
    assert got.customer.mobile_number == "02030869860" and got.customer.title == "Mx"


def test_without_an_order_e_mail_the_contacts_first_is_kept():
    raw = order("order_public_example.json")
    del raw["customer"]["email"]
    assert map_order(raw, contact()).order.customer.email == SEED_EMAIL


def test_no_numbers_at_all_leave_the_mobile_to_the_form():
    raw = order("order_public_example.json")
    seed = contact()
    seed["contactnumbers"] = []
    got = map_order(raw, seed).order
    assert got.customer.mobile_number is None
    assert got.customer.first_name == "Test"


def test_a_contact_not_found_still_gives_an_order_with_the_form_asking():
    mapped = map_order(order("order_public_example.json"), None)
    assert mapped.order.customer.first_name is None and mapped.order.customer.address is None
    assert mapped.order.customer.email == ORDER_EMAIL
    assert "customer not pre-filled: the order has no billing contact" in mapped.notes


def test_a_title_divendo_has_and_dividebuy_does_not_is_left_to_the_form():
    raw = order()
    raw["customer"]["billto"]["name"]["title"] = "Sir Reverend"
    assert map_order(raw).order.customer.title is None


def test_divendos_seven_fractional_digits_parse():
    when = parse_when("2018-03-29T21:09:37.0060207+01:00")
    assert when == datetime.fromisoformat("2018-03-29T21:09:37.006020+01:00")


def test_the_order_shape_can_be_moved_by_setting():
    raw = order()
    raw["totals"] = {"grand": raw.pop("total")}
    config = DivendoConfig.from_mapping(
        {
            "DIVIDEBUY_DIVENDO_CLIENT_ID": "c",
            "DIVIDEBUY_DIVENDO_CLIENT_SECRET": "s",
            "DIVIDEBUY_DIVENDO_ORDER_SHAPE": '{"total": "totals.grand"}',
        }
    )
    shape = DivendoOrderShape.with_overrides(config.order_shape)
    mapped = map_order(raw, shape=shape)
    assert mapped.order.total == Decimal("1299.00") and mapped.notes == ()
    # the default shape no longer finds the total and says it computed one
    assert "total absent: computed as 1299.00" in map_order(raw).notes


def test_an_unknown_shape_field_is_refused_at_start_up():
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_DIVENDO_ORDER_SHAPE") as caught:
        DivendoOrderShape.with_overrides({"grand_total": "x"})
    assert caught.value.key == "DIVIDEBUY_DIVENDO_ORDER_SHAPE"


def test_statuses_decide_what_is_payable():
    raw = order()
    assert not_payable_reason(raw, payable_statuses=None, closed_statuses=frozenset()) is None
    reason = not_payable_reason(
        raw, payable_statuses=None, closed_statuses=frozenset({"In Progress"})
    )
    assert reason is not None and "CLOSED_STATUSES" in reason
    reason = not_payable_reason(
        raw, payable_statuses=frozenset({"New Order"}), closed_statuses=frozenset()
    )
    assert reason is not None and "PAYABLE_STATUSES" in reason


def test_masking_hides_every_personal_value():
    masked = mask_personal({**order("order_public_example.json"), "_contact": contact()})
    text = repr(masked)
    for value in ("Wenlock", "02030869860", "N1 7GU", "Customer", ORDER_EMAIL, "10141246"):
        assert value not in text
    assert masked["lines"][0]["name"] == "Sylvanian Families Family Set"


def test_the_big_order_maps_every_line():
    from dividebuy_checkout.integrations.divendo.fake.state import big_order

    got = map_order(copy.deepcopy(big_order())).order
    assert len(got.lines) == 300 and got.total == Decimal("3000.00")
