"""What a shop platform asks of DivideBuy: :class:`PlatformEvent`, and its processing.

Platforms differ in how they tell us (REC+ webhooks that must be re-read, signed
DiSeller webhooks, Divendo polling) but all of them boil down to the same few
actions on an order: settle it, refund some or all of it, or note a
cancellation. Each platform module derives :class:`PlatformEvent` values; the
inbox (:class:`~dividebuy_checkout.store.inbox.PlatformInbox`) records each once
per ``(platform, key)``; :class:`EventProcessor` turns a recorded row into a
:class:`~dividebuy_checkout.backoffice.BackOfficeService` call with retries and
back-off. A refund whose outcome is unknown stops at ``needs_operator`` and is
never sent again (the ledger blocks the order until ``refund-confirm``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .. import events as core_events
from ..backoffice import BackOfficeService
from ..backoffice.errors import (
    CheckoutNotFound,
    InvalidAmount,
    NothingToRefund,
    OrderNotCompleted,
    RefundBlocked,
    RefundExceedsRemaining,
    RefundFailed,
    RefundOutcomeUnknown,
)
from ..backoffice.reports import SettlementResult
from ..errors import (
    DivideBuyError,
    MalformedResponseError,
    RateLimitedError,
    ServiceUnavailableError,
)
from ..events import Notify
from ..store import CheckoutStatus
from ..store.inbox import EventStatus, InboxEntry, PlatformInbox
from .assumptions import (
    EVENT_DEFER_EVERY,
    EVENT_DEFER_FOR,
    EVENT_LEASE,
    EVENT_MAX_ATTEMPTS,
    EVENT_RETRY_CAP,
    EVENT_RETRY_FIRST,
)

__all__ = [
    "EventKind",
    "EventProcessor",
    "PlatformEvent",
    "ProcessRun",
    "backoff",
]

log = logging.getLogger("dividebuy_checkout.integrations.events")


class EventKind(StrEnum):
    """The action a platform event asks for."""

    SETTLE = "settle"
    REFUND = "refund"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class PlatformEvent:
    """One action a platform asked for, before it is recorded.

    ``key`` is unique per platform and action (``"settle:112312"``): the same
    action delivered again derives the same key, so it is recorded once.
    ``amount`` is pounds for a refund (``None``: all that is left);
    ``delivered_on`` the UK date a settlement reports.
    """

    platform: str
    key: str
    kind: EventKind
    order_id: str
    amount: Decimal | None = None
    delivered_on: date | None = None
    platform_ref: str | None = None
    delivery_id: str | None = None
    note: str | None = None

    def record(self, inbox: PlatformInbox) -> InboxEntry | None:
        """Record this event once; ``None`` when it is a duplicate."""
        return inbox.record(
            self.platform,
            self.key,
            self.kind.value,
            self.order_id,
            amount=self.amount,
            delivered_on=self.delivered_on,
            platform_ref=self.platform_ref,
            delivery_id=self.delivery_id,
            note=self.note,
        )


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 1 minute doubling, capped at 6 hours."""
    factor: int = 2 ** max(attempts - 1, 0)  # typed: int ** int is Any to mypy
    return min(EVENT_RETRY_FIRST * factor, EVENT_RETRY_CAP)


@dataclass
class ProcessRun:
    """What one processing pass did: row counts by the status each row ended in."""

    counts: dict[str, int] = field(default_factory=dict)
    #: rows another host finished first (lease lost)
    lost: int = 0

    def add(self, status: EventStatus) -> None:
        self.counts[status.value] = self.counts.get(status.value, 0) + 1

    @property
    def processed(self) -> int:
        return sum(self.counts.values())

    @property
    def left(self) -> int:
        """Rows that still need another pass (failed or deferred)."""
        return self.counts.get("failed", 0) + self.counts.get("deferred", 0)

    def to_dict(self) -> dict[str, Any]:
        return {"processed": self.processed, "lost": self.lost, **self.counts}


@dataclass(frozen=True)
class _Outcome:
    status: EventStatus
    note: str | None = None
    refund_id: int | None = None
    retry_in: timedelta | None = None


def _retryable(exc: BaseException | None) -> bool:
    """A DivideBuy failure where nothing was made and a later try may work."""
    if isinstance(exc, MalformedResponseError):
        return False
    return isinstance(exc, RateLimitedError | ServiceUnavailableError)


