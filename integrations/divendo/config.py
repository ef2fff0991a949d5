"""Divendo settings: the ``DIVIDEBUY_DIVENDO_*`` keys (ADAPTERS §4.6), read and checked once.

Read from Flask config or the environment (lists are a list/tuple in Flask config or a
comma-separated string in the environment; ``_ORDER_SHAPE`` is a dict in Flask config or a
JSON object in the environment). The order source, the poll (``poll.py``) and the CLI read
the same :class:`DivendoConfig`, so a key is parsed and refused in exactly one place, at
start-up, with the key's own name in the message.

Departure from ADAPTERS §4.6, on purpose: ``_REFUND_CANCELLED_LINES`` defaults to **True**.
Issue 14 says "cancel a line → one poll refunds that line's amount" with no setting to turn
on, so a cancelled line is refunded unless the shop switches it off (recorded in
``docs/assumptions.md``, Divendo).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...settings import ConfigurationError
from .. import _config
from .._http import require_https
from ..assumptions import CONNECT_TIMEOUT, READ_TIMEOUT

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_POOL_TIMEOUT",
    "DEFAULT_TOKEN_PATH",
    "MAX_CONNECTIONS_LIMIT",
    "PREFIX",
    "TOKEN_AUTH_CHOICES",
    "TOKEN_BODY_CHOICES",
    "WRITE_TRIGGERS",
    "DivendoConfig",
]

PREFIX = "DIVIDEBUY_DIVENDO_"

#: "The current release of the Divendo API can be found at … https://api.diven.do" (000:17-19).
DEFAULT_BASE_URL = "https://api.diven.do"

#: Not in the seeds ("explore our Authentication guide", 000:35); Divendo's public guide (P).
DEFAULT_TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a URL path, not a secret

#: ``_TOKEN_AUTH``: the seed's "credentials in the Authorization header" (``basic``, default)
#: or the public guide's body fields (``body``).
TOKEN_AUTH_CHOICES = ("basic", "body")

#: ``_TOKEN_BODY``: RFC 6749's form encoding (default) or JSON ("only supports JSON", 000:59).
TOKEN_BODY_CHOICES = ("form", "json")

#: "Each user account is permitted up to 5 simultaneous connections" (000:63). The per-process
#: default leaves room for a second worker or another integration on the same account.
MAX_CONNECTIONS_LIMIT = 5
DEFAULT_MAX_CONNECTIONS = 2
#: Seconds a call waits for a free connection of the capped pool before "Divendo is busy".
DEFAULT_POOL_TIMEOUT = 10.0

#: The checkout transition → the setting holding the Divendo status id written (opt-in).
WRITE_TRIGGERS: dict[str, str] = _config.write_triggers("STATUS_ID_")

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _error(key: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"{PREFIX}{key} {message}", key=PREFIX + key)


_text = _config.text


def _names(raw: Any, key: str) -> frozenset[str] | None:
    """``None`` (not set) or the non-blank names of a list or comma-separated string."""
    items = _config.names(raw, PREFIX, key)
    return None if items is None else frozenset(items)


def _number(raw: Any, key: str, default: float) -> float:
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise _error(key, "must be a number of seconds.")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise _error(key, "must be a number of seconds.") from None
    if not value > 0 or value == float("inf"):
        raise _error(key, "must be a positive number of seconds.")
    return value


def _connections(raw: Any) -> int:
    if raw is None or raw == "":
        return DEFAULT_MAX_CONNECTIONS
    message = (
        f"must be a whole number from 1 to {MAX_CONNECTIONS_LIMIT} (Divendo allows "
        f"{MAX_CONNECTIONS_LIMIT} simultaneous connections per account, all processes together)."
    )
    if isinstance(raw, bool):
        raise _error("MAX_CONNECTIONS", message)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise _error("MAX_CONNECTIONS", message) from None
    if value != int(value) or not 1 <= value <= MAX_CONNECTIONS_LIMIT:
        raise _error("MAX_CONNECTIONS", message)
    return int(value)


def _flag(raw: Any, key: str, default: bool) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw is None or raw == "":
        return default
    word = str(raw).strip().lower()
    if word in _TRUE | _FALSE:
        return word in _TRUE
    raise _error(key, "must be true or false.")


def _choice(raw: Any, key: str, choices: tuple[str, ...]) -> str:
    return _config.choice(raw, PREFIX, key, choices)


def _shape(raw: Any) -> dict[str, str]:
    """``_ORDER_SHAPE``: field name → dotted JSON path (the mapping checks the names)."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise _error("ORDER_SHAPE", "must be a JSON object of field → dotted path.") from None
    if not isinstance(raw, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in raw.items()
    ):
        raise _error("ORDER_SHAPE", "must map field names to dotted paths (text).")
    return {str(k): str(v).strip() for k, v in raw.items()}


def _token_path(raw: Any) -> str:
    path = _text(raw) or DEFAULT_TOKEN_PATH
    if not path.startswith("/") or "?" in path or "#" in path or "//" in path:
        raise _error("TOKEN_PATH", f"must be a path like {DEFAULT_TOKEN_PATH}.")
    return path


