"""``DivideBuyClient``: the one object that talks to DivideBuy.

It is the composition root of the HTTP side: one pooled ``httpx.Client``, the
route table, the token cache, the retry policy and the error mapping. Each
method is a thin typed wrapper around :meth:`DivideBuyClient._call`.
"""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from . import routes
from ._version import __version__
from .errors import (
    AuthenticationError,
    ConflictError,
    DivideBuyError,
    MalformedResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestValidationError,
    ServiceUnavailableError,
)
from .figures import example_problems, example_term_problems, term_problems
from .models import (
    Quote,
    Refund,
    RepresentativeExample,
    RequestedQuote,
    SettlementOrder,
    Term,
    Terms,
)
from .money import MoneyLike, dumps, format_gbp, loads, to_money
from .retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from .settings import Settings
from .shared import token_store_for
from .tokens import BearerTokenAuth, IssuedToken, MemoryTokenStore, TokenStore, token_cache_key

__all__ = ["RECENT_TERMS", "REQUEST_ID_HEADERS", "USER_AGENT", "DivideBuyClient"]

_T = TypeVar("_T")

log = logging.getLogger("dividebuy_checkout.client")

USER_AGENT = (
    f"dividebuy-checkout/{__version__} httpx/{httpx.__version__} python/{platform.python_version()}"
)
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid")

#: How many recent terms replies a client remembers, to check a representative example
#: against the term it illustrates (a few amounts are in play at any time in a shop).
RECENT_TERMS = 64

#: One token cache per process by default, shared by every client with the same
#: base URL and client id (a shop often builds more than one client).
_DEFAULT_TOKEN_STORE = MemoryTokenStore()


