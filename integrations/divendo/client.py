"""``DivendoOrderSource``: read Divendo orders over OAuth 2.0 through a capped connection pool.

"Each user account is permitted up to 5 simultaneous connections, and if you reach the
threshold, you will receive an error message to this effect" (seed 000:63). So every call
this process makes to Divendo — the token call included — goes through **one** httpx pool
of ``DIVIDEBUY_DIVENDO_MAX_CONNECTIONS`` connections (default 2, so two workers fit under
the account's five). A call that finds the pool full waits up to
``DIVIDEBUY_DIVENDO_POOL_TIMEOUT`` seconds, then fails at once as
:class:`~dividebuy_checkout.orders.OrderSourceUnavailable` ("Divendo is busy"): it is never
retried, so a shopper's page never waits more than that. Divendo's throttling answer
(read as 429; 503 likewise) is retried with backoff by the shared
:class:`~.._http.PlatformHTTP`. Idle keep-alive connections are closed after
:data:`KEEPALIVE_EXPIRY` seconds, in case Divendo counts them (the safer reading).

``get_order`` reads the order fresh on every call and, when it has no ``billto``, its
contact (``GET /contacts/{customer.id}``); it returns an ``Order``, ``None`` (404, or not
payable by configuration), or raises ``OrderSourceUnavailable`` / ``OrderNotFinanceable``.
``fetch`` gives the raw order for ``platform poll`` and ``order show --raw``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

import httpx

from ...orders import Order, OrderSourceUnavailable
from ...retry import RetryPolicy
from ...tokens import MemoryTokenStore, TokenStore, token_cache_key
from .._http import PlatformHTTP, require_https
from .._source import ClosingSource, is_refusal, read_failure
from ..assumptions import CONNECT_TIMEOUT, READ_TIMEOUT
from ..errors import PlatformError
from ..results import PlatformCheck
from .config import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_POOL_TIMEOUT,
    DEFAULT_TOKEN_PATH,
    MAX_CONNECTIONS_LIMIT,
    PREFIX,
    DivendoConfig,
)
from .mapping import (
    PLATFORM,
    DivendoOrderShape,
    MappedOrder,
    contact_id,
    map_order,
    mask_personal,
    needs_contact,
    not_payable_reason,
)
from .tokens import DivendoTokenAuth, TokenError, TokenFetcher

__all__ = [
    "BUSY",
    "KEEPALIVE_EXPIRY",
    "PAGE_LIMIT",
    "CappedTransport",
    "DivendoOrderSource",
    "PlatformCheck",
    "PoolBusy",
    "account_cap_warning",
    "divendo_error_envelope",
]

log = logging.getLogger("dividebuy_checkout.integrations.divendo")

#: Seconds an idle connection is kept: short, because Divendo may count idle ones too.
KEEPALIVE_EXPIRY = 5.0
#: The operator-facing words for a full pool.
BUSY = "Divendo is busy"
#: Order ids longer than this are not sent (Divendo's are 24 hex digits).
MAX_ORDER_ID = 64
#: "count: The number of records to return (maximum 25)" (Divendo's public reference, P).
PAGE_LIMIT = 25

CREDENTIALS_REFUSED = (
    f"Divendo refused the bearer token twice: check {PREFIX}CLIENT_ID and "
    f"{PREFIX}CLIENT_SECRET (the API user's OAuth credentials)."
)
FORBIDDEN = (
    f"Divendo's API user may not read this resource: give the API user of {PREFIX}CLIENT_ID "
    "access to orders and contacts."
)
#: The statuses that mean the credentials are refused, and what to fix for each.
REFUSALS = {401: CREDENTIALS_REFUSED, 403: FORBIDDEN}


class PoolBusy(Exception):
    """Every connection of the capped pool stayed in use for the whole pool timeout.

    Deliberately not an ``httpx`` error: the shared HTTP layer would retry it, and waiting
    again for a full pool only makes the shopper wait longer.
    """


class CappedTransport(httpx.BaseTransport):
    """One httpx connection pool of at most *max_connections*, shared by every Divendo call."""

    def __init__(
        self,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
        *,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.max_connections = max_connections
        self.pool_timeout = pool_timeout
        self._inner = transport or httpx.HTTPTransport(
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=keepalive_expiry,
            )
        )
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = dict(request.extensions.get("timeout") or {})
        timeouts["pool"] = self.pool_timeout
        request.extensions["timeout"] = timeouts
        try:
            return self._inner.handle_request(request)
        except httpx.PoolTimeout:
            raise PoolBusy(
                f"{BUSY}: all {self.max_connections} connection(s) of this process stayed in "
                f"use for {self.pool_timeout:g}s ({PREFIX}MAX_CONNECTIONS, {PREFIX}POOL_TIMEOUT)"
            ) from None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._inner.close()


def divendo_error_envelope(body: Any) -> tuple[int | None, str] | None:
    """Divendo's error message: ``message``, ``error_description`` or ``error`` (undocumented)."""
    if not isinstance(body, Mapping):
        return None
    for key in ("message", "error_description", "error"):
        value = body.get(key)
        if isinstance(value, Mapping):
            value = value.get("message")
        if isinstance(value, str) and value.strip():
            return None, value.strip()[:300]
    return None


