"""``QuoteRequestSchema``: the whole create-quote body ``{"customer", "order", "payment"}``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import rules
from ._base import ConfiguredNested, QuoteSchemaBase, ValidationConfig
from .customer import CustomerSchema
from .history import Today
from .order import OrderSchema
from .payment import PaymentSchema

__all__ = ["QuoteRequestSchema"]


class QuoteRequestSchema(QuoteSchemaBase):
    """The nested create-quote payload.

    ``validate(payload)`` returns marshmallow's nested error dict (each error at its
    wire path; list indices as ``int`` keys; cross-field errors under ``_schema`` of
    the nearest object, or on the field to change); ``load(payload)`` returns the
    normalised payload the client sends, or raises ``marshmallow.ValidationError``.

    :param available_terms: months of the terms DivideBuy reports as available for
        the order total (``GET /terms``); ``None`` accepts any positive term.
    :param today: a ``date`` or a callable returning one (tests, or a clock); by
        default the date in Europe/London at the moment of validation.
    :param min_history_months: address history needed (36 by default).
    """

    customer = ConfiguredNested(
        CustomerSchema, required=True, required_message=rules.CUSTOMER_REQUIRED
    )
    order = ConfiguredNested(OrderSchema, required=True, required_message=rules.ORDER_REQUIRED)
    # payment is optional ("An optional object"); null is read as absent.
    payment = ConfiguredNested(PaymentSchema, allow_none=True)

    def __init__(
        self,
        *,
        available_terms: Iterable[int] | None = None,
        today: Today = None,
        min_history_months: int = rules.DEFAULT_MIN_HISTORY_MONTHS,
        config: ValidationConfig | None = None,
        **kwargs: Any,
    ) -> None:
        if config is None:
            terms = None if available_terms is None else frozenset(int(t) for t in available_terms)
            config = ValidationConfig(
                available_terms=terms, today=today, min_history_months=int(min_history_months)
            )
        super().__init__(config=config, **kwargs)
