"""``RecPlusFakeApp``: the WSGI app that plays a REC+ site's API (``/api/v1``) and its admin.

Around each API call, in this order: Basic auth (401 unknown credentials, 403 a
public key or an account without the ``orders`` scope); a magic order id
(:mod:`.magic`), else the next fault armed for the route; then the handler.
``suppress_response_codes=true`` turns every status into 200 with the body
unchanged, as REC+ documents. Admin endpoints live under ``/_fake/`` (loopback
only, never slowed, never faulted). Bad input is always a 4xx JSON error.
"""

from __future__ import annotations

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
    arm_fault,
    basic_credentials,
    canned_reply,
    chosen_fault,
    is_loopback,
    json_body,
)
from ..._fakeapp import BadRequest as _BadRequest
from ..._fakeapp import json_response as _json
from .magic import SUPPRESSED_ERROR, magic_for
from .page import admin_page
from .state import UPDATABLE_FIELDS, RecPlusFakeState
from .webhooks import DeliveryMode, WebhookSubscription

__all__ = ["ADMIN_PREFIX", "API_PREFIX", "ROUTES", "RecPlusFakeApp"]

log = logging.getLogger("dividebuy_checkout.integrations.recplus.fake")

API_PREFIX = "/api/v1"
ADMIN_PREFIX = "/_fake"
#: Route names faults can be armed for.
ROUTES = ("ORDERS_LIST", "ORDER_GET", "ORDER_UPDATE")
MAX_BODY = 8 * 1024 * 1024
MAX_LIMIT = 1000
DEFAULT_LIMIT = 25
MALFORMED_BODY = b'{"href": "\\/orders\\/1.json", "id": 1, "lines": [{"id": 19'
WRONG_SHAPE_BODY = b'["not", "an", "order"]'
_MESSAGES = {
    400: "Missing requirements",
    401: "Invalid API credentials",
    403: "Your API account does not have access to this resource",
    404: "Order not found",
    405: "Method not allowed",
    413: "Request too large",
    429: "Too many requests",
    500: "Server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class _Request(Request):
    max_content_length = MAX_BODY


def _errors(status: int, message: str | None = None) -> dict[str, Any]:
    return {"errors": [{"status": status, "message": message or _MESSAGES.get(status, "Error")}]}


def _body(request: Request) -> Any:
    return json_body(request, form_field="packet")  # REC+: "send the JSON in a packet param"


def _basic(request: Request) -> tuple[str | None, str | None]:
    return basic_credentials(request.headers.get("Authorization", "")) or (None, None)


def _basic_view(order: dict[str, Any]) -> dict[str, Any]:
    """A list entry without ``fields=*`` (REC+ "basic data"; the set is assumed)."""
    return {k: order.get(k) for k in ("href", "id", "invoice_id", "status", "start_date")}


class RecPlusFakeApp:
    """The fake REC+ site as a WSGI application; ``state`` is what tests steer."""

    def __init__(
        self,
        state: RecPlusFakeState | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state = state or RecPlusFakeState()
        self._sleep = sleep
        self.url_map = Map(
            [
                Rule(f"{API_PREFIX}/orders", methods=["GET"], endpoint="ORDERS_LIST"),
                Rule(f"{API_PREFIX}/orders/<order_id>", methods=["GET"], endpoint="ORDER_GET"),
                Rule(
                    f"{API_PREFIX}/orders/<order_id>",
                    methods=["POST", "PATCH"],
                    endpoint="ORDER_UPDATE",
                ),
                Rule(f"{ADMIN_PREFIX}/", methods=["GET"], endpoint="admin_page"),
                Rule(f"{ADMIN_PREFIX}/ui/status", methods=["POST"], endpoint="admin_ui_status"),
                Rule(f"{ADMIN_PREFIX}/state", methods=["GET"], endpoint="admin_state"),
                Rule(f"{ADMIN_PREFIX}/reset", methods=["POST"], endpoint="admin_reset"),
                Rule(f"{ADMIN_PREFIX}/faults", methods=["POST"], endpoint="admin_faults"),
                Rule(f"{ADMIN_PREFIX}/faults", methods=["DELETE"], endpoint="admin_clear"),
                Rule(f"{ADMIN_PREFIX}/orders/<order_id>", methods=["PUT"], endpoint="admin_put"),
                Rule(
                    f"{ADMIN_PREFIX}/orders/<order_id>/status",
                    methods=["POST"],
                    endpoint="admin_status",
                ),
                Rule(f"{ADMIN_PREFIX}/writes", methods=["GET"], endpoint="admin_writes"),
                Rule(f"{ADMIN_PREFIX}/clock", methods=["POST"], endpoint="admin_clock"),
                Rule(f"{ADMIN_PREFIX}/webhooks", methods=["POST"], endpoint="admin_webhooks"),
                Rule(f"{ADMIN_PREFIX}/webhooks/mode", methods=["POST"], endpoint="admin_mode"),
                Rule(f"{ADMIN_PREFIX}/webhooks/flush", methods=["POST"], endpoint="admin_flush"),
            ],
            strict_slashes=False,
        )

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = _Request(environ)
        try:
            endpoint, args = self.url_map.bind_to_environ(environ).match()
            if endpoint.startswith("admin_"):
                response = self._admin(request, endpoint, args)
            else:
                response = self._api(request, endpoint, args)
                self.state.record_request(request.method, request.path, response.status_code)
        except NotFound:
            response = _json(_errors(404, "Not found"), 404)
        except MethodNotAllowed:
            response = _json(_errors(405), 405)
        except HTTPException as exc:
            code = exc.code or 400
            response = _json(_errors(code, _MESSAGES.get(code)), code)
        except Exception:
            log.exception("REC+ fake bug while handling %s %s", request.method, request.path)
            response = _json(_errors(500, "Fake internal error (a bug)."), 500)
        return response(environ, start_response)

    # -- the REC+ API ------------------------------------------------------------------------

    def _api(self, request: Request, route: str, args: Mapping[str, Any]) -> Response:
        state = self.state
        state.count_call(route)
        response = self._api_reply(request, route, args)
        if request.args.get("suppress_response_codes") == "true" and response.status_code != 200:
            response.status_code = 200
        return response

    def _api_reply(self, request: Request, route: str, args: Mapping[str, Any]) -> Response:
        state = self.state
        refused = state.authorise(*_basic(request), scope="orders")
        if refused is not None:
            headers = {"WWW-Authenticate": 'Basic realm="REC+ API"'} if refused == 401 else None
            return _json(_errors(refused), refused, headers)
        magic = magic_for(str(args.get("order_id", "")))
        fault, retry_after = chosen_fault(magic, lambda: state.take_fault(route))
        if fault is not None:
            canned = canned_reply(fault, MALFORMED_BODY, WRONG_SHAPE_BODY)
            if fault.kind == SLOW:
                self._sleep(state.config.slow_seconds)
            elif canned is not None:
                return canned
            elif fault.kind == SUPPRESSED_ERROR:
                return _json(_errors(fault.status or 404), 200)
            else:
                status = fault.status or 500
                headers = {"Retry-After": retry_after} if retry_after else None
                return _json(_errors(status), status, headers)
        try:
            if route == "ORDERS_LIST":
                return self._list(request)
            if route == "ORDER_GET":
                return self._get(request, args["order_id"])
            return self._update(request, args["order_id"])
        except _BadRequest as exc:
            return _json(_errors(exc.status, exc.message), exc.status)

    def _list(self, request: Request) -> Response:
        try:
            limit = int(request.args.get("limit", DEFAULT_LIMIT))
            offset = int(request.args.get("offset", 0))
        except ValueError:
            raise _BadRequest("limit and offset must be whole numbers.") from None
        limit = min(max(limit, 1), MAX_LIMIT)
        offset = max(offset, 0)
        orders = sorted(self.state.list_orders(), key=lambda o: int(o["id"]))
        page = orders[offset : offset + limit]
        full = request.args.get("fields") == "*"

        def href(at: int | None) -> str | None:
            return None if at is None else f"/orders.json?limit={limit}&offset={at}"

        last = max((len(orders) - 1) // limit * limit, 0)
        return _json(
            {
                "href": "/orders.json",
                "orders": page if full else [_basic_view(o) for o in page],
                "count": len(page),
                "total_count": len(orders),
                "paging": {
                    "offset": offset,
                    "limit": limit,
                    "first_page_href": href(0),
                    "last_page_href": href(last),
                    "next_page_href": href(
                        offset + limit if offset + limit < len(orders) else None
                    ),
                    "previous_page_href": href(max(offset - limit, 0) if offset else None),
                },
            }
        )

    def _get(self, request: Request, order_id: str) -> Response:
        identifier = request.args.get("identifier", "id")
        if identifier not in ("id", "invoice_id"):
            raise _BadRequest("identifier must be id or invoice_id.")
        order = self.state.get_order(order_id, identifier=identifier)
        if order is None:
            return _json(_errors(404), 404)
        return _json(order)

    def _update(self, request: Request, order_id: str) -> Response:
        if self.state.get_order(order_id) is None:
            return _json(_errors(404), 404)
        body = _body(request)
        if not isinstance(body, dict) or not body:
            raise _BadRequest("Send a JSON object with the fields to update.")
        unknown = sorted(set(body) - UPDATABLE_FIELDS)
        if unknown:
            raise _BadRequest(f"Fields that cannot be updated: {', '.join(unknown)}.")
        status = body.get("status")
        if status is not None and status not in self.state.config.statuses:
            raise _BadRequest(f"Unknown order status {status!r} (see Admin > Order Statuses).")
        dry_run = request.args.get("diffOnly") == "true"
        diff = self.state.update_order(order_id, body, dry_run=dry_run)
        if dry_run:
            return _json({"diff": diff})
        return Response(status=204)

    # -- admin -------------------------------------------------------------------------------

    def _admin(self, request: Request, endpoint: str, args: Mapping[str, Any]) -> Response:
        if not is_loopback(request.remote_addr):
            return _json(_errors(403, "The fake's admin API answers loopback only."), 403)
        state = self.state
        if endpoint == "admin_page":
            return Response(admin_page(state), 200, content_type="text/html; charset=utf-8")
        if endpoint == "admin_ui_status":
            order_id, status = request.form.get("order_id", ""), request.form.get("status", "")
            if status not in state.config.statuses or state.get_order(order_id) is None:
                return _json(_errors(400, "Choose an order and one of the statuses."), 400)
            state.set_status(order_id, status)
            return Response(status=303, headers={"Location": f"{ADMIN_PREFIX}/"})
        try:
            body = _body(request) if request.method != "GET" else None
            if endpoint == "admin_state":
                return _json(state.snapshot())
            if endpoint == "admin_reset":
                state.reset()
                return _json({"reset": True})
            if endpoint == "admin_faults":
                return self._arm(body)
            if endpoint == "admin_clear":
                return _json({"cleared": state.clear_faults()})
            if endpoint == "admin_put":
                if not isinstance(body, dict):
                    raise _BadRequest("Send the order as a JSON object.")
                order, created = state.put_order({**body, "id": body.get("id", args["order_id"])})
                return _json(order, 201 if created else 200)
            if endpoint == "admin_status":
                if not isinstance(body, dict) or not isinstance(body.get("status"), str):
                    raise _BadRequest('Send {"status": "..."}.')
                try:
                    return _json(state.set_status(args["order_id"], body["status"]))
                except KeyError:
                    return _json(_errors(404), 404)
            if endpoint == "admin_writes":
                return _json(state.snapshot()["writes"])
            if endpoint == "admin_clock":
                seconds = body.get("advance") if isinstance(body, dict) else None
                if isinstance(seconds, bool) or not isinstance(seconds, int | float | type(None)):
                    seconds = float(str(seconds))
                if seconds is None or seconds < 0:
                    raise _BadRequest('Send {"advance": seconds} (0 or more).')
                return _json({"offset": f"{state.advance_clock(float(seconds)):.3f}"})
            if endpoint == "admin_webhooks":
                if not isinstance(body, dict) or not isinstance(body.get("url"), str):
                    raise _BadRequest('Send {"url": ..., "auth": ..., "wrap": ...}.')
                events = body.get("events") or ["new.order", "update.order"]
                state.webhooks.subscribe(
                    WebhookSubscription(
                        url=body["url"],
                        events=frozenset(str(e) for e in events),
                        auth=str(body.get("auth", "none")),
                        user=str(body.get("user", "")),
                        password=str(body.get("password", "")),
                        token=str(body.get("token", "")),
                        wrap=bool(body.get("wrap", True)),
                        format=str(body.get("format", "json")),
                    )
                )
                return _json({"subscribed": body["url"]}, 201)
            if endpoint == "admin_mode":
                body = body if isinstance(body, dict) else {}
                state.webhooks.set_mode(
                    DeliveryMode(
                        duplicate=int(body.get("duplicate", 1)),
                        delay_ms=int(body.get("delay_ms", 0)),
                        reorder=bool(body.get("reorder", False)),
                        hold=bool(body.get("hold", False)),
                    )
                )
                return _json({"mode": "set"})
            sent = state.webhooks.flush()
            return _json({"sent": len(sent)})
        except _BadRequest as exc:
            return _json(_errors(exc.status, exc.message), exc.status)
        except (ValueError, TypeError) as exc:
            return _json(_errors(400, str(exc)), 400)

    def _arm(self, body: Any) -> Response:
        if not isinstance(body, dict):
            raise _BadRequest('Send {"route": ..., "status": ..., "times": n}.')
        try:
            return arm_fault(self.state, body, ROUTES)
        except ArmRefused as exc:
            raise _BadRequest(exc.message) from None
