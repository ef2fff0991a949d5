"""Instalment maths: the figures of every term, exact to the penny and to the APR.

The model is DivideBuy's, as its own document's representative example shows it
(cash £2,150.00, initial payment £119.52, credit £2,030.48, 16 × £131.75 and a final
£131.81 at a representative 14.2 % APR, which is exactly what those figures give):

- The first of the ``n`` instalments is paid when the agreement is signed (month 0).
  The credit (``total_loan_value``) is the amount less that first instalment.
- The other ``n - 1`` instalments fall monthly from month 1: ``n - 2`` regular ones,
  then the final one.
- ``interest_rate`` is the APR in percent (the document states one figure for both
  "interest at 14.2 % fixed" and "a representative 14.2 % APR").

How the figures are chosen (also in ``docs/sandbox.md``), with ``v`` the monthly
discount factor of the APR (:func:`dividebuy_checkout.apr.discount_factor`):

- first = regular = ``amount / (1 + v + … + v**(n-1))`` rounded half-up to the penny:
  the level instalment whose present value at the APR is the amount;
- final = whatever, paid at month ``n - 1``, makes the present value of the credit's
  repayments equal the credit exactly (``(credit - regular·(v + … + v**(n-2))) / v**(n-1)``),
  rounded half-up. So the rounding of the level instalment is absorbed where the
  document absorbs it, in the final instalment, and the APR the CONC App 1.1 equation
  gives from the figures is the stated one to well within 0.01 point for any amount
  over a few pounds (``tests/sandbox/test_sandbox_apr.py`` recomputes it);
- ``total_to_pay = first + regular·(n-2) + final``; ``total_interest = total_to_pay - amount``.

With an APR of 0 ``v`` is 1 and the same rules give the interest-free figures:
2,000.00 over 12 months is 166.67, 10 × 166.67 and a final 166.63, credit 1,833.33,
total exactly 2,000.00. If rounding the level instalment up would leave the final one
negative (only a few pence spread over many months) it is rounded down instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Any

from ..apr import discount_factor
from ..money import PENNY, format_gbp, round_money
from .config import RateCardEntry

__all__ = [
    "Instalments",
    "instalments",
    "percent",
    "representative_html",
    "term_for_wire",
]


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
        """The credit: the amount less the first instalment, paid at signing."""
        return max(self.amount - self.first, Decimal("0.00"))


def _final(amount: Decimal, level: Decimal, months: int, v: Decimal) -> Decimal:
    """The final instalment (month ``months - 1``) that balances the plan at discount *v*."""
    with localcontext() as ctx:
        ctx.prec = 34
        paid = level  # the first instalment, at month 0
        power = Decimal(1)
        for _ in range(months - 2):
            power *= v
            paid += level * power
        return (amount - paid) / (power * v)


def instalments(amount: Decimal, months: int, interest_rate: Decimal = Decimal(0)) -> Instalments:
    """Spread *amount* pounds over *months* instalments at *interest_rate* % APR.

    The first instalment is paid at signing; the rest fall monthly from month 1.
    """
    if months < 2:
        raise ValueError("A term needs at least 2 instalments.")
    if amount < 0:
        raise ValueError("Cannot spread a negative amount.")
    amount = round_money(amount)
    v = discount_factor(interest_rate)
    with localcontext() as ctx:
        ctx.prec = 34
        annuity_due = sum((v**t for t in range(months)), Decimal(0))
        exact_level = amount / annuity_due
    level = round_money(exact_level)
    final = _final(amount, level, months, v)
    if final < 0:
        level = exact_level.quantize(PENNY, rounding=ROUND_DOWN)
        final = _final(amount, level, months, v)
    final = round_money(final)
    return Instalments(
        amount=amount,
        months=months,
        interest_rate=interest_rate,
        first=level,
        regular=level,
        final=final,
        total_to_pay=level * (months - 1) + final,
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
