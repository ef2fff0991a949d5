"""Recording a refund's outcome when the shop's database is busy: later, never lost.

DivideBuy has answered (refunded, refused, or no usable answer) and the ledger
must say so, but the database stayed locked past its lock timeout
(:class:`~dividebuy_checkout.store.DatabaseBusy`). The refund row is still
``pending``, so its amount stays reserved and nothing more than is left can be
refunded meanwhile. :class:`LateRecorder` keeps trying the same write in a
background thread, with back-off, until it lands; if the process stops first
the pending row turns ``unknown`` after the ledger's ``stale_after`` and blocks
the order's refunds until an operator confirms it. Either way the ledger
converges with DivideBuy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..store import DatabaseBusy, Ledger, RefundEntry, RefundStatus

__all__ = ["GIVE_UP_AFTER", "LateRecorder"]

log = logging.getLogger("dividebuy_checkout.backoffice")

#: seconds the background writer keeps trying (the pending row turns unknown long before:
#: its write then still lands, since finish_refund accepts an abandoned "unknown")
GIVE_UP_AFTER = 3600.0
#: the longest pause between two background tries
MAX_PAUSE = 30.0


class LateRecorder:
    """Writes ``finish_refund`` in the background after it failed for a busy database.

    *on_recorded* is told each entry once its outcome is written (the service
    signals the shop then).
    """

    def __init__(
        self,
        ledger: Ledger,
        on_recorded: Callable[[RefundEntry], None],
        *,
        give_up_after: float = GIVE_UP_AFTER,
        first_pause: float = 0.5,
    ) -> None:
        self.ledger = ledger
        self.on_recorded = on_recorded
        self.give_up_after = give_up_after
        self.first_pause = first_pause
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def finish(self, refund_id: int, status: RefundStatus, **values: Any) -> RefundEntry | None:
        """``ledger.finish_refund`` now; ``None`` when the database is busy (then retried
        in the background)."""
        try:
            return self.ledger.finish_refund(refund_id, status, **values)
        except DatabaseBusy:
            log.warning(
                "Refund #%s: DivideBuy answered %s but the database is busy; recording it later",
                refund_id,
                status.value,
            )
            self._later(refund_id, status, values)
            return None

    def wait(self, timeout: float) -> bool:
        """Wait up to *timeout* seconds for the background writes; True when all landed."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0))
        return not any(t.is_alive() for t in threads)

    def _later(self, refund_id: int, status: RefundStatus, values: dict[str, Any]) -> None:
        thread = threading.Thread(
            target=self._keep_trying,
            args=(refund_id, status, values),
            name=f"dividebuy-refund-{refund_id}",
            daemon=True,
        )
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _keep_trying(self, refund_id: int, status: RefundStatus, values: dict[str, Any]) -> None:
        deadline = time.monotonic() + self.give_up_after
        pause = self.first_pause
        while time.monotonic() < deadline:
            time.sleep(pause)
            try:
                entry = self.ledger.finish_refund(refund_id, status, **values)
            except DatabaseBusy:
                pause = min(pause * 2, MAX_PAUSE)
                continue
            except Exception:
                log.exception("Refund #%s: recording its outcome failed", refund_id)
                return
            log.info("Refund #%s: its outcome (%s) is recorded now", refund_id, status.value)
            self.on_recorded(entry)
            return
        log.error(
            "Refund #%s: DivideBuy answered %s but the database stayed busy; the ledger will "
            "show it unknown until an operator confirms it",
            refund_id,
            status.value,
        )
