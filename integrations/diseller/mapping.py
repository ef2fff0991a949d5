"""DiSeller order → :class:`~dividebuy_checkout.orders.Order`: the one place for DiSeller's mapping.

Pure functions (no I/O, no clock), so every mapping test is a call on fixtures.
The seed (``shared/seeds/002_*.txt``) shows an order as ``id``, ``customer_id``,
``status``, ``total``, ``currency``, ``items[]`` {``product_id``, ``quantity``,
``price``} and ``created_at``; no VAT, shipping, discount, item name, SKU,
billing address or order number. What this module assumes where it is silent
(each also in :mod:`..assumptions` and ``docs/assumptions.md``, "DiSeller"):

- **Minor units.** ``total`` and ``price`` are integer pence (``2999`` × 2 ==
  ``5998``, a $29.99 T-shirt). A string, a fraction, a boolean or an amount of
  £10¹⁵ or more is refused (:class:`~..errors.MappingError`), never rounded.
- **GBP only**, case-insensitive (``"usd"`` → "This order is in USD; DivideBuy
  lends in pounds only."); a product priced in another currency than its order
  is refused too (D2).
- **VAT-inclusive prices** at ``DIVIDEBUY_DISELLER_VAT_RATE`` (20): ``vat`` =
  total × r/(100+r) and ``subtotal`` = goods − goods × r/(100+r), each rounded
  half-up once; the platform's total is never recomputed.
- **Residual.** ``R = total − Σ price × quantity``: positive is shipping,
  negative a discount (``DIVIDEBUY_DISELLER_RESIDUAL = "shipping"``), or any
  residual refuses the order (``"refuse"``).
- **Names from products.** A line's name is its product's ``name``
  (``GET /products/{id}``); a product that is gone (404) leaves the product id as
  the name, with a note. ``sku`` is the product id.
- **Customer.** ``name`` split only when it is exactly two words (after a title);
  ``phone`` normalised when it is a UK mobile, else passed raw; the order's
  ``shipping_address`` (assumed present on a read, as in the create body) is the
  applicant's address only when its ``country`` is GB/UK. A missing customer
  (404 or ``customer_id`` null) is not an error: the form asks.
- **Payable.** ``status == "cancelled"`` is never payable (``None``);
  ``DIVIDEBUY_DISELLER_PAYABLE_STATUSES`` narrows further.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...money import PENNY
from ...orders import ZERO, Address, Customer, Order, OrderLine
from .._money import pounds_from_minor, require_gbp
from .._people import is_uk_country, mask_fields, pick_mobile, split_full_name
from ..assumptions import (
    DISELLER_NO_SHIPPING,
    DISELLER_NOT_PAYABLE_STATUSES,
    DISELLER_SHIPPING,
)
from ..errors import MappingError
from ..results import MappedOrder

__all__ = [
    "PERSONAL_FIELDS",
    "PLATFORM",
    "MappedOrder",
    "ProductInfo",
    "map_order",
    "mask_personal",
    "not_payable_reason",
    "order_currency_reason",
    "product_info",
]

PLATFORM = "diseller"

#: Keys of DiSeller bodies whose values are personal (masked by :func:`mask_personal`);
#: a customer's ``name`` too (a product's is not personal).
PERSONAL_FIELDS = frozenset({"email", "phone", "street", "city", "state", "zip"})

#: The most address lines DivideBuy takes; a longer street is folded into the last one.
_ADDRESS_LINES = 3


@dataclass(frozen=True)
class ProductInfo:
    """What an order needs from a product: its name and, when given, its currency."""

    product_id: str
    name: str
    currency: str | None = None


def product_info(body: Mapping[str, Any], product_id: str) -> ProductInfo:
    """A ``GET /products/{id}`` body as :class:`ProductInfo` (a blank name → the id)."""
    name = body.get("name")
    currency = body.get("currency")
    return ProductInfo(
        product_id=product_id,
        name=name.strip() if isinstance(name, str) and name.strip() else product_id,
        currency=currency.strip() if isinstance(currency, str) and currency.strip() else None,
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _fail(order_id: str | None, reason: str, detail: str | None = None) -> MappingError:
    return MappingError(reason, detail=detail, platform=PLATFORM, order_id=order_id)


def order_currency_reason(order: Mapping[str, Any]) -> MappingError | None:
    """The refusal for an order not in pounds, or ``None`` (checked before any other read)."""
    try:
        require_gbp(order.get("currency"), f"DiSeller order {order.get('id')} currency")
    except MappingError as exc:
        return _fail(str(order.get("id") or "") or None, exc.reason, exc.detail)
    return None


def not_payable_reason(
    order: Mapping[str, Any], *, payable_statuses: frozenset[str] | None
) -> str | None:
    """Why this order may not be paid with DivideBuy (by its status), or ``None``."""
    status = order.get("status")
    if isinstance(status, str) and status.strip().lower() in DISELLER_NOT_PAYABLE_STATUSES:
        return f"status {status!r}: the order was cancelled on DiSeller"
    if payable_statuses is not None and status not in payable_statuses:
        return f"status {status!r} is not in DIVIDEBUY_DISELLER_PAYABLE_STATUSES"
    return None


def _minor(order_id: str, value: object, field: str) -> Decimal:
    try:
        amount = pounds_from_minor(value, field)
    except MappingError as exc:
        raise _fail(
            order_id,
            f"The shop's order has an amount that is not a whole number of pence in {field}.",
            exc.reason,
        ) from None
    if amount < 0:
        raise _fail(order_id, f"The shop's order has a negative amount in {field}.")
    return amount


def _quantity(order_id: str, value: object, field: str) -> int:
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(order_id, f"The shop's order has a line with an unusable quantity ({field}).")
    return value


def _vat_of(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT inside a VAT-inclusive *gross* amount at *rate* percent, half-up to the penny."""
    return (gross * rate / (100 + rate)).quantize(PENNY, rounding=ROUND_HALF_UP)


