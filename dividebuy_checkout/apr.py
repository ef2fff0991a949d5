"""The APR equation of the FCA's CONC App 1.1, solved exactly enough to check a stated APR.

CONC App 1.1.2 defines the annual percentage rate of charge ``X`` as the rate at which
the drawdowns of credit and the repayments, discounted to the start, are equal::

    sum(C_k * (1 + X) ** -t_k) == sum(D_l * (1 + X) ** -s_l)

with the times ``t_k``, ``s_l`` in years from the first drawdown. Monthly instalments
fall at whole months, and CONC App 1.1.10 lets a month be 1/12 of a year, so every time
here is a whole number of months and one discount factor ``v = (1 + X) ** (-1/12)``
serves every flow (``v ** m`` by multiplication, no logarithm per flow).

Why this module exists: a representative example must state the APR its own figures
give. The sandbox builds its terms with :func:`discount_factor`, the client checks
DivideBuy's figures with :func:`apr_within`, and the tests recompute APRs with
:func:`apr`. It is plain ``Decimal`` arithmetic with no framework, so all three use
the same equation. Rates in and out are percentages (``Decimal("14.2")`` is 14.2 %).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext

__all__ = [
    "APR_PRECISION",
    "CashFlow",
    "apr",
    "apr_within",
    "discount_factor",
    "net_present_value",
    "plan_apr",
    "plan_flows",
    "plan_value",
    "plan_within",
    "round_apr",
]

#: One cash flow: (whole months after the first drawdown, amount in pounds).
CashFlow = tuple[int, Decimal]

#: How closely :func:`apr` pins the rate down, in percentage points. A thousandth of a
#: point is far finer than the 0.1 point an APR is stated to (CONC App 1.1.6: one
#: decimal place), so rounding the result is never thrown by the solver's error.
APR_PRECISION = Decimal("0.0001")

#: Decimal digits for the arithmetic (every sum here has at most a few hundred terms
#: of pounds-and-pence figures; 28 digits leave room for about 20 more).
_DIGITS = 28

_LOWEST = Decimal("-99")  # percent; (1 + X) must stay above 0
_HIGHEST = Decimal("100000")  # percent; beyond this no credit agreement is credible
_TENTH = Decimal("0.1")
_SETTLED = Decimal("1e-25")  # a Newton step this small leaves the root exact to 28 digits


def discount_factor(rate: Decimal) -> Decimal:
    """``(1 + rate/100) ** (-1/12)``: what £1 due in one month is worth today at *rate* % APR.

    The twelfth root ``z`` of ``1 + rate/100`` is found by Newton's method on
    ``z ** 12 == 1 + rate/100``, started from the first two terms of its binomial
    series and stopped when a step no longer changes the 28th digit. Integer powers
    make it several times quicker than ``Decimal``'s general power (logarithm and
    exponential), which matters because the client checks every reply with it.
    """
    with localcontext() as ctx:
        ctx.prec = _DIGITS
        if rate == 0:
            return Decimal(1)
        growth = 1 + rate / 100
        if growth <= 0:
            raise ValueError("An APR must be above -100 %.")
        x = rate / 100
        root = 1 + x / 12 - x * x * 11 / 288
        if root <= 0:  # the series is no guide for huge rates; 1 + x/12 is above the root
            root = 1 + x / 12
        for _ in range(200):
            power = root**11
            step = (power * root - growth) / (12 * power)
            root -= step
            if abs(step) <= _SETTLED:
                return 1 / root
        raise ArithmeticError("The twelfth root did not settle.")  # pragma: no cover


def net_present_value(
    rate: Decimal, drawdowns: Sequence[CashFlow], repayments: Sequence[CashFlow]
) -> Decimal:
    """Drawdowns less repayments, each discounted to month 0 at *rate* % APR.

    Zero exactly at the APR. For a loan (every drawdown before every repayment) it
    rises with the rate, which is what :func:`apr` and :func:`apr_within` rely on.
    """
    with localcontext() as ctx:
        ctx.prec = _DIGITS
        v = discount_factor(rate)
        flows = sorted([(m, a) for m, a in drawdowns] + [(m, -a) for m, a in repayments])
        total = Decimal(0)
        power, at = Decimal(1), 0
        for month, amount in flows:
            if month < 0:
                raise ValueError("A cash flow cannot fall before the first drawdown.")
            while at < month:  # flows are sorted, so each power is built once
                power *= v
                at += 1
            total += amount * power
        return total


def _bracket(
    drawdowns: Sequence[CashFlow], repayments: Sequence[CashFlow]
) -> tuple[Decimal, Decimal]:
    low, high = _LOWEST, Decimal(100)
    if net_present_value(low, drawdowns, repayments) > 0:
        raise ValueError("These repayments are too small for any APR above -99 %.")
    while net_present_value(high, drawdowns, repayments) < 0:
        if high >= _HIGHEST:
            raise ValueError("These repayments need an APR above 100,000 %.")
        low, high = high, high * 10
    return low, high


def apr(
    drawdowns: Sequence[CashFlow],
    repayments: Sequence[CashFlow],
    *,
    precision: Decimal = APR_PRECISION,
) -> Decimal:
    """The APR (percent) that makes *drawdowns* and *repayments* equal, to *precision* points.

    Solved by bisection on a bracket where :func:`net_present_value` changes sign, so it
    always converges (about 30 steps for a 0.0001-point precision). Raises
    ``ValueError`` for flows that are not shaped like a loan or need an absurd rate.
    """
    if not drawdowns or not repayments:
        raise ValueError("An APR needs at least one drawdown and one repayment.")
    low, high = _bracket(drawdowns, repayments)
    with localcontext() as ctx:
        ctx.prec = _DIGITS
        while high - low > precision:
            middle = (low + high) / 2
            if net_present_value(middle, drawdowns, repayments) < 0:
                low = middle
            else:
                high = middle
        return ((low + high) / 2).quantize(precision, rounding=ROUND_HALF_UP)


def round_apr(rate: Decimal) -> Decimal:
    """An APR as it is stated: one decimal place, a 5 in the second rounding up."""
    return rate.quantize(_TENTH, rounding=ROUND_HALF_UP)


def apr_within(
    stated: Decimal,
    drawdowns: Sequence[CashFlow],
    repayments: Sequence[CashFlow],
    tolerance: Decimal = _TENTH,
) -> bool:
    """Whether the APR these loan-shaped flows give is within *tolerance* points of *stated*.

    Two evaluations instead of a solve: the net present value rises with the rate, so
    the APR lies in ``[stated - tolerance, stated + tolerance]`` exactly when the value
    is not positive at the lower end and not negative at the upper end. Cheap enough
    to run on every reply the client reads.
    """
    lower = max(stated - tolerance, _LOWEST)
    return (
        net_present_value(lower, drawdowns, repayments) <= 0
        and net_present_value(stated + tolerance, drawdowns, repayments) >= 0
    )


def plan_flows(
    credit: Decimal, regular: Decimal, regular_count: int, final: Decimal
) -> tuple[list[CashFlow], list[CashFlow]]:
    """The flows of an instalment plan whose first instalment is paid at signing.

    *credit* (the cash price less that first instalment) is drawn at month 0;
    *regular_count* payments of *regular* fall at months 1, 2, … and *final* the month
    after the last of them. This is DivideBuy's model: its document's example (cash
    £2,150.00, initial £119.52, credit £2,030.48, 16 × £131.75 + £131.81) gives exactly
    the 14.2 % it states.
    """
    if regular_count < 0:
        raise ValueError("regular_count cannot be negative.")
    repayments: list[CashFlow] = [(month, regular) for month in range(1, regular_count + 1)]
    repayments.append((regular_count + 1, final))
    return [(0, credit)], repayments


def plan_value(
    rate: Decimal, credit: Decimal, regular: Decimal, regular_count: int, final: Decimal
) -> Decimal:
    """:func:`net_present_value` of the :func:`plan_flows` plan, in closed form.

    ``credit - regular·(v + … + v**k) - final·v**(k+1)`` with the geometric sum summed
    at once: a handful of operations whatever the length, for checks on every reply.
    """
    with localcontext() as ctx:
        ctx.prec = _DIGITS
        v = discount_factor(rate)
        last = v**regular_count
        ladder = Decimal(regular_count) if v == 1 else v * (1 - last) / (1 - v)
        return credit - regular * ladder - final * last * v


def plan_within(
    stated: Decimal,
    credit: Decimal,
    regular: Decimal,
    regular_count: int,
    final: Decimal,
    tolerance: Decimal = _TENTH,
) -> bool:
    """:func:`apr_within` for a :func:`plan_flows` plan, without building its flows."""
    lower = max(stated - tolerance, _LOWEST)
    return (
        plan_value(lower, credit, regular, regular_count, final) <= 0
        and plan_value(stated + tolerance, credit, regular, regular_count, final) >= 0
    )


def plan_apr(credit: Decimal, regular: Decimal, regular_count: int, final: Decimal) -> Decimal:
    """The APR (percent, to :data:`APR_PRECISION`) of the plan :func:`plan_flows` describes."""
    return apr(*plan_flows(credit, regular, regular_count, final))
