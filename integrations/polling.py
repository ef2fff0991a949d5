"""``platform poll``: read the orders DivideBuy financed and act on what the platform says now.

Some platforms tell us nothing (Divendo has no webhooks in its documents), and a webhook can
be lost; so a cron job reads, for every order whose DivideBuy checkout is still "in play", the
order as the platform holds it now, derives :class:`~.events.PlatformEvent` values with the
platform's own **pure** derivation (the same one its webhooks use, where it has them), records
them in the **same inbox** as webhook deliveries (one row per ``(platform, key)``: a second poll
records nothing) and processes what is new with the same :class:`~.events.EventProcessor`.

In play (oldest first, at most ``limit``, created within ``since_days``):

- a ``completed`` checkout whose settlement is not ``settled`` at the ledger, or whose
  refundable balance is above £0.00 (only when the platform derives refunds at all);
- a ``pending`` checkout: an order shipped before DivideBuy finished its checkout is recorded
  with its real shipping date and **deferred** (ADAPTERS.md §1.8), then settled once the
  checkout completes — by ``events process``, or at once by the next poll that reads the order
  (it puts the order's deferred rows back in the queue when it sees the checkout completed).
  Only settlements are recorded for a pending checkout: a refund recorded now would be
  rejected for good, so it waits until the checkout completes.

Several hosts may run the same cron line at once: each order is claimed
(:mod:`dividebuy_checkout.store.claims`, kind ``"poll"``) so it is read once per round. Reads are
sequential, so one poll process never holds more than one platform connection of its own (the
platform's pool cap, e.g. Divendo's five per account, is about processes × pool size; see
docs/platforms.md). A read that fails (the platform down or throttling after the source's own
retries) counts the order as failed and the run goes on; a run stops early, cleanly, when the
credentials are refused (every read would fail) or after :data:`STOP_AFTER_FAILURES` failed
reads in a row (the platform is down: stop spending its connection budget).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, cast

from ..orders import OrderSource, OrderSourceError, OrderSourceUnavailable
from ..settings import ConfigurationError
from ..store import (
    CheckoutRecord,
    CheckoutStatus,
    CheckoutStore,
    Ledger,
    SettlementStatus,
    fold_balance,
)
from ..store.claims import ClaimRound, WorkClaims, claimed, round_for
from ..store.inbox import EventStatus, PlatformInbox
from .assumptions import POLL_LIMIT, POLL_SINCE_DAYS, POLL_STOP_AFTER_FAILURES
from .events import EventKind, EventProcessor, PlatformEvent

__all__ = [
    "CLAIM_KIND",
    "DEFAULT_LIMIT",
    "DEFAULT_SINCE_DAYS",
    "NOT_POLLED",
    "POLL_PLATFORMS",
    "STOP_AFTER_FAILURES",
    "Derive",
    "PollReport",
    "Poller",
    "RawOrderSource",
    "build_poller",
    "due_checkouts",
    "poll",
]

log = logging.getLogger("dividebuy_checkout.integrations.polling")

#: the kind of work claimed in ``dividebuy_work_claims`` (item key ``"<platform>:<order id>"``)
CLAIM_KIND = "poll"
#: orders read per run by default, and the age of the oldest checkout read; a run stops after
#: this many failed reads in a row (assumptions.py says why)
DEFAULT_LIMIT = POLL_LIMIT
DEFAULT_SINCE_DAYS = POLL_SINCE_DAYS
STOP_AFTER_FAILURES = POLL_STOP_AFTER_FAILURES

_IN_PLAY = (CheckoutStatus.PENDING, CheckoutStatus.COMPLETED)


class RawOrderSource(Protocol):
    """What the poll reads orders through: the platform's own order source (and so its client,
    its connection pool and its retries). ``fetch`` gives the platform's JSON, ``None`` for an
    unknown order, and raises :class:`~dividebuy_checkout.orders.OrderSourceError`."""

    def fetch(self, order_id: str) -> Mapping[str, Any] | None: ...


#: a platform's pure derivation: the order as fetched, the time it was read → its events
Derive = Callable[[Mapping[str, Any], datetime], list[PlatformEvent]]


class _PollStore(CheckoutStore, Ledger, Protocol):
    """The store the poll reads: checkouts and the ledger (``SqlStore`` is both)."""


@dataclass
class PollReport:
    """What one poll run did (the CLI prints it; ``--json`` as :meth:`to_dict`)."""

    platform: str
    #: checkouts in play before the limit and the claims
    due: int = 0
    #: orders read from the platform
    read: int = 0
    #: events derived, recorded new, and already recorded
    derived: int = 0
    recorded: int = 0
    duplicates: int = 0
    #: deferred rows put back in the queue because their checkout has completed
    requeued: int = 0
    #: inbox rows processed, by the status each ended in
    outcomes: dict[str, int] = field(default_factory=dict)
    #: orders the platform no longer knows (404): nothing derived
    missing: list[str] = field(default_factory=list)
    #: orders that could not be read or understood: ``(order id, operator-facing reason)``
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: why the run stopped before its end, else ``None``
    stopped: str | None = None

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())

    @property
    def ok(self) -> bool:
        """Every due order read and nothing failed (the CLI's exit status 0)."""
        return not self.failed and self.stopped is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "due": self.due,
            "read": self.read,
            "derived": self.derived,
            "recorded": self.recorded,
            "duplicates": self.duplicates,
            "requeued": self.requeued,
            "processed": self.processed,
            "outcomes": dict(self.outcomes),
            "missing": list(self.missing),
            "failed": [{"order_id": o, "reason": r} for o, r in self.failed],
            "stopped": self.stopped,
        }


