"""What a checkout page shows beside a rate: which representative example, and the plan.

CONC 3.5.5R: once a page states a rate or an amount of the cost of credit, the
representative example goes with it. The checkout form and its outcome pages use
these two helpers so they say the same as the product-page widget:

- :func:`example_choice` picks the term whose example is shown (the same rule as the
  widget's :func:`~dividebuy_checkout.widgets.viewmodel.example_term`: the
  interest-bearing term with the lowest regular instalment, then the shorter);
- :class:`RepaymentPlan` is a completed checkout's plan in DivideBuy's own figures for
  the term the shopper chose (paid today, each month, how many payments, total payable)
  and what has been refunded since.

Framework-free: any web framework's templates can show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ..money import ZERO, format_gbp
from .view import TermView
from .wording import WORDING, Wording

__all__ = ["RepaymentPlan", "example_caption", "example_choice"]


def example_choice(choices: Iterable[TermView]) -> TermView | None:
    """The interest-bearing term whose representative example a page shows, if any."""
    bearing = [choice for choice in choices if not choice.interest_free]
    if not bearing:
        return None
    return min(bearing, key=lambda choice: (choice.regular, choice.months))


def example_caption(months: int, wording: Wording = WORDING) -> str:
    """``Representative example over 36 months``: the line above every example."""
    return wording.example_caption.format(months=months)


@dataclass(frozen=True)
class RepaymentPlan:
    """A completed checkout's repayments, from DivideBuy's figures for its term."""

    term: TermView
    #: what has been refunded on the order since (0 when nothing, or when unknown)
    refunded: Decimal = ZERO

    @property
    def paid_today(self) -> str:
        """The first instalment, paid when the agreement was signed."""
        return format_gbp(self.term.first)

    @property
    def monthly(self) -> str:
        return format_gbp(self.term.regular)

    @property
    def final(self) -> str | None:
        """The final instalment, when it differs from the monthly one."""
        return None if self.term.final == self.term.regular else format_gbp(self.term.final)

    @property
    def payments(self) -> int:
        """Every payment, today's included."""
        return self.term.months

    @property
    def monthly_count(self) -> int:
        """The payments after today's (the regular ones and the final one)."""
        return max(self.term.months - 1, 0)

    @property
    def total_payable(self) -> str:
        return format_gbp(self.term.total_payable)

    @property
    def refunded_text(self) -> str | None:
        return format_gbp(self.refunded) if self.refunded > ZERO else None
