"""Money read from platform bodies: ``Decimal`` pounds, float artefacts, exact line splits.

Platform bodies are decoded with :func:`dividebuy_checkout.money.loads`, so a
JSON number arrives as ``Decimal`` (or ``int``) and a binary float never exists.
Rounding happens in two places only: :func:`pounds` drops a binary-float
artefact (``22.900000000000006`` → ``22.90``, see
:data:`~.assumptions.FLOAT_ARTEFACT_TOLERANCE`), and :func:`split_line` spreads a
row that does not divide by its quantity over two lines that add up exactly.
A platform *total* is never rounded or recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from ..money import PENNY, MoneyError, to_money
from .assumptions import FLOAT_ARTEFACT_TOLERANCE
from .errors import MappingError

__all__ = ["Pounds", "SplitLine", "pounds", "pounds_from_minor", "require_gbp", "split_line"]


@dataclass(frozen=True)
class Pounds:
    """An amount read from a platform, and a note when a float artefact was dropped."""

    amount: Decimal
    note: str | None = None


def pounds(value: object, field: str, *, allow_negative: bool = False) -> Pounds:
    """Read *value* (``Decimal``, ``int`` or ``str``) as pounds, or raise :class:`MappingError`.

    More than two decimal places is accepted only as a binary-float artefact
    (within :data:`FLOAT_ARTEFACT_TOLERANCE` of a penny amount); anything else
    is the platform meaning something we cannot represent, so it is refused.
    """
    if isinstance(value, bool) or value is None or isinstance(value, float):
        raise MappingError(f"The shop's order has an unreadable amount in {field}.")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise MappingError(f"The shop's order has an unreadable amount in {field}.") from None
    else:
        raise MappingError(f"The shop's order has an unreadable amount in {field}.")
    if not amount.is_finite():
        raise MappingError(f"The shop's order has an unreadable amount in {field}.")
    note = None
    rounded = amount.quantize(PENNY, rounding=ROUND_HALF_UP)
    if rounded != amount:
        if abs(amount - rounded) >= FLOAT_ARTEFACT_TOLERANCE:
            raise MappingError(f"The shop's order has more than two decimal places in {field}.")
        note = f"{field} {amount} read as {rounded}"
    try:
        result = to_money(rounded, field=field, allow_negative=allow_negative)
    except MoneyError as exc:
        raise MappingError(f"The shop's order has an unusable amount in {field}: {exc}") from None
    return Pounds(result, note)


def pounds_from_minor(value: object, field: str) -> Decimal:
    """Read an integer number of pence (``2999`` → ``29.99``); anything else is refused."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MappingError(f"The shop's order has an unreadable amount in {field}.")
    return pounds(Decimal(value).scaleb(-2), field, allow_negative=True).amount


def require_gbp(code: object, where: str) -> None:
    """Refuse anything but pounds: DivideBuy lends in GBP only."""
    if not isinstance(code, str) or code.strip().upper() != "GBP":
        shown = str(code).strip().upper() if isinstance(code, str) and code.strip() else "?"
        raise MappingError(
            f"This order is in {shown}; DivideBuy lends in pounds only.", detail=where
        )


@dataclass(frozen=True)
class SplitLine:
    """One line of a split row: ``quantity`` units at ``unit`` pounds."""

    quantity: int
    unit: Decimal


def split_line(row_total: Decimal, quantity: int) -> tuple[SplitLine, ...]:
    """Split *row_total* over *quantity* units so that Σ unit × quantity == row_total exactly.

    ``OrderLine`` carries a unit price to the penny and the wire sends
    ``unit × quantity`` as the row total, so a row such as £10.00 for 3 units
    becomes 2 × £3.33 and 1 × £3.34. At most two lines come out; one when the
    row divides.
    """
    if quantity < 1:
        raise MappingError("The shop's order has a line with a quantity below 1.")
    if row_total < 0:
        raise MappingError("The shop's order has a line with a negative price.")
    unit = (row_total / quantity).quantize(PENNY, rounding=ROUND_DOWN)
    extra = int((row_total - unit * quantity) / PENNY)
    if extra == 0:
        return (SplitLine(quantity, unit),)
    return (SplitLine(quantity - extra, unit), SplitLine(extra, unit + PENNY))
