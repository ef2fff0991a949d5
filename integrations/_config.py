"""The settings every platform adapter reads the same way: text, name lists, choices, and
the opt-in status write-back (which checkout transition writes which setting's status).

Each platform keeps its own ``DIVIDEBUY_<PLATFORM>_`` prefix and its own settings; what is
here is only the reading rule the adapters share, so a list or a choice is parsed, and a
bad one named, alike on every platform.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..settings import ConfigurationError

__all__ = ["choice", "names", "status_for", "text", "write_statuses", "write_triggers"]


def text(raw: Any) -> str | None:
    """The setting's text stripped, or ``None`` when unset or blank."""
    return None if raw is None or not str(raw).strip() else str(raw).strip()


def names(raw: Any, prefix: str, key: str) -> tuple[str, ...] | None:
    """``None`` (not set) or the non-blank items of a list or comma-separated string."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        items: list[str] = raw.split(",")
    elif isinstance(raw, list | tuple | set | frozenset):
        items = [str(item) for item in raw]
    else:
        raise ConfigurationError(
            f"{prefix}{key} must be a list or a comma-separated string.", key=prefix + key
        )
    return tuple(item.strip() for item in items if item.strip())


def choice(raw: Any, prefix: str, key: str, choices: tuple[str, ...]) -> str:
    """One of *choices* (case-insensitive; unset is the first), or a field-level error."""
    value = (text(raw) or choices[0]).lower()
    if value not in choices:
        raise ConfigurationError(
            f"{prefix}{key} must be one of {', '.join(choices)}, not {value!r}.", key=prefix + key
        )
    return value


def write_triggers(setting_prefix: str) -> dict[str, str]:
    """The checkout transition → the setting (``<setting_prefix>PAID``…) whose status is
    written to the order; the three failures of the finance share one setting."""
    return {
        "quote_created": f"{setting_prefix}PENDING_FINANCE",
        "quote_completed": f"{setting_prefix}PAID",
        "order_on_hold": f"{setting_prefix}ON_HOLD",
        "quote_cancelled": f"{setting_prefix}FINANCE_FAILED",
        "quote_declined": f"{setting_prefix}FINANCE_FAILED",
        "quote_expired": f"{setting_prefix}FINANCE_FAILED",
    }


def write_statuses(get: Callable[[str], Any], triggers: Mapping[str, str]) -> dict[str, str | None]:
    """Each write-back setting named in *triggers* → its status (``None``: not written)."""
    return {key: text(get(key)) for key in sorted(set(triggers.values()))}


def status_for(
    trigger: str, triggers: Mapping[str, str], statuses: Mapping[str, str | None]
) -> str | None:
    """The status to write after *trigger*, or ``None`` (no setting for it, or unset)."""
    key = triggers.get(trigger)
    return statuses.get(key) if key else None
