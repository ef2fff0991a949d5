"""The DivideBuy API itself: one handler per route of ``routes.py``.

Handlers only translate HTTP to :class:`~.state.SandboxState` calls and back;
the rules live in the state. :data:`HANDLERS` is keyed by route-table name, and
the app builds its URL map from ``routes.py``, so a path is never typed twice.
Authentication, latency and faults are applied by the app around a handler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Request, Response

from .errors import Invalid, SandboxError, Unauthenticated
from .rates import instalments, representative_html, term_for_wire
from .responses import json_response
from .state import SandboxState
from .validation import FieldError, read_amount, read_int

__all__ = [
    "GRANT_TYPE",
    "HANDLERS",
    "Handler",
    "create_quote",
    "get_quote",
    "refund",
    "representative_example",
    "settle",
    "terms",
    "token",
]

Handler = Callable[..., Response]

GRANT_TYPE = "client_credentials"


def _amount_param(request: Request) -> Decimal:
    try:
        return read_amount(request.args.get("amount"), "amount")
    except FieldError as exc:
        raise Invalid.one("amount", str(exc)) from None


def _object_body(body: Any) -> Mapping[str, Any]:
    """An empty body reads as ``{}`` (so the validator lists what is required)."""
    if body is None:
        return {}
    if not isinstance(body, Mapping):
        raise SandboxError("The request body must be a JSON object.", status=400)
    return body


def token(state: SandboxState, request: Request, body: Any) -> Response:
    """``POST /oauth/token``: HTTP Basic client credentials → a bearer token."""
    grant_type = body.get("grant_type") if isinstance(body, Mapping) else None
    auth = request.authorization
    client_id = auth.username if auth is not None and auth.type == "basic" else None
    client_secret = auth.password if auth is not None and auth.type == "basic" else None
    if client_id is None:
        raise Unauthenticated("Invalid client credentials.")
    if grant_type != GRANT_TYPE:
        return json_response(
            {
                "error": "unsupported_grant_type",
                "status_code": 400,
                "message": 'The grant_type must be "client_credentials".',
            },
            400,
        )
    access_token, lifetime = state.issue_token(client_id, client_secret)
    return json_response(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime}
    )


def terms(state: SandboxState, request: Request, body: Any) -> Response:
    """``GET /terms?amount=``: every term on the rate card, available or not."""
    amount = _amount_param(request)
    data = {
        "order_value": amount,
        "terms": [term_for_wire(entry, amount) for entry in state.config.rate_card],
    }
    return json_response(
        {"status": "success", "data": data, "message": "Terms fetched successfully"}
    )


def representative_example(state: SandboxState, request: Request, body: Any) -> Response:
    """``GET /representative-example?amount=&term=``: the figures of that term, in words."""
    errors: dict[str, list[str]] = {}
    amount = term = None
    try:
        amount = read_amount(request.args.get("amount"), "amount")
    except FieldError as exc:
        errors["amount"] = [str(exc)]
    try:
        term = read_int(request.args.get("term"), "term")
    except FieldError as exc:
        errors["term"] = [str(exc)]
    entry = state.config.term(term) if term is not None else None
    if term is not None and entry is None:
        errors["term"] = ["The selected term is invalid."]
    if entry is not None and amount is not None and not entry.allows(amount):
        errors["amount"] = [
            f"The amount must be between {entry.minimum_spend} and {entry.maximum_spend} "
            f"for a {entry.months}-month term."
        ]
    if errors or entry is None or amount is None:
        raise Invalid(errors)
    figures = instalments(amount, entry.months, entry.interest_rate)
    data = {
        "amount": amount,
        "term": entry.months,
        "apr": entry.interest_rate,
        "html": representative_html(figures),
    }
    return json_response(
        {
            "status": "success",
            "data": data,
            "message": "Representative Example fetched successfully",
        }
    )


def create_quote(state: SandboxState, request: Request, body: Any) -> Response:
    """``POST /quotes``: validate, decide (magic surnames), and hand back ``checkout_url``."""
    base_url = state.config.base_url or request.url_root
    quote = state.create_quote(_object_body(body), base_url=base_url)
    requested = {
        "type": "quote",
        "id": quote.id,
        "decision": quote.decision,
        "checkout_url": quote.checkout_url,
        "details": quote.details(),
    }
    return json_response(
        {
            "status_code": 200,
            "message": "Request completed successfully.",
            "data": {"requested_quote": requested},
        }
    )


def get_quote(state: SandboxState, request: Request, body: Any, *, quote_id: str) -> Response:
    """``GET /quotes/{id}``: the quote as it stands (the only trustworthy outcome)."""
    quote = state.get_quote(quote_id)
    return json_response(
        {
            "status_code": 200,
            "message": "Quote details retrieved successfully.",
            "data": {"quote": quote.to_wire()},
        }
    )


def settle(state: SandboxState, request: Request, body: Any) -> Response:
    """``POST /orders/complete``: record delivery dates, all rows or none."""
    state.settle(_object_body(body))
    return json_response({"status": 200})


def refund(state: SandboxState, request: Request, body: Any, *, retailer_order_id: str) -> Response:
    """``POST /orders/{retailer_order_id}/refunds``: partial with ``amount``, else full."""
    data = _object_body(body)
    record = state.refund(retailer_order_id, data.get("amount"))
    return json_response(
        {
            "status_code": 201,
            "message": "Refund created successfully",
            "data": {"refund": record.to_wire()},
        },
        201,
    )


#: Route-table name → handler. A test checks every route in ``routes.py`` has one.
HANDLERS: dict[str, Handler] = {
    "TOKEN": token,
    "TERMS": terms,
    "REPRESENTATIVE_EXAMPLE": representative_example,
    "CREATE_QUOTE": create_quote,
    "GET_QUOTE": get_quote,
    "SETTLE": settle,
    "REFUND": refund,
}
