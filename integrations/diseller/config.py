"""DiSeller settings: the ``DIVIDEBUY_DISELLER_*`` keys (ADAPTERS §3.6), read and checked once.

Read from Flask config or the environment (lists are a list/tuple in Flask config
or a comma-separated string in the environment). The order source and the signed
webhook side (``signature.py``, ``webhooks.py``) read the same
:class:`DiSellerConfig`, so a key is parsed and refused in exactly one place, at
start-up, with the key's own name in the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ...settings import ConfigurationError
from .. import _config
from .._http import require_https
from ..assumptions import CONNECT_TIMEOUT, READ_TIMEOUT, WEBHOOK_SECRET_MIN_LENGTH

__all__ = [
    "DEFAULT_BASE_URL",
    "PREFIX",
    "RESIDUAL_CHOICES",
    "SIGNATURE_SCHEMES",
    "WRITE_TRIGGERS",
    "DiSellerConfig",
]

PREFIX = "DIVIDEBUY_DISELLER_"

#: "All API requests should be made to the following base URL" (seed 002:39-41).
DEFAULT_BASE_URL = "https://api.diseller.com/v1"

#: ``_RESIDUAL``: what ``total − Σ price × quantity`` is read as. The seed has no
#: shipping or discount fields, so a difference is shipping (positive) or a
#: discount (negative) by default, or refused.
RESIDUAL_CHOICES = ("shipping", "refuse")

#: ``_SIGNATURE_SCHEME``: Stripe's ``t=…,v1=…`` (default) or a bare hex HMAC of the body.
SIGNATURE_SCHEMES = ("t-v1", "hex-body")

#: The checkout transition → the setting whose value is written to the order (opt-in).
WRITE_TRIGGERS: dict[str, str] = _config.write_triggers("STATUS_")

#: Defaults that are not secrets or URLs.
DEFAULT_VAT_RATE = Decimal("20")
DEFAULT_PRODUCT_CACHE_SECONDS = 3600.0
DEFAULT_REQUESTS_PER_HOUR = 1000  # the Starter plan (002:197-208)
DEFAULT_SIGNATURE_TOLERANCE = 300
DEFAULT_SETTLE_EVENT = "order.completed"
DEFAULT_REFUND_EVENT = "refund.processed"

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})
_NONE = frozenset({"none", "null"})


_text = _config.text


def _names(raw: Any, key: str) -> tuple[str, ...] | None:
    """``None`` (not set) or the non-blank items of a list or comma-separated string."""
    return _config.names(raw, PREFIX, key)


def _number(raw: Any, key: str, default: float, *, allow_zero: bool = False) -> float:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise ConfigurationError(f"{PREFIX}{key} must be a number.", key=PREFIX + key)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{PREFIX}{key} must be a number.", key=PREFIX + key) from None
    if value < 0 or (value == 0 and not allow_zero) or value != value:
        raise ConfigurationError(f"{PREFIX}{key} must be a positive number.", key=PREFIX + key)
    return value


def _whole(raw: Any, key: str, default: int) -> int:
    value = _number(raw, key, float(default))
    if value != int(value):
        raise ConfigurationError(f"{PREFIX}{key} must be a whole number.", key=PREFIX + key)
    return int(value)


def _flag(raw: Any, key: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw is None:
        return False
    word = str(raw).strip().lower()
    if word in _TRUE | _FALSE:
        return word in _TRUE
    raise ConfigurationError(f"{PREFIX}{key} must be true or false.", key=PREFIX + key)


def _vat_rate(raw: Any) -> Decimal:
    if raw is None or raw == "":
        return DEFAULT_VAT_RATE
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value >= 100 or isinstance(raw, bool):
        raise ConfigurationError(
            f"{PREFIX}VAT_RATE must be a percentage from 0 to under 100 (20 for UK standard).",
            key=PREFIX + "VAT_RATE",
        )
    return value


def _event(raw: Any, key: str, default: str) -> str | None:
    """An event name, or ``None`` when switched off (``None``/"none" in config)."""
    if raw is None:
        return default
    text = str(raw).strip()
    if text == "":
        return default
    if text.lower() in _NONE | {"off", "false"}:
        return None
    return text


def _choice(raw: Any, key: str, choices: tuple[str, ...]) -> str:
    return _config.choice(raw, PREFIX, key, choices)


@dataclass(frozen=True)
class DiSellerConfig:
    """Everything the DiSeller adapter is configured with. ``repr`` hides key and secrets."""

    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout: float = READ_TIMEOUT
    connect_timeout: float = CONNECT_TIMEOUT
    #: percent; DiSeller prices are read as VAT-inclusive at this rate
    vat_rate: Decimal = DEFAULT_VAT_RATE
    #: "shipping" (positive residual = shipping, negative = discount) or "refuse"
    residual: str = "shipping"
    #: None = every status but "cancelled" is payable
    payable_statuses: frozenset[str] | None = None
    product_cache_seconds: float = DEFAULT_PRODUCT_CACHE_SECONDS
    #: the background request budget (poll, backfill); interactive reads never wait on it
    requests_per_hour: int = DEFAULT_REQUESTS_PER_HOUR
    #: endpoint signing secrets, several while rotating; empty = webhooks refused (403)
    webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    signature_scheme: str = "t-v1"
    signature_tolerance: int = DEFAULT_SIGNATURE_TOLERANCE
    settle_event: str | None = DEFAULT_SETTLE_EVENT
    refund_event: str | None = DEFAULT_REFUND_EVENT
    refund_on_cancel: bool = False
    write_back: bool = False
    #: write-back values by setting name (``STATUS_PAID`` → "paid_by_dividebuy"); None = not written
    write_statuses: Mapping[str, str | None] = field(default_factory=dict)
    order_page_url: str | None = None
    sales_channel: str | None = None

    def __post_init__(self) -> None:
        if not self.api_key:
            raise ConfigurationError(
                f"The DiSeller order source needs {PREFIX}API_KEY (an API key from the "
                "DiSeller Dashboard).",
                key=PREFIX + "API_KEY",
            )
        object.__setattr__(self, "base_url", require_https(self.base_url, PREFIX + "BASE_URL"))
        if self.residual not in RESIDUAL_CHOICES:
            raise ConfigurationError(
                f"{PREFIX}RESIDUAL must be one of {', '.join(RESIDUAL_CHOICES)}.",
                key=PREFIX + "RESIDUAL",
            )
        if self.signature_scheme not in SIGNATURE_SCHEMES:
            raise ConfigurationError(
                f"{PREFIX}SIGNATURE_SCHEME must be one of {', '.join(SIGNATURE_SCHEMES)}.",
                key=PREFIX + "SIGNATURE_SCHEME",
            )
        for secret in self.webhook_secrets:
            if len(secret) < WEBHOOK_SECRET_MIN_LENGTH:
                raise ConfigurationError(
                    f"Each of {PREFIX}WEBHOOK_SECRETS must be at least "
                    f"{WEBHOOK_SECRET_MIN_LENGTH} characters long.",
                    key=PREFIX + "WEBHOOK_SECRETS",
                )
        if self.requests_per_hour < 1:
            raise ConfigurationError(
                f"{PREFIX}REQUESTS_PER_HOUR must be at least 1.", key=PREFIX + "REQUESTS_PER_HOUR"
            )
        if self.order_page_url is not None and "{order_id}" not in self.order_page_url:
            raise ConfigurationError(
                f"{PREFIX}ORDER_PAGE_URL must contain {{order_id}}.", key=PREFIX + "ORDER_PAGE_URL"
            )

    def status_for(self, trigger: str) -> str | None:
        """The status to write to the order after *trigger*, or ``None`` (not written)."""
        if not self.write_back:
            return None
        return _config.status_for(trigger, WRITE_TRIGGERS, self.write_statuses)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> DiSellerConfig:
        """Read the ``DIVIDEBUY_DISELLER_*`` keys; a missing or bad key names itself."""

        def get(key: str) -> Any:
            return config.get(PREFIX + key)

        payable = _names(get("PAYABLE_STATUSES"), "PAYABLE_STATUSES")
        return cls(
            api_key=_text(get("API_KEY")) or "",
            base_url=_text(get("BASE_URL")) or DEFAULT_BASE_URL,
            timeout=_number(get("TIMEOUT"), "TIMEOUT", READ_TIMEOUT),
            connect_timeout=_number(get("CONNECT_TIMEOUT"), "CONNECT_TIMEOUT", CONNECT_TIMEOUT),
            vat_rate=_vat_rate(get("VAT_RATE")),
            residual=_choice(get("RESIDUAL"), "RESIDUAL", RESIDUAL_CHOICES),
            payable_statuses=None if payable is None else frozenset(payable),
            product_cache_seconds=_number(
                get("PRODUCT_CACHE_SECONDS"),
                "PRODUCT_CACHE_SECONDS",
                DEFAULT_PRODUCT_CACHE_SECONDS,
                allow_zero=True,
            ),
            requests_per_hour=_whole(
                get("REQUESTS_PER_HOUR"), "REQUESTS_PER_HOUR", DEFAULT_REQUESTS_PER_HOUR
            ),
            webhook_secrets=_names(get("WEBHOOK_SECRETS"), "WEBHOOK_SECRETS") or (),
            signature_scheme=_choice(
                get("SIGNATURE_SCHEME"), "SIGNATURE_SCHEME", SIGNATURE_SCHEMES
            ),
            signature_tolerance=_whole(
                get("SIGNATURE_TOLERANCE"), "SIGNATURE_TOLERANCE", DEFAULT_SIGNATURE_TOLERANCE
            ),
            settle_event=_event(get("SETTLE_EVENT"), "SETTLE_EVENT", DEFAULT_SETTLE_EVENT),
            refund_event=_event(get("REFUND_EVENT"), "REFUND_EVENT", DEFAULT_REFUND_EVENT),
            refund_on_cancel=_flag(get("REFUND_ON_CANCEL"), "REFUND_ON_CANCEL"),
            write_back=_flag(get("WRITE_BACK"), "WRITE_BACK"),
            write_statuses=_config.write_statuses(get, WRITE_TRIGGERS),
            order_page_url=_text(get("ORDER_PAGE_URL")),
            sales_channel=_text(get("SALES_CHANNEL")),
        )
