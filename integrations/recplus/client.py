"""``RecPlusOrderSource``: read REC+ orders (``GET /orders/{id}``) and write their status back.

HTTP Basic with the shop's **Full API** username and password (seed 004: "Public
key access ... does not allow access to private store data such as orders").
``get_order`` reads the order fresh on every call (the checkout's amount check
needs the order as it is now) and returns:

- an :class:`~dividebuy_checkout.orders.Order` (mapped by :mod:`.mapping`);
- ``None`` for a 404, or an order the configured statuses / payment methods say
  may not be paid with DivideBuy;

and raises :class:`~dividebuy_checkout.orders.OrderSourceUnavailable` (REC+ down,
slow, rate limiting, or refusing the credentials — 401/403 name the setting) or
:class:`~dividebuy_checkout.orders.OrderNotFinanceable` (the order cannot be read
as a DivideBuy order; the reason says why).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import httpx

from ...orders import Order, OrderSourceUnavailable
from ...retry import RetryPolicy
from .._http import PlatformHTTP
from .._source import ClosingSource, read_failure, write_failure
from ..assumptions import (
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    RECPLUS_CURRENCY,
    RECPLUS_SCOPE,
    RECPLUS_WRITE_OK_STATUSES,
)
from ..errors import PlatformError
from ..results import PlatformCheck, StatusWrite
from .config import PREFIX, RecPlusConfig
from .mapping import PLATFORM, MappedOrder, map_order, not_payable_reason

__all__ = ["PlatformCheck", "RecPlusOrderSource", "StatusWrite", "recplus_error_envelope"]

log = logging.getLogger("dividebuy_checkout.integrations.recplus")

#: What to fix when REC+ refuses the credentials (401) or the account's reach (403).
CREDENTIALS_REFUSED = (
    f"REC+ refused the API username/password: check {PREFIX}API_USER and {PREFIX}API_PASS "
    "(the Full API credentials from Admin > API Accounts)."
)
SCOPE_REFUSED = (
    f"This REC+ API account cannot read orders: set {PREFIX}API_USER and {PREFIX}API_PASS to "
    f"the Full API username and password of an account with the '{RECPLUS_SCOPE}' scope "
    "(the public key cannot read orders)."
)
#: The statuses that mean the credentials are refused, and what to fix for each.
REFUSALS = {401: CREDENTIALS_REFUSED, 403: SCOPE_REFUSED}
#: Order ids longer than this are not sent (REC+ ids are integers).
MAX_ORDER_ID = 64


def recplus_error_envelope(body: Any) -> tuple[int | None, str] | None:
    """REC+'s ``{"errors": [{"status": 404, "message": "Product not found"}]}`` (seed 004)."""
    if not isinstance(body, Mapping):
        return None
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], Mapping):
        return None
    first = errors[0]
    status = first.get("status")
    message = first.get("message")
    return (
        status if isinstance(status, int) and not isinstance(status, bool) else None,
        message if isinstance(message, str) and message else "error",
    )


