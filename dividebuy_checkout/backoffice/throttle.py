"""Brute force on a back-office secret is slowed per client address: 429 after a few misses.

Used by the back-office JSON endpoints (a wrong API key) and the example shop's
login page (a wrong password). Each *failure* counts in a sliding window
(:class:`~dividebuy_checkout.checkout.ratelimit.SlidingWindowLimiter`, kept in
Redis for every worker when ``DIVIDEBUY_REDIS_URL`` is set); once an address has
used up its failures, every attempt from it — right secret or wrong — is refused
with ``Retry-After`` *before* the secret is compared, so a guesser cannot tell a
hit from a miss while blocked. Successful sign-ins do not count.
"""

from __future__ import annotations

import math
from typing import Any

from ..checkout.ratelimit import SlidingWindowLimiter

__all__ = ["DEFAULT_FAILURE_LIMIT", "FailureThrottle", "retry_after"]

#: failed attempts allowed per address before it waits: a person mistyping gets several
#: tries, a script gets 10 guesses per 10 minutes (assumption: no document sets a figure)
DEFAULT_FAILURE_LIMIT = "10 per 10 minutes"


def retry_after(wait: float) -> str:
    """Seconds for a ``Retry-After`` header: whole, at least 1."""
    return str(max(math.ceil(wait), 1))


class FailureThrottle:
    """Failures per address in a sliding window; blocked addresses are refused before checking."""

    def __init__(self, limiter: SlidingWindowLimiter) -> None:
        self.limiter = limiter

    @classmethod
    def from_spec(cls, spec: str, *, name: str, settings: Any = None) -> FailureThrottle:
        """A throttle for ``"10 per 10 minutes"``; shared through Redis when *settings* has a
        ``redis_url``. *name* keeps its counts apart from other limits'."""
        return cls(SlidingWindowLimiter.from_spec(spec, name=name, settings=settings))

    def blocked(self, address: str | None) -> float | None:
        """Seconds *address* must wait before trying again, or ``None`` if it may try now."""
        return self.limiter.peek(_key(address))

    def failed(self, address: str | None) -> float | None:
        """Count a failed attempt (``None``); seconds to wait if the address had none left
        (two attempts racing past :meth:`blocked`)."""
        return self.limiter.hit(_key(address))


def _key(address: str | None) -> str:
    return address or "-"
