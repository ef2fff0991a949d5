"""Magic ids: reading one of these orders misbehaves on purpose, or its data does.

One table, :data:`MAGIC_VALUES`, from which the docs list them. Route-level magic
(``fault`` set) answers ``GET/PUT /v1/orders/{id}`` with that fault; data magic
(``fault`` None) is an ordinary stored order whose data is the edge case.
"""

from __future__ import annotations

from dataclasses import dataclass

from ....sandbox.faults import MALFORMED, SLOW, Fault

__all__ = ["MAGIC_VALUES", "DiSellerMagic", "magic_for"]


@dataclass(frozen=True)
class DiSellerMagic:
    fault: Fault | None
    description: str
    retry_after: str | None = None


def _status(code: int) -> Fault:
    return Fault(kind="status", status=code, source="magic")


MAGIC_VALUES: dict[str, DiSellerMagic] = {
    "ord_fault_429": DiSellerMagic(_status(429), "429 rate_limit_error with Retry-After: 1", "1"),
    "ord_fault_429_long": DiSellerMagic(
        _status(429), "429 with Retry-After: 3600 (longer than we wait)", "3600"
    ),
    "ord_fault_500": DiSellerMagic(_status(500), "500 api_error"),
    "ord_fault_503": DiSellerMagic(_status(503), "503 api_error"),
    "ord_slow": DiSellerMagic(Fault(kind=SLOW, source="magic"), "waits slow_seconds, then 404"),
    "ord_malformed": DiSellerMagic(Fault(kind=MALFORMED, source="magic"), "200 with cut-off JSON"),
    "ord_fault_401": DiSellerMagic(_status(401), "401 authentication_error"),
    "ord_float_price": DiSellerMagic(None, "an item price of 29.99 (not minor units)"),
    "ord_string_price": DiSellerMagic(None, 'an item price of "2999" (a string)'),
    "ord_gb_no_customer": DiSellerMagic(None, "customer_id cust_missing (404)"),
    "ord_gb_no_product": DiSellerMagic(None, "an item naming prod_missing (404)"),
    "ord_gb_big": DiSellerMagic(None, "500 items, 500 distinct products"),
}


def magic_for(order_id: str) -> DiSellerMagic | None:
    """The route-level magic for *order_id*, if any (data magic is just stored data)."""
    magic = MAGIC_VALUES.get(order_id)
    return magic if magic is not None and magic.fault is not None else None