def _remaining(credit_amount: Decimal, refunds: Iterable[Any]) -> Decimal:
    """Refundable balance from the order's refund rows (as the ledger folds them)."""
    return fold_balance(credit_amount, refunds).remaining


def due_checkouts(
    store: _PollStore, *, since: datetime, refunds: bool = True
) -> list[CheckoutRecord]:
    """Live checkouts in play created at or after *since*, oldest first (module docstring).

    Settlements and refunds are read in batches (one query per 500 orders), not per order.
    """
    live = [r for r in store.with_status(*_IN_PLAY) if r.created_at >= since and r.live]
    completed = [r.order_id for r in live if r.status is CheckoutStatus.COMPLETED]
    settlements = store.settlements_for(completed)
    refund_rows = store.refunds_by_order(completed) if refunds else {}
    due: list[CheckoutRecord] = []
    for record in live:
        settlement = settlements.get(record.order_id)
        unsettled = settlement is None or settlement.status is not SettlementStatus.SETTLED
        refundable = refunds and _remaining(
            record.credit_amount, refund_rows.get(record.order_id, [])
        ) > Decimal("0.00")
        if record.status is CheckoutStatus.PENDING or unsettled or refundable:
            due.append(record)
    due.sort(key=lambda r: (r.created_at, r.quote_id))
    return due


def poll(
    platform: str,
    source: RawOrderSource,
    derive: Derive,
    store: _PollStore,
    inbox: PlatformInbox,
    processor: EventProcessor,
    *,
    limit: int = DEFAULT_LIMIT,
    since_days: int = DEFAULT_SINCE_DAYS,
    refunds: bool = True,
    claims: WorkClaims | None = None,
    clock: Callable[[], datetime] | None = None,
) -> PollReport:
    """Read up to *limit* orders in play, record what they ask for, process it (docstring above).

    *refunds* false: the platform is configured to derive no refunds, so settled orders are
    not read at all. *claims*: the claims to split the work with other hosts (default: the
    store's database; none for a store that is not SQL).
    """
    now = clock or (lambda: datetime.now(UTC))
    report = PollReport(platform)
    # the round starts before the list is read (as reconcile's): an overlapping run that
    # finished an order since is seen, and that order is left alone
    round_: ClaimRound | None = (
        claims.round(CLAIM_KIND) if claims is not None else round_for(store, CLAIM_KIND)
    )
    due = due_checkouts(store, since=now() - timedelta(days=since_days), refunds=refunds)
    report.due = len(due)
    failures_in_a_row = 0
    for listed in claimed(round_, due, lambda r: f"{platform}:{r.order_id}", limit=limit):
        # as it is now: an overlapping run or a shopper may have moved it since the list
        record = store.live_for_order(listed.order_id)
        if record is None or record.status not in _IN_PLAY:
            continue
        try:
            raw = source.fetch(record.order_id)
        except OrderSourceError as exc:
            reason = exc.detail or exc.message
            report.failed.append((record.order_id, reason))
            log.warning("poll: %s order %s not read: %s", platform, record.order_id, reason)
            if isinstance(exc, OrderSourceUnavailable) and exc.config_problem:
                report.stopped = f"the platform refused the credentials: {reason}"
                break
            failures_in_a_row += 1
            if failures_in_a_row >= STOP_AFTER_FAILURES:
                report.stopped = (
                    f"stopped after {failures_in_a_row} failed reads in a row; "
                    "the rest waits for the next run"
                )
                break
            continue
        failures_in_a_row = 0
        report.read += 1
        if raw is None:
            report.missing.append(record.order_id)
            log.warning(
                "poll: %s no longer has order %s (DivideBuy checkout %s is %s)",
                platform,
                record.order_id,
                record.quote_id,
                record.status.value,
            )
            continue
        _act(report, record, raw, derive, now(), inbox, processor, platform)
    return report


