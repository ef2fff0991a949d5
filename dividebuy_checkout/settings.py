"""One settings object, filled from keyword arguments, the environment or Flask config.

The same names work everywhere (``DIVIDEBUY_CLIENT_ID`` in the environment is
``DIVIDEBUY_CLIENT_ID`` in ``app.config``), so a shop moves between a script, a
worker and a Flask app without renaming anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

#: Base URLs of the environments in ``shared/WIRE.md``. ``local`` has none: the
#: project's own sandbox runs on a loopback port chosen at start-up, so it is
#: always given with ``base_url``.
ENVIRONMENTS: dict[str, str | None] = {
    "live": "https://api.dividebuy.co.uk",
    "sandbox": "https://api.dividebuysandbox.co.uk",
    "local": None,
}

PREFIX = "DIVIDEBUY_"


class ConfigurationError(RuntimeError):
    """A setting is missing or has a value that cannot work. Raised at start-up."""


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

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            names = ", ".join(ENVIRONMENTS)
            raise ConfigurationError(
                f"DIVIDEBUY_ENVIRONMENT must be one of {names}, not {self.environment!r}."
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
        """Build from a mapping with ``DIVIDEBUY_``-prefixed keys (env or Flask config)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = config.get(PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, raw, f.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build from ``os.environ`` (or *environ*), keyword overrides winning."""
        return cls.from_mapping(os.environ if environ is None else environ, **overrides)


def _coerce(name: str, raw: Any, annotation: Any) -> Any:
    kind = str(annotation)
    try:
        if kind == "float":
            return float(raw)
        if kind == "int":
            return int(raw)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{PREFIX}{name.upper()} must be a number, not {raw!r}.") from None
    return str(raw)
