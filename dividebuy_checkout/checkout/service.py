"""``CheckoutService``: quote, redirect, verified return, reconcile. Framework-free.

The Flask blueprint (and any other web framework) only translates HTTP to these
calls. What the service guarantees:

- **Idempotent per order.** A repeated submit for the same order, amount and
  term reuses the live quote; a changed basket creates a new quote that
  supersedes it, in the same transaction that records the new one. Submits for
  one order are serialised in-process, and the store's unique constraint (one
  live quote per order) catches a race between processes.
- **Recorded before redirected.** The quote↔order record is committed before
  :meth:`submit` returns the DivideBuy address. If DivideBuy cannot be reached,
  or answers nothing usable, nothing is written.
- **Outcomes come from DivideBuy only.** A return or a reconcile reads
  ``GET /quotes/{id}``; the request that brought the shopper back is trusted for
  nothing but its signed reference.
- **Each transition is recorded once and announced once.** Moves are
  conditional updates (``… WHERE status = 'pending'``); whichever of a return
  and a reconcile gets there first records it and notifies, the other sees that
  it lost and says nothing.
- **Never silently paid.** A completed quote is compared with the order as the
  shop holds it now; a mismatch puts it ``ON_HOLD``. So does an order the shop no
  longer offers for payment (paid another way), an applicant who is not the buyer,
  and a quote the shop had moved on from (replaced, cancelled in the shop, expired
  locally) that DivideBuy completed anyway: those are watched until DivideBuy
  reports them final (see :mod:`.lifecycle`).
- **Nothing trapped.** A quote DivideBuy no longer knows becomes ``ORPHANED``
  after ``not_found_limit`` consecutive 404s, or at once past ``quote_lifetime``;
  one still pending past its lifetime is ``EXPIRED`` locally (and still watched).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError as SchemaValidationError

from .. import events
from ..client import DivideBuyClient
from ..errors import (
    AuthenticationError,
    DivideBuyError,
    NotFoundError,
    OutcomeUnknownError,
    RequestValidationError,
)
from ..events import Notify
from ..models import CANCELLED, DECLINED, EXPIRED, Quote
from ..orders import (
    Applicant,
    Order,
    OrderNotFinanceable,
    OrderSource,
    OrderSourceUnavailable,
    build_quote_payload,
)
from ..schemas import flatten_errors, load_quote
from ..schemas.history import Today
from ..schemas.rules import DEFAULT_MIN_HISTORY_MONTHS
from ..store import CheckoutRecord, CheckoutStatus, CheckoutStore, DuplicateLiveCheckout
from ..store.claims import claimed, round_for
from ..terms import Offer, TermsSource
from .amounts import amount_problem
from .errors import (
    AlreadyFinanced,
    BadReference,
    DivideBuyUnavailable,
    InvalidApplication,
    NotFinanceable,
    QuoteOutcomeUnknown,
    ShopOrderNotFound,
)
from .lifecycle import (
    DEFAULT_NOT_FOUND_LIMIT,
    DEFAULT_QUOTE_LIFETIME,
    ZERO_TOTAL_REASON,
    applicant_mismatch,
    late_completion_reason,
    sibling_hold_reason,
)
from .reference import ReferenceSigner, new_return_ref

__all__ = ["CheckoutService", "ReconcileReport", "ReturnOutcome", "Submitted"]

log = logging.getLogger("dividebuy_checkout.checkout")

#: a final status at DivideBuy → the checkout's status
_FINAL = {
    DECLINED: CheckoutStatus.DECLINED,
    CANCELLED: CheckoutStatus.CANCELLED,
    EXPIRED: CheckoutStatus.EXPIRED,
}
#: the event announced when a checkout reaches each status
_EVENT_FOR = {
    CheckoutStatus.COMPLETED: events.QUOTE_COMPLETED,
    CheckoutStatus.ON_HOLD: events.ORDER_ON_HOLD,
    CheckoutStatus.CANCELLED: events.QUOTE_CANCELLED,
    CheckoutStatus.DECLINED: events.QUOTE_DECLINED,
    CheckoutStatus.EXPIRED: events.QUOTE_EXPIRED,
}
#: a live quote in one of these may be replaced by a new one for the same order
_REPLACEABLE = (
    CheckoutStatus.PENDING,
    CheckoutStatus.DECLINED,
    CheckoutStatus.CANCELLED,
    CheckoutStatus.EXPIRED,
    CheckoutStatus.ORPHANED,
)
_PAID = (CheckoutStatus.COMPLETED, CheckoutStatus.ON_HOLD)


@dataclass(frozen=True)
class Submitted:
    """A submit's result: the order's live checkout and where the shopper goes next."""

    record: CheckoutRecord
    #: the signed reference of the return page (the decline page is the return page)
    return_token: str
    #: True when an earlier submit's quote was reused (double click, reload, retry)
    reused: bool

    @property
    def declined(self) -> bool:
        return self.record.status is CheckoutStatus.DECLINED

    @property
    def checkout_url(self) -> str | None:
        """DivideBuy's page for a pending quote; ``None`` once there is nothing to do there."""
        if self.record.status is CheckoutStatus.PENDING:
            return self.record.checkout_url
        return None


