"""The amount check: a completed quote against the order as the shop holds it *now*.

While the shopper was at DivideBuy the basket may have changed in another tab.
DivideBuy then lent for the old amounts, and marking the order paid would ship
goods nobody paid for (or charge for goods not sent). So a completed quote is
compared with a fresh read of the order, and any difference puts the order on
hold for a person to resolve.

Reasons are written without a final full stop: the back office appends its own
advice to them.
"""

from __future__ import annotations

from ..models import Quote
from ..money import format_gbp
from ..orders import Order

__all__ = ["amount_problem"]


def amount_problem(quote: Quote, order: Order | None) -> str | None:
    """Why *quote* must not mark *order* paid, or ``None`` when the amounts agree."""
    if order is None:
        # the order source returns None for an order paid another way, cancelled or gone
        return (
            "DivideBuy completed the quote, but the shop no longer offers the order for "
            "payment (paid another way, cancelled or gone), so it may be paid twice"
        )
    if quote.retailer_order_id != order.order_id:
        return (
            f"DivideBuy's quote is for order {quote.retailer_order_id}, "
            f"not for order {order.order_id}"
        )
    problems = []
    if quote.order_amount != order.total:
        problems.append(
            f"DivideBuy's order amount is {format_gbp(quote.order_amount)} but the order's total "
            f"is now {format_gbp(order.total)}"
        )
    if quote.credit_amount != order.credit_amount:
        problems.append(
            f"DivideBuy lent {format_gbp(quote.credit_amount)} but the order now needs "
            f"{format_gbp(order.credit_amount)} of credit"
        )
    return "; ".join(problems) or None
