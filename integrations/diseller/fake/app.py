"""``DiSellerFakeApp``: the WSGI app that plays DiSeller's API (``/v1``) and its admin.

Around each API call, in this order: the Bearer key (401 ``authentication_error``
"No valid API key provided."); the key's rolling hour on the fake clock (429
``rate_limit_error`` with ``Retry-After`` to the window's end; every reply carries
``X-RateLimit-Limit``/``-Remaining``/``-Reset``, names assumed); a magic order id
(:mod:`.magic`), else the next fault armed for the route; then the handler.
Errors are DiSeller's envelope ``{"error": {"type", "message", "param", "code"}}``.

Admin endpoints live under ``/_fake/`` (loopback only, never limited, never
faulted): state, reset, faults, clock, ``PUT /_fake/orders/{id}``,
``POST /_fake/orders/{id}/complete|cancel|refunds``, ``GET /_fake/events``.
Other parts add their own admin routes with :meth:`DiSellerFakeApp.add_routes`;
the signed webhook sender's module (``fake/webhooks.py``), when present and
defining ``add_webhook_routes(app, state)``, is installed that way at start-up.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ....sandbox.faults import SLOW
from ..._fakeapp import (
    ArmRefused,
    BadRequest,
    arm_fault,
    bearer_token,
    canned_reply,
    chosen_fault,
    is_loopback,
    json_body,
)
from ..._fakeapp import json_response as _json
from .magic import magic_for
from .state import DiSellerFakeState, FakeError

__all__ = ["ADMIN_PREFIX", "API_PREFIX", "ROUTES", "AdminHandler", "DiSellerFakeApp"]

log = logging.getLogger("dividebuy_checkout.integrations.diseller.fake")

API_PREFIX = "/v1"
ADMIN_PREFIX = "/_fake"
#: Route names faults can be armed for (``WEBHOOK_SEND`` is the webhook sender's).
ROUTES = (
    "ORDERS_LIST",
    "ORDER_GET",
    "ORDER_UPDATE",
    "ORDER_CREATE",
    "CUSTOMERS_LIST",
    "CUSTOMER_GET",
    "CUSTOMER_CREATE",
    "PRODUCTS_LIST",
    "PRODUCT_GET",
    "PRODUCT_CREATE",
    "PRODUCT_UPDATE",
    "PRODUCT_DELETE",
    "WEBHOOK_SEND",
)
MAX_BODY = 4 * 1024 * 1024
MAX_LIMIT = 100
DEFAULT_LIMIT = 10
MALFORMED_BODY = b'{"id": "ord_malformed", "customer_id": "cust_gb_1", "items": [{"prod'
WRONG_SHAPE_BODY = b'["not", "an", "order"]'
_TYPES = {401: "authentication_error", 429: "rate_limit_error"}
_MESSAGES = {
    401: "No valid API key provided.",
    404: "The requested resource doesn't exist.",
    429: "Too many requests hit the API too quickly.",
}

#: ``(request, endpoint, url args) -> response`` for routes added with ``add_routes``
AdminHandler = Callable[[Request, str, Mapping[str, Any]], Response]


class _Request(Request):
    max_content_length = MAX_BODY


def _error(
    status: int,
    message: str | None = None,
    *,
    type: str | None = None,
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    error = FakeError(
        status,
        message or _MESSAGES.get(status, "Something went wrong on DiSeller's end."),
        type=type or _TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error"),
        param=param,
        code=code,
    )
    return _json(error.envelope(), status, headers)


def _body(request: Request) -> Any:
    try:
        return json_body(request)
    except BadRequest:
        raise FakeError(
            400, "Invalid JSON in the request body.", code="parameter_invalid"
        ) from None


def _object(request: Request) -> dict[str, Any]:
    body = _body(request)
    if not isinstance(body, dict):
        raise FakeError(400, "Send a JSON object.", code="parameter_invalid")
    return body


def _bearer(request: Request) -> str | None:
    return bearer_token(request.headers.get("Authorization", ""))


def _page(request: Request, items: list[dict[str, Any]], what: str) -> Response:
    """Stripe-style list: ``limit`` 1-100 (default 10), ``starting_after=<id>``."""
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise FakeError(
            400,
            f"Invalid limit: must be between 1 and {MAX_LIMIT}.",
            param="limit",
            code="parameter_invalid_integer",
        )
    start = 0
    after = request.args.get("starting_after")
    if after:
        ids = [item["id"] for item in items]
        if after not in ids:
            raise FakeError(
                400, f"No such {what}: '{after}'", param="starting_after", code="resource_missing"
            )
        start = ids.index(after) + 1
    page = items[start : start + limit]
    return _json({"data": page, "has_more": start + limit < len(items), "total": len(items)})


def _found(item: dict[str, Any] | None, what: str, item_id: str) -> Response:
    """*item* as JSON, or DiSeller's 404 ``resource_missing`` naming the *what* not found."""
    if item is None:
        raise FakeError(404, f"No such {what}: '{item_id}'", code="resource_missing")
    return _json(item)


