"""The DiSeller fake's webhook sender: signed Stripe-like deliveries, misbehaving on demand.

Endpoints are ``{url, secret, events}`` as a DiSeller Dashboard would hold them
(``POST /_fake/webhooks`` or :meth:`DiSellerWebhookSender.add_endpoint`). The
sender subscribes to the fake's state (``state.listeners``): every event the
state emits (``{"id": "evt_…", "type", "created", "data": {"object": …}}``) is
sent as JSON to each endpoint whose ``events`` include its type, signed with
:func:`..signature.sign` — the same code the receiver verifies with, so the
scheme exists once. Every attempt is logged with the receiver's status.

DiSeller documents no retries, ordering or duplicates (Q-D12), so a receiver
must cope with all of them; :class:`SignedDeliveryMode` produces them: ``duplicate``
(each event sent n times), ``reorder`` (held, then sent newest first on
:meth:`~DiSellerWebhookSender.flush`), ``hold``, ``delay_ms``,
``bad_signature`` (signed with a wrong secret), ``stale_seconds`` (a
timestamp that many seconds in the past) and ``retry_ms`` (a retry schedule: a
failed attempt — not 2xx, or no answer — is sent again after each wait in turn).
``POST /_fake/events/{id}/redeliver`` sends an event again, freshly signed, as
DiSeller's dashboard would.

The demo's admin page (``GET /_fake/``, :func:`admin_page`) lists the orders with
the shop's "pay with DivideBuy" link and buttons that complete, cancel or refund
an order at the fake, each firing its signed webhook.

Sending is synchronous (a test sees the effect when the admin call returns) and
happens outside the sender's lock, so the receiver may call back into the fake
to re-read the order. Timestamps come from the real clock (a receiver checks
them against its own), not the fake's movable clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

import httpx
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from ....money import dumps, loads
from ..signature import HEADER, SCHEME_T_V1, SCHEMES, sign

__all__ = [
    "ADMIN_ROUTES",
    "DiSellerWebhookSender",
    "SignedDelivery",
    "SignedDeliveryMode",
    "WebhookEndpoint",
    "add_webhook_routes",
    "admin_page",
    "handle_admin",
    "sender_for",
]

#: seconds the fake waits for a receiver (DiSeller's own timeout is not documented)
SEND_TIMEOUT = 10.0
#: every event type the seed lists (002:166); an endpoint with no ``events`` gets them all
EVENT_TYPES = frozenset(
    {
        "order.created",
        "order.updated",
        "order.completed",
        "order.cancelled",
        "payment.succeeded",
        "payment.failed",
        "product.created",
        "product.updated",
        "customer.created",
        "refund.processed",
    }
)
#: the admin paths :func:`handle_admin` answers
ADMIN_ROUTES = (
    "POST /_fake/webhooks",
    "GET /_fake/webhooks",
    "POST /_fake/webhooks/mode",
    "POST /_fake/webhooks/flush",
    "GET /_fake/webhooks/deliveries",
    "POST /_fake/events/{id}/redeliver",
    "GET /_fake/",
    "POST /_fake/ui/order",
)
_MAX_DUPLICATE = 20
_MAX_DELAY_MS = 10_000


@dataclass(frozen=True)
class WebhookEndpoint:
    """One endpoint as set up in DiSeller's Dashboard (secret hidden from ``repr``)."""

    url: str
    secret: str = field(repr=False)
    events: frozenset[str] = EVENT_TYPES
    scheme: str = SCHEME_T_V1

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        if not self.secret:
            raise ValueError("secret must not be empty")
        if self.scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}")


