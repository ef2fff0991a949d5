"""The blueprint's back-office part: authenticated JSON endpoints over ``BackOfficeService``.

Routes (under ``DIVIDEBUY_URL_PREFIX``, ``/dividebuy`` by default)::

    POST /backoffice/settle                    {"orders": [{"order_id", "delivered_on"}]}
    POST /backoffice/orders/<order_id>/refunds {"amount": "150.00"}  or {} for all that is left
    GET  /backoffice/orders/<order_id>
    POST /backoffice/refunds/<id>/confirm      {"succeeded": true, "dividebuy_refund_id": "…"}
    POST /backoffice/orders/<order_id>/resolve-hold
                                               {"action": "release"|"refund", "reason": "…"}

Authentication, one of:

- ``DIVIDEBUY_BACKOFFICE_API_KEY``: ``Authorization: Bearer <key>``, compared in
  constant time. With no key (and no decorator) configured the endpoints refuse
  everything (403): a back office that moves money is never open by default.
  These endpoints are exempt from Flask-WTF's CSRF check, because a browser
  never adds the bearer header on its own.
- ``DIVIDEBUY_BACKOFFICE_AUTH``: the shop's own decorator (or its import path,
  ``"myshop.auth:staff_required"``). Then the shop's session authenticates, so
  CSRF protection stays on: send the token in ``X-CSRFToken``.

Bodies are checked with marshmallow: a bad body is a 400 with dotted field
errors and changes nothing. Refusals are 404/409/422, DivideBuy failures 502.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.utils import import_string

from ..backoffice import (
    BackOfficeService,
    CallFailed,
    CheckoutNotFound,
    DatabaseBusyError,
    NothingToRefund,
    OrderNotCompleted,
    RefundBlocked,
    RefundExceedsRemaining,
    RefundNotConfirmable,
    RefundNotFound,
    RefundNotRecorded,
    Refused,
    SettleRow,
)
from ..backoffice.csv_import import MAX_ORDER_ID
from ..backoffice.reports import refund_dict
from ..backoffice.throttle import DEFAULT_FAILURE_LIMIT, FailureThrottle, retry_after
from ..checkout.holds import HOLD_ACTIONS, MAX_ACTOR, MAX_REASON, HoldNotResolvable, resolve_hold
from ..config import setting
from ..dates import parse_iso_date
from ..money import MoneyError, loads, to_money
from ..schemas import flatten_errors
from ..settings import ConfigurationError
from . import signals
from .extension import DivideBuyState

log = logging.getLogger("dividebuy_checkout.backoffice")

__all__ = [
    "CONFIG_DEFAULTS",
    "DATABASE_BUSY_RETRY_AFTER",
    "MIN_KEY_LENGTH",
    "THROTTLE_KEY",
    "BadBody",
    "ConfirmSchema",
    "IsoDateField",
    "MoneyField",
    "RefundSchema",
    "ResolveHoldSchema",
    "SettleOrderSchema",
    "SettleSchema",
    "StrictBoolean",
    "make_service",
    "register",
    "require_api_key",
]

#: this part's keys (see dividebuy_checkout.config: typed, documented, read from app.config or env)
CONFIG_DEFAULTS: dict[str, Any] = {
    "DIVIDEBUY_BACKOFFICE_API_KEY": setting(
        None,
        "bearer key for the back-office JSON endpoints (16+ characters); none: they refuse all",
        kind=str,
        secret=True,
    ),
    "DIVIDEBUY_BACKOFFICE_AUTH": setting(
        None,
        "the shop's own auth decorator (or 'module:name'), used instead of the API key",
        accepts="a view decorator or 'package.module:name', or none",
    ),
    "DIVIDEBUY_BACKOFFICE_MAX_SETTLE_ORDERS": setting(
        1000, "the most orders one POST /backoffice/settle may carry", minimum=1
    ),
    "DIVIDEBUY_BACKOFFICE_FAILED_AUTH_LIMIT": setting(
        DEFAULT_FAILURE_LIMIT,
        "wrong back-office API keys allowed per client address (then 429 with Retry-After)",
        kind=str,
    ),
}

#: where the app's wrong-key throttle lives: ``app.extensions[THROTTLE_KEY]``
THROTTLE_KEY = "dividebuy_backoffice_throttle"

#: a shorter key can be guessed; refused at start-up
MIN_KEY_LENGTH = 16

_STATUS_FOR: list[tuple[type[Exception], int]] = [
    (CheckoutNotFound, 404),
    (RefundNotFound, 404),
    (RefundExceedsRemaining, 422),
    (OrderNotCompleted, 409),
    (NothingToRefund, 409),
    (RefundBlocked, 409),
    (RefundNotConfirmable, 409),
    (HoldNotResolvable, 409),
    (Refused, 422),
    (CallFailed, 502),
    (DatabaseBusyError, 503),
    # DivideBuy answered; the ledger records it in the background: not an error to retry
    (RefundNotRecorded, 202),
]

#: seconds a client waits before trying again after a busy database (Retry-After)
DATABASE_BUSY_RETRY_AFTER = 5


# -- body schemas ---------------------------------------------------------------------------


class MoneyField(fields.Field[Decimal]):
    """Pounds as a JSON number or string (``150``, ``"150.00"``); never a float, never ≤ 0."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool):
            raise ValidationError("Give an amount of pounds, like 150.00.")
        try:
            amount = to_money(value)
        except MoneyError as exc:
            raise ValidationError(str(exc)) from None
        except ArithmeticError:  # 1e999999: too large to be pennies
            raise ValidationError("The amount is not a usable number of pounds.") from None
        if amount <= 0:
            raise ValidationError("The amount must be more than 0.00; leave it out to refund all.")
        return amount


