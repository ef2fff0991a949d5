"""The OpenAPI 3.1 document of the plugin's JSON endpoints, built without any web framework.

One :class:`Endpoint` per route (its parameters, request body, every status it answers
with the JSON schema of that answer, and its security) in :data:`ENDPOINTS`;
:func:`openapi_document` puts them together under the app's URL prefix. The Flask
blueprint serves it at ``{url_prefix}/openapi.json``; a test compares it with the
Flask URL map, so a JSON route cannot be added without being described here.

The schemas say what clients may rely on, and no more: objects allow extra members
(an answer may gain a field without breaking a client), amounts are strings of
pounds (``"150.00"``: never a float), dates ``YYYY-MM-DD``. Error answers share one
shape: ``{"error": code, "message": text}``, with ``field_errors`` (dotted field →
messages) for a bad body or query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ._version import __version__
from .widgets.guard import WELL_FORMED_POUNDS

__all__ = [
    "ENDPOINTS",
    "OPENAPI_VERSION",
    "SECURITY_SCHEMES",
    "Endpoint",
    "openapi_document",
]

#: the OpenAPI version the document is written in
OPENAPI_VERSION = "3.1.0"

Schema = dict[str, Any]

# -- shared schemas -------------------------------------------------------------------------


def _object(properties: Schema | None = None, *, required: Sequence[str] = ()) -> Schema:
    """An object schema: *required* members listed, *properties* described (extra members
    always allowed, see the module docstring). Every object below is made here, so they
    cannot drift in how they are spelled."""
    schema: Schema = {"type": "object"}
    if required:
        schema["required"] = list(required)
    if properties is not None:
        schema["properties"] = properties
    return schema


def _string(*choices: str, nullable: bool = False, **constraints: Any) -> Schema:
    """A string (or null) schema; *choices* become its ``enum``; *constraints* (minLength,
    maxLength, pattern, format …) are JSON Schema's own keywords."""
    schema: Schema = {"type": ["string", "null"] if nullable else "string"}
    if choices:
        schema["enum"] = list(choices)
    schema.update(constraints)
    return schema


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


_MONEY = _string(pattern=r"^-?\d+\.\d{2}$", examples=["150.00"])
_DATE = _string(format="date")
_DATETIME = _string()
_TEXT = _string()
_TEXT_OR_NULL = _string(nullable=True)
_BOOLEAN: Schema = {"type": "boolean"}

_ERROR = _object(
    {
        "error": _string(description="a code a program can compare"),
        "message": _string(description="what went wrong, for a person"),
        "field": _string(description="the one field at fault (a webhook's bad_event)"),
        "field_errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": _TEXT},
            "description": "dotted field name → messages",
        },
    },
    required=["error"],
)

_REFUND = _object(
    {
        "id": {"type": "integer"},
        "order_id": _TEXT,
        "amount": _MONEY,
        "full": _BOOLEAN,
        "status": _TEXT,
        "dividebuy_refund_id": _TEXT_OR_NULL,
        "refund_type": _TEXT_OR_NULL,
        "note": _TEXT_OR_NULL,
        "created_at": _DATETIME,
        "updated_at": _DATETIME,
    },
    required=["id", "order_id", "amount", "full", "status"],
)

_REFUND_ERROR: Schema = {
    "allOf": [
        _ref("Error"),
        _object({"refund": _ref("Refund"), "refund_made_at_dividebuy": _BOOLEAN}),
    ]
}

_SETTLEMENT = _object(
    {
        "status": _TEXT,
        "delivered_on": _DATE,
        "dividebuy_order_id": _TEXT_OR_NULL,
        "settled_at": _TEXT_OR_NULL,
    },
    required=["status", "delivered_on"],
)

