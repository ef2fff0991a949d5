"""Server-side checks of request bodies and query strings.

Create-quote bodies are checked by the shared UK schema,
:mod:`dividebuy_checkout.schemas` (one definition per rule: the shop, its
checkout form and the sandbox refuse the same things with the same words). The
sandbox supplies what only it knows: the terms its rate card offers for the
order total, and today's date on its clock. Errors are keyed by the dotted wire
path (``customer.address.town``), as a Laravel validator keys them.

The small readers below (:func:`read_amount`, :func:`read_int`,
:func:`read_date`) read the other requests' fields: the ``amount`` and ``term``
query parameters, a refund's ``amount`` and a settlement's ``date_of_delivery``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError

from .. import schemas
from ..dates import parse_iso_date
from ..money import MoneyError, to_money
from ..schemas import rules
from ..schemas.history import Today
from .config import DEFAULT_RATE_CARD, RateCardEntry
from .errors import Invalid

__all__ = [
    "MAX_AMOUNT",
    "Errors",
    "FieldError",
    "available_terms",
    "load_quote",
    "read_amount",
    "read_date",
    "read_int",
    "validate_quote",
]

Errors = dict[str, list[str]]

#: The largest amount the sandbox reads (keeps Decimal maths finite and quick).
MAX_AMOUNT = Decimal("99999999.99")


class FieldError(ValueError):
    """One field's value is unusable; the message is the one to show for it."""


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_amount(value: object, field: str) -> Decimal:
    """Read pounds from a JSON value or query string: a number, at most 2 dp, not negative.

    Floats never reach here (bodies are decoded to ``Decimal``).
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
    day = parse_iso_date(value) if isinstance(value, str) else None
    if day is None:
        raise FieldError(f"The {field} field must be a valid date in the format Y-m-d.")
    return day


# -- create quote: the shared schema ----------------------------------------------------------


def available_terms(payload: object, rate_card: Iterable[RateCardEntry]) -> frozenset[int] | None:
    """The months the rate card offers for the payload's ``order.total``.

    ``None`` when the total cannot be read (or is not above £0): the schema then
    reports the total itself and does not also refuse the term because of it.
    """
    order = payload.get("order") if isinstance(payload, Mapping) else None
    if not isinstance(order, Mapping):
        return None
    try:
        total = rules.TOTAL(order.get("total"))
    except ValidationError:
        return None
    if total is None or total <= 0:
        return None
    return frozenset(entry.months for entry in rate_card if entry.allows(total))


def _body(payload: object) -> object:
    """A body that is not an object is read as one with no fields (as Laravel reads it), so
    the errors sit at ``customer`` and ``order``, never at marshmallow's ``_schema``."""
    return payload if isinstance(payload, Mapping) else {}


def validate_quote(
    payload: object,
    *,
    rate_card: Iterable[RateCardEntry] = DEFAULT_RATE_CARD,
    today: Today = None,
) -> Errors:
    """Check a create-quote body; return ``{dotted.path: [messages]}`` (empty when valid).

    *today* is the date the age and move-in rules are judged on (``None``: today
    in the UK). Never raises on input.
    """
    body = _body(payload)
    terms = available_terms(body, rate_card)
    return schemas.flatten_errors(schemas.validate_quote(body, available_terms=terms, today=today))


def load_quote(
    payload: object,
    *,
    rate_card: Iterable[RateCardEntry] = DEFAULT_RATE_CARD,
    today: Today = None,
) -> dict[str, Any]:
    """The normalised create-quote body (:func:`dividebuy_checkout.schemas.load_quote`).

    Amounts are ``Decimal`` pounds, the term and flags ``int``. Raises
    :class:`~.errors.Invalid` with the same errors :func:`validate_quote` returns.
    """
    body = _body(payload)
    terms = available_terms(body, rate_card)
    try:
        return schemas.load_quote(body, available_terms=terms, today=today)
    except ValidationError as exc:
        nested = exc.messages if isinstance(exc.messages, Mapping) else {}
        raise Invalid(schemas.flatten_errors(nested)) from None
