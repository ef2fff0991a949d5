"""Properties (hypothesis): validation never raises, and load is a normal form.

- ``validate_quote`` answers every JSON-like input (and a valid payload with any
  value put anywhere) with an error dict, never an exception;
- ``load_quote`` of a valid payload is idempotent, and what it loads validates.
"""

from __future__ import annotations

import copy
import os
from datetime import date
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dividebuy_checkout.nationalities import nationalities
from dividebuy_checkout.schemas import enums, flatten_errors, load_quote, validate_quote

from .payloads import DELETE, TERMS, TODAY, base_payload, set_path

SETTINGS = settings(
    max_examples=int(os.environ.get("QUOTE_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text(max_size=60)
    | st.sampled_from(["", " ", "0", "1", "1e999999", "-0", "NaN", "sNaN", "£", "07", "--"])
)
json_like = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def _paths(node: Any, prefix: str = "") -> list[str]:
    """Every dotted path of a payload (objects, lists and leaves)."""
    paths = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, value in items:
        path = f"{prefix}{key}"
        paths.append(path)
        paths.extend(_paths(value, path + "."))
    return paths


BASE_PATHS = _paths(base_payload())


def _assert_sentences(errors: dict) -> None:
    for path, messages in flatten_errors(errors).items():
        assert isinstance(path, str)
        for message in messages:
            assert message[:1].isupper() and message.endswith("."), message
            assert "Traceback" not in message and "NoneType" not in message


@SETTINGS
@given(json_like)
def test_validate_never_raises_on_json_like_input(payload: Any) -> None:
    errors = validate_quote(payload, available_terms=TERMS, today=TODAY)
    assert isinstance(errors, dict)
    assert errors  # nothing arbitrary is a valid quote request
    _assert_sentences(errors)


@SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from(BASE_PATHS), json_like | st.just(DELETE)),
        min_size=1,
        max_size=4,
    )
)
def test_validate_never_raises_with_any_value_anywhere(changes: list[tuple[str, Any]]) -> None:
    payload = base_payload()
    for path, value in changes:
        try:
            set_path(payload, path, value)
        except (AttributeError, KeyError, IndexError, TypeError, ValueError):
            continue  # an earlier change removed or replaced the parent
    errors = validate_quote(payload, available_terms=TERMS, today=TODAY)
    assert isinstance(errors, dict)
    _assert_sentences(errors)
    if not errors:
        once = load_quote(payload, available_terms=TERMS, today=TODAY)
        assert load_quote(once, available_terms=TERMS, today=TODAY) == once


def _case_of(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, text.lower(), text.upper(), f"  {text} "])


def _amount(pence: int) -> st.SearchStrategy[Any]:
    exact = Decimal(pence) / 100
    forms = [st.just(exact), st.just(f"{exact:.2f}"), st.just(float(exact))]
    if pence % 100 == 0:
        forms.append(st.just(pence // 100))
    return st.one_of(forms)


MOBILES = ["07400 123456", "+44 7911 123456", "+44 (0)7700 123456", "(07457) 123-456"]
POSTCODES = ["SW1A 1AA", "ec1a1bb", " w1a 0ax ", "M1 1AE", "B33 8TH", "cr2 6xh", "DN55 1PT"]


@st.composite
def valid_payloads(draw: st.DrawFn) -> dict[str, Any]:
    payload = base_payload()
    customer, order = payload["customer"], payload["order"]
    customer["title"] = draw(st.sampled_from(enums.TITLES).flatmap(_case_of))
    customer["first_name"] = draw(st.from_regex(r"\A[A-Za-z][A-Za-z' -]{0,40}\Z"))
    customer["last_name"] = draw(st.from_regex(r"\A[A-Za-z]{2}[A-Za-z'-]{0,40}\Z"))
    born = draw(
        st.dates(
            min_value=TODAY - relativedelta(years=101) + relativedelta(days=1),
            max_value=TODAY - relativedelta(years=18),
        )
    )
    customer["date_of_birth"] = draw(st.sampled_from([born.isoformat(), born]))
    customer["mobile_number"] = draw(st.sampled_from(MOBILES))
    customer["address"]["postcode"] = draw(st.sampled_from(POSTCODES))
    customer["address"]["town"] = draw(st.from_regex(r"\A[A-Za-z][A-Za-z -]{0,24}\Z"))
    current = draw(st.integers(min_value=0, max_value=80))
    customer["address"]["time_at_address"] = f"{current // 12}-{current % 12}"
    previous = []
    covered = current
    while covered < 36:
        months = draw(st.integers(min_value=1, max_value=40))
        previous.append(
            {
                "address_line_1": "1 Mill Lane",
                "time_at_address": f"{months // 12:02d}-{months % 12}",
            }
        )
        covered += months
    customer["previous_addresses"] = previous
    customer["income_type"] = draw(st.sampled_from(enums.INCOME_TYPES).flatmap(_case_of))
    status = draw(st.sampled_from(enums.RESIDENTIAL_STATUSES))
    customer["residential_status"] = status
    rent = draw(st.integers(min_value=0, max_value=5000))
    if status in enums.RENT_NOT_REQUIRED and draw(st.booleans()):
        customer.pop("rent")
    else:
        customer["rent"] = draw(st.sampled_from([rent, str(rent), f"£{rent}", f"{rent}.00"]))
    customer["ip_address"] = str(draw(st.ip_addresses()))
    customer["nationality"] = draw(st.sampled_from(nationalities()).flatmap(_case_of))

    total = draw(st.integers(min_value=1, max_value=10**8))
    upfront = draw(st.integers(min_value=0, max_value=total - 1))
    order["total"] = draw(_amount(total))
    order["upfront_payment"] = draw(_amount(upfront))
    order["credit_amount"] = draw(_amount(total - upfront))
    order["subtotal"] = draw(_amount(draw(st.integers(min_value=0, max_value=10**8))))
    order["selected_instalment_term"] = draw(st.sampled_from([*TERMS, "12", " 6 "]))
    order["instalment_date"] = draw(st.integers(min_value=1, max_value=31))
    order["is_default_shipping"] = draw(st.sampled_from([0, 1, True, False, "0", "1"]))
    source = draw(st.sampled_from([DELETE, "", None, *enums.SOURCES, "IN-STORE"]))
    if source is DELETE:
        order.pop("source", None)
    else:
        order["source"] = source
    if draw(st.booleans()):
        payload.pop("payment")
    else:
        payload["payment"]["sort_code"] = draw(st.sampled_from(["123456", "12-34-56", "12 34 56"]))
    return copy.deepcopy(payload)


@SETTINGS
@given(valid_payloads())
def test_load_of_a_valid_payload_is_idempotent_and_validates(payload: dict[str, Any]) -> None:
    assert validate_quote(payload, available_terms=TERMS, today=TODAY) == {}
    once = load_quote(payload, available_terms=TERMS, today=TODAY)
    assert load_quote(once, available_terms=TERMS, today=TODAY) == once
    assert validate_quote(once, available_terms=TERMS, today=TODAY) == {}
    order = once["order"]
    for key in ("total", "upfront_payment", "credit_amount", "subtotal"):
        assert isinstance(order[key], Decimal) and order[key].as_tuple().exponent == -2
    assert order["credit_amount"] == order["total"] - order["upfront_payment"]
    assert isinstance(order["selected_instalment_term"], int)
    assert order["is_default_shipping"] in (0, 1) and type(order["is_default_shipping"]) is int
    assert once["customer"]["mobile_number"].startswith("07")
    assert isinstance(once["customer"]["date_of_birth"], str)
    assert date.fromisoformat(once["customer"]["date_of_birth"])
