"""Who may make the widget ask DivideBuy about an amount: the JSON endpoint's guard.

The web component asks ``GET …/widget/terms?amount=…`` for whatever amount the page computes,
so anyone can ask for any amount. A cached amount costs nothing; an *uncached* one is a call
to DivideBuy on the shop's credentials. Left open, a script asking for thousands of amounts
would spend the shop's rate limit at DivideBuy, evict real prices from the cache, and slow
every product page. The guard bounds that:

- amounts must be well-formed pounds (``149``, ``149.9``, ``149.99``) — nothing else is parsed;
- an amount outside the spend range DivideBuy last reported is answered "not eligible" without
  a call (:meth:`~dividebuy_checkout.terms.TermsSource.spend_range`);
- uncached amounts are limited per client address and overall, per minute
  (:class:`~dividebuy_checkout.checkout.ratelimit.SlidingWindowLimiter`);
- DivideBuy refusing an amount is remembered for that amount, and never counts towards the
  circuit breaker (:func:`~dividebuy_checkout.terms.is_refusal`).

Server-rendered widgets are not guarded: their prices come from the shop's own templates.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ..checkout.ratelimit import SlidingWindowLimiter

__all__ = [
    "DEFAULT_NEW_AMOUNTS_OVERALL",
    "DEFAULT_NEW_AMOUNTS_PER_CLIENT",
    "WELL_FORMED_POUNDS",
    "AmountGuard",
    "outside",
    "well_formed",
]

#: pounds as a shopper or a page writes them: digits, optionally a point and one or two pence
#: digits (no signs, exponents, separators or spaces); seven digits reach £9,999,999.99
WELL_FORMED_POUNDS = re.compile(r"[0-9]{1,7}(?:\.[0-9]{1,2})?")
#: uncached amounts one client address may have looked up at DivideBuy (a shopper changing a
#: quantity or variant makes a few; a script makes thousands)
DEFAULT_NEW_AMOUNTS_PER_CLIENT = "20/minute"
#: uncached amounts every client together may have looked up (DivideBuy's rate limit is the
#: shop's, and undocumented: this keeps the widget's share of it small)
DEFAULT_NEW_AMOUNTS_OVERALL = "120/minute"
#: the key under which every client's uncached amounts are counted together
_EVERYONE = "*"


class AmountGuard:
    """Per-client and overall limits on uncached amounts (``None`` switches one off)."""

    def __init__(
        self,
        per_client: SlidingWindowLimiter | None = None,
        overall: SlidingWindowLimiter | None = None,
    ) -> None:
        self.per_client = per_client
        self.overall = overall

    @classmethod
    def from_specs(
        cls,
        per_client: str | None = DEFAULT_NEW_AMOUNTS_PER_CLIENT,
        overall: str | None = DEFAULT_NEW_AMOUNTS_OVERALL,
        *,
        settings: Any = None,
    ) -> AmountGuard:
        """From ``"20/minute"``-style specs (``ValueError`` for a bad one; ``None``: no limit).

        With *settings* that have a ``redis_url``, the counts are shared by every worker.
        """
        return cls(
            SlidingWindowLimiter.from_spec(per_client, name="widget-client", settings=settings)
            if per_client
            else None,
            SlidingWindowLimiter.from_spec(overall, name="widget-overall", settings=settings)
            if overall
            else None,
        )

    def admit(self, client_address: str | None) -> float | None:
        """Count one uncached amount; ``None`` if allowed, else seconds to wait."""
        if self.per_client is not None:
            wait = self.per_client.hit(f"widget:{client_address or '-'}")
            if wait is not None:
                return wait
        if self.overall is not None:
            return self.overall.hit(f"widget:{_EVERYONE}")
        return None


def well_formed(raw: str) -> bool:
    """Whether *raw* is pounds written plainly (see :data:`WELL_FORMED_POUNDS`)."""
    return WELL_FORMED_POUNDS.fullmatch(raw) is not None


def outside(amount: Decimal, spend_range: tuple[Decimal, Decimal] | None) -> bool:
    """Whether *amount* is outside the spend range DivideBuy last reported (unknown: no)."""
    if spend_range is None:
        return False
    lowest, highest = spend_range
    return amount < lowest or amount > highest
