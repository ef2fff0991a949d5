"""The sandbox's knobs and its rate card.

Everything a developer or a test may want to change about the sandbox lives in
:class:`SandboxConfig`, so there is one place to read what the defaults are
(``docs/sandbox.md`` lists them). The config is immutable: a change at run time
(``POST /_sandbox/config``) swaps in a new config under the state's lock, so a
request never sees half of a change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "DEFAULT_RATE_CARD",
    "INTEREST_BEARING",
    "INTEREST_FREE",
    "RUNTIME_KNOBS",
    "RateCardEntry",
    "SandboxConfig",
]

INTEREST_FREE = "interest-free"
INTEREST_BEARING = "interest-bearing"


@dataclass(frozen=True)
class RateCardEntry:
    """One term a retailer has enabled: its length, its rate and its spend limits.

    ``interest_rate`` is the annual percentage rate (``9.9`` means 9.9 % APR), as
    the terms reply's ``interest_rate`` field carries it.
    """

    months: int
    interest_rate: Decimal = Decimal("0")
    minimum_spend: Decimal = Decimal("250.00")
    maximum_spend: Decimal = Decimal("15000.00")

    def __post_init__(self) -> None:
        # A one-month "term" has no regular or final instalment; the instalment
        # identity first + regular*(n-2) + final == total needs n >= 2.
        if isinstance(self.months, bool) or not isinstance(self.months, int) or self.months < 2:
            raise ValueError("A term must be a whole number of months, at least 2.")
        for name in ("interest_rate", "minimum_spend", "maximum_spend"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ValueError(f"RateCardEntry.{name} must be a non-negative Decimal.")
        if self.minimum_spend > self.maximum_spend:
            raise ValueError("RateCardEntry.minimum_spend is above maximum_spend.")

    @property
    def type(self) -> str:
        return INTEREST_FREE if self.interest_rate == 0 else INTEREST_BEARING

    def allows(self, amount: Decimal) -> bool:
        """Whether *amount* is inside this term's spend limits (both ends included)."""
        return self.minimum_spend <= amount <= self.maximum_spend


#: The default rate card: what a typical DivideBuy retailer enables.
#: Interest-free 3-12 months for £250-£15,000; interest-bearing 24 and 36 months
#: at 9.9 % APR for £1,000-£15,000.
DEFAULT_RATE_CARD: tuple[RateCardEntry, ...] = (
    *(RateCardEntry(months) for months in (3, 6, 9, 10, 12)),
    *(
        RateCardEntry(months, Decimal("9.9"), Decimal("1000.00"), Decimal("15000.00"))
        for months in (24, 36)
    ),
)


#: The fields ``POST /_sandbox/config`` may change while the sandbox runs.
RUNTIME_KNOBS = ("latency", "token_lifetime", "slow_seconds", "quote_lifetime")


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox behaves. Every field has a default; see ``docs/sandbox.md``.

    - ``token_lifetime``: seconds an access token lives (``expires_in``).
    - ``quote_lifetime``: seconds a quote stays ``Pending`` before it expires.
    - ``latency``: seconds added to every API reply (not to admin or hosted pages).
    - ``slow_seconds``: how long a "slow" fault sleeps before (or after) answering.
    - ``rate_card``: the terms offered, see :data:`DEFAULT_RATE_CARD`.
    - ``credentials``: ``{client_id: client_secret}`` that are accepted; ``None``
      accepts any non-empty pair except the magic secret ``wrong-secret``.
    - ``base_url``: the public address used in ``checkout_url``; ``None`` uses the
      address the request came in on.
    - ``request_log_size``: how many (method, path, status) rows the state keeps.
    """

    token_lifetime: int = 3600
    quote_lifetime: int = 24 * 60 * 60
    latency: float = 0.0
    slow_seconds: float = 3.0
    rate_card: tuple[RateCardEntry, ...] = DEFAULT_RATE_CARD
    credentials: Mapping[str, str] | None = None
    base_url: str | None = None
    request_log_size: int = 1000

    def __post_init__(self) -> None:
        for name in ("token_lifetime", "quote_lifetime", "request_log_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"SandboxConfig.{name} must be a whole number, at least 1.")
        for name in ("latency", "slow_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"SandboxConfig.{name} must be a number of seconds, 0 or more.")
        if not self.rate_card or not all(isinstance(e, RateCardEntry) for e in self.rate_card):
            raise ValueError("SandboxConfig.rate_card must be a non-empty tuple of RateCardEntry.")
        months = [entry.months for entry in self.rate_card]
        if len(set(months)) != len(months):
            raise ValueError("SandboxConfig.rate_card has the same term twice.")
        object.__setattr__(self, "rate_card", tuple(self.rate_card))

    def __repr__(self) -> str:
        # A config may be logged; the client secrets in it may not.
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if f.repr and f.name != "credentials"
        )
        hidden = "None" if self.credentials is None else f"<{len(self.credentials)} client(s)>"
        return f"SandboxConfig({shown}, credentials={hidden})"

    def term(self, months: int) -> RateCardEntry | None:
        """The rate-card entry for *months*, or ``None`` when that term is not offered."""
        return next((entry for entry in self.rate_card if entry.months == months), None)

    def replace(self, **changes: Any) -> SandboxConfig:
        """A copy with *changes* applied (validated like a new config)."""
        return dataclasses.replace(self, **changes)

    def public(self) -> dict[str, Any]:
        """The config as the admin state listing shows it (no credentials)."""
        return {
            "token_lifetime": self.token_lifetime,
            "quote_lifetime": self.quote_lifetime,
            # money.dumps refuses floats (they must never carry money), so seconds
            # are written through their shortest decimal text.
            "latency": Decimal(str(self.latency)),
            "slow_seconds": Decimal(str(self.slow_seconds)),
            "base_url": self.base_url,
            "credentials": "any" if self.credentials is None else "configured",
            "rate_card": [
                {
                    "type": entry.type,
                    "months_in_term": entry.months,
                    "interest_rate": entry.interest_rate,
                    "minimum_spend": entry.minimum_spend,
                    "maximum_spend": entry.maximum_spend,
                }
                for entry in self.rate_card
            ],
        }
