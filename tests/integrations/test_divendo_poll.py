"""Divendo polling (ADAPTERS.md §4.3, DV-T6): the pure derivation on dict orders, then the
poll over real loopback HTTP (the fake Divendo and the real DivideBuy sandbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from dividebuy_checkout.integrations.divendo import DivendoConfig
from dividebuy_checkout.integrations.divendo.poll import events_from_order, uk_date
from dividebuy_checkout.integrations.errors import MappingError
from dividebuy_checkout.integrations.events import EventKind

from dividebuy_checkout.money import loads


@dataclass(frozen=True)
class Settings:
    """The four settings the derivation reads, as DivendoConfig carries them."""

    settle_on_shippingdate: bool = True
    settle_statuses: frozenset[str] = frozenset()
    refund_statuses: frozenset[str] = frozenset()
    refund_cancelled_lines: bool = True
    order_shape: dict[str, str] = field(default_factory=dict)


ORDER = """{
  "id": "5668f38d46fc510c6c0d4705",
  "ordernumber": "159949",
  "created": "2026-06-10T03:37:49.745+00:00",
  "modified": "2026-06-12T23:10:00.0060207+00:00",
  "currency": "GBP",
  "status": {"id": "56409ed246fc580098b28604", "name": "In Progress"},
  "lines": [
    {"id": "line-1", "sku": "SOFA", "name": "Sofa", "quantity": 1, "unitprice": 1299.00,
     "unitsalediscount": 0, "unittax": 216.50, "subtotal": 1299.00, "cancellation": null},
    {"id": "line-2", "sku": "LAMP", "name": "Lamp", "quantity": 2, "unitprice": 49.50,
     "unitsalediscount": 0, "unittax": 8.25, "subtotal": 99.00, "cancellation": null}
  ],
  "shipping": {"service": "Standard Delivery", "cost": 0, "shippingdate": null},
  "discount": 0,
  "total": 1398.00
}"""


def order(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = loads(ORDER)  # Decimals, as the source reads them
    for path, value in changes.items():
        target = body
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return body


def keys(events: list[Any]) -> list[str]:
    return [e.key for e in events]


# -- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-07-01T23:30:00+00:00", date(2026, 7, 2)),  # BST: 00:30 on the 2nd in the UK
        ("2026-01-15T23:30:00+00:00", date(2026, 1, 15)),  # GMT: still the 15th
        ("2018-03-29T21:09:37.0060207+01:00", date(2018, 3, 29)),  # seven fractional digits
        ("2026-07-01T22:59:59.9999999Z", date(2026, 7, 1)),
        ("2026-07-01", date(2026, 7, 1)),
        ("2026-07-01T23:30:00", date(2026, 7, 1)),  # no offset: read as UK local time
    ],
)
def test_dates_are_the_uk_calendar_day(value: str, expected: date):
    assert uk_date(value, "shipping.shippingdate") == expected


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "", 20260701, None])
def test_an_unreadable_date_names_the_field(value: Any):
    with pytest.raises(MappingError, match=r"shipping\.shippingdate"):
        uk_date(value, "shipping.shippingdate")


# -- settle --------------------------------------------------------------------------------------


def test_a_shipping_date_settles_on_its_uk_day():
    events = events_from_order(
        order(shipping__shippingdate="2026-06-20T23:30:00+00:00"), Settings()
    )

    assert len(events) == 1
    settle = events[0]
    assert settle.kind is EventKind.SETTLE
    assert settle.key == "settle:5668f38d46fc510c6c0d4705"
    assert settle.order_id == "5668f38d46fc510c6c0d4705"
    assert settle.delivered_on == date(2026, 6, 21)
    assert settle.platform == "divendo"


def test_nothing_shipped_nothing_configured_derives_nothing():
    assert events_from_order(order(), Settings()) == []
    assert events_from_order(order(shipping__shippingdate=""), Settings()) == []


def test_a_settle_status_settles_on_the_uk_day_of_modified():
    raw = order(status={"id": "x", "name": "Complete"})

    assert events_from_order(raw, Settings()) == []
    events = events_from_order(raw, Settings(settle_statuses=frozenset({"complete"})))

    assert keys(events) == ["settle:5668f38d46fc510c6c0d4705"]
    assert events[0].delivered_on == date(2026, 6, 13)  # 23:10 UTC in June is the 13th in the UK


def test_the_shipping_date_wins_over_a_settle_status():
    raw = order(
        status={"id": "x", "name": "Complete"}, shipping__shippingdate="2026-06-11T09:00:00+01:00"
    )

    events = events_from_order(raw, Settings(settle_statuses=frozenset({"Complete"})))

    assert [(e.key, e.delivered_on) for e in events] == [
        ("settle:5668f38d46fc510c6c0d4705", date(2026, 6, 11))
    ]


def test_settling_on_the_shipping_date_can_be_turned_off():
    raw = order(shipping__shippingdate="2026-06-11T09:00:00+01:00")

    assert events_from_order(raw, Settings(settle_on_shippingdate=False)) == []


def test_an_unreadable_shipping_date_is_refused_not_guessed():
    with pytest.raises(MappingError, match="shippingdate"):
        events_from_order(order(shipping__shippingdate="next Tuesday"), Settings())


# -- refunds -------------------------------------------------------------------------------------


def test_a_cancelled_line_refunds_its_subtotal():
    raw = order(lines__1__cancellation={"reason": "out of stock"})

    events = events_from_order(raw, Settings())

    assert len(events) == 1
    refund = events[0]
    assert refund.kind is EventKind.REFUND
    assert refund.key == "refund-line:5668f38d46fc510c6c0d4705:line-2"
    assert refund.amount == Decimal("99.00")
    assert refund.platform_ref == "line-2"


def test_cancelled_lines_are_ignored_unless_configured():
    raw = order(lines__1__cancellation={"reason": "out of stock"})

    assert events_from_order(raw, Settings(refund_cancelled_lines=False)) == []


def test_a_refund_status_refunds_all_that_is_left_after_the_lines():
    raw = order(
        status={"id": "r", "name": "Refunded"},
        lines__1__cancellation={"at": "2026-06-12"},
        shipping__shippingdate="2026-06-11",
    )

    events = events_from_order(raw, Settings(refund_statuses=frozenset({"Refunded"})))

    assert keys(events) == [
        "settle:5668f38d46fc510c6c0d4705",
        "refund-line:5668f38d46fc510c6c0d4705:line-2",
        "refund-full:5668f38d46fc510c6c0d4705",
    ]
    assert events[2].amount is None  # all that is left


def test_the_shops_order_shape_moves_the_paths_it_shares_with_the_mapping():
    raw = order(lines__1__cancellation={})
    raw["state"] = raw.pop("status")
    raw["lines"][1]["ref"] = raw["lines"][1].pop("id")
    shape = {"status": "state.name", "line_id": "ref"}

    events = events_from_order(
        raw, Settings(refund_statuses=frozenset({"In Progress"}), order_shape=shape)
    )

    assert keys(events) == [
        "refund-line:5668f38d46fc510c6c0d4705:line-2",
        "refund-full:5668f38d46fc510c6c0d4705",
    ]


def test_the_same_state_derives_the_same_keys():
    raw = order(lines__0__cancellation={}, shipping__shippingdate="2026-06-11")

    assert keys(events_from_order(raw, Settings())) == keys(events_from_order(raw, Settings()))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines__1__cancellation": {}, "lines__1__subtotal": 99.5}, "subtotal"),  # a float
        ({"lines__1__cancellation": {}, "lines__1__subtotal": "9.999"}, "subtotal"),
        ({"lines__1__cancellation": {}, "lines__1__id": None}, "without an id"),
        ({"lines": {"line-1": {}}}, "lines"),
        ({"id": ""}, "no id"),
    ],
)
def test_a_body_that_cannot_be_read_is_refused_with_the_field(change: dict[str, Any], field: str):
    with pytest.raises(MappingError, match=field):
        events_from_order(order(**change), Settings())


CREDENTIALS = {"DIVIDEBUY_DIVENDO_CLIENT_ID": "poll", "DIVIDEBUY_DIVENDO_CLIENT_SECRET": "s"}


def test_the_shops_settings_drive_the_derivation():
    config = DivendoConfig.from_mapping(
        {
            **CREDENTIALS,
            "DIVIDEBUY_DIVENDO_SETTLE_STATUSES": "Complete",
            "DIVIDEBUY_DIVENDO_REFUND_STATUSES": "Refunded",
            "DIVIDEBUY_DIVENDO_REFUND_CANCELLED_LINES": "false",
        }
    )
    raw = order(status={"id": "x", "name": "Complete"}, lines__1__cancellation={})

    assert keys(events_from_order(raw, config)) == ["settle:5668f38d46fc510c6c0d4705"]
    # by default a cancelled line is refunded (issue 14; DivendoConfig's docstring)
    default = DivendoConfig.from_mapping(CREDENTIALS)
    assert keys(events_from_order(raw, default)) == ["refund-line:5668f38d46fc510c6c0d4705:line-2"]
