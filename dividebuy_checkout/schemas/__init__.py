"""Validation of DivideBuy's create-quote request, before it leaves the shop.

>>> from dividebuy_checkout.schemas import validate_quote, load_quote, flatten_errors
>>> errors = validate_quote(payload, available_terms=[3, 6, 12])
>>> flatten_errors(errors)            # {"customer.address.town": ["..."], ...}
>>> body = load_quote(payload, available_terms=[3, 6, 12])   # what the client sends

- :mod:`.enums`: the document's enumerations (the one place they are spelled);
- :mod:`.rules`: every field rule and its shopper-facing message, usable on its own
  (the checkout form uses the same rules);
- :mod:`.history`: today in the UK, ages, ``YY-MM`` and address-history maths;
- :mod:`.customer`, :mod:`.order`, :mod:`.payment`, :mod:`.quote`: the schemas.

See ``docs/validation.md`` for every rule, its limit, its message and each reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from marshmallow import ValidationError
from marshmallow.exceptions import SCHEMA

from . import enums, rules
from ._base import ValidationConfig
from .customer import CurrentAddressSchema, CustomerSchema, PreviousAddressSchema
from .examples import example_quote_payload
from .history import Today, uk_today
from .order import LineItemSchema, OrderSchema
from .payment import PaymentSchema
from .quote import QuoteRequestSchema

__all__ = [
    "CurrentAddressSchema",
    "CustomerSchema",
    "LineItemSchema",
    "OrderSchema",
    "PaymentSchema",
    "PreviousAddressSchema",
    "QuoteRequestSchema",
    "ValidationConfig",
    "ValidationError",
    "enums",
    "example_quote_payload",
    "flatten_errors",
    "load_quote",
    "rules",
    "uk_today",
    "validate_quote",
]

#: The flat key of errors about the payload as a whole (e.g. it is not an object).
ROOT = SCHEMA


@lru_cache(maxsize=64)
def _cached_schema(
    terms: frozenset[int] | None, today: Today, min_history_months: int
) -> QuoteRequestSchema:
    return QuoteRequestSchema(
        available_terms=terms, today=today, min_history_months=min_history_months
    )


def _schema(
    available_terms: Iterable[int] | None, today: Today, min_history_months: int
) -> QuoteRequestSchema:
    terms = None if available_terms is None else frozenset(int(t) for t in available_terms)
    try:
        return _cached_schema(terms, today, int(min_history_months))
    except TypeError:  # an unhashable clock: build a schema for this call
        return QuoteRequestSchema(
            available_terms=terms, today=today, min_history_months=min_history_months
        )


def validate_quote(
    payload: Any,
    *,
    available_terms: Iterable[int] | None = None,
    today: Today = None,
    min_history_months: int = rules.DEFAULT_MIN_HISTORY_MONTHS,
) -> dict[Any, Any]:
    """Every error of *payload* as marshmallow's nested dict (empty when it is valid).

    Never raises on input: whatever *payload* is, the answer is a dict.
    """
    return _schema(available_terms, today, min_history_months).validate(payload)


def load_quote(
    payload: Any,
    *,
    available_terms: Iterable[int] | None = None,
    today: Today = None,
    min_history_months: int = rules.DEFAULT_MIN_HISTORY_MONTHS,
) -> dict[str, Any]:
    """The normalised payload the client sends; raises ``marshmallow.ValidationError``.

    Amounts are ``Decimal`` pounds to the penny (encode with
    :func:`dividebuy_checkout.money.dumps`), ``rent``, terms, days and flags are
    ``int``, and blank optional fields are left out. ``load_quote`` of its own
    output returns an equal payload.
    """
    loaded: dict[str, Any] = _schema(available_terms, today, min_history_months).load(payload)
    return loaded


def flatten_errors(errors: Mapping[Any, Any]) -> dict[str, list[str]]:
    """marshmallow's nested errors as ``{"customer.address.town": ["..."], ...}``.

    List indices become path segments (``customer.previous_addresses.0.time_at_address``);
    an object's own errors (``_schema``) sit at the object's path
    (``customer.address``); errors about the whole payload sit at ``"_schema"``.
    """
    flat: dict[str, list[str]] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, path if key == SCHEMA else (*path, str(key)))
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item, path)
        else:
            flat.setdefault(".".join(path) or ROOT, []).append(str(node))

    walk(errors, ())
    return flat
