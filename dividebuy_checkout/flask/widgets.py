"""The blueprint's widgets part: the ``dividebuy_widget(price)`` template global and its JSON.

- ``{{ dividebuy_widget(product.price) }}`` renders the whole widget into the page on the
  server (no layout shift, works without JavaScript) inside a ``<dividebuy-instalments>``
  element that ``widget.js`` upgrades in place. It waits for DivideBuy at most
  ``DIVIDEBUY_WIDGET_BUDGET`` seconds and renders an empty, hidden element when there is
  nothing to show (ineligible price, DivideBuy slow or down).
- ``{{ dividebuy_widget_assets() }}`` writes the ``<link>`` and ``<script type="module">`` tags
  (once per page; put it in the layout's ``<head>``). Nothing inline: a ``script-src 'self'``
  CSP is enough.
- ``GET <prefix>/widget/terms?amount=2000.00``: the same figures as JSON for the web component
  (``Cache-Control: public, max-age``, ``ETag`` / 304). A bad amount is a 400 with a field
  error; DivideBuy down is a ``200 {"eligible": false}`` that no cache keeps.

Thin by design: every decision is :class:`~dividebuy_checkout.widgets.WidgetService`'s.
"""

from __future__ import annotations

import hashlib
import json
import logging
from importlib import resources
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from ..money import MoneyError, format_gbp, to_money
from ..settings import ConfigurationError
from ..widgets import Outcome, WidgetResult, WidgetService
from .extension import DivideBuyState, get_state

log = logging.getLogger("dividebuy_checkout.widgets")

CONFIG_DEFAULTS: dict[str, Any] = {
    #: seconds a page render may wait for DivideBuy (terms and example together)
    "DIVIDEBUY_WIDGET_BUDGET": 0.3,
    #: seconds the terms for a price are fresh
    "DIVIDEBUY_WIDGET_TTL": 300,
    #: seconds a representative example is fresh
    "DIVIDEBUY_WIDGET_EXAMPLE_TTL": 3600,
    #: seconds after that a stale figure is still shown while it is refreshed in the background
    "DIVIDEBUY_WIDGET_STALE_TTL": 3600,
    #: prices (and examples) kept in memory
    "DIVIDEBUY_WIDGET_CACHE_SIZE": 4096,
    #: background threads that call DivideBuy for the widgets
    "DIVIDEBUY_WIDGET_WORKERS": 4,
    #: DivideBuy failures in a row that open the circuit breaker, and how long it stays open
    "DIVIDEBUY_WIDGET_FAILURE_THRESHOLD": 3,
    "DIVIDEBUY_WIDGET_RESET_TIMEOUT": 30,
    #: Cache-Control max-age of the JSON endpoint's answers
    "DIVIDEBUY_WIDGET_HTTP_MAX_AGE": 300,
    #: headline the lowest interest-free instalment even when an interest-bearing one is lower
    "DIVIDEBUY_WIDGET_PREFER_INTEREST_FREE": False,
}

SERVICE_KEY = "widgets"
TEMPLATE = "dividebuy/widget/widget.html"
ASSETS_TEMPLATE = "dividebuy/widget/assets.html"
#: longer query strings are not amounts; refuse them before parsing
MAX_AMOUNT_LENGTH = 32
_STATIC = resources.files("dividebuy_checkout") / "static"


def _number(app: Flask, key: str, *, minimum: float, integer: bool = False) -> Any:
    value = app.config[key]
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or value < minimum:
        what = "a whole number" if integer else "a number"
        raise ConfigurationError(f"{key} must be {what}, at least {minimum}; it is {value!r}.")
    return value


def make_service(app: Flask, state: DivideBuyState) -> WidgetService:
    """The service from ``DIVIDEBUY_WIDGET_*`` settings; a bad setting fails at start-up."""
    return WidgetService(
        state.client,
        budget=_number(app, "DIVIDEBUY_WIDGET_BUDGET", minimum=0),
        terms_ttl=_number(app, "DIVIDEBUY_WIDGET_TTL", minimum=1),
        example_ttl=_number(app, "DIVIDEBUY_WIDGET_EXAMPLE_TTL", minimum=1),
        stale_ttl=_number(app, "DIVIDEBUY_WIDGET_STALE_TTL", minimum=0),
        maxsize=_number(app, "DIVIDEBUY_WIDGET_CACHE_SIZE", minimum=1, integer=True),
        workers=_number(app, "DIVIDEBUY_WIDGET_WORKERS", minimum=1, integer=True),
        failure_threshold=_number(
            app, "DIVIDEBUY_WIDGET_FAILURE_THRESHOLD", minimum=1, integer=True
        ),
        reset_timeout=_number(app, "DIVIDEBUY_WIDGET_RESET_TIMEOUT", minimum=1),
        prefer_interest_free=bool(app.config["DIVIDEBUY_WIDGET_PREFER_INTEREST_FREE"]),
    )


