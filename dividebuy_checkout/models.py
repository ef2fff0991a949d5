"""Typed results of DivideBuy calls, with ``Decimal`` money.

Each ``from_wire`` reads one documented response shape and raises
:class:`~dividebuy_checkout.errors.MalformedResponseError` for anything else,
so a changed or broken reply fails loudly at the edge instead of deep inside
a template or the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import MalformedResponseError
from .money import MoneyError, from_wire

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "DECLINED",
    "EXPIRED",
    "FINAL_STATUSES",
    "PENDING",
    "Quote",
    "Refund",
    "RepresentativeExample",
    "RequestedQuote",
    "SettlementOrder",
    "Term",
    "Terms",
]

# Quote statuses as WIRE.md reads them. An unknown status is treated as still
# pending (never as paid): see Quote.is_pending.
PENDING = "Pending"
COMPLETED = "Completed"
DECLINED = "Declined"
CANCELLED = "Cancelled"
EXPIRED = "Expired"
FINAL_STATUSES = frozenset({COMPLETED, DECLINED, CANCELLED, EXPIRED})


def _get(data: Mapping[str, Any], key: str, what: str) -> Any:
    # Decoded JSON objects are dicts; a plain type check keeps this hot path cheap.
    if not isinstance(data, dict) or key not in data:
        raise MalformedResponseError(f"DivideBuy's {what} reply has no '{key}'.")
    return data[key]


def _money(data: Mapping[str, Any], key: str, what: str, *, optional: bool = False) -> Decimal:
    value = data.get(key) if optional else _get(data, key, what)
    if value is None and optional:
        return Decimal("0.00")
    try:
        return from_wire(value)
    except MoneyError:
        raise MalformedResponseError(f"DivideBuy's {what} reply has a bad '{key}'.") from None


def _int(data: Mapping[str, Any], key: str, what: str) -> int:
    value = _get(data, key, what)
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise MalformedResponseError(f"DivideBuy's {what} reply has a bad '{key}'.")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise MalformedResponseError(f"DivideBuy's {what} reply has a bad '{key}'.") from None
    if number != number.to_integral_value():
        raise MalformedResponseError(f"DivideBuy's {what} reply has a bad '{key}'.")
    return int(number)


def _rate(data: Mapping[str, Any], key: str, what: str) -> Decimal:
    value = data.get(key, 0) or 0
    if isinstance(value, bool):
        raise MalformedResponseError(f"DivideBuy's {what} reply has a bad '{key}'.")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise MalformedResponseError(f"DivideBuy's {what} reply has a bad '{key}'.") from None


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


@dataclass(frozen=True)
class Term:
    """One instalment plan DivideBuy offers for an amount."""

    type: str
    available: bool
    months_in_term: int
    interest_rate: Decimal
    minimum_spend: Decimal
    maximum_spend: Decimal
    first_instalment_cost: Decimal
    regular_instalment_cost: Decimal
    final_instalment_cost: Decimal
    total_loan_value: Decimal
    total_to_pay: Decimal
    total_interest: Decimal

    @property
    def interest_free(self) -> bool:
        return self.interest_rate == 0

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Term:
        what = "terms"
        if not isinstance(data, Mapping):
            raise MalformedResponseError(
                "DivideBuy's terms reply has a term that is not an object."
            )
        return cls(
            type=str(_get(data, "type", what)),
            available=bool(_get(data, "available", what)),
            months_in_term=_int(data, "months_in_term", what),
            interest_rate=_rate(data, "interest_rate", what),
            minimum_spend=_money(data, "minimum_spend", what),
            maximum_spend=_money(data, "maximum_spend", what),
            first_instalment_cost=_money(data, "first_instalment_cost", what),
            regular_instalment_cost=_money(data, "regular_instalment_cost", what),
            final_instalment_cost=_money(data, "final_instalment_cost", what),
            total_loan_value=_money(data, "total_loan_value", what),
            total_to_pay=_money(data, "total_to_pay", what),
            total_interest=_money(data, "total_interest", what),
        )


@dataclass(frozen=True)
class Terms:
    """Every term DivideBuy reported for ``order_value``, available or not."""

    order_value: Decimal
    terms: tuple[Term, ...]

    @property
    def available(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if term.available)

    def term(self, months: int) -> Term | None:
        return next((t for t in self.available if t.months_in_term == months), None)

    @classmethod
    def from_wire(cls, body: Any) -> Terms:
        data = _get(body, "data", "terms")
        terms = _get(data, "terms", "terms")
        if not isinstance(terms, list):
            raise MalformedResponseError("DivideBuy's terms reply has no list of terms.")
        return cls(
            order_value=_money(data, "order_value", "terms"),
            terms=tuple(Term.from_wire(item) for item in terms),
        )


@dataclass(frozen=True)
class RepresentativeExample:
    """The FCA representative example. ``html`` is DivideBuy's, unsanitised."""

    amount: Decimal
    term: int
    apr: Decimal
    html: str

    @classmethod
    def from_wire(cls, body: Any) -> RepresentativeExample:
        what = "representative example"
        data = _get(body, "data", what)
        html = _get(data, "html", what)
        if not isinstance(html, str):
            raise MalformedResponseError("DivideBuy's representative example has no text.")
        return cls(
            amount=_money(data, "amount", what),
            term=_int(data, "term", what),
            apr=_rate(data, "apr", what),
            html=html,
        )


