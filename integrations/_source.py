"""What every platform's order source does the same way with a platform's failure.

REC+, DiSeller and Divendo each refuse credentials with their own words, but what the
checkout does about a refusal is one rule, kept here so the three cannot drift apart:

- a read that the platform refuses for the credentials (``refusals``: status → what to fix)
  is an :class:`~dividebuy_checkout.orders.OrderSourceUnavailable` marked
  ``config_problem`` (the operator must act; retrying cannot help);
- any other failure is unavailable for now, carrying the platform's ``Retry-After``;
- a status write-back never raises: a refusal of the credentials or a transient failure
  says "retry" (the write is idempotent), any other 4xx but 429 says "rejected" (the
  platform refused the value; resending cannot help).

:class:`ClosingSource` gives each source the same ``with`` support around its ``close``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import TracebackType
from typing import Self

from ..orders import OrderSourceUnavailable
from .errors import PlatformError
from .results import StatusWrite

__all__ = ["ClosingSource", "is_refusal", "read_failure", "write_failure"]


def is_refusal(status: int | None) -> bool:
    """A 4xx the platform means for this request (not 429, which is "later, please")."""
    return status is not None and 400 <= status < 500 and status != 429


def read_failure(
    exc: PlatformError,
    *,
    platform: str,
    order_id: str | None,
    refusals: Mapping[int, str],
    detail: str | None = None,
) -> OrderSourceUnavailable:
    """The error a failed read raises: a configuration problem for a refused credential,
    else unavailable for now (``detail`` replaces the platform's words when given)."""
    if exc.status is not None and exc.status in refusals:
        return OrderSourceUnavailable(
            detail=refusals[exc.status],
            platform=platform,
            order_id=order_id,
            config_problem=True,
            status=exc.status,
        )
    return OrderSourceUnavailable(
        detail=str(exc) if detail is None else detail,
        platform=platform,
        order_id=order_id,
        retry_after=exc.retry_after,
        status=exc.status,
    )


def write_failure(exc: PlatformError, *, refusals: Mapping[int, str]) -> StatusWrite:
    """The outcome of a status write the platform failed (see the module docstring)."""
    if exc.status is not None and exc.status in refusals:
        return StatusWrite("retry", exc.status, refusals[exc.status])
    if is_refusal(exc.status):
        return StatusWrite("rejected", exc.status, exc.message)
    return StatusWrite("retry", exc.status, str(exc))


class ClosingSource(ABC):
    """``with source: …`` closes the source's connections however the block ends."""

    @abstractmethod
    def close(self) -> None:
        """Close the source's connections (each platform's client closes its own)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
