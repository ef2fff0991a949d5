"""DiSeller's signed webhooks → platform events (ADAPTERS.md §3.3).

Mounted by the generic intake (:class:`~..webhooks.WebhookIntake`) at
``POST {DIVIDEBUY_URL_PREFIX}/webhooks/diseller``. DiSeller's deliveries are
Stripe-shaped events (seed 002:166-178)::

    {"id": "evt_123", "type": "order.completed", "created": 1642245600,
     "data": {"object": {"id": "ord_456", "status": "completed", …}}}

signed with ``X-DiSeller-Signature`` (:mod:`.signature`: verified on the raw bytes
before anything is parsed; a failure is 401 and nothing is recorded).

What each event does, and why:

- ``order.completed`` (``DIVIDEBUY_DISELLER_SETTLE_EVENT``) → settle, key
  ``settle:{order id}``, delivered on the **UK date** of ``created``. The order is
  **re-read** first (``GET /orders/{id}``) and must still say what the event says
  ("completed"): deliveries come in any order (Q-D12), so a late
  ``order.completed`` after ``order.cancelled`` does nothing.
- ``refund.processed`` (``DIVIDEBUY_DISELLER_REFUND_EVENT``) → refund of
  ``amount`` (minor units → pounds), key ``refund:{refund id}``: two events naming
  one refund are one refund, and DivideBuy is asked for exactly what DiSeller
  refunded, never "all that is left". DiSeller documents no refunds endpoint, so
  the signed payload is trusted (``{id, order_id, amount, currency}``, Q-D7). A
  refund event missing one of those, with a non-integer amount or in another
  currency is not recorded: 200, a warning and ``platform_event_rejected``
  (nothing safe can be done automatically; a person must look).
- ``order.cancelled`` → noted (``cancel:{order id}``, nothing sent to DivideBuy);
  with ``DIVIDEBUY_DISELLER_REFUND_ON_CANCEL`` a refund of all that is left.
- anything else (``order.created``, ``payment.*`` — DiSeller's own card payments —,
  ``product.*``, unknown types) → 200, ignored.

Every delivery is deduplicated by its event ``id`` (the inbox's
``(platform, delivery_id)``) as well as by the action key, so the same
``evt_…`` delivered three times, or twice at once, is one action. An order
without a live DivideBuy checkout is ignored before any DiSeller or DivideBuy
call. A signed event missing ``id``, ``type``, ``created`` or ``data.object`` is
a 400 naming the field: it is DiSeller's bug, and a 400 shows in its dashboard.

With the ``hex-body`` scheme (no signed timestamp) an event whose ``created``
is older than :data:`HEX_BODY_MAX_AGE` is ignored, as the replay defence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from .._webhook_side import WebhookSide
from ..events import EventKind, PlatformEvent
from ..results import StatusWrite
from ..webhooks import BadEvent, RefusedEvent
from .config import DiSellerConfig
from .signature import HEADER, SCHEME_HEX_BODY, SignatureInvalid, verify

__all__ = [
    "CANCEL_EVENT",
    "HEX_BODY_MAX_AGE",
    "PLATFORM",
    "DiSellerWebhooks",
    "OrderReader",
    "SourceReader",
    "events_from_delivery",
    "uk_date",
]

log = logging.getLogger("dividebuy_checkout.integrations.diseller.webhooks")

PLATFORM = "diseller"
UK = ZoneInfo("Europe/London")
#: the cancellation event (002:166); not a setting: it never moves money by itself
CANCEL_EVENT = "order.cancelled"
#: ``hex-body`` has no signed timestamp: older events are refused as possible replays
HEX_BODY_MAX_AGE = timedelta(days=3)
#: the only currency DivideBuy refunds in (DiSeller writes it lower case: "usd", 002:60)
CURRENCY = "gbp"
# inbox column widths (dividebuy_platform_events): longer ids cannot be recorded
_MAX_ID = 100
_MAX_EVENT_ID = 200
# 10^12 minor units = £10bn: anything bigger is not a refund
_MAX_MINOR = 10**12
# a created far outside any real clock is not Unix seconds
_MIN_CREATED = 946_684_800  # 2000-01-01
_MAX_CREATED = 4_102_444_800  # 2100-01-01


class OrderReader(Protocol):
    """What the webhooks need from the order source: the order as DiSeller has it now.

    ``read_order``: the raw order object, ``None`` when DiSeller says 404; raises
    :class:`~dividebuy_checkout.orders.OrderSourceError` when DiSeller could not be
    asked (→ 503, redelivered). :class:`SourceReader` adapts the order source.
    """

    def read_order(self, order_id: str) -> Mapping[str, Any] | None: ...


class SourceReader:
    """:class:`OrderReader` over :class:`~.client.DiSellerOrderSource`.

    Uses the source's ``read_order`` when it has one (the order alone, one
    request), else its ``fetch`` bundle ``{"order", "customer", "products"}``.
    """

    def __init__(self, source: Any) -> None:
        self.source = source

    def read_order(self, order_id: str) -> Mapping[str, Any] | None:
        read = getattr(self.source, "read_order", None)
        if callable(read):
            found: Mapping[str, Any] | None = read(order_id)
            return found
        bundle = self.source.fetch(order_id)
        order = None if bundle is None else bundle.get("order")
        return order if isinstance(order, Mapping) else None


def uk_date(created: int) -> date:
    """The UK calendar date of Unix seconds *created* (1761435000 → 2025-10-26, BST)."""
    return datetime.fromtimestamp(created, UTC).astimezone(UK).date()


def _text_id(value: Any, field: str, limit: int = _MAX_ID) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadEvent(field, "must be a string id")
    text = str(value).strip()
    if not text:
        raise BadEvent(field, "must not be empty")
    if len(text) > limit:
        raise BadEvent(field, f"must be at most {limit} characters")
    return text


def _envelope(body: Mapping[str, Any]) -> tuple[str, str, int, Mapping[str, Any]]:
    """``(id, type, created, data.object)``, or :class:`BadEvent` naming the field."""
    event_id = _text_id(body.get("id"), "id", _MAX_EVENT_ID)
    kind = body.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise BadEvent("type", "must be the event's type, e.g. 'order.completed'")
    created = body.get("created")
    if isinstance(created, bool) or not isinstance(created, int):
        raise BadEvent("created", "must be whole Unix seconds")
    if not _MIN_CREATED <= created <= _MAX_CREATED:
        raise BadEvent("created", "is not a plausible Unix time in seconds")
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise BadEvent("data", "must be an object")
    obj = data.get("object")
    if not isinstance(obj, Mapping):
        raise BadEvent("data.object", "must be an object")
    return event_id, kind.strip(), created, obj


def _refund_fields(obj: Mapping[str, Any]) -> tuple[str, Decimal] | str:
    """``(refund id, pounds)``, or the reason the refund cannot be acted on."""
    refund_id = obj.get("id")
    if isinstance(refund_id, bool) or not isinstance(refund_id, str | int) or not str(refund_id):
        return "the refund has no id"
    if len(str(refund_id)) > _MAX_ID:
        return "the refund id is too long"
    amount = obj.get("amount")
    if amount is None:
        return "the refund has no amount"
    if isinstance(amount, bool) or not isinstance(amount, int):
        return "the refund amount is not whole minor units"
    if not 0 < amount <= _MAX_MINOR:
        return "the refund amount is not a positive amount"
    currency = obj.get("currency")
    if not isinstance(currency, str) or currency.strip().lower() != CURRENCY:
        return f"the refund is in {currency!r}, not GBP: DivideBuy lends and refunds in pounds"
    return str(refund_id), (Decimal(amount) / 100).quantize(Decimal("0.01"))


def events_from_delivery(
    body: Mapping[str, Any],
    config: DiSellerConfig,
    source: OrderReader,
    has_checkout: Callable[[str], bool],
    *,
    now: datetime | None = None,
) -> list[PlatformEvent]:
    """The actions one signed delivery asks for (zero or one event).

    Raises :class:`BadEvent` (400) for a malformed envelope, :class:`RefusedEvent`
    (200 + ``platform_event_rejected``) for a refund nothing safe can be done with.
    Calls DiSeller only to re-read an order that has a DivideBuy checkout.
    """
    event_id, kind, created, obj = _envelope(body)
    current = now or datetime.now(UTC)
    age = current - datetime.fromtimestamp(created, UTC)
    if config.signature_scheme == SCHEME_HEX_BODY and age > HEX_BODY_MAX_AGE:
        log.warning("DiSeller event %s ignored: created over 3 days ago (replay?)", event_id)
        return []
    if kind == config.settle_event:
        return _settle(event_id, created, obj, source, has_checkout, kind)
    if kind == config.refund_event:
        return _refund(event_id, obj, has_checkout)
    if kind == CANCEL_EVENT:
        return _cancel(event_id, obj, config, has_checkout)
    log.debug("DiSeller event %s (%s) acknowledged and ignored", event_id, kind)
    return []


def _settle(
    event_id: str,
    created: int,
    obj: Mapping[str, Any],
    source: OrderReader,
    has_checkout: Callable[[str], bool],
    kind: str,
) -> list[PlatformEvent]:
    order_id = _text_id(obj.get("id"), "data.object.id")
    if not has_checkout(order_id):
        return []
    # The status the event's type names (order.completed: "completed") must still hold;
    # the payload's own status is not trusted to choose it.
    expected = kind.rpartition(".")[2]
    fresh = source.read_order(order_id)  # OrderSourceError → 503: DiSeller redelivers
    status = None if fresh is None else fresh.get("status")
    if status != expected:
        log.info(
            "DiSeller event %s not acted on: order %s is now %r, not %r",
            event_id,
            order_id,
            status,
            expected,
        )
        return []
    return [
        PlatformEvent(
            PLATFORM,
            f"settle:{order_id}",
            EventKind.SETTLE,
            order_id,
            delivered_on=uk_date(created),
            delivery_id=event_id,
            note=f"{kind} {event_id}",
        )
    ]


def _refund(
    event_id: str, obj: Mapping[str, Any], has_checkout: Callable[[str], bool]
) -> list[PlatformEvent]:
    raw_order = obj.get("order_id")
    order_id: str | None = None
    if isinstance(raw_order, str | int) and not isinstance(raw_order, bool):
        order_id = str(raw_order).strip()[:_MAX_ID] or None
    if order_id is not None and not has_checkout(order_id):
        return []  # not a DivideBuy order: not ours to judge
    fields = _refund_fields(obj)
    if order_id is None or isinstance(fields, str):
        reason = "the refund names no order" if order_id is None else str(fields)
        raise RefusedEvent(
            f"DiSeller refund event {event_id} not acted on: {reason}",
            order_id=order_id,
            key=f"event:{event_id}",
        )
    refund_id, amount = fields
    return [
        PlatformEvent(
            PLATFORM,
            f"refund:{refund_id}",
            EventKind.REFUND,
            order_id,
            amount=amount,
            platform_ref=refund_id,
            delivery_id=event_id,
            note=f"refund.processed {event_id}",
        )
    ]


def _cancel(
    event_id: str,
    obj: Mapping[str, Any],
    config: DiSellerConfig,
    has_checkout: Callable[[str], bool],
) -> list[PlatformEvent]:
    order_id = _text_id(obj.get("id"), "data.object.id")
    if not has_checkout(order_id):
        return []
    if config.refund_on_cancel:
        # all that is left (amount None): a repeated "refund all" is a no-op
        return [
            PlatformEvent(
                PLATFORM,
                f"cancel:{order_id}",
                EventKind.REFUND,
                order_id,
                delivery_id=event_id,
                note=f"{CANCEL_EVENT} {event_id}: DIVIDEBUY_DISELLER_REFUND_ON_CANCEL",
            )
        ]
    return [
        PlatformEvent(
            PLATFORM,
            f"cancel:{order_id}",
            EventKind.CANCELLED,
            order_id,
            delivery_id=event_id,
            note=f"{CANCEL_EVENT} {event_id}",
        )
    ]


class DiSellerWebhooks(WebhookSide[DiSellerConfig, OrderReader]):
    """The DiSeller side of :class:`~..webhooks.WebhookIntake` and of the status write-back."""

    name = PLATFORM

    @property
    def configured(self) -> bool:
        """No ``DIVIDEBUY_DISELLER_WEBHOOK_SECRETS`` → every delivery is 403."""
        return bool(self.config.webhook_secrets)

    @property
    def challenge(self) -> str:
        return f'Signature realm="dividebuy-diseller-webhooks", header="{HEADER}"'

    def authenticate(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """The raw *body* carries a valid signature by a configured secret, made recently."""
        try:
            verify(
                body,
                headers.get(HEADER.lower()),
                self.config.webhook_secrets,
                now=self._clock().timestamp(),
                tolerance=self.config.signature_tolerance,
                scheme=self.config.signature_scheme,
            )
        except SignatureInvalid as exc:
            log.info("DiSeller webhook signature refused: %s", exc.reason)
            return False
        return True

    def accepts(self, media: str) -> bool:
        return media in ("application/json", "text/json") or media.endswith("+json")

    def events(
        self, body: Any, event_name: str | None, has_checkout: Callable[[str], bool]
    ) -> list[PlatformEvent]:
        if not isinstance(body, Mapping):
            raise BadEvent("body", "must be an event object")
        return events_from_delivery(body, self.config, self.source, has_checkout, now=self._clock())

    # -- write-back (opt-in: DIVIDEBUY_DISELLER_WRITE_BACK) ---------------------------------

    def write_status(self, order_id: str, value: str) -> Any:
        write = getattr(getattr(self.source, "source", self.source), "write_status", None)
        if write is None:  # a shop's own source given to the webhooks: resending cannot help
            return StatusWrite("rejected", None, "this DiSeller order source cannot write statuses")
        return write(order_id, value)
