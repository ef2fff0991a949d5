"""Run by the upgrade test with ``PYTHONPATH`` at a clean copy of the first release (69a911f):
that release's own ``SqlStore`` creates its tables and writes the rows a shop had then
(pending, completed, superseded checkouts with their audit trail, a settlement, refunds).

Usage: ``python first_release.py <database url>``. Prints nothing; exits non-zero on failure.
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal

from dividebuy_checkout.store import CheckoutStatus, SqlStore
from dividebuy_checkout.store.ledger import Ledger, RefundStatus, SettlementClaim


def main(url: str) -> None:
    store = SqlStore(url)
    ledger = Ledger(store.engine)

    def add(quote_id: str, order_id: str, total: str, **extra: object) -> None:
        store.add(
            quote_id=quote_id,
            order_id=order_id,
            order_ref=f"REF-{order_id}",
            amount=Decimal(total),
            credit_amount=Decimal(total),
            term=12,
            status=CheckoutStatus.PENDING,
            decision="ACCEPT",
            checkout_url=f"https://dividebuy.example/checkout/{quote_id}",
            return_ref=f"ret-{quote_id}",
            **extra,  # type: ignore[arg-type]
        )

    add("Q-PENDING", "1001", "250.00")
    add("Q-OLD", "1002", "100.00")
    add("Q-NEW", "1002", "120.00", supersede="Q-OLD")
    add("Q-PAID", "1003", "899.99")
    paid = store.transition(
        "Q-PAID", CheckoutStatus.COMPLETED, source="return", dividebuy_order_id="DB-1003"
    )
    assert paid is not None
    claim = SettlementClaim("1003", "Q-PAID", "DB-1003", date(2026, 11, 20))
    ledger.claim_settlements([claim])
    ledger.mark_settled([claim])
    done = ledger.reserve_refund(paid, Decimal("50.00"))
    ledger.finish_refund(
        done.id, RefundStatus.SUCCEEDED, dividebuy_refund_id="R-1", refund_type="partial"
    )
    unknown = ledger.reserve_refund(paid, Decimal("25.50"))
    ledger.finish_refund(unknown.id, RefundStatus.UNKNOWN, note="timed out")


if __name__ == "__main__":
    main(sys.argv[1])