class DiSellerFakeApp:
    """The fake DiSeller API as a WSGI application; ``state`` is what tests steer."""

    def __init__(
        self,
        state: DiSellerFakeState | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state = state or DiSellerFakeState()
        self._sleep = sleep
        self._extra: dict[str, AdminHandler] = {}
        api = API_PREFIX
        admin = ADMIN_PREFIX
        self.url_map = Map(
            [
                Rule(f"{api}/orders", methods=["GET"], endpoint="ORDERS_LIST"),
                Rule(f"{api}/orders", methods=["POST"], endpoint="ORDER_CREATE"),
                Rule(f"{api}/orders/<order_id>", methods=["GET"], endpoint="ORDER_GET"),
                Rule(f"{api}/orders/<order_id>", methods=["PUT"], endpoint="ORDER_UPDATE"),
                Rule(f"{api}/customers", methods=["GET"], endpoint="CUSTOMERS_LIST"),
                Rule(f"{api}/customers", methods=["POST"], endpoint="CUSTOMER_CREATE"),
                Rule(f"{api}/customers/<item_id>", methods=["GET"], endpoint="CUSTOMER_GET"),
                Rule(f"{api}/products", methods=["GET"], endpoint="PRODUCTS_LIST"),
                Rule(f"{api}/products", methods=["POST"], endpoint="PRODUCT_CREATE"),
                Rule(f"{api}/products/<item_id>", methods=["GET"], endpoint="PRODUCT_GET"),
                Rule(f"{api}/products/<item_id>", methods=["PUT"], endpoint="PRODUCT_UPDATE"),
                Rule(f"{api}/products/<item_id>", methods=["DELETE"], endpoint="PRODUCT_DELETE"),
                Rule(f"{admin}/state", methods=["GET"], endpoint="admin_state"),
                Rule(f"{admin}/reset", methods=["POST"], endpoint="admin_reset"),
                Rule(f"{admin}/faults", methods=["POST"], endpoint="admin_faults"),
                Rule(f"{admin}/faults", methods=["DELETE"], endpoint="admin_clear"),
                Rule(f"{admin}/clock", methods=["POST"], endpoint="admin_clock"),
                Rule(f"{admin}/events", methods=["GET"], endpoint="admin_events"),
                Rule(f"{admin}/orders/<order_id>", methods=["PUT"], endpoint="admin_put"),
                Rule(
                    f"{admin}/orders/<order_id>/complete",
                    methods=["POST"],
                    endpoint="admin_complete",
                ),
                Rule(
                    f"{admin}/orders/<order_id>/cancel", methods=["POST"], endpoint="admin_cancel"
                ),
                Rule(
                    f"{admin}/orders/<order_id>/refunds", methods=["POST"], endpoint="admin_refund"
                ),
            ],
            strict_slashes=False,
        )
        self._install_webhooks()

    def add_routes(self, rules: Iterable[Rule], handler: AdminHandler) -> None:
        """Serve *rules* (admin routes under ``/_fake/``, loopback only) with *handler*."""
        for rule in rules:
            self.url_map.add(rule)
            self._extra[str(rule.endpoint)] = handler

    def _install_webhooks(self) -> None:
        """Install the signed webhook sender's routes when its module provides them."""
        name = f"{__package__}.webhooks"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            return
        install = getattr(module, "add_webhook_routes", None)
        if callable(install):
            install(self, self.state)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = _Request(environ)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            if endpoint in self._extra or endpoint.startswith("admin_"):
                response = self._admin(request, endpoint, args)
            else:
                response = self._api(request, endpoint, args)
                self.state.record_request(request.method, request.path, response.status_code)
        except NotFound:
            response = _error(404, "Unrecognized request URL.")
        except MethodNotAllowed:
            response = _error(405, "Method not allowed.")
        except HTTPException as exc:
            response = _error(exc.code or 400, exc.description or "Bad request.")
        except Exception:
            log.exception("DiSeller fake bug while handling %s %s", request.method, request.path)
            response = _error(500, "Fake internal error (a bug).")
        return response(environ, start_response)

    # -- the DiSeller API --------------------------------------------------------------------

    def _api(self, request: Request, route: str, args: Mapping[str, Any]) -> Response:
        state = self.state
        state.count_call(route)
        token = _bearer(request)
        if token is None or state.key(token) is None:
            return _error(401)
        window = state.take_request(token)
        headers = window.headers()
        if not window.allowed:
            return _error(429, code="rate_limit", headers=headers)
        response = self._reply(request, route, args)
        for name, value in headers.items():
            response.headers[name] = value
        return response

    def _reply(self, request: Request, route: str, args: Mapping[str, Any]) -> Response:
        state = self.state
        magic = magic_for(str(args.get("order_id", "")))
        fault, retry_after = chosen_fault(magic, lambda: state.take_fault(route))
        if fault is not None:
            canned = canned_reply(fault, MALFORMED_BODY, WRONG_SHAPE_BODY)
            if fault.kind == SLOW:
                self._sleep(state.config.slow_seconds)
            elif canned is not None:
                return canned
            else:
                status = fault.status or 500
                return _error(status, headers={"Retry-After": retry_after} if retry_after else None)
        try:
            return self._handle(request, route, args)
        except FakeError as exc:
            return _json(exc.envelope(), exc.status)

    def _handle(self, request: Request, route: str, args: Mapping[str, Any]) -> Response:
        state = self.state
        if route == "ORDERS_LIST":
            return _page(request, state.list_orders(), "order")
        if route == "ORDER_GET":
            return _found(state.get_order(args["order_id"]), "order", args["order_id"])
        if route == "ORDER_UPDATE":
            return _json(state.update_order(args["order_id"], _object(request)))
        if route == "ORDER_CREATE":
            return _json(state.create_order(_object(request)))
        if route == "CUSTOMERS_LIST":
            return _page(request, state.list_customers(), "customer")
        if route == "CUSTOMER_GET":
            return _found(state.get_customer(args["item_id"]), "customer", args["item_id"])
        if route == "CUSTOMER_CREATE":
            return _json(state.create_customer(_object(request)))
        if route == "PRODUCTS_LIST":
            return _page(request, state.list_products(), "product")
        if route == "PRODUCT_GET":
            return _found(state.get_product(args["item_id"]), "product", args["item_id"])
        if route == "PRODUCT_CREATE":
            return _json(state.create_product(_object(request)))
        if route == "PRODUCT_UPDATE":
            return _json(state.update_product(args["item_id"], _object(request)))
        return _json(state.delete_product(args["item_id"]))

    # -- admin -------------------------------------------------------------------------------

    def _admin(self, request: Request, endpoint: str, args: Mapping[str, Any]) -> Response:
        if not is_loopback(request.remote_addr):
            return _error(403, "The fake's admin API answers loopback only.")
        extra = self._extra.get(endpoint)
        if extra is not None:
            return extra(request, endpoint, args)
        state = self.state
        try:
            if endpoint == "admin_state":
                return _json(state.snapshot())
            if endpoint == "admin_events":
                return _json({"data": list(state.events)})
            if endpoint == "admin_reset":
                state.reset()
                return _json({"reset": True})
            if endpoint == "admin_faults":
                return self._arm(_object(request))
            if endpoint == "admin_clear":
                return _json({"cleared": state.clear_faults()})
            if endpoint == "admin_clock":
                return self._clock(_body(request))
            order_id = str(args.get("order_id", ""))
            if endpoint == "admin_put":
                body = _object(request)
                order, created = state.put_order({**body, "id": body.get("id", order_id)})
                return _json(order, 201 if created else 200)
            if endpoint == "admin_complete":
                return _json(state.complete(order_id))
            if endpoint == "admin_cancel":
                return _json(state.cancel(order_id))
            body = _object(request)
            return _json(state.refund(order_id, body.get("amount")), 201)
        except FakeError as exc:
            return _json(exc.envelope(), exc.status)

    def _clock(self, body: Any) -> Response:
        seconds = body.get("advance") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            try:
                seconds = float(str(seconds))
            except ValueError:
                seconds = None
        if seconds is None or not seconds >= 0:
            raise FakeError(400, 'Send {"advance": seconds} (0 or more).', param="advance")
        offset = self.state.advance_clock(float(seconds))
        return _json({"offset": f"{offset:.3f}", "now": int(self.state.now())})

    def _arm(self, body: Mapping[str, Any]) -> Response:
        try:
            return arm_fault(self.state, body, ROUTES)
        except ArmRefused as exc:
            raise FakeError(400, exc.message, param=exc.param) from None
