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
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from werkzeug.wrappers import Request, Response

from ..money import dumps, loads
from ..sandbox.faults import MALFORMED, WRONG_SHAPE, Fault, parse_fault_status

__all__ = [
    "JSON",
    "ArmRefused",
    "BadRequest",
    "FaultTarget",
    "RetryMagic",
    "arm_fault",
    "basic_credentials",
    "bearer_token",
    "canned_reply",
    "chosen_fault",
    "is_loopback",
    "json_body",
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


class BadRequest(Exception):
    """Input a fake refuses with a 4xx; each fake words the reply in its platform's envelope."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def json_body(request: Request, *, form_field: str | None = None) -> Any:
    """The request's JSON (``None`` when empty); with *form_field*, a form post carries the
    JSON in that field (REC+'s ``packet``). Not JSON: :class:`BadRequest`."""
    data = request.get_data(cache=True)
    if not data.strip():
        return None
    if form_field is not None and request.mimetype == "application/x-www-form-urlencoded":
        packet = request.form.get(form_field)
        data = packet.encode() if packet else b""
    try:
        return loads(data)
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON.") from None


class RetryMagic(Protocol):
    """A magic id's entry that answers with a fault and, for a 429, its ``Retry-After``."""

    @property
    def fault(self) -> Fault | None: ...

    @property
    def retry_after(self) -> str | None: ...


def chosen_fault(
    magic: RetryMagic | None, take: Callable[[], Fault | None]
) -> tuple[Fault | None, str | None]:
    """``(fault, Retry-After)`` for a call: the magic id's, else the next armed one (*take*),
    whose 429 asks to retry after one second."""
    if magic is not None:
        return magic.fault, magic.retry_after
    fault = take()
    return fault, "1" if fault is not None and fault.status == 429 else None


def canned_reply(fault: Fault, malformed: bytes, wrong_shape: bytes) -> Response | None:
    """The 200 with a broken body a ``malformed`` or ``wrong-shape`` fault answers; else None."""
    if fault.kind == MALFORMED:
        return Response(malformed, 200, content_type=JSON)
    if fault.kind == WRONG_SHAPE:
        return Response(wrong_shape, 200, content_type=JSON)
    return None


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
