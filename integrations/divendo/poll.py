"""Divendo order state → settle and refund events (ADAPTERS.md §4.3), pure.

Divendo's documents describe no webhooks, so ``platform poll`` reads each order DivideBuy
financed (:mod:`..polling`) and this module says what the order, as read, asks for:

- ``shipping.shippingdate`` set (and ``_SETTLE_ON_SHIPPINGDATE``) → SETTLE ``settle:{id}``,
  dated the UK date of the shipping date;
- else ``status.name`` in ``_SETTLE_STATUSES`` → SETTLE ``settle:{id}``, dated the UK date
  of ``modified``;
- each line whose ``cancellation`` is set (with ``_REFUND_CANCELLED_LINES``) → REFUND
  ``refund-line:{id}:{line id}`` of the line's ``subtotal``;
- ``status.name`` in ``_REFUND_STATUSES`` → REFUND ``refund-full:{id}``: all that is left.

Why these keys: the same state read again derives the same keys, so the inbox records each
action once however often the order is polled; a line cancelled later is a new key (its own
refund); "refund all" after line refunds sends only what is left (the ledger's balance).
A shipping date wins over a settle status (it is the real dispatch day).

Dates: Divendo writes ISO 8601 with an offset and up to seven fractional digits
(``2018-03-29T21:09:37.0060207+01:00``, seed 001:123); the UK calendar date is what DivideBuy
is told (an evening dispatch in summer at ``23:30+00:00`` is the next UK day). A date-only value
is that day. **Assumed** (``docs/assumptions.md``): a date-time without an offset is UK local
time. A value that is not a date raises :class:`~..errors.MappingError` (the poll counts that
order as failed and names the field; nothing is recorded).

The JSON paths are :data:`PATHS` (``id``, ``modified``, ``status.name``,
``shipping.shippingdate``, ``lines[].id``, ``lines[].subtotal``, ``lines[].cancellation``);
``DIVIDEBUY_DIVENDO_ORDER_SHAPE`` moves the ones the mapping's order shape shares with them
(``id``, ``status``, ``lines``, ``line_id``, ``line_subtotal``, ``line_cancellation``), so the
poll and the checkout read one order the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from .._money import pounds
from ..errors import MappingError
from ..events import EventKind, PlatformEvent

__all__ = ["PATHS", "PLATFORM", "PollSettings", "events_from_order", "paths_for", "uk_date"]

PLATFORM = "divendo"
UK = ZoneInfo("Europe/London")

#: where the poll reads the order's state (dotted paths into the order JSON; line fields are
#: relative to one item of ``lines``)
PATHS: dict[str, str] = {
    "id": "id",
    "modified": "modified",
    "status": "status.name",
    "shippingdate": "shipping.shippingdate",
    "lines": "lines",
    "line_id": "id",
    "line_subtotal": "subtotal",
    "line_cancellation": "cancellation",
}

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
#: more than six fractional digits (Divendo writes seven): cut to microseconds
_FRACTION = re.compile(r"(\.\d{6})\d+")


class PollSettings(Protocol):
    """The ``DIVIDEBUY_DIVENDO_*`` settings the derivation reads (``DivendoConfig`` has them)."""

    @property
    def settle_on_shippingdate(self) -> bool: ...

    @property
    def settle_statuses(self) -> Sequence[str] | frozenset[str]: ...

    @property
    def refund_statuses(self) -> Sequence[str] | frozenset[str]: ...

    @property
    def refund_cancelled_lines(self) -> bool: ...

    @property
    def order_shape(self) -> Mapping[str, str]: ...


def paths_for(config: PollSettings) -> dict[str, str]:
    """:data:`PATHS` with the shop's ``DIVIDEBUY_DIVENDO_ORDER_SHAPE`` overrides applied."""
    overrides = {k: str(v) for k, v in (config.order_shape or {}).items() if k in PATHS}
    return {**PATHS, **overrides}


