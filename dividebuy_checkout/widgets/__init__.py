"""Instalment widgets, framework-free: view-model, service, markup, JSON answer, guard.

    from dividebuy_checkout.widgets import WidgetService

    widgets = WidgetService(client, budget=0.3)
    view = widgets.view("2000.00")      # WidgetView, or None: render nothing
    if view:
        print(view.headline_text)       # "or 12 × £166.67 interest-free"

The figures come from :class:`dividebuy_checkout.terms.TermsSource` (one cache, shared with
checkout: ``WidgetService(source=source)``). :class:`WidgetMarkup` renders the widget's HTML,
:func:`asset_tags` its ``<head>`` tags, and :func:`terms_json` answers the web component's
``GET …/widget/terms?amount=…`` in any web framework. See docs/widgets.md. The Flask adapter
(``dividebuy_checkout.flask.widgets``) wires these into templates and a route.
"""

from ..terms import WORDING, TermView, Wording
from .endpoint import JsonAnswer, terms_json
from .guard import AmountGuard
from .markup import WidgetMarkup, asset_href, asset_tags, asset_version
from .sanitise import SanitisedExample, sanitise_html, to_text
from .service import WarmReport, WidgetOutcome, WidgetResult, WidgetService
from .viewmodel import WidgetView, build_view

__all__ = [
    "WORDING",
    "AmountGuard",
    "JsonAnswer",
    "SanitisedExample",
    "TermView",
    "WarmReport",
    "WidgetMarkup",
    "WidgetOutcome",
    "WidgetResult",
    "WidgetService",
    "WidgetView",
    "Wording",
    "asset_href",
    "asset_tags",
    "asset_version",
    "build_view",
    "sanitise_html",
    "terms_json",
    "to_text",
]
