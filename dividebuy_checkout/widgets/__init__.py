"""Instalment widgets, framework-free: view-model, caches, breaker, sanitiser, service.

    from dividebuy_checkout.widgets import WidgetService

    widgets = WidgetService(client, budget=0.3)
    view = widgets.view("2000.00")      # WidgetView, or None: render nothing
    if view:
        print(view.headline_text)       # "or 12 × £166.67 interest-free"

See docs/widgets.md. The Flask adapter (``dividebuy_checkout.flask.widgets``) adds the
``dividebuy_widget(price)`` template global, the JSON endpoint and the web component.
"""

from .breaker import BreakerState, CircuitBreaker, CircuitOpenError
from .cache import BudgetExceeded, CacheMiss, SWRCache
from .sanitise import SanitisedExample, sanitise_html, to_text
from .service import Outcome, WarmReport, WidgetResult, WidgetService
from .viewmodel import WORDING, TermView, WidgetView, Wording, build_view

__all__ = [
    "WORDING",
    "BreakerState",
    "BudgetExceeded",
    "CacheMiss",
    "CircuitBreaker",
    "CircuitOpenError",
    "Outcome",
    "SWRCache",
    "SanitisedExample",
    "TermView",
    "WarmReport",
    "WidgetResult",
    "WidgetService",
    "WidgetView",
    "Wording",
    "build_view",
    "sanitise_html",
    "to_text",
]
