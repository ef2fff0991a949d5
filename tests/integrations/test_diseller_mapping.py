"""DiSeller mapping (DS-M1..M7 of ADAPTERS §3.4), settings, product cache and request budget.

Pure calls on the fixtures the fake serves (seed JSON verbatim + derived files):
no I/O, no clock beyond the injected ones.
"""

from __future__ import annotations

import copy
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from dividebuy_checkout.integrations.diseller import (
    BudgetExhausted,
    DiSellerConfig,
    ProductInfo,
    RequestBudget,
    map_order,
)
from dividebuy_checkout.integrations.diseller.fake import load_fixture
from dividebuy_checkout.integrations.diseller.mapping import (
    mask_personal,
    not_payable_reason,
    product_info,
)
from dividebuy_checkout.integrations.diseller.products import ProductCache
from dividebuy_checkout.integrations.errors import MappingError

from dividebuy_checkout.orders import Address, Customer, Order, OrderLine, OrderNotFinanceable
from dividebuy_checkout.settings import ConfigurationError

SEED_ORDER = load_fixture("seed_order_ord_456.json")
SEED_CUSTOMER = load_fixture("seed_customer_cust_789.json")
SEED_PRODUCT = load_fixture("seed_product_prod_123.json")
TWIN = load_fixture("order_gbp_twin.json")
TWIN_PRODUCT = load_fixture("product_gbp_twin.json")
GB = load_fixture("gb_shop.json")

#: ADAPTERS §3.2 golden test (2), field for field.
GOLDEN = Order(
    order_id="ord_456",
    order_ref="ord_456",
    lines=(
        OrderLine(
            "Premium T-Shirt",
            2,
            unit_price_including_vat=Decimal("29.99"),
            sku="prod_123",
            vat_percentage=Decimal("20"),
        ),
    ),
    subtotal=Decimal("49.98"),
    vat=Decimal("10.00"),
    shipping=Decimal("0.00"),
    shipping_method="no_shipping",
    shipping_label="No shipping charge",
    discount=Decimal("0.00"),
    time_discount_applied="beforeVat",
    total=Decimal("59.98"),
    vat_rate=Decimal("20"),
    is_default_shipping=True,
    is_default_billing=True,
    customer=Customer(
        first_name="John",
        last_name="Doe",
        email="customer@example.com",
        mobile_number="+1234567890",
        address=None,
        title=None,
    ),
)


def _gb(kind: str, item_id: str) -> dict[str, Any]:
    return copy.deepcopy(next(x for x in GB[kind] if x["id"] == item_id))


def twin(**changes: Any) -> dict[str, Any]:
    order = copy.deepcopy(TWIN)
    order.update(changes)
    return order


def mapped(order: dict[str, Any], customer: Any = SEED_CUSTOMER, **kwargs: Any) -> Any:
    products = kwargs.pop("products", {"prod_123": product_info(TWIN_PRODUCT, "prod_123")})
    return map_order(order, customer, products, **kwargs)


# -- DS-M1 currency ---------------------------------------------------------------------------


def test_the_seed_order_verbatim_is_not_financeable_in_usd():
    products = {"prod_123": product_info(SEED_PRODUCT, "prod_123")}
    with pytest.raises(OrderNotFinanceable) as caught:
        map_order(SEED_ORDER, SEED_CUSTOMER, products)
    assert caught.value.reason == "This order is in USD; DivideBuy lends in pounds only."


def test_the_gbp_twin_maps_to_the_golden_order_exactly():
    result = mapped(twin())
    assert result.order == GOLDEN
    assert result.order.customer.mobile_number == "+1234567890"
    assert result.order.customer.address is None
    assert "address not pre-filled: the order has no shipping_address" in result.notes


@pytest.mark.parametrize("code", ["GBP", "gbp", "Gbp"])
def test_gbp_is_accepted_in_any_case(code):
    assert mapped(twin(currency=code)).order.total == Decimal("59.98")


