"""``DivendoFakeApp``: the WSGI app that plays Divendo's API 2.0 and its admin (``/_fake/``).

Around each API call, in this order: a connection over the cap (with ``limit_on =
"connections"``) is answered with the throttling error and closed; the bearer token
(401 ``{"message": "Authorization has been denied for this request."}`` when unknown,
expired or revoked); the per-account count of in-flight requests — the sixth at once gets
the throttling error (429 by default, ``{"message": "Too many simultaneous connections…"}``)
and its connection is closed; ``latency``; a magic id (:mod:`.magic`), else the next fault
armed for the route; then the handler. The token endpoint accepts the credentials in a
Basic header or in the body, form- or JSON-encoded, and records which. Admin endpoints
answer loopback only and are never slowed, faulted or counted. Bad input is a 4xx JSON
error, never a traceback.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ....sandbox.faults import SLOW, Fault
from ..._fakeapp import (
    JSON,
    ArmRefused,
    arm_fault,
    basic_credentials,
    bearer_token,
    canned_reply,
    is_loopback,
)
from ..._fakeapp import BadRequest as _BadRequest
from ..._fakeapp import json_body as _body
from ..._fakeapp import json_response as _json
from .magic import EMPTY_204, magic_for
from .state import ORDER_STATUSES, DivendoFakeState

__all__ = [
    "ADMIN_PREFIX",
    "CONNECTION_OK",
    "DENIED",
    "ROUTES",
    "THROTTLED",
    "TOKEN_PATH",
    "DivendoFakeApp",
    "parse_when",
]

log = logging.getLogger("dividebuy_checkout.integrations.divendo.fake")

ADMIN_PREFIX = "/_fake"
TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a URL path
#: Route names faults can be armed for.
ROUTES = ("TOKEN", "ORDERS_LIST", "ORDER_GET", "ORDER_PUT", "CONTACT_GET")
#: WSGI environ key the request handler sets: False when the connection is over the cap.
CONNECTION_OK = "divendo.fake.connection_ok"
DENIED = "Authorization has been denied for this request."
THROTTLED = (
    "Too many simultaneous connections: each user account is permitted up to "
    "{limit} simultaneous connections."
)
MAX_BODY = 8 * 1024 * 1024
MAX_COUNT = 25
MALFORMED_BODY = b'{"id": "5668f38d46fc510c6c0d4705", "lines": [{"id": "56'
WRONG_SHAPE_BODY = b'["not", "an", "order"]'
_MESSAGES = {
    400: "The request is invalid.",
    404: "The requested resource was not found.",
    405: "The requested resource does not support this method.",
    500: "An error has occurred.",
    502: "Bad gateway.",
    503: "The service is unavailable.",
    504: "Gateway timeout.",
}
_FRACTION = re.compile(r"(\.\d{6})\d+")


class _Request(Request):
    max_content_length = MAX_BODY


def _message(status: int, message: str | None = None) -> Response:
    return _json({"message": message or _MESSAGES.get(status, "Error")}, status)


def _bearer(request: Request) -> str | None:
    return bearer_token(request.headers.get("Authorization", ""))


def _basic(request: Request) -> tuple[str, str] | None:
    return basic_credentials(request.headers.get("Authorization", ""))


def parse_when(value: object) -> datetime:
    """An ISO 8601 date-time as Divendo writes it (up to 7 fractional digits); else ValueError."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a date-time like 2026-11-27T10:00:00+00:00")
    return datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()))


