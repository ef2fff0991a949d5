"""Server-side checks of request bodies, with Laravel-style messages.

This is a *focused structural* validator: the fields the retailer document marks
required are present, amounts are non-negative numbers of pounds, the selected
term is offered for the order total, ``credit_amount == total - upfront_payment``
and ``redirect_url`` is an absolute http(s) URL. The full UK rules (names,
mobile numbers, ages, nationalities…) belong to ``dividebuy_checkout.schemas``;
:func:`validate_quote` is the single seam where the sandbox can later delegate
to them. Errors are keyed by the dotted wire path (``customer.address.town``),
as a Laravel validator keys them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from ..money import MoneyError, to_money
from .config import DEFAULT_RATE_CARD, RateCardEntry

Errors = dict[str, list[str]]

#: The largest amount the sandbox reads (keeps Decimal maths finite and quick).
MAX_AMOUNT = Decimal("99999999.99")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DIGITS = re.compile(r"\d+")

# WIRE.md: "customer.customer.ip_address" / ".nationality" are read as customer.ip_address
# and customer.nationality.
_CUSTOMER_TEXT = (
    "title",
    "first_name",
    "last_name",
    "date_of_birth",
    "mobile_number",
    "income_type",
    "residential_status",
    "ip_address",
    "nationality",
)
_ADDRESS_TEXT = ("address_line_1", "town", "postcode")
#: Residential statuses for which the document does not require ``customer.rent``.
_NO_RENT = ("Yes, outright owner", "No, other")
_ORDER_TEXT = ("retailer_order_ref", "shipping_method", "shipping_label")
_ORDER_AMOUNTS = ("subtotal", "shipping", "discount", "total", "upfront_payment", "credit_amount")
_ORDER_OPTIONAL_AMOUNTS = ("vat",)
_SOURCES = ("in-store", "telephony", "in-home")
_DISCOUNT_TIMES = ("beforeVat", "afterVat")


class FieldError(ValueError):
    """One field's value is unusable; the message is the one to show for it."""


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_amount(value: object, field: str) -> Decimal:
    """Read pounds from a JSON value or query string: a number, at most 2 dp, not negative.

    Strings are accepted because the document types some amounts as strings
    (``order.total``); floats never reach here (bodies are decoded to ``Decimal``).
    """
    if _blank(value):
        raise FieldError(f"The {field} field is required.")
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise FieldError(f"The {field} field must be a number.")
    text = str(value).strip()
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise FieldError(f"The {field} field must be a number.") from None
    if not number.is_finite():
        raise FieldError(f"The {field} field must be a number.")
    if number < 0:
        raise FieldError(f"The {field} field must be at least 0.")
    if number > MAX_AMOUNT:
        raise FieldError(f"The {field} field must not be greater than {MAX_AMOUNT}.")
    try:
        return to_money(number, field=field)
    except (MoneyError, ArithmeticError):
        raise FieldError(f"The {field} field must have 0-2 decimal places.") from None


def read_int(value: object, field: str) -> int:
    """Read a whole number from a JSON value or query string."""
    if _blank(value):
        raise FieldError(f"The {field} field is required.")
    if isinstance(value, bool):
        raise FieldError(f"The {field} field must be an integer.")
    if isinstance(value, int):
        return value
    text = str(value).strip() if isinstance(value, str | Decimal) else ""
    if not re.fullmatch(r"-?\d{1,9}(\.0*)?", text):
        raise FieldError(f"The {field} field must be an integer.")
    return int(Decimal(text))


