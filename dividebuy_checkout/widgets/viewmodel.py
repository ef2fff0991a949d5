"""What an instalment widget shows for one price, built only from DivideBuy's figures.

The view-model is the single place that decides what a product page may say:

- **eligible** only when at least one term is available *and* the price is inside that
  term's minimum and maximum spend (a price below the minimum shows nothing, the most
  common complaint about finance widgets);
- the **headline** is the term with the lowest regular monthly instalment
  ("or 12 × £166.67 interest-free");
- every available term with its first, regular and final instalments, total payable and
  interest, exactly as DivideBuy returned them (never recomputed from a rate);
- an **interest-bearing term is only shown together with the representative example**
  (FCA CONC 3.5.5R: once a rate or an amount of the cost of credit is advertised, the
  representative example must be given). Without an example the interest-bearing terms are
  dropped; if nothing interest-free is left, the widget shows nothing.

All wording lives in this module (``WORDING``) so legal text changes in one place. Money is
formatted with :func:`dividebuy_checkout.money.format_gbp` only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ..models import RepresentativeExample, Term, Terms
from ..money import ZERO, format_gbp
from .sanitise import SanitisedExample, sanitise_example

log = logging.getLogger("dividebuy_checkout.widgets")


@dataclass(frozen=True)
class Wording:
    """Every sentence the widget shows, in one place (override with ``dataclasses.replace``)."""

    #: CONC 3.5 / DivideBuy's own messaging: shown with every widget
    credit_notice: str = "Credit subject to status. UK residents aged 18+."
    interest_free: str = "interest-free"
    #: "{apr}" is the rate as DivideBuy gave it, e.g. "9.9"
    interest_bearing: str = "at {apr}% APR representative"
    headline: str = "or {months} × {regular} {rate}"
    brand: str = "with DivideBuy"
    trigger: str = "See all instalment options"
    dialog_title: str = "Spread the cost of {amount} with DivideBuy"
    close: str = "Close"
    choose: str = "Choose how many months"
    terms_label: str = "Instalment options"
    term_title: str = "{months} months, {rate}"
    #: the columns of the term table (and the labels of the dialog's figures)
    term: str = "Term"
    first: str = "First instalment, on signing"
    regular: str = "Monthly instalments"
    final: str = "Final instalment"
    total: str = "Total payable"
    interest: str = "Interest"
    #: the monthly instalments cell: "10 × £166.67"
    regular_plan: str = "{count} × {amount}"


WORDING = Wording()


def _apr_text(rate: Decimal) -> str:
    """``Decimal("9.90")`` → ``"9.9"``: a rate as a person writes it (never "9.90" or "1E+1")."""
    return format(rate.normalize(), "f")


@dataclass(frozen=True)
class TermView:
    """One available term, with DivideBuy's figures and their en-GB text."""

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
            interest_free=term.interest_free,
            apr=term.interest_rate,
            first=term.first_instalment_cost,
            regular=term.regular_instalment_cost,
            final=term.final_instalment_cost,
            total_payable=term.total_to_pay,
            interest=term.total_interest,
            wording=wording,
        )

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
        return self.wording.interest_bearing.format(apr=_apr_text(self.apr))

    @property
    def title(self) -> str:
        return self.wording.term_title.format(months=self.months, rate=self.rate_text)

    @property
    def headline(self) -> str:
        return self.wording.headline.format(
            months=self.months, regular=self.regular_text, rate=self.rate_text
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON for the web component: exact amounts as strings, text already formatted."""
        return {
            "months": self.months,
            "interest_free": self.interest_free,
            "apr": _apr_text(self.apr),
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
class WidgetView:
    """Everything one widget shows for one price. ``eligible`` False means: show nothing."""

    amount: Decimal
    eligible: bool
    terms: tuple[TermView, ...] = ()
    headline: TermView | None = None
    example: SanitisedExample | None = None
    wording: Wording = field(default=WORDING, repr=False, compare=False)

    @property
    def amount_text(self) -> str:
        return format_gbp(self.amount)

    @property
    def headline_text(self) -> str:
        return self.headline.headline if self.headline else ""

    @property
    def headline_needs_example(self) -> bool:
        """The headline states a rate: the representative example goes right beside it."""
        return self.headline is not None and not self.headline.interest_free

    @property
    def dialog_title(self) -> str:
        return self.wording.dialog_title.format(amount=self.amount_text)

    @property
    def credit_notice(self) -> str:
        return self.wording.credit_notice

    def to_dict(self) -> dict[str, Any]:
        """The JSON endpoint's body. Ineligible views say only that."""
        if not self.eligible or self.headline is None:
            return {"eligible": False, "amount": str(self.amount)}
        wording = self.wording
        return {
            "eligible": True,
            "amount": str(self.amount),
            "amount_text": self.amount_text,
            "headline": {
                "months": self.headline.months,
                "text": self.headline_text,
                "regular_text": self.headline.regular_text,
                "needs_example": self.headline_needs_example,
            },
            "terms": [term.to_dict() for term in self.terms],
            "example": self.example.to_dict() if self.example else None,
            "text": {
                "credit_notice": wording.credit_notice,
                "brand": wording.brand,
                "trigger": wording.trigger,
                "dialog_title": self.dialog_title,
                "close": wording.close,
                "choose": wording.choose,
                "terms_label": wording.terms_label,
                "columns": [
                    wording.term,
                    wording.first,
                    wording.regular,
                    wording.final,
                    wording.total,
                    wording.interest,
                ],
            },
        }


def ineligible(amount: Decimal) -> WidgetView:
    return WidgetView(amount=amount, eligible=False)


def offered(term: Term, amount: Decimal) -> bool:
    """A term may be advertised for *amount*: DivideBuy says available, and the limits agree."""
    return term.available and term.minimum_spend <= amount <= term.maximum_spend


def example_term(terms: Terms, amount: Decimal) -> int | None:
    """The interest-bearing term whose representative example the widget needs, if any.

    It is the interest-bearing term with the lowest regular instalment (the one the headline
    advertises when the headline is interest-bearing), so one example serves the page. (CONC
    asks for the example a typical borrower would get; with no data on what shoppers choose,
    the term the widget headlines is the one it illustrates.)
    """
    bearing = [t for t in terms.terms if offered(t, amount) and not t.interest_free]
    if not bearing:
        return None
    return min(bearing, key=_headline_order).months_in_term


def _headline_order(term: Term | TermView) -> tuple[Decimal, bool, int]:
    # lowest regular instalment; on a tie interest-free first, then the shorter term
    if isinstance(term, TermView):
        return (term.regular, not term.interest_free, term.months)
    return (term.regular_instalment_cost, not term.interest_free, term.months_in_term)


def build_view(
    amount: Decimal,
    terms: Terms,
    example: RepresentativeExample | None = None,
    *,
    wording: Wording = WORDING,
    prefer_interest_free: bool = False,
) -> WidgetView:
    """The widget for *amount* from DivideBuy's *terms* (and the example, when one is needed).

    DivideBuy's total payable is the agreement. If the first, regular and final instalments
    it sent do not add up to it (the API document's own example sends 12 × £166.67 for
    £2,000), the final instalment is shown as what is left, so the displayed instalments
    always sum to the total; if nothing sensible is left, the term is not shown. Either case
    is logged so the mismatch is seen (docs/widgets.md, "Assumptions").
    """
    if amount <= ZERO:
        return ineligible(amount)
    shown: list[TermView] = []
    for term in terms.terms:
        if not offered(term, amount):
            continue
        view = _consistent(TermView.from_term(term, wording), amount)
        if view is not None:
            shown.append(view)
    sanitised = sanitise_example(example) if example is not None else None
    if sanitised is None or not sanitised.html:
        # No representative example: never show a rate or a cost of credit.
        shown = [term for term in shown if term.interest_free]
        sanitised = None
    if not shown:
        return ineligible(amount)
    if all(term.interest_free for term in shown):
        sanitised = None  # nothing interest-bearing is advertised; keep the widget short
    shown.sort(key=lambda t: t.months)
    candidates = [t for t in shown if t.interest_free] if prefer_interest_free else shown
    return WidgetView(
        amount=amount,
        eligible=True,
        terms=tuple(shown),
        headline=min(candidates or shown, key=_headline_order),
        example=sanitised,
        wording=wording,
    )


def _consistent(view: TermView, amount: Decimal) -> TermView | None:
    """*view* with instalments that sum to its total payable, or None if that cannot be."""
    if view.adds_up:
        return view
    final = view.total_payable - view.first - view.regular * view.regular_count
    if view.months < 2 or final <= ZERO or final > view.regular * 2:
        log.warning(
            "DivideBuy's %s-month term for %s does not add up (%s ≠ %s): not shown.",
            view.months,
            amount,
            view.instalments_sum,
            view.total_payable,
        )
        return None
    log.info(
        "DivideBuy's %s-month term for %s does not add up: final instalment shown as %s, not %s.",
        view.months,
        amount,
        final,
        view.final,
    )
    return replace(view, final=final)
