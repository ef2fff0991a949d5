"""The admin API under ``/_sandbox/``: look inside the sandbox and steer it.

No authentication (it is a loopback tool), but the app answers these only to
loopback addresses, so a sandbox bound to ``0.0.0.0`` by mistake does not hand
its controls to the network. Each handler is a thin wrapper around a
:class:`~.state.SandboxState` method, which in-process tests call directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Request, Response

from .config import RUNTIME_KNOBS
from .errors import Invalid, SandboxError
from .responses import json_response
from .state import SandboxState

__all__ = [
    "ADMIN_PREFIX",
    "ADMIN_RULES",
    "MAX_SECONDS",
    "AdminHandler",
    "clock",
    "config",
    "faults",
    "quote_action",
    "reset",
    "revoke_tokens",
    "state_listing",
]

AdminHandler = Callable[..., Response]

#: The largest number of seconds the admin API accepts for any knob (a year).
MAX_SECONDS = 365 * 24 * 60 * 60

#: Admin URL rules: (rule, methods, handler name). The prefix is added by the app.
ADMIN_PREFIX = "/_sandbox"


def _object(body: Any) -> Mapping[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, Mapping):
        raise SandboxError("The request body must be a JSON object.", status=400)
    return body


def state_listing(state: SandboxState, request: Request, body: Any) -> Response:
    """``GET /_sandbox/state``: tokens (counted), quotes, orders, refunds, settlements, log."""
    return json_response(state.snapshot())


def faults(state: SandboxState, request: Request, body: Any) -> Response:
    """``GET`` lists armed faults, ``POST`` arms one, ``DELETE`` disarms all."""
    if request.method == "GET":
        return json_response({"faults": state.snapshot()["faults"]})
    if request.method == "DELETE":
        return json_response({"cleared": state.clear_faults()})
    data = _object(body)
    fault = state.inject_fault(
        str(data.get("route", "")),
        data.get("status"),
        times=data.get("times", 1),
        after_processing=data.get("after_processing", False),
    )
    return json_response({"fault": {"route": data["route"], **fault.to_json()}}, 201)


def _seconds(value: Any, key: str, *, whole: bool) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise Invalid.one(key, f"The {key} field must be a number of seconds.")
    if not 0 <= value <= MAX_SECONDS:
        raise Invalid.one(key, f"The {key} field must be between 0 and {MAX_SECONDS}.")
    if whole:
        if value != int(value):
            raise Invalid.one(key, f"The {key} field must be a whole number of seconds.")
        return int(value)
    return float(value)


def config(state: SandboxState, request: Request, body: Any) -> Response:
    """``GET`` shows the config; ``POST`` changes ``latency``, ``token_lifetime``,
    ``slow_seconds`` or ``quote_lifetime`` (they apply to the next request)."""
    if request.method == "POST":
        data = _object(body)
        errors = {
            key: [f"{key} cannot be changed at run time; use one of {', '.join(RUNTIME_KNOBS)}."]
            for key in data
            if key not in RUNTIME_KNOBS
        }
        if errors:
            raise Invalid(errors)
        changes = {
            key: _seconds(value, key, whole=key.endswith("lifetime")) for key, value in data.items()
        }
        try:
            state.configure(**changes)
        except ValueError as exc:
            raise Invalid.one(next(iter(changes), "config"), str(exc)) from None
    return json_response({"config": state.config.public()})


def quote_action(
    state: SandboxState, request: Request, body: Any, *, quote_id: str, action: str
) -> Response:
    """``POST /_sandbox/quotes/<id>/complete|cancel|expire``: move a quote as DivideBuy would.

    ``complete`` plays a guarantor too, so it finishes a REFERRED quote.
    """
    if action == "complete":
        quote = state.complete_quote(quote_id, guarantor=True)
    elif action == "cancel":
        quote = state.cancel_quote(quote_id)
    else:
        quote = state.expire_quote(quote_id)
    return json_response({"quote": quote.listing()})


def revoke_tokens(state: SandboxState, request: Request, body: Any) -> Response:
    """``POST /_sandbox/tokens/revoke``: the next API call with any old token gets a 401."""
    return json_response({"revoked": state.revoke_tokens()})


def clock(state: SandboxState, request: Request, body: Any) -> Response:
    """``POST /_sandbox/clock {"advance": seconds}``: let time pass without sleeping."""
    data = _object(body)
    advance = _seconds(data.get("advance"), "advance", whole=False)
    offset = state.advance_clock(advance)
    return json_response({"clock_offset": Decimal(str(offset))})


def reset(state: SandboxState, request: Request, body: Any) -> Response:
    """``POST /_sandbox/reset``: forget everything, back to the starting config."""
    state.reset()
    return json_response({"reset": True})


#: (rule under ADMIN_PREFIX, methods, handler)
ADMIN_RULES: tuple[tuple[str, tuple[str, ...], AdminHandler], ...] = (
    ("/state", ("GET",), state_listing),
    ("/faults", ("GET", "POST", "DELETE"), faults),
    ("/config", ("GET", "POST"), config),
    ("/quotes/<quote_id>/<any(complete, cancel, expire):action>", ("POST",), quote_action),
    ("/tokens/revoke", ("POST",), revoke_tokens),
    ("/clock", ("POST",), clock),
    ("/reset", ("POST",), reset),
)
