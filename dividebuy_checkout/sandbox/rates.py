"""Instalment maths: the figures of every term, exact to the penny.

The method (also in ``docs/sandbox.md``):

- **Interest-free** (``interest_rate == 0``): the total to pay is the amount.
- **Interest-bearing**: ``interest_rate`` is read as the APR. It is turned into
  the equivalent monthly rate ``r = (1 + APR/100) ** (1/12) - 1`` (the compound
  definition of an APR over equal monthly periods), and the amount is amortised
  as an annuity of ``n`` equal monthly payments ``P = A·r / (1 - (1+r)**-n)``.
  The total to pay is ``P·n`` rounded half-up to the penny.
- **Instalments**: the first and every regular instalment are ``total / n``
  rounded half-up (``P`` for interest-bearing terms); the final instalment is
  whatever is left, so ``first + regular·(n-2) + final == total_to_pay`` exactly.
  If rounding up would leave the final instalment negative (only possible for a
  few pence spread over many months) the instalment is rounded down instead.
- ``total_loan_value`` is the amount less the first instalment, which the
  customer pays up front when signing (the document's 2,000 → 1,833.33, and its
  representative example's "Total amount of credit" = cash price - initial
  payment). ``total_interest = total_to_pay - amount``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Any

from ..money import PENNY, format_gbp, round_money
from .config import RateCardEntry


@dataclass(frozen=True)
class Instalments:
    """The figures of one term for one amount."""

    amount: Decimal
    months: int
    interest_rate: Decimal
    first: Decimal
    regular: Decimal
    final: Decimal
    total_to_pay: Decimal

    @property
    def total_interest(self) -> Decimal:
        return self.total_to_pay - self.amount

    @property
    def total_loan_value(self) -> Decimal:
        return max(self.amount - self.first, Decimal("0.00"))


def monthly_rate(apr: Decimal) -> Decimal:
    """The monthly rate equivalent to an APR given in percent: ``(1 + APR/100)**(1/12) - 1``."""
    with localcontext() as ctx:
        ctx.prec = 34
        return (1 + apr / 100) ** (Decimal(1) / 12) - 1


def instalments(amount: Decimal, months: int, interest_rate: Decimal = Decimal(0)) -> Instalments:
    """Spread *amount* pounds over *months* monthly instalments at *interest_rate* % APR."""
    if months < 2:
        raise ValueError("A term needs at least 2 instalments.")
    if amount < 0:
        raise ValueError("Cannot spread a negative amount.")
    amount = round_money(amount)
    with localcontext() as ctx:
        ctx.prec = 34
        if interest_rate == 0:
            payment = amount / months
            total = amount
        else:
            rate = monthly_rate(interest_rate)
            payment = amount * rate / (1 - (1 + rate) ** -months)
            total = round_money(payment * months)
        regular = round_money(payment)
        if regular * (months - 1) > total:
            regular = (total / (months - 1)).quantize(PENNY, rounding=ROUND_DOWN)
    final = total - regular * (months - 1)
    return Instalments(
        amount=amount,
        months=months,
        interest_rate=interest_rate,
        first=regular,
        regular=regular,
        final=final,
        total_to_pay=total,
    )


def term_for_wire(entry: RateCardEntry, amount: Decimal) -> dict[str, Any]:
    """One element of the terms reply's ``terms`` list, as ``WIRE.md`` gives it.

    Figures are given for unavailable terms too (they are exact either way);
    ``available`` says whether the amount is inside the spend limits.
    """
    figures = instalments(amount, entry.months, entry.interest_rate)
    return {
        "type": entry.type,
        "available": entry.allows(amount),
        "months_in_term": entry.months,
        "interest_rate": entry.interest_rate,
        "minimum_spend": entry.minimum_spend,
        "maximum_spend": entry.maximum_spend,
        "first_instalment_cost": figures.first,
        "regular_instalment_cost": figures.regular,
        "final_instalment_cost": figures.final,
        "total_loan_value": figures.total_loan_value,
        "total_to_pay": figures.total_to_pay,
        "total_interest": figures.total_interest,
    }


def percent(rate: Decimal) -> str:
    """``9.9`` → ``"9.9"``, ``0`` → ``"0"``: a rate as a person writes it."""
    text = format(rate.normalize(), "f")
    return text


def representative_html(figures: Instalments) -> str:
    """The representative-example sentence, worded like the document's.

    Every figure comes from :func:`instalments`, so it matches the terms reply
    for the same amount and term.
    """
    rate = percent(figures.interest_rate)
    return (
        "<strong>Representative Example:</strong> "
        f"Cash price of goods is {format_gbp(figures.amount)}. "
        f"Initial payment of {format_gbp(figures.first)}. "
        f"Total amount of credit is {format_gbp(figures.total_loan_value)}. "
        f"The total amount payable is {format_gbp(figures.total_to_pay)}, which includes "
        f"{format_gbp(figures.total_interest)} in interest at {rate}% fixed. "
        f"The repayments comprise {figures.months - 2} monthly payments of "
        f"{format_gbp(figures.regular)} and a final payment of {format_gbp(figures.final)} "
        f"at a representative {rate}% APR."
    )