class DivendoFakeApp:
    """The fake Divendo API as a WSGI application; ``state`` is what tests steer."""

    def __init__(
        self,
        state: DivendoFakeState | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state = state or DivendoFakeState()
        self._sleep = sleep
        admin = ADMIN_PREFIX
        self.url_map = Map(
            [
                Rule(TOKEN_PATH, methods=["POST"], endpoint="TOKEN"),
                Rule("/orders", methods=["GET"], endpoint="ORDERS_LIST"),
                Rule("/orders/search/<start>/<end>", methods=["GET"], endpoint="ORDERS_SEARCH"),
                Rule("/orders/<order_id>", methods=["GET"], endpoint="ORDER_GET"),
                Rule("/orders/<order_id>", methods=["PUT"], endpoint="ORDER_PUT"),
                Rule("/contacts", methods=["POST"], endpoint="CONTACT_POST"),
                Rule("/contacts/<contact_id>", methods=["GET"], endpoint="CONTACT_GET"),
                Rule("/contacts/<contact_id>", methods=["PUT"], endpoint="CONTACT_PUT"),
                Rule("/contacts/<contact_id>", methods=["DELETE"], endpoint="CONTACT_DELETE"),
                Rule("/store/orderstatuses", methods=["GET"], endpoint="STATUSES"),
                Rule(f"{admin}/state", methods=["GET"], endpoint="admin_state"),
                Rule(f"{admin}/reset", methods=["POST"], endpoint="admin_reset"),
                Rule(f"{admin}/config", methods=["POST"], endpoint="admin_config"),
                Rule(f"{admin}/clock", methods=["POST"], endpoint="admin_clock"),
                Rule(f"{admin}/faults", methods=["POST"], endpoint="admin_faults"),
                Rule(f"{admin}/faults", methods=["DELETE"], endpoint="admin_clear"),
                Rule(f"{admin}/tokens/revoke", methods=["POST"], endpoint="admin_revoke"),
                Rule(f"{admin}/orders/<order_id>", methods=["PUT"], endpoint="admin_put"),
                Rule(f"{admin}/orders/<order_id>/ship", methods=["POST"], endpoint="admin_ship"),
                Rule(
                    f"{admin}/orders/<order_id>/status", methods=["POST"], endpoint="admin_status"
                ),
                Rule(
                    f"{admin}/orders/<order_id>/lines/<line_id>/cancel",
                    methods=["POST"],
                    endpoint="admin_cancel",
                ),
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
            elif environ.get(CONNECTION_OK, True) is False:
                self.state.refuse_connection()
                response = self._throttled()
            else:
                response = self._api(request, endpoint, args)
                self.state.record(endpoint, request.method, request.path, response.status_code)
        except NotFound:
            response = _message(404)
        except MethodNotAllowed:
            response = _message(405)
        except HTTPException as exc:
            response = _message(exc.code or 400)
        except Exception:
            log.exception("Divendo fake bug while handling %s %s", request.method, request.path)
            response = _message(500, "Fake internal error (a bug).")
        return response(environ, start_response)

    def _throttled(self) -> Response:
        config = self.state.config
        # Werkzeug's server closes every connection after its reply (``Connection: close``),
        # so a refused connection is closed as Divendo's would be
        return _json(
            {"message": THROTTLED.format(limit=config.max_connections)}, config.throttle_status
        )

    # -- the API -----------------------------------------------------------------------------

    def _api(self, request: Request, route: str, args: Mapping[str, Any]) -> Response:
        state = self.state
        if route == "TOKEN":
            basic = _basic(request)
            account = basic[0] if basic else "?"
        else:
            found = state.account_for(_bearer(request))
            if found is None:
                return _json({"message": DENIED}, 401, {"WWW-Authenticate": "Bearer"})
            account = found
        if not state.enter(account):
            state.leave(account)
            return self._throttled()
        try:
            if route != "TOKEN" and state.config.latency:
                self._sleep(state.config.latency)
            fault = self._fault(route, args)
            if fault is not None:
                return fault
            try:
                return self._handle(request, route, args)
            except _BadRequest as exc:
                return _message(exc.status, exc.message)
        finally:
            state.leave(account)

    def _fault(self, route: str, args: Mapping[str, Any]) -> Response | None:
        identifier = str(args.get("order_id") or args.get("contact_id") or "")
        magic = magic_for(identifier)
        fault: Fault | None = magic.fault if magic is not None else self.state.take_fault(route)
        if fault is None:
            return None
        if fault.kind == SLOW:
            self._sleep(self.state.config.slow_seconds)
            return _message(404)
        canned = canned_reply(fault, MALFORMED_BODY, WRONG_SHAPE_BODY)
        if canned is not None:
            return canned
        if fault.kind == EMPTY_204:
            return Response(b"", 204, content_type=JSON)
        status = fault.status or 500
        if status == self.state.config.throttle_status or status == 429:
            response = _json(
                {"message": THROTTLED.format(limit=self.state.config.max_connections)}, status
            )
            response.headers["Retry-After"] = "1"
            return response
        if status == 401:
            return _json({"message": DENIED}, 401, {"WWW-Authenticate": "Bearer"})
        return _message(status)

    def _handle(self, request: Request, route: str, args: Mapping[str, Any]) -> Response:
        state = self.state
        if route == "TOKEN":
            return self._token(request)
        if route == "ORDERS_LIST":
            return self._page(request, state.list_orders())
        if route == "ORDERS_SEARCH":
            return self._search(request, args["start"], args["end"])
        if route == "ORDER_GET":
            order = state.get_order(args["order_id"])
            return _json(order) if order is not None else _message(404)
        if route == "ORDER_PUT":
            if state.get_order(args["order_id"]) is None:
                return _message(404)
            body = _body(request)
            if not isinstance(body, dict):
                raise _BadRequest("Send the whole order as a JSON object.")
            order, _ = state.put_order({**body, "id": args["order_id"]})
            return _json(order)
        if route == "STATUSES":
            results = [{"id": i, "name": n} for i, n in ORDER_STATUSES]
            return _json(
                {"total": len(results), "count": len(results), "offset": 0, "results": results}
            )
        return self._contacts(request, route, args)

    def _token(self, request: Request) -> Response:
        basic = _basic(request)
        if request.mimetype == "application/json":
            body = _body(request)
            fields = body if isinstance(body, dict) else {}
            encoding = "json"
        else:
            fields = dict(request.form)
            encoding = "form"
        if fields.get("grant_type") != "client_credentials":
            return _json({"error": "unsupported_grant_type"}, 400)
        if basic is not None:
            client_id, secret, how = basic[0], basic[1], "basic"
        else:
            client_id = str(fields.get("client_id") or "")
            secret = str(fields.get("client_secret") or "")
            how = "body"
        issued = self.state.issue_token(client_id, secret, f"{how}/{encoding}")
        if issued is None:
            return _json({"error": "invalid_client"}, 401)
        return _json(issued)

    def _page(self, request: Request, orders: list[dict[str, Any]]) -> Response:
        try:
            count = int(request.args.get("count", MAX_COUNT))
            offset = int(request.args.get("offset", 0))
        except ValueError:
            raise _BadRequest("count and offset must be whole numbers.") from None
        if count < 1 or offset < 0:
            raise _BadRequest("count must be 1 or more and offset 0 or more.")
        count = min(count, MAX_COUNT)
        orders = sorted(orders, key=lambda o: (str(o.get("created", "")), str(o.get("id"))))
        page = orders[offset : offset + count]
        return _json({"total": len(orders), "count": len(page), "offset": offset, "results": page})

    def _search(self, request: Request, start: str, end: str) -> Response:
        try:
            low = datetime.strptime(start, "%Y-%m-%d %H%M")
            high = datetime.strptime(end, "%Y-%m-%d %H%M")
        except ValueError:
            raise _BadRequest(
                "start and end look like 2017-12-10 0337 (yyyy-MM-dd HHmm)."
            ) from None

        def within(order: dict[str, Any]) -> bool:
            try:
                created = parse_when(order.get("created")).replace(tzinfo=None)
            except ValueError:
                return False
            return low <= created <= high

        return self._page(request, [o for o in self.state.list_orders() if within(o)])

    def _contacts(self, request: Request, route: str, args: Mapping[str, Any]) -> Response:
        state = self.state
        contact_id = str(args.get("contact_id", ""))
        if route == "CONTACT_GET":
            contact = state.get_contact(contact_id)
            return _json(contact) if contact is not None else _message(404)
        if route == "CONTACT_DELETE":
            if not state.delete_contact(contact_id):
                return _message(404)
            return Response(b"", 204, content_type=JSON)
        body = _body(request)
        if not isinstance(body, dict):
            raise _BadRequest("Send the contact as a JSON object.")
        if route == "CONTACT_PUT":
            if state.get_contact(contact_id) is None:
                return _message(404)
            return _json(state.put_contact({**body, "id": contact_id}))
        return _json(state.put_contact({k: v for k, v in body.items() if k != "id"}))

    # -- admin -------------------------------------------------------------------------------

    def _admin(self, request: Request, endpoint: str, args: Mapping[str, Any]) -> Response:
        if not is_loopback(request.remote_addr):
            return _message(403, "The fake's admin API answers loopback only.")
        state = self.state
        try:
            body = _body(request) if request.method != "GET" else None
            order_id = str(args.get("order_id", ""))
            if endpoint == "admin_state":
                return _json(state.snapshot())
            if endpoint == "admin_reset":
                state.reset()
                return _json({"reset": True})
            if endpoint == "admin_config":
                if not isinstance(body, dict) or not body:
                    raise _BadRequest('Send {"max_connections": 5, "limit_on": ...}.')
                return _json(state.configure(**body).public())
            if endpoint == "admin_clock":
                seconds = body.get("advance") if isinstance(body, dict) else None
                if isinstance(seconds, bool) or seconds is None or float(seconds) < 0:
                    raise _BadRequest('Send {"advance": seconds} (0 or more).')
                offset = state.advance_clock(float(seconds))
                return _json({"offset": Decimal(str(offset))})
            if endpoint == "admin_faults":
                return self._arm(body)
            if endpoint == "admin_clear":
                return _json({"cleared": state.clear_faults()})
            if endpoint == "admin_revoke":
                return _json({"revoked": state.revoke_tokens()})
            if endpoint == "admin_put":
                if not isinstance(body, dict):
                    raise _BadRequest("Send the order as a JSON object.")
                order, created = state.put_order({**body, "id": body.get("id", order_id)})
                return _json(order, 201 if created else 200)
            return self._admin_order(endpoint, order_id, args, body)
        except _BadRequest as exc:
            return _message(exc.status, exc.message)
        except KeyError:
            return _message(404, "No such order.")
        except LookupError:
            return _message(404, "No such line in this order.")
        except (ValueError, TypeError, ArithmeticError) as exc:
            return _message(400, str(exc))

    def _admin_order(
        self, endpoint: str, order_id: str, args: Mapping[str, Any], body: Any
    ) -> Response:
        state = self.state
        body = body if isinstance(body, dict) else {}
        if endpoint == "admin_ship":
            when = body.get("shippingdate")
            if when is not None:
                try:
                    parse_when(when)
                except ValueError:
                    raise _BadRequest(
                        'shippingdate must be ISO 8601, like "2026-11-27T10:00:00+00:00".'
                    ) from None
            return _json(state.ship(order_id, when))
        if endpoint == "admin_status":
            name = body.get("name")
            if not isinstance(name, str):
                raise _BadRequest('Send {"name": "Complete"}.')
            return _json(state.set_status(order_id, name))
        reason = body.get("reason", "Cancelled")
        return _json(state.cancel_line(order_id, str(args["line_id"]), str(reason)))

    def _arm(self, body: Any) -> Response:
        if not isinstance(body, dict):
            raise _BadRequest('Send {"route": ..., "status": ..., "times": n}.')
        try:
            return arm_fault(self.state, body, ROUTES)
        except ArmRefused as exc:
            raise _BadRequest(exc.message) from None
