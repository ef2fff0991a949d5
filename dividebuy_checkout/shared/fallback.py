"""Shared state that degrades to per-process state instead of failing a page.

A :class:`FallbackGuard` runs each operation against the shared store (Redis)
and, when the store fails or is slow (its client's short socket timeouts turn
"slow" into an error), runs the local, per-process variant instead. The first
failure logs ONE warning for the component; from then on the shared store is
not even tried until a back-off has passed (so a page pays the timeout at most
once per back-off, not on every call), and each failed retry doubles the
back-off up to a cap. The first success after an outage logs that the shared
state is back (info) and re-arms the warning for the next outage.

It knows nothing of Redis: the errors it treats as "shared store unavailable"
are given, so the token store, the rate limits and (later) the terms cache and
circuit breaker all reuse it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["FIRST_RETRY_SECONDS", "MAX_RETRY_SECONDS", "FallbackGuard"]

_T = TypeVar("_T")

log = logging.getLogger("dividebuy_checkout.shared")

#: seconds of local-only operation after the first failure before the shared
#: store is tried again; doubled after each failed retry up to the cap
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


class FallbackGuard:
    """Run operations on shared state, or on local state while the shared store is down.

    Thread-safe. One guard per Redis connection per process, shared by every
    component (see :meth:`dividebuy_checkout.shared.connection.SharedRedis.guard`),
    so a process warns once per outage.
    """

    def __init__(
        self,
        component: str,
        *,
        errors: tuple[type[BaseException], ...],
        first_retry: float = FIRST_RETRY_SECONDS,
        max_retry: float = MAX_RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger = log,
    ) -> None:
        self.component = component
        self._errors = errors
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._clock = clock
        self._log = logger
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0
        self._backoff = first_retry
        #: how many outages this guard has seen (each logged one warning)
        self.outages = 0

    def __repr__(self) -> str:
        state = "down" if self._down else "up"
        return f"FallbackGuard({self.component!r}, {state})"

    @property
    def down(self) -> bool:
        """Whether the component is running on local state now."""
        return self._down

    def available(self) -> bool:
        """Whether the shared store should be tried now: it is up, or this caller is the
        one probe allowed once the back-off has passed (the others stay local, so only
        one call per back-off can pay the store's timeout)."""
        if not self._down:
            return True
        with self._lock:
            now = self._clock()
            if not self._down or now >= self._retry_at:
                self._retry_at = now + self._backoff  # claimed: nobody else probes meanwhile
                return True
            return False

    def run(self, shared: Callable[[], _T], local: Callable[[], _T]) -> _T:
        """``shared()`` if the store is usable, else (or if it fails) ``local()``."""
        if not self.available():
            return local()
        try:
            result = shared()
        except self._errors as exc:
            self.failed(exc)
            return local()
        self.succeeded()
        return result

    def failed(self, exc: BaseException) -> None:
        """Record a failure of the shared store: warn once, then back off."""
        with self._lock:
            now = self._clock()
            if self._down:
                self._backoff = min(self._backoff * 2, self._max_retry)
                self._retry_at = now + self._backoff
                self._log.debug(
                    "Shared %s still unavailable (%s); next try in %.1f s.",
                    self.component,
                    type(exc).__name__,
                    self._backoff,
                )
                return
            self._down = True
            self.outages += 1
            self._backoff = self._first_retry
            self._retry_at = now + self._backoff
        # Only the error's class and Redis's own message (host and port, never a
        # key or a value) are logged.
        self._log.warning(
            "Shared %s unavailable (%s: %s): this process uses its own state until it is "
            "back; trying again in %.1f s.",
            self.component,
            type(exc).__name__,
            str(exc)[:200],
            self._first_retry,
        )

    def succeeded(self) -> None:
        """Record a success: the first one after an outage says the shared state is back."""
        if not self._down:
            return
        with self._lock:
            if not self._down:
                return
            self._down = False
            self._backoff = self._first_retry
        self._log.info("Shared %s is back: this process uses it again.", self.component)
