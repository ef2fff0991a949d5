"""REC+ order → :class:`~dividebuy_checkout.orders.Order`: the one place for REC+'s field mapping.

Pure functions (no I/O, no clock), so every mapping test is a call on a fixture.
What the seed's example order (``shared/seeds/004_*.txt``, order 112312) proves,
by its own arithmetic:

- a line's ``price`` is the **row** total including VAT (19991: 2 × 8.40 = "16.80"),
  and its ``vat`` the row VAT ("2.80");
- a PRODUCT line's ``price`` already includes its options (132.00 + 4.20 + 1.20 =
  137.40); its OPTION lines carry "0.00" and may come before it;
- Σ ``price`` == ``totals.price`` (0.00 after a £154.20 gift voucher) and
  Σ ``vat`` == ``totals.vat`` (25.70): the voucher came off after VAT;
- money comes as strings, JSON numbers and binary floats (``22.900000000000006``).

Invariants checked (a broken one → :class:`~..errors.MappingError` naming it):
R1 Σ line price == totals.price; R2 Σ line vat == totals.vat; R3 Σ DELIVERY price ==
totals.delivery; R4 every OPTION belongs to a PRODUCT line of the order; R5 the line
type is known (:data:`~..assumptions.RECPLUS_KNOWN_LINE_TYPES`). R6 (Σ PRODUCT qty ==
totals.qty) and R7 (each_price_ex_vat + each_price_vat == price / qty) only add notes.
Assumptions are named in :mod:`..assumptions`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ...orders import ZERO, Address, Customer, Order, OrderLine
from ...schemas.rules import clean_text
from .._money import split_line
from .._people import is_uk_country, mask_fields, pick_mobile, split_full_name
from .._reading import FieldReader
from ..assumptions import (
    RECPLUS_KNOWN_LINE_TYPES,
    RECPLUS_MOBILE_FIELDS,
    RECPLUS_NO_DELIVERY,
)
from ..errors import MappingError
from ..results import MappedOrder

__all__ = ["PERSONAL_FIELDS", "MappedOrder", "map_order", "mask_personal", "not_payable_reason"]

PLATFORM = "recplus"

#: Keys of a REC+ order whose values are personal (masked by :func:`mask_personal`).
PERSONAL_FIELDS = frozenset(
    {
        "full_name",
        "email",
        "membership_code",
        "recipient_name",
        "business_name",
        "line_1",
        "line_2",
        "town",
        "post_code",
        "tel_no",
        "mobile_tel_no",
        "fax_no",
        "session_id",
        "payment_data",
        "tracking",
        "delivery_note",
    }
)


class _Reader(FieldReader):
    """Reads money and numbers from one REC+ order, collecting notes as it goes."""

    def __init__(self, order_id: str) -> None:
        super().__init__(order_id, PLATFORM)

    def rate(self, value: object, field: str) -> Decimal | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise self.fail(f"The shop's order has an unreadable VAT percentage in {field}.")
        try:
            rate = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.fail(
                f"The shop's order has an unreadable VAT percentage in {field}."
            ) from None
        if not rate.is_finite() or not 0 <= rate <= 100:
            raise self.fail(f"The shop's order has an unusable VAT percentage in {field}.")
        return rate.quantize(Decimal(1)) if rate == rate.to_integral_value() else rate


@dataclass
class _Line:
    """One REC+ line as read: the amounts we need, by line id."""

    id: str
    type: str
    rel_id: str
    raw: Mapping[str, Any]
    qty: int
    price: Decimal
    vat: Decimal
    discount_net: Decimal
    discount_gross: Decimal


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _read_line(reader: _Reader, raw: object, index: int) -> _Line:
    if not isinstance(raw, Mapping):
        raise reader.fail(f"The shop's order has an unreadable line (number {index + 1}).")
    line_id = str(raw.get("id", index))
    line_type = raw.get("line_type")
    if not isinstance(line_type, str) or line_type not in RECPLUS_KNOWN_LINE_TYPES:
        shown = line_type if isinstance(line_type, str) else type(line_type).__name__
        raise reader.fail(
            f"The shop's order has a line of a kind we cannot finance ({shown[:40]!r}).",
            detail=f"R5: line {line_id} has line_type {shown[:40]!r}",
        )
    coupon = line_type == "COUPON"
    where = f"line {line_id}"
    qty = reader.quantity(raw.get("qty"), f"{where} qty")
    discount_net = reader.money(
        raw.get("each_price_discount_ex_vat", 0), f"{where} each_price_discount_ex_vat"
    )
    discount_vat = reader.money(
        raw.get("each_price_discount_vat", 0), f"{where} each_price_discount_vat"
    )
    return _Line(
        id=line_id,
        type=line_type,
        rel_id=str(raw.get("line_rel_id") or ""),
        raw=raw,
        qty=qty,
        price=reader.money(raw.get("price"), f"{where} price", allow_negative=coupon),
        vat=reader.money(raw.get("vat"), f"{where} vat", allow_negative=coupon),
        discount_net=discount_net * qty,
        discount_gross=(discount_net + discount_vat) * qty,
    )


def _sort_key(line: _Line) -> tuple[int, str]:
    return (int(line.id), "") if line.id.isdigit() else (1 << 62, line.id)


def _check_total(reader: _Reader, rule: str, what: str, found: Decimal, stated: Decimal) -> None:
    if found != stated:
        raise reader.fail(
            "The shop's order does not add up, so we cannot finance it as it stands.",
            detail=f"{rule}: {what} add up to {found}, the order's totals say {stated}",
        )


def _option_label(option: _Line) -> str:
    rel = _dict(_dict(option.raw.get("rel_data")).get("option"))
    group, desc = _text(rel.get("group")), _text(rel.get("desc"))
    if group and desc:
        return f"{group}: {desc}"
    return _text(option.raw.get("line_desc")) or option.id


def _goods_lines(reader: _Reader, product: _Line, options: Sequence[_Line]) -> list[OrderLine]:
    rel = _dict(_dict(product.raw.get("rel_data")).get("product"))
    name = _text(rel.get("name")) or _text(product.raw.get("line_desc")) or f"Item {product.id}"
    if options:
        name += " (" + ", ".join(_option_label(o) for o in options) + ")"
    sku = _text(rel.get("code")) or None
    parts = (product, *options)
    gross = sum((p.price for p in parts), ZERO)
    vat = sum((p.vat for p in parts), ZERO)
    discount = sum((p.discount_gross for p in parts), ZERO)
    discount_net = sum((p.discount_net for p in parts), ZERO)
    qty = product.qty
    rate = reader.rate(product.raw.get("vat_percentage"), f"line {product.id} vat_percentage")
    before_discount = gross + discount
    split = split_line(before_discount, qty)
    if len(split) > 1:
        reader.notes.append(
            f"line {product.id}: {before_discount} does not divide by {qty}, "
            f"sent as {' + '.join(f'{s.quantity} x {s.unit}' for s in split)}"
        )
    net_row = gross - vat + discount_net
    net_unit = (net_row / qty).quantize(Decimal("0.01"))
    exact_net = len(split) == 1 and net_unit * qty == net_row
    lines = []
    for index, part in enumerate(split):
        lines.append(
            OrderLine(
                name,
                part.quantity,
                unit_price_including_vat=part.unit,
                unit_price_excluding_vat=net_unit if exact_net else None,
                sku=sku,
                vat_percentage=rate,
                discount=discount if index == 0 else ZERO,
            )
        )
    price_ex = product.raw.get("each_price_ex_vat")
    price_vat = product.raw.get("each_price_vat")
    if price_ex is not None and price_vat is not None:
        each = reader.money(price_ex, f"line {product.id} each_price_ex_vat") + reader.money(
            price_vat, f"line {product.id} each_price_vat"
        )
        if abs(each - product.price / qty) > Decimal("0.01"):
            reader.notes.append(
                f"R7: line {product.id} each_price_ex_vat + each_price_vat = {each}, "
                f"price / qty = {product.price / qty}"
            )
    return lines


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "delivery"


def _address_key(address: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        clean_text(_text(address.get(name))).upper()
        for name in ("line_1", "line_2", "town", "post_code")
    )


def _path(raw: Mapping[str, Any], dotted: str) -> Mapping[str, Any]:
    node: Mapping[str, Any] = raw
    for part in dotted.split("."):
        node = _dict(node.get(part))
    return node


def _customer(reader: _Reader, raw: Mapping[str, Any]) -> Customer:
    user = _dict(raw.get("user"))
    billing = _dict(user.get("billing_address"))
    title, first, last = split_full_name(user.get("full_name"))
    if first is None and not _text(user.get("full_name")):
        title, first, last = split_full_name(billing.get("recipient_name"))
    if first is None:
        reader.notes.append("name not pre-filled: not exactly a first and a last name")
    mobile = pick_mobile(_path(raw, where).get(key) for where, key in RECPLUS_MOBILE_FIELDS)
    address = None
    if billing:
        region = _dict(billing.get("region"))
        country = region.get("country")
        if is_uk_country(country) and _text(billing.get("line_1")) and _text(billing.get("town")):
            address = Address(
                address_line_1=_text(billing.get("line_1")),
                address_line_2=_text(billing.get("line_2")) or None,
                town=_text(billing.get("town")),
                county=_text(region.get("county")) or None,
                postcode=_text(billing.get("post_code")),
            )
        else:
            shown = _text(country)[:60] if isinstance(country, str) else "missing"
            reader.notes.append(f"address not pre-filled: billing region country is {shown!r}")
    return Customer(
        title=title,
        first_name=first,
        last_name=last,
        email=_text(user.get("email")) or None,
        mobile_number=mobile,
        address=address,
    )


def map_order(raw: Mapping[str, Any], *, sales_channel: str | None = None) -> MappedOrder:
    """Map one REC+ order object (``GET /orders/{id}``, decoded with ``money.loads``)."""
    if not isinstance(raw, Mapping) or raw.get("id") in (None, ""):
        raise MappingError("The shop's order could not be read.", platform=PLATFORM)
    order_id = str(raw["id"])
    reader = _Reader(order_id)
    raw_lines = raw.get("lines")
    if not isinstance(raw_lines, list):
        raise reader.fail("The shop's order has no lines we can read.")
    lines = [_read_line(reader, item, index) for index, item in enumerate(raw_lines)]
    totals = _dict(raw.get("totals"))
    total = reader.money(totals.get("price"), "totals.price")
    stated_vat = reader.money(totals.get("vat"), "totals.vat", allow_negative=True)
    stated_delivery = reader.money(totals.get("delivery", "0.00"), "totals.delivery")

    _check_total(reader, "R1", "line prices", sum((x.price for x in lines), ZERO), total)
    _check_total(reader, "R2", "line VAT", sum((x.vat for x in lines), ZERO), stated_vat)
    deliveries = [x for x in lines if x.type == "DELIVERY"]
    shipping = sum((x.price for x in deliveries), ZERO)
    _check_total(reader, "R3", "delivery lines", shipping, stated_delivery)

    products = sorted((x for x in lines if x.type == "PRODUCT"), key=_sort_key)
    products_by_id = {x.id: x for x in products}
    options: dict[str, list[_Line]] = {x.id: [] for x in products}
    for line in lines:
        if line.type == "OPTION":
            if line.rel_id not in products_by_id:
                raise reader.fail(
                    "The shop's order has an option that belongs to no item.",
                    detail=f"R4: OPTION line {line.id} has line_rel_id {line.rel_id or '0'!r}",
                )
            options[line.rel_id].append(line)
    if not products:
        raise reader.fail("The shop's order has no items to finance.")
    goods: list[OrderLine] = []
    for product in products:
        goods += _goods_lines(reader, product, sorted(options[product.id], key=_sort_key))
    if "qty" in totals and totals.get("qty") != sum(p.qty for p in products):
        reader.notes.append("R6: totals.qty differs from the PRODUCT lines' quantities")

    coupons = [x for x in lines if x.type == "COUPON"]
    if any(c.price > 0 for c in coupons):
        raise reader.fail(
            "The shop's order has a discount we cannot read.",
            detail="a COUPON line has a positive price",
        )
    discount = -sum((c.price for c in coupons), ZERO)
    goods_rows = [x for x in lines if x.type in ("PRODUCT", "OPTION")]
    subtotal = sum((x.price - x.vat for x in goods_rows), ZERO)
    rates = {g.vat_percentage for g in goods}
    no_method, no_label = RECPLUS_NO_DELIVERY
    methods = [
        _text(_dict(_dict(d.raw.get("rel_data")).get("delivery")).get("name"))
        or _text(d.raw.get("line_desc"))
        for d in deliveries
    ]
    labels = [_text(d.raw.get("line_desc")) or m for d, m in zip(deliveries, methods, strict=True)]
    user = _dict(raw.get("user"))
    billing = _dict(user.get("billing_address"))
    delivery_address = _dict(raw.get("delivery_address"))
    same_address = (
        not delivery_address
        or not billing
        or _address_key(billing) == _address_key(delivery_address)
    )
    invoice = raw.get("invoice_id")
    order_ref = str(invoice) if invoice not in (None, "", 0, "0") else order_id
    customer = _customer(reader, raw)
    try:
        order = Order(
            order_id=order_id,
            order_ref=order_ref,
            lines=tuple(goods),
            subtotal=subtotal,
            vat=stated_vat,
            shipping=shipping,
            total=total,
            customer=customer,
            vat_rate=rates.pop() if len(rates) == 1 else None,
            discount=discount,
            # the voucher carries no VAT while totals.vat keeps the goods' full VAT
            time_discount_applied=("beforeVat" if any(c.vat != 0 for c in coupons) else "afterVat"),
            shipping_method="+".join(_slug(m) for m in methods) if methods else no_method,
            shipping_label=" + ".join(labels) if labels else no_label,
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
    payment_method_ids: frozenset[str] | None,
) -> str | None:
    """Why this order may not be paid with DivideBuy by configuration, or ``None``."""
    status = raw.get("status")
    if payable_statuses is not None and status not in payable_statuses:
        return f"status {status!r} is not in DIVIDEBUY_RECPLUS_PAYABLE_STATUSES"
    method = _dict(raw.get("payment_method")).get("id")
    if payment_method_ids is not None and str(method) not in payment_method_ids:
        return f"payment method {method!r} is not in DIVIDEBUY_RECPLUS_PAYMENT_METHOD_IDS"
    return None


def mask_personal(value: Any) -> Any:
    """A copy of a REC+ body with every personal value replaced by ``"***"`` (blank stays blank)."""
    return mask_fields(value, PERSONAL_FIELDS)
