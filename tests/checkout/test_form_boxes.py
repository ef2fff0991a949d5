"""The form's own words for its boxes, the summary's order, and what goes beside a rate.

Framework-free (no Flask, no sandbox): what ``checkout.answers`` and ``terms.disclosure``
decide for every web framework's form.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from dividebuy_checkout.checkout.answers import (
    date_problem,
    map_errors,
    nationality_options,
    read_answers,
)
from dividebuy_checkout.checkout.demo_shopper import ANSWERS
from dividebuy_checkout.models import Term
from dividebuy_checkout.schemas import rules
from dividebuy_checkout.terms import TermView
from dividebuy_checkout.terms.disclosure import RepaymentPlan, example_choice


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        ("23", "7", "1985", None),
        ("", "", "", None),  # blank: the rule's "Enter your date of birth." says it
        ("", "7", "1985", ("Date of birth must include a day", "dob_day")),
        ("23", "", "", ("Date of birth must include a month and year", "dob_month")),
        ("23", "13", "1985", ("Date of birth must be a real date", "dob_month")),
        ("31", "2", "1985", ("Date of birth must be a real date", "dob_day")),
        ("29", "2", "1984", None),  # a leap year
        ("23", "7", "85", ("Year must include 4 numbers", "dob_year")),
        ("2x", "7", "1985", ("Date of birth must be a real date", "dob_day")),
    ],
)
def test_date_of_birth_problems_name_the_box_to_correct(day, month, year, expected):
    assert date_problem(day, month, year) == expected


def test_a_refused_date_of_birth_is_shown_in_the_boxes_terms_and_linked_to_the_month():
    answers = read_answers({**ANSWERS, "dob_month": "13"}, set())
    errors = map_errors(
        {"customer.date_of_birth": [rules.DATE_OF_BIRTH_INVALID]},
        answers.rows,
        set(),
        answers.problems,
    )
    assert errors.summary() == [("Date of birth must be a real date", "dob_month")]


def test_months_over_11_link_to_the_months_box_not_the_years():
    answers = read_answers({**ANSWERS, "address_years": "2", "address_months": "14"}, set())
    errors = map_errors(
        {"customer.address.time_at_address": [rules.TIME_AT_ADDRESS_MONTHS]},
        answers.rows,
        set(),
        answers.problems,
    )
    assert errors.summary() == [
        ("Enter the months as a whole number from 0 to 11", "address_months")
    ]


def test_the_summary_follows_the_page_whatever_order_the_rules_report():
    answers = read_answers(dict(ANSWERS), set())
    errors = map_errors(
        {
            "order.instalment_date": ["Choose a day."],
            "customer.previous_addresses": ["Add the addresses of the last 3 years."],
            "customer.nationality": [rules.NATIONALITY_INVALID],
            "customer.date_of_birth": [rules.DATE_OF_BIRTH_TOO_YOUNG],
        },
        answers.rows,
        set(),
        answers.problems,
    )
    assert [anchor for _, anchor in errors.summary()] == [
        "dob_day",
        "nationality",
        "previous-0-address_line_1",
        "instalment_day",
    ]
    assert ("Enter a nationality from the list, like British", "nationality") in errors.summary()


def test_british_comes_first_and_every_listed_nationality_once():
    options = nationality_options()
    assert options[0] == "British"
    assert len(options) == len(set(options)) > 200


def _term(months: int, rate: str, regular: str, total: str, interest: str) -> Term:
    return Term(
        type="interest_bearing" if Decimal(rate) else "interest_free",
        available=True,
        months_in_term=months,
        interest_rate=Decimal(rate),
        minimum_spend=Decimal("250.00"),
        maximum_spend=Decimal("15000.00"),
        first_instalment_cost=Decimal(regular),
        regular_instalment_cost=Decimal(regular),
        final_instalment_cost=Decimal(regular),
        total_loan_value=Decimal(total) - Decimal(regular),
        total_to_pay=Decimal(total),
        total_interest=Decimal(interest),
    )


def test_interest_free_only_where_nothing_more_than_the_cash_price_is_paid():
    free = TermView.from_term(_term(12, "0", "100.00", "1200.00", "0.00"))
    charged = TermView.from_term(_term(12, "0", "101.00", "1212.00", "12.00"))
    assert free.interest_free and free.rate_text == "interest-free"
    assert not charged.interest_free and "interest-free" not in charged.label


def test_the_example_is_the_interest_bearing_term_with_the_lowest_instalment():
    choices = [
        TermView.from_term(_term(12, "0", "100.00", "1200.00", "0.00")),
        TermView.from_term(_term(24, "9.9", "55.00", "1320.00", "120.00")),
        TermView.from_term(_term(36, "9.9", "38.00", "1368.00", "168.00")),
    ]
    chosen = example_choice(choices)
    assert chosen is not None and chosen.months == 36
    assert example_choice(choices[:1]) is None  # all interest-free: no example needed


def test_a_repayment_plan_reads_from_the_terms_figures():
    term = TermView.from_term(_term(36, "9.9", "63.54", "2287.56", "287.56"))
    plan = RepaymentPlan(term, refunded=Decimal("100.00"))
    assert (plan.paid_today, plan.monthly, plan.payments, plan.total_payable) == (
        "£63.54",
        "£63.54",
        36,
        "£2,287.56",
    )
    assert plan.final is None and plan.refunded_text == "£100.00"
    assert RepaymentPlan(term).refunded_text is None
