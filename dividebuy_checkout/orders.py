"""The platform-neutral order, the order-source interface, and the quote payload built from them.

A shop (or a platform adapter) hands the checkout an :class:`Order`: ids and
reference, lines, VAT, shipping, discount, totals and the customer as the shop
knows them. The application form asks only what the order does not say, and
:func:`build_quote_payload` — the one place that knows the wire's ``customer`` and
``order`` blocks — puts the two together. The result is validated with
:func:`dividebuy_checkout.schemas.load_quote` before it is sent.

Money is ``Decimal`` pounds: every amount goes through
:func:`~dividebuy_checkout.money.to_money` when an ``Order`` is built, so a float
(or a third decimal place) fails where the shop made it, not at DivideBuy.

Readings of the retailer document's slips (``docs/wire.md``) applied here:

- ``customer.customer.ip_address`` / ``customer.customer.nationality`` are sent as
  ``customer.ip_address`` / ``customer.nationality``;
- ``order.upfront_payment`` and ``order.credit_amount`` are pounds (the page says
  "boolean"), ``credit_amount = total - upfront_payment``;
- ``order.vat`` is the VAT amount; ``order.discount`` and ``order.total`` are pounds;
- ``order.is_default_shipping`` / ``is_default_billing`` are sent as ``1`` or ``0``;
- ``order.source`` is left out for web orders.

Assumption: the ``payment`` block (Direct Debit details) is never sent. The
document allows it only for accounts with explicit permission, and leaving it
out means bank details never pass through the shop: DivideBuy collects them on
its own page.

Order-source errors (what an :class:`OrderSource` may raise, and how the
checkout must treat each; platform adapters in ``dividebuy_checkout.integrations``
raise them, so the core never imports an adapter):

- ``get_order`` returns ``None``: no such order, or one this shopper may not pay
  (a platform's status or payment-method filter). The checkout answers "not
  found" as it always has.
- :class:`OrderSourceUnavailable`: the shop's platform could not be read just now
  (network error, timeout, 5xx, 429 after retries, credentials refused). The
  checkout shows ``message`` (shopper-safe) on a "try again shortly" page (503),
  logs ``detail`` for the operator, and changes nothing: on the amount check at
  completion the checkout stays pending and is checked again later.
  ``config_problem`` says the fix is a setting (``detail`` names it), not a wait.
- :class:`OrderNotFinanceable`: the order exists but cannot be financed as read
  (not in pounds, a line type the adapter does not know, unreadable money, a
  broken platform invariant). The form shows the "not available" page with
  ``reason``; at completion the checkout goes ``on_hold`` with the reason, never
  silently paid.

Every message here is free of personal data: they are logged and shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from .money import MoneyLike, to_money

__all__ = [
    "ORDER_SOURCE_UNAVAILABLE_MESSAGE",
    "ZERO",
    "Address",
    "Applicant",
    "Customer",
    "Order",
    "OrderLine",
    "OrderNotFinanceable",
    "OrderSource",
    "OrderSourceError",
    "OrderSourceUnavailable",
    "PreviousAddress",
    "build_quote_payload",
]

ZERO = Decimal("0.00")


def _money(value: MoneyLike, what: str) -> Decimal:
    return to_money(value, field=what)


def _optional_money(value: MoneyLike | None, what: str) -> Decimal | None:
    return None if value is None else to_money(value, field=what)


def _rate(value: MoneyLike | None, what: str) -> Decimal | None:
    """A percentage such as ``20`` or ``17.5`` (never a float, like money)."""
    if value is None:
        return None
    if isinstance(value, bool | float):
        raise ValueError(f"The {what} must be a Decimal, string or integer, not a float.")
    rate = Decimal(str(value))
    if not rate.is_finite() or not 0 <= rate <= 100:
        raise ValueError(f"The {what} must be a percentage from 0 to 100.")
    return rate


@dataclass(frozen=True)
class Address:
    """A UK postal address as the shop holds it (the wire's address fields, minus the times)."""

    address_line_1: str
    town: str
    postcode: str
    house_number: str | None = None
    house_name: str | None = None
    address_line_2: str | None = None
    address_line_3: str | None = None
    county: str | None = None

    def to_wire(self) -> dict[str, str]:
        """The address fields DivideBuy names, leaving out the blank ones."""
        values = {
            "house_number": self.house_number,
            "house_name": self.house_name,
            "address_line_1": self.address_line_1,
            "address_line_2": self.address_line_2,
            "address_line_3": self.address_line_3,
            "town": self.town,
            "county": self.county,
            "postcode": self.postcode,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}


@dataclass(frozen=True)
class Customer:
    """The shopper as the order knows them. Anything missing is asked on the form.

    ``email`` is kept for the shop's own use: the create-quote request has no
    e-mail field, so it is not sent.
    """

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile_number: str | None = field(default=None, repr=False)
    address: Address | None = field(default=None, repr=False)
    title: str | None = None


@dataclass(frozen=True)
class OrderLine:
    """One line of the order. Give the unit price including VAT, excluding VAT, or both."""

    name: str
    quantity: int
    unit_price_including_vat: Decimal | None = None
    unit_price_excluding_vat: Decimal | None = None
    sku: str | None = None
    vat_percentage: Decimal | None = None
    #: discount applied to this line, in pounds
    discount: Decimal = ZERO

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise ValueError("An order line's quantity must be a whole number.")
        if self.quantity < 1:
            raise ValueError("An order line's quantity must be 1 or more.")
        incl = _optional_money(self.unit_price_including_vat, "unit price including VAT")
        excl = _optional_money(self.unit_price_excluding_vat, "unit price excluding VAT")
        if incl is None and excl is None:
            raise ValueError(f"Order line {self.name!r} needs a unit price (with or without VAT).")
        object.__setattr__(self, "unit_price_including_vat", incl)
        object.__setattr__(self, "unit_price_excluding_vat", excl)
        object.__setattr__(self, "vat_percentage", _rate(self.vat_percentage, "VAT percentage"))
        object.__setattr__(self, "discount", _money(self.discount, "line discount"))

    def to_wire(self) -> dict[str, Any]:
        item: dict[str, Any] = {"name": self.name, "quantity": self.quantity}
        if self.sku:
            item["sku"] = self.sku
        if self.unit_price_excluding_vat is not None:
            item["price_excluding_vat"] = self.unit_price_excluding_vat
            item["row_total_excluding_vat"] = self.unit_price_excluding_vat * self.quantity
        if self.unit_price_including_vat is not None:
            item["price_including_vat"] = self.unit_price_including_vat
            item["row_total_including_vat"] = self.unit_price_including_vat * self.quantity
        if self.vat_percentage is not None:
            item["vat_percentage"] = self.vat_percentage
        if self.discount:
            item["discount"] = self.discount
        return item


@dataclass(frozen=True)
class Order:
    """An order as the shop holds it *now*, in the shop's terms, ready to be financed.

    ``total`` is what the shopper pays for the order (after discount, with VAT and
    shipping); ``upfront_payment`` is any part the shop collected itself before
    sending the shopper to DivideBuy, so DivideBuy lends ``credit_amount``.
    """

    order_id: str
    order_ref: str
    lines: tuple[OrderLine, ...]
    subtotal: Decimal
    vat: Decimal
    shipping: Decimal
    total: Decimal
    customer: Customer
    vat_rate: Decimal | None = None
    discount: Decimal = ZERO
    #: "beforeVat" or "afterVat" (the wire's ``time_discount_applied``)
    time_discount_applied: str = "beforeVat"
    shipping_method: str = "standard"
    shipping_label: str = "Standard delivery"
    upfront_payment: Decimal = ZERO
    is_default_shipping: bool = True
    is_default_billing: bool = True
    #: the sales channel: None for web orders, else "in-store", "telephony" or "in-home"
    source: str | None = None

    def __post_init__(self) -> None:
        if not str(self.order_id).strip():
            raise ValueError("An order needs an order_id.")
        object.__setattr__(self, "order_id", str(self.order_id))
        object.__setattr__(self, "order_ref", str(self.order_ref or self.order_id))
        object.__setattr__(self, "lines", tuple(self.lines))
        for name in ("subtotal", "vat", "shipping", "total", "discount", "upfront_payment"):
            object.__setattr__(self, name, _money(getattr(self, name), name.replace("_", " ")))
        object.__setattr__(self, "vat_rate", _rate(self.vat_rate, "VAT rate"))
        if self.upfront_payment >= self.total and self.total > 0:
            raise ValueError("The upfront payment must be less than the order total.")

    @property
    def credit_amount(self) -> Decimal:
        """What DivideBuy lends: the total less what the shop collected up front."""
        return self.total - self.upfront_payment


class OrderSourceError(Exception):
    """The order source failed to give an order (base class; see the module docstring).

    ``message`` may be shown to the shopper; ``detail`` is for the operator's log
    and names what to fix. Neither ever holds personal data.
    """

    def __init__(
        self,
        message: str,
        *,
        detail: str | None = None,
        platform: str | None = None,
        order_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.platform = platform
        self.order_id = order_id

    def __str__(self) -> str:
        return self.message if not self.detail else f"{self.message} ({self.detail})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(platform={self.platform!r}, order_id={self.order_id!r}, "
            f"message={self.message!r})"
        )


#: What the shopper sees when the shop's platform cannot be read.
ORDER_SOURCE_UNAVAILABLE_MESSAGE = (
    "We could not read your order from the shop just now. Please try again in a few minutes."
)


class OrderSourceUnavailable(OrderSourceError):
    """The shop's platform could not be read just now; try again later (or fix a setting).

    ``retry_after`` is the platform's own ``Retry-After`` in seconds when it gave
    one; ``config_problem`` is true when waiting will not help (credentials or
    scope refused) and ``detail`` names the setting to fix.
    """

    def __init__(
        self,
        message: str = ORDER_SOURCE_UNAVAILABLE_MESSAGE,
        *,
        detail: str | None = None,
        platform: str | None = None,
        order_id: str | None = None,
        retry_after: float | None = None,
        config_problem: bool = False,
        status: int | None = None,
    ) -> None:
        super().__init__(message, detail=detail, platform=platform, order_id=order_id)
        self.retry_after = retry_after
        self.config_problem = config_problem
        self.status = status


class OrderNotFinanceable(OrderSourceError):
    """The order exists but cannot be financed as read; ``reason`` says why (shopper-safe)."""

    def __init__(
        self,
        reason: str,
        *,
        detail: str | None = None,
        platform: str | None = None,
        order_id: str | None = None,
    ) -> None:
        super().__init__(reason, detail=detail, platform=platform, order_id=order_id)
        self.reason = reason


@runtime_checkable
class OrderSource(Protocol):
    """Where the checkout reads orders from: the shop, or a platform adapter.

    ``get_order`` is called when the form is shown, when it is submitted, and
    again when DivideBuy reports a quote completed (to compare amounts with the
    order as it stands then), so it must return the order as it is *now*. Return
    ``None`` for an order that does not exist or that this shopper may not pay.
    """

    def get_order(self, order_id: str) -> Order | None: ...


@dataclass(frozen=True)
class PreviousAddress:
    """A previous address and how long the applicant lived there (``YY-MM``)."""

    address: Address
    time_at_address: str


@dataclass(frozen=True)
class Applicant:
    """What the application form asks: what the order does not say.

    Values are the shopper's answers as typed; :func:`build_quote_payload` puts
    them in place and the UK schema normalises and checks them. The personal
    ones are left out of ``repr`` so they cannot reach a log line by accident,
    and nothing here is ever stored.
    """

    instalment_term: Any
    instalment_day: Any
    time_at_address: str
    title: str | None = None
    date_of_birth: str = field(default="", repr=False)
    income_type: str = field(default="", repr=False)
    residential_status: str = field(default="", repr=False)
    rent: Any = field(default=None, repr=False)
    nationality: str = field(default="", repr=False)
    previous_addresses: tuple[PreviousAddress, ...] = field(default=(), repr=False)
    #: answers that replace what the order said (it was missing or not in DivideBuy's form)
    first_name: str | None = field(default=None, repr=False)
    last_name: str | None = field(default=None, repr=False)
    mobile_number: str | None = field(default=None, repr=False)
    address: Address | None = field(default=None, repr=False)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _first(*values: Any) -> Any:
    return next((value for value in values if not _blank(value)), None)


def build_quote_payload(
    order: Order,
    applicant: Applicant,
    *,
    redirect_url: str,
    ip_address: str,
) -> dict[str, Any]:
    """The create-quote body (``customer`` and ``order`` blocks) for *order* and *applicant*.

    The one function that knows the wire's shape for a checkout. Values are put
    in place, not judged: pass the result to
    :func:`dividebuy_checkout.schemas.load_quote`, which checks every UK rule and
    returns what the client sends.
    """
    known = order.customer
    address = applicant.address or known.address
    current = dict(address.to_wire()) if address is not None else {}
    current["time_at_address"] = applicant.time_at_address
    customer: dict[str, Any] = {
        "title": _first(applicant.title, known.title),
        "first_name": _first(applicant.first_name, known.first_name),
        "last_name": _first(applicant.last_name, known.last_name),
        "date_of_birth": applicant.date_of_birth,
        "mobile_number": _first(applicant.mobile_number, known.mobile_number),
        "address": current,
        "previous_addresses": [
            {**previous.address.to_wire(), "time_at_address": previous.time_at_address}
            for previous in applicant.previous_addresses
        ],
        "income_type": applicant.income_type,
        "residential_status": applicant.residential_status,
        # WIRE.md reading: customer.customer.ip_address is customer.ip_address
        "ip_address": ip_address,
        # WIRE.md reading: customer.customer.nationality is customer.nationality
        "nationality": applicant.nationality,
    }
    if not _blank(applicant.rent):
        customer["rent"] = applicant.rent
    wire_order: dict[str, Any] = {
        "retailer_order_id": order.order_id,
        "retailer_order_ref": order.order_ref,
        "selected_instalment_term": applicant.instalment_term,
        "instalment_date": applicant.instalment_day,
        "subtotal": order.subtotal,
        "vat": order.vat,
        "shipping": order.shipping,
        "shipping_method": order.shipping_method,
        "shipping_label": order.shipping_label,
        "discount": order.discount,
        "time_discount_applied": order.time_discount_applied,
        "total": order.total,
        "is_default_shipping": 1 if order.is_default_shipping else 0,
        "is_default_billing": 1 if order.is_default_billing else 0,
        "upfront_payment": order.upfront_payment,
        "credit_amount": order.credit_amount,
        "line_items": [line.to_wire() for line in order.lines],
        "redirect_url": redirect_url,
    }
    if order.vat_rate is not None:
        wire_order["vat_rate"] = order.vat_rate
    if order.source:
        wire_order["source"] = order.source
    return {"customer": customer, "order": wire_order}
