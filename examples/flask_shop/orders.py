"""The shop's orders (in memory) and the :class:`OrderSource` DivideBuy reads them through.

A real shop keeps orders in its database; the checkout only needs
``get_order(order_id) -> Order | None``, returning the order *as it is now*
(the amount check compares a completed quote with it).

The open order mirrors the basket until it is paid, so changing the basket in
another tab while at DivideBuy changes the order's total: exactly the case the
amount check puts on hold.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from dividebuy_checkout.money import round_money
from dividebuy_checkout.orders import Address, Customer, Order, OrderLine

from .catalogue import BY_SLUG, VAT_RATE, Product

FREE_SHIPPING_FROM = Decimal("500.00")
STANDARD_SHIPPING = Decimal("9.95")


def shipping_for(goods: Decimal) -> Decimal:
    """Delivery for a basket of *goods* (VAT included): free from £500, otherwise £9.95."""
    return Decimal("0.00") if goods >= FREE_SHIPPING_FROM else STANDARD_SHIPPING


def vat_in(amount: Decimal) -> Decimal:
    """The VAT included in a price shown with VAT (delivery is standard-rated like the goods)."""
    return round_money(amount * VAT_RATE / (100 + VAT_RATE))


# The shop's own order states (DivideBuy's checkout has its own, shown beside them).
AWAITING_PAYMENT = "awaiting payment"
PENDING_FINANCE = "waiting for DivideBuy"
PAID = "paid"
ON_HOLD = "on hold"


@dataclass(frozen=True)
class ShopOrder:
    """An order as this shop stores it."""

    id: str
    lines: tuple[tuple[Product, int], ...]
    customer: Customer
    status: str = AWAITING_PAYMENT
    paid_with: str | None = None
    note: str | None = None

    @property
    def goods(self) -> Decimal:
        return sum((product.price * qty for product, qty in self.lines), Decimal("0.00"))

    @property
    def shipping(self) -> Decimal:
        return shipping_for(self.goods)

    @property
    def total(self) -> Decimal:
        return self.goods + self.shipping

    @property
    def vat(self) -> Decimal:
        """VAT included in the goods' prices (prices are shown with VAT)."""
        return vat_in(self.goods)

    @property
    def shipping_vat(self) -> Decimal:
        """VAT included in the delivery charge (shown on the order; DivideBuy's ``vat`` is the
        goods' VAT, as the order's ``subtotal`` is the goods' net price)."""
        return vat_in(self.shipping)

    @property
    def total_vat(self) -> Decimal:
        return self.vat + self.shipping_vat

    @property
    def ref(self) -> str:
        return f"FS-{self.id}"

    @property
    def open(self) -> bool:
        return self.status in (AWAITING_PAYMENT, PENDING_FINANCE)

    def to_order(self) -> Order:
        """The platform-neutral order DivideBuy's checkout reads."""
        free = self.shipping == 0
        return Order(
            order_id=self.id,
            order_ref=self.ref,
            lines=tuple(
                OrderLine(
                    name=product.name,
                    quantity=qty,
                    unit_price_including_vat=product.price,
                    sku=product.sku,
                    vat_percentage=VAT_RATE,
                )
                for product, qty in self.lines
            ),
            subtotal=self.goods - self.vat,
            vat=self.vat,
            vat_rate=VAT_RATE,
            shipping=self.shipping,
            shipping_method="free_shipping" if free else "standard",
            shipping_label="Free delivery" if free else "Standard delivery",
            total=self.total,
            customer=self.customer,
        )


@dataclass
class OrderBook:
    """Every order of this shop, in memory, safe for a threaded server. Also the OrderSource."""

    _orders: dict[str, ShopOrder] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- the OrderSource interface -----------------------------------------------------------------

    def get_order(self, order_id: str) -> Order | None:
        """The order while it can still be paid; ``None`` once it is paid (by card or
        DivideBuy), on hold, or empty. The checkout asks when the form is shown, when it
        is submitted and when DivideBuy completes a quote: a quote completed for an order
        paid another way is then put on hold, never paid twice."""
        shop_order = self.get(order_id)
        if shop_order is None or not shop_order.lines or not shop_order.open:
            return None
        return shop_order.to_order()

    # -- the shop's own use ------------------------------------------------------------------------

    def get(self, order_id: str) -> ShopOrder | None:
        with self._lock:
            return self._orders.get(str(order_id))

    def place(
        self, basket: Mapping[str, int], customer: Customer, *, order_id: str | None = None
    ) -> ShopOrder:
        """Create an order from the basket, or bring an open one in line with it."""
        lines = tuple((BY_SLUG[slug], qty) for slug, qty in basket.items() if slug in BY_SLUG)
        with self._lock:
            existing = self._orders.get(order_id) if order_id else None
            if existing is not None and existing.open:
                order = replace(existing, lines=lines, customer=customer)
            else:
                order = ShopOrder(str(next(self._ids)), lines, customer)
            self._orders[order.id] = order
            return order

    def update(self, order_id: str, **changes: object) -> ShopOrder | None:
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                return None
            order = replace(order, **changes)  # type: ignore[arg-type]
            self._orders[order_id] = order
            return order


def customer_from(data: Mapping[str, str]) -> Customer:
    """The shop's checkout form → the customer it knows."""
    return Customer(
        first_name=data.get("first_name") or None,
        last_name=data.get("last_name") or None,
        email=data.get("email") or None,
        mobile_number=data.get("mobile_number") or None,
        address=Address(
            house_number=data.get("house_number") or None,
            address_line_1=data.get("address_line_1") or "",
            town=data.get("town") or "",
            postcode=data.get("postcode") or "",
        ),
    )