@dataclass(frozen=True)
class DivendoConfig:
    """Everything the Divendo adapter is configured with. ``repr`` hides the secret."""

    client_id: str
    client_secret: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    token_path: str = DEFAULT_TOKEN_PATH
    #: "basic" (client id and secret in the Authorization header) or "body"
    token_auth: str = "basic"  # noqa: S105 - a scheme name
    #: "form" (application/x-www-form-urlencoded) or "json"
    token_body: str = "form"  # noqa: S105 - an encoding name
    timeout: float = READ_TIMEOUT
    connect_timeout: float = CONNECT_TIMEOUT
    #: connections this process opens to Divendo at most (token call included)
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    pool_timeout: float = DEFAULT_POOL_TIMEOUT
    #: overrides of ``mapping.DivendoOrderShape`` (field name → dotted path)
    order_shape: Mapping[str, str] = field(default_factory=dict)
    #: None = any status not closed is payable
    payable_statuses: frozenset[str] | None = None
    closed_statuses: frozenset[str] = frozenset()
    settle_on_shippingdate: bool = True
    settle_statuses: frozenset[str] = frozenset()
    refund_statuses: frozenset[str] = frozenset()
    refund_cancelled_lines: bool = True
    write_back: bool = False
    #: write-back status ids by setting name (``STATUS_ID_PAID`` → "5640…"); None = not written
    write_statuses: Mapping[str, str | None] = field(default_factory=dict)
    order_page_url: str | None = None
    sales_channel: str | None = None

    def __post_init__(self) -> None:
        missing = [
            PREFIX + key
            for key, value in (("CLIENT_ID", self.client_id), ("CLIENT_SECRET", self.client_secret))
            if not value
        ]
        if missing:
            raise ConfigurationError(
                f"The Divendo order source needs {' and '.join(missing)} (the OAuth client id "
                "and secret Divendo generated for your API user).",
                key=missing[0],
            )
        object.__setattr__(self, "base_url", require_https(self.base_url, PREFIX + "BASE_URL"))
        if self.token_auth not in TOKEN_AUTH_CHOICES:
            raise _error("TOKEN_AUTH", f"must be one of {', '.join(TOKEN_AUTH_CHOICES)}.")
        if self.token_body not in TOKEN_BODY_CHOICES:
            raise _error("TOKEN_BODY", f"must be one of {', '.join(TOKEN_BODY_CHOICES)}.")
        if not 1 <= self.max_connections <= MAX_CONNECTIONS_LIMIT:
            raise _error("MAX_CONNECTIONS", f"must be from 1 to {MAX_CONNECTIONS_LIMIT}.")
        overlap = self.settle_statuses & self.refund_statuses
        if overlap:
            raise ConfigurationError(
                f"{PREFIX}SETTLE_STATUSES and {PREFIX}REFUND_STATUSES share {sorted(overlap)}: "
                "a status cannot both settle and refund.",
                key=PREFIX + "REFUND_STATUSES",
            )
        if self.order_page_url is not None and "{order_id}" not in self.order_page_url:
            raise _error("ORDER_PAGE_URL", "must contain {order_id}.")

    def status_for(self, trigger: str) -> str | None:
        """The status id to write to the order after *trigger*, or ``None`` (not written)."""
        if not self.write_back:
            return None
        return _config.status_for(trigger, WRITE_TRIGGERS, self.write_statuses)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> DivendoConfig:
        """Read the ``DIVIDEBUY_DIVENDO_*`` keys; a missing or bad key names itself."""

        def get(key: str) -> Any:
            return config.get(PREFIX + key)

        payable = _names(get("PAYABLE_STATUSES"), "PAYABLE_STATUSES")
        return cls(
            client_id=_text(get("CLIENT_ID")) or "",
            client_secret=str(get("CLIENT_SECRET") or ""),
            base_url=_text(get("BASE_URL")) or DEFAULT_BASE_URL,
            token_path=_token_path(get("TOKEN_PATH")),
            token_auth=_choice(get("TOKEN_AUTH"), "TOKEN_AUTH", TOKEN_AUTH_CHOICES),
            token_body=_choice(get("TOKEN_BODY"), "TOKEN_BODY", TOKEN_BODY_CHOICES),
            timeout=_number(get("TIMEOUT"), "TIMEOUT", READ_TIMEOUT),
            connect_timeout=_number(get("CONNECT_TIMEOUT"), "CONNECT_TIMEOUT", CONNECT_TIMEOUT),
            max_connections=_connections(get("MAX_CONNECTIONS")),
            pool_timeout=_number(get("POOL_TIMEOUT"), "POOL_TIMEOUT", DEFAULT_POOL_TIMEOUT),
            order_shape=_shape(get("ORDER_SHAPE")),
            payable_statuses=payable,
            closed_statuses=_names(get("CLOSED_STATUSES"), "CLOSED_STATUSES") or frozenset(),
            settle_on_shippingdate=_flag(
                get("SETTLE_ON_SHIPPINGDATE"), "SETTLE_ON_SHIPPINGDATE", True
            ),
            settle_statuses=_names(get("SETTLE_STATUSES"), "SETTLE_STATUSES") or frozenset(),
            refund_statuses=_names(get("REFUND_STATUSES"), "REFUND_STATUSES") or frozenset(),
            refund_cancelled_lines=_flag(
                get("REFUND_CANCELLED_LINES"), "REFUND_CANCELLED_LINES", True
            ),
            write_back=_flag(get("WRITE_BACK"), "WRITE_BACK", False),
            write_statuses=_config.write_statuses(get, WRITE_TRIGGERS),
            order_page_url=_text(get("ORDER_PAGE_URL")),
            sales_channel=_text(get("SALES_CHANNEL")),
        )
