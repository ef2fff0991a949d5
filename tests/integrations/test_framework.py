"""The shared platform helpers and the order-source factory."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from dividebuy_checkout.integrations import build_order_source
from dividebuy_checkout.integrations._http import PlatformHTTP
from dividebuy_checkout.integrations._money import (
    pounds,
    pounds_from_minor,
    require_gbp,
    split_line,
)
from dividebuy_checkout.integrations.errors import MappingError, PlatformError
from dividebuy_checkout.integrations.recplus import RecPlusOrderSource
from dividebuy_checkout.integrations.recplus.client import recplus_error_envelope
from hypothesis import given
from hypothesis import strategies as st

from dividebuy_checkout.orders import Order, OrderNotFinanceable
from dividebuy_checkout.retry import RetryPolicy
from dividebuy_checkout.settings import ConfigurationError

RECPLUS = {
    "DIVIDEBUY_RECPLUS_BASE_URL": "https://shop.example/api/v1",
    "DIVIDEBUY_RECPLUS_API_USER": "api",
    "DIVIDEBUY_RECPLUS_API_PASS": "secret",
}


@given(
    row=st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2),
    quantity=st.integers(min_value=1, max_value=10_000),
)
def test_a_split_row_adds_up_exactly_in_at_most_two_lines(row, quantity):
    parts = split_line(row, quantity)
    assert 1 <= len(parts) <= 2
    assert sum(p.unit * p.quantity for p in parts) == row
    assert sum(p.quantity for p in parts) == quantity
    assert all(p.quantity >= 1 and p.unit == p.unit.quantize(Decimal("0.01")) for p in parts)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.00", "0.00"),
        (0, "0.00"),
        (Decimal("0.0"), "0.00"),
        ("16.80", "16.80"),
        (Decimal("22.900000000000006"), "22.90"),
        (Decimal("1.4000000000000004"), "1.40"),
    ],
)
def test_pounds_reads_strings_numbers_and_float_artefacts(value, expected):
    assert pounds(value, "price").amount == Decimal(expected)


@pytest.mark.parametrize("value", [Decimal("22.905"), True, None, 1.5, [], "NaN", "abc", "-1.00"])
def test_pounds_refuses_what_is_not_an_amount(value):
    with pytest.raises(MappingError):
        pounds(value, "price")


def test_minor_units_and_currency():
    assert pounds_from_minor(2999, "amount") == Decimal("29.99")
    assert pounds_from_minor(Decimal("2999"), "amount") == Decimal("29.99")
    for bad in ("2999", 29.99, True, Decimal("29.5")):
        with pytest.raises(MappingError):
            pounds_from_minor(bad, "amount")
    require_gbp("gbp", "order")
    with pytest.raises(OrderNotFinanceable, match="USD"):
        require_gbp("usd", "order")


def test_build_order_source_recplus():
    source = build_order_source("recplus", RECPLUS)
    assert isinstance(source, RecPlusOrderSource)
    assert source.base_url == "https://shop.example/api/v1"
    source.close()


def test_build_order_source_names_the_missing_settings():
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_RECPLUS_API_PASS"):
        build_order_source("recplus", {**RECPLUS, "DIVIDEBUY_RECPLUS_API_PASS": ""})


def test_build_order_source_refuses_non_gbp_and_looping_statuses():
    with pytest.raises(ConfigurationError, match="GBP"):
        build_order_source("recplus", {**RECPLUS, "DIVIDEBUY_RECPLUS_CURRENCY": "EUR"})
    with pytest.raises(ConfigurationError, match="settle or refund"):
        build_order_source(
            "recplus",
            {
                **RECPLUS,
                "DIVIDEBUY_RECPLUS_SETTLE_STATUSES": "Dispatched, Paid",
                "DIVIDEBUY_RECPLUS_STATUS_PAID": "Paid",
            },
        )


@pytest.mark.parametrize(
    ("name", "key"),
    [("diseller", "DIVIDEBUY_DISELLER_API_KEY"), ("divendo", "DIVIDEBUY_DIVENDO_CLIENT_ID")],
)
def test_every_platform_is_built_and_names_its_missing_setting(name, key):
    with pytest.raises(ConfigurationError, match=key):
        build_order_source(name, {})


class _ShopSource:
    def __init__(self, config=None):
        self.config = config

    def get_order(self, order_id: str) -> Order | None:
        return None


SHOP_SOURCE = _ShopSource()


def test_build_order_source_module_object_instance_or_factory():
    assert build_order_source(f"{__name__}:SHOP_SOURCE", {}) is SHOP_SOURCE
    built = build_order_source(f"{__name__}:_ShopSource", {"A": 1})
    assert isinstance(built, _ShopSource) and built.config == {"A": 1}


@pytest.mark.parametrize("name", ["", "nope", "no_such_module:x", f"{__name__}:missing", ":x"])
def test_build_order_source_refuses_unusable_names(name):
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_ORDER_SOURCE"):
        build_order_source(name, {})


def _http(handler, waits):
    return PlatformHTTP(
        "recplus",
        "https://shop.example/api/v1",
        setting="DIVIDEBUY_RECPLUS_BASE_URL",
        retry=RetryPolicy(max_attempts=3),
        error_envelope=recplus_error_envelope,
        sleep=waits.append,
        transport=httpx.MockTransport(handler),
    )


def test_an_http_date_retry_after_falls_back_to_backoff():
    waits: list[float] = []
    replies = iter([429, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(replies)
        headers = {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"} if status == 429 else {}
        return httpx.Response(status, json={"ok": True}, headers=headers)

    reply = _http(handler, waits).request("GET", "/orders")
    assert reply.status == 200
    assert len(waits) == 1 and 0 <= waits[0] <= RetryPolicy().base_delay


def test_the_platform_message_is_decoded_from_its_envelope():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"errors": [{"status": 400, "message": "Missing status"}]})

    with pytest.raises(PlatformError) as caught:
        _http(handler, []).request("POST", "/orders/{id}", path_params={"id": "1"}, json_body={})
    assert (caught.value.status, caught.value.message) == (400, "Missing status")


def test_path_parameters_are_quoted_so_an_id_cannot_change_the_path():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(404, json={"errors": [{"status": 404, "message": "Order not found"}]})

    _http(handler, []).request(
        "GET", "/orders/{id}", path_params={"id": "1?x=../2"}, ok_statuses=frozenset({404})
    )
    assert seen == ["/api/v1/orders/1%3Fx%3D..%2F2"]


def test_every_platform_assumption_is_in_the_docs_once():
    from pathlib import Path

    from dividebuy_checkout.integrations.assumptions import ASSUMPTIONS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "assumptions.md").read_text()
    keys = [a.key for a in ASSUMPTIONS]
    assert len(keys) == len(set(keys))
    for key in keys:
        assert docs.count(f"| `{key}` |") == 1, key


@given(st.text(max_size=80))
def test_name_split_never_raises_and_never_invents(text):
    from dividebuy_checkout.integrations._people import split_full_name

    title, first, last = split_full_name(text)
    tokens = text.split()
    assert (first is None) == (last is None)
    if first is not None:
        assert [first, last] == tokens[-2:]
    if title is not None:
        assert title.casefold() == tokens[0].removesuffix(".").casefold()


@given(st.lists(st.one_of(st.none(), st.text(max_size=30), st.integers()), max_size=5))
def test_mobile_pick_never_raises_and_picks_a_given_value(candidates):
    from dividebuy_checkout.integrations._people import pick_mobile

    picked = pick_mobile(candidates)
    if picked is not None:
        given_texts = [c for c in candidates if isinstance(c, str)]
        assert picked in [c.strip() for c in given_texts] or picked.startswith("07")
