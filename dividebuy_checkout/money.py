"""Money: ``Decimal`` pounds, exact JSON encoding and en-GB formatting.

Every amount that crosses a boundary (a function argument, a JSON body, a form)
goes through :func:`to_money`, so a float never carries money and rounding
happens in exactly one place.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "MAX_AMOUNT",
    "PENNY",
    "ZERO",
    "MoneyError",
    "MoneyLike",
    "dumps",
    "format_gbp",
    "from_wire",
    "loads",
    "round_money",
    "to_money",
]

PENNY = Decimal("0.01")
ZERO = Decimal("0.00")
#: far above any order; keeps quantising inside the decimal context's precision
MAX_AMOUNT = Decimal("1e15")

MoneyLike = Decimal | str | int


class MoneyError(ValueError):
    """An amount that is not a usable number of pounds."""


def to_money(value: MoneyLike, *, field: str = "amount", allow_negative: bool = False) -> Decimal:
    """Return *value* as pounds quantised to the penny.

    Accepts ``Decimal``, ``str`` and ``int``; refuses ``float`` (binary floats
    cannot hold most penny amounts exactly) and ``bool``. More than two decimal
    places is an error rather than a silent rounding: the caller meant something.
    """
    if isinstance(value, bool | float):
        raise MoneyError(f"The {field} must be given as a Decimal, string or integer, not a float.")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").removeprefix("£")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"The {field} must be a number of pounds, like 149.99.") from None
    else:
        raise MoneyError(f"The {field} must be a number of pounds, like 149.99.")
    if not amount.is_finite():
        raise MoneyError(f"The {field} must be a number of pounds, like 149.99.")
    if abs(amount) >= MAX_AMOUNT:
        raise MoneyError(f"The {field} is too large.")
    if amount != amount.quantize(PENNY, rounding=ROUND_HALF_UP):
        raise MoneyError(f"The {field} can have at most two decimal places.")
    if amount < 0 and not allow_negative:
        raise MoneyError(f"The {field} cannot be negative.")
    return amount.quantize(PENNY) if amount else ZERO  # never "-0.00"


def from_wire(value: Any) -> Decimal:
    """Read an amount from a decoded JSON body (already ``Decimal`` or ``int``).

    The two shapes ``loads`` produces are read directly: this runs for every
    figure of every terms reply, on product pages.
    """
    kind = type(value)
    if kind is Decimal and value.is_finite():
        quantised: Decimal = value.quantize(PENNY)
        if quantised == value:
            return quantised
    elif kind is int:
        return Decimal(value).quantize(PENNY)
    if isinstance(value, bool) or value is None:
        raise MoneyError("Expected an amount of pounds.")
    if isinstance(value, float):  # only reachable when a caller decoded with floats
        value = repr(value)
    return to_money(value, allow_negative=True)


def round_money(value: Decimal) -> Decimal:
    """Round a computed amount (e.g. an instalment) half-up to the penny."""
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def format_gbp(amount: Decimal, *, pence: bool = True) -> str:
    """Format pounds the en-GB way: ``£1,234.50`` (or ``£1,235`` with ``pence=False``)."""
    sign = "-" if amount < 0 else ""
    if pence:
        return f"{sign}£{abs(round_money(amount)):,.2f}"
    return f"{sign}£{abs(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def _encode(value: Any) -> str:
    """Write JSON with every ``Decimal`` as its exact text.

    The standard encoder can only write ``Decimal`` by way of ``float`` (which
    cannot hold most penny amounts exactly), so containers and numbers are
    written here and every other value is handed to :func:`json.dumps`.
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError("Cannot encode a non-finite amount.")
        return format(value, "f")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(key))}:{_encode(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    if isinstance(value, float):
        raise MoneyError("Refusing to encode a float: amounts must be Decimal.")
    return json.dumps(value, ensure_ascii=False)


def dumps(payload: Any) -> bytes:
    """Encode *payload* as JSON, writing every ``Decimal`` as an exact JSON number."""
    return _encode(payload).encode()


def loads(body: bytes | str) -> Any:
    """Decode JSON with numbers as ``Decimal`` (integers stay ``int``)."""
    return json.loads(body, parse_float=Decimal)