class DivideBuyClient:
    """Talk to DivideBuy (or the local sandbox).

    Build it with keyword arguments, ``DivideBuyClient(client_id=…, client_secret=…,
    environment="sandbox")``, from a :class:`Settings`, or from the environment with
    :meth:`from_env`. It is thread-safe; share one per process.
    """

    def __init__(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        environment: str | None = None,
        base_url: str | None = None,
        *,
        settings: Settings | None = None,
        token_store: TokenStore | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if settings is None:
            given: dict[str, Any] = {
                "client_id": client_id,
                "client_secret": client_secret,
                "environment": environment,
                "base_url": base_url,
            }
            settings = Settings(**{k: v for k, v in given.items() if v is not None})
        settings.require_credentials()
        self.settings = settings
        self._retry = retry or RetryPolicy(max_attempts=settings.max_attempts)
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=settings.resolved_base_url,
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=transport,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self._auth = BearerTokenAuth(
            self._fetch_token,
            # Redis (shared by every worker) when DIVIDEBUY_REDIS_URL is set, else per process.
            store=token_store or token_store_for(settings, _DEFAULT_TOKEN_STORE),
            # A digest of base URL, id and secret: a wrong secret never borrows a token.
            key=token_cache_key(
                settings.resolved_base_url, settings.client_id, settings.client_secret
            ),
            leeway=settings.token_leeway,
            clock=clock,
        )
        self._recent_terms: dict[Decimal, Terms] = {}

    @classmethod
    def from_env(cls, **overrides: Any) -> DivideBuyClient:
        """Build from ``DIVIDEBUY_*`` environment variables (keyword arguments win)."""
        setting_names = {"client_id", "client_secret", "environment", "base_url"}
        settings = Settings.from_env(**{k: v for k, v in overrides.items() if k in setting_names})
        rest = {k: v for k, v in overrides.items() if k not in setting_names}
        return cls(settings=settings, **rest)

    def __repr__(self) -> str:
        return f"DivideBuyClient({self.settings!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DivideBuyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the operations ---------------------------------------------------------------------

    def get_terms(self, amount: MoneyLike) -> Terms:
        """Every term DivideBuy offers for *amount* (pounds), available or not."""
        body = self._call(routes.TERMS, params={"amount": _amount_param(amount)})
        terms = Terms.from_wire(body)
        _warn_about_terms(terms)
        self._remember(terms)
        return terms

    def get_representative_example(self, amount: MoneyLike, term: int) -> RepresentativeExample:
        """The FCA representative example for *amount* over *term* months."""
        params = {"amount": _amount_param(amount), "term": str(int(term))}
        example = RepresentativeExample.from_wire(
            self._call(routes.REPRESENTATIVE_EXAMPLE, params=params)
        )
        recent = self._recent_terms.get(example.amount)
        _warn_about_example(example, recent.term(example.term) if recent else None)
        return example

    def create_quote(self, payload: Mapping[str, Any]) -> RequestedQuote:
        """Ask for a finance quote. Never retried: a timeout raises :class:`OutcomeUnknownError`.

        *payload* is the nested wire body (validate it first with
        :func:`dividebuy_checkout.schemas.load_quote`).
        """
        body = self._call(routes.CREATE_QUOTE, json=payload)
        return _read_after_acting(routes.CREATE_QUOTE, RequestedQuote.from_wire, body)

    def get_quote(self, quote_id: str) -> Quote:
        """The quote as DivideBuy holds it now: the only trustworthy outcome of a checkout."""
        return Quote.from_wire(self._call(routes.GET_QUOTE, path={"quote_id": quote_id}))

    def settle(self, orders: Iterable[SettlementOrder]) -> None:
        """Tell DivideBuy these orders were delivered (many orders in one call)."""
        rows = [order.to_wire() for order in orders]
        if not rows:
            raise ValueError("settle() needs at least one order.")
        body = self._call(routes.SETTLE, json={"orders": rows})
        if not isinstance(body, Mapping) or body.get("status") not in (200, "200"):
            raise MalformedResponseError("DivideBuy's settlement reply is not the documented one.")

    def refund(self, retailer_order_id: str, amount: MoneyLike | None = None) -> Refund:
        """Refund *amount* pounds of an order, or all that is left with ``amount=None``.

        Never retried: a timeout raises :class:`OutcomeUnknownError`.
        """
        payload: dict[str, Decimal] = {}
        if amount is not None:
            payload["amount"] = to_money(amount)
            if payload["amount"] <= 0:
                raise ValueError("A refund amount must be more than £0.00.")
        body = self._call(
            routes.REFUND, path={"retailer_order_id": retailer_order_id}, json=payload
        )
        return _read_after_acting(routes.REFUND, Refund.from_wire, body)

    # -- plumbing -----------------------------------------------------------------------------

    def _remember(self, terms: Terms) -> None:
        """Keep *terms* to check later examples against (oldest forgotten first).

        Dict operations are atomic under the GIL; a race loses at most one entry,
        which only skips one comparison.
        """
        recent = self._recent_terms
        recent.pop(terms.order_value, None)
        recent[terms.order_value] = terms
        while len(recent) > RECENT_TERMS:
            try:
                del recent[next(iter(recent))]
            except (KeyError, RuntimeError, StopIteration):  # another thread got there first
                break

    def _fetch_token(self) -> IssuedToken:
        """POST /oauth/token with HTTP Basic credentials. Bodies are never logged or kept."""
        route = routes.TOKEN
        for attempt in range(1, self._retry.max_attempts + 1):
            try:
                response = self._http.request(
                    route.method,
                    route.path,
                    content=dumps({"grant_type": "client_credentials"}),
                    headers={"Content-Type": "application/json; charset=utf-8"},
                    auth=httpx.BasicAuth(self.settings.client_id, self.settings.client_secret),
                )
            except httpx.TransportError as exc:
                if self._wait(attempt, None):
                    continue
                raise ServiceUnavailableError(
                    f"Could not reach DivideBuy for a token: {_why(exc)}."
                ) from None
            log.debug("POST %s -> %s", route.path, response.status_code)
            if response.status_code in RETRYABLE_STATUSES and self._wait(
                attempt, parse_retry_after(response.headers.get("Retry-After"))
            ):
                continue
            if response.status_code in (400, 401, 403):
                raise AuthenticationError(
                    "DivideBuy refused the client credentials: check DIVIDEBUY_CLIENT_ID, "
                    "DIVIDEBUY_CLIENT_SECRET and DIVIDEBUY_ENVIRONMENT.",
                    status=response.status_code,
                    request_id=_request_id(response),
                )
            if response.status_code != 200:
                raise _status_error(response, None, what="token")
            try:
                body = loads(response.content)
                token = body["access_token"]
                expires_in = float(body.get("expires_in") or 3600)
            except (ValueError, KeyError, TypeError):
                raise MalformedResponseError(
                    "DivideBuy's token reply is not the documented one.",
                    status=response.status_code,
                    request_id=_request_id(response),
                ) from None
            if not isinstance(token, str) or not token or expires_in <= 0:
                raise MalformedResponseError("DivideBuy's token reply is not the documented one.")
            return IssuedToken(token, expires_in)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int, retry_after: float | None) -> bool:
        delay = self._retry.delay(attempt, retry_after)
        if delay is None:
            return False
        self._sleep(delay)
        return True

    def _call(
        self,
        route: routes.Route,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> Any:
        """Send one operation, with retries where the route allows them; return the decoded body."""
        url = route.format(**(path or {}))
        content = None if json is None else dumps(json)  # encoded once, reused by every retry
        headers = {"Content-Type": "application/json; charset=utf-8"} if content is not None else {}
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            try:
                response = self._http.request(
                    route.method,
                    url,
                    params=params,
                    content=content,
                    headers=headers,
                    auth=self._auth,
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Nothing reached DivideBuy: safe to try again whatever the route.
                log.debug("%s %s -> not sent (%s)", route.method, route.path, type(exc).__name__)
                if self._wait(attempt, None):
                    continue
                raise ServiceUnavailableError(f"Could not reach DivideBuy: {_why(exc)}.") from None
            except httpx.TransportError as exc:
                log.debug(
                    "%s %s -> failed after sending (%s)",
                    route.method,
                    route.path,
                    type(exc).__name__,
                )
                if route.retryable:
                    if self._wait(attempt, None):
                        continue
                    raise ServiceUnavailableError(
                        f"DivideBuy did not answer in time: {_why(exc)}."
                    ) from None
                raise _outcome_unknown(route, f"No answer came back ({_why(exc)})") from None
            elapsed_ms = (time.perf_counter() - started) * 1000
            request_id = _request_id(response)
            log.debug(
                "%s %s -> %s in %.0f ms (request %s)",
                route.method,
                route.path,
                response.status_code,
                elapsed_ms,
                request_id or "-",
            )
            status = response.status_code
            # A 429 was refused before any processing, so even a quote or refund may be resent.
            if status in RETRYABLE_STATUSES and (route.retryable or status == 429):
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if self._wait(attempt, retry_after):
                    continue
            if 200 <= status < 300:
                try:
                    return loads(response.content)
                except ValueError:
                    error = MalformedResponseError(
                        "DivideBuy answered with a body that is not JSON.",
                        status=status,
                        request_id=request_id,
                    )
                    if route.retryable:
                        raise error from None
                    raise _outcome_unknown(
                        route,
                        "DivideBuy's answer could not be read",
                        status=status,
                        request_id=request_id,
                    ) from None
            body = _decode_error_body(response)
            if not route.retryable and status in (500, 502, 504):
                raise _outcome_unknown(
                    route,
                    f"DivideBuy failed (HTTP {status})",
                    status=status,
                    body=body,
                    request_id=request_id,
                )
            raise _status_error(response, body, what=route.path)


def _warn_about_terms(terms: Terms) -> None:
    """Log a warning for each available term whose figures do not add up (amounts only).

    Unavailable terms are not shown to shoppers, so their figures are not checked.
    """
    for term in terms.terms:
        if term.available:
            problems = term_problems(term, terms.order_value)
            if problems:
                log.warning(
                    "DivideBuy's %s-month term for %s does not add up: %s.",
                    term.months_in_term,
                    format_gbp(terms.order_value),
                    "; ".join(problems),
                )


def _warn_about_example(example: RepresentativeExample, term: Term | None) -> None:
    """Log a warning when a representative example disagrees with itself or with *term*."""
    problems = example_problems(example)
    if term is not None:
        problems += example_term_problems(example, term)
    if problems:
        log.warning(
            "DivideBuy's representative example for %s over %s months does not add up: %s. "
            "It is shown as DivideBuy sent it.",
            format_gbp(example.amount),
            example.term,
            "; ".join(problems),
        )


def _read_after_acting(route: routes.Route, read: Callable[[Any], _T], body: Any) -> _T:
    """Read the success reply of a call that changed something at DivideBuy.

    A 2xx whose body is not the documented shape means DivideBuy probably acted
    but we cannot tell what it did: that is an unknown outcome, not a failure.
    """
    try:
        return read(body)
    except MalformedResponseError as exc:
        raise _outcome_unknown(route, exc.message.rstrip(".")) from None


def _outcome_unknown(
    route: routes.Route, what_happened: str, **details: Any
) -> OutcomeUnknownError:
    return OutcomeUnknownError(
        f"{what_happened} after {route.method} {route.path} was sent, so it may or may not have "
        "taken effect at DivideBuy. Check its outcome before trying again.",
        **details,
    )


def _amount_param(amount: MoneyLike) -> str:
    return format(to_money(amount), "f")


_WHY: dict[type[Exception], str] = {
    httpx.ConnectError: "connection failed",
    httpx.ConnectTimeout: "connection timed out",
    httpx.ReadTimeout: "timed out waiting for a reply",
    httpx.WriteTimeout: "timed out sending the request",
    httpx.PoolTimeout: "no free connection",
    httpx.RemoteProtocolError: "the connection was closed",
}


def _why(exc: Exception) -> str:
    return _WHY.get(type(exc), "network error")


def _request_id(response: httpx.Response) -> str | None:
    for name in REQUEST_ID_HEADERS:
        if name in response.headers:
            return response.headers[name]
    return None


def _decode_error_body(response: httpx.Response) -> Any:
    try:
        return loads(response.content)
    except ValueError:
        return None


def _message(body: Any, default: str) -> str:
    if (
        isinstance(body, Mapping)
        and isinstance(body.get("message"), str)
        and body["message"].strip()
    ):
        return str(body["message"]).strip()
    return default


def _status_error(response: httpx.Response, body: Any, *, what: str) -> DivideBuyError:
    """Map an error reply to the hierarchy (readings of WIRE.md's error assumptions)."""
    status = response.status_code
    common = {"status": status, "body": body, "request_id": _request_id(response)}
    if status == 401 or status == 403:
        return AuthenticationError(
            _message(
                body, "DivideBuy refused the access token even after a fresh one was fetched."
            ),
            **common,
        )
    if status == 422:
        errors = body.get("errors") if isinstance(body, Mapping) else None
        field_errors = {
            str(path): [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
            for path, msgs in (errors.items() if isinstance(errors, Mapping) else [])
        }
        return RequestValidationError(
            _message(body, "DivideBuy rejected some fields."), field_errors=field_errors, **common
        )
    if status == 404:
        return NotFoundError(_message(body, f"DivideBuy has no such {what}."), **common)
    if status in (400, 409):
        return ConflictError(_message(body, "DivideBuy refused the request."), **common)
    if status == 429:
        return RateLimitedError(
            _message(body, "DivideBuy is rate limiting requests; try again shortly."),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            **common,
        )
    if status >= 500:
        return ServiceUnavailableError(_message(body, "DivideBuy is unavailable."), **common)
    return DivideBuyError(_message(body, f"DivideBuy answered HTTP {status}."), **common)
