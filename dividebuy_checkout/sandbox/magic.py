"""Every magic value of the sandbox, in one table.

A magic value is an input that makes the sandbox do something on purpose, so a
test or a developer can force each decision and each failure without any admin
call. :data:`MAGIC_VALUES` is the only place they are listed; the lookups below
and the table in ``docs/sandbox.md`` (see :func:`markdown_table`) are derived
from it, and a test checks that the document still matches.

Where each kind of value is looked at:

- ``amount``: the ``amount`` query parameter (terms, representative example),
  the ``amount`` of a refund body, and ``order.total`` of a quote request. Amounts
  compare as numbers, so ``99429``, ``99429.0`` and ``"99429.00"`` all match.
  They are above every default maximum spend, so they never collide with a
  real-looking order.
- ``retailer_order_ref``: ``order.retailer_order_ref`` of a quote request and
  ``orders.*.retailer_order_ref`` of a settlement request.
- ``last_name``: ``customer.last_name`` of a quote request (case-insensitive),
  which picks the credit decision.
- ``client_secret``: the secret sent to ``POST /oauth/token``.

A fault fires after authentication (except the 401 fault itself, which *is* an
authentication failure) and before the request is validated, so the rest of the
body does not matter. ``slow`` sleeps ``slow_seconds`` and then answers
normally; ``malformed`` answers ``200`` with a body cut off mid-JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .faults import MALFORMED, SLOW, Fault

__all__ = [
    "AMOUNT",
    "APPROVED",
    "CREDENTIAL",
    "DECLINED",
    "LAST_NAME",
    "MAGIC_VALUES",
    "REFERRED",
    "RETAILER_ORDER_REF",
    "WRONG_SECRET",
    "MagicValue",
    "decision_for",
    "fault_for",
    "markdown_table",
]

AMOUNT = "amount"
RETAILER_ORDER_REF = "retailer_order_ref"
LAST_NAME = "last_name"
CREDENTIAL = "client_secret"

APPROVED = "APPROVED"
DECLINED = "DECLINED"
REFERRED = "REFERRED"


@dataclass(frozen=True)
class MagicValue:
    """One row of the table: where the value is read, the value, and what it does.

    Exactly one of ``fault`` and ``decision`` applies for fault and decision rows;
    the wrong-secret row has neither (its effect is in ``effect``).
    """

    field: str
    value: str
    effect: str
    fault: Fault | None = None
    decision: str | None = None


def _status(code: int) -> Fault:
    return Fault(kind="status", status=code, source="magic")


#: THE table. Add a row here and it is live, documented and tested.
MAGIC_VALUES: tuple[MagicValue, ...] = (
    MagicValue(AMOUNT, "99429", "429 Too Many Requests with `Retry-After: 1`", _status(429)),
    MagicValue(AMOUNT, "99500", "500 Internal Server Error", _status(500)),
    MagicValue(AMOUNT, "99503", "503 Service Unavailable", _status(503)),
    MagicValue(
        AMOUNT,
        "99504",
        "slow: sleeps `slow_seconds`, then answers normally",
        Fault(kind=SLOW, source="magic"),
    ),
    MagicValue(
        AMOUNT,
        "99422",
        "malformed: `200` with a body that is not valid JSON",
        Fault(kind=MALFORMED, source="magic"),
    ),
    MagicValue(AMOUNT, "99401", "401 Unauthenticated (even with a valid token)", _status(401)),
    MagicValue(RETAILER_ORDER_REF, "FAULT-429", "429 with `Retry-After: 1`", _status(429)),
    MagicValue(RETAILER_ORDER_REF, "FAULT-500", "500 Internal Server Error", _status(500)),
    MagicValue(RETAILER_ORDER_REF, "FAULT-503", "503 Service Unavailable", _status(503)),
    MagicValue(
        RETAILER_ORDER_REF,
        "FAULT-SLOW",
        "slow: sleeps `slow_seconds`, then answers normally",
        Fault(kind=SLOW, source="magic"),
    ),
    MagicValue(
        RETAILER_ORDER_REF,
        "FAULT-MALFORMED",
        "malformed: `200` with a body that is not JSON",
        Fault(kind=MALFORMED, source="magic"),
    ),
    MagicValue(
        LAST_NAME,
        "Declined",
        "decision `DECLINED`; quote status `Declined`, no checkout page",
        decision=DECLINED,
    ),
    MagicValue(
        LAST_NAME,
        "Referred",
        "decision `REFERRED`; the hosted page asks for a guarantor "
        "(complete it with the admin API)",
        decision=REFERRED,
    ),
    MagicValue(
        LAST_NAME,
        "Undecided",
        "decision `null`; decided (`APPROVED`) when the customer signs on the hosted page",
        decision=None,
    ),
    MagicValue(LAST_NAME, "(anything else)", "decision `APPROVED`", decision=APPROVED),
    MagicValue(CREDENTIAL, "wrong-secret", "401 `Invalid client credentials.` from the token call"),
)

WRONG_SECRET = next(row.value for row in MAGIC_VALUES if row.field == CREDENTIAL)

_AMOUNT_FAULTS: dict[Decimal, Fault] = {
    Decimal(row.value): row.fault for row in MAGIC_VALUES if row.field == AMOUNT and row.fault
}
_REF_FAULTS: dict[str, Fault] = {
    row.value: row.fault for row in MAGIC_VALUES if row.field == RETAILER_ORDER_REF and row.fault
}
_SURNAME_DECISIONS: dict[str, str | None] = {
    row.value.casefold(): row.decision
    for row in MAGIC_VALUES
    if row.field == LAST_NAME and not row.value.startswith("(")
}


def decision_for(last_name: object) -> str | None:
    """The credit decision a quote gets for this ``customer.last_name``."""
    if isinstance(last_name, str):
        key = last_name.strip().casefold()
        if key in _SURNAME_DECISIONS:
            return _SURNAME_DECISIONS[key]
    return APPROVED


def _amount_fault(value: object) -> Fault | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return _AMOUNT_FAULTS.get(number)


def _ref_fault(value: object) -> Fault | None:
    return _REF_FAULTS.get(value) if isinstance(value, str) else None


def fault_for(query_amount: str | None, body: Any) -> Fault | None:
    """The magic fault a request asks for, if any (first match in the order below).

    Looks at the ``amount`` query parameter, the body's ``amount``, ``order.total``,
    ``order.retailer_order_ref`` and every ``orders.*.retailer_order_ref``.
    """
    candidates: list[Fault | None] = [_amount_fault(query_amount)]
    if isinstance(body, Mapping):
        candidates.append(_amount_fault(body.get("amount")))
        order = body.get("order")
        if isinstance(order, Mapping):
            candidates.append(_amount_fault(order.get("total")))
            candidates.append(_ref_fault(order.get("retailer_order_ref")))
        rows = body.get("orders")
        if isinstance(rows, list):
            candidates.extend(
                _ref_fault(row.get("retailer_order_ref"))
                for row in rows
                if isinstance(row, Mapping)
            )
    return next((fault for fault in candidates if fault is not None), None)


def markdown_table(rows: Iterable[MagicValue] = MAGIC_VALUES) -> str:
    """The table as Markdown, for ``docs/sandbox.md`` (a test keeps the two in step)."""
    lines = ["| field | value | effect |", "| --- | --- | --- |"]
    for row in rows:
        value = row.value if row.value.startswith("(") else f"`{row.value}`"
        lines.append(f"| `{row.field}` | {value} | {row.effect} |")
    return "\n".join(lines)
