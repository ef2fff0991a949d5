"""Terms and representative examples: the wire envelope, the limits, the bad amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dividebuy_checkout import routes
from dividebuy_checkout.money import format_gbp, loads


def _terms(api, amount: str) -> dict[int, dict]:
    response = api.terms(amount)
    assert response.status_code == 200, response.text
    body = loads(response.content)
    assert body["status"] == "success" and body["message"]
    return {term["months_in_term"]: term for term in body["data"]["terms"]}


def test_terms_envelope_matches_the_wire_contract(api):
    response = api.terms("2000.00")
    body = loads(response.content)
    assert body["data"]["order_value"] == Decimal("2000.00")
    keys = {
        "type", "available", "months_in_term", "interest_rate", "minimum_spend", "maximum_spend",
        "first_instalment_cost", "regular_instalment_cost", "final_instalment_cost",
        "total_loan_value", "total_to_pay", "total_interest",
    }  # fmt: skip
    assert all(set(term) == keys for term in body["data"]["terms"])
    assert response.headers["Content-Type"].startswith("application/json")


def test_2000_over_12_months_is_the_documents_example(api):
    twelve = _terms(api, "2000.00")[12]
    assert twelve["type"] == "interest-free" and twelve["available"] is True
    assert twelve["interest_rate"] == 0
    assert twelve["first_instalment_cost"] == Decimal("166.67")
    assert twelve["regular_instalment_cost"] == Decimal("166.67")
    assert twelve["final_instalment_cost"] == Decimal("166.63")
    assert twelve["total_loan_value"] == Decimal("1833.33")
    assert twelve["total_to_pay"] == Decimal("2000.00")
    assert twelve["total_interest"] == 0


def test_every_term_adds_up_exactly(api):
    for months, term in _terms(api, "1234.57").items():
        total = (
            term["first_instalment_cost"]
            + term["regular_instalment_cost"] * (months - 2)
            + term["final_instalment_cost"]
        )
        assert total == term["total_to_pay"]
        assert term["total_interest"] == term["total_to_pay"] - Decimal("1234.57")


def test_interest_bearing_terms_carry_their_rate(api):
    terms = _terms(api, "2000.00")
    assert terms[24]["type"] == terms[36]["type"] == "interest-bearing"
    assert terms[24]["interest_rate"] == Decimal("9.9")
    assert terms[36]["total_interest"] > terms[24]["total_interest"] > 0


@pytest.mark.parametrize(
    ("amount", "free", "bearing"),
    [
        ("249.99", False, False),
        ("250.00", True, False),
        ("999.99", True, False),
        ("1000.00", True, True),
        ("15000.00", True, True),
        ("15000.01", False, False),
        ("0", False, False),
    ],
)
def test_availability_follows_the_spend_limits(api, amount, free, bearing):
    terms = _terms(api, amount)
    assert {terms[m]["available"] for m in (3, 6, 9, 10, 12)} == {free}
    assert {terms[m]["available"] for m in (24, 36)} == {bearing}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "required"),
        ({"amount": ""}, "required"),
        ({"amount": "lots"}, "number"),
        ({"amount": "NaN"}, "number"),
        ({"amount": "-1.00"}, "at least 0"),
        ({"amount": "10.005"}, "decimal places"),
        ({"amount": "1e400"}, "greater than"),
    ],
)
def test_bad_amounts_are_a_laravel_422(api, params, message):
    response = api.get(routes.TERMS.path, **params)
    assert response.status_code == 422
    body = response.json()
    assert body["message"] and message in body["errors"]["amount"][0]


def test_representative_example_matches_the_terms(api):
    term = _terms(api, "2000.00")[24]
    response = api.get(routes.REPRESENTATIVE_EXAMPLE.path, amount="2000.00", term=24)
    assert response.status_code == 200
    body = loads(response.content)
    assert body["status"] == "success" and body["message"]
    data = body["data"]
    assert (data["amount"], data["term"], data["apr"]) == (Decimal("2000.00"), 24, Decimal("9.9"))
    html = data["html"]
    assert html.startswith("<strong>Representative Example:</strong>")
    assert f"Cash price of goods is {format_gbp(Decimal('2000'))}" in html
    assert f"Total amount of credit is {format_gbp(term['total_loan_value'])}" in html
    assert f"total amount payable is {format_gbp(term['total_to_pay'])}" in html
    assert f"{format_gbp(term['total_interest'])} in interest" in html
    assert f"22 monthly payments of {format_gbp(term['regular_instalment_cost'])}" in html
    assert f"final payment of {format_gbp(term['final_instalment_cost'])}" in html
    assert "representative 9.9% APR" in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"amount": "2000.00", "term": "7"}, "term"),
        ({"amount": "2000.00", "term": "twelve"}, "term"),
        ({"amount": "2000.00"}, "term"),
        ({"amount": "500.00", "term": "24"}, "amount"),
        ({"term": "12"}, "amount"),
    ],
)
def test_representative_example_refuses_unknown_terms_and_amounts(api, params, field):
    response = api.get(routes.REPRESENTATIVE_EXAMPLE.path, **params)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_rate_card_is_configurable(sandbox, api):
    from dividebuy_checkout.sandbox import RateCardEntry

    sandbox.state.configure(rate_card=(RateCardEntry(4, maximum_spend=Decimal("600.00")),))
    terms = _terms(api, "500.00")
    assert list(terms) == [4] and terms[4]["available"] is True
    assert terms[4]["maximum_spend"] == Decimal("600.00")
