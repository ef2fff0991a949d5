"""Every sentence shown about instalment terms, for widgets and the checkout form, in one place.

Legal text (CONC 3.5) and the checkout's labels change together, so they live together: a
shop that rewords "interest-free" rewords it on the product page and on the form at once.
Override with ``dataclasses.replace(WORDING, …)``. Money is formatted with
:func:`dividebuy_checkout.money.format_gbp` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["WORDING", "Wording", "apr_text"]


def apr_text(rate: Decimal) -> str:
    """``Decimal("9.90")`` → ``"9.9"``: a rate as a person writes it (never "9.90" or "1E+1")."""
    return format(rate.normalize(), "f")


@dataclass(frozen=True)
class Wording:
    """Every sentence the widget and the checkout form show about terms."""

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
    #: the checkout form's radio button: "12 months: £83.34 a month, interest-free"
    choice_label: str = "{months} months: {regular} a month, {rate}"
    #: the rate part of an interest-bearing choice: "9.9% APR representative, £2,305.61 in all"
    choice_interest_bearing: str = "{apr}% APR representative, {total} in all"
    #: why the checkout offers nothing for an order total
    below_minimum: str = (
        "DivideBuy finance is available on orders from {minimum}; this order is {amount}."
    )
    above_maximum: str = (
        "DivideBuy finance is available on orders up to {maximum}; this order is {amount}."
    )
    not_available: str = "DivideBuy finance is not available for this order."
    #: above every representative example, wherever one is shown: it states the duration
    #: and says "representative" (CONC 3.5.5R) in the same words on every page
    example_caption: str = "Representative example over {months} months"


WORDING = Wording()