class RecPlusOrderSource(ClosingSource):
    """An :class:`~dividebuy_checkout.orders.OrderSource` reading a REC+ shop's orders."""

    platform: ClassVar[str] = PLATFORM

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        payable_statuses: Iterable[str] | None = None,
        payment_method_ids: Iterable[str | int] | None = None,
        sales_channel: str | None = None,
        timeout: float = READ_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._payable = None if payable_statuses is None else frozenset(payable_statuses)
        self._methods = (
            None if payment_method_ids is None else frozenset(str(m) for m in payment_method_ids)
        )
        self._sales_channel = sales_channel
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self._http = PlatformHTTP(
            PLATFORM,
            base_url,
            setting=f"{PREFIX}BASE_URL",
            auth=httpx.BasicAuth(username, password),
            timeout=timeout,
            connect_timeout=connect_timeout,
            retry=retry,
            error_envelope=recplus_error_envelope,
            transport=transport,
            **extra,
        )

    @classmethod
    def from_config(cls, config: RecPlusConfig, **kwargs: Any) -> RecPlusOrderSource:
        """Build from :class:`RecPlusConfig` (``kwargs`` pass ``retry``/``sleep``/``transport``)."""
        if config.currency.upper() != RECPLUS_CURRENCY:  # pragma: no cover - config refuses it
            raise ValueError("REC+ orders can be financed in GBP only.")
        return cls(
            config.base_url,
            config.api_user,
            config.api_pass,
            payable_statuses=config.payable_statuses,
            payment_method_ids=config.payment_method_ids,
            sales_channel=config.sales_channel,
            timeout=config.timeout,
            connect_timeout=config.connect_timeout,
            **kwargs,
        )

    @property
    def base_url(self) -> str:
        return self._http.base_url

    # -- reading -----------------------------------------------------------------------------

    def fetch(self, order_id: str) -> dict[str, Any] | None:
        """The raw REC+ order object (``money.loads``-decoded), or ``None`` for a 404."""
        order_id = str(order_id).strip()
        if not order_id or len(order_id) > MAX_ORDER_ID or "/" in order_id:
            return None
        try:
            reply = self._http.request(
                "GET",
                "/orders/{id}",
                path_params={"id": order_id},
                ok_statuses=frozenset({404}),
            )
        except PlatformError as exc:
            raise self._unavailable(exc, order_id) from None
        if reply.status == 404:
            return None
        if not isinstance(reply.body, dict):
            raise OrderSourceUnavailable(
                detail="REC+ answered GET /orders/{id} with a body that is not an order object",
                platform=PLATFORM,
                order_id=order_id,
                status=reply.status,
            )
        return reply.body

    def map(self, order_id: str) -> tuple[MappedOrder | None, str | None]:
        """``(mapped order, None)``; ``(None, reason)`` when not payable; ``(None, None)`` for 404.

        The CLI's ``order show`` uses this to show the notes and why an order is refused.
        """
        raw = self.fetch(order_id)
        if raw is None:
            return None, None
        reason = not_payable_reason(
            raw, payable_statuses=self._payable, payment_method_ids=self._methods
        )
        if reason is not None:
            return None, reason
        return map_order(raw, sales_channel=self._sales_channel), None

    def get_order(self, order_id: str) -> Order | None:
        """The order as it is now; ``None`` when missing or not payable; else raises."""
        mapped, reason = self.map(order_id)
        if reason is not None:
            log.info("recplus order %s not payable by configuration: %s", order_id, reason)
        return mapped.order if mapped is not None else None

    # -- writing -----------------------------------------------------------------------------

    def write_status(self, order_id: str, status: str, *, dry_run: bool = False) -> StatusWrite:
        """``POST /orders/{id}`` ``{"status": status}`` (``diffOnly=true`` when *dry_run*).

        Idempotent (writing the same status twice is harmless), so it is retried on
        429/5xx/timeouts; never raises for a platform failure: the outcome says what to do.
        """
        try:
            reply = self._http.request(
                "POST",
                "/orders/{id}",
                path_params={"id": str(order_id)},
                params={"diffOnly": "true"} if dry_run else None,
                json_body={"status": status},
                idempotent=True,
            )
        except PlatformError as exc:
            return write_failure(exc, refusals=REFUSALS)
        if reply.status not in RECPLUS_WRITE_OK_STATUSES:  # pragma: no cover - other 2xx
            return StatusWrite("retry", reply.status, f"unexpected HTTP {reply.status}")
        return StatusWrite("done", reply.status, "written", reply.body)

    # -- checking ----------------------------------------------------------------------------

    def check(self) -> PlatformCheck:
        """Can these credentials read orders? (``GET /orders?limit=1``; 401 vs 403 explained)."""
        try:
            reply = self._http.request("GET", "/orders", params={"limit": "1"})
        except PlatformError as exc:
            error = self._unavailable(exc, None)
            return PlatformCheck(False, error.detail or error.message, exc.status)
        return PlatformCheck(
            True,
            f"REC+ at {self.base_url} accepted the credentials and can read orders "
            f"(the '{RECPLUS_SCOPE}' scope).",
            reply.status,
        )

    def _unavailable(self, exc: PlatformError, order_id: str | None) -> OrderSourceUnavailable:
        return read_failure(exc, platform=PLATFORM, order_id=order_id, refusals=REFUSALS)

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"RecPlusOrderSource({self.base_url!r})"