@pytest.mark.parametrize("code", ["eur", "usd", "", None, 826])
def test_other_currencies_are_refused_with_the_reason(code):
    with pytest.raises(OrderNotFinanceable, match="DivideBuy lends in pounds only"):
        mapped(twin(currency=code))


# -- DS-M2 minor units ------------------------------------------------------------------------


def test_minor_units_become_pounds_exactly():
    order = twin(total=1, items=[{"product_id": "prod_123", "quantity": 1, "price": 1}])
    line = mapped(order).order.lines[0]
    assert line.unit_price_including_vat == Decimal("0.01")


@pytest.mark.parametrize(
    "price",
    ["2999", Decimal("29.99"), True, 10**17, -5, None, [2999]],
    ids=["string", "decimal", "bool", "huge", "negative", "null", "list"],
)
def test_unreadable_item_prices_are_mapping_errors(price):
    order = twin(items=[{"product_id": "prod_123", "quantity": 2, "price": price}])
    with pytest.raises(MappingError, match=r"items\[0\]\.price"):
        mapped(order)


@pytest.mark.parametrize("total", ["5998", Decimal("59.98"), False, 10**17])
def test_unreadable_totals_are_mapping_errors(total):
    with pytest.raises(MappingError, match="total"):
        mapped(twin(total=total))


def test_an_integral_decimal_is_read_as_the_integer_it_is():
    order = twin(total=Decimal("5998.0"))
    assert mapped(order).order.total == Decimal("59.98")


@pytest.mark.parametrize("quantity", [0, Decimal("1.5"), -1, "2", True])
def test_unusable_quantities_are_mapping_errors(quantity):
    order = twin(items=[{"product_id": "prod_123", "quantity": quantity, "price": 2999}])
    with pytest.raises(MappingError, match="quantity"):
        mapped(order)


def test_an_order_without_items_is_refused():
    with pytest.raises(MappingError, match="no items"):
        mapped(twin(items=[]))


# -- DS-M3 residuals --------------------------------------------------------------------------


def test_a_positive_residual_is_shipping():
    order = mapped(twin(total=5998 + 499)).order
    assert (order.shipping, order.discount, order.total) == (
        Decimal("4.99"),
        Decimal("0.00"),
        Decimal("64.97"),
    )
    assert (order.shipping_method, order.shipping_label) == ("shipping", "Shipping")
    # VAT from the total as given, subtotal from the goods: never a recomputed total
    assert order.vat == Decimal("10.83") and order.subtotal == Decimal("49.98")


def test_a_negative_residual_is_a_discount():
    order = mapped(twin(total=5998 - 1000)).order
    assert (order.shipping, order.discount, order.total) == (
        Decimal("0.00"),
        Decimal("10.00"),
        Decimal("49.98"),
    )
    assert order.shipping_method == "no_shipping"


@pytest.mark.parametrize("total", [5998 + 1, 5998 - 1])
def test_refuse_means_any_residual_is_a_mapping_error(total):
    with pytest.raises(MappingError, match="residual"):
        mapped(twin(total=total), residual="refuse")
    assert mapped(twin(), residual="refuse").order.total == Decimal("59.98")


def test_a_hundred_percent_discount_leaves_nothing_to_lend():
    order = mapped(twin(total=0)).order
    assert order.total == Decimal("0.00") and order.discount == Decimal("59.98")
    assert order.credit_amount == Decimal("0.00")  # the checkout says "not available"


def test_the_vat_rate_is_a_setting():
    order = mapped(twin(), vat_rate=Decimal("0")).order
    assert order.vat == Decimal("0.00") and order.subtotal == Decimal("59.98")
    assert order.lines[0].vat_percentage == Decimal("0")


# -- DS-M4 products ---------------------------------------------------------------------------


