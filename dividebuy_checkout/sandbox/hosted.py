"""The hosted application flow at ``checkout_url``: show, sign, cancel, go back.

``GET /checkout/<id>`` shows the page; the two forms POST to ``…/complete`` and
``…/cancel``, which move the quote and then send the browser back to the shop's
``order.redirect_url`` with ``303 See Other`` (its query string untouched; the
sandbox appends nothing, because the shop must not trust the return anyway and
reads the outcome with ``GET /quotes/{id}``).
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from .errors import Conflict, NotFound
from .magic import REFERRED
from .pages import application_page, done_page, finished_page, problem_page, referred_page
from .records import PENDING, QuoteRecord
from .responses import html_response, redirect_response
from .state import SandboxState

__all__ = ["cancel", "complete", "show"]


def _missing() -> Response:
    return html_response(
        problem_page("Application not found", "There is no such application."), 404
    )


def show(state: SandboxState, request: Request, *, quote_id: str) -> Response:
    try:
        quote = state.get_quote(quote_id)
    except NotFound:
        return _missing()
    root = request.script_root
    if quote.status != PENDING:
        return html_response(finished_page(quote))
    if quote.decision == REFERRED:
        return html_response(referred_page(quote, root))
    return html_response(application_page(quote, root))


def _back_to_shop(quote: QuoteRecord) -> Response:
    if quote.redirect_url:
        return redirect_response(quote.redirect_url)
    return html_response(done_page(quote))


def complete(state: SandboxState, request: Request, *, quote_id: str) -> Response:
    """The customer signs and pays the first instalment: Completed, an order exists."""
    try:
        quote = state.complete_quote(quote_id)
    except NotFound:
        return _missing()
    except Conflict as exc:
        return html_response(problem_page("This application cannot be signed", exc.message), 409)
    return _back_to_shop(quote)


def cancel(state: SandboxState, request: Request, *, quote_id: str) -> Response:
    """The customer gives up: Cancelled, back to the shop."""
    try:
        quote = state.cancel_quote(quote_id)
    except NotFound:
        return _missing()
    except Conflict as exc:
        return html_response(problem_page("This application cannot be cancelled", exc.message), 409)
    return _back_to_shop(quote)
