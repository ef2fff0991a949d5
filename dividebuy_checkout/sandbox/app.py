"""``SandboxApp``: the WSGI callable that plays DivideBuy.

A plain Werkzeug app (not Flask, so the sandbox stays independent of the shop
it is used to test). The URL map is built from the Route objects of
``dividebuy_checkout/routes.py``, so a corrected path there is a corrected path
here. Around each API handler the app applies, in this order:

1. ``latency`` (seconds added to every API reply);
2. the bearer token check (every route but the token route);
3. a magic-value fault from ``magic.py``, else the next fault armed with the
   admin injector; a fault with ``after_processing`` lets the handler act first;
4. the handler; a :class:`~.errors.SandboxError` becomes its JSON error reply.

Every reply carries ``X-Request-Id``; API and hosted-page requests are written
to the state's request log. Bad input is always a 4xx JSON error: only a bug in
the sandbox (or the deliberate 500 fault) gives a 500.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .. import routes
from ..money import loads
from . import admin, api, hosted, magic
from .config import SandboxConfig
from .errors import SandboxError
from .faults import SLOW, Fault
from .responses import error_response, fault_response, json_response, status_body
from .state import ROUTE_NAMES, SandboxState

__all__ = ["MAX_BODY", "SandboxApp", "create_app", "werkzeug_rule"]

log = logging.getLogger("dividebuy_checkout.sandbox")

#: Largest request body read (a quote with many line items is a few kilobytes).
MAX_BODY = 1024 * 1024


class _Request(Request):
    max_content_length = MAX_BODY


def werkzeug_rule(path: str) -> str:
    """``/quotes/{quote_id}`` → ``/quotes/<path:quote_id>`` (``path`` also takes ``/``,
    which an order id sent percent-encoded arrives as)."""
    return re.sub(r"\{(\w+)\}", r"<path:\1>", path)


def _build_map() -> Map:
    rules = [
        Rule(
            werkzeug_rule(route.path),
            methods=[route.method],
            endpoint=("api", name),
        )
        for name, route in ((n, getattr(routes, n)) for n in ROUTE_NAMES)
        if name in api.HANDLERS
    ]
    rules += [
        Rule("/checkout/<quote_id>", methods=["GET"], endpoint=("page", "show")),
        Rule("/checkout/<quote_id>/complete", methods=["POST"], endpoint=("page", "complete")),
        Rule("/checkout/<quote_id>/cancel", methods=["POST"], endpoint=("page", "cancel")),
    ]
    rules += [
        Rule(admin.ADMIN_PREFIX + rule, methods=list(methods), endpoint=("admin", handler.__name__))
        for rule, methods, handler in admin.ADMIN_RULES
    ]
    return Map(rules, strict_slashes=False)


_PAGES: dict[str, Callable[..., Response]] = {
    "show": hosted.show,
    "complete": hosted.complete,
    "cancel": hosted.cancel,
}
_ADMIN: dict[str, Callable[..., Response]] = {
    handler.__name__: handler for _, _, handler in admin.ADMIN_RULES
}


def _read_body(request: Request) -> Any:
    """The decoded body: ``None`` when empty, a dict for a form, else JSON with ``Decimal``s."""
    if request.method in ("GET", "HEAD"):
        return None
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.to_dict()
    data = request.get_data(cache=True)
    if not data.strip():
        return None
    try:
        return loads(data)
    except (ValueError, RecursionError):
        raise SandboxError("The request body is not valid JSON.", status=400) from None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _is_loopback(address: str | None) -> bool:
    if address is None:  # no network peer: called in-process
        return True
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


class SandboxApp:
    """The sandbox as a WSGI application.

    ``state`` is the :class:`~.state.SandboxState` behind it: tests may call its
    operations directly (``app.state.complete_quote(id)``) instead of the admin API.
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        state: SandboxState | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state = state or SandboxState(config)
        self.url_map = _build_map()
        self._sleep = sleep

    @property
    def config(self) -> SandboxConfig:
        return self.state.config

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = _Request(environ)
        request_id = str(uuid.uuid4())
        fault: Fault | None = None
        logged = True
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            kind, name = endpoint
            if kind == "api":
                response, fault = self._api(request, name, args)
            elif kind == "page":
                response = _PAGES[name](self.state, request, **args)
            else:
                logged = False
                response = self._admin(request, name, args)
        except NotFound:
            response = json_response(status_body(404, "Not found."), 404)
        except MethodNotAllowed as exc:
            response = json_response(status_body(405, "Method not allowed."), 405)
            response.headers["Allow"] = ", ".join(exc.valid_methods or [])
        except HTTPException as exc:  # e.g. a body over MAX_BODY
            code = exc.code or 400
            response = json_response(status_body(code, exc.description), code)
        except Exception:
            # Only a bug gets here; say so plainly, never with the request's data.
            log.exception("Sandbox bug while handling %s %s", request.method, request.path)
            response = json_response(status_body(500, "Sandbox internal error (a bug)."), 500)
        response.headers["X-Request-Id"] = request_id
        if logged:
            self.state.record_request(
                request.method, request.path, response.status_code, request_id, fault
            )
        return response(environ, start_response)

    # -- the DivideBuy API -------------------------------------------------------------------

    def _api(
        self, request: Request, name: str, args: Mapping[str, Any]
    ) -> tuple[Response, Fault | None]:
        state = self.state
        state.count_call(name)
        config = state.config
        if config.latency:
            self._sleep(config.latency)
        if name != "TOKEN" and not state.token_valid(_bearer(request)):
            return json_response(status_body(401, "Unauthenticated."), 401), None
        try:
            body = _read_body(request)
        except SandboxError as exc:
            return error_response(exc), None
        fault = None
        if name != "TOKEN":
            fault = magic.fault_for(request.args.get("amount"), body)
        if fault is None:
            fault = state.take_fault(name)
        if fault is not None and not fault.after_processing:
            if fault.kind != SLOW:
                return fault_response(fault), fault
            self._sleep(config.slow_seconds)
        try:
            response = api.HANDLERS[name](state, request, body, **args)
        except SandboxError as exc:
            response = error_response(exc)
        if fault is not None and fault.after_processing:
            if fault.kind == SLOW:
                self._sleep(state.config.slow_seconds)
            else:
                response = fault_response(fault)
        return response, fault

    # -- admin -------------------------------------------------------------------------------

    def _admin(self, request: Request, name: str, args: Mapping[str, Any]) -> Response:
        if not _is_loopback(request.remote_addr):
            return json_response(status_body(403, "The sandbox admin API is loopback only."), 403)
        try:
            return _ADMIN[name](self.state, request, _read_body(request), **args)
        except SandboxError as exc:
            return error_response(exc)


def create_app(config: SandboxConfig | None = None) -> SandboxApp:
    """Build a sandbox WSGI app (serve it with any WSGI server, or :class:`SandboxServer`)."""
    return SandboxApp(config)
