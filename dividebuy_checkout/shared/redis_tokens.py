"""A :class:`~dividebuy_checkout.tokens.TokenStore` in Redis: one token for every worker.

- **Keys**: ``{prefix}token:{digest}``; the digest
  (:func:`~dividebuy_checkout.tokens.token_cache_key`) covers base URL, client id
  and secret, so the secret is never in a key and a wrong secret never finds the
  right one's token. Values (the bearer token) are never logged.
- **Lifetime**: written with ``PX`` = the token's lifetime minus the leeway, so
  Redis forgets it exactly when clients would stop using it.
- **Near cache**: each process keeps the token it read in its own
  :class:`~dividebuy_checkout.tokens.MemoryTokenStore`, so an API call costs no
  Redis round trip; tokens only change on expiry (the near cache expires them too)
  or on a 401, which discards the token here *and* in Redis.
- **Single flight across processes**: :meth:`RedisTokenStore.single_flight` takes
  ``SET {prefix}token-lock:{digest} <random> NX PX …``; the others poll until the
  token appears (or the lock is released, or their wait runs out) and the lock is
  released only by its owner (compare-and-delete in Lua).
- **401**: the refused token is deleted from Redis only if it is still the one
  there (compare-and-delete), so N workers refused at once drop it once and share
  the one refetch.
- **Redis down**: the near cache is the per-process fallback (see
  :class:`~dividebuy_checkout.shared.fallback.FallbackGuard`).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from ..tokens import CachedToken, MemoryTokenStore
from .connection import SharedRedis

__all__ = ["LOCK_SECONDS", "POLL_SECONDS", "RedisTokenStore"]

#: how long the fetching process holds the lock at most (a token call that takes
#: longer lets one more process fetch: two valid tokens, no harm); also how long
#: another process waits for that fetch before fetching itself
LOCK_SECONDS = 20.0
#: how often a waiting process looks for the token another one is fetching
POLL_SECONDS = 0.02

#: delete KEYS[1] only if it still holds ARGV[1] (the lock owner's random value)
_RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

#: delete the token under KEYS[1] only if it is still the refused one (ARGV[1])
_DISCARD_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, value = pcall(cjson.decode, raw)
if (not ok) or value['access_token'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_Turn = Literal["mine", "ready", "wait", "local"]


class RedisTokenStore:
    """Tokens shared through Redis, with a per-process near cache and fallback."""

    def __init__(
        self,
        shared: SharedRedis,
        *,
        local: MemoryTokenStore | None = None,
        lock_seconds: float = LOCK_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._shared = shared
        self._redis = shared.redis
        self._guard = shared.guard("token store")
        self._local = local if local is not None else MemoryTokenStore(clock=clock)
        self._lock_ms = max(int(lock_seconds * 1000), 1)
        self._lock_seconds = lock_seconds
        self._poll = poll_seconds
        self._clock = clock
        self._sleep = sleep
        self._release = self._redis.register_script(_RELEASE_LOCK)
        #: tokens refused while Redis was unavailable: deleted from Redis (if still
        #: there) as soon as it is back, so nobody picks up a revoked token from it
        self._refused: dict[str, str] = {}
        self._refused_lock = threading.Lock()
        self._discard = self._redis.register_script(_DISCARD_SCRIPT)

    def __repr__(self) -> str:
        return f"RedisTokenStore({self._shared!r})"

    def _token_key(self, key: str) -> str:
        return self._shared.key("token", key)

    # -- TokenStore ---------------------------------------------------------------------------

    def get(self, key: str) -> CachedToken | None:
        token = self._local.get(key)
        if token is not None:
            return token
        return self._guard.run(lambda: self._read(key), lambda: None)

    def set(self, key: str, token: CachedToken) -> None:
        self._local.set(key, token)
        ttl_ms = int((token.expires_at - self._clock()) * 1000)
        if ttl_ms <= 0:
            return
        value = json.dumps({"access_token": token.access_token, "expires_at": token.expires_at})
        self._guard.run(
            lambda: self._redis.set(self._token_key(key), value, px=ttl_ms), lambda: None
        )

    def discard(self, key: str, token: CachedToken) -> None:
        self._local.discard(key, token)

        def remember() -> None:
            with self._refused_lock:
                self._refused[key] = token.access_token

        self._guard.run(lambda: self._drop(key, token.access_token), remember)

    # -- SingleFlightTokenStore ---------------------------------------------------------------

    @contextmanager
    def single_flight(self, key: str) -> Iterator[None]:
        """Enter holding the cross-process fetch lock, or once a token is there, or when
        Redis is unavailable, or after waiting :data:`LOCK_SECONDS` (then fetch anyway)."""
        lock_key = self._shared.key("token-lock", key)
        owner = secrets.token_hex(16)
        mine = self._wait_for_turn(key, lock_key, owner)
        try:
            yield
        finally:
            if mine:
                self._guard.run(lambda: self._release(keys=[lock_key], args=[owner]), lambda: None)

    def _wait_for_turn(self, key: str, lock_key: str, owner: str) -> bool:
        deadline = self._clock() + self._lock_seconds

        def attempt() -> _Turn:
            if self._redis.set(lock_key, owner, nx=True, px=self._lock_ms):
                return "mine"
            return "ready" if self._read(key) is not None else "wait"

        while True:
            turn: _Turn = self._guard.run(attempt, lambda: "local")
            if turn == "mine":
                return True
            if turn != "wait" or self._clock() >= deadline:
                return False
            self._sleep(self._poll)

    # -- plumbing -------------------------------------------------------------------------------

    def _drop(self, key: str, access_token: str) -> None:
        """Delete *access_token* under *key* in Redis unless another already replaced it."""
        self._discard(keys=[self._token_key(key)], args=[access_token])

    def _drop_refused(self) -> None:
        """Delete from Redis the tokens refused while it was unavailable."""
        if not self._refused:
            return
        with self._refused_lock:
            refused, self._refused = self._refused, {}
        try:
            for key, access_token in refused.items():
                self._drop(key, access_token)
        except BaseException:
            with self._refused_lock:
                self._refused = {**refused, **self._refused}
            raise

    def _read(self, key: str) -> CachedToken | None:
        """The token in Redis (copied into the near cache), or None. Raises Redis errors."""
        self._drop_refused()
        raw = self._redis.get(self._token_key(key))
        if raw is None:
            return None
        try:
            value = json.loads(raw)
            token = CachedToken(str(value["access_token"]), float(value["expires_at"]))
        except (ValueError, KeyError, TypeError):
            return None  # not ours or damaged: fetch a new one, which overwrites it
        if not token.access_token or token.expires_at <= self._clock():
            return None
        self._local.set(key, token)
        return token
