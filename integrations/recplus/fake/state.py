"""Everything the REC+ fake knows, under one lock: orders, accounts, writes, faults, clock.

Tests steer it directly (``state.put_order``, ``state.set_status``,
``state.arm_fault``) or through the admin API (``/_fake/…``); either way the
same methods run. Status write-backs made through the API are recorded in
``writes`` so a test can see exactly what the adapter wrote, and every status
change is kept in the order's history.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ....sandbox.faults import FaultQueue
from ..._fakestate import FakeState, platform_fixture_object
from .webhooks import WebhookSender

__all__ = [
    "DEFAULT_STATUSES",
    "Account",
    "FakeConfig",
    "RecPlusFakeState",
    "StatusWriteRecord",
    "load_fixture",
]

#: Order statuses the fake accepts on writes (REC+'s are site-defined, "see Admin >
#: Order Statuses"; these are a plausible default set).
DEFAULT_STATUSES = (
    "Awaiting Payment",
    "Payment Received",
    "Processing",
    "Dispatched",
    "Completed",
    "Cancelled",
    "Refunded",
    "Pending Finance",
    "Paid by DivideBuy",
    "Finance On Hold",
    "Finance Failed",
)
#: Fields ``POST /orders/{id}`` may change (seed 004: "updatable fields: ...").
UPDATABLE_FIELDS = frozenset(
    {
        "customers_order_id",
        "fob",
        "purchase_order_number",
        "required_by_date",
        "status",
        "delivery_note",
    }
)
SCOPES = ("store_content", "content", "users", "orders")
#: Orders served at start-up: the seed's example verbatim, and a financeable GBP order.
SEED_FIXTURES = ("order_112312.json", "order_500001.json")


def load_fixture(name: str) -> dict[str, Any]:
    """A fixture shipped in the package (``recplus/fixtures/<name>``), decoded with Decimals."""
    return platform_fixture_object("recplus", name)


@dataclass(frozen=True)
class Account:
    """An API account: ``kind`` is ``"full"`` (reads orders, if scoped) or ``"public"``."""

    password: str = field(repr=False)
    kind: str = "full"
    scopes: tuple[str, ...] = SCOPES


@dataclass(frozen=True)
class FakeConfig:
    """How the fake behaves; ``replace``-able at run time."""

    accounts: Mapping[str, Account] = field(
        default_factory=lambda: {
            "api": Account("api-pass"),
            "public": Account("public-key", kind="public", scopes=()),
        }
    )
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    slow_seconds: float = 2.0
    request_log_size: int = 500
    #: the shop's "pay with DivideBuy" link for an order (``{id}`` is replaced), shown on
    #: the fake's admin page (``GET /_fake/``); None: no link
    pay_link: str | None = None


@dataclass(frozen=True)
class StatusWriteRecord:
    """One ``POST /orders/{id}`` the fake accepted (or, with ``dry_run``, only diffed)."""

    order_id: str
    changes: Mapping[str, Any]
    at: float
    dry_run: bool = False


class RecPlusFakeState(FakeState[FakeConfig]):
    """The fake REC+ site's data. Every method is thread-safe."""

    def __init__(
        self,
        config: FakeConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        seed: Iterable[str] = SEED_FIXTURES,
    ) -> None:
        self._lock = threading.RLock()
        self._initial = config or FakeConfig()
        self._clock = clock
        self._seed = tuple(seed)
        self.webhooks = WebhookSender()
        self._reset_locked()

    def _reset_locked(self) -> None:
        self._config = self._initial
        self._offset = 0.0
        self._orders: dict[str, dict[str, Any]] = {}
        self._history: dict[str, list[tuple[float, str]]] = {}
        self._writes: list[StatusWriteRecord] = []
        self._faults = FaultQueue()
        self._calls: Counter[str] = Counter()
        self._requests: deque[dict[str, Any]] = deque(maxlen=self._config.request_log_size)
        for name in self._seed:
            self._store(load_fixture(name))
        self.webhooks.reset()

    def reset(self) -> None:
        """Back to the seeded orders and the starting config; faults, writes and logs forgotten."""
        with self._lock:
            self._reset_locked()

    # -- clock (config, now and advance_clock: FakeState) -----------------------------------

    def site_time(self) -> str:
        """Now as REC+ writes dates: naive ``YYYY-MM-DDTHH:MM:SS`` (site time)."""
        return datetime.fromtimestamp(self.now()).strftime("%Y-%m-%dT%H:%M:%S")

    # -- auth --------------------------------------------------------------------------------

    def authorise(self, user: str | None, password: str | None, scope: str) -> int | None:
        """``None`` when allowed, else 401 (unknown credentials) or 403 (public / no scope)."""
        account = self._config.accounts.get(user or "")
        if account is None or password is None or account.password != password:
            return 401
        if account.kind != "full" or scope not in account.scopes:
            return 403
        return None

    # -- orders ------------------------------------------------------------------------------

    def _store(self, order: Mapping[str, Any]) -> dict[str, Any]:
        stored = copy.deepcopy(dict(order))
        order_id = str(stored["id"])
        stored.setdefault("href", f"/orders/{order_id}.json")
        self._orders[order_id] = stored
        self._history.setdefault(order_id, []).append((self.now(), str(stored.get("status"))))
        return copy.deepcopy(stored)

    def put_order(self, order: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or replace an order (needs an ``id``); ``(stored copy, created)``."""
        if not isinstance(order, Mapping) or order.get("id") in (None, ""):
            raise ValueError("An order needs an id.")
        with self._lock:
            created = str(order["id"]) not in self._orders
            stored = self._store(order)
        self.webhooks.send("new.order" if created else "update.order", stored)
        return stored, created

    def get_order(self, order_id: str, *, identifier: str = "id") -> dict[str, Any] | None:
        with self._lock:
            if identifier == "invoice_id":
                found = next(
                    (o for o in self._orders.values() if str(o.get("invoice_id")) == order_id),
                    None,
                )
            else:
                found = self._orders.get(order_id)
            return copy.deepcopy(found) if found is not None else None

    def list_orders(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(o) for o in self._orders.values()]

    def update_order(
        self, order_id: str, changes: Mapping[str, Any], *, dry_run: bool = False
    ) -> dict[str, Any]:
        """Apply a ``POST /orders/{id}`` body (already validated); returns the diff."""
        with self._lock:
            order = self._orders[order_id]
            diff = {
                k: {"from": order.get(k), "to": v} for k, v in changes.items() if order.get(k) != v
            }
            self._writes.append(StatusWriteRecord(order_id, dict(changes), self.now(), dry_run))
            if dry_run:
                return diff
            order.update(changes)
            if "status" in changes:
                self._set_line_statuses(order, str(changes["status"]))
                self._history[order_id].append((self.now(), str(changes["status"])))
            stored = copy.deepcopy(order)
        self.webhooks.send("update.order", stored)
        return diff

    def set_status(self, order_id: str, status: str) -> dict[str, Any]:
        """Change an order's status as an admin user would (fires ``update.order``)."""
        with self._lock:
            if order_id not in self._orders:
                raise KeyError(order_id)
            order = self._orders[order_id]
            order["status"] = status
            self._set_line_statuses(order, status)
            self._history[order_id].append((self.now(), status))
            stored = copy.deepcopy(order)
        self.webhooks.send("update.order", stored)
        return stored

    @staticmethod
    def _set_line_statuses(order: dict[str, Any], status: str) -> None:
        for line in order.get("lines") or ():
            if isinstance(line, dict):
                line["status"] = status

    def history(self, order_id: str) -> list[tuple[float, str]]:
        with self._lock:
            return list(self._history.get(order_id, ()))

    @property
    def writes(self) -> list[StatusWriteRecord]:
        """Every write-back received, oldest first (dry runs included, flagged)."""
        with self._lock:
            return list(self._writes)

    # -- faults, counters, request log: FakeState ---------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What ``GET /_fake/state`` shows."""
        with self._lock:
            return {
                "orders": {k: {"status": v.get("status")} for k, v in self._orders.items()},
                "history": {k: [s for _, s in v] for k, v in self._history.items()},
                "writes": [
                    {"order_id": w.order_id, "changes": dict(w.changes), "dry_run": w.dry_run}
                    for w in self._writes
                ],
                "calls": dict(self._calls),
                "faults": self._faults.listing(),
                "requests": list(self._requests),
                "clock_offset": f"{self._offset:.3f}",  # text: money.dumps refuses floats
                "webhooks": self.webhooks.snapshot(),
            }
