"""What every platform fake's state keeps the same way: armed faults, a fake clock, call counts.

The REC+, DiSeller and Divendo fakes hold different data, but tests steer their faults
(``arm_fault``/``take_fault``/``clear_faults``) alike, and the REC+ and DiSeller fakes also
share the config-replace, clock-offset, per-route call counter and request log. One copy
here keeps those admin behaviours identical across fakes; each state class still owns its
data, its lock and its ``reset``.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from importlib import resources
from typing import Any, Generic, TypeVar

from ..money import loads
from ..sandbox.faults import Fault, FaultQueue

__all__ = ["FakeFaults", "FakeState", "platform_fixture", "platform_fixture_object"]

ConfigT = TypeVar("ConfigT")


def platform_fixture(platform: str, name: str) -> Any:
    """A fixture shipped in the package (``<platform>/fixtures/<name>``), decoded with
    Decimals: package data, so the fakes in the wheel serve the same seed as the tree."""
    package = f"dividebuy_checkout.integrations.{platform}"
    return loads(resources.files(package).joinpath("fixtures", name).read_bytes())


def platform_fixture_object(platform: str, name: str) -> dict[str, Any]:
    """:func:`platform_fixture` for a fixture that is one JSON object (an order, a contact)."""
    body = platform_fixture(platform, name)
    if not isinstance(body, dict):  # pragma: no cover - our own files
        raise ValueError(f"fixture {name} is not a JSON object")
    return body


class FakeFaults:
    """Faults armed per route, taken one at a time; needs ``_lock`` and ``_faults``."""

    _lock: AbstractContextManager[Any]
    _faults: FaultQueue

    def arm_fault(self, route: str, fault: Fault, times: int = 1) -> None:
        with self._lock:
            self._faults.add(route, fault, times)

    def take_fault(self, route: str) -> Fault | None:
        with self._lock:
            return self._faults.take(route)

    def clear_faults(self) -> int:
        with self._lock:
            return self._faults.clear()


class FakeState(FakeFaults, Generic[ConfigT]):
    """A fake's replaceable config, its clock (given clock + admin offset), calls and log.

    A subclass sets ``_lock``, ``_clock``, and in its reset ``_config``, ``_offset``,
    ``_faults``, ``_calls`` and ``_requests``.
    """

    _config: ConfigT
    _clock: Callable[[], float]
    _offset: float
    _calls: Counter[str]
    _requests: deque[dict[str, Any]]

    @property
    def config(self) -> ConfigT:
        return self._config

    def configure(self, **changes: Any) -> ConfigT:
        with self._lock:
            self._config = replace(self._config, **changes)  # type: ignore[type-var]  # a dataclass
            return self._config

    def now(self) -> float:
        """Seconds since the epoch on the fake's clock (the given clock + the admin offset)."""
        return self._clock() + self._offset

    def advance_clock(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("The fake's clock only moves forward.")
        with self._lock:
            self._offset += seconds
            return self._offset

    def count_call(self, route: str) -> None:
        with self._lock:
            self._calls[route] += 1

    def calls(self, route: str) -> int:
        """How many API requests *route* (``ORDER_GET``…) received since the last reset."""
        with self._lock:
            return self._calls[route]

    def record_request(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._requests.append(
                {"at": f"{self.now():.3f}", "method": method, "path": path, "status": status}
            )
