"""The fake's webhook sender: REC+'s ``new.order`` / ``update.order`` deliveries, misbehaving
on demand.

REC+ (seed 004) sends "the same API objects as you'd get looking up that data
from the API", raw or with "Wrap Data" (``{"event": ..., "data": {...}}``),
optionally with HTTP Basic or Bearer auth, as JSON or XML. It documents no
signature, event id or retry policy, so a receiver must cope with repeats and
any order: :class:`DeliveryMode` produces exactly that (``duplicate``, ``reorder``,
``delay_ms``, ``hold``). Every attempt is recorded with the receiver's status.

Sending is synchronous (tests see the effect on return) and happens outside the
fake's lock, so the receiver may call back into the fake to re-read the order.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from ....money import dumps

__all__ = ["Delivery", "DeliveryMode", "WebhookSender", "WebhookSubscription"]

#: Seconds the fake waits for a receiver (REC+'s own timeout is not documented).
SEND_TIMEOUT = 5.0


@dataclass(frozen=True)
class WebhookSubscription:
    """One webhook as set up in REC+'s Admin > API Webhooks."""

    url: str
    events: frozenset[str] = frozenset({"new.order", "update.order"})
    auth: str = "none"  # "none" | "basic" | "bearer"
    user: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    wrap: bool = True
    format: str = "json"  # "json" | "xml"

    def __post_init__(self) -> None:
        if self.auth not in ("none", "basic", "bearer"):
            raise ValueError("auth must be none, basic or bearer")
        if self.format not in ("json", "xml"):
            raise ValueError("format must be json or xml")

    def headers(self) -> dict[str, str]:
        kind = "application/json" if self.format == "json" else "application/xml"
        headers = {"Content-Type": kind}
        if self.auth == "basic":
            pair = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        elif self.auth == "bearer":
            headers["Authorization"] = f"Bearer {self.token}"
        return headers


@dataclass(frozen=True)
class DeliveryMode:
    """How deliveries misbehave: each event sent ``duplicate`` times, after ``delay_ms``;
    with ``hold`` they wait for :meth:`WebhookSender.flush`, newest first if ``reorder``."""

    duplicate: int = 1
    delay_ms: int = 0
    reorder: bool = False
    hold: bool = False


@dataclass
class Delivery:
    """One attempt: what was sent where, and the receiver's status (``None`` = not yet / failed)."""

    number: int
    event: str
    order_id: str
    url: str
    body: bytes = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    status: int | None = None
    error: str | None = None


class WebhookSender:
    """Sends (or holds) deliveries to every subscription whose events include the event."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._subscriptions: list[WebhookSubscription] = []
            self._mode = DeliveryMode()
            self._held: list[Delivery] = []
            self._sent: list[Delivery] = []
            self._count = 0

    def subscribe(self, subscription: WebhookSubscription) -> None:
        with self._lock:
            self._subscriptions.append(subscription)

    def set_mode(self, mode: DeliveryMode) -> None:
        with self._lock:
            self._mode = mode

    def send(self, event: str, obj: dict[str, Any]) -> list[Delivery]:
        """Queue *event* for *obj* to each matching subscription; send now unless held."""
        with self._lock:
            mode = self._mode
            made: list[Delivery] = []
            for sub in self._subscriptions:
                if event not in sub.events:
                    continue
                body = self._body(sub, event, obj)
                for _ in range(max(mode.duplicate, 1)):
                    self._count += 1
                    made.append(
                        Delivery(
                            self._count, event, str(obj.get("id")), sub.url, body, sub.headers()
                        )
                    )
            if mode.hold:
                self._held.extend(made)
                return made
        self._deliver(made, mode)
        return made

    def flush(self) -> list[Delivery]:
        """Send the held deliveries (newest first when the mode says ``reorder``)."""
        with self._lock:
            held, self._held = self._held, []
            mode = self._mode
        if mode.reorder:
            held.reverse()
        self._deliver(held, mode)
        return held

    def redeliver(self, number: int) -> Delivery:
        """Send delivery *number* again, as a new attempt."""
        with self._lock:
            old = next(d for d in self._sent if d.number == number)
            self._count += 1
            again = Delivery(self._count, old.event, old.order_id, old.url, old.body, old.headers)
        self._deliver([again], DeliveryMode())
        return again

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._sent)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "number": d.number,
                    "event": d.event,
                    "order_id": d.order_id,
                    "url": d.url,
                    "status": d.status,
                    "error": d.error,
                }
                for d in self._sent
            ] + [{"number": d.number, "event": d.event, "held": True} for d in self._held]

    @staticmethod
    def _body(sub: WebhookSubscription, event: str, obj: dict[str, Any]) -> bytes:
        if sub.format == "xml":
            tag = event.replace(".", "_")
            return f"<{tag}><id>{obj.get('id')}</id></{tag}>".encode()
        return dumps({"event": event, "data": obj} if sub.wrap else obj)

    def _deliver(self, deliveries: list[Delivery], mode: DeliveryMode) -> None:
        for delivery in deliveries:
            if mode.delay_ms:
                time.sleep(mode.delay_ms / 1000)
            try:
                reply = httpx.post(
                    delivery.url,
                    content=delivery.body,
                    headers=delivery.headers,
                    timeout=SEND_TIMEOUT,
                )
                delivery.status = reply.status_code
            except httpx.HTTPError as exc:
                delivery.error = type(exc).__name__
            with self._lock:
                self._sent.append(delivery)
