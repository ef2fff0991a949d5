"""The sandbox's memory and every operation that changes it, behind one lock.

One :class:`SandboxState` holds tokens, quotes, orders, refunds, settlements,
armed faults, counters and the request log. Every operation takes the same
re-entrant lock, so concurrent requests on the threaded server see one order
of events (twenty concurrent £10 refunds of a £100 order: exactly ten succeed).
The HTTP handlers and the admin API are thin wrappers around these methods, so
an in-process test can drive the same operations without HTTP.

Time comes from :meth:`SandboxState.now`: the wall clock plus an offset that
:meth:`advance_clock` moves forward, so tests can expire tokens and quotes
without sleeping.
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .. import routes
from ..schemas.history import UK
from .config import SandboxConfig
from .errors import Conflict, Invalid, NotFound, Unauthenticated
from .faults import Fault, FaultQueue, parse_fault_status
from .magic import APPROVED, DECLINED, REFERRED, WRONG_SECRET, decision_for
from .rates import instalments
from .records import (
    CANCELLED,
    COMPLETED,
    EXPIRED,
    FULL,
    PARTIAL,
    PENDING,
    OrderRecord,
    QuoteRecord,
    RefundRecord,
    SettlementRecord,
    iso,
)
from .records import DECLINED as STATUS_DECLINED
from .validation import FieldError, load_quote, read_amount, read_date

__all__ = ["ROUTE_NAMES", "SandboxState"]

#: The route-table names (``routes.REFUND`` → ``"REFUND"``): what faults are armed on.
ROUTE_NAMES: tuple[str, ...] = tuple(
    name for name, value in vars(routes).items() if isinstance(value, routes.Route)
)

_SETTLE_KEYS = ("order_ref_id", "retailer_order_id", "retailer_order_ref")


class SandboxState:
    """Everything the sandbox knows, and the only way to change it."""

    def __init__(
        self, config: SandboxConfig | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._lock = threading.RLock()
        self._initial_config = config or SandboxConfig()
        self._clock = clock
        self._reset_locked()

    # -- lifecycle ---------------------------------------------------------------------------

    def _reset_locked(self) -> None:
        self._config = self._initial_config
        self._offset = 0.0
        self._tokens: dict[str, float] = {}
        self._quotes: dict[str, QuoteRecord] = {}
        self._orders: dict[str, OrderRecord] = {}
        self._refunds: list[RefundRecord] = []
        self._settlements: dict[str, SettlementRecord] = {}
        self._faults = FaultQueue()
        self._calls: Counter[str] = Counter()
        self._requests: deque[dict[str, Any]] = deque(maxlen=self._config.request_log_size)

    def reset(self) -> None:
        """Forget everything and go back to the config the sandbox was created with."""
        with self._lock:
            self._reset_locked()

    # -- config and clock --------------------------------------------------------------------

    @property
    def config(self) -> SandboxConfig:
        return self._config

    def configure(self, **changes: Any) -> SandboxConfig:
        """Change config fields at run time (validated; raises ``ValueError``/``TypeError``)."""
        with self._lock:
            self._config = self._config.replace(**changes)
            return self._config

    def now(self) -> float:
        """Seconds since the epoch on the sandbox clock (wall clock + offset)."""
        return self._clock() + self._offset

    def today(self) -> date:
        """Today's date on the sandbox clock, in the machine's local time zone (the shop
        usually runs on the same machine, so "delivered today" means the same day)."""
        return datetime.fromtimestamp(self.now()).date()

    def advance_clock(self, seconds: float) -> float:
        """Move the sandbox clock forward (tokens and quotes expire as if time passed)."""
        if seconds < 0:
            raise ValueError("The sandbox clock only moves forward.")
        with self._lock:
            self._offset += seconds
            return self._offset

    # -- counters and request log ------------------------------------------------------------

    def count_call(self, route_name: str) -> None:
        """Count one HTTP request routed to an API route (before any fault or check)."""
        with self._lock:
            self._calls[route_name] += 1

    @property
    def token_requests(self) -> int:
        """How many ``POST /oauth/token`` requests arrived (refused ones included)."""
        return self._calls["TOKEN"]

    @property
    def settle_calls(self) -> int:
        """How many ``POST /orders/complete`` requests arrived."""
        return self._calls["SETTLE"]

    def record_request(
        self, method: str, path: str, status: int, request_id: str, fault: Fault | None = None
    ) -> None:
        with self._lock:
            self._requests.append(
                {
                    "method": method,
                    "path": path,
                    "status": status,
                    "request_id": request_id,
                    "fault": fault.label if fault else None,
                    "at": iso(self.now()),
                }
            )

    # -- tokens ------------------------------------------------------------------------------

    def issue_token(self, client_id: str | None, client_secret: str | None) -> tuple[str, int]:
        """Check client credentials; return ``(access_token, expires_in)``."""
        with self._lock:
            if (
                not client_id
                or not client_secret
                or not self._credentials_ok(client_id, client_secret)
            ):
                raise Unauthenticated("Invalid client credentials.")
            now = self.now()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            token = secrets.token_urlsafe(32)
            lifetime = self._config.token_lifetime
            self._tokens[token] = now + lifetime
            return token, lifetime

    def _credentials_ok(self, client_id: str, client_secret: str) -> bool:
        accepted = self._config.credentials
        if accepted is None:
            return client_secret != WRONG_SECRET
        expected = accepted.get(client_id)
        return expected is not None and hmac.compare_digest(
            expected.encode(), client_secret.encode()
        )

    def token_valid(self, token: str | None) -> bool:
        """Whether *token* was issued here, is not revoked and has not expired."""
        if not token:
            return False
        with self._lock:
            expires_at = self._tokens.get(token)
            return expires_at is not None and expires_at > self.now()

    def revoke_tokens(self) -> int:
        """Revoke every token (the next API call gets a 401); return how many were live."""
        with self._lock:
            now = self.now()
            live = sum(1 for exp in self._tokens.values() if exp > now)
            self._tokens.clear()
            return live

    # -- quotes ------------------------------------------------------------------------------

    def create_quote(self, payload: Any, *, base_url: str) -> QuoteRecord:
        """Validate a create-quote body (the shared UK schema, with the terms the rate card
        offers for its total) and record the quote; raises :class:`Invalid`."""
        with self._lock:
            config = self._config
            now = self.now()
            # The shared UK schema, judged on the sandbox clock's date in the UK.
            today = datetime.fromtimestamp(now, UK).date()
            body = load_quote(payload, rate_card=config.rate_card, today=today)
            customer, order = body["customer"], body["order"]
            decision = decision_for(customer["last_name"])
            term: int = order["selected_instalment_term"]
            entry = config.term(term)
            assert entry is not None  # load_quote offered only the rate card's terms
            total: Decimal = order["total"]
            upfront: Decimal = order["upfront_payment"]
            credit: Decimal = order["credit_amount"]
            quote_id = str(uuid.uuid4())
            declined = decision == DECLINED
            quote = QuoteRecord(
                id=quote_id,
                status=STATUS_DECLINED if declined else PENDING,
                decision=decision,
                retailer_order_id=str(order["retailer_order_id"]),
                retailer_order_ref=str(order["retailer_order_ref"]),
                order_amount=total,
                upfront_payment=upfront,
                credit_amount=credit,
                term=term,
                interest_rate=entry.interest_rate,
                instalments=instalments(credit, term, entry.interest_rate),
                redirect_url=order.get("redirect_url"),
                checkout_url=None if declined else f"{base_url.rstrip('/')}/checkout/{quote_id}",
                created_at=now,
                expires_at=now + config.quote_lifetime,
                finished_at=now if declined else None,
            )
            self._quotes[quote_id] = quote
            return dataclasses.replace(quote)

    def _quote(self, quote_id: str) -> QuoteRecord:
        quote = self._quotes.get(quote_id)
        if quote is None:
            raise NotFound("Quote not found.")
        if quote.status == PENDING and self.now() >= quote.expires_at:
            quote.status = EXPIRED
            quote.finished_at = quote.expires_at
        return quote

    def get_quote(self, quote_id: str) -> QuoteRecord:
        """The quote as it stands now (a Pending quote past its lifetime reads Expired)."""
        with self._lock:
            return dataclasses.replace(self._quote(quote_id))

    def complete_quote(self, quote_id: str, *, guarantor: bool = False) -> QuoteRecord:
        """The customer signs: the quote becomes Completed and an order is created.

        A REFERRED quote completes only with ``guarantor=True`` (the admin API: a
        guarantor finished the application later). Completing a Completed quote
        again changes nothing (a double click must not create two orders).
        """
        with self._lock:
            quote = self._quote(quote_id)
            if quote.status == COMPLETED:
                return dataclasses.replace(quote)
            if quote.status != PENDING:
                raise Conflict(f"This quote is {quote.status}, so it cannot be completed.")
            if quote.decision == REFERRED and not guarantor:
                raise Conflict(
                    "This application was referred: a guarantor is needed before it can be "
                    "completed (POST /_sandbox/quotes/<id>/complete plays the guarantor)."
                )
            now = self.now()
            order_ref_id = self._new_order_ref_id()
            quote.status = COMPLETED
            quote.decision = APPROVED
            quote.order_ref_id = order_ref_id
            quote.finished_at = now
            self._orders[order_ref_id] = OrderRecord(
                order_ref_id=order_ref_id,
                quote_id=quote.id,
                retailer_order_id=quote.retailer_order_id,
                retailer_order_ref=quote.retailer_order_ref,
                amount=quote.credit_amount,
                created_at=now,
            )
            return dataclasses.replace(quote)

    def _new_order_ref_id(self) -> str:
        while True:
            candidate = f"DB{secrets.randbelow(10**8):08d}"
            if candidate not in self._orders:
                return candidate

    def cancel_quote(self, quote_id: str) -> QuoteRecord:
        """The customer gives up: Pending → Cancelled (cancelling twice changes nothing)."""
        return self._finish(quote_id, CANCELLED)

    def expire_quote(self, quote_id: str) -> QuoteRecord:
        """Expire a Pending quote now, without waiting for its lifetime."""
        return self._finish(quote_id, EXPIRED)

    def _finish(self, quote_id: str, status: str) -> QuoteRecord:
        with self._lock:
            quote = self._quote(quote_id)
            if quote.status == status:
                return dataclasses.replace(quote)
            if quote.status != PENDING:
                verb = "cancelled" if status == CANCELLED else "expired"
                raise Conflict(f"This quote is {quote.status}, so it cannot be {verb}.")
            quote.status = status
            quote.finished_at = self.now()
            return dataclasses.replace(quote)

    # -- settlement --------------------------------------------------------------------------

    def settle(self, payload: Any) -> list[SettlementRecord]:
        """Mark orders delivered. All or nothing: one bad row refuses the whole batch.

        Settling an order again with the same date changes nothing; with another
        date, the new date replaces the old one (DivideBuy's field is "update the
        settlement date").
        """
        with self._lock:
            rows = payload.get("orders") if isinstance(payload, Mapping) else None
            if not isinstance(rows, list) or not rows:
                message = (
                    "The orders field is required."
                    if rows is None or rows == []
                    else "The orders field must be an array."
                )
                raise Invalid.one("orders", message)
            errors: dict[str, list[str]] = {}
            accepted: list[tuple[OrderRecord, str]] = []
            dates: dict[str, str] = {}
            today = self.today()
            for index, row in enumerate(rows):
                found = self._check_settlement_row(index, row, today, dates, errors)
                if found is not None:
                    accepted.append(found)
            if errors:
                raise Invalid(errors)
            now = self.now()
            results = []
            for order, day in accepted:
                record = self._settlements.get(order.order_ref_id)
                if record is None:
                    record = SettlementRecord(
                        order_ref_id=order.order_ref_id,
                        retailer_order_id=order.retailer_order_id,
                        retailer_order_ref=order.retailer_order_ref,
                        date_of_delivery=day,
                        first_settled_at=now,
                        updated_at=now,
                    )
                    self._settlements[order.order_ref_id] = record
                else:
                    record.times_sent += 1
                    if record.date_of_delivery != day:
                        record.date_of_delivery = day
                        record.updated_at = now
                order.date_of_delivery = day
                results.append(dataclasses.replace(record))
            return results

    def _check_settlement_row(
        self,
        index: int,
        row: object,
        today: date,
        dates: dict[str, str],
        errors: dict[str, list[str]],
    ) -> tuple[OrderRecord, str] | None:
        prefix = f"orders.{index}"
        if not isinstance(row, Mapping):
            errors[prefix] = [f"The {prefix} field must be an object."]
            return None
        values: dict[str, str] = {}
        for key in _SETTLE_KEYS:
            value = row.get(key)
            path = f"{prefix}.{key}"
            if value is None or (isinstance(value, str) and not value.strip()):
                errors[path] = [f"The {path} field is required."]
            elif isinstance(value, bool) or not isinstance(value, str | int):
                errors[path] = [f"The {path} field must be a string."]
            else:
                values[key] = str(value)
        day_path = f"{prefix}.date_of_delivery"
        day: str | None = None
        try:
            delivered = read_date(row.get("date_of_delivery"), day_path)
        except FieldError as exc:
            errors[day_path] = [str(exc)]
        else:
            if delivered > today:
                errors[day_path] = [
                    f"The {day_path} field must be a date before or equal to today."
                ]
            else:
                day = delivered.isoformat()
        order = self._orders.get(values.get("order_ref_id", ""))
        if "order_ref_id" in values and order is None:
            errors[f"{prefix}.order_ref_id"] = [f"The selected {prefix}.order_ref_id is invalid."]
        if order is None:
            return None
        for key in ("retailer_order_id", "retailer_order_ref"):
            if key in values and values[key] != getattr(order, key):
                errors[f"{prefix}.{key}"] = [
                    f"The {prefix}.{key} field does not match order {order.order_ref_id}."
                ]
        quote = self._quotes.get(order.quote_id)
        if quote is None or quote.status != COMPLETED:
            errors[f"{prefix}.order_ref_id"] = [
                f"The quote of order {order.order_ref_id} is not Completed."
            ]
        if day is not None:
            earlier = dates.setdefault(order.order_ref_id, day)
            if earlier != day:
                errors[day_path] = [
                    f"Order {order.order_ref_id} appears twice in this batch with different dates."
                ]
        if any(key.startswith(prefix + ".") or key == prefix for key in errors) or day is None:
            return None
        return order, day

    # -- refunds -----------------------------------------------------------------------------

    def refund(self, retailer_order_id: str, amount: object = None) -> RefundRecord:
        """Refund *amount* pounds (``None``: all that is left) of the order.

        Never more than is left: the check and the ledger update happen under
        the lock, so concurrent refunds cannot together exceed the order.
        A refund that takes exactly what is left is ``FULL``.
        """
        with self._lock:
            orders = [o for o in self._orders.values() if o.retailer_order_id == retailer_order_id]
            if not orders:
                if any(q.retailer_order_id == retailer_order_id for q in self._quotes.values()):
                    raise Conflict(
                        "The order has not been completed at DivideBuy, so it cannot be refunded."
                    )
                raise NotFound("Order not found.")
            order = max(orders, key=lambda o: o.created_at)
            wanted: Decimal | None = None
            if amount is not None:
                try:
                    wanted = read_amount(amount, "amount")
                except FieldError as exc:
                    raise Invalid.one("amount", str(exc)) from None
                if wanted <= 0:
                    raise Invalid.one("amount", "The amount field must be greater than 0.")
            left = order.refundable
            if left <= 0:
                raise Invalid.one("amount", "The order has already been refunded in full.")
            if wanted is None:
                wanted = left
            if wanted > left:
                raise Invalid.one(
                    "amount",
                    f"The amount field must not be greater than {left}, the amount left to refund.",
                )
            order.refunded += wanted
            refund = RefundRecord(
                id=str(uuid.uuid4()),
                order_ref_id=order.order_ref_id,
                retailer_order_id=order.retailer_order_id,
                amount=wanted,
                refund_type=FULL if wanted == left else PARTIAL,
                created_at=self.now(),
            )
            self._refunds.append(refund)
            return dataclasses.replace(refund)

    # -- faults ------------------------------------------------------------------------------

    def inject_fault(
        self, route: str, status: object, *, times: int = 1, after_processing: bool = False
    ) -> Fault:
        """Arm a fault on a route-table name (``"REFUND"``…) for the next *times* requests.

        *status* is an HTTP status (400-599), ``"slow"``, ``"malformed"`` or
        ``"wrong-shape"``. Raises :class:`Invalid` for anything else.
        """
        errors: dict[str, list[str]] = {}
        if route not in ROUTE_NAMES:
            errors["route"] = [f"The route must be one of {', '.join(ROUTE_NAMES)}."]
        fault = parse_fault_status(status)
        if fault is None:
            errors["status"] = [
                'The status must be an HTTP status 400-599, "slow", "malformed" or "wrong-shape".'
            ]
        if isinstance(times, bool) or not isinstance(times, int) or not 1 <= times <= 1000:
            errors["times"] = ["The times field must be a whole number from 1 to 1000."]
        if not isinstance(after_processing, bool):
            errors["after_processing"] = ["The after_processing field must be true or false."]
        if errors or fault is None:
            raise Invalid(errors)
        fault = dataclasses.replace(fault, after_processing=after_processing)
        with self._lock:
            self._faults.add(route, fault, times)
        return fault

    def take_fault(self, route: str) -> Fault | None:
        """The next armed fault for *route*, consuming one of its ``times``."""
        with self._lock:
            return self._faults.take(route)

    def clear_faults(self) -> int:
        with self._lock:
            return self._faults.clear()

    # -- listing -----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything, as JSON-ready data (amounts stay ``Decimal``; tokens are only counted)."""
        with self._lock:
            now = self.now()
            for quote_id in list(self._quotes):
                self._quote(quote_id)  # brings expiry up to date
            return {
                "now": iso(now),
                "clock_offset": Decimal(str(self._offset)),
                "config": self._config.public(),
                "tokens": sum(1 for exp in self._tokens.values() if exp > now),
                "token_requests": self.token_requests,
                "settle_calls": self.settle_calls,
                "calls": dict(self._calls),
                "quotes": [quote.listing() for quote in self._quotes.values()],
                "orders": [order.listing() for order in self._orders.values()],
                "refunds": [refund.listing() for refund in self._refunds],
                "settlements": [s.listing() for s in self._settlements.values()],
                "faults": self._faults.listing(),
                "requests": list(self._requests),
            }