def test_a_missing_product_leaves_its_id_as_the_name_with_a_note():
    result = mapped(twin(), products={"prod_123": None})
    assert result.order.lines[0].name == "prod_123"
    assert "product prod_123 not found: its id is used as the line name" in result.notes


def test_a_product_in_another_currency_is_refused():
    products = {"prod_123": product_info(SEED_PRODUCT, "prod_123")}  # usd
    with pytest.raises(MappingError, match="another currency") as caught:
        mapped(twin(), products=products)
    assert "D2" in (caught.value.detail or "")


def test_a_product_without_a_name_is_named_by_its_id():
    assert product_info({"currency": "gbp"}, "prod_9") == ProductInfo("prod_9", "prod_9", "gbp")


# -- DS-M5 customer ---------------------------------------------------------------------------


def test_no_customer_means_no_names_and_is_not_an_error():
    result = mapped(twin(customer_id=None), customer=None)
    assert result.order.customer == Customer()
    assert any("customer not found" in note for note in result.notes)


def test_a_uk_mobile_is_normalised_and_other_phones_pass_raw():
    customer = {**SEED_CUSTOMER, "phone": "+44 7400 123456"}
    assert mapped(twin(), customer).order.customer.mobile_number == "07400123456"
    assert mapped(twin()).order.customer.mobile_number == "+1234567890"
    assert mapped(twin(), {**SEED_CUSTOMER, "phone": None}).order.customer.mobile_number is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("John Doe", (None, "John", "Doe")),
        ("Mr Sam Price", ("Mr", "Sam", "Price")),
        ("Prince", (None, None, None)),
        ("Mary Ann Smith", (None, None, None)),
        (None, (None, None, None)),
    ],
)
def test_names_are_split_only_when_unambiguous(name, expected):
    customer = mapped(twin(), {**SEED_CUSTOMER, "name": name}).order.customer
    assert (customer.title, customer.first_name, customer.last_name) == expected


# -- DS-M6 address ----------------------------------------------------------------------------


def test_a_gb_shipping_address_is_pre_filled_street_split_into_lines():
    order = _gb("orders", "ord_gb_1")
    customer = _gb("customers", "cust_gb_1")
    products = {"prod_sofa": product_info(_gb("products", "prod_sofa"), "prod_sofa")}
    result = map_order(order, customer, products)
    assert result.order.customer.address == Address(
        address_line_1="Flat 2",
        address_line_2="10 High Street",
        town="Leeds",
        county="West Yorkshire",
        postcode="LS1 4AP",
    )


@pytest.mark.parametrize("country", ["GB", "gb", "UK", "uk", "United Kingdom"])
def test_uk_country_spellings_pre_fill(country):
    address = {"street": "4 Mill Lane", "city": "York", "zip": "YO1 7HH", "country": country}
    assert mapped(twin(shipping_address=address)).order.customer.address is not None


def test_a_us_address_is_not_pre_filled_and_the_note_says_why():
    address = {"street": "123 Main St", "city": "San Francisco", "zip": "94102", "country": "US"}
    result = mapped(twin(shipping_address=address))
    assert result.order.customer.address is None
    assert "address not pre-filled: shipping_address country is 'US'" in result.notes


def test_a_long_street_is_folded_into_three_lines():
    address = {"street": "A\nB\nC\nD", "city": "Leeds", "zip": "LS1 1AA", "country": "GB"}
    found = mapped(twin(shipping_address=address)).order.customer.address
    assert found is not None
    assert (found.address_line_1, found.address_line_2, found.address_line_3) == ("A", "B", "C, D")


def test_an_incomplete_uk_address_is_not_pre_filled():
    address = {"street": "4 Mill Lane", "city": "", "zip": "YO1 7HH", "country": "GB"}
    assert mapped(twin(shipping_address=address)).order.customer.address is None


# -- DS-M7 payable ----------------------------------------------------------------------------


