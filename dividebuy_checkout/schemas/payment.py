"""``payment``: the optional Direct Debit details of a quote request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, validates_schema

from . import rules
from ._base import QuoteSchemaBase, RuleField, given
from .enums import PaymentMethod

__all__ = ["PaymentSchema"]


class PaymentSchema(QuoteSchemaBase):
    """The document: ``method`` is ``direct_debit`` (the only value accepted), and
    ``sort_code`` (6 digits) and ``account_number`` (8 digits), "required if
    payment.method is direct_debit", are sent with spaces and hyphens removed."""

    method = RuleField(rules.PAYMENT_METHOD)
    sort_code = RuleField(rules.SORT_CODE)
    account_number = RuleField(rules.ACCOUNT_NUMBER)
    account_name = RuleField(rules.ACCOUNT_NAME)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _bank_details_for_direct_debit(
        self, data: Mapping[str, Any], original: Any, **kwargs: Any
    ) -> None:
        if not isinstance(original, Mapping) or data.get("method") != PaymentMethod.DIRECT_DEBIT:
            return
        errors = {
            key: [rule.required_message]
            for key, rule in (
                ("sort_code", rules.SORT_CODE),
                ("account_number", rules.ACCOUNT_NUMBER),
            )
            if not given(original, key)
        }
        if errors:
            raise ValidationError(errors)