@dataclass(frozen=True)
class SignedDeliveryMode:
    """How deliveries misbehave (all off by default)."""

    duplicate: int = 1
    reorder: bool = False
    hold: bool = False
    delay_ms: int = 0
    bad_signature: bool = False
    stale_seconds: int = 0
    #: the retry schedule: after a failed attempt (not 2xx, or no answer), wait each of
    #: these in turn and send again (Stripe-like; DiSeller documents none)
    retry_ms: tuple[int, ...] = ()

    @property
    def holding(self) -> bool:
        return self.hold or self.reorder

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> SignedDeliveryMode:
        """From the admin call's JSON; a bad field is a ``ValueError`` naming it."""
        known = {
            "duplicate",
            "reorder",
            "hold",
            "delay_ms",
            "bad_signature",
            "stale_seconds",
            "retry_ms",
        }
        unknown = sorted(set(body) - known)
        if unknown:
            raise ValueError(f"unknown mode field {unknown[0]!r}")

        def whole(name: str, default: int, low: int, high: int) -> int:
            value = body.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low} to {high}")
            return value

        def flag(name: str) -> bool:
            value = body.get(name, False)
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
            return value

        return cls(
            duplicate=whole("duplicate", 1, 1, _MAX_DUPLICATE),
            reorder=flag("reorder"),
            hold=flag("hold"),
            delay_ms=whole("delay_ms", 0, 0, _MAX_DELAY_MS),
            bad_signature=flag("bad_signature"),
            stale_seconds=whole("stale_seconds", 0, 0, 10**7),
            retry_ms=_schedule(body.get("retry_ms", [])),
        )


def _schedule(value: Any) -> tuple[int, ...]:
    ok = isinstance(value, list) and len(value) <= _MAX_DUPLICATE
    if not ok or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= _MAX_DELAY_MS for v in value
    ):
        raise ValueError(
            f"retry_ms must be a list of at most {_MAX_DUPLICATE} waits of 0 to {_MAX_DELAY_MS} ms"
        )
    return tuple(value)


@dataclass
class SignedDelivery:
    """One attempt: which event went where, and the receiver's status (``None``: not yet,
    or the connection failed — ``error`` says how)."""

    number: int
    event_id: str
    event_type: str
    url: str
    body: bytes = field(repr=False)
    endpoint: WebhookEndpoint = field(repr=False)
    mode: SignedDeliveryMode = field(repr=False)
    status: int | None = None
    error: str | None = None
    sent_at: float | None = None
    #: 1 for the first attempt, then one more per retry of the schedule
    attempt: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "event_id": self.event_id,
            "type": self.event_type,
            "url": self.url,
            "status": self.status,
            "error": self.error,
            "attempt": self.attempt,
        }


