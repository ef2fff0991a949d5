"""``DiSellerOrderSource``: read DiSeller orders with their customer and products.

``Authorization: Bearer <API key>`` on every call (seed 002:17-18), and
``Content-Type: application/json`` too ("All requests should include", 002:43).
``get_order`` reads the order, its customer and the products it names **fresh**
(only product names are cached, :mod:`.products`) and returns:

- an :class:`~dividebuy_checkout.orders.Order` (mapped by :mod:`.mapping`);
- ``None`` for a 404, or an order whose status is not payable (cancelled, or
  outside ``DIVIDEBUY_DISELLER_PAYABLE_STATUSES``);

and raises :class:`~dividebuy_checkout.orders.OrderSourceUnavailable` (DiSeller
down, slow, rate limiting — a ``Retry-After`` longer than we wait travels on the
error with the time — or refusing the key, naming ``DIVIDEBUY_DISELLER_API_KEY``)
or :class:`~dividebuy_checkout.orders.OrderNotFinanceable` (not in pounds, or an
order that cannot be read as a DivideBuy order; the reason says why). A USD
order is refused from the order alone, before its customer or products are read.

Background work lists orders through :meth:`DiSellerOrderSource.iter_orders`
(Stripe-style cursor paging) and spends the hourly :class:`~.budget.RequestBudget`;
interactive reads never touch it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from ...orders import Order, OrderSourceUnavailable
from ...retry import RetryPolicy
from .._http import PlatformHTTP, PlatformReply
from .._source import ClosingSource, read_failure, write_failure
from ..assumptions import (
    CONNECT_TIMEOUT,
    DISELLER_PAGE_LIMIT,
    DISELLER_RATE_LIMIT_HEADERS,
    READ_TIMEOUT,
)
from ..errors import PlatformError
from ..results import PlatformCheck, StatusWrite
from .budget import BudgetExhausted, RequestBudget
from .config import DEFAULT_BASE_URL, PREFIX, DiSellerConfig
from .mapping import (
    PLATFORM,
    MappedOrder,
    ProductInfo,
    map_order,
    mask_personal,
    not_payable_reason,
    order_currency_reason,
    product_info,
)
from .products import ProductCache

__all__ = [
    "BackfillResult",
    "DiSellerOrderSource",
    "PagingError",
    "PlatformCheck",
    "StatusWrite",
    "diseller_error_envelope",
]

log = logging.getLogger("dividebuy_checkout.integrations.diseller")

#: What to fix when DiSeller refuses the key (401 "No valid API key provided.").
KEY_REFUSED = (
    f"DiSeller refused the API key: check {PREFIX}API_KEY (an API key from the DiSeller Dashboard)."
)
#: The status that means the key is refused, and what to fix.
REFUSALS = {401: KEY_REFUSED}
#: Ids longer than this are not sent (DiSeller ids are short: ``ord_456``).
MAX_ID = 128


def diseller_error_envelope(body: Any) -> tuple[int | None, str] | None:
    """DiSeller's ``{"error": {"type", "message", "param", "code"}}`` (seed 002:190-196).

    The message keeps ``type``/``code``/``param`` in brackets for the operator log.
    """
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if not isinstance(error, Mapping):
        return None
    message = error.get("message")
    text = message if isinstance(message, str) and message.strip() else "error"
    extra = [
        f"{key} {error[key]}"
        for key in ("type", "code", "param")
        if isinstance(error.get(key), str) and error[key]
    ]
    return None, f"{text} ({', '.join(extra)})" if extra else text


class PagingError(OrderSourceUnavailable):
    """DiSeller's list broke the paging contract (``has_more`` with no data, an id twice)."""