def test_a_cancelled_order_is_not_payable():
    reason = not_payable_reason(twin(status="cancelled"), payable_statuses=None)
    assert "cancelled" in (reason or "")
    assert not_payable_reason(twin(), payable_statuses=None) is None
    narrowed = frozenset({"pending"})
    assert "PAYABLE_STATUSES" in (not_payable_reason(twin(), payable_statuses=narrowed) or "")


# -- masking ----------------------------------------------------------------------------------


def test_mask_personal_hides_the_customer_and_address_but_not_product_names():
    bundle = {
        "order": _gb("orders", "ord_gb_1"),
        "customer": _gb("customers", "cust_gb_1"),
        "products": {"prod_sofa": {"name": "Three-seat sofa", "currency": "gbp"}},
    }
    masked = mask_personal(bundle)
    text = repr(masked)
    for secret in ("Ann Lee", "ann.lee@", "7400", "High Street", "LS1 4AP", "Leeds"):
        assert secret not in text
    assert masked["products"]["prod_sofa"]["name"] == "Three-seat sofa"
    assert masked["order"]["shipping_address"]["country"] == "GB"


# -- settings ---------------------------------------------------------------------------------

KEY = {"DIVIDEBUY_DISELLER_API_KEY": "sk_test_123"}


def test_settings_defaults():
    config = DiSellerConfig.from_mapping(KEY)
    assert config.base_url == "https://api.diseller.com/v1"
    assert (config.vat_rate, config.residual, config.requests_per_hour) == (
        Decimal("20"),
        "shipping",
        1000,
    )
    assert (config.signature_scheme, config.signature_tolerance) == ("t-v1", 300)
    assert (config.settle_event, config.refund_event) == ("order.completed", "refund.processed")
    assert config.webhook_secrets == () and config.refund_on_cancel is False
    assert "sk_test_123" not in repr(config)


def test_settings_from_the_environment_as_strings():
    config = DiSellerConfig.from_mapping(
        {
            **KEY,
            "DIVIDEBUY_DISELLER_WEBHOOK_SECRETS": "whsec_aaaaaaaaaaaaaaaa, whsec_bbbbbbbbbbbbbbbb",
            "DIVIDEBUY_DISELLER_REQUESTS_PER_HOUR": "10",
            "DIVIDEBUY_DISELLER_VAT_RATE": "5",
            "DIVIDEBUY_DISELLER_REFUND_ON_CANCEL": "true",
            "DIVIDEBUY_DISELLER_SETTLE_EVENT": "none",
            "DIVIDEBUY_DISELLER_PAYABLE_STATUSES": "pending, processing",
            "DIVIDEBUY_DISELLER_BASE_URL": "http://127.0.0.1:9/v1/",
        }
    )
    assert config.webhook_secrets == ("whsec_aaaaaaaaaaaaaaaa", "whsec_bbbbbbbbbbbbbbbb")
    assert config.requests_per_hour == 10 and config.vat_rate == Decimal("5")
    assert config.refund_on_cancel is True and config.settle_event is None
    assert config.payable_statuses == frozenset({"pending", "processing"})
    assert config.base_url == "http://127.0.0.1:9/v1"
    assert "whsec_" not in repr(config)


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ({"DIVIDEBUY_DISELLER_API_KEY": ""}, "DIVIDEBUY_DISELLER_API_KEY"),
        ({"DIVIDEBUY_DISELLER_BASE_URL": "http://api.diseller.com/v1"}, "_BASE_URL"),
        ({"DIVIDEBUY_DISELLER_WEBHOOK_SECRETS": ["short"]}, "_WEBHOOK_SECRETS"),
        ({"DIVIDEBUY_DISELLER_RESIDUAL": "ignore"}, "_RESIDUAL"),
        ({"DIVIDEBUY_DISELLER_SIGNATURE_SCHEME": "v2"}, "_SIGNATURE_SCHEME"),
        ({"DIVIDEBUY_DISELLER_VAT_RATE": "twenty"}, "_VAT_RATE"),
        ({"DIVIDEBUY_DISELLER_REQUESTS_PER_HOUR": "0"}, "_REQUESTS_PER_HOUR"),
        ({"DIVIDEBUY_DISELLER_REQUESTS_PER_HOUR": "2.5"}, "_REQUESTS_PER_HOUR"),
        ({"DIVIDEBUY_DISELLER_SIGNATURE_TOLERANCE": "-1"}, "_SIGNATURE_TOLERANCE"),
        ({"DIVIDEBUY_DISELLER_REFUND_ON_CANCEL": "maybe"}, "_REFUND_ON_CANCEL"),
        ({"DIVIDEBUY_DISELLER_ORDER_PAGE_URL": "https://shop/x"}, "_ORDER_PAGE_URL"),
    ],
)
def test_bad_settings_name_the_key(extra, names):
    with pytest.raises(ConfigurationError, match=names):
        DiSellerConfig.from_mapping({**KEY, **extra})


