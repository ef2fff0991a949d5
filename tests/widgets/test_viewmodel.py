"""The view-model: what a product page may say about finance, to the penny."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dividebuy_checkout.models import Terms
from dividebuy_checkout.sandbox import RateCardEntry
from dividebuy_checkout.widgets import WORDING, build_view
from dividebuy_checkout.widgets.viewmodel import example_term

from .helpers import BEARING_ONLY, INTEREST_FREE_ONLY, example_for, terms_for

#: below, at and above each limit, awkward pennies, and the document's £2,000
SPREAD = [
    "250.00", "250.01", "299.99", "333.33", "349.00", "500.00", "899.00", "999.99", "1000.00",
    "1000.01", "1234.56", "1749.00", "2000.00", "2150.00", "7777.77", "9999.99", "14999.99",
    "15000.00",
]  # fmt: skip


def full_view(amount: str):
    price = Decimal(amount)
    terms = terms_for(price)
    months = example_term(terms, price)
    example = example_for(price, months) if months else None
    return terms, build_view(price, terms, example)


@pytest.mark.parametrize("amount", SPREAD)
def test_every_figure_is_the_one_dividebuy_returned(amount):
    terms, view = full_view(amount)
    returned = {t.months_in_term: t for t in terms.available}
    assert view.eligible
    assert {t.months for t in view.terms} == set(returned)
    for shown in view.terms:
        term = returned[shown.months]
        assert shown.first == term.first_instalment_cost
        assert shown.regular == term.regular_instalment_cost
        assert shown.final == term.final_instalment_cost
        assert shown.total_payable == term.total_to_pay
        assert shown.interest == term.total_interest


@pytest.mark.parametrize("amount", SPREAD)
def test_displayed_instalments_sum_to_the_total_payable(amount):
    _, view = full_view(amount)
    for term in view.terms:
        data = term.to_dict()
        paid = (
            Decimal(data["first"])
            + Decimal(data["regular"]) * data["regular_count"]
            + Decimal(data["final"])
        )
        assert paid == Decimal(data["total_payable"])
        assert data["regular_count"] == term.months - 2
        assert data["regular_plan_text"] == f"{term.months - 2} × {data['regular_text']}"


@pytest.mark.parametrize("amount", SPREAD)
def test_headline_is_the_lowest_regular_instalment_among_available_terms(amount):
    terms, view = full_view(amount)
    lowest = min(t.regular_instalment_cost for t in terms.available)
    assert view.headline.regular == lowest
    assert f"× £{lowest:,.2f}" in view.headline_text


@settings(max_examples=200, deadline=None)
@given(pence=st.integers(min_value=25000, max_value=1500000))
def test_any_price_in_range_adds_up_to_the_penny(pence):
    price = Decimal(pence) / 100
    _, view = full_view(str(price))
    assert view.eligible
    assert all(term.instalments_sum == term.total_payable for term in view.terms)
    assert view.headline.regular == min(term.regular for term in view.terms)


def test_headline_wording_for_the_documents_example():
    view = build_view(Decimal("2000.00"), terms_for("2000.00", INTEREST_FREE_ONLY))
    assert view.headline_text == "or 12 × £166.67 interest-free"
    assert view.headline.final == Decimal("166.63")


def test_headline_can_prefer_interest_free():
    terms, _ = full_view("2000.00")
    view = build_view(
        Decimal("2000.00"), terms, example_for("2000.00", 36), prefer_interest_free=True
    )
    assert view.headline_text == "or 12 × £166.67 interest-free"
    assert {t.months for t in view.terms} == {3, 6, 9, 10, 12, 24, 36}


@pytest.mark.parametrize("amount", ["0.00", "1.00", "249.99", "15000.01", "99999.00"])
def test_price_outside_the_spend_limits_is_not_eligible(amount):
    view = build_view(Decimal(amount), terms_for(amount))
    assert not view.eligible
    assert view.terms == ()
    assert view.to_dict() == {"eligible": False, "amount": amount}


def test_a_term_flagged_available_outside_its_limits_is_not_shown():
    terms = terms_for("500.00")
    odd = dataclasses.replace(terms.terms[0], minimum_spend=Decimal("600.00"))
    view = build_view(Decimal("500.00"), Terms(terms.order_value, (odd, *terms.terms[1:])))
    assert odd.months_in_term not in {t.months for t in view.terms}


def test_interest_bearing_terms_are_shown_with_the_representative_example():
    _, view = full_view("2000.00")
    assert any(not t.interest_free for t in view.terms)
    assert view.example is not None
    assert view.example.months == 36
    assert "Representative Example" in view.example.text
    assert "£2,287.56" in view.example.text  # the 36-month total payable
    assert view.to_dict()["example"]["text"] == view.example.text


def test_without_the_example_no_rate_or_cost_of_credit_is_shown():
    view = build_view(Decimal("2000.00"), terms_for("2000.00"), None)
    assert view.eligible
    assert all(t.interest_free for t in view.terms)
    assert view.headline_text == "or 12 × £166.67 interest-free"
    body = str(view.to_dict())
    assert "APR" not in body and "interest-bearing" not in body


def test_only_interest_bearing_terms_and_no_example_shows_nothing():
    view = build_view(Decimal("2000.00"), terms_for("2000.00", BEARING_ONLY), None)
    assert not view.eligible


def test_an_interest_bearing_headline_carries_its_rate_and_example():
    view = build_view(Decimal("2000.00"), terms_for("2000.00"), example_for("2000.00", 36))
    assert view.headline_text == "or 36 × £63.54 at 9.9% APR representative"
    assert view.headline_needs_example
    assert view.to_dict()["headline"]["needs_example"] is True


def test_interest_free_only_needs_no_example():
    view = build_view(Decimal("500.00"), terms_for("500.00"), None)
    assert view.eligible and view.example is None
    assert not view.headline_needs_example


def test_credit_notice_and_gbp_formatting():
    view = build_view(Decimal("1234.56"), terms_for("1234.56"), example_for("1234.56", 36))
    data = view.to_dict()
    assert data["text"]["credit_notice"] == "Credit subject to status. UK residents aged 18+."
    assert WORDING.credit_notice == data["text"]["credit_notice"]
    assert data["amount_text"] == "£1,234.56"
    assert data["terms"][0]["total_payable_text"] == "£1,234.56"
    assert data["amount"] == "1234.56"  # exact, as a string: never a float


def test_instalments_that_do_not_add_up_show_the_remainder_as_the_final_one():
    # The API document's own example: 12 × £166.67 for £2,000.00 (which is £2,000.04).
    body = {
        "data": {
            "order_value": 2000,
            "terms": [
                {
                    "type": "interest-free", "available": True, "months_in_term": 12,
                    "interest_rate": 0, "minimum_spend": 1, "maximum_spend": 6000,
                    "first_instalment_cost": Decimal("166.67"),
                    "regular_instalment_cost": Decimal("166.67"),
                    "final_instalment_cost": Decimal("166.67"),
                    "total_loan_value": Decimal("1833.33"), "total_to_pay": 2000,
                    "total_interest": 0,
                }
            ],
        }
    }  # fmt: skip
    view = build_view(Decimal("2000.00"), Terms.from_wire(body))
    (term,) = view.terms
    assert (term.first, term.regular, term.final) == (
        Decimal("166.67"),
        Decimal("166.67"),
        Decimal("166.63"),
    )
    assert term.instalments_sum == term.total_payable == Decimal("2000.00")


def test_a_term_that_cannot_add_up_is_not_shown():
    terms = terms_for("500.00", (RateCardEntry(12),))
    broken = dataclasses.replace(terms.terms[0], regular_instalment_cost=Decimal("90.00"))
    assert not build_view(Decimal("500.00"), Terms(terms.order_value, (broken,))).eligible
