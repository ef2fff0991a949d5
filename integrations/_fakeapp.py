"""The pieces every platform fake's WSGI app needs, whatever the platform's error envelope.

REC+, DiSeller and Divendo fakes each answer in their own platform's words, but they read
credentials, refuse non-loopback admin callers, write JSON replies and arm faults from
``POST /_fake/faults`` the same way; one copy here keeps the three fakes alike where the
platforms do not differ. Errors from :func:`arm_fault` carry the field (``param``) so each
fake can wrap them in its own envelope.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping
from typing import Any, Protocol

from werkzeug.wrappers import Response

from ..money import dumps
from ..sandbox.faults import Fault, parse_fault_status

__all__ = [
    "JSON",
    "ArmRefused",
    "FaultTarget",
    "arm_fault",
    "basic_credentials",
    "bearer_token",
    "is_loopback",
    "json_response",
]

JSON = "application/json; charset=utf-8"


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """*body* as JSON (``money.dumps``: Decimals exact, floats refused) with extra *headers*."""
    response = Response(dumps(body), status=status, content_type=JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def is_loopback(address: str | None) -> bool:
    """Whether the admin caller is on this machine (no address: a direct WSGI call in tests)."""
    if address is None:
        return True
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer …`` header; ``None`` for any other or none."""
    scheme, _, value = authorization.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """``(user, password)`` of an ``Authorization: Basic …`` header; ``None`` if not readable."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


class ArmRefused(ValueError):
    """A ``POST /_fake/faults`` body the fake refuses; ``param`` names the field at fault."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class FaultTarget(Protocol):
    """A fake's state, as far as arming faults goes."""

    def arm_fault(self, route: str, fault: Fault, times: int = 1) -> None: ...


def arm_fault(state: FaultTarget, body: Mapping[str, Any], routes: tuple[str, ...]) -> Response:
    """Arm the fault *body* names (``route``, ``status``, ``times``) and answer 201 with it."""
    route = body.get("route")
    if route not in routes:
        raise ArmRefused(f"route must be one of {', '.join(routes)}.", "route")
    fault = parse_fault_status(body.get("status"))
    if fault is None:
        raise ArmRefused(
            "status must be an HTTP error status, slow, malformed or wrong-shape.", "status"
        )
    times = body.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ArmRefused("times must be a whole number of 1 or more.", "times")
    state.arm_fault(str(route), fault, times)
    return json_response({"armed": {"route": route, "times": times, **fault.to_json()}}, 201)
