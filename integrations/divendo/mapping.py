"""Divendo order (+ contact) → ``Order``: the one place for Divendo's field mapping.

**The seeds give no order body at all** (000 names ``GET /orders/{orderid}``, nothing more).
The shape read here is taken from Divendo's public schema pages ("Order Line", "Order
Customer", "Order Shipping", the ``/orders/search`` example; ADAPTERS §4.2, tagged P), and
the top-level keys those pages do not show (``lines``, ``shipping``, ``discount``,
``total``) are assumed. Every JSON path lives in :class:`DivendoOrderShape`, overridable by
``DIVIDEBUY_DIVENDO_ORDER_SHAPE`` (a dict of dotted paths), so a shop whose account answers
differently changes a setting, not code. Only the contact (``GET /contacts/{id}``, seed
001:22-65) is documented in the seeds; its field names are fixed here.

Assumptions (each also a row in ``docs/assumptions.md``, "Divendo"):

- ``unitprice`` is the VAT-inclusive price per unit before the sale discount;
  ``unitsalediscount`` the discount per unit; ``unittax`` the VAT *inside* the sale price
  per unit; ``subtotal`` = ``quantity × (unitprice − unitsalediscount)``.
- a line whose ``cancellation`` is not null is cancelled (only null / not null is read) and
  is neither financed nor counted in the total.
- ``shipping.cost`` is gross; its VAT is unknown and not in ``vat``; ``discount`` is an
  order-level gross amount (absent → 0); ``total`` absent → computed, with a note.
- the customer comes from the order's ``customer.billto`` when present, else from
  ``GET /contacts/{customer.id}`` (a 404 there → no customer details, the form asks);
  the mobile is the first UK mobile of the order's ``customer.numbers`` then the contact's
  ``contactnumbers``; an address is pre-filled only when ``country`` is ``GB`` (or ``UK``).
- the currency must be ``GBP``; an order without one is refused.

Invariants (broken → :class:`~..errors.MappingError` naming it in ``detail``):
V1 each live line's ``subtotal == quantity × (unitprice − unitsalediscount)``;
V2 Σ live ``subtotal`` + ``shipping.cost`` − ``discount`` == ``total`` (when given);
V3 currency GBP (→ not financeable); V4 ``unittax ≤ unitprice − unitsalediscount``;
V5 whole quantities ≥ 1 and money to the penny (float artefacts like 9.990000000000002
read as 9.99, with a note).

Pure functions (no I/O, no clock): every mapping test is a call on a fixture.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any

from ...orders import ZERO, Address, Customer, Order, OrderLine
from ...schemas.rules import clean_text
from ...settings import ConfigurationError
from .._money import require_gbp
from .._people import is_uk_country, mask_fields, match_title, pick_mobile
from .._reading import FieldReader
from ..errors import MappingError
from ..results import MappedOrder
from .config import PREFIX

__all__ = [
    "CONTACT_PERSONAL_FIELDS",
    "NO_DELIVERY",
    "PLATFORM",
    "DivendoOrderShape",
    "MappedOrder",
    "contact_id",
    "get_path",
    "map_order",
    "mask_personal",
    "needs_contact",
    "not_payable_reason",
]

PLATFORM = "divendo"

#: ``shipping_method`` / ``shipping_label`` when the order names no shipping service.
NO_DELIVERY = ("no_delivery", "No delivery")

#: Keys whose values are personal (masked by :func:`mask_personal` for ``order show --raw``).
#: ``name`` is not one: a person's ``name`` object is masked through its own keys, while a
#: line's ``name`` is the product.
CONTACT_PERSONAL_FIELDS = frozenset(
    {
        "email",
        "emails",
        "title",
        "firstname",
        "surname",
        "company",
        "address",
        "addressline1",
        "addressline2",
        "addressline3",
        "towncity",
        "stateprovince",
        "postalcode",
        "numbers",
        "contactnumbers",
        "customernumber",
        "accountnumber",
        "notes",
        "consignmentnumber",
    }
)


@dataclass(frozen=True)
class DivendoOrderShape:
    """Where each value sits in a Divendo order (dotted paths; ``line_*`` relative to a line).

    The defaults are Divendo's public schema pages (P) and ADAPTERS §4.2's assumed top-level
    keys (A). ``DIVIDEBUY_DIVENDO_ORDER_SHAPE = {"total": "totals.grand"}`` moves one.
    """

    id: str = "id"
    ordernumber: str = "ordernumber"
    currency: str = "currency"
    status: str = "status.name"
    customer_id: str = "customer.id"
    email: str = "customer.email"
    billto: str = "customer.billto"
    shipto: str = "customer.shipto"
    numbers: str = "customer.numbers"
    lines: str = "lines"
    shipping_cost: str = "shipping.cost"
    shipping_service: str = "shipping.service"
    discount: str = "discount"
    total: str = "total"
    line_id: str = "id"
    line_sku: str = "sku"
    line_name: str = "name"
    line_variation: str = "variation"
    line_quantity: str = "quantity"
    line_unitprice: str = "unitprice"
    line_unitsalediscount: str = "unitsalediscount"
    line_unittax: str = "unittax"
    line_subtotal: str = "subtotal"
    line_cancellation: str = "cancellation"

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, str]) -> DivendoOrderShape:
        """The default shape with *overrides* applied; an unknown field name is refused."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigurationError(
                f"{PREFIX}ORDER_SHAPE names unknown fields {unknown}; "
                f"known: {', '.join(sorted(known))}.",
                key=PREFIX + "ORDER_SHAPE",
            )
        return replace(cls(), **dict(overrides))