def account_cap_warning(max_connections: int, environ: Mapping[str, str]) -> str | None:
    """Why this deployment may exceed the account's cap (``WEB_CONCURRENCY`` × N > 5), or None.

    The cap is per account, the pool per process: only the operator knows every process,
    so the known worker count is checked and anything above the cap is said at start-up.
    """
    raw = environ.get("WEB_CONCURRENCY", "").strip()
    if not raw.isdigit() or int(raw) < 1:
        return None
    workers = int(raw)
    if workers * max_connections <= MAX_CONNECTIONS_LIMIT:
        return None
    return (
        f"WEB_CONCURRENCY={workers} workers x {PREFIX}MAX_CONNECTIONS={max_connections} = "
        f"{workers * max_connections} connections, above the {MAX_CONNECTIONS_LIMIT} Divendo "
        "allows per account: expect its throttling error under load (lower "
        f"{PREFIX}MAX_CONNECTIONS)."
    )


class DivendoOrderSource(ClosingSource):
    """An :class:`~dividebuy_checkout.orders.OrderSource` reading a Divendo store's orders."""

    platform: ClassVar[str] = PLATFORM
    #: how ``order show --raw`` masks this platform's bodies
    mask_personal = staticmethod(mask_personal)

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        client_id: str = "",
        client_secret: str = "",
        *,
        token_path: str = DEFAULT_TOKEN_PATH,
        token_auth: str = "basic",  # noqa: S107 - a scheme name, not a secret
        token_body: str = "form",  # noqa: S107 - an encoding name
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
        timeout: float = READ_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        shape: DivendoOrderShape | None = None,
        payable_statuses: Iterable[str] | None = None,
        closed_statuses: Iterable[str] = (),
        sales_channel: str | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        token_store: TokenStore | None = None,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        # DivendoConfig checks the same things with the setting's name; this covers direct use
        if not client_id or not client_secret:
            raise ValueError("DivendoOrderSource needs client_id and client_secret.")
        if not 1 <= max_connections <= MAX_CONNECTIONS_LIMIT:
            raise ValueError(f"max_connections must be from 1 to {MAX_CONNECTIONS_LIMIT}.")
        base_url = require_https(base_url, f"{PREFIX}BASE_URL")
        self._client_id = client_id
        self._shape = shape or DivendoOrderShape()
        self._payable = None if payable_statuses is None else frozenset(payable_statuses)
        self._closed = frozenset(closed_statuses)
        self._sales_channel = sales_channel
        self.transport = CappedTransport(
            max_connections, pool_timeout, keepalive_expiry=keepalive_expiry, transport=transport
        )
        self.tokens = TokenFetcher(
            base_url,
            client_id,
            client_secret,
            token_path=token_path,
            token_auth=token_auth,
            token_body=token_body,
            transport=self.transport,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            retry=retry,
            sleep=sleep,
        )
        self._auth = DivendoTokenAuth(
            self.tokens,
            store=token_store or MemoryTokenStore(clock=clock),
            key=token_cache_key(base_url, client_id, client_secret),
            clock=clock,
        )
        self._http = PlatformHTTP(
            PLATFORM,
            base_url,
            setting=f"{PREFIX}BASE_URL",
            auth=self._auth,
            timeout=timeout,
            connect_timeout=connect_timeout,
            retry=retry,
            error_envelope=divendo_error_envelope,
            sleep=sleep,
            transport=self.transport,
        )

    @classmethod
    def from_config(
        cls,
        config: DivendoConfig,
        *,
        environ: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> DivendoOrderSource:
        """Build from :class:`DivendoConfig` (``kwargs``: ``retry``/``sleep``/``clock``/…).

        Warns once when the known worker count times the pool exceeds the account's cap.
        """
        warning = account_cap_warning(
            config.max_connections, os.environ if environ is None else environ
        )
        if warning is not None:
            log.warning("%s", warning)
        return cls(
            config.base_url,
            config.client_id,
            config.client_secret,
            token_path=config.token_path,
            token_auth=config.token_auth,
            token_body=config.token_body,
            max_connections=config.max_connections,
            pool_timeout=config.pool_timeout,
            timeout=config.timeout,
            connect_timeout=config.connect_timeout,
            shape=DivendoOrderShape.with_overrides(config.order_shape),
            payable_statuses=config.payable_statuses,
            closed_statuses=config.closed_statuses,
            sales_channel=config.sales_channel,
            **kwargs,
        )

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def shape(self) -> DivendoOrderShape:
        return self._shape

    # -- reading -----------------------------------------------------------------------------

    def _get(self, template: str, identifier: str, order_id: str) -> dict[str, Any] | None:
        """One GET of an object by id: the object, ``None`` for 404, else raises."""
        try:
            reply = self._http.request(
                "GET", template, path_params={"id": identifier}, ok_statuses=frozenset({404})
            )
        except PlatformError as exc:
            raise self._unavailable(exc, order_id) from None
        except TokenError as exc:
            raise OrderSourceUnavailable(
                detail=exc.message,
                platform=PLATFORM,
                order_id=order_id,
                config_problem=exc.config_problem,
                retry_after=exc.retry_after,
                status=exc.status,
            ) from None
        except PoolBusy as exc:
            log.warning("divendo GET %s for order %s: %s", template, order_id, exc)
            raise OrderSourceUnavailable(
                detail=str(exc), platform=PLATFORM, order_id=order_id
            ) from None
        if reply.status == 404:
            return None
        if not isinstance(reply.body, dict):
            raise OrderSourceUnavailable(
                detail=f"Divendo answered GET {template} with a body that is not an object",
                platform=PLATFORM,
                order_id=order_id,
                status=reply.status,
            )
        return reply.body

    def fetch(self, order_id: str, *, contact: bool = False) -> dict[str, Any] | None:
        """The raw order (``money.loads``-decoded), or ``None`` for a 404 or an unusable id.

        With *contact* (``order show --raw``), an order without ``billto`` also carries its
        contact under ``"_contact"`` (``None`` when Divendo has none). ``platform poll``
        calls it without: the events need only the order, and it saves a connection.
        """
        order_id = str(order_id).strip()
        if not order_id or len(order_id) > MAX_ORDER_ID:
            return None
        raw = self._get("/orders/{id}", order_id, order_id)
        if raw is not None and contact and needs_contact(raw, self._shape):
            raw = {**raw, "_contact": self.fetch_contact(raw, order_id)}
        return raw

    def fetch_contact(self, raw: Mapping[str, Any], order_id: str) -> dict[str, Any] | None:
        """The order's contact (``GET /contacts/{id}``), or ``None`` (no id, or 404)."""
        identifier = contact_id(raw, self._shape)
        if identifier is None:
            return None
        found = self._get("/contacts/{id}", identifier, order_id)
        if found is None:
            log.info("divendo order %s: its contact is not found (404)", order_id)
        return found

    def map(self, order_id: str) -> tuple[MappedOrder | None, str | None]:
        """``(mapped order, None)``; ``(None, reason)`` when not payable; ``(None, None)`` for 404.

        The CLI's ``order show`` uses this to show the notes and why an order is refused.
        """
        raw = self.fetch(order_id)
        if raw is None:
            return None, None
        reason = not_payable_reason(
            raw, payable_statuses=self._payable, closed_statuses=self._closed, shape=self._shape
        )
        if reason is not None:
            return None, reason
        contact = None
        if needs_contact(raw, self._shape):
            contact = self.fetch_contact(raw, str(order_id).strip())
        return (
            map_order(raw, contact, shape=self._shape, sales_channel=self._sales_channel),
            None,
        )

    def get_order(self, order_id: str) -> Order | None:
        """The order as it is now; ``None`` when missing or not payable; else raises."""
        mapped, reason = self.map(order_id)
        if reason is not None:
            log.info("divendo order %s not payable by configuration: %s", order_id, reason)
        return mapped.order if mapped is not None else None

    def iter_orders(self, *, page_size: int = PAGE_LIMIT) -> Iterator[dict[str, Any]]:
        """Every order Divendo lists (``GET /orders?count=&offset=``), each once (backfill).

        Paging is not in the seeds: ``count`` (at most 25) and ``offset``, replies
        ``{"total", "count", "offset", "results"}`` (P). ``total`` is re-read on every page
        (orders arriving mid-scan are picked up); an id already seen is skipped; an empty
        page, the end of ``total`` or a page of nothing new ends the scan. The order source
        itself never needs this (it reads orders by id).
        """
        count = max(1, min(page_size, PAGE_LIMIT))
        offset = 0
        seen: set[str] = set()
        while True:
            try:
                reply = self._http.request(
                    "GET", "/orders", params={"count": str(count), "offset": str(offset)}
                )
            except PlatformError as exc:
                raise self._unavailable(exc, None) from None
            except (TokenError, PoolBusy) as exc:
                raise OrderSourceUnavailable(detail=str(exc), platform=PLATFORM) from None
            body = reply.body if isinstance(reply.body, Mapping) else {}
            results, total = body.get("results"), body.get("total")
            if (
                not isinstance(results, list)
                or isinstance(total, bool)
                or not isinstance(total, int)
            ):
                raise OrderSourceUnavailable(
                    detail="Divendo answered GET /orders without a results list and a total",
                    platform=PLATFORM,
                    status=reply.status,
                )
            fresh = [
                order
                for order in results
                if isinstance(order, dict) and str(order.get("id")) not in seen
            ]
            if not fresh:
                if results:
                    log.warning("divendo GET /orders offset %d repeated a page: stopped", offset)
                return
            for order in fresh:
                seen.add(str(order.get("id")))
                yield order
            offset += len(results)
            if offset >= total:
                return

    # -- checking ----------------------------------------------------------------------------

    def check(self) -> PlatformCheck:
        """Can a token be had with these credentials? (``platform check``: one token request)."""
        try:
            self.tokens()
        except TokenError as exc:
            return PlatformCheck(False, exc.message, exc.status)
        except PoolBusy as exc:
            return PlatformCheck(False, str(exc))
        return PlatformCheck(True, f"Divendo at {self.base_url} issued a bearer token.", 200)

    def _unavailable(self, exc: PlatformError, order_id: str | None) -> OrderSourceUnavailable:
        if exc.status not in REFUSALS and is_refusal(exc.status):
            # undocumented errors: Divendo's own words reach the operator's log
            log.warning("divendo order %s: HTTP %s %s", order_id, exc.status, exc.message)
        return read_failure(exc, platform=PLATFORM, order_id=order_id, refusals=REFUSALS)

    def close(self) -> None:
        self._http.close()
        self.tokens.close()
        self.transport.close()

    def __repr__(self) -> str:
        return f"DivendoOrderSource({self.base_url!r}, client_id={self._client_id!r})"
