"""When and how long to wait before trying a safe call again.

Capped, jittered exponential backoff ("full jitter"), honouring ``Retry-After``
from a 429 or 503. Only routes marked ``retryable`` in the route table use it;
creating a quote or a refund is never blindly sent twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "parse_retry_after"]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 4.0
    #: a ``Retry-After`` longer than this is not waited for: the error is raised
    max_retry_after: float = 10.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)


def parse_retry_after(value: str | None) -> float | None:
    """Read a ``Retry-After`` header given in seconds (the HTTP-date form is ignored)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0)