def _address(order: Mapping[str, Any], notes: list[str]) -> Address | None:
    raw = order.get("shipping_address")
    if not isinstance(raw, Mapping):
        notes.append("address not pre-filled: the order has no shipping_address")
        return None
    country = raw.get("country")
    if not is_uk_country(country):
        shown = _text(country)[:60] if isinstance(country, str) else "missing"
        notes.append(f"address not pre-filled: shipping_address country is {shown!r}")
        return None
    street = [part.strip() for part in _text(raw.get("street")).splitlines() if part.strip()]
    town, postcode = _text(raw.get("city")), _text(raw.get("zip"))
    if not street or not town or not postcode:
        notes.append("address not pre-filled: street, city or zip is missing")
        return None
    if len(street) > _ADDRESS_LINES:
        street = [*street[: _ADDRESS_LINES - 1], ", ".join(street[_ADDRESS_LINES - 1 :])]
    lines = street + [""] * (_ADDRESS_LINES - len(street))
    return Address(
        address_line_1=lines[0],
        address_line_2=lines[1] or None,
        address_line_3=lines[2] or None,
        town=town,
        county=_text(raw.get("state")) or None,
        postcode=postcode,
    )


def _customer(
    order: Mapping[str, Any], customer: Mapping[str, Any] | None, notes: list[str]
) -> Customer:
    address = _address(order, notes)
    if customer is None:
        notes.append("customer not found: name, e-mail and mobile are asked on the form")
        return Customer(address=address)
    title, first, last = split_full_name(customer.get("name"))
    if first is None:
        notes.append("name not pre-filled: not exactly a first and a last name")
    return Customer(
        title=title,
        first_name=first,
        last_name=last,
        email=_text(customer.get("email")) or None,
        mobile_number=pick_mobile([customer.get("phone")]),
        address=address,
    )