_ORDER_STATUS = _object(
    {
        "order_id": _TEXT,
        "order_ref": _TEXT,
        "quote_id": _TEXT,
        "dividebuy_order_id": _TEXT_OR_NULL,
        "checkout_status": _TEXT,
        "finance_status": _TEXT,
        "amount": _MONEY,
        "credit_amount": _MONEY,
        "refunded": _MONEY,
        "held": _MONEY,
        "refundable": _MONEY,
        "blocked_by_refunds": {"type": "array", "items": {"type": "integer"}},
        "created_at": _DATETIME,
        "settlement": {"oneOf": [{"type": "null"}, _SETTLEMENT]},
        "refunds": {"type": "array", "items": _ref("Refund")},
    },
    required=["order_id", "quote_id", "checkout_status", "finance_status", "refunds"],
)

_SETTLEMENT_OUTCOME = _object(
    {
        "order_id": _TEXT,
        "outcome": _TEXT,
        "delivered_on": _TEXT_OR_NULL,
        "reason": _TEXT_OR_NULL,
        "line": {"type": ["integer", "null"]},
    },
    required=["order_id", "outcome"],
)

_SETTLEMENT_REPORT = _object(
    {
        "ok": _BOOLEAN,
        "summary": {"type": "object", "additionalProperties": {"type": "integer"}},
        "orders": {"type": "array", "items": _SETTLEMENT_OUTCOME},
    },
    required=["ok", "summary", "orders"],
)

_RESOLUTION = _object(
    {
        "resolution": _object(
            {
                "order_id": _TEXT,
                "quote_id": _TEXT,
                "action": _string("release", "refund"),
                "status": _TEXT,
                "reason": _TEXT,
                "actor": _TEXT_OR_NULL,
                "refund": {"oneOf": [{"type": "null"}, _ref("Refund")]},
            },
            required=["order_id", "quote_id", "action", "status", "reason"],
        )
    },
    required=["resolution"],
)

_WIDGET_TERMS = _object(
    {
        "eligible": _BOOLEAN,
        "amount": _TEXT,
        "state": _string("shown", "partial", "ineligible", "unavailable"),
        "amount_text": _TEXT,
        "headline": _object(),
        "terms": {"type": "array", "items": _object()},
        "example": {"type": ["object", "null"]},
        "text": _object(),
    },
    required=["eligible", "amount", "state"],
)

_WEBHOOK_COUNTS = ("received", "recorded", "duplicates", "ignored")
_WEBHOOK_RECEIVED = _object(
    {
        **{name: {"type": "integer", "minimum": 0} for name in _WEBHOOK_COUNTS},
        # only where a platform refuses an authentic event (DiSeller's RefusedEvent): a 200,
        # since resending cannot fix it
        "rejected": {"type": "integer", "minimum": 0},
    },
    required=_WEBHOOK_COUNTS,
)

_HEALTH = _object(
    {
        "status": _string("ok", "degraded", "down"),
        "database": _string("ok", "unreachable", "timeout"),
        "redis": _string("off", "ok", "unreachable"),
        "shared_state": _string(
            "shared",
            "local",
            "off",
            description="shared through Redis, fallen back to this worker's own, or no Redis",
        ),
        "divide_buy": _TEXT,
        "worker": {"type": "integer"},
    },
    required=["status", "database", "redis", "divide_buy", "worker"],
)

_COMPONENT_SCHEMAS: dict[str, Schema] = {
    "Error": _ERROR,
    "Refund": _REFUND,
    "RefundError": _REFUND_ERROR,
    "OrderStatus": _ORDER_STATUS,
    "SettlementReport": _SETTLEMENT_REPORT,
    "HoldResolution": _RESOLUTION,
    "WidgetTerms": _WIDGET_TERMS,
    "WebhookReceived": _WEBHOOK_RECEIVED,
    "Health": _HEALTH,
}

#: how callers authenticate: the back office's bearer key; a platform's webhook credential
SECURITY_SCHEMES: dict[str, Schema] = {
    "backofficeKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "DIVIDEBUY_BACKOFFICE_API_KEY (or the shop's own DIVIDEBUY_BACKOFFICE_AUTH)",
    },
    "webhookBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "the platform's webhook user and password (REC+: WEBHOOK_AUTH=basic)",
    },
    "webhookBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "the platform's webhook token (REC+: WEBHOOK_AUTH=bearer)",
    },
    "webhookDiSellerSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-DiSeller-Signature",
        "description": "DiSeller's signature of the raw body with the shared webhook secret",
    },
}

