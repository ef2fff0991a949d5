"""The fake's admin page (``GET /_fake/``): its orders, a "pay with DivideBuy" link, status buttons.

What a shop owner sees in REC+'s admin, reduced to what the demo needs: follow
the platform's "pay with DivideBuy" link as the shopper, then dispatch or refund
the order as the shop (which fires ``update.order`` to the subscribed shop).
Loopback only, like every ``/_fake/`` endpoint.
"""

from __future__ import annotations

from html import escape

from .state import RecPlusFakeState

__all__ = ["ACTIONS", "admin_page"]

#: the buttons: status written to the order when pressed
ACTIONS = ("Dispatched", "Refunded", "Awaiting Payment")


def admin_page(state: RecPlusFakeState) -> str:
    """The page's HTML (every value escaped)."""
    link = state.config.pay_link
    rows = []
    for order in sorted(state.list_orders(), key=lambda o: int(o["id"])):
        order_id = escape(str(order["id"]))
        total = escape(str((order.get("totals") or {}).get("price", "")))
        status = escape(str(order.get("status", "")))
        pay = (
            f'<a href="{escape(link.replace("{id}", str(order["id"])))}">Pay with DivideBuy</a>'
            if link
            else ""
        )
        buttons = "".join(
            f'<button name="status" value="{escape(action)}">{escape(action)}</button> '
            for action in ACTIONS
        )
        rows.append(
            f"<tr><td>{order_id}</td><td>£{total}</td><td>{status}</td><td>{pay}</td>"
            f'<td><form method="post" action="/_fake/ui/status">'
            f'<input type="hidden" name="order_id" value="{order_id}">{buttons}</form></td></tr>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>REC+ (fake) orders</title></head><body><h1>REC+ (fake): orders</h1>"
        "<table><thead><tr><th>Order</th><th>Total</th><th>Status</th><th>Shopper</th>"
        "<th>Shop admin</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        '<p><a href="/_fake/state">State (JSON)</a></p></body></html>'
    )
