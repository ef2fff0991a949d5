"""Money: Decimal pounds in, exact JSON out, en-GB formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dividebuy_checkout.money import MoneyError, dumps, format_gbp, from_wire, loads, to_money


@pytest.mark.parametrize(
    ("given", "expected"),
    [("149.99", "149.99"), (" £1,250 ", "1250.00"), (2000, "2000.00"), (Decimal("0.1"), "0.10")],
)
def test_accepted_amounts_are_quantised_to_pennies(given, expected):
    assert to_money(given) == Decimal(expected)
    assert str(to_money(given)) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (149.99, "not a float"),
        (True, "not a float"),
        ("abc", "number of pounds"),
        ("NaN", "number of pounds"),
        ("Infinity", "number of pounds"),
        ("1e30", "too large"),
        ("12.345", "at most two decimal places"),
        ("-1", "cannot be negative"),
        (None, "number of pounds"),
    ],
)
def test_refused_amounts_raise_money_error_not_arithmetic_errors(given, message):
    with pytest.raises(MoneyError, match=message):
        to_money(given)


def test_json_round_trip_is_exact():
    payload = {"total": Decimal("1234567.89"), "items": [Decimal("0.10"), 3, "x", None, True]}
    assert dumps(payload) == b'{"total":1234567.89,"items":[0.10,3,"x",null,true]}'
    assert loads(dumps(payload)) == payload


def test_floats_are_never_encoded():
    with pytest.raises(MoneyError):
        dumps({"total": 0.1})


@pytest.mark.parametrize("wire", [Decimal("166.67"), 2000, Decimal("9.9E+1"), "12.50"])
def test_wire_amounts_are_read_as_pennies(wire):
    assert from_wire(wire) == Decimal(str(wire)).quantize(Decimal("0.01"))


def test_en_gb_formatting():
    assert format_gbp(Decimal("1234.5")) == "£1,234.50"
    assert format_gbp(Decimal("-5")) == "-£5.00"
    assert format_gbp(Decimal("1234.5"), pence=False) == "£1,235"
