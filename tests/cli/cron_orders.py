"""A shop's orders as a cron job imports them (``cron_orders:orders``): two open orders."""

from __future__ import annotations

from dividebuy_checkout.orders import Address, Customer, Order, OrderLine

__all__ = ["Orders", "orders"]

HOME = Address(house_number="12", address_line_1="Acacia Avenue", town="Leeds", postcode="LS1 4AP")


class Orders:
    def get_order(self, order_id: str) -> Order | None:
        if order_id not in ("1001", "1002"):
            return None
        return Order(
            order_id=order_id,
            order_ref="FS-" + order_id,
            lines=(OrderLine("Walnut desk", 1, unit_price_including_vat="947.00"),),
            subtotal="789.17",
            vat="157.83",
            shipping="0.00",
            total="947.00",
            customer=Customer("Ada", "Lovelace", "ada@example.com", "07400 123456", HOME),
        )


orders = Orders()
