"""The app's one :class:`~dividebuy_checkout.terms.TermsSource`, shared by checkout and widgets.

Both blueprint parts ask :func:`terms_source` for it; the first call makes it from the
``DIVIDEBUY_TERMS_TTL`` and ``DIVIDEBUY_WIDGET_*`` cache settings (declared in
:mod:`.widgets`'s ``CONFIG_DEFAULTS``), later calls get the same object. So a product page
followed by the checkout form for that price costs one ``GET /terms``, and
``terms_source(app).clear()`` after a rate-card change clears what both show.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from ..settings import ConfigurationError
from ..terms import TermsSource
from .extension import DivideBuyState, get_state

__all__ = ["number", "terms_source"]


def number(app: Flask, key: str, *, minimum: float, integer: bool = False) -> Any:
    """A numeric setting, checked: a bad one is a :class:`ConfigurationError` at start-up.

    The config reader (:mod:`dividebuy_checkout.config`) has already converted and checked
    it when ``DivideBuy(app)`` read it; this also holds for an app.config changed later.
    """
    value: object = app.config[key]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not isinstance(value, int))
        or value < minimum
    ):
        what = "a whole number" if integer else "a number"
        raise ConfigurationError(f"{key} must be {what}, at least {minimum}; it is {value!r}.")
    return value


def terms_source(app: Flask | None = None, state: DivideBuyState | None = None) -> TermsSource:
    """The app's terms source (made on first use from the app's settings)."""
    app = app or current_app
    state = state or get_state(app)
    source = state.services.get("terms")
    if source is None:
        source = TermsSource(
            state.client,
            ttl=number(app, "DIVIDEBUY_TERMS_TTL", minimum=1),
            example_ttl=number(app, "DIVIDEBUY_WIDGET_EXAMPLE_TTL", minimum=1),
            stale_ttl=number(app, "DIVIDEBUY_WIDGET_STALE_TTL", minimum=0),
            maxsize=number(app, "DIVIDEBUY_WIDGET_CACHE_SIZE", minimum=1, integer=True),
            workers=number(app, "DIVIDEBUY_WIDGET_WORKERS", minimum=1, integer=True),
            failure_threshold=number(
                app, "DIVIDEBUY_WIDGET_FAILURE_THRESHOLD", minimum=1, integer=True
            ),
            reset_timeout=number(app, "DIVIDEBUY_WIDGET_RESET_TIMEOUT", minimum=1),
        )
        state.services["terms"] = source
    return source
