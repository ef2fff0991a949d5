"""What a platform's webhook side holds and how it answers the write-back's question.

REC+ and DiSeller each pair their configuration with an order source and a clock for
:class:`~.webhooks.WebhookIntake`, and both let their configuration decide which status a
checkout transition writes (:class:`~.writeback.StatusWriteBack` asks ``status_for``).
The authentication, the media types and the events stay each platform's own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

__all__ = ["WebhookSide"]


class _WriteStatuses(Protocol):
    def status_for(self, trigger: str) -> str | None: ...


ConfigT = TypeVar("ConfigT", bound=_WriteStatuses)
SourceT = TypeVar("SourceT")


class WebhookSide(Generic[ConfigT, SourceT]):
    """A platform's configuration, order source and clock (``clock`` fixes "now" in tests)."""

    def __init__(
        self,
        config: ConfigT,
        source: SourceT,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.source = source
        self._clock = clock or (lambda: datetime.now(UTC))

    def status_for(self, trigger: str) -> str | None:
        """The status to write to the order after *trigger* (``None``: nothing written)."""
        return self.config.status_for(trigger)