def _act(
    report: PollReport,
    record: CheckoutRecord,
    raw: Mapping[str, Any],
    derive: Derive,
    observed_at: datetime,
    inbox: PlatformInbox,
    processor: EventProcessor,
    platform: str,
) -> None:
    """Record and process what one order, as read, asks for."""
    try:
        events = derive(raw, observed_at)
    except Exception as exc:  # a body the derivation cannot read: this order only
        log.warning("poll: %s order %s could not be read: %s", platform, record.order_id, exc)
        report.failed.append((record.order_id, f"the order's state could not be read: {exc}"))
        return
    if record.status is CheckoutStatus.PENDING:
        # a refund recorded now would be rejected for good: derived again once completed
        events = [e for e in events if e.kind is EventKind.SETTLE]
    report.derived += len(events)
    ids: list[int] = []
    for event in events:
        entry = event.record(inbox)
        if entry is None:
            report.duplicates += 1
        else:
            report.recorded += 1
            ids.append(entry.id)
    if record.status is CheckoutStatus.COMPLETED:
        # settlements recorded while the checkout was pending wait 15 minutes between tries:
        # the checkout is completed now, so they go now
        deferred = inbox.events([EventStatus.DEFERRED], platform=platform, order_id=record.order_id)
        for waiting in deferred:
            again = inbox.retry_event(waiting.id)
            if again is not None:
                report.requeued += 1
                ids.append(again.id)
    if not ids:
        return
    run = processor.process_due(ids=ids, limit=len(ids))
    for status, count in run.counts.items():
        report.outcomes[status] = report.outcomes.get(status, 0) + count


# -- the platforms that can be polled ------------------------------------------------------------


@dataclass
class Poller:
    """One platform's side of a poll: its order source (reads) and its pure derivation."""

    name: str
    source: RawOrderSource
    derive: Derive
    #: false when the platform's settings derive no refunds: settled orders are not read
    refunds: bool = True
    #: the poller built its source (so closes it); else it is the deployment's own
    owned: bool = True

    def close(self) -> None:
        """Close the source if the poller built it (the app's own source stays open)."""
        close = getattr(self.source, "close", None) if self.owned else None
        if callable(close):
            close()


def _divendo(config: Mapping[str, Any], source: OrderSource | None) -> Poller:
    from .divendo import DivendoConfig, DivendoOrderSource
    from .divendo.poll import events_from_order

    settings = DivendoConfig.from_mapping(config)
    owned = not isinstance(source, DivendoOrderSource)
    reader = DivendoOrderSource.from_config(settings) if owned else source
    refunds = bool(settings.refund_cancelled_lines or settings.refund_statuses)
    return Poller(
        "divendo",
        cast(RawOrderSource, reader),
        lambda raw, _observed: events_from_order(raw, settings),
        refunds,
        owned,
    )


def _recplus(config: Mapping[str, Any], source: OrderSource | None) -> Poller:
    # REC+ sends webhooks; polling is the fallback for a lost one (ADAPTERS.md §1.10): the
    # same re-read and the same derivation as its webhooks, so the same keys are recorded
    from .recplus import RecPlusConfig, RecPlusOrderSource
    from .recplus.webhooks import events_from_order

    settings = RecPlusConfig.from_mapping(config)
    owned = not isinstance(source, RecPlusOrderSource)
    reader = RecPlusOrderSource.from_config(settings) if owned else source
    return Poller(
        "recplus",
        cast(RawOrderSource, reader),
        lambda raw, observed: events_from_order(raw, settings, observed),
        bool(settings.refund_statuses),
        owned,
    )


#: platform name → factory of its poller from the config and the deployment's order source
#: (reused when it is that platform's, so the poll shares its connection pool)
POLL_PLATFORMS: dict[str, Callable[[Mapping[str, Any], OrderSource | None], Poller]] = {
    "divendo": _divendo,
    "recplus": _recplus,
}

#: platforms that exist but are not polled, and why
NOT_POLLED: dict[str, str] = {
    "diseller": "DiSeller sends signed webhooks for settlements and refunds "
    "(docs/platforms.md); there is nothing to poll",
}


def build_poller(name: str, config: Mapping[str, Any], source: OrderSource | None) -> Poller:
    """The poller of platform *name*; :class:`ConfigurationError` (one clear line) otherwise."""
    key = (name or "").strip().lower()
    factory = POLL_PLATFORMS.get(key)
    if factory is not None:
        return factory(config, source)
    if key in NOT_POLLED:
        raise ConfigurationError(f"--source {key}: {NOT_POLLED[key]}.")
    choices = ", ".join(sorted(POLL_PLATFORMS))
    raise ConfigurationError(f"--source must be one of {choices}, not {name!r}.")
