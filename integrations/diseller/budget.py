"""The background request budget: DiSeller plans allow 1,000 or 10,000 requests an hour per
key (seed 002:197-208), and the shop's own traffic shares that allowance.

Background work (polling, backfills, retries of write-backs) spends tokens from a
bucket of ``DIVIDEBUY_DISELLER_REQUESTS_PER_HOUR`` that refills evenly over the
hour, so it can never use up the key on its own; an interactive ``get_order`` (a
shopper waiting) never spends from it or waits on it. When the bucket is empty
the background caller stops and says when it may go on
(:class:`BudgetExhausted`: "stopped after N requests, resumes at T") rather than
sleeping. The clock is injectable so a test moves it with the fake's clock.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["BudgetExhausted", "RequestBudget"]


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class BudgetExhausted(Exception):
    """Background work stopped: the hourly budget is spent until ``resumes_at`` (epoch seconds).

    ``requests`` is how many requests this run made before stopping; ``cursor`` is
    where a paged run can resume (the last order id read), when there is one.
    """

    def __init__(self, requests: int, resumes_at: float, cursor: str | None = None) -> None:
        self.requests = requests
        self.resumes_at = resumes_at
        self.cursor = cursor
        super().__init__(
            f"DiSeller request budget spent: stopped after {requests} request(s), "
            f"resumes at {_when(resumes_at)}"
        )


class RequestBudget:
    """A token bucket: ``per_hour`` tokens at most, refilled at ``per_hour`` per hour.

    Thread-safe; shared by every background job of one process.
    """

    def __init__(self, per_hour: int, *, clock: Callable[[], float] = time.time) -> None:
        if per_hour < 1:
            raise ValueError("per_hour must be at least 1")
        self.per_hour = per_hour
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(per_hour)
        self._at = clock()
        #: requests spent since creation (for logs and tests)
        self.spent = 0

    def _refill(self) -> float:
        now = self._clock()
        if now > self._at:
            self._tokens = min(
                float(self.per_hour), self._tokens + (now - self._at) * self.per_hour / 3600.0
            )
        self._at = max(self._at, now)
        return now

    @property
    def remaining(self) -> int:
        """Whole requests that may be made now."""
        with self._lock:
            self._refill()
            return math.floor(self._tokens + 1e-9)

    def try_spend(self, requests: int = 1) -> bool:
        """Take *requests* tokens when there are that many (True), else take none (False)."""
        with self._lock:
            self._refill()
            if self._tokens + 1e-9 < requests:
                return False
            self._tokens -= requests
            self.spent += requests
            return True

    def resumes_at(self, requests: int = 1) -> float:
        """Epoch seconds when *requests* tokens will be there (now when they already are)."""
        with self._lock:
            now = self._refill()
            missing = max(0.0, requests - self._tokens)
            return now + missing * 3600.0 / self.per_hour

    def spend(self, done: int = 0, cursor: str | None = None) -> None:
        """Take one token or raise :class:`BudgetExhausted` (*done*: requests made so far)."""
        if not self.try_spend():
            raise BudgetExhausted(done, self.resumes_at(), cursor)