class IsoDateField(fields.Field[date]):
    """A date written ``YYYY-MM-DD`` (the same rule as the CSV import)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        day = parse_iso_date(value) if isinstance(value, str) else None
        if day is None:
            raise ValidationError("Give a date like 2026-11-23 (YYYY-MM-DD).")
        return day


class StrictBoolean(fields.Field[bool]):
    """``true`` or ``false`` only: an operator's verdict on money is not guessed from "yes"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise ValidationError("Give true or false.")
        return value


class SettleOrderSchema(Schema):
    order_id = fields.String(required=True, validate=validate.Length(1, MAX_ORDER_ID))
    delivered_on = IsoDateField(required=True)


class SettleSchema(Schema):
    orders = fields.List(fields.Nested(SettleOrderSchema), required=True)


class RefundSchema(Schema):
    amount = MoneyField(load_default=None, allow_none=True)


class ConfirmSchema(Schema):
    succeeded = StrictBoolean(required=True)
    dividebuy_refund_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 64)
    )
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ResolveHoldSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(HOLD_ACTIONS))
    reason = fields.String(required=True, validate=validate.Length(1, MAX_REASON))
    quote_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))
    #: who, as the operator names themself; recorded as ``api:<actor>`` (the key is shared)
    actor = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, MAX_ACTOR - 4)
    )


class BadBody(Exception):
    def __init__(self, field_errors: dict[str, list[str]]) -> None:
        super().__init__(field_errors)
        self.field_errors = field_errors


def _body(schema: Schema) -> dict[str, Any]:
    """The request's JSON object, loaded by *schema* (amounts decoded as ``Decimal``)."""
    if not request.is_json:
        raise BadBody({"_body": ["Send a JSON object with Content-Type: application/json."]})
    try:
        data = loads(request.get_data(cache=False) or b"")
    except (ValueError, UnicodeDecodeError):
        raise BadBody({"_body": ["The body is not valid JSON."]}) from None
    except RecursionError:  # [[[[…]]]]: nested deeper than any body of ours
        raise BadBody({"_body": ["The body is nested too deeply."]}) from None
    if not isinstance(data, dict):
        raise BadBody({"_body": ["The body must be a JSON object."]})
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        raise BadBody(flatten_errors(exc.messages_dict)) from None
    return loaded


# -- responses ------------------------------------------------------------------------------


def _error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message, **extra}), status


def _bad_body(exc: BadBody) -> tuple[Response, int]:
    return _error(
        400, "invalid_body", "The request body is not valid.", field_errors=exc.field_errors
    )


#: what the endpoints answer for: refused, DivideBuy failed, database busy, not yet recorded
Answered = Refused | CallFailed | DatabaseBusyError | RefundNotRecorded
_ANSWERED = (Refused, CallFailed, DatabaseBusyError, RefundNotRecorded)


def _refusal(exc: Answered) -> tuple[Response, int]:
    status = next(code for kind, code in _STATUS_FOR if isinstance(exc, kind))
    extra: dict[str, Any] = {}
    field = getattr(exc, "field", None)
    if field:
        extra["field_errors"] = {field: [str(exc)]}
    if isinstance(exc, CallFailed) and exc.entry is not None:
        extra["refund"] = refund_dict(exc.entry)
    if isinstance(exc, RefundNotRecorded):
        extra["refund"] = refund_dict(exc.entry)
        extra["refund_made_at_dividebuy"] = exc.made
    response, status = _error(status, exc.code, str(exc), **extra)
    if isinstance(exc, DatabaseBusyError):
        response.headers["Retry-After"] = str(DATABASE_BUSY_RETRY_AFTER)
    return response, status