_MISSING = object()


def get_path(raw: Any, dotted: str, default: Any = None) -> Any:
    """The value at *dotted* in *raw* (``"customer.billto"``), or *default* when absent."""
    node = raw
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def _text(value: object) -> str:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def needs_contact(raw: Mapping[str, Any], shape: DivendoOrderShape | None = None) -> bool:
    """Whether the order lacks a billing contact, so ``GET /contacts/{id}`` must supply it."""
    shape = shape or DivendoOrderShape()
    return not _dict(get_path(raw, shape.billto))


def contact_id(raw: Mapping[str, Any], shape: DivendoOrderShape | None = None) -> str | None:
    """The order's customer (contact) id, when it has a usable one."""
    value = _text(get_path(raw, (shape or DivendoOrderShape()).customer_id))
    return value if value and len(value) <= 64 and "/" not in value else None


class _Reader(FieldReader):
    """Reads money and quantities from one Divendo order; a refusal cites the field (V5)."""

    def __init__(self, order_id: str) -> None:
        super().__init__(order_id, PLATFORM, cite_field=True)


@dataclass(frozen=True)
class _Line:
    id: str
    line: OrderLine
    subtotal: Decimal
    vat: Decimal


def _read_line(reader: _Reader, shape: DivendoOrderShape, raw: Mapping[str, Any]) -> _Line:
    line_id = _text(get_path(raw, shape.line_id)) or "?"
    where = f"line {line_id}"
    qty = reader.quantity(get_path(raw, shape.line_quantity), f"{where} quantity")
    price = reader.money(get_path(raw, shape.line_unitprice), f"{where} unitprice")
    discount = reader.money(
        get_path(raw, shape.line_unitsalediscount, 0) or 0, f"{where} unitsalediscount"
    )
    tax = reader.money(get_path(raw, shape.line_unittax, 0) or 0, f"{where} unittax")
    subtotal = reader.money(get_path(raw, shape.line_subtotal), f"{where} subtotal")
    sale = price - discount
    if sale < 0:
        raise reader.fail(
            "The shop's order has a line discounted below zero.",
            detail=f"{where}: unitsalediscount {discount} > unitprice {price}",
        )
    if subtotal != qty * sale:
        raise reader.fail(
            "The shop's order does not add up, so we cannot finance it as it stands.",
            detail=f"V1: {where} subtotal {subtotal} != {qty} x ({price} - {discount})",
        )
    if tax > sale:
        raise reader.fail(
            "The shop's order has more tax than price on a line; we cannot read its prices.",
            detail=f"V4: {where} unittax {tax} > unitprice - unitsalediscount {sale}",
        )
    name = _text(get_path(raw, shape.line_name)) or f"Item {line_id}"
    variation = _text(get_path(raw, shape.line_variation))
    if variation:
        name = f"{name} ({variation})"
    try:
        line = OrderLine(
            name,
            qty,
            unit_price_including_vat=price,
            sku=_text(get_path(raw, shape.line_sku)) or None,
            discount=qty * discount,
        )
    except ValueError as exc:
        raise reader.fail(f"The shop's order has a line we cannot finance: {exc}") from None
    return _Line(line_id, line, subtotal, qty * tax)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or NO_DELIVERY[0]


