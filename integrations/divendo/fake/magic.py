"""Magic ids: an order (or contact) id from :data:`MAGIC_VALUES` misbehaves on purpose.

One table, from which ``docs/platforms.md`` can list them (ADAPTERS §4.5).
"""

from __future__ import annotations

from dataclasses import dataclass

from ....sandbox.faults import MALFORMED, SLOW, Fault

__all__ = ["EMPTY_204", "MAGIC_VALUES", "DivendoMagic", "magic_for"]

#: Kind of the ``empty-204`` magic: 204 with ``Content-Type: application/json`` and no body,
#: as Divendo's own DELETE example answers (seed 001:281-282).
EMPTY_204 = "empty-204"


@dataclass(frozen=True)
class DivendoMagic:
    fault: Fault
    description: str


def _status(code: int) -> Fault:
    return Fault(kind="status", status=code, source="magic")


MAGIC_VALUES: dict[str, DivendoMagic] = {
    "fault-429": DivendoMagic(_status(429), "429: too many simultaneous connections"),
    "fault-500": DivendoMagic(_status(500), "500 Internal Server Error"),
    "fault-503": DivendoMagic(_status(503), "503 Service Unavailable"),
    "fault-401": DivendoMagic(_status(401), "401 for every token (the token is refused)"),
    "malformed": DivendoMagic(Fault(kind=MALFORMED, source="magic"), "200 with cut-off JSON"),
    "slow": DivendoMagic(
        Fault(kind=SLOW, source="magic"), "holds its connection slow_seconds, then 404"
    ),
    EMPTY_204: DivendoMagic(
        Fault(kind=EMPTY_204, source="magic"), "204, Content-Type: application/json, no body"
    ),
}


def magic_for(identifier: str) -> DivendoMagic | None:
    return MAGIC_VALUES.get(identifier)
