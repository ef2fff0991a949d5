"""Everything the Divendo fake knows, under one lock: orders, contacts, tokens, connections.

Tests steer it directly (``state.ship``, ``state.cancel_line``, ``state.configure``) or
through the admin API (``/_fake/…``); either way the same methods run. What the adapter
did is counted here so tests can assert it: token requests and how the credentials came
(``basic/form``, ``body/json`` …), calls per route, and — the point of this fake — the
live number of in-flight requests per account and of open TCP connections, with their
peaks and the number of calls refused for going over the cap.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ....sandbox.faults import FaultQueue
from ..._fakestate import FakeFaults, platform_fixture_object

__all__ = [
    "BIG_ORDER_ID",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "LIMIT_ON",
    "ORDER_STATUSES",
    "SEED_CONTACT_ID",
    "DivendoFakeConfig",
    "DivendoFakeState",
    "big_order",
    "load_fixture",
]

DEFAULT_CLIENT_ID = "divendo-client"
DEFAULT_CLIENT_SECRET = "divendo-secret-0123456789"  # noqa: S105 - the fake's own credential
#: The contact of seed 001, served verbatim.
SEED_CONTACT_ID = "5643eff487bb38127c11e624"
#: A generated order of 300 lines (huge orders, ADAPTERS §5.1).
BIG_ORDER_ID = "ord-big"
#: "requests": count in-flight requests per account; "connections": open TCP connections too.
LIMIT_ON = ("requests", "connections")
#: ``GET /store/orderstatuses`` (Divendo's are shop-defined; these are the public examples).
ORDER_STATUSES: tuple[tuple[str, str], ...] = (
    ("56409ed246fc580098b28601", "New Order"),
    ("56409ed246fc580098b28602", "In Progress"),
    ("56409ed246fc580098b28603", "High Fraud"),
    ("56409ed246fc580098b28604", "Complete"),
    ("56409ed246fc580098b28605", "Cancelled"),
    ("56409ed246fc580098b28606", "Refunded"),
)
#: Orders and contacts served at start-up (package data, so the wheel's fake has them).
SEED_ORDERS = (
    "order_public_example.json",
    "order_financeable.json",
    "order_contact_only.json",
    "order_landline.json",
    "order_ie.json",
    "order_cancelled_line.json",
)
SEED_CONTACTS = (f"contact_{SEED_CONTACT_ID}.json",)


def load_fixture(name: str) -> dict[str, Any]:
    """A fixture shipped in the package (``divendo/fixtures/<name>``), decoded with Decimals."""
    return platform_fixture_object("divendo", name)


def big_order(lines: int = 300) -> dict[str, Any]:
    """``ord-big``: *lines* distinct £10.00 lines (VAT £1.66 each), embedded UK billto."""
    order = load_fixture("order_financeable.json")
    order["id"], order["ordernumber"] = BIG_ORDER_ID, "169999"
    template = order["lines"][0]
    order["lines"] = [
        {
            **template,
            "id": f"big-line-{index:04d}",
            "sku": f"BIG-{index:04d}",
            "name": f"Tile pack {index}",
            "unitprice": Decimal("10.00"),
            "unittax": Decimal("1.66"),
            "subtotal": Decimal("10.00"),
        }
        for index in range(1, lines + 1)
    ]
    order["total"] = Decimal("10.00") * lines
    return order


@dataclass(frozen=True)
class DivendoFakeConfig:
    """How the fake behaves; changed at run time by ``POST /_fake/config``."""

    #: client id → secret of each API user
    clients: Mapping[str, str] = field(
        default_factory=lambda: {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
    )
    token_lifetime: float = 21599.0
    #: "each user account is permitted up to 5 simultaneous connections" (000:63)
    max_connections: int = 5
    limit_on: str = "requests"
    throttle_status: int = 429
    slow_seconds: float = 2.0
    #: seconds every API call takes (to make concurrency visible)
    latency: float = 0.0
    #: False: every bearer token is refused (a token that never works)
    accept_tokens: bool = True
    request_log_size: int = 500

    def __post_init__(self) -> None:
        if self.limit_on not in LIMIT_ON:
            raise ValueError(f"limit_on must be one of {', '.join(LIMIT_ON)}")
        if self.max_connections < 1:
            raise ValueError("max_connections must be 1 or more")
        if not 400 <= self.throttle_status <= 599:
            raise ValueError("throttle_status must be an HTTP error status")
        for name in ("token_lifetime", "slow_seconds", "latency"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more")

    def public(self) -> dict[str, Any]:
        """The config as JSON can carry it (seconds as text-exact Decimals), secrets left out."""
        data = asdict(self)
        data["clients"] = sorted(self.clients)
        return {k: Decimal(str(v)) if isinstance(v, float) else v for k, v in data.items()}


@dataclass
class _Token:
    client_id: str
    expires_at: float
    revoked: bool = False


class DivendoFakeState(FakeFaults):
    """The fake Divendo account's data. Every method is thread-safe."""

    def __init__(
        self,
        config: DivendoFakeConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        seed: bool = True,
    ) -> None:
        self._lock = threading.Lock()
        self._base_clock = clock
        self._seed = seed
        self.config = config or DivendoFakeConfig()
        self._reset()

    # -- reset and config ----------------------------------------------------------------------

    def _reset(self) -> None:
        self._offset = 0.0
        self._orders: dict[str, dict[str, Any]] = {}
        self._contacts: dict[str, dict[str, Any]] = {}
        if self._seed:
            for name in SEED_ORDERS:
                order = load_fixture(name)
                self._orders[str(order["id"])] = order
            big = big_order()
            self._orders[BIG_ORDER_ID] = big
            for name in SEED_CONTACTS:
                contact = load_fixture(name)
                self._contacts[str(contact["id"])] = contact
        self._tokens: dict[str, _Token] = {}
        self.token_requests = 0
        self.token_variants: Counter[str] = Counter()
        self.tokens_issued = 0
        self.calls: Counter[str] = Counter()
        self.unauthorised = 0
        self._in_flight: Counter[str] = Counter()
        self.peak_in_flight: Counter[str] = Counter()
        self.open_connections = 0
        self.peak_connections = 0
        self.connections_opened = 0
        self.throttled = 0
        self._faults = FaultQueue()
        self.requests: deque[dict[str, Any]] = deque(maxlen=self.config.request_log_size)

    def reset(self) -> None:
        """Back to the seed data and zero counters (the config is kept)."""
        with self._lock:
            self._reset()

    def configure(self, **changes: Any) -> DivendoFakeConfig:
        """Change the config (``token_lifetime``, ``max_connections``, ``limit_on`` …)."""
        known = {f.name for f in fields(DivendoFakeConfig)} - {"clients"}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown config fields: {', '.join(unknown)}")
        with self._lock:
            self.config = replace(self.config, **changes)
            return self.config

    # -- clock ---------------------------------------------------------------------------------

    def now(self) -> float:
        return self._base_clock() + self._offset

    def now_iso(self) -> str:
        return datetime.fromtimestamp(self.now(), UTC).isoformat(timespec="milliseconds")

    def advance_clock(self, seconds: float) -> float:
        with self._lock:
            self._offset += seconds
            return self._offset

    # -- tokens --------------------------------------------------------------------------------

    def issue_token(self, client_id: str, secret: str, variant: str) -> dict[str, Any] | None:
        """A new bearer token for good credentials (recording *variant*), else ``None``."""
        with self._lock:
            self.token_requests += 1
            self.token_variants[variant] += 1
            known = self.config.clients.get(client_id)
            if known is None or not secrets.compare_digest(known, secret):
                return None
            token = secrets.token_urlsafe(24)
            lifetime = self.config.token_lifetime
            self._tokens[token] = _Token(client_id, self.now() + lifetime)
            self.tokens_issued += 1
            return {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": int(lifetime)
                if lifetime == int(lifetime)
                else Decimal(str(lifetime)),
            }

    def account_for(self, token: str | None) -> str | None:
        """The client id a live bearer token belongs to; ``None`` (→ 401) otherwise."""
        with self._lock:
            found = self._tokens.get(token or "")
            if (
                found is None
                or found.revoked
                or found.expires_at <= self.now()
                or not self.config.accept_tokens
            ):
                self.unauthorised += 1
                return None
            return found.client_id

    def revoke_tokens(self) -> int:
        with self._lock:
            live = [t for t in self._tokens.values() if not t.revoked]
            for token in live:
                token.revoked = True
            return len(live)

    # -- the connection cap --------------------------------------------------------------------

    def enter(self, account: str) -> bool:
        """One request of *account* starts; ``False`` when it is over the cap (refused)."""
        with self._lock:
            self._in_flight[account] += 1
            current = self._in_flight[account]
            self.peak_in_flight[account] = max(self.peak_in_flight[account], current)
            if current > self.config.max_connections:
                self.throttled += 1
                return False
            return True

    def leave(self, account: str) -> None:
        with self._lock:
            self._in_flight[account] -= 1

    def in_flight(self, account: str = DEFAULT_CLIENT_ID) -> int:
        with self._lock:
            return self._in_flight[account]

    def connection_opened(self) -> bool:
        """A TCP connection opens; ``False`` when, counting connections, it is over the cap."""
        with self._lock:
            self.open_connections += 1
            self.connections_opened += 1
            self.peak_connections = max(self.peak_connections, self.open_connections)
            return not (
                self.config.limit_on == "connections"
                and self.open_connections > self.config.max_connections
            )

    def connection_closed(self) -> None:
        with self._lock:
            self.open_connections -= 1

    def refuse_connection(self) -> None:
        with self._lock:
            self.throttled += 1

    # -- the request log (faults: FakeFaults) ---------------------------------------------------

    def record(self, route: str, method: str, path: str, status: int) -> None:
        with self._lock:
            self.calls[route] += 1
            self.requests.append({"route": route, "method": method, "path": path, "status": status})

    # -- orders and contacts -------------------------------------------------------------------

    def get_order(self, order_id: str) -> dict[str, Any] | None:
        with self._lock:
            order = self._orders.get(order_id)
            return copy.deepcopy(order) if order is not None else None

    def list_orders(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(o) for o in self._orders.values()]

    def put_order(self, order: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """Replace (or create) an order whole: fields missing from *order* are gone."""
        body = copy.deepcopy(dict(order))
        order_id = str(body.get("id") or "")
        if not order_id:
            raise ValueError("an order needs an id")
        with self._lock:
            created = order_id not in self._orders
            self._orders[order_id] = body
            return copy.deepcopy(body), created

    def _change(self, order_id: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                raise KeyError(order_id)
            change(order)
            order["modified"] = self.now_iso()
            return copy.deepcopy(order)

    def ship(self, order_id: str, shippingdate: str | None = None) -> dict[str, Any]:
        """Set ``shipping.shippingdate`` (default: now on the fake's clock)."""
        when = shippingdate or self.now_iso()

        def change(order: dict[str, Any]) -> None:
            shipping = order.get("shipping")
            if not isinstance(shipping, dict):
                shipping = order["shipping"] = {}
            shipping["shippingdate"] = when

        return self._change(order_id, change)

    def set_status(self, order_id: str, name: str) -> dict[str, Any]:
        ids = dict((n, i) for i, n in ORDER_STATUSES)
        if name not in ids:
            raise ValueError(f"unknown status {name!r}; known: {', '.join(ids)}")
        return self._change(
            order_id, lambda o: o.__setitem__("status", {"id": ids[name], "name": name})
        )

    def cancel_line(self, order_id: str, line_id: str, reason: str = "Cancelled") -> dict[str, Any]:
        """Mark one line cancelled (``cancellation`` set); cancelling twice changes nothing."""
        when = self.now_iso()

        def change(order: dict[str, Any]) -> None:
            for line in order.get("lines") or []:
                if isinstance(line, dict) and str(line.get("id")) == line_id:
                    if line.get("cancellation") is None:
                        line["cancellation"] = {"date": when, "reason": reason}
                    return
            raise LookupError(line_id)

        return self._change(order_id, change)

    def get_contact(self, contact_id: str) -> dict[str, Any] | None:
        with self._lock:
            contact = self._contacts.get(contact_id)
            return copy.deepcopy(contact) if contact is not None else None

    def put_contact(self, contact: Mapping[str, Any]) -> dict[str, Any]:
        body = copy.deepcopy(dict(contact))
        if not body.get("id"):
            body["id"] = secrets.token_hex(12)
        with self._lock:
            self._contacts[str(body["id"])] = body
            return copy.deepcopy(body)

    def delete_contact(self, contact_id: str) -> bool:
        with self._lock:
            return self._contacts.pop(contact_id, None) is not None

    # -- snapshot ------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What ``GET /_fake/state`` answers: counters, peaks, config, order ids (no bodies)."""
        with self._lock:
            return {
                "config": self.config.public(),
                "clock_offset": Decimal(str(self._offset)),
                "token_requests": self.token_requests,
                "tokens_issued": self.tokens_issued,
                "token_variants": dict(self.token_variants),
                "unauthorised": self.unauthorised,
                "calls": dict(self.calls),
                "in_flight": dict(self._in_flight),
                "peak_in_flight": dict(self.peak_in_flight),
                "open_connections": self.open_connections,
                "peak_connections": self.peak_connections,
                "connections_opened": self.connections_opened,
                "throttled": self.throttled,
                "faults": self._faults.listing(),
                "orders": sorted(self._orders),
                "contacts": sorted(self._contacts),
            }

    def reset_peaks(self) -> None:
        """Peaks back to the current counts, refusals to 0 (a test measures its own burst)."""
        with self._lock:
            self.peak_in_flight = Counter(self._in_flight)
            self.peak_connections = self.open_connections
            self.throttled = 0
