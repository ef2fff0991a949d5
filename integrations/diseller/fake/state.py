"""Everything the DiSeller fake knows, under one lock: orders, customers, products, refunds,
API keys and their hourly windows, faults, counters, events and a clock.

Tests steer it directly (``state.put_order``, ``state.complete``, ``state.refund``,
``state.arm_fault``, ``state.advance_clock``) or through the admin API
(``/_fake/…``); either way the same methods run. **Every state change emits an
event** through :meth:`DiSellerFakeState.emit`, which builds DiSeller's envelope
(``{"id": "evt_…", "type", "created", "data": {"object": …}}``, seed 002:167-178),
appends it to :attr:`~DiSellerFakeState.events` and calls each callable in
:attr:`~DiSellerFakeState.listeners` — the signed webhook sender subscribes there.
Listeners survive :meth:`~DiSellerFakeState.reset`; events do not.
"""

from __future__ import annotations

import copy
import logging
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ....sandbox.faults import FaultQueue
from ..._fakestate import FakeState, platform_fixture

__all__ = [
    "DEFAULT_STATUSES",
    "PLAN_LIMITS",
    "ApiKey",
    "DiSellerFakeConfig",
    "DiSellerFakeState",
    "FakeError",
    "Listener",
    "RateWindow",
    "load_fixture",
]

log = logging.getLogger("dividebuy_checkout.integrations.diseller.fake")

#: Requests per hour by plan (seed 002:197-208); "enterprise" is the config's ``enterprise_limit``.
PLAN_LIMITS = {"starter": 1000, "professional": 10000}
#: Statuses ``PUT /v1/orders/{id}`` accepts (DiSeller's are not documented; these are
#: its own words plus plausible write-back values).
DEFAULT_STATUSES = (
    "pending",
    "processing",
    "completed",
    "cancelled",
    "pending_finance",
    "paid",
    "finance_on_hold",
    "finance_failed",
)
#: Seed fixtures served verbatim (USD), and the GBP shop.
SEED_FILES = (
    "seed_order_ord_456.json",
    "seed_customer_cust_789.json",
    "seed_product_prod_123.json",
)
GB_FILE = "gb_shop.json"
#: ``ord_gb_big``: this many items, each a distinct product (cache and budget exercise).
BIG_ITEMS = 500
ROLLING_WINDOW = 3600.0

#: A callable given each emitted event (the webhook sender)
Listener = Callable[[dict[str, Any]], None]


def load_fixture(name: str) -> Any:
    """A fixture shipped in the package (``diseller/fixtures/<name>``), decoded with Decimals."""
    return platform_fixture("diseller", name)


class FakeError(Exception):
    """A request the fake refuses: DiSeller's error envelope with this status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def envelope(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.param:
            error["param"] = self.param
        if self.code:
            error["code"] = self.code
        return {"error": error}


@dataclass(frozen=True)
class ApiKey:
    """An API key's plan: ``starter``, ``professional``, ``enterprise``; ``limit`` overrides."""

    plan: str = "starter"
    limit: int | None = None


@dataclass(frozen=True)
class DiSellerFakeConfig:
    """How the fake behaves; ``replace``-able at run time."""

    keys: Mapping[str, ApiKey] = field(default_factory=lambda: {"test-api-key": ApiKey()})
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    enterprise_limit: int = 100000
    slow_seconds: float = 2.0
    request_log_size: int = 500

    def limit_for(self, key: ApiKey) -> int:
        if key.limit is not None:
            return key.limit
        if key.plan == "enterprise":
            return self.enterprise_limit
        return PLAN_LIMITS.get(key.plan, PLAN_LIMITS["starter"])


