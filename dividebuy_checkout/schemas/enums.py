"""The enumerations of DivideBuy's create-quote request: the one place they are spelled.

Every value is spelled exactly as the retailer API document spells it
(its section "Creates a request for a new finance quote"). The checkout form,
the wire schema, the sandbox and the docs all read them from here.

Reading of a slip: the document's list of income types has two unbalanced
quotation marks (``"Employed full-time,`` and ``Unemployed"``); the values are read
as ``Employed full-time`` and ``Unemployed``, like their neighbours.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = [
    "INCOME_TYPES",
    "PAYMENT_METHODS",
    "RENT_NOT_REQUIRED",
    "RESIDENTIAL_STATUSES",
    "SOURCES",
    "TIME_DISCOUNT_APPLIED",
    "TITLES",
    "IncomeType",
    "PaymentMethod",
    "ResidentialStatus",
    "Source",
    "TimeDiscountApplied",
    "Title",
    "join_choices",
    "match_choice",
]


class Title(StrEnum):
    """``customer.title``."""

    MR = "Mr"
    MRS = "Mrs"
    MISS = "Miss"
    MS = "Ms"
    MX = "Mx"
    DR = "Dr"
    PROF = "Prof"
    REV = "Rev"


class IncomeType(StrEnum):
    """``customer.income_type``."""

    EMPLOYED_FULL_TIME = "Employed full-time"
    EMPLOYED_PART_TIME = "Employed part-time"
    SELF_EMPLOYED = "Self employed"
    PENSION = "Pension"
    OTHER = "Other"
    DIRECTOR = "Director of a limited company"
    UNEMPLOYED = "Unemployed"
    RETIRED = "Retired, not working"


class ResidentialStatus(StrEnum):
    """``customer.residential_status``."""

    OUTRIGHT_OWNER = "Yes, outright owner"
    MORTGAGE = "Yes, with mortgage"
    RENTING = "No, renting"
    OTHER = "No, other"


class Source(StrEnum):
    """``order.source``: omitted for web orders (ecommerce or app), else one of these."""

    IN_STORE = "in-store"
    TELEPHONY = "telephony"
    IN_HOME = "in-home"


class TimeDiscountApplied(StrEnum):
    """``order.time_discount_applied``."""

    BEFORE_VAT = "beforeVat"
    AFTER_VAT = "afterVat"


class PaymentMethod(StrEnum):
    """``payment.method``: the document accepts only Direct Debit."""

    DIRECT_DEBIT = "direct_debit"


TITLES: tuple[str, ...] = tuple(Title)
INCOME_TYPES: tuple[str, ...] = tuple(IncomeType)
RESIDENTIAL_STATUSES: tuple[str, ...] = tuple(ResidentialStatus)
SOURCES: tuple[str, ...] = tuple(Source)
TIME_DISCOUNT_APPLIED: tuple[str, ...] = tuple(TimeDiscountApplied)
PAYMENT_METHODS: tuple[str, ...] = tuple(PaymentMethod)

#: Residential statuses for which ``customer.rent`` is not required (the document:
#: "required if the residential status is not ... 'Yes, outright owner', or 'No, other'").
RENT_NOT_REQUIRED: frozenset[str] = frozenset(
    {ResidentialStatus.OUTRIGHT_OWNER, ResidentialStatus.OTHER}
)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def match_choice(value: object, choices: Iterable[str]) -> str | None:
    """The listed spelling of *value* among *choices*, or ``None``.

    Matching ignores surrounding and repeated whitespace and letter case
    (``" self  EMPLOYED "`` is ``Self employed``); it never guesses beyond that.
    """
    if not isinstance(value, str):
        return None
    wanted = _key(value)
    for choice in choices:
        if _key(choice) == wanted:
            return str(choice)
    return None


def join_choices(choices: Iterable[str], last: str = "or") -> str:
    """``"a, b or c"`` for messages."""
    items = [str(choice) for choice in choices]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"