def _at(body: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(body, Mapping):
            return None
        body = body.get(part)
    return body


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def uk_date(value: Any, field: str) -> date:
    """The UK calendar date of a Divendo date or date-time (module docstring)."""
    if not isinstance(value, str):
        raise MappingError(f"The shop's order has an unreadable date in {field}.")
    text = value.strip()
    if _DATE_ONLY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise MappingError(f"The shop's order has an unreadable date in {field}.") from None
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", text.replace("Z", "+00:00")))
    except ValueError:
        raise MappingError(f"The shop's order has an unreadable date in {field}.") from None
    if moment.tzinfo is None:
        return moment.date()  # assumed UK local time (docs/assumptions.md)
    return moment.astimezone(UK).date()


def _names(values: Sequence[str] | frozenset[str]) -> frozenset[str]:
    return frozenset(v.strip().casefold() for v in values if v and v.strip())


def events_from_order(raw: Mapping[str, Any], config: PollSettings) -> list[PlatformEvent]:
    """The actions Divendo order *raw* (as fetched) asks for now. Pure: no I/O, no clock."""
    paths = paths_for(config)
    order_id = _at(raw, paths["id"])
    if _blank(order_id) or not isinstance(order_id, str | int) or isinstance(order_id, bool):
        raise MappingError("The shop's order has no id.")
    order_id = str(order_id).strip()
    status = _at(raw, paths["status"])
    status_name = status.strip() if isinstance(status, str) else ""
    events: list[PlatformEvent] = []

    shipped = _at(raw, paths["shippingdate"])
    settle_day: date | None = None
    note = ""
    if config.settle_on_shippingdate and not _blank(shipped):
        settle_day = uk_date(shipped, paths["shippingdate"])
        note = f"shipped {shipped}"
    elif status_name and status_name.casefold() in _names(config.settle_statuses):
        settle_day = uk_date(_at(raw, paths["modified"]), paths["modified"])
        note = f"status {status_name!r}"
    if settle_day is not None:
        events.append(
            PlatformEvent(
                PLATFORM,
                f"settle:{order_id}",
                EventKind.SETTLE,
                order_id,
                delivered_on=settle_day,
                note=note,
            )
        )

    if config.refund_cancelled_lines:
        events.extend(_cancelled_lines(raw, order_id, paths))
    if status_name and status_name.casefold() in _names(config.refund_statuses):
        events.append(
            PlatformEvent(
                PLATFORM,
                f"refund-full:{order_id}",
                EventKind.REFUND,
                order_id,
                note=f"status {status_name!r}",
            )
        )
    return events


def _cancelled_lines(
    raw: Mapping[str, Any], order_id: str, paths: Mapping[str, str]
) -> list[PlatformEvent]:
    lines = _at(raw, paths["lines"])
    if lines is None:
        return []
    if not isinstance(lines, list):
        raise MappingError(f"The shop's order has unreadable {paths['lines']}.")
    events: list[PlatformEvent] = []
    for number, line in enumerate(lines):
        if not isinstance(line, Mapping) or _at(line, paths["line_cancellation"]) is None:
            continue
        where = f"{paths['lines']}[{number}]"
        line_id = _at(line, paths["line_id"])
        if _blank(line_id) or isinstance(line_id, bool) or not isinstance(line_id, str | int):
            raise MappingError(f"The shop's order has a cancelled line without an id ({where}).")
        amount: Decimal = pounds(
            _at(line, paths["line_subtotal"]), f"{where}.{paths['line_subtotal']}"
        ).amount
        if amount <= 0:
            continue  # nothing was charged for it: nothing to refund
        events.append(
            PlatformEvent(
                PLATFORM,
                f"refund-line:{order_id}:{line_id}",
                EventKind.REFUND,
                order_id,
                amount=amount,
                platform_ref=str(line_id),
                note=f"line {line_id} cancelled",
            )
        )
    return events