def read_date(value: object, field: str) -> date:
    """Read a ``YYYY-MM-DD`` date (a real calendar date)."""
    if _blank(value):
        raise FieldError(f"The {field} field is required.")
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise FieldError(f"The {field} field must match the format Y-m-d.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FieldError(f"The {field} field must be a valid date.") from None


def is_absolute_http_url(value: object) -> bool:
    """An absolute ``http``/``https`` URL with a host and no whitespace or control characters."""
    if not isinstance(value, str) or len(value) > 2000:
        return False
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class _Collector:
    """Gathers messages per dotted path while walking a body."""

    def __init__(self) -> None:
        self.errors: Errors = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def object(self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = True):
        value = parent.get(key)
        if value is None:
            if required:
                self.add(path, f"The {path} field is required.")
            return None
        if not isinstance(value, Mapping):
            self.add(path, f"The {path} field must be an object.")
            return None
        return value

    def text(self, parent: Mapping[str, Any], keys: Iterable[str], prefix: str) -> None:
        for key in keys:
            path = f"{prefix}.{key}"
            value = parent.get(key)
            if _blank(value):
                self.add(path, f"The {path} field is required.")
            elif not isinstance(value, str):
                self.add(path, f"The {path} field must be a string.")

    def amount(self, parent: Mapping[str, Any], key: str, path: str) -> Decimal | None:
        try:
            return read_amount(parent.get(key), path)
        except FieldError as exc:
            self.add(path, str(exc))
            return None

    def integer(self, parent: Mapping[str, Any], key: str, path: str) -> int | None:
        try:
            return read_int(parent.get(key), path)
        except FieldError as exc:
            self.add(path, str(exc))
            return None


def validate_quote(
    payload: object, *, rate_card: Iterable[RateCardEntry] = DEFAULT_RATE_CARD
) -> Errors:
    """Check a create-quote body; return ``{dotted.path: [messages]}`` (empty when valid)."""
    check = _Collector()
    if not isinstance(payload, Mapping):
        check.add("customer", "The customer field is required.")
        check.add("order", "The order field is required.")
        return check.errors
    customer = check.object(payload, "customer", "customer")
    if customer is not None:
        _check_customer(check, customer)
    order = check.object(payload, "order", "order")
    if order is not None:
        _check_order(check, order, tuple(rate_card))
    payment = check.object(payload, "payment", "payment", required=False)
    if payment is not None:
        _check_payment(check, payment)
    return check.errors


def _check_customer(check: _Collector, customer: Mapping[str, Any]) -> None:
    check.text(customer, _CUSTOMER_TEXT, "customer")
    if customer.get("residential_status") not in _NO_RENT:
        rent = customer.get("rent")
        if _blank(rent):
            check.add("customer.rent", "The customer.rent field is required.")
        else:
            try:
                if read_int(rent, "customer.rent") < 0:
                    check.add("customer.rent", "The customer.rent field must be at least 0.")
            except FieldError as exc:
                check.add("customer.rent", str(exc))
    address = check.object(customer, "address", "customer.address")
    if address is None:
        return
    check.text(address, _ADDRESS_TEXT, "customer.address")
    has_time = not _blank(address.get("time_at_address"))
    has_move_in = not _blank(address.get("move_in_date"))
    if not (has_time or has_move_in):
        for key, other in (
            ("time_at_address", "move_in_date"),
            ("move_in_date", "time_at_address"),
        ):
            check.add(
                f"customer.address.{key}",
                f"The customer.address.{key} field is required when "
                f"customer.address.{other} is not present.",
            )
    previous = customer.get("previous_addresses")
    if previous is None:
        return
    if not isinstance(previous, list):
        check.add(
            "customer.previous_addresses", "The customer.previous_addresses field must be an array."
        )
        return
    for index, item in enumerate(previous):
        path = f"customer.previous_addresses.{index}"
        if not isinstance(item, Mapping):
            check.add(path, f"The {path} field must be an object.")
            continue
        check.text(item, ("address_line_1",), path)
        for key, needed in (("time_at_address", has_time), ("move_in_date", has_move_in)):
            if needed and _blank(item.get(key)):
                check.add(
                    f"{path}.{key}",
                    f"The {path}.{key} field is required when customer.address.{key} is present.",
                )


def _check_order(
    check: _Collector, order: Mapping[str, Any], rate_card: tuple[RateCardEntry, ...]
) -> None:
    retailer_order_id = order.get("retailer_order_id")
    if _blank(retailer_order_id):
        check.add("order.retailer_order_id", "The order.retailer_order_id field is required.")
    elif isinstance(retailer_order_id, bool) or not isinstance(retailer_order_id, str | int):
        check.add("order.retailer_order_id", "The order.retailer_order_id field must be a string.")
    check.text(order, _ORDER_TEXT, "order")
    amounts = {key: check.amount(order, key, f"order.{key}") for key in _ORDER_AMOUNTS}
    for key in _ORDER_OPTIONAL_AMOUNTS:
        if order.get(key) is not None:
            check.amount(order, key, f"order.{key}")
    if order.get("vat_rate") is not None:
        check.amount(order, "vat_rate", "order.vat_rate")

    day = check.integer(order, "instalment_date", "order.instalment_date")
    if day is not None and not 1 <= day <= 31:
        check.add(
            "order.instalment_date", "The order.instalment_date field must be between 1 and 31."
        )
    if order.get("time_discount_applied") not in _DISCOUNT_TIMES:
        check.add(
            "order.time_discount_applied", "The selected order.time_discount_applied is invalid."
        )
    for key in ("is_default_shipping", "is_default_billing"):
        value = order.get(key)
        if value is None:
            check.add(f"order.{key}", f"The order.{key} field is required.")
        elif value not in (0, 1, "0", "1") or isinstance(value, Decimal):
            check.add(f"order.{key}", f"The order.{key} field must be true or false.")
    source = order.get("source")
    if source is not None and source not in _SOURCES:
        check.add("order.source", "The selected order.source is invalid.")

    total, upfront, credit = amounts["total"], amounts["upfront_payment"], amounts["credit_amount"]
    if total is not None and upfront is not None:
        if upfront > total:
            check.add(
                "order.upfront_payment",
                "The order.upfront_payment field must not be greater than order.total.",
            )
        elif credit is not None and credit != total - upfront:
            check.add(
                "order.credit_amount",
                "The order.credit_amount field must equal "
                f"order.total - order.upfront_payment ({total - upfront}).",
            )

    term = check.integer(order, "selected_instalment_term", "order.selected_instalment_term")
    if term is not None:
        entry = next((e for e in rate_card if e.months == term), None)
        if entry is None:
            check.add(
                "order.selected_instalment_term",
                "The selected order.selected_instalment_term is invalid.",
            )
        elif total is not None and not entry.allows(total):
            check.add(
                "order.selected_instalment_term",
                f"The {term}-month term is not available "
                f"for an order total of {total} (limits {entry.minimum_spend}-"
                f"{entry.maximum_spend}).",
            )

    if order.get("redirect_url") is not None and not is_absolute_http_url(order["redirect_url"]):
        check.add("order.redirect_url", "The order.redirect_url field must be a valid URL.")

    _check_line_items(check, order.get("line_items"))


def _check_line_items(check: _Collector, items: object) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        check.add("order.line_items", "The order.line_items field must be an array.")
        return
    for index, item in enumerate(items):
        path = f"order.line_items.{index}"
        if not isinstance(item, Mapping):
            check.add(path, f"The {path} field must be an object.")
            continue
        check.text(item, ("name",), path)
        quantity = check.integer(item, "quantity", f"{path}.quantity")
        if quantity is not None and quantity < 1:
            check.add(f"{path}.quantity", f"The {path}.quantity field must be at least 1.")
        prices = ("price_excluding_vat", "price_including_vat")
        if all(item.get(key) is None for key in prices):
            for key in prices:
                check.add(
                    f"{path}.{key}",
                    f"The {path}.{key} field is required when none of "
                    "price_excluding_vat / price_including_vat are present.",
                )
        for key in (*prices, "row_total_excluding_vat", "row_total_including_vat", "discount"):
            if item.get(key) is not None:
                check.amount(item, key, f"{path}.{key}")


def _check_payment(check: _Collector, payment: Mapping[str, Any]) -> None:
    if payment.get("method") != "direct_debit":
        check.add("payment.method", "The selected payment.method is invalid.")
        return
    for key, length in (("sort_code", 6), ("account_number", 8)):
        value = payment.get(key)
        path = f"payment.{key}"
        if _blank(value):
            check.add(path, f"The {path} field is required when payment.method is direct_debit.")
        elif not isinstance(value, str) or not _DIGITS.fullmatch(value) or len(value) != length:
            check.add(path, f"The {path} field must be {length} digits.")
