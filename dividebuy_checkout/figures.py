"""Checking the arithmetic of DivideBuy's credit figures, without changing a word of them.

A shop shows DivideBuy's terms and representative example to shoppers, and the FCA
holds the shop to them (CONC 3.5), so the client checks each reply it reads: the
instalments add up to the total payable, the credit is the cash price less the
initial payment, the example's figures are the term's, and the APR recomputed from the
figures (:mod:`dividebuy_checkout.apr`) is within 0.1 point of the APR stated. A
disagreement is *reported* (the client logs a warning with the figures); the figures
and the text are still shown exactly as DivideBuy sent them, because inventing our own
would be worse than passing on theirs.

Every function returns a tuple of sentences, one per disagreement, each naming the
amounts involved (and nothing else: no names, no references), empty when all is well.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from decimal import Decimal

from .apr import plan_apr, plan_within, round_apr
from .models import RepresentativeExample, Term
from .money import format_gbp

__all__ = [
    "APR_TOLERANCE",
    "ExampleFigures",
    "example_problems",
    "example_term_problems",
    "read_example_figures",
    "term_problems",
]

#: How far the APR recomputed from the figures may be from the stated APR, in points.
#: An APR is stated to one decimal place, so anything within 0.1 point is the same APR
#: give or take the rounding of the figures to pennies.
APR_TOLERANCE = Decimal("0.1")

_POUNDS = r"£\s?([0-9][0-9,]*(?:\.[0-9]{1,2})?)"
_RATE = r"([0-9]+(?:\.[0-9]+)?)\s?%"
_PATTERNS = {
    "cash_price": re.compile(r"cash price(?: of (?:the )?goods)? is " + _POUNDS, re.I),
    "initial_payment": re.compile(r"initial payment of " + _POUNDS, re.I),
    "credit": re.compile(r"total amount of credit is " + _POUNDS, re.I),
    "total_payable": re.compile(r"total amount payable is " + _POUNDS, re.I),
    "interest": re.compile(r"includes " + _POUNDS + r" in interest", re.I),
    "regular": re.compile(r"([0-9]+) monthly payments of " + _POUNDS, re.I),
    "final": re.compile(r"final payment of " + _POUNDS, re.I),
    "apr": re.compile(r"representative " + _RATE + r" APR", re.I),
}
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class ExampleFigures:
    """The figures a representative example's text states (DivideBuy's wording)."""

    cash_price: Decimal
    initial_payment: Decimal
    credit: Decimal
    total_payable: Decimal
    interest: Decimal
    regular_count: int
    regular: Decimal
    final: Decimal
    apr: Decimal

    @property
    def months(self) -> int:
        """Instalments in all: the initial payment, the regular ones and the final one."""
        return self.regular_count + 2


def _pounds(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


@functools.lru_cache(maxsize=256)
def read_example_figures(text: str) -> ExampleFigures | None:
    """The figures in a representative example's text, or ``None`` if any is missing.

    Reads the wording of DivideBuy's document ("Cash price of goods is £2,150.00.
    Initial payment of £119.52. …") after dropping tags and entities, so markup around
    the figures does not matter. Cached: the same text is read once.
    """
    plain = " ".join(html.unescape(_TAG.sub(" ", text)).split())
    found = {name: pattern.search(plain) for name, pattern in _PATTERNS.items()}
    matches = {name: match for name, match in found.items() if match is not None}
    if len(matches) != len(_PATTERNS):
        return None
    regular = matches["regular"]
    return ExampleFigures(
        cash_price=_pounds(matches["cash_price"].group(1)),
        initial_payment=_pounds(matches["initial_payment"].group(1)),
        credit=_pounds(matches["credit"].group(1)),
        total_payable=_pounds(matches["total_payable"].group(1)),
        interest=_pounds(matches["interest"].group(1)),
        regular_count=int(regular.group(1)),
        regular=_pounds(regular.group(2)),
        final=_pounds(matches["final"].group(1)),
        apr=Decimal(matches["apr"].group(1)),
    )


def _rate(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _apr_problem(
    stated: Decimal, credit: Decimal, regular: Decimal, regular_count: int, final: Decimal
) -> tuple[str, ...]:
    """The APR check shared by terms and examples (cash price → 0 %, else the equation)."""
    if credit <= 0 or regular_count < 0:
        return ()
    if plan_within(stated, credit, regular, regular_count, final, APR_TOLERANCE):
        return ()
    try:
        actual = f"{round_apr(plan_apr(credit, regular, regular_count, final))}%"
    except ValueError:
        actual = "no sensible APR"
    return (f"the figures give {actual} APR, not the {_rate(stated)} stated",)


def _plan_problems(
    *,
    cash: Decimal,
    initial: Decimal,
    credit: Decimal,
    regular: Decimal,
    regular_count: int,
    final: Decimal,
    total: Decimal,
    interest: Decimal,
    apr: Decimal,
) -> tuple[str, ...]:
    problems: list[str] = []
    paid = initial + regular * regular_count + final
    if paid != total:
        problems.append(
            f"the instalments ({format_gbp(initial)} + {regular_count} × {format_gbp(regular)}"
            f" + {format_gbp(final)}) add up to {format_gbp(paid)}, "
            f"not the total payable {format_gbp(total)}"
        )
    if credit != cash - initial:
        problems.append(
            f"the credit {format_gbp(credit)} is not the cash price {format_gbp(cash)} "
            f"less the initial payment {format_gbp(initial)}"
        )
    if interest != total - cash:
        problems.append(
            f"the interest {format_gbp(interest)} is not the total payable {format_gbp(total)} "
            f"less the cash price {format_gbp(cash)}"
        )
    if apr == 0:
        if total != cash:
            problems.append(
                f"at 0% APR the total payable {format_gbp(total)} should be the cash price "
                f"{format_gbp(cash)}"
            )
    else:
        problems.extend(_apr_problem(apr, cash - initial, regular, regular_count, final))
    return tuple(problems)


@functools.lru_cache(maxsize=1024)
def term_problems(term: Term, order_value: Decimal) -> tuple[str, ...]:
    """What does not add up in one term of a terms reply for *order_value*.

    Cached on the (immutable) term and amount, so a shop reading the same terms again
    pays for the check once.
    """
    if term.months_in_term < 2:
        return (f"a term of {term.months_in_term} month(s) cannot have instalments",)
    return _plan_problems(
        cash=order_value,
        initial=term.first_instalment_cost,
        credit=term.total_loan_value,
        regular=term.regular_instalment_cost,
        regular_count=term.months_in_term - 2,
        final=term.final_instalment_cost,
        total=term.total_to_pay,
        interest=term.total_interest,
        apr=term.interest_rate,
    )


@functools.lru_cache(maxsize=256)
def example_problems(example: RepresentativeExample) -> tuple[str, ...]:
    """What does not add up in a representative example, within its text and against its fields."""
    figures = read_example_figures(example.html)
    if figures is None:
        return ("its text does not state all the figures of a representative example",)
    problems: list[str] = []
    if figures.cash_price != example.amount:
        problems.append(
            f"its text is for {format_gbp(figures.cash_price)}, not the "
            f"{format_gbp(example.amount)} asked for"
        )
    if figures.months != example.term:
        problems.append(
            f"its text has {figures.months} instalments, not the {example.term} asked for"
        )
    if figures.apr != example.apr:
        problems.append(
            f"its text states {_rate(figures.apr)} APR but its 'apr' is {_rate(example.apr)}"
        )
    problems.extend(
        _plan_problems(
            cash=figures.cash_price,
            initial=figures.initial_payment,
            credit=figures.credit,
            regular=figures.regular,
            regular_count=figures.regular_count,
            final=figures.final,
            total=figures.total_payable,
            interest=figures.interest,
            apr=figures.apr,
        )
    )
    return tuple(problems)


def example_term_problems(example: RepresentativeExample, term: Term) -> tuple[str, ...]:
    """Where a representative example's figures differ from those of the term it illustrates."""
    figures = read_example_figures(example.html)
    if figures is None:
        return ()  # already reported by example_problems
    pairs = (
        ("initial payment", figures.initial_payment, term.first_instalment_cost),
        ("monthly payment", figures.regular, term.regular_instalment_cost),
        ("final payment", figures.final, term.final_instalment_cost),
        ("credit", figures.credit, term.total_loan_value),
        ("total payable", figures.total_payable, term.total_to_pay),
    )
    problems = [
        f"its {name} {format_gbp(said)} is not the term's {format_gbp(given)}"
        for name, said, given in pairs
        if said != given
    ]
    if figures.apr != term.interest_rate:
        problems.append(
            f"its {_rate(figures.apr)} APR is not the term's {_rate(term.interest_rate)}"
        )
    if figures.months != term.months_in_term:
        problems.append(
            f"its {figures.months} instalments are not the term's {term.months_in_term}"
        )
    return tuple(problems)
