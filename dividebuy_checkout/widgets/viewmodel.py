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

All wording lives in :mod:`dividebuy_checkout.terms.wording` (``WORDING``), shared with the
checkout form, so legal text changes in one place; each term is a
:class:`~dividebuy_checkout.terms.view.TermView`, the checkout's view of a term too. Money is
formatted with :func:`dividebuy_checkout.money.format_gbp` only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ..models import RepresentativeExample, Term, Terms
from ..money import ZERO, format_gbp
from ..terms.disclosure import example_caption
from ..terms.view import TermView
from ..terms.wording import WORDING, Wording
from .sanitise import SanitisedExample, sanitise_example

__all__ = [
    "WORDING",
    "TermView",
    "WidgetView",
    "Wording",
    "build_view",
    "example_term",
    "ineligible",
    "offered",
]

log = logging.getLogger("dividebuy_checkout.widgets")


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
    def example_caption(self) -> str:
        """The line above the example: its duration, and that it is representative."""
        return example_caption(self.example.months, self.wording) if self.example else ""

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
                "example_caption": self.example_caption,
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
