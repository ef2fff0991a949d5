"""One view of a term, for the product-page widget and the checkout form alike.

:class:`TermView` carries DivideBuy's figures for one term exactly as DivideBuy sent them (never
recomputed from a rate) and their en-GB text in :mod:`.wording`'s words. :class:`Offer` is what
the checkout form offers for an order total: the available terms, or why there are none.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ..models import Term, Terms
from ..money import format_gbp
from .wording import WORDING, Wording, apr_text

__all__ = ["Offer", "TermView"]


@dataclass(frozen=True)
class TermView:
    """One term with DivideBuy's figures and their text."""

    months: int
    interest_free: bool
    apr: Decimal
    first: Decimal
    regular: Decimal
    final: Decimal
    total_payable: Decimal
    interest: Decimal
    wording: Wording = field(default=WORDING, repr=False, compare=False)

    @classmethod
    def from_term(cls, term: Term, wording: Wording = WORDING) -> TermView:
        return cls(
            months=term.months_in_term,
            # "interest-free" only where the shopper pays no more than the cash price:
            # a 0 % rate with interest charged anyway is shown as a rate, with its example
            interest_free=term.interest_free and term.total_interest <= 0,
            apr=term.interest_rate,
            first=term.first_instalment_cost,
            regular=term.regular_instalment_cost,
            final=term.final_instalment_cost,
            total_payable=term.total_to_pay,
            interest=term.total_interest,
            wording=wording,
        )

    @property
    def monthly(self) -> Decimal:
        """The regular monthly instalment (what the checkout form calls it)."""
        return self.regular

    @property
    def regular_count(self) -> int:
        """How many regular instalments come between the first and the final one."""
        return max(self.months - 2, 0)

    @property
    def instalments_sum(self) -> Decimal:
        """first + regular × (n − 2) + final: what the shopper pays, by the displayed figures."""
        return self.first + self.regular * self.regular_count + self.final

    @property
    def adds_up(self) -> bool:
        return self.instalments_sum == self.total_payable

    @property
    def first_text(self) -> str:
        return format_gbp(self.first)

    @property
    def regular_text(self) -> str:
        return format_gbp(self.regular)

    @property
    def final_text(self) -> str:
        return format_gbp(self.final)

    @property
    def total_payable_text(self) -> str:
        return format_gbp(self.total_payable)

    @property
    def interest_text(self) -> str:
        return format_gbp(self.interest)

    @property
    def regular_plan_text(self) -> str:
        """ "10 × £166.67": the instalments between the first and the final one."""
        if not self.regular_count:
            return "–"
        return self.wording.regular_plan.format(count=self.regular_count, amount=self.regular_text)

    @property
    def rate_text(self) -> str:
        if self.interest_free:
            return self.wording.interest_free
        return self.wording.interest_bearing.format(apr=apr_text(self.apr))

    @property
    def title(self) -> str:
        return self.wording.term_title.format(months=self.months, rate=self.rate_text)

    @property
    def headline(self) -> str:
        return self.wording.headline.format(
            months=self.months, regular=self.regular_text, rate=self.rate_text
        )

    @property
    def label(self) -> str:
        """``12 months: £83.34 a month, interest-free`` (the checkout form's radio button)."""
        rate = (
            self.wording.interest_free
            if self.interest_free
            else self.wording.choice_interest_bearing.format(
                apr=apr_text(self.apr), total=self.total_payable_text
            )
        )
        return self.wording.choice_label.format(
            months=self.months, regular=self.regular_text, rate=rate
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON for the web component: exact amounts as strings, text already formatted."""
        return {
            "months": self.months,
            "interest_free": self.interest_free,
            "apr": apr_text(self.apr),
            "title": self.title,
            "first": str(self.first),
            "first_text": self.first_text,
            "regular": str(self.regular),
            "regular_text": self.regular_text,
            "regular_count": self.regular_count,
            "regular_plan_text": self.regular_plan_text,
            "final": str(self.final),
            "final_text": self.final_text,
            "total_payable": str(self.total_payable),
            "total_payable_text": self.total_payable_text,
            "interest": str(self.interest),
            "interest_text": self.interest_text,
        }


@dataclass(frozen=True)
class Offer:
    """What DivideBuy offers for an order total: the choices, or why there are none."""

    amount: Decimal
    choices: tuple[TermView, ...]
    #: the lowest minimum and highest maximum spend of every term (to explain an empty offer)
    minimum_spend: Decimal | None
    maximum_spend: Decimal | None
    wording: Wording = field(default=WORDING, repr=False, compare=False)

    @property
    def months(self) -> tuple[int, ...]:
        return tuple(choice.months for choice in self.choices)

    def choice(self, months: int) -> TermView | None:
        return next((c for c in self.choices if c.months == months), None)

    @property
    def why_none(self) -> str:
        """Why nothing is offered, in the shopper's words."""
        amount = format_gbp(self.amount)
        if self.minimum_spend is not None and self.amount < self.minimum_spend:
            return self.wording.below_minimum.format(
                minimum=format_gbp(self.minimum_spend), amount=amount
            )
        if self.maximum_spend is not None and self.amount > self.maximum_spend:
            return self.wording.above_maximum.format(
                maximum=format_gbp(self.maximum_spend), amount=amount
            )
        return self.wording.not_available

    def with_figures_from(self, other: Offer) -> Offer:
        """These terms, with *other*'s figures for the same months (where it has them)."""
        figures = {choice.months: choice for choice in other.choices}
        return replace(self, choices=tuple(figures.get(c.months, c) for c in self.choices))

    @classmethod
    def from_terms(cls, amount: Decimal, terms: Terms, wording: Wording = WORDING) -> Offer:
        every = terms.terms
        return cls(
            amount=amount,
            choices=tuple(
                sorted(
                    (TermView.from_term(t, wording) for t in terms.available),
                    key=lambda c: c.months,
                )
            ),
            minimum_spend=min((t.minimum_spend for t in every), default=None),
            maximum_spend=max((t.maximum_spend for t in every), default=None),
            wording=wording,
        )
