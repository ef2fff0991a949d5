"""OAuth2 client-credentials tokens: fetched once, shared, refreshed before expiry.

:class:`BearerTokenAuth` is an ``httpx.Auth``: every API request gets the cached
bearer token; when the token is missing or about to expire, exactly one caller
fetches a new one while the others wait for it (single flight); a 401 from an
API call drops that token, fetches one new token and replays the request once.

Tokens live in a :class:`TokenStore` keyed by :func:`token_cache_key`, a digest
of the base URL, the client id **and the client secret**: a client configured with
a wrong secret never finds (and uses) the token another client fetched with the
right one; it asks DivideBuy and gets the refusal it deserves. A deployment can
swap the in-memory default for a shared store (Redis, see
:mod:`dividebuy_checkout.shared`) and let every worker use one token; a store that
also offers :class:`SingleFlightTokenStore` makes concurrent misses in different
processes cost one token request.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, TypeGuard, runtime_checkable

import httpx
from cachetools import TLRUCache

#: at most this fraction of a token's lifetime is given up as leeway, so a
#: short-lived token (say 30 s) is still used for most of its life
MAX_LEEWAY_FRACTION = 0.25

#: PBKDF2 rounds for :func:`token_cache_key`. The key may sit in a shared store
#: (Redis) that more people can read than can read the shop's settings, so it is
#: made slow to test guesses of the secret against; computed once per client.
_KEY_ROUNDS = 20_000

__all__ = [
    "MAX_LEEWAY_FRACTION",
    "BearerTokenAuth",
    "CachedToken",
    "IssuedToken",
    "MemoryTokenStore",
    "SingleFlightTokenStore",
    "TokenStore",
    "token_cache_key",
]


@lru_cache(maxsize=64)
def token_cache_key(base_url: str, client_id: str, client_secret: str) -> str:
    """The store key for one set of credentials: a hex digest, never the secret itself.

    The secret is part of it on purpose: two clients that share an id and a store
    but not a secret never share a token, so a wrong secret is refused by DivideBuy
    instead of being hidden by another client's cached token.
    """
    salt = f"dividebuy-token\x00{base_url.rstrip('/')}\x00{client_id}".encode()
    return hashlib.pbkdf2_hmac("sha256", client_secret.encode(), salt, _KEY_ROUNDS).hex()[:40]


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


@runtime_checkable
class SingleFlightTokenStore(TokenStore, Protocol):
    """A store shared by several processes, which can make their misses wait for one fetch.

    ``single_flight(key)`` returns when the caller holds the right to fetch, or when
    a token appeared under *key* meanwhile (the caller looks again before fetching),
    or when waiting would exceed the store's budget (the caller fetches anyway).
    """

    def single_flight(self, key: str) -> AbstractContextManager[object]: ...


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
        return f"BearerTokenAuth(key={self._key[:12]!r}…)"

    def _usable(self, token: CachedToken | None) -> TypeGuard[CachedToken]:
        return token is not None and token.expires_at > self._clock()

    def current_token(self) -> CachedToken:
        """The cached token, fetching a new one if none is usable (one fetch for all threads)."""
        token = self._store.get(self._key)
        if self._usable(token):
            return token
        with self._refresh_lock, self._other_processes():
            token = self._store.get(self._key)  # another thread may have fetched it meanwhile
            if self._usable(token):
                return token
            issued = self._fetch()
            leeway = min(self._leeway, issued.expires_in * MAX_LEEWAY_FRACTION)
            token = CachedToken(issued.access_token, self._clock() + issued.expires_in - leeway)
            self._store.set(self._key, token)
            return token

    def _other_processes(self) -> AbstractContextManager[object]:
        """Wait for (or take) the cross-process fetch, when the store is shared."""
        if isinstance(self._store, SingleFlightTokenStore):
            return self._store.single_flight(self._key)
        return nullcontext()

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