def _database_failed(exc: SQLAlchemyError) -> tuple[Response, int]:
    """Any other database failure on a back-office endpoint: one JSON line, no SQL, no data."""
    log.error("Back-office database error: %s", type(exc).__name__)
    response, status = _error(
        503,
        "database_error",
        "The shop's database failed while handling this request ("
        f"{type(exc).__name__}); nothing was sent to DivideBuy unless the order's refunds "
        "say so. Check the database, then the order with GET /backoffice/orders/<order_id>.",
    )
    response.headers["Retry-After"] = str(DATABASE_BUSY_RETRY_AFTER)
    return response, status


# -- authentication -------------------------------------------------------------------------


def require_api_key(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pass only requests with ``Authorization: Bearer <DIVIDEBUY_BACKOFFICE_API_KEY>``."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        key = current_app.config.get("DIVIDEBUY_BACKOFFICE_API_KEY")
        if not key:
            return _error(
                403,
                "backoffice_disabled",
                "The back-office API is switched off: set DIVIDEBUY_BACKOFFICE_API_KEY (or "
                "DIVIDEBUY_BACKOFFICE_AUTH) in the shop's configuration.",
            )
        throttle: FailureThrottle | None = current_app.extensions.get(THROTTLE_KEY)
        address = request.remote_addr
        wait = throttle.blocked(address) if throttle is not None else None
        if wait is not None:
            return _throttled(wait)
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _unauthorised("Send the back-office API key as 'Authorization: Bearer <key>'.")
        if not hmac.compare_digest(given.strip().encode(), str(key).encode()):
            wait = throttle.failed(address) if throttle is not None else None
            if wait is not None:
                return _throttled(wait)
            return _unauthorised("The back-office API key is not the configured one.")
        return view(*args, **kwargs)

    return wrapped


def _throttled(wait: float) -> tuple[Response, int]:
    response, status = _error(
        429,
        "too_many_failures",
        "Too many wrong back-office API keys from this address: wait before trying again.",
    )
    response.headers["Retry-After"] = retry_after(wait)
    return response, status


def _unauthorised(message: str) -> tuple[Response, int]:
    response, status = _error(401, "unauthorised", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="dividebuy-backoffice"'
    return response, status


def _auth(app: Flask) -> tuple[Callable[[Callable[..., Any]], Callable[..., Any]], bool]:
    """The decorator guarding the endpoints, and whether it is the API key (CSRF-exempt)."""
    custom = app.config.get("DIVIDEBUY_BACKOFFICE_AUTH")
    if custom:
        decorator = import_string(custom.replace(":", ".")) if isinstance(custom, str) else custom
        if not callable(decorator):
            raise ConfigurationError("DIVIDEBUY_BACKOFFICE_AUTH must be a view decorator.")
        return decorator, False
    key = app.config.get("DIVIDEBUY_BACKOFFICE_API_KEY")
    if key and len(str(key)) < MIN_KEY_LENGTH:
        raise ConfigurationError(
            f"DIVIDEBUY_BACKOFFICE_API_KEY is too short: use at least {MIN_KEY_LENGTH} random "
            "characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    return require_api_key, True


def _exempt_from_csrf(bp: Blueprint, app: Flask, views: list[Callable[..., Any]]) -> None:
    """Exempt the bearer-key endpoints from Flask-WTF's CSRF check, if the app has one.

    CSRFProtect may be set up before or after DivideBuy: exempt now if it is
    there, else on each request before CSRFProtect's own check (which an
    extension set up later registers after this hook).
    """

    def exempt() -> None:
        csrf = app.extensions.get("csrf")
        if csrf is not None and hasattr(csrf, "exempt"):
            for view in views:
                csrf.exempt(view)

    exempt()
    bp.before_app_request(exempt)


# -- the part -------------------------------------------------------------------------------


def make_service(app: Flask, state: DivideBuyState) -> BackOfficeService:
    """The app's back-office service: its client and store, signals sent with the app."""
    return BackOfficeService(
        state.client,
        state.store,
        chunk_size=int(app.config["DIVIDEBUY_SETTLEMENT_CHUNK_SIZE"]),
        notify=signals.notifier(app),
    )


def register(bp: Blueprint, app: Flask, state: DivideBuyState) -> None:
    service = make_service(app, state)
    state.services["backoffice"] = service
    guard, is_api_key = _auth(app)
    try:
        app.extensions[THROTTLE_KEY] = FailureThrottle.from_spec(
            str(app.config["DIVIDEBUY_BACKOFFICE_FAILED_AUTH_LIMIT"]),
            name="backoffice-api-key",
            settings=state.settings,
        )
    except ValueError as exc:
        raise ConfigurationError(
            f"DIVIDEBUY_BACKOFFICE_FAILED_AUTH_LIMIT: {exc}",
            key="DIVIDEBUY_BACKOFFICE_FAILED_AUTH_LIMIT",
        ) from None
    max_orders = int(app.config["DIVIDEBUY_BACKOFFICE_MAX_SETTLE_ORDERS"])

    def backoffice_settle() -> Any:
        try:
            body = _body(SettleSchema())
        except BadBody as exc:
            return _bad_body(exc)
        if not body["orders"] or len(body["orders"]) > max_orders:
            return _bad_body(
                BadBody({"orders": [f"Give between 1 and {max_orders} orders per request."]})
            )
        rows = [SettleRow(o["order_id"], o["delivered_on"]) for o in body["orders"]]
        report = service.settle_rows(rows)
        return jsonify(report.to_dict()), 502 if report.failed else 200

    def backoffice_refund(order_id: str) -> Any:
        try:
            body = _body(RefundSchema())
        except BadBody as exc:
            return _bad_body(exc)
        try:
            entry = service.refund(order_id, body["amount"])
        except _ANSWERED as exc:
            return _refusal(exc)
        return jsonify({"refund": refund_dict(entry)}), 201

    def backoffice_order(order_id: str) -> Any:
        try:
            status = service.order_status(order_id)
        except _ANSWERED as exc:
            return _refusal(exc)
        return jsonify(status.to_dict())

    def backoffice_confirm_refund(refund_id: int) -> Any:
        try:
            body = _body(ConfirmSchema())
        except BadBody as exc:
            return _bad_body(exc)
        try:
            entry = service.confirm_refund(
                refund_id,
                body["succeeded"],
                dividebuy_refund_id=body["dividebuy_refund_id"],
                note=body["note"],
            )
        except _ANSWERED as exc:
            return _refusal(exc)
        return jsonify({"refund": refund_dict(entry)})

    def backoffice_resolve_hold(order_id: str) -> Any:
        try:
            body = _body(ResolveHoldSchema())
        except BadBody as exc:
            return _bad_body(exc)
        try:
            done = resolve_hold(
                service,
                order_id,
                action=body["action"],
                reason=body["reason"],
                actor=f"api:{body['actor']}" if body["actor"] else "api",
                quote_id=body["quote_id"],
            )
        except _ANSWERED as exc:
            return _refusal(exc)
        return jsonify({"resolution": done.to_dict()})

    routes: list[tuple[str, Callable[..., Any], list[str]]] = [
        ("/backoffice/settle", backoffice_settle, ["POST"]),
        ("/backoffice/orders/<order_id>/refunds", backoffice_refund, ["POST"]),
        ("/backoffice/orders/<order_id>", backoffice_order, ["GET"]),
        (  # signed: a negative id is refund_not_found (JSON), not the framework's HTML 404
            "/backoffice/refunds/<int(signed=True):refund_id>/confirm",
            backoffice_confirm_refund,
            ["POST"],
        ),
        ("/backoffice/orders/<order_id>/resolve-hold", backoffice_resolve_hold, ["POST"]),
    ]
    guarded: list[Callable[..., Any]] = []
    for rule, view, methods in routes:
        protected = wraps(view)(guard(view))
        guarded.append(protected)
        bp.add_url_rule(rule, view.__name__, protected, methods=methods)
    if is_api_key:
        _exempt_from_csrf(bp, app, guarded)
    endpoints = {f"{bp.name}.{view.__name__}" for _, view, _ in routes}

    @bp.errorhandler(SQLAlchemyError)
    def database_failed(exc: SQLAlchemyError) -> Any:
        if request.endpoint not in endpoints:
            raise exc  # a checkout page's: that part answers for its own pages
        return _database_failed(exc)

    @bp.after_request
    def not_stored(response: Response) -> Response:
        # Order, refund and settlement details: never kept by a browser or a proxy.
        if request.endpoint in endpoints:
            response.headers["Cache-Control"] = "no-store"
        return response
