"""``order``: amounts, instalment choice, shipping, line items and the return URL.

Readings of the document's slips (``docs/wire.md``), applied here:

- ``upfront_payment`` and ``credit_amount`` are amounts in pounds (the page says
  "boolean"), and ``credit_amount = total - upfront_payment``;
- ``vat`` is the VAT amount (the page repeats the subtotal's text);
- ``discount`` and ``total`` are amounts in pounds (the page says "string");
- ``is_default_shipping`` / ``is_default_billing`` are sent as ``1`` or ``0``;
- ``line_items.*``: at least one of ``price_excluding_vat`` / ``price_including_vat``;
- ``source`` is omitted for web orders; ``in-store``, ``telephony`` or ``in-home`` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, validates, validates_schema

from . import rules
from ._base import QuoteSchemaBase, RuleField, given, nested_list

__all__ = ["LineItemSchema", "OrderSchema"]


class LineItemSchema(QuoteSchemaBase):
    """One ``order.line_items.*`` entry."""

    name = RuleField(rules.ITEM_NAME)
    sku = RuleField(rules.ITEM_SKU)
    quantity = RuleField(rules.ITEM_QUANTITY)
    price_excluding_vat = RuleField(rules.ITEM_PRICE_EXCLUDING_VAT)
    price_including_vat = RuleField(rules.ITEM_PRICE_INCLUDING_VAT)
    vat_percentage = RuleField(rules.ITEM_VAT_PERCENTAGE)
    row_total_excluding_vat = RuleField(rules.ITEM_ROW_TOTAL_EXCLUDING_VAT)
    row_total_including_vat = RuleField(rules.ITEM_ROW_TOTAL_INCLUDING_VAT)
    discount = RuleField(rules.ITEM_DISCOUNT)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _a_price(self, data: Mapping[str, Any], original: Any, **kwargs: Any) -> None:
        # On the item itself (order.line_items.N): no single field is at fault.
        if not isinstance(original, Mapping):
            return
        if not (given(original, "price_excluding_vat") or given(original, "price_including_vat")):
            raise ValidationError(rules.LINE_ITEM_NEEDS_PRICE)


class OrderSchema(QuoteSchemaBase):
    """``order``. The selected term is checked against the configuration's available terms."""

    retailer_order_id = RuleField(rules.RETAILER_ORDER_ID)
    retailer_order_ref = RuleField(rules.RETAILER_ORDER_REF)
    selected_instalment_term = RuleField(rules.SELECTED_INSTALMENT_TERM)
    instalment_date = RuleField(rules.INSTALMENT_DATE)
    subtotal = RuleField(rules.SUBTOTAL)
    vat_rate = RuleField(rules.VAT_RATE)
    vat = RuleField(rules.VAT)
    shipping = RuleField(rules.SHIPPING)
    shipping_method = RuleField(rules.SHIPPING_METHOD)
    shipping_label = RuleField(rules.SHIPPING_LABEL)
    discount = RuleField(rules.DISCOUNT)
    time_discount_applied = RuleField(rules.TIME_DISCOUNT_APPLIED)
    total = RuleField(rules.TOTAL)
    is_default_shipping = RuleField(rules.IS_DEFAULT_SHIPPING)
    is_default_billing = RuleField(rules.IS_DEFAULT_BILLING)
    upfront_payment = RuleField(rules.UPFRONT_PAYMENT)
    credit_amount = RuleField(rules.CREDIT_AMOUNT)
    source = RuleField(rules.SOURCE)
    line_items = nested_list(LineItemSchema, required_message=rules.NOT_A_LIST)
    redirect_url = RuleField(rules.REDIRECT_URL)

    @validates("selected_instalment_term")
    def _term_is_available(self, value: int, data_key: str, **kwargs: Any) -> None:
        rules.check_term_available(value, self.rules_config.available_terms)

    @validates_schema(skip_on_field_errors=False)
    def _amounts_add_up(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        # Each error sits on the amount to change; checked only between amounts
        # that are themselves valid (a field's own error is never repeated).
        total = data.get("total")
        upfront = data.get("upfront_payment")
        credit = data.get("credit_amount")
        if total is None:
            return
        if total <= 0:
            raise ValidationError({"total": [rules.TOTAL_NOT_POSITIVE]})
        if upfront is None:
            return
        if upfront >= total:
            raise ValidationError({"upfront_payment": [rules.UPFRONT_NOT_BELOW_TOTAL]})
        if credit is not None and credit != total - upfront:
            raise ValidationError({"credit_amount": [rules.CREDIT_MISMATCH]})