def map_order(
    order: Mapping[str, Any],
    customer: Mapping[str, Any] | None,
    products: Mapping[str, ProductInfo | None],
    *,
    vat_rate: Decimal = Decimal("20"),
    residual: str = "shipping",
    sales_channel: str | None = None,
) -> MappedOrder:
    """Map one DiSeller order with its customer (``None``: not found) and its products.

    *products* maps each ``product_id`` the order names to its :class:`ProductInfo`,
    or ``None`` when DiSeller answered 404 for it.
    """
    if not isinstance(order, Mapping) or _text(order.get("id")) == "":
        raise _fail(None, "The shop's order could not be read.")
    order_id = _text(order.get("id"))
    refused = order_currency_reason(order)
    if refused is not None:
        raise refused
    currency = _text(order.get("currency")).lower()
    items = order.get("items")
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        raise _fail(order_id, "The shop's order has no items to finance.")
    notes: list[str] = []
    lines: list[OrderLine] = []
    goods = ZERO
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item, Mapping):
            raise _fail(order_id, f"The shop's order has an unreadable line ({where}).")
        product_id = _text(item.get("product_id"))
        if not product_id:
            raise _fail(order_id, f"The shop's order has a line without a product ({where}).")
        quantity = _quantity(order_id, item.get("quantity"), f"{where}.quantity")
        price = _minor(order_id, item.get("price"), f"{where}.price")
        info = products.get(product_id)
        if info is None:
            notes.append(f"product {product_id} not found: its id is used as the line name")
            name = product_id
        else:
            if info.currency is not None and info.currency.lower() != currency:
                raise _fail(
                    order_id,
                    "The shop's order has a product priced in another currency.",
                    f"D2: product {product_id} is in {info.currency.upper()}, "
                    f"the order in {currency.upper()}",
                )
            name = info.name
        goods += price * quantity
        lines.append(
            OrderLine(
                name=name,
                quantity=quantity,
                unit_price_including_vat=price,
                sku=product_id,
                vat_percentage=vat_rate,
            )
        )
    total = _minor(order_id, order.get("total"), "total")
    difference = total - goods
    if difference != 0 and residual == "refuse":
        raise _fail(
            order_id,
            "The shop's order total differs from its items and the shop refuses residuals.",
            f"D3: total {total} − items {goods} = {difference} (DIVIDEBUY_DISELLER_RESIDUAL)",
        )
    shipping = max(difference, ZERO)
    discount = max(-difference, ZERO)
    if shipping:
        notes.append(f"shipping {shipping} read from total − items")
    if discount:
        notes.append(f"discount {discount} read from items − total")
    method, label = DISELLER_SHIPPING if shipping else DISELLER_NO_SHIPPING
    try:
        mapped = Order(
            order_id=order_id,
            order_ref=order_id,
            lines=tuple(lines),
            subtotal=goods - _vat_of(goods, vat_rate),
            vat=_vat_of(total, vat_rate),
            shipping=shipping,
            total=total,
            customer=_customer(order, customer, notes),
            vat_rate=vat_rate,
            discount=discount,
            time_discount_applied="beforeVat",
            shipping_method=method,
            shipping_label=label,
            is_default_shipping=True,
            is_default_billing=True,
            source=sales_channel,
        )
    except ValueError as exc:
        raise _fail(order_id, f"The shop's order cannot be financed as it stands: {exc}") from None
    return MappedOrder(mapped, tuple(notes))


def mask_personal(value: Any, *, customer: bool = False) -> Any:
    """A copy of a DiSeller body (or ``fetch``'s bundle) with personal values as ``"***"``.

    Inside the bundle's ``customer`` object the ``name`` is masked too.
    """
    fields = PERSONAL_FIELDS | {"name"} if customer else PERSONAL_FIELDS
    return mask_fields(value, fields, widen={"customer": {"name"}})
