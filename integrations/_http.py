"""One HTTP layer for every platform adapter: timeouts, retries, HTTPS, error envelopes.

``PlatformHTTP`` wraps one ``httpx.Client``. Every call has a timeout; safe calls
(reads, idempotent status writes) are retried on connection errors, timeouts,
429 and 5xx with the project's :class:`~dividebuy_checkout.retry.RetryPolicy`
(``Retry-After`` honoured up to its ceiling; a longer one is not waited for and
travels on the error). Bodies are decoded with ``money.loads`` so amounts are
``Decimal`` from the start. Each platform supplies an :data:`ErrorEnvelope`
reader that pulls its own message (and, where replies can be forced to 200, the
real status) out of an error body.

Logs carry the platform, method, path *template*, status, attempt and elapsed
time: never a body, a query string, a header or an id-filled path beyond the
order id, because platform bodies carry names, addresses and e-mails.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from .._version import __version__
from ..money import dumps, loads
from ..retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from ..settings import ConfigurationError
from .assumptions import CONNECT_TIMEOUT, LOOPBACK_HOSTS, READ_TIMEOUT
from .errors import PlatformError

__all__ = ["ErrorEnvelope", "PlatformHTTP", "PlatformReply", "require_https"]

log = logging.getLogger("dividebuy_checkout.integrations.http")

#: Reads a decoded body; returns ``(status named in the body or None, message)`` when the
#: body is the platform's error envelope, else ``None``.
ErrorEnvelope = Callable[[Any], "tuple[int | None, str] | None"]


def _no_envelope(body: Any) -> tuple[int | None, str] | None:
    return None


def require_https(url: str, setting: str) -> str:
    """*url* without a trailing slash; HTTPS is required except on loopback (the fakes)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{setting} must be a URL like https://shop.example/api/v1.")
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise ConfigurationError(
            f"{setting} must use https:// (plain http is allowed only on loopback)."
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{setting} must not have a query string or fragment.")
    return url.rstrip("/")


@dataclass(frozen=True)
class PlatformReply:
    """A final (non-retried) reply: its status, decoded JSON body (or ``None``) and headers."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


class PlatformHTTP:
    """HTTP to one platform's API. ``request`` returns a :class:`PlatformReply` or raises
    :class:`PlatformError` (after retries) — never an ``httpx`` exception."""

    def __init__(
        self,
        platform: str,
        base_url: str,
        *,
        setting: str,
        auth: httpx.Auth | tuple[str, str] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        timeout: float = READ_TIMEOUT,
        retry: RetryPolicy | None = None,
        error_envelope: ErrorEnvelope = _no_envelope,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.platform = platform
        self.base_url = require_https(base_url, setting)
        self._retry = retry or RetryPolicy()
        self._envelope = error_envelope
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            headers={
                "User-Agent": f"dividebuy-checkout/{__version__} ({platform} adapter)",
                "Accept": "application/json",
            },
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        template: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        idempotent: bool = True,
        ok_statuses: frozenset[int] = frozenset(),
    ) -> PlatformReply:
        """Send one call to ``template`` (``/orders/{id}``) with its path parameters quoted.

        A 2xx, or a status in *ok_statuses* (such as 404 for "no such order"), comes
        back as a reply. Any other status raises :class:`PlatformError` with the
        platform's own message; 429/5xx/timeouts/network errors are retried first
        when the call is *idempotent*.
        """
        path = template.format_map(
            {key: quote(value, safe="") for key, value in (path_params or {}).items()}
        )
        content = None if json_body is None else dumps(json_body)
        headers = {"Content-Type": "application/json"} if content is not None else None
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = self._client.request(
                    method, path, params=params, content=content, headers=headers
                )
            except httpx.TimeoutException:
                error = PlatformError(
                    f"{self.platform} did not answer in time",
                    platform=self.platform,
                    kind="timeout",
                )
            except httpx.HTTPError as exc:
                error = PlatformError(
                    f"could not reach {self.platform} ({type(exc).__name__})",
                    platform=self.platform,
                    # never connected: safe to resend even a non-idempotent call
                    kind="connect" if isinstance(exc, httpx.ConnectError) else "network",
                )
            else:
                elapsed = time.monotonic() - started
                status, body, failure = self._read(response)
                log.debug(
                    "%s %s %s -> %s (attempt %d, %.3fs)",
                    self.platform,
                    method,
                    template,
                    status,
                    attempt,
                    elapsed,
                )
                if failure is None or status in ok_statuses:
                    return PlatformReply(status, body, dict(response.headers))
                if status not in RETRYABLE_STATUSES:
                    raise failure
                error = failure
            if not idempotent and error.kind != "connect":
                raise error
            delay = self._retry.delay(attempt, error.retry_after)
            if delay is None:
                # info, not warning: the caller raises and reports it once, in its own words
                log.info(
                    "%s %s %s gave up after %d attempt(s): %s",
                    self.platform,
                    method,
                    template,
                    attempt,
                    error.kind,
                )
                raise error
            self._sleep(delay)

    def _read(self, response: httpx.Response) -> tuple[int, Any, PlatformError | None]:
        """``(effective status, decoded body, error or None)`` for one reply."""
        status = response.status_code
        request_id = response.headers.get("X-Request-Id")
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        body: Any = None
        if response.content.strip():
            try:
                body = loads(response.content)
            except (ValueError, json.JSONDecodeError):
                if 200 <= status < 300:
                    return (
                        status,
                        None,
                        PlatformError(
                            f"{self.platform} answered with a body that is not JSON",
                            platform=self.platform,
                            status=status,
                            kind="malformed",
                            request_id=request_id,
                        ),
                    )
                body = None
        envelope = self._envelope(body) if body is not None else None
        if 200 <= status < 300 and envelope is None:
            return status, body, None
        if 200 <= status < 300 and envelope is not None:
            status = envelope[0] if envelope[0] and envelope[0] >= 400 else 400
        message = envelope[1] if envelope else (response.reason_phrase or "error")
        return (
            status,
            body,
            PlatformError(
                message,
                platform=self.platform,
                status=status,
                retry_after=retry_after,
                request_id=request_id,
            ),
        )