@dataclass(frozen=True)
class RequestedQuote:
    """The answer to create-quote: the quote id, any decision, and where to send the shopper."""

    id: str
    decision: str | None
    checkout_url: str | None
    type: str | None = None
    details: Any = None

    @property
    def declined(self) -> bool:
        return self.decision == "DECLINED"

    @classmethod
    def from_wire(cls, body: Any) -> RequestedQuote:
        what = "create-quote"
        quote = _get(_get(body, "data", what), "requested_quote", what)
        quote_id = _text(quote, "id")
        if not quote_id:
            raise MalformedResponseError("DivideBuy's create-quote reply has no quote id.")
        return cls(
            id=quote_id,
            decision=_text(quote, "decision"),
            checkout_url=_text(quote, "checkout_url"),
            type=_text(quote, "type"),
            details=quote.get("details"),
        )


@dataclass(frozen=True)
class Quote:
    """A quote as DivideBuy holds it now: the only source of a checkout's outcome."""

    id: str
    status: str
    retailer_order_id: str
    retailer_order_ref: str
    order_amount: Decimal
    upfront_payment: Decimal
    credit_amount: Decimal
    term: int
    interest_rate: Decimal
    decision: str | None
    #: DivideBuy's order id, present once the quote is Completed; settlement needs it
    order_ref_id: str | None

    @property
    def is_completed(self) -> bool:
        return self.status == COMPLETED

    @property
    def is_pending(self) -> bool:
        """True for ``Pending`` and for any status we do not know (never treated as paid)."""
        return self.status not in FINAL_STATUSES

    @classmethod
    def from_wire(cls, body: Any) -> Quote:
        what = "quote"
        quote = _get(_get(body, "data", what), "quote", what)
        status = _get(quote, "status", what)
        if not isinstance(status, str):
            raise MalformedResponseError("DivideBuy's quote reply has a bad 'status'.")
        return cls(
            id=str(_get(quote, "id", what)),
            status=status,
            retailer_order_id=str(_get(quote, "retailer_order_id", what)),
            retailer_order_ref=str(_get(quote, "retailer_order_ref", what)),
            order_amount=_money(quote, "order_amount", what),
            upfront_payment=_money(quote, "upfront_payment", what, optional=True),
            credit_amount=_money(quote, "credit_amount", what),
            term=_int(quote, "term", what),
            interest_rate=_rate(quote, "interest_rate", what),
            decision=_text(quote, "decision"),
            order_ref_id=_text(quote, "order_ref_id"),
        )


@dataclass(frozen=True)
class SettlementOrder:
    """One row of a settlement call: DivideBuy's order id, the shop's ids, the delivery date."""

    order_ref_id: str
    retailer_order_id: str
    retailer_order_ref: str
    date_of_delivery: date

    def to_wire(self) -> dict[str, str]:
        return {
            "order_ref_id": self.order_ref_id,
            "retailer_order_id": self.retailer_order_id,
            "retailer_order_ref": self.retailer_order_ref,
            "date_of_delivery": self.date_of_delivery.isoformat(),
        }


@dataclass(frozen=True)
class Refund:
    """A refund DivideBuy confirmed it created."""

    id: str
    amount: Decimal
    refund_type: str

    @classmethod
    def from_wire(cls, body: Any) -> Refund:
        what = "refund"
        refund = _get(_get(body, "data", what), "refund", what)
        return cls(
            id=str(_get(refund, "id", what)),
            amount=_money(refund, "amount", what),
            refund_type=str(_get(refund, "refund_type", what)),
        )
