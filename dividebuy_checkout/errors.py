"""Errors: what the DivideBuy client raises, and the one map of every error in the package.

Every client error carries the HTTP status, a human message, the response body
and the request id (if DivideBuy sent one), so a log line or a support ticket
has what it needs. Messages never contain credentials or tokens: bodies of the
token call are not kept.

Every exception class the package defines, under its base (module in brackets,
relative to ``dividebuy_checkout``). What to catch, by layer: the client raises
``DivideBuyError``; ``CheckoutService`` raises ``CheckoutError`` (messages fit
for a shopper); ``BackOfficeService`` raises ``BackOfficeError`` (``Refused``
before any call, ``CallFailed`` after one); the shop's order source raises
``OrderSourceError``; start-up raises ``ConfigurationError``. The store's
refusals are turned into those by the services. ``tests/test_error_tree.py``
keeps this drawing complete::

    Exception
    ├── BackOfficeError (backoffice.errors)
    │   ├── CallFailed (backoffice.errors)
    │   │   ├── RefundFailed (backoffice.errors)
    │   │   └── RefundOutcomeUnknown (backoffice.errors)
    │   ├── DatabaseBusyError (backoffice.errors)
    │   ├── RefundNotRecorded (backoffice.errors)
    │   └── Refused (backoffice.errors)
    │       ├── CheckoutNotFound (backoffice.errors)
    │       ├── InvalidAmount (backoffice.errors)
    │       ├── NothingToRefund (backoffice.errors)
    │       ├── OrderNotCompleted (backoffice.errors)
    │       ├── RefundBlocked (backoffice.errors)
    │       ├── RefundExceedsRemaining (backoffice.errors)
    │       ├── RefundNotConfirmable (backoffice.errors)
    │       ├── RefundNotFound (backoffice.errors)
    │       └── HoldNotResolvable (checkout.holds)
    ├── CheckoutError (checkout.errors)
    │   ├── AlreadyFinanced (checkout.errors)
    │   ├── BadReference (checkout.errors)
    │   ├── DivideBuyUnavailable (checkout.errors)
    │   ├── InvalidApplication (checkout.errors)
    │   ├── NotFinanceable (checkout.errors)
    │   ├── QuoteOutcomeUnknown (checkout.errors)
    │   └── ShopOrderNotFound (checkout.errors)
    ├── DivideBuyError (errors)
    │   ├── AuthenticationError (errors)
    │   ├── ConflictError (errors)
    │   ├── NotFoundError (errors)
    │   ├── OutcomeUnknownError (errors)
    │   ├── RateLimitedError (errors)
    │   ├── RequestValidationError (errors)
    │   └── ServiceUnavailableError (errors)
    │       └── MalformedResponseError (errors)
    ├── BadBody (flask.backoffice)
    ├── OrderSourceError (orders)
    │   ├── OrderNotFinanceable (orders)
    │   └── OrderSourceUnavailable (orders)
    ├── SandboxError (sandbox.errors)
    │   ├── Conflict (sandbox.errors)
    │   ├── Invalid (sandbox.errors)
    │   ├── NotFound (sandbox.errors)
    │   └── Unauthenticated (sandbox.errors)
    └── StoreError (store.errors)
        ├── DatabaseBusy (store.errors)
        ├── DuplicateLiveCheckout (store.errors)
        └── LedgerRefusal (store.errors)
            ├── ExceedsRemaining (store.errors)
            ├── NoSuchRefund (store.errors)
            ├── NothingLeft (store.errors)
            ├── RefundNotUnknown (store.errors)
            └── RefundsBlocked (store.errors)
    LookupError
    └── CacheMiss (terms.cache)
    RuntimeError
    ├── ConfigurationError (config)
    └── CircuitOpenError (terms.breaker)
    TimeoutError
    └── BudgetExceeded (terms.cache)
    ValueError
    ├── CsvFormatError (backoffice.csv_import)
    ├── MoneyError (money)
    └── FieldError (sandbox.validation)
    click.ClickException
    └── CliError (cli.errors)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "DivideBuyError",
    "MalformedResponseError",
    "NotFoundError",
    "OutcomeUnknownError",
    "RateLimitedError",
    "RequestValidationError",
    "ServiceUnavailableError",
]


class DivideBuyError(Exception):
    """Base of every error raised by the client."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"(HTTP {self.status})")
        if self.request_id:
            parts.append(f"[request {self.request_id}]")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class AuthenticationError(DivideBuyError):
    """The credentials were refused, or a fresh token was refused again."""


class RequestValidationError(DivideBuyError):
    """DivideBuy rejected the request's fields (422).

    ``field_errors`` maps each dotted wire path (``customer.address.town``) to
    its messages.
    """

    def __init__(self, message: str, *, field_errors: dict[str, list[str]], **kw: Any) -> None:
        super().__init__(message, **kw)
        self.field_errors = field_errors


class NotFoundError(DivideBuyError):
    """The quote or order does not exist (404)."""


class ConflictError(DivideBuyError):
    """DivideBuy refused the operation in the object's current state (400/409)."""


class RateLimitedError(DivideBuyError):
    """Too many requests (429). ``retry_after`` is in seconds, if DivideBuy said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServiceUnavailableError(DivideBuyError):
    """DivideBuy failed (5xx), could not be reached, or answered nonsense."""


class MalformedResponseError(ServiceUnavailableError):
    """DivideBuy answered with a body that is not the documented shape."""


class OutcomeUnknownError(DivideBuyError):
    """A call that changes money or state was sent, then timed out or failed.

    DivideBuy may or may not have acted on it, so it must not simply be sent
    again: check first (``get_quote`` for a quote; the retailer portal or the
    order's refunds for a refund).
    """