@dataclass(frozen=True)
class RateWindow:
    """One key's hourly allowance as the headers report it."""

    limit: int
    remaining: int
    reset: int
    allowed: bool
    retry_after: int = 0

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def _whole(value: object, field: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise FakeError(
            400,
            f"{field} must be a whole number of at least {minimum}.",
            param=field,
            code="parameter_invalid_integer",
        )
    return value


def _text(body: Mapping[str, Any], field: str, *, required: bool = True) -> str | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise FakeError(
            400,
            f"Missing required parameter: {field}",
            param=field,
            code="parameter_missing",
        )
    return value.strip()


class DiSellerFakeState(FakeState[DiSellerFakeConfig]):
    """The fake DiSeller account's data. Every method is thread-safe."""

    def __init__(
        self,
        config: DiSellerFakeConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        seed_files: Iterable[str] = SEED_FILES,
        gb_shop: bool = True,
    ) -> None:
        self._lock = threading.RLock()
        self._initial = config or DiSellerFakeConfig()
        self._clock = clock
        self._seed_files = tuple(seed_files)
        self._gb_shop = gb_shop
        #: callables given every emitted event (kept across resets)
        self.listeners: list[Listener] = []
        self._reset_locked()

    # -- set-up ------------------------------------------------------------------------------

    def _reset_locked(self) -> None:
        self._config = self._initial
        self._offset = 0.0
        self._orders: dict[str, dict[str, Any]] = {}
        self._customers: dict[str, dict[str, Any]] = {}
        self._products: dict[str, dict[str, Any]] = {}
        self._refunds: dict[str, list[dict[str, Any]]] = {}
        self._writes: list[dict[str, Any]] = []
        self._windows: dict[str, deque[float]] = {}
        self._faults = FaultQueue()
        self._calls: Counter[str] = Counter()
        self._requests: deque[dict[str, Any]] = deque(maxlen=self._config.request_log_size)
        #: every event emitted since the last reset, oldest first
        self.events: list[dict[str, Any]] = []
        for name in self._seed_files:
            self._load(load_fixture(name))
        if self._gb_shop:
            shop = load_fixture(GB_FILE)
            for kind in ("products", "customers", "orders"):
                for item in shop.get(kind, ()):
                    self._load(item)
            self._load_big()

    def _load(self, item: Mapping[str, Any]) -> None:
        item_id = str(item["id"])
        target = (
            self._orders
            if item_id.startswith("ord_")
            else self._customers
            if item_id.startswith("cust_")
            else self._products
        )
        target[item_id] = copy.deepcopy(dict(item))

    def _load_big(self) -> None:
        items = []
        for n in range(1, BIG_ITEMS + 1):
            pid = f"prod_big_{n:03d}"
            self._products[pid] = {
                "id": pid,
                "name": f"Part {n:03d}",
                "description": "A spare part",
                "price": 100 + n,
                "currency": "gbp",
                "inventory": 10,
                "status": "active",
                "created_at": "2025-09-01T00:00:00Z",
            }
            items.append({"product_id": pid, "quantity": 1, "price": 100 + n})
        self._orders["ord_gb_big"] = {
            "id": "ord_gb_big",
            "customer_id": "cust_gb_1",
            "status": "pending",
            "total": sum(i["price"] for i in items),
            "currency": "gbp",
            "items": items,
            "created_at": "2025-10-23T09:00:00Z",
        }

    def reset(self) -> None:
        """Back to the seeded data and the starting config; faults, logs, events forgotten."""
        with self._lock:
            self._reset_locked()

    # -- clock (config, now and advance_clock: FakeState) -----------------------------------

    def iso_now(self) -> str:
        return datetime.fromtimestamp(self.now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # -- events ------------------------------------------------------------------------------

    def emit(self, type: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Record one event and hand it to every listener (their errors are logged, not raised)."""
        event = {
            "id": _new_id("evt"),
            "type": type,
            "created": int(self.now()),
            "data": {"object": copy.deepcopy(dict(obj))},
        }
        with self._lock:
            self.events.append(event)
            listeners = list(self.listeners)
        for listener in listeners:
            try:
                listener(copy.deepcopy(event))
            except Exception:
                log.exception("DiSeller fake: a listener failed on %s %s", type, event["id"])
        return event

    def event(self, event_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = next((e for e in self.events if e["id"] == event_id), None)
            return copy.deepcopy(found) if found is not None else None

    # -- auth and the hourly windows ---------------------------------------------------------

    def key(self, token: str | None) -> ApiKey | None:
        return self._config.keys.get(token or "")

    def take_request(self, token: str) -> RateWindow:
        """Count one request against *token*'s rolling hour (refused ones are not counted)."""
        key = self._config.keys[token]
        limit = self._config.limit_for(key)
        with self._lock:
            now = self.now()
            window = self._windows.setdefault(token, deque())
            while window and window[0] <= now - ROLLING_WINDOW:
                window.popleft()
            if len(window) >= limit:
                reset = window[0] + ROLLING_WINDOW
                return RateWindow(limit, 0, int(reset) + 1, False, max(1, int(reset - now + 0.999)))
            window.append(now)
            reset = window[0] + ROLLING_WINDOW
            return RateWindow(limit, limit - len(window), int(reset) + 1, True)

    # -- orders ------------------------------------------------------------------------------

    def get_order(self, order_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._orders.get(order_id)
            return copy.deepcopy(found) if found is not None else None

    def list_orders(self) -> list[dict[str, Any]]:
        """Every order in the order it was added (the listing's order)."""
        with self._lock:
            return [copy.deepcopy(o) for o in self._orders.values()]

    def put_order(self, order: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or replace an order (needs an ``id``): ``order.created`` / ``order.updated``."""
        if not isinstance(order, Mapping) or not isinstance(order.get("id"), str):
            raise FakeError(400, "Missing required parameter: id", param="id")
        with self._lock:
            created = order["id"] not in self._orders
            stored = copy.deepcopy(dict(order))
            stored.setdefault("created_at", self.iso_now())
            self._orders[stored["id"]] = stored
            result = copy.deepcopy(stored)
        self.emit("order.created" if created else "order.updated", result)
        return result, created

    def create_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /v1/orders``: prices copied from the products, total computed."""
        customer_id = _text(body, "customer_id")
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise FakeError(400, "Missing required parameter: items", param="items")
        with self._lock:
            if customer_id not in self._customers:
                raise FakeError(400, f"No such customer: '{customer_id}'", param="customer_id")
            lines = []
            currencies = set()
            for index, item in enumerate(items):
                if not isinstance(item, Mapping):
                    raise FakeError(400, "Each item must be an object.", param=f"items[{index}]")
                product_id = _text(item, "product_id")
                product = self._products.get(product_id or "")
                if product is None:
                    raise FakeError(
                        400,
                        f"No such product: '{product_id}'",
                        param=f"items[{index}][product_id]",
                    )
                quantity = _whole(item.get("quantity"), f"items[{index}][quantity]", minimum=1)
                currencies.add(str(product.get("currency", "usd")).lower())
                lines.append(
                    {"product_id": product_id, "quantity": quantity, "price": product["price"]}
                )
            if len(currencies) != 1:
                raise FakeError(400, "All items must be priced in one currency.", param="items")
            order: dict[str, Any] = {
                "id": _new_id("ord"),
                "customer_id": customer_id,
                "status": "pending",
                "total": sum(line["price"] * line["quantity"] for line in lines)
                + _whole(body.get("shipping", 0), "shipping"),
                "currency": currencies.pop(),
                "items": lines,
                "created_at": self.iso_now(),
            }
            if isinstance(body.get("shipping_address"), Mapping):
                order["shipping_address"] = dict(body["shipping_address"])
            self._orders[order["id"]] = order
            result = copy.deepcopy(order)
        self.emit("order.created", result)
        return result

    def update_order(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``PUT /v1/orders/{id}`` ``{"status": …}`` (a write-back): ``order.updated``."""
        status = body.get("status")
        unknown = sorted(set(body) - {"status"})
        if unknown:
            raise FakeError(400, f"Received unknown parameter: {unknown[0]}", param=unknown[0])
        if not isinstance(status, str) or status not in self._config.statuses:
            raise FakeError(
                400, f"Invalid status: {status!r}", param="status", code="parameter_invalid"
            )
        return self._set_status(order_id, status, "order.updated", write=True)

    def _set_status(
        self, order_id: str, status: str, event: str, *, write: bool = False
    ) -> dict[str, Any]:
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                raise FakeError(404, f"No such order: '{order_id}'", code="resource_missing")
            order["status"] = status
            if write:
                self._writes.append({"order_id": order_id, "status": status, "at": int(self.now())})
            result = copy.deepcopy(order)
        self.emit(event, result)
        return result

    def complete(self, order_id: str) -> dict[str, Any]:
        """The shop completes the order: status ``completed``, ``order.completed``."""
        return self._set_status(order_id, "completed", "order.completed")

    def cancel(self, order_id: str) -> dict[str, Any]:
        """The shop cancels the order: status ``cancelled``, ``order.cancelled``."""
        return self._set_status(order_id, "cancelled", "order.cancelled")

    def refund(self, order_id: str, amount: object) -> dict[str, Any]:
        """Refund *amount* minor units of the order: a refund object, ``refund.processed``."""
        amount = _whole(amount, "amount", minimum=1)
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                raise FakeError(404, f"No such order: '{order_id}'", code="resource_missing")
            done = sum(r["amount"] for r in self._refunds.get(order_id, ()))
            total = order.get("total")
            left = total - done if isinstance(total, int) else 0
            if amount > left:
                raise FakeError(
                    400,
                    f"Refund amount ({amount}) is greater than unrefunded amount ({left}).",
                    param="amount",
                    code="amount_too_large",
                )
            refund = {
                "id": _new_id("re"),
                "order_id": order_id,
                "amount": amount,
                "currency": order.get("currency"),
                "status": "succeeded",
                "created": int(self.now()),
            }
            self._refunds.setdefault(order_id, []).append(refund)
            result = copy.deepcopy(refund)
        self.emit("refund.processed", result)
        return result

    def refunds(self, order_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._refunds.get(order_id, []))

    @property
    def writes(self) -> list[dict[str, Any]]:
        """Every status write-back (``PUT /v1/orders/{id}``) received, oldest first."""
        with self._lock:
            return copy.deepcopy(self._writes)

    # -- customers and products --------------------------------------------------------------

    def get_customer(self, customer_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._customers.get(customer_id)
            return copy.deepcopy(found) if found is not None else None

    def list_customers(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(c) for c in self._customers.values()]

    def create_customer(self, body: Mapping[str, Any]) -> dict[str, Any]:
        customer = {
            "id": _new_id("cust"),
            "email": _text(body, "email"),
            "name": _text(body, "name", required=False),
            "phone": _text(body, "phone", required=False),
        }
        with self._lock:
            self._customers[customer["id"] or ""] = customer
        self.emit("customer.created", customer)
        return copy.deepcopy(customer)

    def put_customer(self, customer: Mapping[str, Any]) -> dict[str, Any]:
        """Create or replace a customer directly (tests; no event: DiSeller has none for it)."""
        if not isinstance(customer.get("id"), str):
            raise FakeError(400, "Missing required parameter: id", param="id")
        with self._lock:
            self._customers[customer["id"]] = copy.deepcopy(dict(customer))
        return copy.deepcopy(dict(customer))

    def get_product(self, product_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._products.get(product_id)
            return copy.deepcopy(found) if found is not None else None

    def list_products(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(p) for p in self._products.values()]

    def create_product(self, body: Mapping[str, Any]) -> dict[str, Any]:
        product = {
            "id": body.get("id") if isinstance(body.get("id"), str) else _new_id("prod"),
            "name": _text(body, "name"),
            "description": _text(body, "description", required=False),
            "price": _whole(body.get("price"), "price"),
            "currency": (_text(body, "currency", required=False) or "gbp").lower(),
            "inventory": _whole(body.get("inventory", 0), "inventory"),
            "status": "active",
            "created_at": self.iso_now(),
        }
        with self._lock:
            self._products[str(product["id"])] = product
        self.emit("product.created", product)
        return copy.deepcopy(product)

    def update_product(self, product_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for field_name in ("price", "inventory"):
            if field_name in body:
                changes[field_name] = _whole(body[field_name], field_name)
        for field_name in ("name", "description", "currency"):
            if field_name in body:
                changes[field_name] = _text(body, field_name)
        with self._lock:
            product = self._products.get(product_id)
            if product is None:
                raise FakeError(404, f"No such product: '{product_id}'", code="resource_missing")
            product.update(changes)
            result = copy.deepcopy(product)
        self.emit("product.updated", result)
        return result

    def delete_product(self, product_id: str) -> dict[str, Any]:
        with self._lock:
            if self._products.pop(product_id, None) is None:
                raise FakeError(404, f"No such product: '{product_id}'", code="resource_missing")
        return {"id": product_id, "deleted": True}

    # -- faults, counters, request log: FakeState ---------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What ``GET /_fake/state`` shows (no customer details: ids and statuses)."""
        with self._lock:
            return {
                "orders": {k: {"status": v.get("status")} for k, v in self._orders.items()},
                "refunds": copy.deepcopy(self._refunds),
                "writes": copy.deepcopy(self._writes),
                "events": [{"id": e["id"], "type": e["type"]} for e in self.events],
                "calls": dict(self._calls),
                "faults": self._faults.listing(),
                "requests": list(self._requests),
                "clock": int(self.now()),
                "clock_offset": f"{self._offset:.3f}",  # text: money.dumps refuses floats
            }