_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "backoffice": [{"backofficeKey": []}],
    "webhook": [
        {"webhookBasic": []},
        {"webhookBearer": []},
        {"webhookDiSellerSignature": []},
    ],
}


def _json(schema: Schema) -> dict[str, Schema]:
    return {"application/json": {"schema": schema}}


def _path_param(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


_ORDER_ID = _path_param(
    "order_id", _string(minLength=1), "the shop's order id (as sent to DivideBuy)"
)

# -- the endpoints --------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One route: where it is, what it takes, every status it answers and its JSON schema.

    *path* is relative to the blueprint's URL prefix, in OpenAPI's ``{name}`` form;
    *endpoint* is the Flask endpoint name inside the blueprint (for the coverage test);
    *responses* maps each status to ``(description, schema)`` (schema None: no body).
    """

    method: str
    path: str
    endpoint: str
    summary: str
    responses: dict[int, tuple[str, Schema | None]]
    tag: str
    parameters: tuple[Schema, ...] = ()
    request_body: Schema | None = None
    security: str | None = None
    description: str = ""
    headers: dict[int, dict[str, Schema]] = field(default_factory=dict)

    def operation(self) -> Schema:
        """This endpoint as an OpenAPI operation object."""
        responses: dict[str, Schema] = {}
        for status, (text, schema) in sorted(self.responses.items()):
            answer: Schema = {"description": text}
            if schema is not None:
                answer["content"] = _json(schema)
            if status in self.headers:
                answer["headers"] = {
                    name: {"schema": header} for name, header in self.headers[status].items()
                }
            responses[str(status)] = answer
        op: Schema = {
            "operationId": self.endpoint.replace(".", "_"),
            "summary": self.summary,
            "tags": [self.tag],
            "responses": responses,
        }
        if self.description:
            op["description"] = self.description
        if self.parameters:
            op["parameters"] = list(self.parameters)
        if self.request_body is not None:
            op["requestBody"] = {"required": True, "content": _json(self.request_body)}
        if self.security is not None:
            op["security"] = _SECURITY[self.security]
        return op


_RETRY_AFTER = {"Retry-After": _string(pattern=r"^\d+$")}

#: answers every back-office endpoint may give besides its own
_BACKOFFICE_COMMON: dict[int, tuple[str, Schema | None]] = {
    400: ("a bad body: field errors; nothing changed", _ref("Error")),
    401: ("no or a wrong API key", _ref("Error")),
    403: ("the back office is switched off (no key configured)", _ref("Error")),
    413: ("the body is too large", _ref("Error")),
    429: ("too many wrong keys from this address; see Retry-After", _ref("Error")),
    503: ("the shop's database is busy or down; see Retry-After", _ref("Error")),
}


def _backoffice(
    method: str,
    path: str,
    endpoint: str,
    summary: str,
    answers: dict[int, tuple[str, Schema | None]],
    *,
    parameters: tuple[Schema, ...] = (),
    body: Schema | None = None,
) -> Endpoint:
    responses = {**_BACKOFFICE_COMMON, **answers}
    if body is None:
        responses.pop(400, None)
        responses.pop(413, None)
    return Endpoint(
        method,
        path,
        endpoint,
        summary,
        responses,
        "back office",
        parameters=parameters,
        request_body=body,
        security="backoffice",
        headers={429: _RETRY_AFTER, 503: _RETRY_AFTER},
    )


_SETTLE_BODY = _object(
    {
        "orders": {
            "type": "array",
            "minItems": 1,
            "items": _object(
                {"order_id": _string(minLength=1, maxLength=64), "delivered_on": _DATE},
                required=["order_id", "delivered_on"],
            ),
        }
    },
    required=["orders"],
)

_REFUND_BODY = _object(
    {
        "amount": {
            "description": "pounds to refund (a string or a number); absent or null: all left",
            "oneOf": [{"type": "null"}, _TEXT, {"type": "number"}],
        }
    }
)

_CONFIRM_BODY = _object(
    {
        "succeeded": _BOOLEAN,
        "dividebuy_refund_id": _string(nullable=True, minLength=1, maxLength=64),
        "note": _string(nullable=True, maxLength=500),
    },
    required=["succeeded"],
)

_RESOLVE_BODY = _object(
    {
        "action": _string("release", "refund"),
        "reason": _string(minLength=1, maxLength=500),
        "quote_id": _string(nullable=True, minLength=1, maxLength=64),
        "actor": _string(nullable=True, minLength=1, maxLength=56),
    },
    required=["action", "reason"],
)

_REFUND_ANSWERS: dict[int, tuple[str, Schema | None]] = {
    404: ("no DivideBuy checkout for this order", _ref("Error")),
    409: ("not refundable now (not completed, nothing left, a refund unknown)", _ref("Error")),
    422: ("more than is left, or refused by DivideBuy", _ref("RefundError")),
    502: ("DivideBuy failed or its answer is unknown: see refund", _ref("RefundError")),
    503: ("the shop's database is busy or down; see Retry-After", _ref("RefundError")),
}

_WEBHOOK_ANSWERS: dict[int, tuple[str, Schema | None]] = {
    200: ("read: events recorded, duplicates, ignored", _ref("WebhookReceived")),
    400: (
        "not a JSON object (bad_body), or an authentic event missing a field"
        " (bad_event, DiSeller: error, field, message)",
        _ref("Error"),
    ),
    401: ("the credential is missing or wrong; nothing recorded", _ref("Error")),
    403: ("no webhook credential is configured for this platform", _ref("Error")),
    404: ("not a platform this shop knows", _ref("Error")),
    413: ("body over DIVIDEBUY_WEBHOOK_MAX_BYTES", _ref("Error")),
    415: ("not JSON", _ref("Error")),
    503: ("the event could not be recorded: deliver it again", _ref("Error")),
}

_PLATFORM = _path_param("platform", _string(minLength=1), "the shop platform (e.g. recplus)")
_WEBHOOK_BODY: Schema = {
    "type": "object",
    "description": "the platform's delivery as it sends it (REC+: the order, raw or wrapped)",
}

ENDPOINTS: tuple[Endpoint, ...] = (
    _backoffice(
        "post",
        "/backoffice/settle",
        "backoffice_settle",
        "Tell DivideBuy these orders were delivered (settlement)",
        {
            200: ("every order's outcome", _ref("SettlementReport")),
            502: ("some orders failed at DivideBuy: see each outcome", _ref("SettlementReport")),
        },
        body=_SETTLE_BODY,
    ),
    _backoffice(
        "post",
        "/backoffice/orders/{order_id}/refunds",
        "backoffice_refund",
        "Refund part or all of an order financed with DivideBuy",
        {
            201: ("refunded", _object({"refund": _ref("Refund")})),
            202: ("refunded at DivideBuy; the shop records it shortly", _ref("RefundError")),
            **_REFUND_ANSWERS,
        },
        parameters=(_ORDER_ID,),
        body=_REFUND_BODY,
    ),
    _backoffice(
        "get",
        "/backoffice/orders/{order_id}",
        "backoffice_order",
        "An order's checkout, settlement, refunds and what is left to refund",
        {
            200: ("the order", _ref("OrderStatus")),
            404: ("no DivideBuy checkout for this order", _ref("Error")),
        },
        parameters=(_ORDER_ID,),
    ),
    _backoffice(
        "post",
        "/backoffice/refunds/{refund_id}/confirm",
        "backoffice_confirm_refund",
        "Record what DivideBuy did with a refund whose outcome was unknown",
        {
            200: ("recorded", _object({"refund": _ref("Refund")})),
            404: ("no such refund", _ref("Error")),
            409: ("the refund's outcome is already known", _ref("Error")),
        },
        parameters=(_path_param("refund_id", {"type": "integer"}, "the refund's id"),),
        body=_CONFIRM_BODY,
    ),
    _backoffice(
        "post",
        "/backoffice/orders/{order_id}/resolve-hold",
        "backoffice_resolve_hold",
        "Release (pay) or refund an order's checkout on hold; audited",
        {
            200: ("resolved", _ref("HoldResolution")),
            **_REFUND_ANSWERS,
            409: (
                "nothing on hold, several holds without quote_id, or not refundable",
                _ref("RefundError"),
            ),
        },
        parameters=(_ORDER_ID,),
        body=_RESOLVE_BODY,
    ),
    Endpoint(
        "get",
        "/widget/terms",
        "widget_terms",
        "The instalment widget's figures for an amount",
        {
            200: ("the figures, or eligible: false", _ref("WidgetTerms")),
            304: ("unchanged since the ETag in If-None-Match", None),
            400: ("the amount is missing or not plain pounds", _ref("Error")),
            413: ("the request is too large", _ref("Error")),
            429: ("too many new amounts from this client or overall", _ref("Error")),
        },
        "widgets",
        parameters=(
            {
                "name": "amount",
                "in": "query",
                "required": True,
                # the one form the endpoint reads (anything else is a 400 field error)
                "schema": _string(pattern=f"^{WELL_FORMED_POUNDS.pattern}$"),
                "example": "2000.00",
                "description": "the price in pounds, like 149.99",
            },
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "schema": _TEXT,
            },
        ),
        headers={429: _RETRY_AFTER},
    ),
    Endpoint(
        "post",
        "/webhooks/{platform}",
        "webhook",
        "A shop platform's event (order paid, dispatched, refunded…)",
        _WEBHOOK_ANSWERS,
        "webhooks",
        parameters=(_PLATFORM,),
        request_body=_WEBHOOK_BODY,
        security="webhook",
    ),
    Endpoint(
        "post",
        "/webhooks/{platform}/{event_name}",
        "webhook_event",
        "The same, for platforms that send one URL per event (the name is informational)",
        _WEBHOOK_ANSWERS,
        "webhooks",
        parameters=(
            _PLATFORM,
            _path_param("event_name", _string(minLength=1), "the event's name"),
        ),
        request_body=_WEBHOOK_BODY,
        security="webhook",
    ),
    Endpoint(
        "get",
        "/healthz",
        "healthz",
        "This worker's database, Redis and DivideBuy state (for load balancers)",
        {
            200: ("the worker can take checkouts (status ok or degraded)", _ref("Health")),
            503: ("the database cannot be reached", _ref("Health")),
        },
        "operations",
    ),
    Endpoint(
        "get",
        "/openapi.json",
        "openapi",
        "This document",
        {200: ("the OpenAPI 3.1 document", _object(required=["openapi", "paths"]))},
        "operations",
    ),
)


def openapi_document(
    prefix: str = "/dividebuy",
    *,
    endpoints: tuple[Endpoint, ...] = ENDPOINTS,
    server_url: str | None = None,
    title: str = "DivideBuy checkout plugin",
) -> Schema:
    """The OpenAPI 3.1 document for *endpoints* mounted under *prefix*.

    *server_url*: where the app is (``servers``); paths then carry the prefix, so the
    document is right whether a client joins them to the server's root or not.
    """
    root = "/" + prefix.strip("/") if prefix.strip("/") else ""
    paths: dict[str, dict[str, Schema]] = {}
    for endpoint in endpoints:
        paths.setdefault(root + endpoint.path, {})[endpoint.method] = endpoint.operation()
    document: Schema = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "version": __version__,
            "description": (
                "The JSON endpoints of the dividebuy-checkout plugin: the back office "
                "(settle, refund, resolve holds), the widget's figures, shop-platform "
                "webhooks and the health check. Amounts are strings of pounds."
            ),
        },
        "paths": paths,
        "components": {"schemas": _COMPONENT_SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }
    if server_url is not None:
        document["servers"] = [{"url": server_url.rstrip("/") or "/"}]
    return document
