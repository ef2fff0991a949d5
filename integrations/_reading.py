"""Reading one platform order: amounts and quantities checked as they are read, notes kept.

REC+ and Divendo map an order field by field; each refusal must name the platform and the
order (the operator log and the shopper's page say why), and each float artefact dropped
from an amount is noted (``order show`` lists the notes). :class:`FieldReader` is that one
rule; a platform subclasses it for readings of its own (REC+'s VAT percentages).
"""

from __future__ import annotations

from decimal import Decimal

from ._money import pounds
from .errors import MappingError

__all__ = ["FieldReader"]


class FieldReader:
    """Reads money and quantities from one order, collecting notes as it goes.

    With *cite_field*, a refused amount or quantity carries ``V5: <field>`` as its detail
    (Divendo's validation rule V5 names the field); without, only the reason.
    """

    def __init__(self, order_id: str, platform: str, *, cite_field: bool = False) -> None:
        self.order_id = order_id
        self.platform = platform
        self.cite_field = cite_field
        self.notes: list[str] = []

    def fail(self, reason: str, detail: str | None = None) -> MappingError:
        return MappingError(reason, detail=detail, platform=self.platform, order_id=self.order_id)

    def _cited(self, field: str) -> str | None:
        return f"V5: {field}" if self.cite_field else None

    def money(self, value: object, field: str, *, allow_negative: bool = False) -> Decimal:
        try:
            read = pounds(value, field, allow_negative=allow_negative)
        except MappingError as exc:
            raise self.fail(exc.reason, detail=self._cited(field)) from None
        if read.note:
            self.notes.append(read.note)
        return read.amount

    def quantity(self, value: object, field: str) -> int:
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(
                f"The shop's order has a line with an unusable quantity ({field}).",
                detail=self._cited(field),
            )
        return value
