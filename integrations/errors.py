"""Errors of the platform layer, on top of the core's order-source family.

:class:`MappingError` is an :class:`~dividebuy_checkout.orders.OrderNotFinanceable`:
a platform order that breaks one of its own invariants, carries a line type we
do not know, or has money we cannot read is refused rather than misreported.
:class:`PlatformError` is an HTTP-level failure of a platform's API, decoded
from that platform's error envelope; adapters turn it into the core's errors.
"""

from __future__ import annotations

from ..orders import OrderNotFinanceable

__all__ = ["MappingError", "PlatformError"]


class MappingError(OrderNotFinanceable):
    """The platform's order cannot be read as a DivideBuy order; ``reason`` says where."""


class PlatformError(Exception):
    """A platform answered with an error (or nonsense).

    ``status`` is the HTTP status (``None`` when nothing usable came back),
    ``message`` the platform's own message from its error envelope when it had
    one. ``kind`` is ``"status"``, ``"malformed"``, ``"timeout"`` or ``"network"``.
    Never holds a body: platform bodies carry names and addresses.
    """

    def __init__(
        self,
        message: str,
        *,
        platform: str,
        status: int | None = None,
        kind: str = "status",
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.platform = platform
        self.status = status
        self.kind = kind
        self.retry_after = retry_after
        self.request_id = request_id

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status is not None else self.kind
        return f"{self.platform}: {self.message} ({where})"