class EventProcessor:
    """Turns recorded platform events into back-office actions (settle, refund)."""

    def __init__(
        self,
        inbox: PlatformInbox,
        backoffice: BackOfficeService,
        *,
        notify: Notify = core_events.ignore,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.inbox = inbox
        self.backoffice = backoffice
        self.notify = notify
        self._clock = clock or (lambda: datetime.now(UTC))

    def process_due(
        self, *, limit: int = 50, platform: str | None = None, ids: list[int] | None = None
    ) -> ProcessRun:
        """Claim and process up to *limit* due rows (or the given *ids*)."""
        run = ProcessRun()
        owner, entries = self.inbox.claim_events(
            lease=EVENT_LEASE, limit=limit, platform=platform, ids=ids, now=self._clock()
        )
        for entry in entries:
            status = self._process(entry, owner)
            if status is None:
                run.lost += 1
            else:
                run.add(status)
        return run

    def _process(self, entry: InboxEntry, owner: str) -> EventStatus | None:
        try:
            outcome = self._decide(entry)
        except Exception as exc:  # a bug or an outage: keep the row, try later
            log.exception("platform event %s (%s) could not be processed", entry.id, entry.kind)
            outcome = _Outcome(EventStatus.FAILED, f"{type(exc).__name__}: processing failed")
        now = self._clock()
        status = outcome.status
        note = outcome.note
        retry_at: datetime | None = None
        if status is EventStatus.FAILED:
            if entry.attempts + 1 >= EVENT_MAX_ATTEMPTS:
                status = EventStatus.REJECTED
                note = f"gave up after {entry.attempts + 1} attempts: {note}"
            else:
                retry_at = now + (outcome.retry_in or backoff(entry.attempts + 1))
        elif status is EventStatus.DEFERRED:
            if now - entry.received_at > EVENT_DEFER_FOR:
                status = EventStatus.REJECTED
                note = f"still not completed at DivideBuy after {EVENT_DEFER_FOR.days} days: {note}"
            else:
                retry_at = now + EVENT_DEFER_EVERY
        if not self.inbox.finish_event(
            entry,
            owner,
            status,
            note=note,
            next_attempt_at=retry_at,
            refund_id=outcome.refund_id,
            now=now,
        ):
            return None
        log.info(
            "platform event %s %s order %s: %s",
            entry.platform,
            entry.kind,
            entry.order_id,
            status.value,
        )
        self._signal(entry, status, note)
        return status

    def _signal(self, entry: InboxEntry, status: EventStatus, note: str | None) -> None:
        event = (
            core_events.PLATFORM_EVENT_REJECTED
            if status in (EventStatus.REJECTED, EventStatus.NEEDS_OPERATOR)
            else core_events.PLATFORM_EVENT_PROCESSED
        )
        try:
            self.notify(
                event,
                platform=entry.platform,
                order_id=entry.order_id,
                event_key=entry.event_key,
                outcome=status.value,
                reason=note,
            )
        except Exception:
            log.exception("a listener failed on %s; the event stays recorded", event)

    # -- the decision table (ADAPTERS.md §1.8) ---------------------------------------------

    def _decide(self, entry: InboxEntry) -> _Outcome:
        record = self.backoffice.store.live_for_order(entry.order_id)
        if record is None:
            return _Outcome(EventStatus.IGNORED, "not a DivideBuy order")
        if entry.kind == EventKind.CANCELLED:
            return _Outcome(EventStatus.DONE, "cancellation noted; nothing sent to DivideBuy")
        if record.status is CheckoutStatus.PENDING and entry.kind == EventKind.SETTLE:
            return _Outcome(EventStatus.DEFERRED, "the DivideBuy checkout is still pending")
        if entry.kind == EventKind.SETTLE:
            return self._settle(entry)
        if entry.kind == EventKind.REFUND:
            return self._refund(entry)
        return _Outcome(EventStatus.REJECTED, f"unknown event kind {entry.kind!r}")

    def _settle(self, entry: InboxEntry) -> _Outcome:
        today = self.backoffice.today()
        day = min(entry.delivered_on or today, today)
        try:
            report = self.backoffice.settle([entry.order_id], day)
        except DivideBuyError as exc:
            return _Outcome(EventStatus.FAILED, f"DivideBuy failed: {type(exc).__name__}")
        outcome = report.outcomes[0] if report.outcomes else None
        if outcome is None:
            return _Outcome(EventStatus.FAILED, "no settlement outcome")
        if outcome.outcome in (SettlementResult.SETTLED, SettlementResult.ALREADY_SETTLED):
            return _Outcome(EventStatus.DONE, f"{outcome.outcome.value} on {day.isoformat()}")
        if outcome.outcome is SettlementResult.REJECTED:
            return _Outcome(EventStatus.REJECTED, outcome.reason)
        return _Outcome(EventStatus.FAILED, outcome.reason)

    def _refund(self, entry: InboxEntry) -> _Outcome:
        try:
            refund = self.backoffice.refund(entry.order_id, entry.amount)
        except CheckoutNotFound:
            return _Outcome(EventStatus.IGNORED, "not a DivideBuy order")
        except OrderNotCompleted as exc:
            return _Outcome(
                EventStatus.REJECTED, f"refunded on the platform but not refundable here: {exc}"
            )
        except NothingToRefund as exc:
            if entry.amount is None:  # a repeated "refund all" is a no-op
                return _Outcome(EventStatus.DONE, "nothing left to refund")
            return _Outcome(EventStatus.REJECTED, str(exc))
        except (RefundExceedsRemaining, RefundBlocked, InvalidAmount) as exc:
            return _Outcome(EventStatus.REJECTED, str(exc))
        except RefundOutcomeUnknown as exc:
            # Never resent: the ledger blocks the order until an operator confirms it.
            return _Outcome(EventStatus.NEEDS_OPERATOR, str(exc), refund_id=exc.entry.id)
        except RefundFailed as exc:
            if _retryable(exc.cause):
                return _Outcome(EventStatus.FAILED, str(exc), refund_id=exc.entry.id)
            return _Outcome(EventStatus.REJECTED, str(exc), refund_id=exc.entry.id)
        return _Outcome(EventStatus.DONE, f"refunded {refund.amount}", refund_id=refund.id)
