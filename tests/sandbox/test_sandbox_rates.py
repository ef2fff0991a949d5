"""The instalment maths: exact to the penny, never negative, as the document shows it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dividebuy_checkout.money import format_gbp
from dividebuy_checkout.sandbox.config import DEFAULT_RATE_CARD, RateCardEntry
from dividebuy_checkout.sandbox.rates import instalments, representative_html, term_for_wire

amounts = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)
months = st.integers(min_value=2, max_value=60)
rates = st.sampled_from([Decimal(0), Decimal("9.9"), Decimal("19.9"), Decimal("29.9")])


@given(amount=amounts, term=months, rate=rates)
def test_instalments_always_add_up_to_the_total_and_are_never_negative(amount, term, rate):
    plan = instalments(amount, term, rate)
    assert plan.first + plan.regular * (term - 2) + plan.final == plan.total_to_pay
    assert min(plan.first, plan.regular, plan.final) >= 0
    for figure in (plan.first, plan.regular, plan.final, plan.total_to_pay):
        assert figure == figure.quantize(Decimal("0.01"))
    assert plan.total_to_pay >= amount
    if rate == 0:
        assert plan.total_to_pay == amount and plan.total_interest == 0


@given(amount=st.decimals(min_value=1, max_value=100_000, places=2), term=months)
def test_interest_free_final_instalment_is_within_pennies_of_the_others(amount, term):
    plan = instalments(amount, term)
    # Rounding moves at most a penny per instalment into the final one (half a penny
    # rounding half-up; a whole one in the rare round-down case).
    assert abs(plan.final - plan.regular) <= Decimal("0.01") * term


def test_the_documents_example_2000_over_12_months():
    plan = instalments(Decimal("2000"), 12)
    assert (plan.first, plan.regular, plan.final) == (
        Decimal("166.67"),
        Decimal("166.67"),
        Decimal("166.63"),
    )
    assert plan.total_loan_value == Decimal("1833.33")
    assert plan.total_to_pay == Decimal("2000.00")


def test_a_few_pence_over_many_months_rounds_down_instead_of_going_negative():
    plan = instalments(Decimal("0.18"), 12)  # 0.015 a month would round up to 0.02
    assert plan.final >= 0
    assert plan.first + plan.regular * 10 + plan.final == Decimal("0.18")


def test_interest_bearing_terms_charge_interest_at_the_apr():
    plan = instalments(Decimal("2000"), 24, Decimal("9.9"))
    # The first of 24 level instalments is paid at signing; the credit (2,000 - 91.09) is
    # repaid by 22 × 91.09 and a final 91.06 from month 1, which is 9.9 % APR exactly.
    assert (plan.first, plan.regular, plan.final) == (
        Decimal("91.09"),
        Decimal("91.09"),
        Decimal("91.06"),
    )
    assert plan.total_loan_value == Decimal("1908.91")
    assert plan.total_to_pay == Decimal("2186.13")
    assert plan.total_interest == Decimal("186.13")


def test_wire_term_reports_limits_and_availability():
    entry = RateCardEntry(12, minimum_spend=Decimal("250.00"), maximum_spend=Decimal("15000.00"))
    assert term_for_wire(entry, Decimal("250.00"))["available"] is True
    assert term_for_wire(entry, Decimal("249.99"))["available"] is False
    assert term_for_wire(entry, Decimal("15000.01"))["available"] is False
    assert term_for_wire(entry, Decimal("2000.00"))["type"] == "interest-free"


def test_representative_example_text_uses_the_same_figures_as_the_terms():
    plan = instalments(Decimal("2000"), 36, Decimal("9.9"))
    html = representative_html(plan)
    for figure in (plan.first, plan.regular, plan.final, plan.total_to_pay, plan.total_interest):
        assert format_gbp(figure) in html
    assert "34 monthly payments" in html and "9.9% APR" in html


def test_default_rate_card_is_the_documented_one():
    offered = {(e.months, e.interest_rate, e.minimum_spend) for e in DEFAULT_RATE_CARD}
    assert offered == {
        *((m, Decimal(0), Decimal("250.00")) for m in (3, 6, 9, 10, 12)),
        *((m, Decimal("9.9"), Decimal("1000.00")) for m in (24, 36)),
    }


@pytest.mark.parametrize("bad", [0, 1, -3])
def test_a_rate_card_term_needs_at_least_two_months(bad):
    with pytest.raises(ValueError):
        RateCardEntry(bad)
