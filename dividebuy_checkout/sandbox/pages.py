"""The hosted "application" pages a shopper sees at ``checkout_url``.

Plain, accessible HTML: one ``<main>``, one ``<h1>``, real ``<button>``s inside
POST forms, no scripts, no styles from anywhere else, so the page works in any
browser, with a screen reader, under any content security policy and in a
headless test browser. Every value is escaped.
"""

from __future__ import annotations

from html import escape

from ..money import format_gbp
from .records import CANCELLED, COMPLETED, DECLINED, EXPIRED, QuoteRecord

__all__ = [
    "CANCEL_LABEL",
    "COMPLETE_LABEL",
    "PAGE_CSP",
    "application_page",
    "done_page",
    "finished_page",
    "problem_page",
    "referred_page",
]

COMPLETE_LABEL = "Sign agreement and pay first instalment"
CANCEL_LABEL = "Cancel and return to the shop"

#: Sent with every page: nothing may load from elsewhere, and no one may frame it.
PAGE_CSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} – DivideBuy SANDBOX</title>\n</head>\n<body>\n"
        "<header><p><strong>DivideBuy SANDBOX</strong> – a local test stand-in for "
        "DivideBuy. No credit is offered and no money moves.</p></header>\n"
        f"<main>\n<h1>{escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _figures(quote: QuoteRecord) -> str:
    plan = quote.instalments
    rows = [
        ("Order amount", format_gbp(quote.order_amount)),
        ("Paid to the shop up front", format_gbp(quote.upfront_payment)),
        ("Amount of credit", format_gbp(quote.credit_amount)),
        ("Term", f"{quote.term} months"),
        ("Interest rate", f"{quote.interest_rate.normalize():f}% APR"),
        ("First instalment, paid today", format_gbp(plan.first)),
        (f"Then {quote.term - 2} monthly instalments of", format_gbp(plan.regular)),
        ("Final instalment", format_gbp(plan.final)),
        ("Total to pay", format_gbp(plan.total_to_pay)),
    ]
    items = "\n".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f'<dl aria-label="Your instalment plan">\n{items}\n</dl>'


def _form(action: str, label: str) -> str:
    return (
        f'<form method="post" action="{escape(action)}">'
        f'<button type="submit">{escape(label)}</button></form>'
    )


def _back_link(quote: QuoteRecord) -> str:
    if not quote.redirect_url:
        return "<p>You can close this page.</p>"
    return f'<p><a href="{escape(quote.redirect_url)}">Return to the shop</a></p>'


def application_page(quote: QuoteRecord, root: str = "") -> str:
    """The page of a Pending quote the customer may sign (APPROVED or still undecided)."""
    base = f"{root}/checkout/{quote.id}"
    monthly = format_gbp(quote.instalments.regular)
    body = (
        f"<p>Spread {escape(format_gbp(quote.credit_amount))} over {quote.term} months: "
        f"{escape(monthly)} a month.</p>\n"
        f"{_figures(quote)}\n"
        f"<p>Order reference: {escape(quote.retailer_order_ref)}</p>\n"
        f"{_form(base + '/complete', COMPLETE_LABEL)}\n"
        f"{_form(base + '/cancel', CANCEL_LABEL)}"
    )
    return _page("Your DivideBuy application", body)


def referred_page(quote: QuoteRecord, root: str = "") -> str:
    """A REFERRED quote: it needs a guarantor, so the customer cannot sign here yet."""
    body = (
        "<p>Your application has been referred: <strong>a guarantor is needed</strong>. "
        "DivideBuy will contact you; your order stays on hold until then.</p>\n"
        f"{_figures(quote)}\n"
        "<p>(Sandbox: play the guarantor with "
        f"<code>POST {escape(root)}/_sandbox/quotes/{escape(quote.id)}/complete</code>.)</p>\n"
        f"{_back_link(quote)}\n"
        f"{_form(f'{root}/checkout/{quote.id}/cancel', CANCEL_LABEL)}"
    )
    return _page("A guarantor is needed", body)


_FINISHED = {
    COMPLETED: ("Agreement signed", "Your agreement is signed and your first instalment paid."),
    CANCELLED: ("Application cancelled", "You cancelled this application."),
    EXPIRED: ("Application expired", "This application has expired. Please start again."),
    DECLINED: ("Application declined", "Sorry, DivideBuy cannot offer you credit this time."),
}


def finished_page(quote: QuoteRecord) -> str:
    """A quote that can no longer be signed: say why, and offer the way back."""
    title, text = _FINISHED.get(quote.status, ("Application", f"Status: {quote.status}."))
    return _page(title, f"<p>{escape(text)}</p>\n{_back_link(quote)}")


def done_page(quote: QuoteRecord) -> str:
    """After signing or cancelling when the shop gave no ``redirect_url``."""
    title, text = _FINISHED.get(quote.status, ("Done", ""))
    return _page(title, f"<p>{escape(text)}</p>\n<p>You can close this page.</p>")


def problem_page(title: str, message: str) -> str:
    """A 404 or 409 page: what went wrong, in words."""
    return _page(title, f'<p role="alert">{escape(message)}</p>')
