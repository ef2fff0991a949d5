"""OAuth2 client-credentials tokens: fetched once, shared, refreshed before expiry.

:class:`BearerTokenAuth` is an ``httpx.Auth``: every API request gets the cached
bearer token; when the token is missing or about to expire, exactly one caller
fetches a new one while the others wait for it (single flight); a 401 from an
API call drops that token, fetches one new token and replays the request once.

Tokens live in a :class:`TokenStore` keyed by base URL and client id, so a
deployment can swap the in-memory default for a shared store (Redis, a database)
and let every worker use one token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from cachetools import TLRUCache

#: at most this fraction of a token's lifetime is given up as leeway, so a
#: short-lived token (say 30 s) is still used for most of its life
MAX_LEEWAY_FRACTION = 0.25


@dataclass(frozen=True)
class CachedToken:
    """An access token and the wall-clock time after which it must not be used."""

    access_token: str = field(repr=False)
    expires_at: float

    def __repr__(self) -> str:
        return f"CachedToken(access_token='***', expires_at={self.expires_at:.0f})"


class TokenStore(Protocol):
    """Where tokens are kept. Implementations must be safe to call from many threads."""

    def get(self, key: str) -> CachedToken | None: ...

    def set(self, key: str, token: CachedToken) -> None: ...

    def discard(self, key: str, token: CachedToken) -> None:
        """Forget *token* under *key*, unless another caller already replaced it."""
        ...


class MemoryTokenStore:
    """The default store: a bounded in-process cache that drops tokens when they expire."""

    def __init__(self, maxsize: int = 64, clock: Callable[[], float] = time.time) -> None:
        self._cache: TLRUCache[str, CachedToken] = TLRUCache(
            maxsize=maxsize, ttu=lambda _key, token, _now: token.expires_at, timer=clock
        )
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedToken | None:
        with self._lock:
            return self._cache.get(key)

    def set(self, key: str, token: CachedToken) -> None:
        with self._lock:
            self._cache[key] = token

    def discard(self, key: str, token: CachedToken) -> None:
        with self._lock:
            if self._cache.get(key) == token:
                del self._cache[key]


@dataclass(frozen=True)
class IssuedToken:
    """What the token endpoint answered."""

    access_token: str = field(repr=False)
    expires_in: float


class BearerTokenAuth(httpx.Auth):
    """Adds ``Authorization: Bearer …`` from a shared, single-flight token cache."""

    def __init__(
        self,
        fetch: Callable[[], IssuedToken],
        *,
        store: TokenStore,
        key: str,
        leeway: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetch = fetch
        self._store = store
        self._key = key
        self._leeway = leeway
        self._clock = clock
        self._refresh_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BearerTokenAuth(key={self._key!r})"

    def _usable(self, token: CachedToken | None) -> bool:
        return token is not None and token.expires_at > self._clock()

    def current_token(self) -> CachedToken:
        """The cached token, fetching a new one if none is usable (one fetch for all threads)."""
        token = self._store.get(self._key)
        if self._usable(token):
            return token  # type: ignore[return-value]
        with self._refresh_lock:
            token = self._store.get(self._key)  # another thread may have fetched it meanwhile
            if self._usable(token):
                return token  # type: ignore[return-value]
            issued = self._fetch()
            leeway = min(self._leeway, issued.expires_in * MAX_LEEWAY_FRACTION)
            token = CachedToken(issued.access_token, self._clock() + issued.expires_in - leeway)
            self._store.set(self._key, token)
            return token

    def invalidate(self, token: CachedToken) -> None:
        self._store.discard(self._key, token)

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.current_token()
        request.headers["Authorization"] = f"Bearer {token.access_token}"
        response = yield request
        if response.status_code == 401:
            # The token was revoked or expired early: one new token, one replay.
            # A second 401 is returned to the caller, which raises AuthenticationError.
            self.invalidate(token)
            token = self.current_token()
            request.headers["Authorization"] = f"Bearer {token.access_token}"
            yield request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("BearerTokenAuth supports the synchronous httpx.Client only.")
