"""Magic order ids: ``GET``/``POST /orders/{id}`` with one of these misbehaves on purpose.

One table, :data:`MAGIC_VALUES`, from which ``docs/platforms.md`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ....sandbox.faults import MALFORMED, SLOW, Fault

__all__ = ["MAGIC_VALUES", "SUPPRESSED_ERROR", "RecPlusMagic", "magic_for"]

#: Kind of the 99200 magic: a 200 whose body is REC+'s error envelope.
SUPPRESSED_ERROR = "suppressed-error"


@dataclass(frozen=True)
class RecPlusMagic:
    fault: Fault
    description: str
    retry_after: str | None = None


def _status(code: int) -> Fault:
    return Fault(kind="status", status=code, source="magic")


MAGIC_VALUES: dict[str, RecPlusMagic] = {
    "99429": RecPlusMagic(_status(429), "429 with Retry-After: 1", "1"),
    "99430": RecPlusMagic(_status(429), "429 with Retry-After: 120 (longer than we wait)", "120"),
    "99500": RecPlusMagic(_status(500), "500 Server Error"),
    "99503": RecPlusMagic(_status(503), "503 Service Unavailable"),
    "99504": RecPlusMagic(Fault(kind=SLOW, source="magic"), "slow: waits slow_seconds, then 404"),
    "99422": RecPlusMagic(Fault(kind=MALFORMED, source="magic"), "200 with cut-off JSON"),
    "99401": RecPlusMagic(_status(401), "401 Invalid API credentials"),
    "99403": RecPlusMagic(_status(403), "403 (the account cannot read orders)"),
    "99200": RecPlusMagic(
        Fault(kind=SUPPRESSED_ERROR, status=404, source="magic"),
        "200 with an errors body (as with suppress_response_codes=true)",
    ),
}


def magic_for(order_id: str) -> RecPlusMagic | None:
    return MAGIC_VALUES.get(order_id)