class DiSellerWebhookSender:
    """Signs and sends the fake's events to every matching endpoint."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._state: Any = None
        #: the shop's "pay with DivideBuy" link on the admin page (``{id}``: the order id)
        self.pay_link: str | None = None
        self.reset()

    def reset(self) -> None:
        """Forget endpoints, mode, held and sent deliveries (the state's reset calls this)."""
        with self._lock:
            self._endpoints: list[WebhookEndpoint] = []
            self._mode = SignedDeliveryMode()
            self._held: list[SignedDelivery] = []
            self._sent: list[SignedDelivery] = []
            self._events: dict[str, dict[str, Any]] = {}
            self._count = 0

    def attach(self, state: Any) -> None:
        """Listen to *state*'s events (``state.listeners``); attaching twice is harmless."""
        self._state = state
        listeners: list[Callable[[dict[str, Any]], Any]] = state.listeners
        if self.on_event not in listeners:
            listeners.append(self.on_event)

    # -- set-up ------------------------------------------------------------------------------

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        with self._lock:
            self._endpoints.append(endpoint)

    @property
    def endpoints(self) -> list[WebhookEndpoint]:
        with self._lock:
            return list(self._endpoints)

    def set_mode(self, mode: SignedDeliveryMode) -> None:
        with self._lock:
            self._mode = mode

    @property
    def mode(self) -> SignedDeliveryMode:
        with self._lock:
            return self._mode

    # -- sending -----------------------------------------------------------------------------

    def on_event(self, event: Mapping[str, Any]) -> list[SignedDelivery]:
        """Send (or hold) *event* to each endpoint subscribed to its type."""
        event_id, event_type = str(event.get("id")), str(event.get("type"))
        body = dumps(dict(event))
        with self._lock:
            self._events[event_id] = dict(event)
            mode = self._mode
            made = self._make(event_id, event_type, body, self._endpoints, mode, mode.duplicate)
            if mode.holding:
                self._held.extend(made)
                return made
        self._deliver(made)
        return made

    def _make(
        self,
        event_id: str,
        event_type: str,
        body: bytes,
        endpoints: Iterable[WebhookEndpoint],
        mode: SignedDeliveryMode,
        times: int,
    ) -> list[SignedDelivery]:
        made: list[SignedDelivery] = []
        for endpoint in endpoints:
            if event_type not in endpoint.events:
                continue
            for _ in range(max(times, 1)):
                self._count += 1
                made.append(
                    SignedDelivery(
                        self._count, event_id, event_type, endpoint.url, body, endpoint, mode
                    )
                )
        return made

    def remember(self, event: Mapping[str, Any]) -> None:
        """Know *event* for :meth:`redeliver` without sending it."""
        with self._lock:
            self._events.setdefault(str(event.get("id")), dict(event))

    def flush(self) -> list[SignedDelivery]:
        """Send the held deliveries (newest first when the mode says ``reorder``)."""
        with self._lock:
            held, self._held = self._held, []
            reorder = self._mode.reorder
        if reorder:
            held.reverse()
        self._deliver(held)
        return held

    def redeliver(self, event_id: str) -> list[SignedDelivery]:
        """Send event *event_id* again to its endpoints, freshly signed, in the normal mode."""
        with self._lock:
            event = self._events.get(event_id)
            if event is None:
                raise KeyError(event_id)
            made = self._make(
                event_id,
                str(event.get("type")),
                dumps(event),
                self._endpoints,
                SignedDeliveryMode(),
                1,
            )
        self._deliver(made)
        return made

    def headers(self, delivery: SignedDelivery) -> dict[str, str]:
        """The signed headers for *delivery*, made when it is sent (after any delay)."""
        endpoint, mode = delivery.endpoint, delivery.mode
        secret = endpoint.secret + "-wrong" if mode.bad_signature else endpoint.secret
        stamp = int(self._clock()) - mode.stale_seconds
        return {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "DiSeller-Webhooks/1.0 (fake)",
            HEADER: sign(delivery.body, secret, stamp, scheme=endpoint.scheme),
        }

    def _deliver(self, deliveries: list[SignedDelivery]) -> None:
        for first in deliveries:
            delivery = first
            self._attempt(delivery)
            for wait in delivery.mode.retry_ms:
                if delivery.status is not None and 200 <= delivery.status < 300:
                    break
                time.sleep(wait / 1000)
                with self._lock:
                    self._count += 1
                    delivery = SignedDelivery(
                        self._count,
                        first.event_id,
                        first.event_type,
                        first.url,
                        first.body,
                        first.endpoint,
                        first.mode,
                        attempt=delivery.attempt + 1,
                    )
                self._attempt(delivery)

    def _attempt(self, delivery: SignedDelivery) -> None:
        if delivery.mode.delay_ms:
            time.sleep(delivery.mode.delay_ms / 1000)
        take_fault = getattr(self._state, "take_fault", None)
        fault = take_fault("WEBHOOK_SEND") if take_fault is not None else None
        if fault is not None:  # a fault armed on WEBHOOK_SEND: this delivery is lost
            delivery.error = "fault: not sent"
            with self._lock:
                self._sent.append(delivery)
            return
        try:
            reply = httpx.post(
                delivery.url,
                content=delivery.body,
                headers=self.headers(delivery),
                timeout=SEND_TIMEOUT,
            )
            delivery.status = reply.status_code
        except httpx.HTTPError as exc:
            delivery.error = type(exc).__name__
        delivery.sent_at = self._clock()
        with self._lock:
            self._sent.append(delivery)

    # -- reading -----------------------------------------------------------------------------

    @property
    def deliveries(self) -> list[SignedDelivery]:
        with self._lock:
            return list(self._sent)

    def snapshot(self) -> dict[str, Any]:
        """Endpoints (secrets hidden), the mode, held and sent deliveries, as JSON."""
        with self._lock:
            return {
                "endpoints": [
                    {"url": e.url, "events": sorted(e.events), "scheme": e.scheme}
                    for e in self._endpoints
                ],
                "mode": {
                    "duplicate": self._mode.duplicate,
                    "reorder": self._mode.reorder,
                    "hold": self._mode.hold,
                    "delay_ms": self._mode.delay_ms,
                    "bad_signature": self._mode.bad_signature,
                    "stale_seconds": self._mode.stale_seconds,
                    "retry_ms": list(self._mode.retry_ms),
                },
                "held": [d.to_dict() for d in self._held],
                "deliveries": [d.to_dict() for d in self._sent],
            }


def sender_for(state: Any) -> DiSellerWebhookSender:
    """The sender attached to *state* (``state.webhooks``), made and attached on first use."""
    sender = getattr(state, "webhooks", None)
    if not isinstance(sender, DiSellerWebhookSender):
        sender = DiSellerWebhookSender()
        state.webhooks = sender
    sender.attach(state)
    return sender


def _endpoint_from_json(body: Mapping[str, Any]) -> WebhookEndpoint:
    url, secret = body.get("url"), body.get("secret")
    if not isinstance(url, str) or not url:
        raise ValueError("url is required")
    if not isinstance(secret, str) or not secret:
        raise ValueError("secret is required")
    events = body.get("events")
    if events is None:
        chosen = EVENT_TYPES
    elif isinstance(events, list) and all(isinstance(e, str) for e in events) and events:
        chosen = frozenset(events)
    else:
        raise ValueError("events must be a non-empty list of event types")
    scheme = body.get("scheme", SCHEME_T_V1)
    if not isinstance(scheme, str):
        raise ValueError("scheme must be text")
    return WebhookEndpoint(url=url, secret=secret, events=chosen, scheme=scheme)


def handle_admin(
    state: Any, method: str, path: str, body: Any
) -> tuple[int, dict[str, Any]] | None:
    """Answer one webhook admin call of the fake, or ``None`` when *path* is not one.

    The fake's app calls this for paths under ``/_fake/`` with the parsed JSON
    body (``None`` when empty) and sends the ``(status, JSON)`` it returns; bad
    input is a 400 naming the field, an unknown event a 404.
    """
    path = path.rstrip("/")
    webhooks = path == "/_fake/webhooks" or path.startswith("/_fake/webhooks/")
    redeliver = path.startswith("/_fake/events/") and path.endswith("/redeliver")
    if not (webhooks or redeliver):
        return None
    sender = sender_for(state)
    for event in getattr(state, "events", ()):  # events emitted before the sender attached
        if isinstance(event, Mapping):
            sender.remember(event)
    data: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    if body is not None and not isinstance(body, Mapping):
        return 400, _invalid("Send a JSON object.")
    try:
        if redeliver and method == "POST":
            event_id = path[len("/_fake/events/") : -len("/redeliver")]
            try:
                sent = sender.redeliver(event_id)
            except KeyError:
                return 404, _invalid("No such event.")
            return 200, {"deliveries": [d.to_dict() for d in sent]}
        if path == "/_fake/webhooks" and method == "POST":
            endpoint = _endpoint_from_json(data)
            sender.add_endpoint(endpoint)
            return 201, {"url": endpoint.url, "events": sorted(endpoint.events)}
        if path in ("/_fake/webhooks", "/_fake/webhooks/deliveries") and method == "GET":
            return 200, sender.snapshot()
        if path == "/_fake/webhooks/mode" and method == "POST":
            sender.set_mode(SignedDeliveryMode.from_json(data))
            return 200, sender.snapshot()["mode"]
        if path == "/_fake/webhooks/flush" and method == "POST":
            return 200, {"deliveries": [d.to_dict() for d in sender.flush()]}
    except ValueError as exc:
        return 400, _invalid(str(exc))
    return 405, _invalid("Method not allowed.")


def add_webhook_routes(app: Any, state: Any) -> DiSellerWebhookSender:
    """Attach a sender to *state* and serve :data:`ADMIN_ROUTES` on the fake's *app*
    (its ``add_routes(rules, handler)``; the app calls this at start-up)."""
    sender = sender_for(state)

    def handler(request: Request, endpoint: str, args: Mapping[str, Any]) -> Response:
        if endpoint == "webhooks_page":
            html = admin_page(state, sender.pay_link)
            return Response(html, content_type="text/html; charset=utf-8")
        if endpoint == "webhooks_ui":
            return _ui(state, request)
        raw = request.get_data(cache=True)
        try:
            body = loads(raw) if raw.strip() else None
        except (ValueError, RecursionError):
            status, answer = 400, _invalid("Invalid JSON in the request body.")
        else:
            found = handle_admin(state, request.method, request.path, body)
            status, answer = found or (404, _invalid("Unrecognized request URL."))
        return Response(dumps(answer), status=status, content_type="application/json")

    app.add_routes(
        [
            Rule("/_fake/webhooks", methods=["GET", "POST"], endpoint="webhooks_endpoints"),
            Rule("/_fake/webhooks/deliveries", methods=["GET"], endpoint="webhooks_deliveries"),
            Rule("/_fake/webhooks/mode", methods=["POST"], endpoint="webhooks_mode"),
            Rule("/_fake/webhooks/flush", methods=["POST"], endpoint="webhooks_flush"),
            Rule("/_fake/events/<event_id>/redeliver", methods=["POST"], endpoint="redeliver"),
            Rule("/_fake/", methods=["GET"], endpoint="webhooks_page"),
            Rule("/_fake/ui/order", methods=["POST"], endpoint="webhooks_ui"),
        ],
        handler,
    )
    return sender


def admin_page(state: Any, pay_link: str | None) -> str:
    """The demo's admin page (``GET /_fake/``): each order with a "pay with DivideBuy" link
    (*pay_link*, ``{id}`` replaced) and buttons that complete, cancel or refund it at the
    fake — each fires its signed webhook. Every value is escaped."""
    rows = []
    for order in state.list_orders():
        raw_id = str(order.get("id"))
        order_id = escape(raw_id)
        total = order.get("total")
        money = f"{total / 100:,.2f}" if isinstance(total, int) else "?"
        currency = escape(str(order.get("currency", "")).upper())
        status = escape(str(order.get("status", "")))
        pay = (
            f'<a href="{escape(pay_link.replace("{id}", raw_id))}">Pay with DivideBuy</a>'
            if pay_link
            else ""
        )
        rows.append(
            f"<tr><td>{order_id}</td><td>{money} {currency}</td><td>{status}</td><td>{pay}</td>"
            f'<td><form method="post" action="/_fake/ui/order">'
            f'<input type="hidden" name="order_id" value="{order_id}">'
            '<button name="action" value="complete">Complete</button> '
            '<button name="action" value="cancel">Cancel</button> '
            '<label>Refund (pence) <input name="amount" inputmode="numeric" size="8"></label> '
            '<button name="action" value="refund">Refund</button></form></td></tr>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>DiSeller (fake) orders</title></head><body><h1>DiSeller (fake): orders</h1>"
        "<table><thead><tr><th>Order</th><th>Total</th><th>Status</th><th>Shopper</th>"
        "<th>Shop admin</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        '<p><a href="/_fake/webhooks">Webhook deliveries (JSON)</a> · '
        '<a href="/_fake/state">State (JSON)</a></p></body></html>'
    )


def _ui(state: Any, request: Request) -> Response:
    """A button on the admin page: complete, cancel or refund, then back to the page."""
    form = request.form
    order_id, action = form.get("order_id", ""), form.get("action", "")
    try:
        if action == "complete":
            state.complete(order_id)
        elif action == "cancel":
            state.cancel(order_id)
        elif action == "refund":
            amount = form.get("amount", "").strip()
            if not amount.isdigit():
                raise ValueError("amount: a whole number of pence")
            state.refund(order_id, int(amount))
        else:
            raise ValueError("action: complete, cancel or refund")
    except Exception as exc:  # the fake's own errors (unknown order, too much) → 400 text
        message = getattr(exc, "message", None) or str(exc)
        return Response(f"Not done: {message}", status=400, content_type="text/plain")
    return Response(status=303, headers={"Location": "/_fake/"})


def _invalid(message: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "message": message}}
