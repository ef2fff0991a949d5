"""The hosted "application" pages a shopper sees at ``checkout_url``.

They look like a lender's page (a brand bar, the plan in a card, one clear action),
so a developer sees the journey a shopper will, but say plainly that this is a
sandbox. Plain, accessible HTML: landmarks (``header``, ``main``, ``footer``), one
``<h1>``, real ``<button>``s inside POST forms, touch targets of at least 44 px, a
single column that fits a 390 px phone, and no scripts at all. The stylesheet is
inline and allowed by its hash in the Content-Security-Policy, so nothing loads from
anywhere and the page works under the strictest policy. Every value is escaped.

Each outcome says what happened to the shopper's money: a referred, declined,
cancelled or expired application has taken nothing; a signed one has taken the
first instalment (and says how much, and what follows).
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from ..money import format_gbp
from .rates import Instalments, percent
from .records import CANCELLED, COMPLETED, DECLINED, EXPIRED, QuoteRecord

__all__ = [
    "CANCEL_LABEL",
    "COMPLETE_LABEL",
    "PAGE_CSP",
    "PAGE_CSS",
    "application_page",
    "done_page",
    "finished_page",
    "problem_page",
    "referred_page",
]

COMPLETE_LABEL = "Sign agreement and pay first instalment"
CANCEL_LABEL = "Cancel and return to the shop"

#: The whole look of the hosted pages. Colours meet WCAG AA contrast (4.5:1 or more);
#: buttons and links are at least 44 px tall; nothing is wider than a 390 px screen.
PAGE_CSS = """
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:#1b2733;background:#eef2f6;overflow-wrap:anywhere}
.brand{background:#0b3954;color:#fff}
.brand p{margin:0 auto;max-width:40rem;padding:.75rem 1rem;font-size:1.25rem;font-weight:700;
letter-spacing:.01em}
.brand span{font-weight:400;font-size:.875rem;margin-left:.5rem;color:#dbe9f4}
.sandbox{margin:0;background:#fff4c2;color:#3d2f00;border-bottom:1px solid #d9c26a}
.sandbox p{margin:0 auto;max-width:40rem;padding:.5rem 1rem;font-size:.9375rem}
main{display:block;max-width:40rem;margin:0 auto;padding:1.25rem 1rem 2rem}
h1{font-size:1.625rem;line-height:1.25;margin:.25rem 0 1rem;color:#0b3954}
h2{font-size:1.125rem;margin:0 0 .75rem}
.card{background:#fff;border:1px solid #c9d3dd;border-radius:.5rem;padding:1rem 1.25rem;
margin:0 0 1.25rem}
.lead{font-size:1.125rem;margin:0 0 1rem}
.plan{margin:0;display:grid;grid-template-columns:minmax(0,1fr) auto;row-gap:.5rem}
.plan dt{margin:0}
.plan dd{margin:0;padding-left:1rem;font-weight:700;text-align:right;
font-variant-numeric:tabular-nums}
.plan .total{border-top:1px solid #c9d3dd;padding-top:.5rem}
.status{border-left:.375rem solid #0b3954}
.status p,.actions p{margin:0}
.status.good{border-left-color:#1e7b3a}
.status.stop{border-left-color:#a4262c}
.status.wait{border-left-color:#8a5a00}
.note{font-size:.9375rem;color:#44515e}
.actions{display:flex;flex-direction:column;gap:.75rem;margin:1.5rem 0 0}
.actions form{margin:0}
button,.actions a{display:flex;align-items:center;justify-content:center;width:100%;
min-height:3rem;padding:.75rem 1rem;border-radius:.375rem;font:inherit;font-weight:700;
text-align:center;text-decoration:none;cursor:pointer}
button{border:2px solid #0b3954;background:#0b3954;color:#fff}
button:hover{background:#072a3f}
button.secondary{background:#fff;color:#0b3954}
button.secondary:hover{background:#e3ebf2}
.actions a{border:2px solid #0b3954;color:#0b3954;background:#fff}
button:focus-visible,a:focus-visible{outline:3px solid #e8a317;outline-offset:2px}
code{font-size:.875rem;background:#e3ebf2;padding:0 .25rem;border-radius:.25rem}
footer{max-width:40rem;margin:0 auto;padding:0 1rem 2rem;font-size:.875rem;color:#44515e}
@media (min-width:40rem){.actions{flex-direction:row-reverse}.actions>*{flex:1}}
""".strip()

_CSS_HASH = base64.b64encode(hashlib.sha256(PAGE_CSS.encode("utf-8")).digest()).decode("ascii")

#: Sent with every page: only the inline stylesheet above may apply, nothing may load
#: from elsewhere, and no one may frame the page. (No ``form-action``: browsers apply
#: it to the redirect after the POST too, and that goes to the shop's own address.)
PAGE_CSP = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; base-uri 'none'; frame-ancestors 'none'"
)


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(title)} – DivideBuy SANDBOX</title>\n"
        f"<style>{PAGE_CSS}</style>\n</head>\n<body>\n"
        '<header>\n<div class="brand"><p>DivideBuy <span>Sandbox</span></p></div>\n'
        '<div class="sandbox"><p><strong>Sandbox:</strong> a local test stand-in for '
        "DivideBuy. No credit is offered and no money moves.</p></div>\n</header>\n"
        f"<main>\n<h1>{escape(title)}</h1>\n{body}\n</main>\n"
        "<footer><p>This page is served by the dividebuy-checkout sandbox for testing a "
        "shop's checkout. It is not DivideBuy.</p></footer>\n"
        "</body>\n</html>\n"
    )


def _rows(rows: list[tuple[str, str]], total_from: int | None = None) -> str:
    items = []
    for index, (label, value) in enumerate(rows):
        css = ' class="total"' if total_from is not None and index >= total_from else ""
        items.append(f"<dt{css}>{escape(label)}</dt><dd{css}>{escape(value)}</dd>")
    return '<dl class="plan">\n' + "\n".join(items) + "\n</dl>"


def _rate(plan: Instalments) -> str:
    if plan.interest_rate == 0:
        return "0% APR (interest free)"
    return f"{percent(plan.interest_rate)}% APR, fixed"


def _figures(quote: QuoteRecord, *, paid_today: bool = False) -> str:
    """The plan in a card: what is paid when, what the credit costs, in the lender's order."""
    plan = quote.instalments
    first_label = (
        "First instalment, paid today" if paid_today else "First instalment, paid when you sign"
    )
    rows = [("Order amount", format_gbp(quote.order_amount))]
    if quote.upfront_payment:
        rows.append(("Already paid to the shop", format_gbp(quote.upfront_payment)))
    rows += [
        (first_label, format_gbp(plan.first)),
        (f"Then {quote.term - 2} monthly instalments of", format_gbp(plan.regular)),
        ("And a final instalment of", format_gbp(plan.final)),
        ("Term", f"{quote.term} months"),
        ("Interest rate", _rate(plan)),
        ("Total amount of credit", format_gbp(plan.total_loan_value)),
        ("Interest", format_gbp(plan.total_interest)),
        ("Total payable", format_gbp(plan.total_to_pay)),
    ]
    return (
        '<section class="card" aria-labelledby="plan-title">\n'
        '<h2 id="plan-title">Your instalment plan</h2>\n'
        f"{_rows(rows, total_from=len(rows) - 1)}\n</section>"
    )


def _form(action: str, label: str, *, secondary: bool = False) -> str:
    css = ' class="secondary"' if secondary else ""
    return (
        f'<form method="post" action="{escape(action)}">'
        f'<button type="submit"{css}>{escape(label)}</button></form>'
    )


def _back_link(quote: QuoteRecord) -> str:
    if not quote.redirect_url:
        return '<p class="note">You can close this page.</p>'
    return f'<p><a href="{escape(quote.redirect_url)}">Return to the shop</a></p>'


def _status(text: str, kind: str) -> str:
    return f'<div class="card status {kind}" role="status"><p>{text}</p></div>'


def application_page(quote: QuoteRecord, root: str = "") -> str:
    """The page of a Pending quote the customer may sign (APPROVED or still undecided)."""
    base = f"{root}/checkout/{quote.id}"
    plan = quote.instalments
    body = (
        f'<p class="lead">Spread {escape(format_gbp(quote.credit_amount))} over '
        f"{quote.term} months: {escape(format_gbp(plan.first))} when you sign, then "
        f"{escape(format_gbp(plan.regular))} a month.</p>\n"
        f"{_figures(quote)}\n"
        f'<p class="note">Order reference: {escape(quote.retailer_order_ref)}. Signing '
        "takes your first instalment; nothing is taken if you cancel.</p>\n"
        '<div class="actions">\n'
        f"{_form(base + '/complete', COMPLETE_LABEL)}\n"
        f"{_form(base + '/cancel', CANCEL_LABEL, secondary=True)}\n</div>"
    )
    return _page("Your DivideBuy application", body)


def referred_page(quote: QuoteRecord, root: str = "") -> str:
    """A REFERRED quote: it needs a guarantor, so the customer cannot sign here yet."""
    body = (
        _status(
            "Your application has been referred: <strong>a guarantor is needed</strong>. "
            "You have paid nothing. DivideBuy will contact you, usually within two working "
            "days; your order stays on hold until then.",
            "wait",
        )
        + f"\n{_figures(quote)}\n"
        '<p class="note">Sandbox: play the guarantor with '
        f"<code>POST {escape(root)}/_sandbox/quotes/{escape(quote.id)}/complete</code>.</p>\n"
        '<div class="actions">\n'
        f"{_back_link(quote)}\n"
        f"{_form(f'{root}/checkout/{quote.id}/cancel', CANCEL_LABEL, secondary=True)}\n</div>"
    )
    return _page("A guarantor is needed", body)


def _signed_text(quote: QuoteRecord) -> str:
    plan = quote.instalments
    return (
        "Your agreement is signed and your first instalment of "
        f"<strong>{escape(format_gbp(plan.first))}</strong> is paid. "
        f"Next: {quote.term - 2} monthly instalments of {escape(format_gbp(plan.regular))} "
        f"and a final one of {escape(format_gbp(plan.final))}, "
        f"{escape(format_gbp(plan.total_to_pay))} in all."
    )


#: Status → (title, what happened to the shopper's money, tone of the status box).
_FINISHED = {
    CANCELLED: (
        "Application cancelled",
        "You cancelled this application. You have paid nothing. You can choose another way "
        "to pay at the shop.",
        "stop",
    ),
    EXPIRED: (
        "Application expired",
        "This application has expired. You have paid nothing. Please start again from the shop.",
        "stop",
    ),
    DECLINED: (
        "Application declined",
        "Sorry, DivideBuy cannot offer you credit this time. You have paid nothing. You can "
        "choose another way to pay at the shop.",
        "stop",
    ),
}


def _finished_body(quote: QuoteRecord) -> tuple[str, str]:
    if quote.status == COMPLETED:
        return "Agreement signed", _status(_signed_text(quote), "good") + "\n" + _figures(
            quote, paid_today=True
        )
    if quote.status in _FINISHED:
        title, text, kind = _FINISHED[quote.status]
        return title, _status(escape(text), kind)
    return "Application", _status(escape(f"Status: {quote.status}."), "wait")


def finished_page(quote: QuoteRecord) -> str:
    """A quote that can no longer be signed: say why, what was paid, and offer the way back."""
    title, body = _finished_body(quote)
    return _page(title, f'{body}\n<div class="actions">{_back_link(quote)}</div>')


def done_page(quote: QuoteRecord) -> str:
    """After signing or cancelling when the shop gave no ``redirect_url``."""
    title, body = _finished_body(quote)
    return _page(title, f'{body}\n<p class="note">You can close this page.</p>')


def problem_page(title: str, message: str) -> str:
    """A 404 or 409 page: what went wrong, in words."""
    return _page(
        title, f'<div class="card status stop" role="alert"><p>{escape(message)}</p></div>'
    )
