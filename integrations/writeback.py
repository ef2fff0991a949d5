"""Status write-back to a shop platform (the outbox), after each checkout transition.

:class:`StatusWriteBack` is a listener (``notify(event, **payload)``): for a
checkout event whose trigger has a configured platform status, it queues the
write in the outbox (:class:`~dividebuy_checkout.store.inbox.PlatformInbox`) and
attempts it at once on a background thread, so a slow or failing platform never
blocks, delays or undoes the transition that was just recorded. What did not go
through is retried by ``events process`` (:meth:`StatusWriteBack.process_due`)
with the inbox's back-off; a value the platform refuses (a status it does not
define) is ``gave_up`` with the platform's message for the operator. A later
transition's write supersedes an unfinished earlier one, so an old status is
never written over a newer one. Writing the same status twice is harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ..store.inbox import PlatformInbox, WriteEntry, WriteStatus
from .assumptions import EVENT_LEASE, EVENT_MAX_ATTEMPTS
from .events import backoff

__all__ = ["StatusWriteBack", "StatusWriter", "WriteRun"]

log = logging.getLogger("dividebuy_checkout.integrations.writeback")


class _Write(Protocol):
    outcome: str
    message: str


class StatusWriter(Protocol):
    """A platform's write-back (REC+: :class:`.recplus.webhooks.RecPlusWebhooks`)."""

    name: str

    def status_for(self, trigger: str) -> str | None: ...

    def write_status(self, order_id: str, value: str) -> Any: ...


@dataclass
class WriteRun:
    """What one pass over the outbox did."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, status: WriteStatus) -> None:
        self.counts[status.value] = self.counts.get(status.value, 0) + 1

    @property
    def left(self) -> int:
        return self.counts.get("failed", 0)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.counts)


class StatusWriteBack:
    """Queue and send status writes for one platform; call it as a listener."""

    def __init__(
        self,
        writer: StatusWriter,
        inbox: PlatformInbox,
        *,
        immediate: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.writer = writer
        self.inbox = inbox
        self.immediate = immediate
        self._clock = clock or (lambda: datetime.now(UTC))
        self._threads: list[threading.Thread] = []
        self._threads_lock = threading.Lock()

    def __call__(self, event: str, /, **payload: Any) -> None:
        """The listener: a checkout event with a configured status queues a write."""
        value = self.writer.status_for(event)
        record = payload.get("record")
        order_id = getattr(record, "order_id", None)
        if not value or not order_id:
            return
        try:
            entry = self.inbox.enqueue_write(self.writer.name, str(order_id), event, value)
        except Exception:
            log.exception("could not queue the %s status write for an order", self.writer.name)
            return
        if self.immediate:
            thread = threading.Thread(
                target=self._attempt_quietly,
                args=(entry.id,),
                name=f"dividebuy-writeback-{entry.id}",
                daemon=True,
            )
            with self._threads_lock:
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()

    def wait(self, timeout: float = 30.0) -> None:
        """Wait for the immediate attempts started so far (tests, a clean shutdown)."""
        with self._threads_lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

    def _attempt_quietly(self, write_id: int) -> None:
        try:
            self.process_due(ids=[write_id])
        except Exception:
            log.exception("status write-back attempt failed; events process will retry it")

    def process_due(self, *, limit: int = 50, ids: list[int] | None = None) -> WriteRun:
        """Claim and send due writes (or the given *ids*)."""
        run = WriteRun()
        owner, entries = self.inbox.claim_writes(
            lease=EVENT_LEASE, limit=limit, platform=self.writer.name, ids=ids, now=self._clock()
        )
        for entry in entries:
            status = self._send(entry, owner)
            if status is not None:
                run.add(status)
        return run

    def _send(self, entry: WriteEntry, owner: str) -> WriteStatus | None:
        result: _Write = self.writer.write_status(entry.order_id, entry.value)
        now = self._clock()
        retry_at = None
        if result.outcome == "done":
            status, error = WriteStatus.DONE, None
        elif result.outcome == "rejected":
            status, error = WriteStatus.GAVE_UP, result.message
        elif entry.attempts + 1 >= EVENT_MAX_ATTEMPTS:
            status, error = WriteStatus.GAVE_UP, f"gave up: {result.message}"
        else:
            status, error = WriteStatus.FAILED, result.message
            retry_at = now + backoff(entry.attempts + 1)
        if not self.inbox.finish_write(
            entry, owner, status, error=error, next_attempt_at=retry_at, now=now
        ):
            return None
        if status is not WriteStatus.DONE:
            log.warning(
                "%s status write for order %s (%s): %s",
                self.writer.name,
                entry.order_id,
                entry.trigger,
                status.value,
            )
        return status
