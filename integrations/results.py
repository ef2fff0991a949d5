"""What every platform adapter answers besides an order: one definition each, shared.

The three adapters (REC+, DiSeller, Divendo) report the same things in the same shape — a
mapped order with its notes, the result of ``platform check``, the outcome of a status
write-back — so the CLI, the outbox and the tests read them without knowing the platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..orders import Order

__all__ = ["MappedOrder", "PlatformCheck", "StatusWrite"]


@dataclass(frozen=True)
class MappedOrder:
    """The mapped order and the notes on how it was read (no personal data in notes except
    where an operator needs it, such as the country that kept an address out)."""

    order: Order
    notes: tuple[str, ...]


@dataclass(frozen=True)
class StatusWrite:
    """The outcome of a status write-back, for the outbox.

    ``outcome`` is ``"done"``, ``"rejected"`` (the platform refused the value, e.g. a status
    it does not define: resending cannot help) or ``"retry"`` (the platform down, slow, rate
    limiting, refusing the credentials, or a background budget spent: safe to resend, the
    write is idempotent). ``diff``: what the platform says the write changed, when it says
    (REC+'s ``diffOnly`` dry run for ``platform check``).
    """

    outcome: str
    status: int | None
    message: str
    diff: Any = None


@dataclass(frozen=True)
class PlatformCheck:
    """What ``platform check`` reports: whether the credentials can read orders (and, for
    OAuth platforms, whether a token can be had)."""

    ok: bool
    message: str
    status: int | None = None
