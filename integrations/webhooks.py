"""Framework-free webhook intake: raw bytes and headers in, ``(status, JSON)`` out.

Mounted by the Flask blueprint at ``POST {url_prefix}/webhooks/<platform>`` and
``POST {url_prefix}/webhooks/<platform>/<event_name>`` (the event name in the
path is for platforms that send one URL per event; it is informational).

Request: the platform's body as sent (REC+: its order object, raw or "Wrap Data"
``{"event": "update.order", "data": {...}}``), ``Content-Type: application/json``,
the platform's credential (REC+: ``Authorization: Basic …`` or ``Bearer …``).

Responses (always ``application/json``):

- **200** ``{"received": n, "recorded": m, "duplicates": d, "ignored": i}`` — the
  delivery was read: ``n`` events derived from it, ``m`` of them new (recorded and
  processed), ``d`` already recorded; ``ignored`` is 1 when it asked for nothing
  (no DivideBuy checkout, not an order). An action the back office refuses is
  still a 200: resending cannot fix it;
- **400** ``{"error": "bad_body", "message": …}`` — not a JSON object; ``{"error":
  "bad_event", "field": …, "message": …}`` — authentic but not a well-formed event
  (:class:`BadEvent`, DiSeller); an authentic event nothing safe can be done with
  (:class:`RefusedEvent`) is a 200 with ``"rejected": 1`` and ``platform_event_rejected``;
- **401** ``{"error": "unauthorised"}`` — the credential is missing or wrong;
  nothing recorded (``WWW-Authenticate`` says which scheme);
- **403** ``{"error": "not_configured"}`` — no webhook credential is configured
  for this platform (webhooks are never open by default);
- **404** ``{"error": "unknown_platform"}``;
- **413** ``{"error": "too_large"}`` — body over ``DIVIDEBUY_WEBHOOK_MAX_BYTES``;
- **415** ``{"error": "unsupported_media_type"}`` — XML or anything not JSON;
- **503** ``{"error": "not_recorded"}`` — the event could not be recorded (the
  database, or the platform's order could not be re-read): the platform should
  redeliver. Only then; never for a refused action.

Order of the checks: platform → credential configured → size → authenticate on
the raw bytes → content type → parse → derive events → record → process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from .. import events as core_events
from ..money import loads
from ..orders import OrderSourceError
from ..store.inbox import PlatformInbox
from .assumptions import WEBHOOK_MAX_BYTES
from .events import EventProcessor, PlatformEvent

__all__ = [
    "BadEvent",
    "RefusedEvent",
    "WebhookAnswer",
    "WebhookIntake",
    "WebhookPlatform",
    "media_type",
]

log = logging.getLogger("dividebuy_checkout.integrations.webhooks")


class WebhookPlatform(Protocol):
    """What a platform plugs into the intake (REC+: :class:`.recplus.webhooks.RecPlusWebhooks`).

    ``configured`` is false when no credential is set (→ 403). ``authenticate``
    sees the raw body and the headers (lower-case names) before anything is
    parsed. ``accepts`` says whether the media type can be read. ``events`` turns
    the parsed body into events; *has_checkout* says whether an order has a live
    DivideBuy checkout (so most deliveries end without a platform call). It
    raises :class:`~dividebuy_checkout.orders.OrderSourceError` when the platform
    could not be asked (→ 503, redelivered).
    """

    name: str

    @property
    def configured(self) -> bool: ...

    @property
    def challenge(self) -> str: ...

    def authenticate(self, body: bytes, headers: Mapping[str, str]) -> bool: ...

    def accepts(self, media: str) -> bool: ...

    def events(
        self, body: Any, event_name: str | None, has_checkout: Callable[[str], bool]
    ) -> list[PlatformEvent]: ...


class BadEvent(ValueError):
    """Raised by ``events``: an authentic delivery that is not a well-formed event (→ 400
    naming ``field``; nothing recorded). Resending cannot fix it, but a 400 shows in the
    platform's delivery log, where a 200 would hide its bug."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RefusedEvent(Exception):
    """Raised by ``events``: an authentic event nothing safe can be done with (a refund
    without an amount): 200, nothing recorded, ``platform_event_rejected`` for a person."""

    def __init__(self, reason: str, *, order_id: str | None = None, key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.order_id = order_id
        self.key = key


@dataclass(frozen=True)
class WebhookAnswer:
    """The HTTP answer: status, JSON body, extra headers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def media_type(content_type: str | None) -> str:
    """``"application/json"`` from ``"Application/JSON; charset=utf-8"``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _error(status: int, code: str, message: str, **headers: str) -> WebhookAnswer:
    return WebhookAnswer(status, {"error": code, "message": message}, dict(headers))


class WebhookIntake:
    """Receive deliveries for the configured platforms; record once; process what is new."""

    def __init__(
        self,
        platforms: Mapping[str, WebhookPlatform],
        inbox: PlatformInbox,
        processor: EventProcessor | None,
        has_checkout: Callable[[str], bool],
        *,
        max_bytes: int = WEBHOOK_MAX_BYTES,
        known: frozenset[str] = frozenset(),
    ) -> None:
        self.platforms = dict(platforms)
        self.inbox = inbox
        self.processor = processor
        self.has_checkout = has_checkout
        self.max_bytes = max_bytes
        #: platform names that exist but are not set up here (→ 403, not 404)
        self.known = known | frozenset(self.platforms)

    def too_large(self, content_length: int | None) -> WebhookAnswer | None:
        """A 413 when the declared length is over the limit (check before reading the body)."""
        if content_length is not None and content_length > self.max_bytes:
            return _error(
                413, "too_large", f"Webhook bodies are limited to {self.max_bytes} bytes."
            )
        return None

    def receive(
        self,
        platform: str,
        body: bytes,
        headers: Mapping[str, str],
        *,
        event_name: str | None = None,
        remote_address: str | None = None,
    ) -> WebhookAnswer:
        """Handle one delivery; *headers* may use any case."""
        headers = {name.lower(): value for name, value in headers.items()}
        hooks = self.platforms.get(platform)
        if hooks is None or not hooks.configured:
            if platform not in self.known:
                return _error(404, "unknown_platform", "No such platform.")
            return _error(
                403,
                "not_configured",
                f"Webhooks from {platform} are not accepted: no webhook credential is configured.",
            )
        if len(body) > self.max_bytes:
            return _error(
                413, "too_large", f"Webhook bodies are limited to {self.max_bytes} bytes."
            )
        if not hooks.authenticate(body, headers):
            log.warning(
                "refused a %s webhook with a wrong credential from %s", platform, remote_address
            )
            return _error(
                401,
                "unauthorised",
                "The webhook credential is missing or wrong.",
                **{"WWW-Authenticate": hooks.challenge},
            )
        media = media_type(headers.get("content-type"))
        if not hooks.accepts(media):
            return _error(
                415,
                "unsupported_media_type",
                f"Send webhooks as JSON, not {media or 'an untyped body'}.",
            )
        try:
            parsed = loads(body)
        except (ValueError, RecursionError):
            return _error(400, "bad_body", "The body is not valid JSON.")
        if not isinstance(parsed, dict):
            return _error(400, "bad_body", "The body must be a JSON object.")
        try:
            derived = hooks.events(parsed, event_name, self.has_checkout)
        except BadEvent as exc:
            log.warning("%s webhook refused as malformed: %s", platform, exc)
            return WebhookAnswer(
                400, {"error": "bad_event", "field": exc.field, "message": exc.message}
            )
        except RefusedEvent as exc:
            return self._refused(platform, exc)
        except OrderSourceError as exc:
            log.warning(
                "%s webhook not recorded: the order could not be re-read (%s)", platform, exc.detail
            )
            return _error(503, "not_recorded", "The order could not be read; send it again later.")
        return self._record(derived)

    def _refused(self, platform: str, refused: RefusedEvent) -> WebhookAnswer:
        log.warning("%s webhook not acted on: %s", platform, refused.reason)
        if self.processor is not None:
            try:
                self.processor.notify(
                    core_events.PLATFORM_EVENT_REJECTED,
                    platform=platform,
                    order_id=refused.order_id,
                    event_key=refused.key,
                    outcome="rejected",
                    reason=refused.reason,
                )
            except Exception:
                log.exception("a listener failed on a refused %s webhook", platform)
        body = {"received": 1, "recorded": 0, "duplicates": 0, "ignored": 1, "rejected": 1}
        return WebhookAnswer(200, body)

    def _record(self, derived: list[PlatformEvent]) -> WebhookAnswer:
        recorded: list[int] = []
        duplicates = 0
        try:
            for event in derived:
                entry = event.record(self.inbox)
                if entry is None:
                    duplicates += 1
                else:
                    recorded.append(entry.id)
        except SQLAlchemyError:
            log.exception("platform events could not be recorded")
            return _error(503, "not_recorded", "The event could not be recorded; send it again.")
        if recorded and self.processor is not None:
            try:
                self.processor.process_due(ids=recorded, limit=len(recorded))
            except Exception:  # recorded: `events process` picks it up again
                log.exception("recorded platform events could not be processed now")
        return WebhookAnswer(
            200,
            {
                "received": len(derived),
                "recorded": len(recorded),
                "duplicates": duplicates,
                "ignored": 0 if derived else 1,
            },
        )
