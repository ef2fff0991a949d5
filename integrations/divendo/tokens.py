"""Divendo's OAuth 2.0 client-credentials token, through the project's token machinery.

"You pass these credentials in the Authorization header in a get access token request"
(seed 000:31): by default ``POST /oauth2/token`` with ``Authorization: Basic
base64(client_id:client_secret)`` and a form body ``grant_type=client_credentials``
(RFC 6749 §4.4). Divendo's public guide puts the credentials in the body instead and
says the API "only supports JSON", so ``_TOKEN_AUTH=body`` and ``_TOKEN_BODY=json`` are
settings; there is no automatic fall-back between variants (a refusal names them).

:class:`DivendoTokenAuth` is :class:`~dividebuy_checkout.tokens.BearerTokenAuth` (one token
for every thread, refreshed before expiry, a 401 drops it and replays once) with one change:
it reads a 401 reply **before** fetching the new token, so the refused call gives its
connection back to the capped pool first. Without that, a pool of one connection would wait
on itself.

:class:`TokenFetcher` sends the token request over the **same** transport (the same capped
pool) as the API calls: the token call counts against Divendo's five connections too.
It raises :class:`TokenError` (never an ``httpx`` error), so the API layer does not
mistake a refused secret for a network blip; 429/5xx/timeouts are retried with the
project's :class:`~dividebuy_checkout.retry.RetryPolicy`. The secret never reaches a log,
a ``repr`` or an error message.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Generator
from decimal import Decimal
from typing import Any

import httpx

from ..._version import __version__
from ...money import loads
from ...retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from ...tokens import BearerTokenAuth, IssuedToken
from .config import PREFIX

__all__ = ["DEFAULT_EXPIRES_IN", "DivendoTokenAuth", "TokenError", "TokenFetcher"]

log = logging.getLogger("dividebuy_checkout.integrations.divendo")

#: A token reply without ``expires_in`` is taken to live an hour (as the DivideBuy client does).
DEFAULT_EXPIRES_IN = 3600.0


class TokenError(Exception):
    """The token endpoint refused or failed. ``config_problem``: a setting must change."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        config_problem: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.config_problem = config_problem
        self.retry_after = retry_after


class DivendoTokenAuth(BearerTokenAuth):
    """``BearerTokenAuth`` that releases a refused call's connection before refreshing."""

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        flow = super().sync_auth_flow(request)
        request = next(flow)
        while True:
            response = yield request
            # read (and so close) the reply first: its connection goes back to the pool
            # before a 401 makes the flow fetch a new token through that same pool
            response.read()
            try:
                request = flow.send(response)
            except StopIteration:
                return

    def __repr__(self) -> str:
        return "DivendoTokenAuth(***)"


class TokenFetcher:
    """Fetches one access token per call; counts them in :attr:`requests` (tests, CLI)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        token_path: str,
        token_auth: str,
        token_body: str,
        transport: httpx.BaseTransport,
        timeout: httpx.Timeout,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client_id = client_id
        self._secret = client_secret
        self._path = token_path
        self._auth = token_auth
        self._body = token_body
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self.requests = 0
        self._client = httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            headers={
                "User-Agent": f"dividebuy-checkout/{__version__} (divendo adapter)",
                "Accept": "application/json",
            },
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"TokenFetcher(client_id={self._client_id!r}, path={self._path!r}, secret='***')"

    def close(self) -> None:
        self._client.close()

    def _send(self) -> httpx.Response:
        fields = {"grant_type": "client_credentials"}
        sent: dict[str, Any] = {}
        if self._auth == "basic":
            sent["auth"] = httpx.BasicAuth(self._client_id, self._secret)
        else:
            fields |= {"client_id": self._client_id, "client_secret": self._secret}
        sent["json" if self._body == "json" else "data"] = fields
        self.requests += 1
        return self._client.post(self._path, **sent)

    def __call__(self) -> IssuedToken:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send()
            except httpx.TimeoutException:
                error = TokenError("Divendo's token endpoint did not answer in time")
            except httpx.HTTPError as exc:
                error = TokenError(
                    f"could not reach Divendo's token endpoint ({type(exc).__name__})"
                )
            else:
                if response.status_code == 200:
                    return self._issued(response)
                error = self._refused(response)
                if response.status_code not in RETRYABLE_STATUSES:
                    raise error
            delay = self._retry.delay(attempt, error.retry_after)
            if delay is None:
                log.info("divendo POST %s gave up after %d attempt(s)", self._path, attempt)
                raise error
            self._sleep(delay)

    def _issued(self, response: httpx.Response) -> IssuedToken:
        try:
            body: Any = loads(response.content)
        except (ValueError, json.JSONDecodeError):
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        kind = body.get("token_type", "bearer") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise TokenError(
                "Divendo's token endpoint answered without an access_token", status=200
            )
        if not isinstance(kind, str) or kind.strip().lower() != "bearer":
            raise TokenError(
                f"Divendo's token endpoint issued a {str(kind)[:20]!r} token, not a bearer token",
                status=200,
            )
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if isinstance(lifetime, str):
            try:
                lifetime = Decimal(lifetime.strip())
            except ArithmeticError:
                lifetime = None
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float | Decimal):
            seconds = DEFAULT_EXPIRES_IN
        else:
            seconds = float(lifetime) if lifetime > 0 else DEFAULT_EXPIRES_IN
        log.debug("divendo token fetched (expires in %.0fs)", seconds)
        return IssuedToken(token.strip(), seconds)

    def _refused(self, response: httpx.Response) -> TokenError:
        status = response.status_code
        if status in RETRYABLE_STATUSES:
            return TokenError(
                f"Divendo's token endpoint answered HTTP {status}",
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        code = _oauth_error(response)
        if status == 404:
            message = (
                f"Divendo has no token endpoint at {self._path}: check {PREFIX}TOKEN_PATH "
                "(the public guide also spells it /ouath2/token)."
            )
        elif code == "invalid_client" or status == 401:
            message = (
                f"Divendo refused the API user's credentials: check {PREFIX}CLIENT_ID and "
                f"{PREFIX}CLIENT_SECRET (sent as {self._auth}/{self._body}; "
                f"{PREFIX}TOKEN_AUTH and {PREFIX}TOKEN_BODY choose how)."
            )
        else:
            message = (
                f"Divendo's token endpoint refused the request ({code or f'HTTP {status}'}): "
                f"check {PREFIX}TOKEN_AUTH (basic|body) and {PREFIX}TOKEN_BODY (form|json)."
            )
        return TokenError(message, status=status, config_problem=True)


def _oauth_error(response: httpx.Response) -> str | None:
    """RFC 6749 §5.2's ``error`` code of a refusal, when the body has one."""
    try:
        body = loads(response.content) if response.content.strip() else None
    except (ValueError, json.JSONDecodeError):
        return None
    code = body.get("error") if isinstance(body, dict) else None
    return code[:60] if isinstance(code, str) else None
