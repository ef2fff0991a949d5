"""What the services need from storage: the :class:`CheckoutStore` and :class:`Ledger` protocols.

``CheckoutService`` and ``BackOfficeService`` are typed against these, never
against SQLAlchemy, so a shop can put its checkouts in another database layer
by implementing them. :class:`~dividebuy_checkout.store.SqlStore` implements
both over one SQL database.

What an implementation must guarantee (the services' promises rest on it):

- **One live quote per order.** :meth:`CheckoutStore.add` raises
  :class:`~.errors.DuplicateLiveCheckout` when the order already has another
  live quote, even when two processes race.
- **Conditional moves.** :meth:`CheckoutStore.transition` moves a checkout only
  from one of the *expected* states, records the audit row in the same
  transaction, and returns ``None`` when it lost a race (the caller then
  announces nothing).
- **Reserve under a lock.** :meth:`Ledger.reserve_refund` decides whether a
  refund fits and records the reservation atomically with respect to every
  other reservation on the order; :meth:`Ledger.claim_settlements` likewise
  claims each order for one settlement date only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from .records import (
    Balance,
    CheckoutRecord,
    CheckoutStatus,
    ClaimResult,
    RefundEntry,
    RefundStatus,
    SettlementClaim,
    SettlementEntry,
    Transition,
)

__all__ = ["CheckoutStore", "Ledger"]


@runtime_checkable
class CheckoutStore(Protocol):
    """Checkouts (quote ↔ order) and their audit trail."""

    # -- reading

    def get(self, quote_id: str) -> CheckoutRecord | None:
        """The checkout of DivideBuy quote *quote_id*."""
        ...

    def by_return_ref(self, return_ref: str) -> CheckoutRecord | None:
        """The checkout whose signed return URL carries *return_ref*."""
        ...

    def return_ref(self, quote_id: str) -> str | None:
        """The return reference recorded with a checkout."""
        ...

    def live_for_order(self, order_id: str) -> CheckoutRecord | None:
        """The order's live checkout (its newest quote, not superseded)."""
        ...

    def for_order(self, order_id: str) -> list[CheckoutRecord]:
        """Every quote the order has had, oldest first."""
        ...

    def with_status(self, *statuses: CheckoutStatus) -> list[CheckoutRecord]:
        """Checkouts in one of *statuses*, oldest first."""
        ...

    def live_checkouts(self, order_ids: Sequence[str]) -> dict[str, CheckoutRecord]:
        """The live checkout of each of *order_ids* that has one, by order id."""
        ...

    def recent_checkouts(
        self, statuses: Iterable[CheckoutStatus], *, limit: int | None = None
    ) -> list[CheckoutRecord]:
        """Checkouts with one of *statuses*, newest first, at most *limit*."""
        ...

    def history(self, quote_id: str) -> list[Transition]:
        """Every status change of the checkout, oldest first."""
        ...

    def watched(self) -> list[CheckoutRecord]:
        """Checkouts DivideBuy may still complete (``open_at_dividebuy``), oldest first."""
        ...

    # -- writing

    def add(
        self,
        *,
        quote_id: str,
        order_id: str,
        order_ref: str,
        amount: Decimal,
        credit_amount: Decimal,
        term: int,
        status: CheckoutStatus,
        decision: str | None,
        checkout_url: str | None,
        supersede: str | None = None,
        source: str = "checkout",
        return_ref: str | None = None,
        supersede_expected: Iterable[CheckoutStatus] | None = None,
        applicant_mismatch: str | None = None,
    ) -> CheckoutRecord:
        """Record a new quote as the order's live one, superseding *supersede* atomically."""
        ...

    def transition(
        self,
        quote_id: str,
        to_status: CheckoutStatus,
        *,
        expected: Iterable[CheckoutStatus] = (CheckoutStatus.PENDING,),
        source: str,
        note: str | None = None,
        actor: str | None = None,
        make_live: bool = False,
        **fields: Any,
    ) -> CheckoutRecord | None:
        """Move a checkout from one of *expected* to *to_status*; ``None`` if it was not there.

        *make_live*: the checkout becomes the order's live one, the current live one
        superseded in the same transaction (:class:`~.errors.DuplicateLiveCheckout`
        when that one is paid).
        """
        ...

    def record_lookup(self, quote_id: str, *, found: bool) -> int:
        """Count consecutive 404s for *quote_id* (*found* resets); the count now."""
        ...

    def stop_watching(self, quote_id: str, *, source: str, note: str) -> bool:
        """Clear ``open_at_dividebuy`` (DivideBuy reported the quote final); audited once."""
        ...


@runtime_checkable
class Ledger(Protocol):
    """What was settled and what was refunded, per shop order (see :mod:`.ledger`)."""

    # -- settlement

    def settlement(self, order_id: str) -> SettlementEntry | None:
        """The order's settlement, if it was settled (or is being settled)."""
        ...

    def settlements_for(self, order_ids: Sequence[str]) -> dict[str, SettlementEntry]:
        """The settlement of each of *order_ids* that has one, by order id."""
        ...

    def claim_settlements(self, wanted: Sequence[SettlementClaim]) -> ClaimResult:
        """Claim orders for sending, in one locked transaction."""
        ...

    def mark_settled(self, claims: Sequence[SettlementClaim]) -> None:
        """DivideBuy accepted these orders' delivery dates."""
        ...

    def release_settlements(self, order_ids: Sequence[str]) -> None:
        """Drop claims that were not settled, so a rerun sends them."""
        ...

    # -- refunds

    def refunds_for(self, order_id: str) -> list[RefundEntry]:
        """The order's refunds, oldest first."""
        ...

    def refund(self, refund_id: int) -> RefundEntry | None:
        """One refund of the ledger."""
        ...

    def balance(self, record: CheckoutRecord) -> Balance:
        """The order's refund position."""
        ...

    def refunds_by_order(self, order_ids: Sequence[str]) -> dict[str, list[RefundEntry]]:
        """Every listed order's refunds, oldest first, by order id."""
        ...

    def reserve_refund(self, record: CheckoutRecord, amount: Decimal | None) -> RefundEntry:
        """Reserve *amount* (``None``: all that is left) as a ``pending`` refund, atomically."""
        ...

    def finish_refund(
        self,
        refund_id: int,
        status: RefundStatus,
        *,
        amount: Decimal | None = None,
        dividebuy_refund_id: str | None = None,
        refund_type: str | None = None,
        note: str | None = None,
    ) -> RefundEntry:
        """Record how a ``pending`` refund ended: succeeded, failed or unknown."""
        ...

    def confirm_refund(
        self,
        refund_id: int,
        succeeded: bool,
        *,
        dividebuy_refund_id: str | None = None,
        note: str | None = None,
    ) -> RefundEntry:
        """An operator's verdict on an ``unknown`` refund."""
        ...
