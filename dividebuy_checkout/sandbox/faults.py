"""What a fault is, and the queue of faults injected through the admin API.

A fault is a deliberate misbehaviour: an HTTP error status, a slow reply or a
malformed body. Magic values (``magic.py``) and the admin fault injector
(``POST /_sandbox/faults``) both produce the same :class:`Fault`, so the app
applies them in one place.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FAULT_STATUSES",
    "MALFORMED",
    "SLOW",
    "WRONG_SHAPE",
    "Fault",
    "FaultQueue",
    "parse_fault_status",
]

SLOW = "slow"
MALFORMED = "malformed"
WRONG_SHAPE = "wrong-shape"
#: Statuses a fault may carry (the injector refuses others: a 2xx "fault" is no fault).
FAULT_STATUSES = frozenset(range(400, 600))


@dataclass(frozen=True)
class Fault:
    """One misbehaviour.

    ``kind`` is ``"status"`` (reply ``status`` with an error body), ``"slow"``
    (sleep ``slow_seconds``, then answer normally), ``"malformed"`` (a 200 whose
    body is cut-off JSON) or ``"wrong-shape"`` (a 200 with valid JSON of the wrong
    shape). ``after_processing`` means the sandbox does the work first (records
    the refund, creates the quote…) and misbehaves afterwards, so the client
    cannot know the outcome.
    """

    kind: str
    status: int | None = None
    after_processing: bool = False
    source: str = "injected"

    @property
    def label(self) -> str:
        what = str(self.status) if self.kind == "status" else self.kind
        return f"{what}{' after processing' if self.after_processing else ''} ({self.source})"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "after_processing": self.after_processing,
            "source": self.source,
        }


def parse_fault_status(value: object) -> Fault | None:
    """Read the injector's ``status`` field: an HTTP status, ``"slow"``, ``"malformed"``
    or ``"wrong-shape"``. ``None`` when it is none of those."""
    if isinstance(value, str) and value in (SLOW, MALFORMED, WRONG_SHAPE):
        return Fault(kind=value)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value in FAULT_STATUSES:
        return Fault(kind="status", status=value)
    return None


@dataclass
class _Armed:
    fault: Fault
    remaining: int


class FaultQueue:
    """Faults waiting for a route, consumed first in, first out.

    Not locked by itself: :class:`~dividebuy_checkout.sandbox.state.SandboxState`
    calls it under its own lock.
    """

    def __init__(self) -> None:
        self._armed: dict[str, deque[_Armed]] = {}

    def add(self, route: str, fault: Fault, times: int) -> None:
        self._armed.setdefault(route, deque()).append(_Armed(fault, times))

    def take(self, route: str) -> Fault | None:
        queue = self._armed.get(route)
        if not queue:
            return None
        armed = queue[0]
        armed.remaining -= 1
        if armed.remaining <= 0:
            queue.popleft()
        return armed.fault

    def clear(self) -> int:
        count = sum(len(queue) for queue in self._armed.values())
        self._armed.clear()
        return count

    def listing(self) -> list[dict[str, Any]]:
        return [
            {"route": route, "times": armed.remaining, **armed.fault.to_json()}
            for route, queue in self._armed.items()
            for armed in queue
        ]