def test_write_back_values_are_read_only_when_switched_on():
    values = {**KEY, "DIVIDEBUY_DISELLER_STATUS_PAID": "paid"}
    assert DiSellerConfig.from_mapping(values).status_for("quote_completed") is None
    on = DiSellerConfig.from_mapping({**values, "DIVIDEBUY_DISELLER_WRITE_BACK": True})
    assert on.status_for("quote_completed") == "paid"
    assert on.status_for("quote_created") is None


# -- product cache ----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_cache_keeps_a_name_for_its_lifetime_then_reloads():
    clock, loads = Clock(), []
    cache: ProductCache[str] = ProductCache(60, clock=clock)

    def load(pid: str) -> str:
        loads.append(pid)
        return pid.upper()

    assert cache.get("a", load) == "A" and cache.get("a", load) == "A"
    clock.now += 59.9
    assert cache.get("a", load) == "A" and loads == ["a"]
    clock.now += 0.2
    assert cache.get("a", load) == "A" and loads == ["a", "a"]


def test_the_cache_drops_the_least_recently_used_and_never_keeps_misses():
    cache: ProductCache[str] = ProductCache(60, max_size=2, clock=Clock())
    loads: list[str] = []

    def load(pid: str) -> str | None:
        loads.append(pid)
        return None if pid == "gone" else pid

    cache.get("a", load), cache.get("b", load), cache.get("a", load), cache.get("c", load)
    assert cache.peek("b") is None and cache.peek("a") == "a" and len(cache) == 2
    assert cache.get("gone", load) is None and cache.get("gone", load) is None
    assert loads.count("gone") == 2


def test_the_cache_loads_once_for_thirty_concurrent_callers_and_shares_errors():
    cache: ProductCache[str] = ProductCache(60)
    calls: list[str] = []
    gate = threading.Event()

    def slow(pid: str) -> str:
        calls.append(pid)
        gate.wait(5)
        return "name"

    results: list[str | None] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("p", slow))) for _ in range(30)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert calls == ["p"] and results == ["name"] * 30

    def broken(pid: str) -> str:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        cache.get("q", broken)
    assert cache.peek("q") is None


# -- request budget ---------------------------------------------------------------------------


def test_the_budget_stops_at_its_hourly_size_and_refills_with_the_clock():
    clock = Clock()
    budget = RequestBudget(10, clock=clock)
    assert all(budget.try_spend() for _ in range(10))
    assert not budget.try_spend() and budget.remaining == 0
    assert budget.resumes_at() == pytest.approx(clock.now + 360)
    with pytest.raises(BudgetExhausted, match="stopped after 10 request") as caught:
        budget.spend(10, "ord_9")
    assert caught.value.cursor == "ord_9" and caught.value.requests == 10
    clock.now += 3600
    assert budget.remaining == 10 and budget.spent == 10
    clock.now += 7200
    assert budget.remaining == 10  # never more than one hour's worth