@dataclass(frozen=True)
class BackfillResult:
    """One background listing run: how far it got and, when it stopped early, until when.

    ``cursor`` is the last order id read (resume with ``starting_after=cursor``);
    ``complete`` is true when DiSeller said ``has_more: false``.
    """

    orders: tuple[dict[str, Any], ...]
    requests: int
    complete: bool
    cursor: str | None
    resumes_at: float | None = None

    @property
    def message(self) -> str:
        if self.complete:
            return f"read {len(self.orders)} order(s) in {self.requests} request(s)"
        when = (
            datetime.fromtimestamp(self.resumes_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            if self.resumes_at is not None
            else "?"
        )
        return f"stopped after {self.requests} request(s), resumes at {when}"


def _when(seconds: float) -> str:
    at = datetime.now(UTC).timestamp() + seconds
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S UTC")


class DiSellerOrderSource(ClosingSource):
    """An :class:`~dividebuy_checkout.orders.OrderSource` reading a DiSeller shop's orders."""

    platform: ClassVar[str] = PLATFORM
    #: masks ``fetch``'s bundle for ``order show --raw`` (customer and address values)
    mask_personal = staticmethod(mask_personal)

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str = "",
        *,
        vat_rate: Decimal = Decimal("20"),
        residual: str = "shipping",
        payable_statuses: frozenset[str] | None = None,
        sales_channel: str | None = None,
        product_cache_seconds: float = 3600.0,
        requests_per_hour: int = 1000,
        budget: RequestBudget | None = None,
        timeout: float = READ_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise ValueError(f"DiSellerOrderSource needs an API key ({PREFIX}API_KEY).")
        self._vat_rate = vat_rate
        self._residual = residual
        self._payable = payable_statuses
        self._sales_channel = sales_channel
        cache_clock: dict[str, Any] = {} if clock is None else {"clock": clock}
        self.products: ProductCache[ProductInfo] = ProductCache(
            product_cache_seconds, **cache_clock
        )
        #: the background request budget (poll, backfill); get_order never spends from it
        self.budget = budget or RequestBudget(requests_per_hour, **cache_clock)
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self._key = api_key
        self._http = PlatformHTTP(
            PLATFORM,
            base_url,
            setting=f"{PREFIX}BASE_URL",
            auth=_Bearer(api_key),
            timeout=timeout,
            connect_timeout=connect_timeout,
            retry=retry,
            error_envelope=diseller_error_envelope,
            transport=transport,
            **extra,
        )

    @classmethod
    def from_config(cls, config: DiSellerConfig, **kwargs: Any) -> DiSellerOrderSource:
        """Build from :class:`DiSellerConfig` (``kwargs``: retry, sleep, clock, transport…)."""
        return cls(
            config.base_url,
            config.api_key,
            vat_rate=config.vat_rate,
            residual=config.residual,
            payable_statuses=config.payable_statuses,
            sales_channel=config.sales_channel,
            product_cache_seconds=config.product_cache_seconds,
            requests_per_hour=config.requests_per_hour,
            timeout=config.timeout,
            connect_timeout=config.connect_timeout,
            **kwargs,
        )

    @property
    def base_url(self) -> str:
        return self._http.base_url

    # -- HTTP --------------------------------------------------------------------------------

    def _get(
        self,
        template: str,
        path_params: Mapping[str, str] | None = None,
        *,
        params: Mapping[str, str] | None = None,
        order_id: str | None = None,
        missing_ok: bool = True,
    ) -> PlatformReply:
        try:
            reply = self._http.request(
                "GET",
                template,
                path_params=path_params,
                params=params,
                ok_statuses=frozenset({404}) if missing_ok else frozenset(),
            )
        except PlatformError as exc:
            raise self._unavailable(exc, order_id, template) from None
        limits = {h: reply.headers.get(h.lower()) for h in DISELLER_RATE_LIMIT_HEADERS}
        if any(limits.values()):
            log.debug(
                "diseller GET %s rate limit %s",
                template,
                " ".join(f"{k.split('-')[-1].lower()}={v}" for k, v in limits.items() if v),
            )
        return reply

    def _object(self, reply: PlatformReply, what: str, order_id: str | None) -> dict[str, Any]:
        if not isinstance(reply.body, dict):
            raise OrderSourceUnavailable(
                detail=f"DiSeller answered GET {what} with a body that is not an object",
                platform=PLATFORM,
                order_id=order_id,
                status=reply.status,
            )
        return reply.body

    def _unavailable(
        self, exc: PlatformError, order_id: str | None, template: str
    ) -> OrderSourceUnavailable:
        if exc.status == 401:
            log.warning("diseller GET %s refused the API key (HTTP 401)", template)
            return read_failure(exc, platform=PLATFORM, order_id=order_id, refusals=REFUSALS)
        detail = str(exc)
        if exc.retry_after is not None and exc.status == 429:
            detail = (
                f"DiSeller is rate limiting this API key: {exc.message}; retry after "
                f"{exc.retry_after:g} s (at {_when(exc.retry_after)})"
            )
        log.warning("diseller GET %s failed for order %s: %s", template, order_id, detail)
        return read_failure(
            exc, platform=PLATFORM, order_id=order_id, refusals=REFUSALS, detail=detail
        )

    # -- reading -----------------------------------------------------------------------------

    def _order(self, order_id: str) -> dict[str, Any] | None:
        order_id = str(order_id).strip()
        if not order_id or len(order_id) > MAX_ID or "/" in order_id:
            return None
        reply = self._get("/orders/{id}", {"id": order_id}, order_id=order_id)
        if reply.status == 404:
            return None
        return self._object(reply, "/orders/{id}", order_id)

    def _customer(self, order: Mapping[str, Any], order_id: str) -> dict[str, Any] | None:
        customer_id = order.get("customer_id")
        if not isinstance(customer_id, str) or not customer_id.strip():
            return None
        if len(customer_id) > MAX_ID or "/" in customer_id:
            return None
        reply = self._get("/customers/{id}", {"id": customer_id.strip()}, order_id=order_id)
        if reply.status == 404:
            log.info("diseller order %s: its customer is not found (404)", order_id)
            return None
        return self._object(reply, "/customers/{id}", order_id)

    def _product(self, product_id: str, order_id: str) -> ProductInfo | None:
        def load(pid: str) -> ProductInfo | None:
            if len(pid) > MAX_ID or "/" in pid:
                return None
            reply = self._get("/products/{id}", {"id": pid}, order_id=order_id)
            if reply.status == 404:
                return None
            return product_info(self._object(reply, "/products/{id}", order_id), pid)

        return self.products.get(product_id, load)

    def _products(self, order: Mapping[str, Any], order_id: str) -> dict[str, ProductInfo | None]:
        items = order.get("items")
        ids: list[str] = []
        if isinstance(items, list):
            for item in items:
                pid = item.get("product_id") if isinstance(item, Mapping) else None
                if isinstance(pid, str) and pid.strip() and pid.strip() not in ids:
                    ids.append(pid.strip())
        return {pid: self._product(pid, order_id) for pid in ids}

    def read_order(self, order_id: str) -> dict[str, Any] | None:
        """The raw order alone (one request), or ``None`` for a 404: the webhook side's
        re-read before settling needs its status, not its customer or products."""
        return self._order(order_id)

    def fetch(self, order_id: str) -> dict[str, Any] | None:
        """The raw bundle ``{"order", "customer", "products"}`` (CLI ``--raw``), or ``None``."""
        order = self._order(order_id)
        if order is None:
            return None
        products = self._products(order, str(order_id))
        return {
            "order": order,
            "customer": self._customer(order, str(order_id)),
            "products": {
                pid: None if info is None else {"name": info.name, "currency": info.currency}
                for pid, info in products.items()
            },
        }

    def map(self, order_id: str) -> tuple[MappedOrder | None, str | None]:
        """``(mapped, None)``; ``(None, reason)`` when not payable; ``(None, None)`` for 404.

        The currency is checked on the order alone, so a USD order costs one request.
        """
        order = self._order(order_id)
        if order is None:
            return None, None
        reason = not_payable_reason(order, payable_statuses=self._payable)
        if reason is not None:
            return None, reason
        refused = order_currency_reason(order)
        if refused is not None:
            raise refused
        customer = self._customer(order, str(order_id))
        products = self._products(order, str(order_id))
        return (
            map_order(
                order,
                customer,
                products,
                vat_rate=self._vat_rate,
                residual=self._residual,
                sales_channel=self._sales_channel,
            ),
            None,
        )

    def get_order(self, order_id: str) -> Order | None:
        """The order as it is now; ``None`` when missing or not payable; else raises."""
        mapped, reason = self.map(order_id)
        if reason is not None:
            log.info("diseller order %s not payable: %s", order_id, reason)
        return mapped.order if mapped is not None else None

    # -- background listing ------------------------------------------------------------------

    def iter_orders(
        self,
        *,
        limit: int = DISELLER_PAGE_LIMIT,
        starting_after: str | None = None,
        budget: RequestBudget | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every order from *starting_after* on, page by page (``GET /orders``), raw.

        Each page spends one token of *budget* (default: this source's); when it is
        spent, :class:`~.budget.BudgetExhausted` says how many requests were made and
        where to resume. Raises :class:`PagingError` when DiSeller says ``has_more``
        with an empty page or repeats an id.
        """
        budget = budget or self.budget
        limit = max(1, min(int(limit), DISELLER_PAGE_LIMIT))
        cursor = starting_after
        seen: set[str] = set()
        requests = 0
        total: object = None
        while True:
            budget.spend(requests, cursor)
            params = {"limit": str(limit)}
            if cursor:
                params["starting_after"] = cursor
            requests += 1
            reply = self._get("/orders", params=params, missing_ok=False)
            body = reply.body if isinstance(reply.body, Mapping) else {}
            data = body.get("data")
            if not isinstance(data, list):
                raise PagingError(
                    detail="DiSeller answered GET /orders without a data list",
                    platform=PLATFORM,
                    status=reply.status,
                )
            if total is not None and body.get("total") != total:
                log.info(
                    "diseller GET /orders: total changed between pages (%s -> %s)",
                    total,
                    body.get("total"),
                )
            total = body.get("total")
            for order in data:
                order_id = order.get("id") if isinstance(order, Mapping) else None
                if not isinstance(order_id, str) or not order_id:
                    raise PagingError(
                        detail="DiSeller listed an order without an id", platform=PLATFORM
                    )
                if order_id in seen:
                    raise PagingError(
                        detail=f"DiSeller listed order {order_id} twice while paging",
                        platform=PLATFORM,
                        order_id=order_id,
                    )
                seen.add(order_id)
                cursor = order_id
                yield dict(order)
            has_more = body.get("has_more")
            if has_more is not True:
                return
            if not data:
                raise PagingError(
                    detail="DiSeller said has_more with an empty page", platform=PLATFORM
                )

    def backfill(
        self,
        *,
        starting_after: str | None = None,
        limit: int = DISELLER_PAGE_LIMIT,
        budget: RequestBudget | None = None,
    ) -> BackfillResult:
        """List orders from *starting_after* until done or the budget is spent (no raise)."""
        budget = budget or self.budget
        before = budget.spent
        orders: list[dict[str, Any]] = []
        cursor = starting_after
        try:
            for order in self.iter_orders(limit=limit, starting_after=cursor, budget=budget):
                orders.append(order)
                cursor = str(order["id"])
        except BudgetExhausted as exc:
            log.info("diseller backfill: %s", exc)
            return BackfillResult(tuple(orders), exc.requests, False, cursor, exc.resumes_at)
        return BackfillResult(tuple(orders), budget.spent - before, True, cursor)

    # -- writing (opt-in: DIVIDEBUY_DISELLER_WRITE_BACK) -------------------------------------

    def write_status(self, order_id: str, status: str) -> StatusWrite:
        """``PUT /orders/{id}`` ``{"status": status}`` (assumed: only products document PUT).

        Background work: it spends the request budget (a spent budget says "retry"),
        is retried on 429/5xx/timeouts (idempotent), and never raises for a platform
        failure: the outcome says what to do.
        """
        if not self.budget.try_spend():
            when = datetime.fromtimestamp(self.budget.resumes_at(), UTC)
            return StatusWrite(
                "retry",
                None,
                f"DiSeller request budget spent; resumes at {when:%Y-%m-%d %H:%M:%S} UTC",
            )
        try:
            reply = self._http.request(
                "PUT",
                "/orders/{id}",
                path_params={"id": str(order_id)},
                json_body={"status": status},
                idempotent=True,
            )
        except PlatformError as exc:
            return write_failure(exc, refusals=REFUSALS)
        return StatusWrite("done", reply.status, "written")

    # -- checking ----------------------------------------------------------------------------

    def check(self) -> PlatformCheck:
        """Can this key read orders? (``GET /orders?limit=1``; a 401 names the setting)."""
        try:
            reply = self._get("/orders", params={"limit": "1"}, missing_ok=False)
        except OrderSourceUnavailable as exc:
            return PlatformCheck(False, exc.detail or exc.message, exc.status)
        return PlatformCheck(
            True,
            f"DiSeller at {self.base_url} accepted the API key and can read orders.",
            reply.status,
        )

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"DiSellerOrderSource({self.base_url!r})"


class _Bearer(httpx.Auth):
    """``Authorization: Bearer <key>`` and the ``Content-Type`` the seed asks for on every call.

    Kept out of the client's default headers so the key never shows in its ``repr``.
    """

    def __init__(self, key: str) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._key}"
        request.headers.setdefault("Content-Type", "application/json")
        yield request

    def __repr__(self) -> str:
        return "_Bearer(***)"
