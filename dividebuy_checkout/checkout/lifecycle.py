"""The checkout's lifecycle rules that are not the amount check: each a small pure function.

Why each exists (``docs/checkout.md``, "Lifecycle rules"):

- a quote the shop moved on from (replaced by a changed basket, cancelled in the
  shop, expired here) may still be signed at DivideBuy: if it completes, the order
  may be paid twice, so it goes on hold (:func:`late_completion_reason`);
- a completion while another checkout of the same order is on hold, or already
  paid, is held too (:func:`sibling_hold_reason`): only ``resolve-hold`` clears a hold;
- the applicant must be the buyer: a surname or postcode that differs from the
  order's billing details holds the completion for review
  (:func:`applicant_mismatch`, decided at submit, so no application data is kept);
- an order with nothing to lend is never sent to DivideBuy (:data:`ZERO_TOTAL_REASON`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from ..config import declare, setting
from ..orders import Order
from ..store import CheckoutRecord, CheckoutStatus

__all__ = [
    "DEFAULT_NOT_FOUND_LIMIT",
    "DEFAULT_QUOTE_LIFETIME",
    "SETTINGS",
    "ZERO_TOTAL_REASON",
    "applicant_mismatch",
    "late_completion_reason",
    "service_options",
    "sibling_hold_reason",
]

#: Assumption (DivideBuy's documents are silent on how long a 404 for a quote we created may
#: be transient): three consecutive "not found" answers, one per reconcile run, mean DivideBuy
#: no longer knows the quote. Setting: DIVIDEBUY_QUOTE_NOT_FOUND_LIMIT.
DEFAULT_NOT_FOUND_LIMIT = 3

#: Assumption (the documents give no quote lifetime): 30 days covers a REFERRED application
#: waiting for its guarantor. Past it a pending quote expires here (still watched) and a
#: quote DivideBuy does not know is orphaned at once. Setting: DIVIDEBUY_QUOTE_LIFETIME_HOURS.
DEFAULT_QUOTE_LIFETIME = timedelta(days=30)

#: the lifecycle's settings: read by the Flask extension and the console CLI alike
SETTINGS: dict[str, Any] = {
    "DIVIDEBUY_QUOTE_NOT_FOUND_LIMIT": setting(
        DEFAULT_NOT_FOUND_LIMIT,
        "consecutive 'not found' answers from DivideBuy (one per reconcile) before a "
        "checkout is final as orphaned",
        minimum=1,
    ),
    "DIVIDEBUY_QUOTE_LIFETIME_HOURS": setting(
        int(DEFAULT_QUOTE_LIFETIME.total_seconds() // 3600),
        "hours after which a quote still pending at DivideBuy expires in the shop (still "
        "watched) and one DivideBuy does not know is orphaned at once",
        minimum=1,
    ),
    "DIVIDEBUY_CHECK_APPLICANT": setting(
        True,
        "hold a completed quote for review when the applicant's surname or postcode is not "
        "the order's billing one",
    ),
}
declare("lifecycle", SETTINGS)


def service_options(read: Callable[[str], Any]) -> dict[str, Any]:
    """``CheckoutService`` keywords from the settings, each read by *read* (typed already)."""
    return {
        "not_found_limit": int(read("DIVIDEBUY_QUOTE_NOT_FOUND_LIMIT")),
        "quote_lifetime": timedelta(hours=int(read("DIVIDEBUY_QUOTE_LIFETIME_HOURS"))),
        "check_applicant": bool(read("DIVIDEBUY_CHECK_APPLICANT")),
    }


#: the "not available" reason for an order whose total (less any upfront payment) is £0.00
ZERO_TOTAL_REASON = (
    "There is nothing left to pay on this order, so it cannot be paid with DivideBuy."
)

_LATE = {
    CheckoutStatus.SUPERSEDED: (
        "DivideBuy completed a quote that had been replaced by a newer one (the basket "
        "changed), so the order may be financed twice"
    ),
    CheckoutStatus.CANCELLED: (
        "DivideBuy completed an application that had been cancelled in the shop (the order "
        "may have been paid another way), so it may be paid twice"
    ),
    CheckoutStatus.EXPIRED: (
        "DivideBuy completed a quote after it had expired in the shop (the order may have "
        "been paid another way), so it may be paid twice"
    ),
}


def late_completion_reason(record: CheckoutRecord) -> str:
    """The hold reason for a quote DivideBuy completed after the shop had moved on from it."""
    return _LATE.get(
        record.status,
        f"DivideBuy completed a quote the shop had recorded as {record.status.value}",
    )


def sibling_hold_reason(
    record: CheckoutRecord, order_checkouts: Iterable[CheckoutRecord]
) -> str | None:
    """Why *record*'s completion must wait for the order's other checkouts, or ``None``."""
    others = [r for r in order_checkouts if r.quote_id != record.quote_id]
    held = [r.quote_id for r in others if r.status is CheckoutStatus.ON_HOLD]
    if held:
        return (
            f"another DivideBuy checkout of this order is on hold (quote {', '.join(held)}): "
            "resolve it first"
        )
    paid = [r.quote_id for r in others if r.status is CheckoutStatus.COMPLETED]
    if paid:
        return (
            f"the order was already paid by DivideBuy quote {', '.join(paid)}, so it may be "
            "financed twice"
        )
    return None


def _surname(value: Any) -> str:
    """A surname compared without case, spaces, hyphens or apostrophes (``O'Neil`` = ``oneil``)."""
    return re.sub(r"[\s'’\-.]", "", str(value or "")).casefold()


def _postcode(value: Any) -> str:
    return re.sub(r"\s", "", str(value or "")).upper()


def applicant_mismatch(order: Order, applicant: Mapping[str, Any]) -> str | None:
    """Why the applicant may not be the order's buyer, or ``None``.

    *applicant* is the ``customer`` block about to be sent to DivideBuy (the form's
    answers over the order's own details). Compared with the order's billing
    details: the surname and the postcode, where the order has them. Only the
    verdict is kept (a sentence without the values): never the application.
    """
    known = order.customer
    problems = []
    if known.last_name and _surname(applicant.get("last_name")) != _surname(known.last_name):
        problems.append("the applicant's surname is not the surname on the order")
    address = applicant.get("address")
    postcode = address.get("postcode") if isinstance(address, Mapping) else None
    if (
        known.address is not None
        and known.address.postcode
        and (_postcode(postcode) != _postcode(known.address.postcode))
    ):
        problems.append("the applicant's postcode is not the order's billing postcode")
    if not problems:
        return None
    return " and ".join(problems) + ": check that the applicant is the buyer"
