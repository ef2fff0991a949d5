"""A circuit breaker, so that while DivideBuy fails, product pages stop asking it.

Without one, every render of an uncached price would spend its whole time budget on a
service that is known to be down. States:

- **closed**: calls go through; ``failure_threshold`` failures in a row open it (a failure is
  DivideBuy failing — unreachable, 5xx, nonsense, refused credentials, rate-limited — never
  DivideBuy refusing one amount with a 4xx: a shopper-chosen amount cannot open it);
- **open**: no calls for ``reset_timeout`` seconds (pages render without the widget, or
  with what is cached, at once);
- **half-open**: after that, exactly one trial call is let through; its success closes
  the breaker, its failure opens it again for another ``reset_timeout``.

The clock is injectable so tests move time instead of sleeping. Thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

__all__ = ["BreakerState", "CircuitBreaker", "CircuitOpenError"]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitOpenError(RuntimeError):
    """Raised instead of calling DivideBuy while the breaker is open."""


class CircuitBreaker:
    """Count consecutive failures; stop calling for a while once there are too many."""

    def __init__(
        self,
        *,
        failure_threshold: int = 3,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1.")
        if reset_timeout <= 0:
            raise ValueError("reset_timeout must be a positive number of seconds.")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False
        #: how many times the breaker has opened (for the bench and logs)
        self.times_opened = 0

    def __repr__(self) -> str:
        return f"CircuitBreaker(state={self.state.value}, failures={self._failures})"

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._current()

    def _current(self) -> BreakerState:
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.reset_timeout
        ):
            self._state = BreakerState.HALF_OPEN
            self._trial_in_flight = False
        return self._state

    @property
    def troubled(self) -> bool:
        """DivideBuy failed lately (a failure since the last success, or not closed).

        Read without the lock (one attribute each): a hint for callers deciding whether
        to wait for a call, not a permission.
        """
        return self._failures > 0 or self._state is not BreakerState.CLOSED

    def would_allow(self) -> bool:
        """Whether a call would be let through now (does not claim the half-open trial)."""
        with self._lock:
            state = self._current()
            return state is BreakerState.CLOSED or (
                state is BreakerState.HALF_OPEN and not self._trial_in_flight
            )

    def allow(self) -> bool:
        """Claim permission for one call. In half-open, only the first caller gets it."""
        with self._lock:
            state = self._current()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
                self._trial_in_flight = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            state = self._current()
            self._failures += 1
            if state is BreakerState.HALF_OPEN or (
                state is BreakerState.CLOSED and self._failures >= self.failure_threshold
            ):
                self._open()

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._trial_in_flight = False
        self.times_opened += 1

    def reset(self) -> None:
        """Back to closed with no failures (an operator knows DivideBuy is back)."""
        self.record_success()
