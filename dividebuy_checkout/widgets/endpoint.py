"""The widget's terms JSON answer, framework-free: status, headers and body for any web app.

The web component asks ``GET <prefix>/widget/terms?amount=2000.00`` whenever the amount on the
page changes. :func:`terms_json` is that whole endpoint except the HTTP plumbing: the amount
checks, the guard on uncached amounts, the cache headers, ``ETag`` and ``304``. Flask's
blueprint calls it; so can Starlette, Django or anything else::

    from starlette.responses import Response
    from dividebuy_checkout.widgets import WidgetService, terms_json

    widgets = WidgetService(client, budget=0.3)

    async def widget_terms(request):
        answer = terms_json(
            widgets,
            request.query_params.get("amount"),
            client_address=request.client.host if request.client else None,
            if_none_match=request.headers.get("if-none-match"),
        )
        return Response(answer.body, answer.status, answer.headers)

(``terms_json`` may wait up to the service's budget for DivideBuy: in an async framework run
it in a thread, e.g. ``await starlette.concurrency.run_in_threadpool(terms_json, …)``.)

Answers:

- ``200`` with the figures (``Cache-Control: public, max-age=…`` and an ``ETag``; a matching
  ``If-None-Match`` gives ``304`` with no body), or ``{"eligible": false, …}`` for a price
  DivideBuy does not finance (cached the same way) — an amount outside the spend range
  DivideBuy last reported is answered so without asking DivideBuy;
- ``200 {"eligible": false, "state": "unavailable"}`` with ``Cache-Control: no-store`` while
  DivideBuy is slow or down (the component hides; nobody keeps the degraded answer);
- ``400 {"error": "invalid_amount", "message": …, "field_errors": {"amount": [...]}}`` for an
  amount that is missing or not plain pounds;
- ``429 {"error": "too_many_amounts", …}`` with ``Retry-After`` when a client (or every client
  together) has asked about too many uncached amounts this minute (:mod:`.guard`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..money import MoneyError, to_money
from .guard import outside, well_formed
from .service import WidgetOutcome, WidgetResult, WidgetService
from .viewmodel import ineligible

__all__ = ["DEFAULT_MAX_AGE", "MAX_AMOUNT_LENGTH", "JsonAnswer", "terms_json"]

#: Cache-Control max-age of a figures answer, unless the caller says otherwise
DEFAULT_MAX_AGE = 300
#: longer query strings are not amounts; refuse them before parsing
MAX_AMOUNT_LENGTH = 32
_JSON = "application/json"
_NO_STORE = "no-store"

#: id(result) -> (result, body, ETag) of recent cacheable answers. The service hands out the
#: same WidgetResult object while a price's figures stay the same, so the body is built and
#: hashed once per price instead of per request (it cost as much as the rest of the request).
#: Holding the result keeps its id from being reused; emptied when full.
_ENCODED: dict[int, tuple[WidgetResult, bytes, str]] = {}
_ENCODED_MAX = 4096


@dataclass(frozen=True)
class JsonAnswer:
    """An HTTP answer to send as it is: ``status``, ``headers`` and the JSON ``body`` bytes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        """The body, parsed (``None`` for a 304)."""
        return json.loads(self.body) if self.body else None


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _error(status: int, error: str, message: str, **headers: str) -> JsonAnswer:
    body: dict[str, str | dict[str, list[str]]] = {"error": error, "message": message}
    if error == "invalid_amount":
        body["field_errors"] = {"amount": [message]}
    return JsonAnswer(
        status, {"Content-Type": _JSON, "Cache-Control": _NO_STORE, **headers}, _encode(body)
    )


def _bad_amount(message: str) -> JsonAnswer:
    return _error(400, "invalid_amount", message)


def _amount(raw: str | None) -> Decimal | JsonAnswer:
    """The amount, or the 400 that says what is wrong with it."""
    text = raw or ""
    if not text.strip():
        return _bad_amount("Give the amount in pounds, like 149.99.")
    if len(text) > MAX_AMOUNT_LENGTH or not well_formed(text):
        try:  # say what is wrong when the money parser can tell (negative, three decimals…)
            to_money(text)
        except MoneyError as exc:
            return _bad_amount(str(exc))
        return _bad_amount("The amount must be a number of pounds, like 149.99.")
    try:
        return to_money(text)
    except MoneyError as exc:
        return _bad_amount(str(exc))


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in wanted or etag in wanted


def terms_json(
    widgets: WidgetService,
    amount: str | None,
    *,
    client_address: str | None = None,
    if_none_match: str | None = None,
    max_age: int = DEFAULT_MAX_AGE,
) -> JsonAnswer:
    """The widget terms endpoint's answer for the raw ``?amount=`` value (see the module).

    *client_address* is the caller's address (for the per-client limit on uncached amounts;
    behind a proxy, the address your framework resolved); *if_none_match* is the raw
    ``If-None-Match`` header. Never raises for what a client sends or DivideBuy answers.
    """
    price = _amount(amount)
    if isinstance(price, JsonAnswer):
        return price
    source = widgets.source
    if outside(price, source.spend_range()):
        result = WidgetResult(ineligible(price), WidgetOutcome.INELIGIBLE)
    else:
        if not source.cached(price):
            wait = widgets.guard.admit(client_address)
            if wait is not None:
                return _error(
                    429,
                    "too_many_amounts",
                    "Too many new amounts were asked about just now; try again shortly.",
                    **{"Retry-After": str(max(int(wait + 0.999), 1))},
                )
        result = widgets.result(price)
    known = _ENCODED.get(id(result))
    if known is not None and known[0] is result:
        data, etag = known[1], known[2]
    else:
        body = result.view.to_dict()
        body["state"] = result.outcome.value
        data = _encode(body)
        if not result.cacheable:
            # Degraded (DivideBuy slow or down): nobody may keep it; the next ask may succeed.
            return JsonAnswer(200, {"Content-Type": _JSON, "Cache-Control": _NO_STORE}, data)
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        if len(_ENCODED) >= _ENCODED_MAX:
            _ENCODED.clear()
        _ENCODED[id(result)] = (result, data, etag)
    headers = {"Cache-Control": f"public, max-age={max_age}", "ETag": etag}
    if _matches(if_none_match, etag):
        return JsonAnswer(304, headers)
    return JsonAnswer(200, {"Content-Type": _JSON, **headers}, data)
