"""Template globals that put the representative example and the repayment plan on the pages.

The checkout's pages call them (``templates/dividebuy/apply.html`` and ``return.html``):

- ``dividebuy_example(offer, amount, months=None)``: the representative example that goes
  with the offer's interest-bearing terms, or with the *months* term (CONC 3.5.5R);
  ``None`` when every term is interest-free or DivideBuy did not give one (the form
  then offers only the interest-free terms: a rate is never shown without its example);
- ``dividebuy_nationalities()``: the application form's nationality type-ahead list;
- ``dividebuy_plan(record)``: a completed checkout's :class:`~..terms.RepaymentPlan` in
  DivideBuy's figures for the chosen term, with what has been refunded since; ``None``
  when DivideBuy cannot be asked (the page then shows the credit and the term).

Adapter only: which example and what a plan says are decided in
:mod:`dividebuy_checkout.terms.disclosure`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from flask import Flask
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..checkout import CheckoutService, DivideBuyUnavailable
from ..checkout.answers import nationality_options
from ..money import ZERO, to_money
from ..store import CheckoutRecord, Ledger
from ..terms import WORDING, Offer
from ..terms.disclosure import RepaymentPlan, example_caption, example_choice
from ..widgets.sanitise import sanitise_example

__all__ = ["EXAMPLE_WAIT", "REFERRED_WAIT", "ExampleView", "register"]

log = logging.getLogger("dividebuy_checkout.flask.disclosure")

#: Seconds a checkout page waits for DivideBuy's representative example. Longer than a
#: product page's budget: the shopper is applying for credit and the example is required
#: beside its rate (an assumption: DivideBuy answers well within this; docs/assumptions.md).
EXAMPLE_WAIT = 5.0


#: How long a referred application usually waits for DivideBuy's decision, as the pages say
#: it. An assumption: the document says a referred application needs a guarantor, not how
#: long that takes (docs/assumptions.md).
REFERRED_WAIT = "a few working days"


@dataclass(frozen=True)
class ExampleView:
    """A representative example ready for a page: its caption and DivideBuy's sanitised text."""

    months: int
    caption: str
    html: Markup


def register(app: Flask, service: CheckoutService) -> None:
    """Add ``dividebuy_example`` and ``dividebuy_plan`` to *app*'s templates."""

    def example(
        offer: Offer | None, amount: Decimal | str, months: int | None = None
    ) -> ExampleView | None:
        """The example for *months* (a completed plan's term) or for the offer's choices."""
        if months is None:
            chosen = example_choice(offer.choices) if offer is not None else None
            if chosen is None:
                return None
            months = chosen.months
        key = (to_money(amount), months)
        try:
            found = service.terms.examples.get(key, timeout=EXAMPLE_WAIT)
        except Exception as exc:  # DivideBuy slow or failing: the rates are not shown
            log.warning("No representative example for %s over %s months: %s", *key, exc)
            return None
        if found is None:
            return None
        clean = sanitise_example(found)
        if not clean.html:
            return None
        return ExampleView(
            months=clean.months,
            caption=example_caption(clean.months, offer.wording if offer else WORDING),
            html=Markup(clean.html),  # sanitised to the allowlist  # noqa: S704
        )

    def plan(record: CheckoutRecord) -> RepaymentPlan | None:
        try:
            offer = service.offer_for(record.amount)
            if record.credit_amount != record.amount:
                offer = offer.with_figures_from(service.offer_for(record.credit_amount))
        except DivideBuyUnavailable:
            return None
        term = offer.choice(record.term)
        if term is None:
            return None
        ledger = service.store
        refunded = ledger.balance(record).refunded if isinstance(ledger, Ledger) else ZERO
        return RepaymentPlan(term, refunded=refunded)

    app.add_template_global(example, "dividebuy_example")
    # the application form's nationality type-ahead (British first), beside the figures'
    # helpers so the checkout's template globals are added in one place
    app.add_template_global(nationality_options, "dividebuy_nationalities")
    app.add_template_global(plan, "dividebuy_plan")
    app.jinja_env.globals["dividebuy_referred_wait"] = REFERRED_WAIT
    # the return page's "Cancel this application" form (checked by forms.CancelForm)
    app.add_template_global(generate_csrf, "dividebuy_csrf_token")
