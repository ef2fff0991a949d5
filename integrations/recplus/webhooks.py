"""REC+ webhooks (``new.order`` / ``update.order``) → platform events; status write-back.

REC+ (seed 004) sends "the same API objects as you'd get looking up that data
from the API", raw or "Wrap Data" (``{"event": …, "data": {…}}``), with HTTP
Basic or Bearer auth; no signature, event id or timestamp. So a delivery is a
**notification, not the truth**: the body only names the order (``data.id``);
when that order has a live DivideBuy checkout it is re-read with
``GET /orders/{id}`` and the events are derived from the order as it is now
(:func:`events_from_order`). A forged or stale body cannot invent a status, a
repeat derives the same action keys (recorded once), and the current state wins
over delivery order. Orders without a DivideBuy checkout cost no API call.

Derivation: the status is in ``DIVIDEBUY_RECPLUS_SETTLE_STATUSES`` → settle
(``settle:{id}``, dated the UK day it was observed: REC+ has no dispatch date);
in ``DIVIDEBUY_RECPLUS_REFUND_STATUSES`` → refund all that is left
(``refund-full:{id}``). Anything else (our own write-back included: the config
refuses a write-back value in either list) derives nothing.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .._webhook_side import WebhookSide
from ..assumptions import RECPLUS_JSON_TYPES
from ..events import EventKind, PlatformEvent
from .client import RecPlusOrderSource, StatusWrite
from .config import RecPlusConfig
from .mapping import PLATFORM

__all__ = ["RecPlusWebhooks", "events_from_order", "order_id_of", "same_secret"]

UK = ZoneInfo("Europe/London")


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets (as UTF-8 bytes)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def order_id_of(body: Mapping[str, Any]) -> str | None:
    """The order a delivery names, or ``None`` when it is not an order (users, products…).

    Wrapped iff the body's keys are exactly ``event`` (text) and ``data`` (object).
    An order has an integer ``id`` and a ``lines`` list, or an ``href`` under ``/orders/``.
    """
    data: Any = body
    if set(body) == {"event", "data"} and isinstance(body.get("event"), str):
        data = body["data"]
    if not isinstance(data, Mapping):
        return None
    order_id = data.get("id")
    if isinstance(order_id, bool) or not isinstance(order_id, int | str):
        return None
    text = str(order_id).strip()
    if not text.isdigit():
        return None
    href = data.get("href")
    if isinstance(data.get("lines"), list) or (
        isinstance(href, str) and href.lstrip("\\").startswith("/orders/")
    ):
        return text
    return None


def events_from_order(
    order: Mapping[str, Any], config: RecPlusConfig, observed_at: datetime
) -> list[PlatformEvent]:
    """The actions REC+ order *order* (as fetched) asks for now. Pure."""
    order_id = str(order.get("id"))
    status = order.get("status")
    if not isinstance(status, str):
        return []
    if status in config.settle_statuses:
        return [
            PlatformEvent(
                PLATFORM,
                f"settle:{order_id}",
                EventKind.SETTLE,
                order_id,
                delivered_on=observed_at.astimezone(UK).date(),
                note=f"status {status!r}",
            )
        ]
    if status in config.refund_statuses:
        return [
            PlatformEvent(
                PLATFORM,
                f"refund-full:{order_id}",
                EventKind.REFUND,
                order_id,
                note=f"status {status!r}",
            )
        ]
    return []


class RecPlusWebhooks(WebhookSide[RecPlusConfig, RecPlusOrderSource]):
    """The REC+ side of :class:`~..webhooks.WebhookIntake` and of the status write-back."""

    name = PLATFORM

    @property
    def configured(self) -> bool:
        return self.config.webhook_auth is not None

    @property
    def challenge(self) -> str:
        scheme = "Bearer" if self.config.webhook_auth == "bearer" else "Basic"
        return f'{scheme} realm="dividebuy-recplus-webhooks"'

    def authenticate(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """The ``Authorization`` header carries the configured credential (constant time)."""
        scheme, _, value = headers.get("authorization", "").partition(" ")
        value = value.strip()
        if self.config.webhook_auth == "bearer":
            token = self.config.webhook_token or ""
            return scheme.lower() == "bearer" and bool(token) and same_secret(value, token)
        if self.config.webhook_auth != "basic" or scheme.lower() != "basic":
            return False
        try:
            pair = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        user, _, password = pair.partition(":")
        # both compared, always, so the time does not say which was wrong
        user_ok = same_secret(user, self.config.webhook_user or "")
        password_ok = same_secret(password, self.config.webhook_password or "")
        return user_ok and password_ok

    def accepts(self, media: str) -> bool:
        return media in RECPLUS_JSON_TYPES or media.endswith("+json")

    def events(
        self, body: Any, event_name: str | None, has_checkout: Callable[[str], bool]
    ) -> list[PlatformEvent]:
        """Re-read the order the delivery names (only if it has a DivideBuy checkout)."""
        if not isinstance(body, Mapping):
            return []
        order_id = order_id_of(body)
        if order_id is None or not has_checkout(order_id):
            return []
        observed = self._clock()
        fresh = self.source.fetch(order_id)  # OrderSourceUnavailable → 503, redelivered
        if fresh is None:
            return []
        return events_from_order(fresh, self.config, observed)

    # -- write-back ----------------------------------------------------------------------

    def write_status(self, order_id: str, value: str) -> StatusWrite:
        return self.source.write_status(order_id, value)
