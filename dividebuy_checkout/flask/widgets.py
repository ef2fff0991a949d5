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
  (:func:`~dividebuy_checkout.widgets.terms_json`: ``Cache-Control``, ``ETag`` / 304, a 400
  field error for a bad amount, a 429 for too many uncached amounts).

Adapter only: rendering, the JSON answer and every decision are in
:mod:`dividebuy_checkout.widgets`; the figures come from the app's one
:func:`~.terms.terms_source`, shared with checkout.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, has_request_context, request, url_for
from markupsafe import Markup

from ..config import ConfigurationError, setting
from ..money import format_gbp, to_money
from ..widgets import AmountGuard, WidgetMarkup, WidgetService, asset_tags, terms_json
from ..widgets.markup import asset_version
from .extension import DivideBuyState, get_state
from .terms import number, terms_source

__all__ = ["CONFIG_DEFAULTS", "make_service", "register", "terms_endpoint", "widget_service"]

#: this part's keys (see dividebuy_checkout.config: typed, documented, read from app.config or env)
CONFIG_DEFAULTS: dict[str, Any] = {
    "DIVIDEBUY_WIDGET_BUDGET": setting(
        0.3, "seconds a page render may wait for DivideBuy (terms and example together)", minimum=0
    ),
    "DIVIDEBUY_TERMS_TTL": setting(
        300.0,
        "seconds DivideBuy's terms for an amount (or its refusal) are fresh: the one lifetime "
        "of the terms cache that checkout and widgets share",
        minimum=1,
    ),
    "DIVIDEBUY_WIDGET_EXAMPLE_TTL": setting(
        3600.0, "seconds a representative example is fresh", minimum=1
    ),
    "DIVIDEBUY_WIDGET_STALE_TTL": setting(
        3600.0,
        "seconds after that a stale figure is still shown while it is refreshed in the background",
        minimum=0,
    ),
    "DIVIDEBUY_WIDGET_CACHE_SIZE": setting(4096, "prices (and examples) kept in memory", minimum=1),
    "DIVIDEBUY_WIDGET_WORKERS": setting(
        4, "background threads that call DivideBuy for the widgets", minimum=1
    ),
    "DIVIDEBUY_WIDGET_FAILURE_THRESHOLD": setting(
        3, "DivideBuy failures in a row that open the circuit breaker", minimum=1
    ),
    "DIVIDEBUY_WIDGET_RESET_TIMEOUT": setting(
        30.0, "seconds the circuit breaker stays open before one trial call", minimum=1
    ),
    "DIVIDEBUY_WIDGET_HTTP_MAX_AGE": setting(
        300, "Cache-Control max-age (seconds) of the widget JSON endpoint's answers", minimum=0
    ),
    "DIVIDEBUY_WIDGET_PREFER_INTEREST_FREE": setting(
        False,
        "headline the lowest interest-free instalment even when an interest-bearing one is lower",
    ),
    "DIVIDEBUY_WIDGET_NEW_AMOUNTS_PER_CLIENT": setting(
        "20/minute",
        "uncached amounts one client address may ask the widget JSON endpoint about; none: "
        "no limit",
        accepts="'N/second', 'N/minute' or 'N/hour', or none",
        nullable=True,
    ),
    "DIVIDEBUY_WIDGET_NEW_AMOUNTS_OVERALL": setting(
        "120/minute",
        "uncached amounts all clients together may ask the widget JSON endpoint about; none: "
        "no limit",
        accepts="'N/second', 'N/minute' or 'N/hour', or none",
        nullable=True,
    ),
}


def _guard(app: Flask, settings: Any = None) -> AmountGuard:
    specs = {}
    for key in ("DIVIDEBUY_WIDGET_NEW_AMOUNTS_PER_CLIENT", "DIVIDEBUY_WIDGET_NEW_AMOUNTS_OVERALL"):
        value = app.config[key]
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(f"{key} must be a rate like '20/minute'; it is {value!r}.")
        specs[key] = value or None
    try:
        return AmountGuard.from_specs(*specs.values(), settings=settings)
    except ValueError as exc:
        raise ConfigurationError(f"{', '.join(specs)}: {exc}") from None


def make_service(app: Flask, state: DivideBuyState) -> WidgetService:
    """The service from ``DIVIDEBUY_WIDGET_*`` settings; a bad setting fails at start-up."""
    return WidgetService(
        source=terms_source(app, state),
        budget=number(app, "DIVIDEBUY_WIDGET_BUDGET", minimum=0),
        maxsize=number(app, "DIVIDEBUY_WIDGET_CACHE_SIZE", minimum=1, integer=True),
        prefer_interest_free=bool(app.config["DIVIDEBUY_WIDGET_PREFER_INTEREST_FREE"]),
        guard=_guard(app, state.settings),
    )


def widget_service(app: Flask | None = None) -> WidgetService:
    """The app's :class:`WidgetService` (e.g. to ``warm()`` it after a price import)."""
    return get_state(app).services["widgets"]


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
            markup = asset_tags(
                url_for("dividebuy.static", filename="widget.css", v=asset_version("widget.css")),
                url_for("dividebuy.static", filename="widget.js", v=asset_version("widget.js")),
                environment=self.app.jinja_env,
            )
            self._markup[root] = markup
        return markup


def terms_endpoint() -> Response:
    """``GET /widget/terms?amount=…``: the widget's figures for the web component."""
    answer = terms_json(
        widget_service(),
        request.args.get("amount"),
        client_address=request.remote_addr,
        if_none_match=request.headers.get("If-None-Match"),
        max_age=int(current_app.config["DIVIDEBUY_WIDGET_HTTP_MAX_AGE"]),
    )
    return Response(answer.body, status=answer.status, headers=answer.headers)


def register(bp: Blueprint, app: Flask, state: DivideBuyState) -> None:
    service = make_service(app, state)
    state.services["widgets"] = service
    markup = WidgetMarkup(
        service, environment=app.jinja_env, maxsize=int(app.config["DIVIDEBUY_WIDGET_CACHE_SIZE"])
    )

    def dividebuy_widget(price: Any, price_source: str | None = None) -> Markup:
        """The server-rendered widget for *price* (empty markup when there is nothing to show).

        *price_source*: the id of a variant ``<select>`` (options with ``data-amount``) or a
        quantity input the web component follows, so the figures change with the variant.
        """
        return markup(price, price_source)

    app.add_template_global(dividebuy_widget, "dividebuy_widget")
    app.add_template_global(_Assets(app), "dividebuy_widget_assets")
    app.add_template_filter(lambda amount: format_gbp(to_money(amount)), "dividebuy_gbp")
    bp.add_url_rule("/widget/terms", "widget_terms", terms_endpoint, methods=["GET"])
