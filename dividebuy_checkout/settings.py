"""How to reach DivideBuy: one settings object, from keywords, the environment or Flask config.

The same names work everywhere (``DIVIDEBUY_CLIENT_ID`` in the environment is
``DIVIDEBUY_CLIENT_ID`` in ``app.config``), so a shop moves between a script, a
worker and a Flask app without renaming anything. The keys, their types and
their conversion from strings are declared once, in :mod:`dividebuy_checkout.config`.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from .config import PREFIX, REGISTRY, ConfigurationError
from .shared import keys as _shared_keys  # noqa: F401  (declares DIVIDEBUY_REDIS_*)

__all__ = ["ENVIRONMENTS", "PREFIX", "ConfigurationError", "Settings", "is_loopback_url"]

#: Base URLs of the environments in ``docs/wire.md``. ``local`` has none: the
#: project's own sandbox runs on a loopback port chosen at start-up, so it is
#: always given with ``base_url``.
ENVIRONMENTS: dict[str, str | None] = {
    "live": "https://api.dividebuy.co.uk",
    "sandbox": "https://api.dividebuysandbox.co.uk",
    "local": None,
}


def is_loopback_url(url: str) -> bool:
    """Whether *url* points at this machine (``localhost``, ``127.0.0.0/8``, ``::1``).

    Used to refuse ``live`` with a loopback base URL: live credentials sent to a
    local sandbox (or a sandbox's base URL left in a live deployment) would
    record real orders nowhere. Assumption: nothing real listens on loopback.
    """
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _redacted(value: str) -> str:
    return "'***'" if value else "''"


@dataclass(frozen=True)
class Settings:
    """How to reach DivideBuy. ``repr`` never shows the client secret."""

    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    environment: str = "sandbox"
    base_url: str | None = None
    #: seconds to wait for a connection / a whole reply on ordinary calls
    connect_timeout: float = 5.0
    timeout: float = 15.0
    #: how many times a retryable call (reads, settlement) is tried in all
    max_attempts: int = 3
    #: seconds before ``expires_in`` at which a token is treated as expired
    token_leeway: float = 60.0
    #: Redis shared by every worker and host (tokens, rate limits; see
    #: dividebuy_checkout.shared); None: each process keeps its own. Never shown: it
    #: may hold a password.
    redis_url: str | None = field(default=None, repr=False)
    #: first part of every key written in Redis
    redis_prefix: str = "dividebuy:"

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            names = ", ".join(ENVIRONMENTS)
            raise ConfigurationError(
                f"DIVIDEBUY_ENVIRONMENT must be one of {names}, not {self.environment!r}."
            )
        if self.environment == "live" and self.base_url and is_loopback_url(self.base_url):
            raise ConfigurationError(
                f"DIVIDEBUY_ENVIRONMENT 'live' cannot use the loopback DIVIDEBUY_BASE_URL "
                f"{self.base_url!r}: live credentials go to DivideBuy only (use 'local' for "
                "the sandbox).",
                key="DIVIDEBUY_BASE_URL",
            )
        if self.environment == "local" and not self.base_url:
            raise ConfigurationError(
                "DIVIDEBUY_ENVIRONMENT 'local' needs DIVIDEBUY_BASE_URL "
                "(the address printed by `dividebuy-checkout sandbox`)."
            )
        if self.timeout <= 0 or self.connect_timeout <= 0:
            raise ConfigurationError("DivideBuy timeouts must be positive numbers of seconds.")
        if self.max_attempts < 1:
            raise ConfigurationError("DIVIDEBUY_MAX_ATTEMPTS must be at least 1.")

    def __repr__(self) -> str:
        return (
            f"Settings(client_id={self.client_id!r}, "
            f"client_secret={_redacted(self.client_secret)}, "
            f"environment={self.environment!r}, base_url={self.resolved_base_url!r})"
        )

    @property
    def resolved_base_url(self) -> str:
        """The base URL in use: ``base_url`` if given, else the environment's."""
        url = self.base_url or ENVIRONMENTS[self.environment] or ""
        return url.rstrip("/")

    def require_credentials(self) -> None:
        """Raise a clear error naming each missing credential."""
        missing = [
            PREFIX + f.name.upper()
            for f in fields(self)
            if f.name in ("client_id", "client_secret") and not getattr(self, f.name)
        ]
        if missing:
            raise ConfigurationError(
                f"DivideBuy credentials are missing: set {' and '.join(missing)}."
            )

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any], **overrides: Any) -> Settings:
        """Build from a mapping with ``DIVIDEBUY_``-prefixed keys (env or Flask config).

        Values may be typed or strings (``"7.5"``); each is converted by its key's type.
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = config.get(PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = REGISTRY[PREFIX + f.name.upper()].convert(raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build from ``os.environ`` (or *environ*), keyword overrides winning."""
        return cls.from_mapping(os.environ if environ is None else environ, **overrides)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Build from an app's *config* first, then the environment (the extension's rule)."""
        environ = os.environ if environ is None else environ
        merged: dict[str, Any] = {f"{PREFIX}{f.name.upper()}": None for f in fields(cls)}
        for name in merged:
            if config.get(name) not in (None, ""):
                merged[name] = config[name]
            elif environ.get(name, "") != "":
                merged[name] = environ[name]
        return cls.from_mapping(merged)