@dataclass(frozen=True)
class ReturnOutcome:
    """What the return page shows: the checkout as recorded after asking DivideBuy."""

    record: CheckoutRecord
    #: False when DivideBuy could not be asked just now (reconcile will catch up)
    checked: bool


@dataclass(frozen=True)
class ReconcileReport:
    """What one reconcile run found."""

    checked: int = 0
    #: (before, after) for each checkout whose status changed in this run
    changed: list[tuple[CheckoutRecord, CheckoutRecord]] = field(default_factory=list)
    #: (record, why) for each checkout DivideBuy could not be asked about
    failed: list[tuple[CheckoutRecord, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def _quote_id(record: CheckoutRecord) -> str:
    return record.quote_id


class CheckoutService:
    """The checkout, for one shop: its client, store, order source and listener.

    ``notify(event, record=record, **extra)`` is called once per recorded change (see
    :mod:`dividebuy_checkout.events`); the Flask extension sends the blinker signal of
    that name.
    A listener that raises is logged and does not undo what was recorded.
    """

    def __init__(
        self,
        client: DivideBuyClient,
        store: CheckoutStore,
        order_source: OrderSource,
        *,
        signer: ReferenceSigner | None = None,
        notify: Notify = events.ignore,
        terms_ttl: float = 300,
        terms: TermsSource | None = None,
        min_history_months: int = DEFAULT_MIN_HISTORY_MONTHS,
        today: Today = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        not_found_limit: int = DEFAULT_NOT_FOUND_LIMIT,
        quote_lifetime: timedelta = DEFAULT_QUOTE_LIFETIME,
        check_applicant: bool = True,
    ) -> None:
        if not callable(getattr(order_source, "get_order", None)):
            raise TypeError("The order source must have a get_order(order_id) method.")
        self.client = client
        self.store = store
        self.order_source = order_source
        #: signs return and start links; only reconcile works without one
        self._signer = signer
        self.notify = notify
        self.min_history_months = min_history_months
        self.today = today
        self._clock = clock
        if not_found_limit < 1:
            raise ValueError("not_found_limit must be at least 1.")
        #: consecutive 404s for a quote before its checkout is final as ``orphaned``
        self.not_found_limit = not_found_limit
        #: past this age a quote unknown to DivideBuy is orphaned, a pending one expired locally
        self.quote_lifetime = quote_lifetime
        #: hold a completed quote whose applicant's surname or postcode is not the order's
        self.check_applicant = check_applicant
        #: DivideBuy's terms: the app's shared source (one cache with the widgets), or our own
        self.terms = terms or TermsSource(client, ttl=terms_ttl)
        # Submits for one order run one at a time in this process (striped locks: bounded
        # memory, no per-order cleanup); other processes are caught by the unique constraint.
        self._locks = tuple(threading.Lock() for _ in range(64))

    def __repr__(self) -> str:
        return f"CheckoutService({self.client!r}, {self.store!r})"

    @property
    def signer(self) -> ReferenceSigner:
        if self._signer is None:
            raise RuntimeError(
                "This CheckoutService has no ReferenceSigner (it needs the app's secret key to "
                "sign checkout links); it can only reconcile."
            )
        return self._signer

    # -- reading ------------------------------------------------------------------------------

    def get_order(self, order_id: str) -> Order:
        """The order as the shop holds it now, if it may be financed now.

        Raises :class:`ShopOrderNotFound` when the source returns ``None`` (no such
        order, or not payable any more: paid another way, cancelled, shipped),
        :class:`NotFinanceable` for an :class:`~dividebuy_checkout.orders.OrderNotFinanceable`
        or a total of £0.00 (nothing to lend: no quote is sent), and lets
        :class:`~dividebuy_checkout.orders.OrderSourceUnavailable` through (the
        shop's platform is down: a "try again" page; its detail is logged here).
        """
        try:
            order = self.order_source.get_order(order_id)
        except OrderNotFinanceable as exc:
            log.info("Order %s cannot be financed: %s", order_id, exc)
            raise NotFinanceable(exc.reason) from None
        except OrderSourceUnavailable as exc:
            log.warning("The shop's orders could not be read for order %s: %s", order_id, exc)
            raise
        if order is None:
            raise ShopOrderNotFound(order_id)
        if order.credit_amount <= 0:
            raise NotFinanceable(ZERO_TOTAL_REASON)
        return order

    def offer(self, order: Order) -> Offer:
        """The terms DivideBuy offers for the order, each with what the shopper pays a month.

        Which terms are available depends on the order total (DivideBuy's terms call
        takes "the product or total order amount"); when the shop took an upfront
        payment, the monthly figures shown are those for the credit amount, which is
        what the shopper repays.
        """
        offer = self.offer_for(order.total)
        if not order.upfront_payment or not offer.choices:
            return offer
        return offer.with_figures_from(self.offer_for(order.credit_amount))

    def offer_for(self, amount: Decimal) -> Offer:
        """The terms DivideBuy offers for *amount* (a basket or order total), cached."""
        try:
            return self.terms.offer(amount)
        except DivideBuyError as exc:
            log.warning("Could not read DivideBuy's terms for %s: %s", amount, exc)
            raise DivideBuyUnavailable(
                "We could not reach DivideBuy just now. Please try again in a moment, or "
                "choose another way to pay."
            ) from None

    def status(self, order_id: str) -> CheckoutRecord | None:
        """The order's live DivideBuy checkout, as recorded (no call to DivideBuy)."""
        return self.store.live_for_order(order_id)

    def is_pending_finance(self, order_id: str) -> bool:
        """True while a shopper may still finish at DivideBuy: leave the order's stock alone."""
        record = self.store.live_for_order(order_id)
        return record is not None and record.status is CheckoutStatus.PENDING

    def pending_finance_order_ids(self) -> list[str]:
        """Every order whose DivideBuy checkout is still pending (for stock-hold timers)."""
        return [r.order_id for r in self.store.with_status(CheckoutStatus.PENDING)]

    def start_token(self, order_id: str) -> str:
        """The signed reference of an order's application form link."""
        return self.signer.sign_start(order_id)

    def order_for_start(self, token: str) -> Order:
        """The order a start link names; :class:`BadReference` or :class:`ShopOrderNotFound`."""
        return self.get_order(self.signer.verify_start(token))

    def order_id_for_start(self, token: str) -> str:
        """The order id a start link names (:class:`BadReference`); the order is not read."""
        return self.signer.verify_start(token)

    def holds(self, order_id: str) -> list[CheckoutRecord]:
        """The order's checkouts on hold, oldest first (only resolve-hold clears them)."""
        return [r for r in self.store.for_order(order_id) if r.status is CheckoutStatus.ON_HOLD]

    def cancel_application(self, order_id: str, *, source: str = "shop") -> CheckoutRecord | None:
        """Give up the order's open DivideBuy application in the shop, so it can be paid otherwise.

        The pending (or referred) checkout becomes ``cancelled`` here and is
        announced (``quote_cancelled``); DivideBuy is not told (its API has no
        cancel call), so reconcile keeps watching the quote: if the shopper signs
        it later, the completion goes ``on_hold``, never silently paid. Returns
        the cancelled checkout, or ``None`` when there was nothing pending.
        """
        live = self.store.live_for_order(order_id)
        if live is None or live.status is not CheckoutStatus.PENDING:
            return None
        moved = self.store.transition(
            live.quote_id,
            CheckoutStatus.CANCELLED,
            source=source,
            note="application cancelled in the shop; still watched at DivideBuy",
        )
        if moved is None:
            return None
        log.info(
            "Order %s: DivideBuy application %s cancelled in the shop", order_id, live.quote_id
        )
        self._notify(events.QUOTE_CANCELLED, moved)
        return moved

    def return_token(self, record: CheckoutRecord) -> str | None:
        """The signed reference of a checkout's return page (``None`` if it has none)."""
        ref = self.store.return_ref(record.quote_id)
        return None if ref is None else self.signer.sign_return(record.order_id, ref)

    # -- submit -------------------------------------------------------------------------------

    def submit(
        self,
        order_id: str,
        applicant: Applicant,
        *,
        ip_address: str,
        return_url: Callable[[str], str],
    ) -> Submitted:
        """Apply for finance on *order_id*; idempotent per order, amount and term.

        *return_url* turns a signed return reference into the absolute URL
        DivideBuy sends the shopper back to. Raises :class:`InvalidApplication`,
        :class:`NotFinanceable`, :class:`DivideBuyUnavailable`,
        :class:`QuoteOutcomeUnknown`, :class:`AlreadyFinanced` or
        :class:`ShopOrderNotFound`; in every case nothing was recorded.
        """
        with self._locks[zlib.crc32(order_id.encode()) % len(self._locks)]:
            return self._submit(order_id, applicant, ip_address, return_url)

    def _submit(
        self,
        order_id: str,
        applicant: Applicant,
        ip_address: str,
        return_url: Callable[[str], str],
    ) -> Submitted:
        order = self.get_order(order_id)
        live = self.store.live_for_order(order_id)
        if live is not None and live.status in _PAID:
            raise AlreadyFinanced(live)
        offer = self.offer(order)
        if not offer.choices:
            raise NotFinanceable(offer.why_none)
        return_ref = new_return_ref()
        token = self.signer.sign_return(order_id, return_ref)
        body = self._validated(order, applicant, offer, token, ip_address, return_url)
        term = int(body["order"]["selected_instalment_term"])
        mismatch = applicant_mismatch(order, body["customer"]) if self.check_applicant else None

        if live is not None and _same_request(live, order, term):
            reused = self._reuse(live)
            if reused is not None:
                return reused
            live = self.store.live_for_order(order_id)  # refreshed: it may have moved on
            if live is not None and live.status in _PAID:
                raise AlreadyFinanced(live)

        requested = self._create_quote(body)
        declined = requested.declined
        try:
            record = self.store.add(
                quote_id=requested.id,
                order_id=order.order_id,
                order_ref=order.order_ref,
                amount=order.total,
                credit_amount=order.credit_amount,
                term=term,
                status=CheckoutStatus.DECLINED if declined else CheckoutStatus.PENDING,
                decision=requested.decision,
                checkout_url=_web_address(requested.checkout_url),
                supersede=live.quote_id if live is not None else None,
                supersede_expected=_REPLACEABLE,
                return_ref=return_ref,
                applicant_mismatch=mismatch,
            )
        except DuplicateLiveCheckout:
            # Another process recorded a quote for this order first (or the live one
            # completed meanwhile): ours is left unused at DivideBuy, where it expires.
            log.warning("Order %s got another live quote first; %s unused", order_id, requested.id)
            winner = self.store.live_for_order(order_id)
            if winner is None:
                raise
            if winner.status in _PAID:
                raise AlreadyFinanced(winner) from None
            token = self.return_token(winner) or token
            return Submitted(winner, token, reused=True)
        log.info(
            "Quote %s recorded for order %s (decision %s)",
            record.quote_id,
            record.order_id,
            record.decision or "none yet",
        )
        self._notify(events.QUOTE_CREATED, record)
        if record.decision:
            self._notify(events.QUOTE_DECIDED, record, decision=record.decision)
        if declined:
            self._notify(events.QUOTE_DECLINED, record)
        return Submitted(record, token, reused=False)

    def _validated(
        self,
        order: Order,
        applicant: Applicant,
        offer: Offer,
        token: str,
        ip_address: str,
        return_url: Callable[[str], str],
    ) -> dict[str, Any]:
        payload = build_quote_payload(
            order, applicant, redirect_url=return_url(token), ip_address=ip_address
        )
        try:
            return load_quote(
                payload,
                available_terms=offer.months,
                today=self.today,
                min_history_months=self.min_history_months,
            )
        except SchemaValidationError as exc:
            raise InvalidApplication(flatten_errors(exc.messages_dict)) from None

    def _reuse(self, live: CheckoutRecord) -> Submitted | None:
        """The live checkout again, if it still serves this request; else ``None``."""
        if live.status is CheckoutStatus.PENDING:
            # If DivideBuy cannot be asked now, its page is still the best place to go.
            with contextlib.suppress(DivideBuyUnavailable):
                live = self.refresh(live, source="checkout")
            if live.status in _PAID:
                raise AlreadyFinanced(live)
        if live.status not in (CheckoutStatus.PENDING, CheckoutStatus.DECLINED):
            return None  # cancelled or expired at DivideBuy: a fresh quote is needed
        token = self.return_token(live)
        if token is None:
            return None
        log.info("Order %s submitted again: quote %s reused", live.order_id, live.quote_id)
        return Submitted(live, token, reused=True)

    def _create_quote(self, body: dict[str, Any]) -> Any:
        try:
            return self.client.create_quote(body)
        except RequestValidationError as exc:
            log.info("DivideBuy rejected a quote request: fields %s", sorted(exc.field_errors))
            raise InvalidApplication(exc.field_errors) from None
        except OutcomeUnknownError as exc:
            log.warning("Quote request outcome unknown: %s", exc)
            raise QuoteOutcomeUnknown(
                "DivideBuy did not confirm your application, so nothing has been charged or "
                "recorded. Please try again."
            ) from None
        except AuthenticationError as exc:
            log.error("DivideBuy refused the shop's credentials: %s", exc)
            raise DivideBuyUnavailable(
                "DivideBuy is not available just now. Please choose another way to pay."
            ) from None
        except DivideBuyError as exc:
            log.warning("Could not create a quote: %s", exc)
            raise DivideBuyUnavailable(
                "We could not reach DivideBuy just now, so your application was not sent. "
                "Please try again in a moment, or choose another way to pay."
            ) from None

    # -- the return -----------------------------------------------------------------------------

    def handle_return(self, token: Any) -> ReturnOutcome:
        """The shopper is back: check the reference, ask DivideBuy, record what changed.

        Raises :class:`BadReference` for a forged, foreign or expired reference
        (nothing read or written). Reloading is harmless: a checkout that has
        reached a final status is shown as recorded, without another call.
        """
        ref = self.signer.verify_return(token)
        record = self.store.by_return_ref(ref.return_ref)
        if record is None or record.order_id != ref.order_id:
            raise BadReference("foreign")
        if not record.open_at_dividebuy:
            return ReturnOutcome(record, checked=True)
        try:
            return ReturnOutcome(self.refresh(record, source="return"), checked=True)
        except DivideBuyUnavailable:
            return ReturnOutcome(record, checked=False)

    # -- reconcile ------------------------------------------------------------------------------

    def reconcile(
        self, *, older_than: timedelta = timedelta(0), limit: int | None = None
    ) -> ReconcileReport:
        """Ask DivideBuy about every watched checkout and record what changed.

        A main path, not a fallback: a REFERRED application finishes when its
        guarantor applies, and a shopper may close the tab at DivideBuy or sign
        days later. Watched: every pending checkout, and every quote the shop
        moved on from (replaced, cancelled in the shop, expired locally) until
        DivideBuy reports it final. *older_than* skips quotes created more
        recently (the shopper is probably still at DivideBuy); *limit* caps the
        calls in one run.
        """
        # Runs on several hosts at once split the work: each checkout is claimed by one run
        # (store/claims.py); the round starts before the list is read.
        round_ = round_for(self.store, "reconcile")
        cutoff = self._clock() - older_than
        due = [r for r in self.store.watched() if r.created_at <= cutoff]
        report = ReconcileReport()
        checked = 0
        for listed in claimed(round_, due, _quote_id, limit=limit):
            # as it is now: an overlapping run may have finished it since the list was read
            record = self.store.get(listed.quote_id) if round_ is not None else listed
            if record is None or not record.open_at_dividebuy:
                continue
            checked += 1
            try:
                after = self.refresh(record, source="reconcile")
            except DivideBuyUnavailable as exc:
                report.failed.append((record, str(exc)))
                continue
            moved = after.status is not record.status
            if moved or after.open_at_dividebuy != record.open_at_dividebuy:
                report.changed.append((record, after))
        return dataclasses.replace(report, checked=checked)

    # -- reading an outcome -----------------------------------------------------------------------

    def refresh(self, record: CheckoutRecord, *, source: str) -> CheckoutRecord:
        """Read the quote from DivideBuy and record its outcome; the checkout as it is now."""
        try:
            quote = self.client.get_quote(record.quote_id)
        except NotFoundError:
            log.error("DivideBuy has no quote %s (order %s)", record.quote_id, record.order_id)
            orphaned = self._not_found(record, source=source)
            if orphaned is not None:
                return orphaned
            raise DivideBuyUnavailable("DivideBuy does not know this quote.") from None
        except DivideBuyError as exc:
            log.warning("Could not read quote %s: %s", record.quote_id, exc)
            raise DivideBuyUnavailable(
                "We could not reach DivideBuy to check your application just now."
            ) from None
        if record.not_found_count:
            self.store.record_lookup(record.quote_id, found=True)
        return self.apply(record, quote, source=source)

    def _past_lifetime(self, record: CheckoutRecord) -> bool:
        return self._clock() - record.created_at > self.quote_lifetime

    def _not_found(self, record: CheckoutRecord, *, source: str) -> CheckoutRecord | None:
        """Count a 404; past the limit (or the quote's lifetime) the checkout is final.

        A pending checkout becomes ``orphaned`` and is announced for the operator;
        one the shop had moved on from is simply no longer watched. ``None``
        while it is still worth asking again.
        """
        count = self.store.record_lookup(record.quote_id, found=False)
        if count < self.not_found_limit and not self._past_lifetime(record):
            return None
        reason = (
            f"DivideBuy answered 'not found' for quote {record.quote_id} {count} time(s) in a "
            "row; the checkout is final and the order is not paid by it: check DivideBuy's portal"
        )
        if record.status is not CheckoutStatus.PENDING:
            self.store.stop_watching(record.quote_id, source=source, note=reason)
            return self.store.get(record.quote_id) or record
        moved = self.store.transition(
            record.quote_id,
            CheckoutStatus.ORPHANED,
            source=source,
            note=reason,
            open_at_dividebuy=False,
        )
        if moved is None:
            return self.store.get(record.quote_id) or record
        log.error("Checkout %s (order %s) orphaned: %s", moved.quote_id, moved.order_id, reason)
        self._notify(events.QUOTE_ORPHANED, moved, reason=reason)
        return moved

    def apply(self, record: CheckoutRecord, quote: Quote, *, source: str) -> CheckoutRecord:
        """Record what *quote* (just read from DivideBuy) means for *record*, once."""
        if quote.is_pending:
            return self._still_pending(record, source=source)
        if record.status is not CheckoutStatus.PENDING:
            return self._moved_on(record, quote, source=source)
        fields: dict[str, Any] = {"open_at_dividebuy": False}
        if quote.decision:
            fields["decision"] = quote.decision
        reason: str | None = None
        if quote.is_completed:
            decided, reason = self._completion_problem(record, quote)
            if not decided:
                return record
            target = CheckoutStatus.ON_HOLD if reason else CheckoutStatus.COMPLETED
            # DivideBuy's order id: settlement and refunds need it, on hold or not.
            fields.update(dividebuy_order_id=quote.order_ref_id, hold_reason=reason)
        else:
            target = _FINAL[quote.status]
        note = reason or f"DivideBuy reports the quote {quote.status}"
        return self._record_move(record, target, (record.status,), source, note, reason, fields)

    def _record_move(
        self,
        record: CheckoutRecord,
        target: CheckoutStatus,
        expected: tuple[CheckoutStatus, ...],
        source: str,
        note: str,
        reason: str | None,
        fields: dict[str, Any],
    ) -> CheckoutRecord:
        moved = self.store.transition(
            record.quote_id, target, expected=expected, source=source, note=note, **fields
        )
        if moved is None:  # someone else recorded it first: they announce it
            return self.store.get(record.quote_id) or record
        log.info(
            "Checkout %s (order %s): %s -> %s via %s",
            moved.quote_id,
            moved.order_id,
            record.status,
            moved.status,
            source,
        )
        if moved.decision and moved.decision != record.decision:
            self._notify(events.QUOTE_DECIDED, moved, decision=moved.decision)
        extra = {"reason": reason} if moved.status is CheckoutStatus.ON_HOLD else {}
        self._notify(_EVENT_FOR[moved.status], moved, **extra)
        return moved

    def _completion_problem(self, record: CheckoutRecord, quote: Quote) -> tuple[bool, str | None]:
        """Why a completed quote of a pending checkout must not mark the order paid.

        Asks the order source (is the order still payable, for these amounts?),
        then the applicant check made at submit, then the order's other checkouts
        (one on hold or already paid holds this one too). ``(False, None)`` when
        the shop's orders cannot be read just now: decide on a later read.
        """
        try:
            order: Order | None = self.order_source.get_order(record.order_id)
        except OrderNotFinanceable as exc:
            reason = (
                f"DivideBuy completed the quote, but the order cannot be financed: {exc.reason}"
            )
            return True, reason
        except Exception:  # the shop's own order store failed: decide later, not now
            log.exception("Could not read order %s for the completion checks", record.order_id)
            return False, None
        problems = [amount_problem(quote, order)]
        if self.check_applicant:
            problems.append(record.applicant_mismatch)
        problems.append(sibling_hold_reason(record, self.store.for_order(record.order_id)))
        return True, "; ".join(p for p in problems if p) or None

    def _still_pending(self, record: CheckoutRecord, *, source: str) -> CheckoutRecord:
        """DivideBuy still says pending: past the quote's lifetime it expires here (watched)."""
        if record.status is not CheckoutStatus.PENDING or not self._past_lifetime(record):
            return record
        note = "still pending at DivideBuy past the quote's lifetime: expired here, still watched"
        return self._record_move(
            record, CheckoutStatus.EXPIRED, (CheckoutStatus.PENDING,), source, note, None, {}
        )

    def _moved_on(self, record: CheckoutRecord, quote: Quote, *, source: str) -> CheckoutRecord:
        """A quote the shop had moved on from is final at DivideBuy: hold it or stop watching."""
        if not record.open_at_dividebuy:
            return record
        if not quote.is_completed:
            self.store.stop_watching(
                record.quote_id, source=source, note=f"DivideBuy reports the quote {quote.status}"
            )
            return self.store.get(record.quote_id) or record
        reason = late_completion_reason(record)
        fields = {
            "open_at_dividebuy": False,
            "dividebuy_order_id": quote.order_ref_id,
            "hold_reason": reason,
        }
        if quote.decision:
            fields["decision"] = quote.decision
        return self._record_move(
            record, CheckoutStatus.ON_HOLD, (record.status,), source, reason, reason, fields
        )

    def _notify(self, event: str, record: CheckoutRecord, **extra: Any) -> None:
        try:
            self.notify(event, record=record, **extra)
        except Exception:
            # Already recorded: a failing listener must not turn a paid order into an error
            # page. The record stays the source of truth (status(), pending_finance_order_ids()).
            log.exception("A listener of %s failed for order %s", event, record.order_id)


def _web_address(url: str | None) -> str | None:
    """DivideBuy's page address if it is an absolute http(s) URL (never a script URL)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    if url:
        log.warning("Ignored a checkout_url that is not a web address")
    return None


def _same_request(live: CheckoutRecord, order: Order, term: int) -> bool:
    same_amounts = live.amount == order.total and live.credit_amount == order.credit_amount
    return same_amounts and live.term == term