def _address_key(address: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        clean_text(_text(address.get(name))).upper()
        for name in ("addressline1", "addressline2", "addressline3", "towncity", "postalcode")
    )


def _address(reader: _Reader, address: Mapping[str, Any]) -> Address | None:
    """A UK address (country GB/UK) with a first line, town and postcode; else ``None``."""
    if not address:
        return None
    country = address.get("country")
    if not is_uk_country(country):
        shown = _text(country)[:40] or "missing"
        reader.notes.append(f"address not pre-filled: country is {shown!r}")
        return None
    line_1, town = _text(address.get("addressline1")), _text(address.get("towncity"))
    postcode = _text(address.get("postalcode"))
    if not (line_1 and town and postcode):
        reader.notes.append("address not pre-filled: first line, town or postcode is blank")
        return None
    return Address(
        address_line_1=line_1,
        address_line_2=_text(address.get("addressline2")) or None,
        address_line_3=_text(address.get("addressline3")) or None,
        town=town,
        county=_text(address.get("stateprovince")) or None,
        postcode=postcode,
    )


def _numbers(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _customer(
    reader: _Reader,
    raw: Mapping[str, Any],
    contact: Mapping[str, Any] | None,
    shape: DivendoOrderShape,
) -> Customer:
    billto = _dict(get_path(raw, shape.billto))
    order_numbers = _numbers(get_path(raw, shape.numbers))
    if billto:
        person, address = _dict(billto.get("name")), _dict(billto.get("address"))
        email, numbers = _text(get_path(raw, shape.email)), order_numbers
    elif contact:
        person, address = _dict(contact.get("name")), _dict(contact.get("address"))
        emails = [e for e in _numbers(contact.get("emails")) if _text(e)]
        email = _text(get_path(raw, shape.email)) or (_text(emails[0]) if emails else "")
        numbers = order_numbers + _numbers(contact.get("contactnumbers"))
    else:
        reader.notes.append("customer not pre-filled: the order has no billing contact")
        return Customer(email=_text(get_path(raw, shape.email)) or None)
    mobile = pick_mobile(numbers)
    if mobile is not None and not mobile.startswith("07"):
        reader.notes.append("mobile not pre-filled as a UK mobile: only another number was given")
    return Customer(
        title=match_title(person.get("title")),
        first_name=_text(person.get("firstname")) or None,
        last_name=_text(person.get("surname")) or None,
        email=email or None,
        mobile_number=mobile,
        address=_address(reader, address),
    )


def map_order(
    raw: Mapping[str, Any],
    contact: Mapping[str, Any] | None = None,
    *,
    shape: DivendoOrderShape | None = None,
    sales_channel: str | None = None,
) -> MappedOrder:
    """Map one Divendo order (and, when it has no ``billto``, its contact) to an ``Order``."""
    shape = shape or DivendoOrderShape()
    order_id = _text(get_path(raw, shape.id)) if isinstance(raw, Mapping) else ""
    if not order_id:
        raise MappingError("The shop's order could not be read.", platform=PLATFORM)
    reader = _Reader(order_id)
    currency = get_path(raw, shape.currency)
    if not isinstance(currency, str) or not currency.strip():
        raise reader.fail(
            "The shop's order does not say its currency; DivideBuy lends in pounds only.",
            detail=f"V3: no {shape.currency}",
        )
    try:
        require_gbp(currency, f"order {order_id}")
    except MappingError as exc:
        raise reader.fail(exc.reason, detail=f"V3: currency {currency.strip()[:8]!r}") from None
    raw_lines = get_path(raw, shape.lines)
    if not isinstance(raw_lines, list):
        raise reader.fail("The shop's order has no lines we can read.", detail=f"no {shape.lines}")
    live: list[_Line] = []
    for index, item in enumerate(raw_lines):
        if not isinstance(item, Mapping):
            raise reader.fail(f"The shop's order has an unreadable line (number {index + 1}).")
        if get_path(item, shape.line_cancellation) is not None:
            reader.notes.append(
                f"line {_text(get_path(item, shape.line_id)) or index + 1} cancelled: not financed"
            )
            continue
        live.append(_read_line(reader, shape, item))
    if not live:
        raise reader.fail("The shop's order has no items to finance.")
    goods = sum((x.subtotal for x in live), ZERO)
    vat = sum((x.vat for x in live), ZERO)
    shipping = reader.money(get_path(raw, shape.shipping_cost, 0) or 0, shape.shipping_cost)
    discount = reader.money(get_path(raw, shape.discount, 0) or 0, shape.discount)
    computed = goods + shipping - discount
    stated = get_path(raw, shape.total, _MISSING)
    if stated is _MISSING or stated is None:
        total = computed
        reader.notes.append(f"{shape.total} absent: computed as {computed}")
    else:
        total = reader.money(stated, shape.total)
        if total != computed:
            raise reader.fail(
                "The shop's order does not add up, so we cannot finance it as it stands.",
                detail=f"V2: lines {goods} + shipping {shipping} - discount {discount} "
                f"= {computed}, the order's total says {total}",
            )
    service = _text(get_path(raw, shape.shipping_service))
    billto_address = _dict(_dict(get_path(raw, shape.billto)).get("address"))
    shipto_address = _dict(_dict(get_path(raw, shape.shipto)).get("address"))
    same_address = (
        not billto_address
        or not shipto_address
        or _address_key(billto_address) == _address_key(shipto_address)
    )
    customer = _customer(reader, raw, contact, shape)
    try:
        order = Order(
            order_id=order_id,
            order_ref=_text(get_path(raw, shape.ordernumber)) or order_id,
            lines=tuple(x.line for x in live),
            subtotal=goods - vat,
            vat=vat,
            shipping=shipping,
            total=total,
            customer=customer,
            vat_rate=None,
            discount=discount,
            time_discount_applied="beforeVat",
            shipping_method=_slug(service) if service else NO_DELIVERY[0],
            shipping_label=service or NO_DELIVERY[1],
            is_default_shipping=same_address,
            is_default_billing=True,
            source=sales_channel,
        )
    except ValueError as exc:
        raise reader.fail(f"The shop's order cannot be financed as it stands: {exc}") from None
    return MappedOrder(order, tuple(reader.notes))


def not_payable_reason(
    raw: Mapping[str, Any],
    *,
    payable_statuses: frozenset[str] | None,
    closed_statuses: frozenset[str],
    shape: DivendoOrderShape | None = None,
) -> str | None:
    """Why this order may not be paid with DivideBuy by configuration, or ``None``."""
    status = get_path(raw, (shape or DivendoOrderShape()).status)
    name = status.strip() if isinstance(status, str) else None
    if name is not None and name in closed_statuses:
        return f"status {name!r} is in {PREFIX}CLOSED_STATUSES"
    if payable_statuses is not None and name not in payable_statuses:
        return f"status {name!r} is not in {PREFIX}PAYABLE_STATUSES"
    return None


def mask_personal(value: Any) -> Any:
    """A copy of a Divendo body with every personal value replaced by ``"***"``."""
    return mask_fields(value, CONTACT_PERSONAL_FIELDS)
