"""The blueprint's webhook part: shop platforms' events in, status write-back out.

Routes (under ``DIVIDEBUY_URL_PREFIX``)::

    POST /webhooks/<platform>               a platform's delivery (REC+: raw or Wrap Data)
    POST /webhooks/<platform>/<event_name>  the same, for one-URL-per-event set-ups

Thin: :class:`~dividebuy_checkout.integrations.webhooks.WebhookIntake` decides
(its docstring lists every status and JSON body). The platform is the one
``DIVIDEBUY_ORDER_SOURCE`` names; its webhook credential comes from its own
``DIVIDEBUY_<PLATFORM>_*`` keys (REC+: ``WEBHOOK_AUTH``, ``WEBHOOK_USER``,
``WEBHOOK_PASSWORD``, ``WEBHOOK_TOKEN``) — with none configured every delivery
is 403. CSRF-exempt (a platform cannot hold a CSRF token; the credential is the
check). Checkout events are also written back to the platform (its
``STATUS_*`` keys) by a receiver on the app's checkout signals.
"""

from __future__ import annotations

import os
from collections import ChainMap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from ..config import ConfigurationError, setting
from ..events import CHECKOUT_EVENTS

# integrations/ joins this package only when installed (setup.py maps it): mypy run on the
# source tree cannot see it; tests/test_quality.py checks it in the installed layout
from ..integrations import PLATFORMS, build_webhooks  # type: ignore[import-not-found]
from ..integrations.assumptions import WEBHOOK_MAX_BYTES  # type: ignore[import-not-found]
from ..integrations.events import EventProcessor  # type: ignore[import-not-found]
from ..integrations.webhooks import WebhookAnswer, WebhookIntake  # type: ignore[import-not-found]
from ..integrations.writeback import StatusWriteBack  # type: ignore[import-not-found]
from ..store.inbox import PlatformInbox
from . import backoffice, signals
from .extension import DivideBuyState

__all__ = ["CONFIG_DEFAULTS", "PLATFORM_KEY", "PlatformServices", "platform_services", "register"]

#: where the app's platform services live: ``app.extensions[PLATFORM_KEY]``
PLATFORM_KEY = "dividebuy_platforms"

CONFIG_DEFAULTS: dict[str, Any] = {
    "DIVIDEBUY_WEBHOOK_MAX_BYTES": setting(
        WEBHOOK_MAX_BYTES,
        "largest shop-platform webhook body read (bytes); larger is 413",
        minimum=1024,
    ),
}


@dataclass
class PlatformServices:
    """The app's inbox, its processor, the webhook intake and the platform's write-back."""

    inbox: PlatformInbox
    processor: EventProcessor
    intake: WebhookIntake
    writeback: StatusWriteBack | None = None


def platform_services(app: Flask) -> PlatformServices:
    """The platform services of *app* (``flask dividebuy events …`` and tests use them)."""
    services: PlatformServices = app.extensions[PLATFORM_KEY]
    return services


def _answer(answer: WebhookAnswer) -> Response:
    response = jsonify(answer.body)
    response.status_code = answer.status
    response.headers.update(answer.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def register(bp: Blueprint, app: Flask, state: DivideBuyState) -> None:
    config = ChainMap(dict(app.config), dict(os.environ))
    try:
        hooks = build_webhooks(config, state.order_source)
    except ConfigurationError as exc:
        raise ConfigurationError(f"DivideBuy cannot start: {exc}", key=exc.key) from None
    inbox = PlatformInbox(state.store.engine)
    office = state.services.get("backoffice") or backoffice.make_service(app, state)
    processor = EventProcessor(inbox, office, notify=signals.notifier(app))
    platforms = {hooks.name: hooks} if hooks is not None else {}
    intake = WebhookIntake(
        platforms,
        inbox,
        processor,
        lambda order_id: state.store.live_for_order(order_id) is not None,
        max_bytes=int(app.config["DIVIDEBUY_WEBHOOK_MAX_BYTES"]),
        known=frozenset(PLATFORMS),
    )
    writeback = StatusWriteBack(hooks, inbox) if hooks is not None else None
    app.extensions[PLATFORM_KEY] = PlatformServices(inbox, processor, intake, writeback)
    if writeback is not None:
        for event in CHECKOUT_EVENTS:
            signals.SIGNALS[event].connect(_receiver(writeback, event), sender=app, weak=False)

    def webhook(platform: str, event_name: str | None = None) -> Response:
        too_large = intake.too_large(request.content_length)
        if too_large is not None:
            return _answer(too_large)
        body = request.stream.read(intake.max_bytes + 1)
        answer = intake.receive(
            platform,
            body,
            dict(request.headers),
            event_name=event_name,
            remote_address=request.remote_addr,
        )
        return _answer(answer)

    bp.add_url_rule("/webhooks/<platform>", "webhook", webhook, methods=["POST"])
    bp.add_url_rule("/webhooks/<platform>/<event_name>", "webhook_event", webhook, methods=["POST"])
    _exempt_from_csrf(bp, app, webhook)


def _receiver(writeback: StatusWriteBack, event: str) -> Callable[..., None]:
    def receive(sender: Flask, **payload: Any) -> None:
        writeback(event, **payload)

    return receive


def _exempt_from_csrf(bp: Blueprint, app: Flask, view: Callable[..., Any]) -> None:
    """Platforms cannot send a CSRF token: exempt the view if Flask-WTF's CSRFProtect is on."""

    def exempt() -> None:
        csrf = app.extensions.get("csrf")
        if csrf is not None and hasattr(csrf, "exempt"):
            csrf.exempt(view)

    exempt()
    bp.before_app_request(exempt)
