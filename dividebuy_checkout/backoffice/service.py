"""``BackOfficeService``: settle delivered orders and refund returns, never twice.

Framework-free: the CLI, the Flask endpoints and the example shop's page all
call this one object, so every path has the same checks and the same ledger.

*Settlement* looks each order up in the store (its DivideBuy order id and
references come from the completed quote), refuses what cannot be right
(not completed, delivered in the future or before the order was placed, the
same order twice), skips what is already settled with the same date, and
sends the rest ``chunk_size`` orders per request.

*Refunds* go through the ledger: reserve under a lock, call DivideBuy outside
it, record what DivideBuy answered. See :mod:`dividebuy_checkout.store.ledger`.

The service is typed against the store protocols (:mod:`dividebuy_checkout.store.base`)
and tells the shop what happened through the one event contract
(:mod:`dividebuy_checkout.events`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import events
from ..client import DivideBuyClient
from ..config import declare, setting
from ..dates import parse_iso_date
from ..errors import (
    DivideBuyError,
    MalformedResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RequestValidationError,
    ServiceUnavailableError,
)
from ..events import Notify
from ..models import SettlementOrder
from ..money import MoneyError, MoneyLike, format_gbp, to_money
from ..store import (
    CheckoutRecord,
    CheckoutStatus,
    CheckoutStore,
    DatabaseBusy,
    ExceedsRemaining,
    Ledger,
    NoSuchRefund,
    NothingLeft,
    RefundEntry,
    RefundNotUnknown,
    RefundsBlocked,
    RefundStatus,
    SettlementClaim,
    SettlementStatus,
    fold_balance,
)
from .csv_import import RowError, SettleRow
from .errors import (
    CheckoutNotFound,
    DatabaseBusyError,
    InvalidAmount,
    NothingToRefund,
    OrderNotCompleted,
    RefundBlocked,
    RefundExceedsRemaining,
    RefundFailed,
    RefundNotConfirmable,
    RefundNotFound,
    RefundNotRecorded,
    RefundOutcomeUnknown,
)
from .recording import LateRecorder
from .reports import OrderStatus, SettlementOutcome, SettlementReport, SettlementResult

__all__ = ["DEFAULT_CHUNK_SIZE", "BackOfficeService"]

log = logging.getLogger("dividebuy_checkout.backoffice")

#: Orders per settlement request. DivideBuy documents no limit; 100 keeps a
#: request small (≈15 kB) and limits what one bad row can hold up, since
#: DivideBuy refuses a whole batch when any row is bad.
DEFAULT_CHUNK_SIZE = 100

# declared here, beside its default, not in the Flask part: the console CLI's ``settle``
# reads it through the same registry without importing Flask
declare(
    "backoffice",
    {
        "DIVIDEBUY_SETTLEMENT_CHUNK_SIZE": setting(
            DEFAULT_CHUNK_SIZE,
            "orders per DivideBuy settlement request (the back-office endpoint and `settle`)",
            minimum=1,
        ),
    },
)
#: Delivery dates and order dates are UK calendar days.
UK: tzinfo
try:
    UK = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # pragma: no cover - no tz database on this machine
    UK = UTC

_BATCH_ERROR_KEY = re.compile(r"^orders\.(\d+)\.(.+)$")


_NOT_COMPLETED_HINTS = {
    CheckoutStatus.PENDING: "the shopper has not finished at DivideBuy yet (or the shop has not "
    "heard). Only a completed order can be settled or refunded.",
    CheckoutStatus.ON_HOLD: "DivideBuy completed it, but it must not mark the order paid as it "
    "stands (see its hold reason). Resolve it with `resolve-hold ORDER --release | --refund`.",
    CheckoutStatus.DECLINED: "DivideBuy declined it, so there is nothing to settle or refund.",
    CheckoutStatus.CANCELLED: "it was cancelled, so there is nothing to settle or refund.",
    CheckoutStatus.EXPIRED: "the quote expired unfinished: there is nothing to settle or refund.",
    CheckoutStatus.SUPERSEDED: "a newer quote replaced it.",
}


class BackOfficeService:
    """Settlement and refunds over a :class:`DivideBuyClient`, a checkout store and a ledger.

    *ledger* defaults to *store* itself when it implements :class:`Ledger` too
    (:class:`~dividebuy_checkout.store.SqlStore` does). ``notify(event, **payload)``
    is told each recorded money move (:mod:`dividebuy_checkout.events`): a
    receiver that raises is logged and undoes nothing.
    """

    def __init__(
        self,
        client: DivideBuyClient,
        store: CheckoutStore,
        ledger: Ledger | None = None,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        notify: Notify = events.ignore,
        today: Callable[[], date] | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1.")
        if ledger is None:
            if not isinstance(store, Ledger):
                raise TypeError(
                    "BackOfficeService needs a ledger: pass ledger=… or a store that is also "
                    "a Ledger (SqlStore is)."
                )
            ledger = store
        self.client = client
        self.store = store
        self.ledger: Ledger = ledger
        self.chunk_size = chunk_size
        self.notify = notify
        self._today = today or (lambda: datetime.now(UK).date())
        #: records a refund's outcome later when the database is busy (see .recording)
        self.recorder = LateRecorder(ledger, self._recorded_late)

    def today(self) -> date:
        """Today's date in the UK: no delivery can be later than this."""
        return self._today()

    def __repr__(self) -> str:
        return f"BackOfficeService(chunk_size={self.chunk_size}, ledger={self.ledger!r})"

    # -- settlement --------------------------------------------------------------------------

    def settle(
        self,
        order_ids: Iterable[str],
        delivered_on: date | str,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> SettlementReport:
        """Tell DivideBuy these orders were delivered on *delivered_on* (a date or YYYY-MM-DD)."""
        if isinstance(order_ids, str):
            raise TypeError("settle() takes a list of order ids, not one string.")
        day = parse_iso_date(delivered_on) if isinstance(delivered_on, str) else delivered_on
        if not isinstance(day, date):
            raise ValueError(f"{delivered_on!r} is not a date like 2026-11-23.")
        rows = (SettleRow(order_id, day) for order_id in order_ids)
        return self.settle_rows(rows, progress=progress)

    def settle_rows(
        self,
        rows: Iterable[SettleRow | RowError],
        *,
        progress: Callable[[int], None] | None = None,
        chunk_size: int | None = None,
        report: SettlementReport | None = None,
    ) -> SettlementReport:
        """Settle rows, each with its own date (a CSV); :class:`RowError` rows are reported.

        Rows are read ``chunk_size`` at a time, so memory stays flat however long the
        input (give a streaming *report*, ``SettlementReport(keep=False, listener=…)``,
        to keep the outcomes out of memory too). *progress* is called with the number
        of rows handled after each block.
        A DivideBuy failure stops the run: the rows not yet sent are reported as
        ``failed`` (nothing recorded for them, safe to run again).
        """
        size = chunk_size or self.chunk_size
        run = _SettlementRun(self, size, report or SettlementReport())
        iterator = iter(rows)
        try:
            while block := list(islice(iterator, size)):
                run.take(block)
                if progress is not None:
                    progress(len(block))
            run.finish()
        except DatabaseBusy:
            # Claims already written stay "sending": a rerun resends the same dates,
            # which DivideBuy treats as the same settlement.
            raise DatabaseBusyError(
                f"the settlement stopped after {run.report.rows} orders (those "
                "DivideBuy accepted are settled there); running it again is safe"
            ) from None
        return run.report

    def _dividebuy_order_id(self, record: CheckoutRecord) -> tuple[str | None, str | None]:
        """The order's DivideBuy id, fetched (and stored) if the checkout has not got it yet.

        Returns ``(id, None)`` or ``(None, why not)``; DivideBuy errors propagate.
        """
        if record.dividebuy_order_id:
            return record.dividebuy_order_id, None
        quote = self.client.get_quote(record.quote_id)
        if quote.retailer_order_id != record.order_id:
            return None, (
                f"DivideBuy's quote {record.quote_id} belongs to order {quote.retailer_order_id!r}"
                ", not this one: check the checkout record."
            )
        if not quote.is_completed or not quote.order_ref_id:
            return None, (
                f"DivideBuy reports the quote as {quote.status} without an order id yet: try "
                "again once DivideBuy has completed the order."
            )
        self.store.transition(
            record.quote_id,
            CheckoutStatus.COMPLETED,
            expected=(CheckoutStatus.COMPLETED,),
            source="backoffice",
            note="DivideBuy order id fetched for settlement",
            dividebuy_order_id=quote.order_ref_id,
        )
        return quote.order_ref_id, None

    # -- refunds -----------------------------------------------------------------------------

    def refund(self, order_id: str, amount: MoneyLike | None = None) -> RefundEntry:
        """Refund *amount* pounds of an order, or everything left with ``amount=None``.

        Refused (nothing sent) when the amount is more than is left, nothing is
        left, or an earlier refund's outcome is unknown. Returns the ledger entry of
        the refund DivideBuy confirmed.
        """
        wanted = _refund_amount(amount)
        return self.refund_checkout(self._completed(order_id), wanted)

    def refund_checkout(self, record: CheckoutRecord, amount: Decimal | None = None) -> RefundEntry:
        """Refund *amount* (``None``: all that is left) of one checkout, whatever its status.

        :meth:`refund` for an order's completed checkout; resolve-hold uses it for a
        checkout on hold (which may not be the order's live one). Same refusals.
        """
        order_id = record.order_id
        try:
            entry = self.ledger.reserve_refund(record, amount)
        except DatabaseBusy:
            raise DatabaseBusyError("nothing was sent to DivideBuy and nothing changed") from None
        except RefundsBlocked as exc:
            raise RefundBlocked(order_id, exc.unknown_ids) from None
        except ExceedsRemaining as exc:
            raise RefundExceedsRemaining(
                order_id, exc.requested, exc.balance.remaining, exc.balance.held
            ) from None
        except NothingLeft as exc:
            raise NothingToRefund(order_id, exc.balance.held) from None
        return self._send_refund(entry)

    def _send_refund(self, entry: RefundEntry) -> RefundEntry:
        what = f"refund #{entry.id} of {format_gbp(entry.amount)} on order {entry.order_id!r}"
        try:
            refund = self.client.refund(entry.order_id, None if entry.full else entry.amount)
        except DivideBuyError as exc:
            if _not_refunded(exc):
                failed = self._finish(
                    entry, RefundStatus.FAILED, f"DivideBuy did not make {what}", note=_short(exc)
                )
                refused = RefundFailed(
                    f"DivideBuy did not make {what}: {exc} Nothing was refunded; the amount "
                    "is available again.",
                    cause=exc,
                    entry=failed,
                )
                self._emit(
                    events.REFUND_FAILED,
                    order_id=failed.order_id,
                    refund=failed,
                    reason=str(refused),
                )
                raise refused from None
            unknown = self._finish(
                entry,
                RefundStatus.UNKNOWN,
                f"The outcome of {what} is unknown (no usable answer from DivideBuy)",
                note=_short(exc),
            )
            lost = RefundOutcomeUnknown(_unknown_message(what, entry.id), cause=exc, entry=unknown)
            self._emit(
                events.REFUND_UNKNOWN, order_id=unknown.order_id, refund=unknown, reason=str(lost)
            )
            raise lost from exc
        except BaseException as exc:
            # A bug or an interrupt mid-call: it may have been sent. Never "failed".
            self.recorder.finish(
                entry.id, RefundStatus.UNKNOWN, note=f"Interrupted: {type(exc).__name__}"
            )
            raise
        if refund.amount != entry.amount:
            log.warning(
                "DivideBuy refunded %s for %s (reserved %s); the ledger records DivideBuy's amount",
                refund.amount,
                what,
                entry.amount,
            )
        done = self._finish(
            entry,
            RefundStatus.SUCCEEDED,
            f"DivideBuy made {what} (its refund id {refund.id}, {format_gbp(refund.amount)})",
            amount=refund.amount,
            dividebuy_refund_id=refund.id,
            refund_type=refund.refund_type,
        )
        self._emit(events.REFUND_ISSUED, order_id=done.order_id, refund=done)
        return done

    def _finish(
        self, entry: RefundEntry, status: RefundStatus, outcome: str, **values: Any
    ) -> RefundEntry:
        """Record DivideBuy's answer; a busy database raises :class:`RefundNotRecorded`.

        The answer is then written in the background (:class:`LateRecorder`); the
        pending row keeps its amount reserved meanwhile, so nothing can overspend.
        """
        done = self.recorder.finish(entry.id, status, **values)
        if done is not None:
            return done
        made = status is RefundStatus.SUCCEEDED
        again = (
            "Do NOT refund it again. "
            if made or status is RefundStatus.UNKNOWN
            else "Refund again only once the ledger shows it failed. "
        )
        raise RefundNotRecorded(
            f"{outcome}, but the shop's database is busy (another process holds its lock), so "
            f"the ledger could not record it yet: refund #{entry.id} shows as pending, with "
            f"{format_gbp(entry.amount)} held. {again}The shop keeps trying to record it; check "
            f"with `dividebuy-checkout orders show {entry.order_id}` in a minute. If it is "
            "still pending or becomes unknown, compare the order's refunds in the DivideBuy "
            f"retailer portal and run `dividebuy-checkout refund-confirm {entry.id} "
            "--succeeded` (or `--failed`).",
            entry=entry,
            made=made,
        )

    def _recorded_late(self, entry: RefundEntry) -> None:
        """A refund's outcome landed in the ledger after a busy database: tell the shop now."""
        if entry.status is RefundStatus.SUCCEEDED:
            self._emit(events.REFUND_ISSUED, order_id=entry.order_id, refund=entry)
        elif entry.status is RefundStatus.FAILED:
            reason = "DivideBuy did not make this refund (recorded late: the database was busy)."
            self._emit(events.REFUND_FAILED, order_id=entry.order_id, refund=entry, reason=reason)
        else:
            reason = "No usable answer came back from DivideBuy (recorded late)."
            self._emit(events.REFUND_UNKNOWN, order_id=entry.order_id, refund=entry, reason=reason)

    def confirm_refund(
        self,
        refund_id: int,
        succeeded: bool,
        *,
        dividebuy_refund_id: str | None = None,
        note: str | None = None,
    ) -> RefundEntry:
        """Record an operator's check of an ``unknown`` refund in DivideBuy's portal.

        ``succeeded=True``: DivideBuy shows the refund, so it counts as refunded;
        ``False``: it is not there, so its amount is refundable again. Either way
        the order is unblocked.
        """
        if not 0 < refund_id < 2**63:  # past SQL's largest integer: no such row (not a crash)
            raise RefundNotFound(refund_id)
        try:
            entry = self.ledger.confirm_refund(
                refund_id, succeeded, dividebuy_refund_id=dividebuy_refund_id, note=note
            )
        except DatabaseBusy:
            raise DatabaseBusyError("the verdict was not recorded: nothing changed") from None
        except NoSuchRefund:
            raise RefundNotFound(refund_id) from None
        except RefundNotUnknown as exc:
            raise RefundNotConfirmable(refund_id, exc.entry.status.value) from None
        if succeeded:
            self._emit(events.REFUND_ISSUED, order_id=entry.order_id, refund=entry)
        else:
            self._emit(
                events.REFUND_FAILED,
                order_id=entry.order_id,
                refund=entry,
                reason="An operator confirmed that DivideBuy did not make this refund.",
            )
        return entry

    # -- reading -----------------------------------------------------------------------------

    def order_status(self, order_id: str) -> OrderStatus:
        """The order's checkout, settlement, refunds and what is left to refund."""
        record = self.store.live_for_order(order_id)
        if record is None:
            raise CheckoutNotFound(order_id)
        entries = self.ledger.refunds_for(order_id)
        return OrderStatus(
            record=record,
            settlement=self.ledger.settlement(order_id),
            refunds=tuple(entries),
            balance=fold_balance(record.credit_amount, entries),
        )

    def list_orders(
        self, statuses: Sequence[CheckoutStatus] | None = None, *, limit: int | None = None
    ) -> list[OrderStatus]:
        """Orders with a live checkout, newest first (default: every status but superseded)."""
        wanted = statuses or [s for s in CheckoutStatus if s is not CheckoutStatus.SUPERSEDED]
        records = self.store.recent_checkouts(wanted, limit=limit)
        ids = [r.order_id for r in records]
        settled = self.ledger.settlements_for(ids)
        refunds = self.ledger.refunds_by_order(ids)
        return [
            OrderStatus(
                record=r,
                settlement=settled.get(r.order_id),
                refunds=tuple(refunds.get(r.order_id, ())),
                balance=fold_balance(r.credit_amount, refunds.get(r.order_id, ())),
            )
            for r in records
        ]

    # -- helpers -----------------------------------------------------------------------------

    def _completed(self, order_id: str) -> CheckoutRecord:
        record = self.store.live_for_order(order_id)
        if record is None:
            raise CheckoutNotFound(order_id)
        if record.status is not CheckoutStatus.COMPLETED:
            raise OrderNotCompleted(order_id, record.status.value, _hint(record))
        return record

    def _emit(self, event: str, **payload: Any) -> None:
        """Tell the shop; a failing receiver must not undo or hide a recorded money move."""
        try:
            self.notify(event, **payload)
        except Exception:
            log.exception("A %s receiver failed (the change itself is recorded)", event)


@dataclass(frozen=True)
class _Queued:
    """A claimed order waiting to be sent, with what the report and the request need."""

    claim: SettlementClaim
    order_ref: str
    line: int | None


class _SettlementRun:
    """One settlement run: resolves rows block by block and sends full chunks."""

    def __init__(self, service: BackOfficeService, size: int, report: SettlementReport) -> None:
        self.service = service
        self.size = size
        self.report = report
        self.today = service.today()
        #: order id -> line (or None) of its first appearance in this run
        self.seen: dict[str, int | None] = {}
        #: claimed in the ledger, waiting for a full chunk
        self.buffer: list[_Queued] = []
        #: why the run stopped sending (a DivideBuy failure), if it did
        self.stopped: str | None = None

    def take(self, block: list[SettleRow | RowError]) -> None:
        rows = [row for row in (self._screen(row) for row in block) if row is not None]
        if rows:
            self._resolve(rows)
        while len(self.buffer) >= self.size and self.stopped is None:
            chunk, self.buffer = self.buffer[: self.size], self.buffer[self.size :]
            self._send(chunk)
        self._drain_if_stopped()

    def finish(self) -> None:
        while self.buffer and self.stopped is None:
            chunk, self.buffer = self.buffer[: self.size], self.buffer[self.size :]
            self._send(chunk)
        self._drain_if_stopped()

    # -- per row checks that need no database or network

    def _screen(self, row: SettleRow | RowError) -> SettleRow | None:
        add = self.report.add
        if isinstance(row, RowError):
            add(
                SettlementOutcome(
                    row.order_id or "", SettlementResult.REJECTED, None, row.message, row.line
                )
            )
            return None
        first = self.seen.get(row.order_id, ...)
        if first is not ...:
            where = f" (first on line {first})" if first else ""
            add(self._rejected(row, f"The order appears more than once in this run{where}."))
            return None
        self.seen[row.order_id] = row.line
        if row.delivered_on > self.today:
            add(
                self._rejected(
                    row,
                    f"The delivery date {row.delivered_on} is in the future (today is "
                    f"{self.today}): settle an order once it has been delivered.",
                )
            )
            return None
        if self.stopped is not None:
            add(self._failed(row, self.stopped))
            return None
        return row

    def _resolve(self, rows: list[SettleRow]) -> None:
        service = self.service
        records = service.store.live_checkouts([r.order_id for r in rows])
        wanted: dict[str, _Queued] = {}
        for row in rows:
            record = records.get(row.order_id)
            why = _why_not_settleable(record, row.delivered_on)
            if why is not None:
                self.report.add(self._rejected(row, why))
                continue
            assert record is not None
            if self.stopped is not None:
                self.report.add(self._failed(row, self.stopped))
                continue
            try:
                dividebuy_id, why = service._dividebuy_order_id(record)
            except NotFoundError:
                why = f"DivideBuy has no quote {record.quote_id}: check the checkout record."
                self.report.add(self._rejected(row, why))
                continue
            except DivideBuyError as exc:
                # DivideBuy is failing: stop rather than hammer it once per row.
                self.stopped = (
                    f"Not settled: DivideBuy failed while fetching an order id ({exc}). "
                    "Nothing was recorded for this order; run the settlement again."
                )
                self.report.add(self._failed(row, self.stopped))
                continue
            if dividebuy_id is None:
                self.report.add(self._rejected(row, why or "No DivideBuy order id."))
                continue
            claim = SettlementClaim(row.order_id, record.quote_id, dividebuy_id, row.delivered_on)
            wanted[row.order_id] = _Queued(claim, record.order_ref, row.line)
        if not wanted:
            return
        result = service.ledger.claim_settlements([q.claim for q in wanted.values()])
        for entry in result.already:
            self.report.add(
                SettlementOutcome(
                    entry.order_id,
                    SettlementResult.ALREADY_SETTLED,
                    entry.delivered_on,
                    None,
                    wanted[entry.order_id].line,
                )
            )
        for claim, entry in result.conflicting:
            doing = (
                "is being settled" if entry.status is SettlementStatus.SENDING else "was settled"
            )
            self.report.add(
                SettlementOutcome(
                    claim.order_id,
                    SettlementResult.REJECTED,
                    claim.delivered_on,
                    f"It {doing} with delivery date {entry.delivered_on}; a second date is not "
                    "sent. If that date is wrong, ask DivideBuy to correct it.",
                    wanted[claim.order_id].line,
                )
            )
        self.buffer.extend(wanted[claim.order_id] for claim in result.claimed)

    def _send(self, chunk: list[_Queued]) -> None:
        """Send one chunk; on a 422 drop the rows DivideBuy named and resend the rest."""
        ledger = self.service.ledger
        remaining = chunk
        while remaining:
            orders = [
                SettlementOrder(
                    order_ref_id=q.claim.dividebuy_order_id,
                    retailer_order_id=q.claim.order_id,
                    retailer_order_ref=q.order_ref,
                    date_of_delivery=q.claim.delivered_on,
                )
                for q in remaining
            ]
            self.report.requests += 1
            try:
                self.service.client.settle(orders)
            except RequestValidationError as exc:
                bad = _rows_named(exc.field_errors, len(remaining))
                if not bad:
                    bad = {i: [str(exc)] for i in range(len(remaining))}
                for index, messages in sorted(bad.items()):
                    queued = remaining[index]
                    reason = "DivideBuy refused it: " + " ".join(messages)
                    self.report.add(self._outcome(queued, SettlementResult.REJECTED, reason))
                ledger.release_settlements([remaining[i].claim.order_id for i in bad])
                remaining = [q for i, q in enumerate(remaining) if i not in bad]
                continue
            except DivideBuyError as exc:
                self.stopped = (
                    f"Not settled: DivideBuy failed ({exc}). Nothing was recorded for this "
                    "order; run the settlement again."
                )
                self.buffer = remaining + self.buffer
                return
            ledger.mark_settled([q.claim for q in remaining])
            for queued in remaining:
                self.report.add(self._outcome(queued, SettlementResult.SETTLED, None))
                self.service._emit(
                    events.ORDER_SETTLED,
                    order_id=queued.claim.order_id,
                    delivered_on=queued.claim.delivered_on,
                )
            return

    def _drain_if_stopped(self) -> None:
        """After a DivideBuy failure: release every claim still queued and report it failed."""
        if self.stopped is None or not self.buffer:
            return
        self.service.ledger.release_settlements([q.claim.order_id for q in self.buffer])
        for queued in self.buffer:
            self.report.add(self._outcome(queued, SettlementResult.FAILED, self.stopped))
        self.buffer = []

    @staticmethod
    def _outcome(
        queued: _Queued, outcome: SettlementResult, reason: str | None
    ) -> SettlementOutcome:
        claim = queued.claim
        return SettlementOutcome(claim.order_id, outcome, claim.delivered_on, reason, queued.line)

    @staticmethod
    def _rejected(row: SettleRow, reason: str) -> SettlementOutcome:
        return SettlementOutcome(
            row.order_id, SettlementResult.REJECTED, row.delivered_on, reason, row.line
        )

    @staticmethod
    def _failed(row: SettleRow, reason: str) -> SettlementOutcome:
        return SettlementOutcome(
            row.order_id, SettlementResult.FAILED, row.delivered_on, reason, row.line
        )


def _why_not_settleable(record: CheckoutRecord | None, delivered_on: date) -> str | None:
    if record is None:
        return "No DivideBuy checkout is recorded for this order: check the order id."
    if record.status is not CheckoutStatus.COMPLETED:
        status = record.status.value.replace("_", " ")
        return f"Its DivideBuy checkout is {status}: {_hint(record)}"
    ordered_on = record.created_at.astimezone(UK).date()
    if delivered_on < ordered_on:
        return (
            f"The delivery date {delivered_on} is before the order was placed ({ordered_on}): "
            "check the date."
        )
    return None


def _hint(record: CheckoutRecord) -> str:
    hint = _NOT_COMPLETED_HINTS.get(record.status, "")
    if record.status is CheckoutStatus.ON_HOLD and record.hold_reason:
        hint = f"{record.hold_reason}. {hint}"
    return hint


def _rows_named(field_errors: dict[str, list[str]], count: int) -> dict[int, list[str]]:
    """Map DivideBuy's ``orders.<i>.<field>`` errors to row indexes of the batch sent."""
    bad: dict[int, list[str]] = {}
    for path, messages in field_errors.items():
        match = _BATCH_ERROR_KEY.match(path)
        if match and int(match.group(1)) < count:
            bad.setdefault(int(match.group(1)), []).extend(
                f"{match.group(2)}: {message}" for message in messages
            )
    return bad


def _refund_amount(amount: MoneyLike | None) -> Decimal | None:
    if amount is None:
        return None
    try:
        value = to_money(amount)
    except MoneyError as exc:
        raise InvalidAmount(str(exc)) from None
    except ArithmeticError:  # "1e999999": too large to quantise to pennies
        raise InvalidAmount("The amount is not a usable number of pounds.") from None
    if value <= 0:
        raise InvalidAmount("A refund amount must be more than £0.00 (leave it out to refund all).")
    return value


def _not_refunded(exc: DivideBuyError) -> bool:
    """True only when the error proves DivideBuy did not act on the refund.

    A 4xx (refused: validation, conflict, auth, not found, rate limit) or a
    request that never reached DivideBuy. Everything else — a timeout after
    sending, a 500/502/504, an unreadable success body, an odd status — may
    have refunded, so it is *unknown*.
    """
    if isinstance(exc, OutcomeUnknownError | MalformedResponseError):
        return False
    if isinstance(exc, ServiceUnavailableError):
        return exc.status is None or exc.status == 503
    return exc.status is not None and 400 <= exc.status < 500


def _unknown_message(what: str, refund_id: int) -> str:
    return (
        f"The outcome of {what} is unknown: it was sent, then no usable answer came back. "
        "It is recorded as unknown and blocks further refunds on this order. Check the "
        "order's refunds in the DivideBuy retailer portal, then run "
        f"`dividebuy-checkout refund-confirm {refund_id} --succeeded` (or `--failed`)."
    )


def _short(exc: DivideBuyError) -> str:
    # The error's own text: status, message and request id; never a token or bank detail.
    return str(exc)[:500]
