"""REC+ settings: the ``DIVIDEBUY_RECPLUS_*`` keys, read from Flask config or the environment.

Lists (statuses, payment-method ids) are a list/tuple in Flask config or a
comma-separated string in the environment. Status names are site-defined ("see
Admin > Order Statuses", seed 004), so every status the adapter reacts to or
writes is a setting; nothing happens by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...settings import ConfigurationError
from .. import _config
from ..assumptions import (
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    RECPLUS_CURRENCY,
    WEBHOOK_SECRET_MIN_LENGTH,
)

__all__ = ["PREFIX", "WEBHOOK_AUTH_CHOICES", "WRITE_TRIGGERS", "RecPlusConfig"]

#: ``DIVIDEBUY_RECPLUS_WEBHOOK_AUTH``: how REC+ authenticates its webhooks (Admin > API Webhooks)
WEBHOOK_AUTH_CHOICES = ("basic", "bearer")

PREFIX = "DIVIDEBUY_RECPLUS_"

#: The checkout transition → the setting whose value is written to the order's status.
WRITE_TRIGGERS: dict[str, str] = _config.write_triggers("STATUS_")


def _names(raw: Any, key: str) -> frozenset[str] | None:
    """``None`` (not set: any) or the set of non-blank names."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        items = raw.split(",")
    elif isinstance(raw, list | tuple | set | frozenset):
        items = [str(item) for item in raw]
    else:
        raise ConfigurationError(f"{PREFIX}{key} must be a list or a comma-separated string.")
    return frozenset(item.strip() for item in items if item.strip())


_text = _config.text


def _seconds(raw: Any, key: str, default: float) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{PREFIX}{key} must be a number of seconds.") from None
    if value <= 0:
        raise ConfigurationError(f"{PREFIX}{key} must be a positive number of seconds.")
    return value


@dataclass(frozen=True)
class RecPlusConfig:
    """Everything the REC+ adapter is configured with. ``repr`` hides the password."""

    base_url: str
    api_user: str
    api_pass: str = field(repr=False)
    timeout: float = READ_TIMEOUT
    connect_timeout: float = CONNECT_TIMEOUT
    currency: str = RECPLUS_CURRENCY
    payable_statuses: frozenset[str] | None = None
    payment_method_ids: frozenset[str] | None = None
    settle_statuses: frozenset[str] = frozenset()
    refund_statuses: frozenset[str] = frozenset()
    #: write-back values by setting name (``STATUS_PAID`` → "Paid by DivideBuy"); None = not written
    write_statuses: Mapping[str, str | None] = field(default_factory=dict)
    sales_channel: str | None = None
    #: "basic" or "bearer"; None = webhooks refused (403)
    webhook_auth: str | None = None
    webhook_user: str | None = None
    webhook_password: str | None = field(default=None, repr=False)
    webhook_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._check_webhook()
        if self.currency.strip().upper() != "GBP":
            raise ConfigurationError(
                f"{PREFIX}CURRENCY is {self.currency!r}: DivideBuy lends in pounds (GBP) only."
            )
        overlap = self.settle_statuses & self.refund_statuses
        if overlap:
            raise ConfigurationError(
                f"{PREFIX}SETTLE_STATUSES and {PREFIX}REFUND_STATUSES share "
                f"{sorted(overlap)}: a status cannot both settle and refund."
            )
        written = {value for value in self.write_statuses.values() if value}
        loop = written & (self.settle_statuses | self.refund_statuses)
        if loop:
            raise ConfigurationError(
                f"The REC+ write-back statuses {sorted(loop)} are also settle/refund statuses: "
                "our own status write would settle or refund the order."
            )

    def _check_webhook(self) -> None:
        auth = self.webhook_auth
        if auth is None:
            return
        if auth not in WEBHOOK_AUTH_CHOICES:
            raise ConfigurationError(f"{PREFIX}WEBHOOK_AUTH must be basic or bearer, not {auth!r}.")
        if auth == "basic":
            if not self.webhook_user or not self.webhook_password:
                raise ConfigurationError(
                    f"{PREFIX}WEBHOOK_AUTH is basic: set {PREFIX}WEBHOOK_USER and "
                    f"{PREFIX}WEBHOOK_PASSWORD (the same as in REC+'s Admin > API Webhooks)."
                )
            secret, key = self.webhook_password, "WEBHOOK_PASSWORD"
        else:
            if not self.webhook_token:
                raise ConfigurationError(
                    f"{PREFIX}WEBHOOK_AUTH is bearer: set {PREFIX}WEBHOOK_TOKEN."
                )
            secret, key = self.webhook_token, "WEBHOOK_TOKEN"
        if len(secret) < WEBHOOK_SECRET_MIN_LENGTH:
            raise ConfigurationError(
                f"{PREFIX}{key} must be at least {WEBHOOK_SECRET_MIN_LENGTH} characters long."
            )

    def status_for(self, trigger: str) -> str | None:
        """The status to write to the order after *trigger*, or ``None`` (not written)."""
        return _config.status_for(trigger, WRITE_TRIGGERS, self.write_statuses)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> RecPlusConfig:
        """Read the ``DIVIDEBUY_RECPLUS_*`` keys; a missing required key names itself."""

        def get(key: str) -> Any:
            return config.get(PREFIX + key)

        missing = [PREFIX + k for k in ("BASE_URL", "API_USER", "API_PASS") if not _text(get(k))]
        if missing:
            raise ConfigurationError(
                f"The REC+ order source needs {', '.join(missing)} (the shop's "
                "https://{DOMAIN}/api/v1 and the Full API username and password from "
                "Admin > API Accounts)."
            )
        return cls(
            base_url=str(get("BASE_URL")).strip(),
            api_user=str(get("API_USER")).strip(),
            api_pass=str(get("API_PASS")),
            timeout=_seconds(get("TIMEOUT"), "TIMEOUT", READ_TIMEOUT),
            connect_timeout=_seconds(get("CONNECT_TIMEOUT"), "CONNECT_TIMEOUT", CONNECT_TIMEOUT),
            currency=_text(get("CURRENCY")) or RECPLUS_CURRENCY,
            payable_statuses=_names(get("PAYABLE_STATUSES"), "PAYABLE_STATUSES"),
            payment_method_ids=_names(get("PAYMENT_METHOD_IDS"), "PAYMENT_METHOD_IDS"),
            settle_statuses=_names(get("SETTLE_STATUSES"), "SETTLE_STATUSES") or frozenset(),
            refund_statuses=_names(get("REFUND_STATUSES"), "REFUND_STATUSES") or frozenset(),
            write_statuses=_config.write_statuses(get, WRITE_TRIGGERS),
            sales_channel=_text(get("SALES_CHANNEL")),
            webhook_auth=_webhook_auth(get),
            webhook_user=_text(get("WEBHOOK_USER")),
            webhook_password=_text(get("WEBHOOK_PASSWORD")),
            webhook_token=_text(get("WEBHOOK_TOKEN")),
        )


def _webhook_auth(get: Any) -> str | None:
    """The configured scheme; when not named, the one whose credential is set (else None)."""
    named = _text(get("WEBHOOK_AUTH"))
    if named is not None:
        return named.lower()
    if _text(get("WEBHOOK_TOKEN")):
        return "bearer"
    if _text(get("WEBHOOK_USER")) or _text(get("WEBHOOK_PASSWORD")):
        return "basic"
    return None