def widget_service(app: Flask | None = None) -> WidgetService:
    """The app's :class:`WidgetService` (e.g. to ``warm()`` it after a price import)."""
    return get_state(app).services[SERVICE_KEY]


def _asset_version(name: str) -> str:
    """A short content hash, so the asset URL changes whenever the file does."""
    return hashlib.sha256((_STATIC / name).read_bytes()).hexdigest()[:10]


class _Renderer:
    """Renders the widget markup, keeping it per price until the figures change.

    The markup depends only on the figures (no request data, no ids), so a warm page costs
    one service lookup and one dictionary lookup. Not kept while templates auto-reload.
    """

    def __init__(self, app: Flask, service: WidgetService, maxsize: int) -> None:
        self.app = app
        self.service = service
        self.maxsize = maxsize
        self._memo: dict[tuple[Any, str | None], tuple[WidgetResult, Markup]] = {}

    def __call__(self, price: Any, price_source: str | None = None) -> Markup:
        try:
            result = self.service.result(price)
        except MoneyError as exc:
            log.warning("dividebuy_widget(%r): %s Nothing rendered.", price, exc)
            return Markup("")
        key = (result.view.amount, price_source)
        memo = self._memo.get(key)
        if memo is not None and memo[0] is result and not self.app.jinja_env.auto_reload:
            return memo[1]
        # The template autoescapes; only the sanitised example is marked safe inside it.
        markup = Markup(  # noqa: S704
            render_template(
                TEMPLATE,
                view=result.view,
                outcome=result.outcome.value,
                price_source=price_source,
            )
        )
        if len(self._memo) >= self.maxsize:
            self._memo.clear()
        self._memo[key] = (result, markup)
        return markup


class _Assets:
    """``dividebuy_widget_assets()``: the tags once per request, built once per script root."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._markup: dict[str, Markup] = {}

    def __call__(self) -> Markup:
        if g.get("_dividebuy_widget_assets"):
            return Markup("")
        g._dividebuy_widget_assets = True
        root = request.script_root if has_request_context() else ""
        markup = self._markup.get(root)
        if markup is None or self.app.jinja_env.auto_reload:
            markup = Markup(  # noqa: S704 - an autoescaping template with URLs only
                render_template(
                    ASSETS_TEMPLATE,
                    css=url_for(
                        "dividebuy.static", filename="widget.css", v=_asset_version("widget.css")
                    ),
                    js=url_for(
                        "dividebuy.static", filename="widget.js", v=_asset_version("widget.js")
                    ),
                )
            )
            self._markup[root] = markup
        return markup


def _json(body: dict[str, Any], status: int = 200) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(data, status=status, mimetype="application/json")


def _bad_amount(message: str) -> Response:
    response = _json(
        {
            "error": "invalid_amount",
            "message": message,
            "field_errors": {"amount": [message]},
        },
        400,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def terms_endpoint() -> Response:
    """``GET /widget/terms?amount=…``: the widget's figures for the web component."""
    raw = request.args.get("amount", "")
    if not raw.strip():
        return _bad_amount("Give the amount in pounds, like 149.99.")
    if len(raw) > MAX_AMOUNT_LENGTH:
        return _bad_amount("The amount must be a number of pounds, like 149.99.")
    try:
        amount = to_money(raw)
    except MoneyError as exc:
        return _bad_amount(str(exc))
    result = widget_service().result(amount)
    body = result.view.to_dict()
    body["state"] = result.outcome.value
    response = _json(body)
    if result.cacheable:
        max_age = int(current_app.config["DIVIDEBUY_WIDGET_HTTP_MAX_AGE"])
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
        response.make_conditional(request)
    else:
        # Degraded (DivideBuy slow or down): nobody may keep it; the next ask may succeed.
        response.headers["Cache-Control"] = "no-store"
    return response


def register(bp: Blueprint, app: Flask, state: DivideBuyState) -> None:
    service = make_service(app, state)
    state.services[SERVICE_KEY] = service
    renderer = _Renderer(app, service, maxsize=int(app.config["DIVIDEBUY_WIDGET_CACHE_SIZE"]))

    def dividebuy_widget(price: Any, price_source: str | None = None) -> Markup:
        """The server-rendered widget for *price* (empty markup when there is nothing to show).

        *price_source*: the id of a variant ``<select>`` (options with ``data-amount``) or a
        quantity input the web component follows, so the figures change with the variant.
        """
        return renderer(price, price_source)

    app.add_template_global(dividebuy_widget, "dividebuy_widget")
    app.add_template_global(_Assets(app), "dividebuy_widget_assets")
    app.add_template_filter(lambda amount: format_gbp(to_money(amount)), "dividebuy_gbp")
    bp.add_url_rule("/widget/terms", "widget_terms", terms_endpoint, methods=["GET"])


__all__ = ["CONFIG_DEFAULTS", "Outcome", "make_service", "register", "widget_service"]
