"""The one way out of a hold: release it (the order is paid) or refund the held quote in full.

A checkout goes ``on_hold`` when DivideBuy completed a quote that must not mark
the order paid as it stands (amounts changed, paid another way, a replaced or
cancelled quote signed later, the applicant not the buyer). Nothing else clears
a hold: a person looks, then runs ``resolve-hold ORDER --release | --refund
--reason TEXT`` (CLI), ``POST {prefix}/backoffice/orders/<id>/resolve-hold``
(authenticated like the other back-office endpoints) or :func:`resolve_hold`.

Every resolution is audited in the checkout's history (``store.history``): who
(``actor``), when, why (``reason``) and what was done (the note names the action
and the refund). Release moves the checkout to ``completed`` (making it the
order's live one) and sends ``quote_completed``; refund sends DivideBuy a full
refund through the ledger (``BackOfficeService.refund_checkout``) and, once
DivideBuy confirms it, moves the checkout to ``refunded`` and sends
``hold_refunded``. A refund that fails or whose outcome is unknown leaves the
hold in place (the ledger says what to check).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from .. import events
from ..backoffice import BackOfficeService, CheckoutNotFound, NothingToRefund, Refused
from ..backoffice.reports import refund_dict
from ..store import CheckoutRecord, CheckoutStatus, DuplicateLiveCheckout, RefundEntry

__all__ = [
    "HOLD_ACTIONS",
    "MAX_ACTOR",
    "MAX_REASON",
    "HoldNotResolvable",
    "HoldResolution",
    "resolve_hold",
]

log = logging.getLogger("dividebuy_checkout.checkout.holds")

HoldAction = Literal["release", "refund"]
HOLD_ACTIONS: tuple[str, ...] = ("release", "refund")
#: the audit row's limits (the transitions table's ``actor`` column is 64 characters)
MAX_ACTOR = 64
MAX_REASON = 500
#: the audit trail's ``source`` for a resolution
SOURCE = "resolve-hold"


class HoldNotResolvable(Refused):
    """The order has no checkout on hold to resolve this way (nothing was changed)."""

    code = "hold_not_resolvable"


@dataclass(frozen=True)
class HoldResolution:
    """What a resolution did: the checkout after it, and the refund when there was one."""

    record: CheckoutRecord
    action: str
    reason: str
    actor: str
    refund: RefundEntry | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.record.order_id,
            "quote_id": self.record.quote_id,
            "action": self.action,
            "status": self.record.status.value,
            "reason": self.reason,
            "actor": self.actor,
            "refund": refund_dict(self.refund) if self.refund is not None else None,
        }


def _text(value: str, what: str, limit: int) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise HoldNotResolvable(f"Say {what}: it is kept in the audit trail.")
    if len(text) > limit:
        raise HoldNotResolvable(f"The {what} must be at most {limit} characters.")
    return text


def _held(backoffice: BackOfficeService, order_id: str, quote_id: str | None) -> CheckoutRecord:
    """The checkout to resolve: the order's one hold, or the one *quote_id* names."""
    checkouts = backoffice.store.for_order(order_id)
    if not checkouts:
        raise CheckoutNotFound(order_id)
    held = [r for r in checkouts if r.status is CheckoutStatus.ON_HOLD]
    if quote_id is not None:
        held = [r for r in held if r.quote_id == quote_id]
    if not held:
        which = (
            f"quote {quote_id} of order {order_id!r} is" if quote_id else f"order {order_id!r} has"
        )
        raise HoldNotResolvable(f"Nothing to resolve: {which} not on hold.")
    if len(held) > 1:
        quotes = ", ".join(r.quote_id for r in held)
        raise HoldNotResolvable(
            f"Order {order_id!r} has {len(held)} checkouts on hold ({quotes}): name one with "
            "--quote (refund the one that should not have been paid, release the other)."
        )
    return held[0]


def resolve_hold(
    backoffice: BackOfficeService,
    order_id: str,
    *,
    action: HoldAction,
    reason: str,
    actor: str,
    quote_id: str | None = None,
) -> HoldResolution:
    """Release or refund the order's checkout on hold; audited; announced once.

    Raises :class:`HoldNotResolvable` (nothing on hold, several holds and no
    *quote_id*, a release while the order is already paid by another checkout,
    a missing reason or actor), :class:`~dividebuy_checkout.backoffice.CheckoutNotFound`,
    or a refund's own refusal or failure (the hold then stays).
    """
    if action not in HOLD_ACTIONS:
        raise HoldNotResolvable("The action must be 'release' or 'refund'.")
    why = _text(reason, "why the hold is resolved", MAX_REASON)
    who = _text(actor, "who resolves the hold", MAX_ACTOR)
    record = _held(backoffice, str(order_id), quote_id)
    if action == "release":
        return _release(backoffice, record, why, who)
    return _refund(backoffice, record, why, who)


def _release(
    backoffice: BackOfficeService, record: CheckoutRecord, reason: str, actor: str
) -> HoldResolution:
    try:
        moved = backoffice.store.transition(
            record.quote_id,
            CheckoutStatus.COMPLETED,
            expected=(CheckoutStatus.ON_HOLD,),
            source=SOURCE,
            note=f"released from hold: {reason}",
            actor=actor,
            make_live=True,
        )
    except DuplicateLiveCheckout:
        raise HoldNotResolvable(
            f"Order {record.order_id!r} is already paid by another DivideBuy checkout: refund "
            f"this one (quote {record.quote_id}) instead of releasing it."
        ) from None
    if moved is None:
        raise HoldNotResolvable(f"Quote {record.quote_id} is no longer on hold.")
    log.info("Hold on order %s (quote %s) released by %s", moved.order_id, moved.quote_id, actor)
    _announce(backoffice, events.QUOTE_COMPLETED, record=moved)
    return HoldResolution(moved, "release", reason, actor)


def _refund(
    backoffice: BackOfficeService, record: CheckoutRecord, reason: str, actor: str
) -> HoldResolution:
    entry: RefundEntry | None
    try:
        entry = backoffice.refund_checkout(record, None)
    except NothingToRefund:
        # A retry after an earlier refund of this hold was confirmed: the money is back.
        balance = backoffice.ledger.balance(record)
        if balance.refunded < balance.credit_amount:
            raise
        entry = None
    what = f"refund #{entry.id}" if entry is not None else "the refunds already made"
    moved = backoffice.store.transition(
        record.quote_id,
        CheckoutStatus.REFUNDED,
        expected=(CheckoutStatus.ON_HOLD,),
        source=SOURCE,
        note=f"refunded in full ({what}): {reason}",
        actor=actor,
    )
    if moved is None:
        raise HoldNotResolvable(f"Quote {record.quote_id} is no longer on hold.")
    log.info("Hold on order %s (quote %s) refunded by %s", moved.order_id, moved.quote_id, actor)
    _announce(
        backoffice, events.HOLD_REFUNDED, record=moved, refund=entry, reason=reason, actor=actor
    )
    return HoldResolution(moved, "refund", reason, actor, entry)


def _announce(backoffice: BackOfficeService, event: str, **payload: Any) -> None:
    """Tell the shop; a failing listener must not undo or hide a recorded resolution."""
    try:
        backoffice.notify(event, **payload)
    except Exception:
        log.exception("A %s listener failed (the resolution itself is recorded)", event)
