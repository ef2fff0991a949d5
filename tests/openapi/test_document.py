"""The OpenAPI document: served at ``{url_prefix}/openapi.json``, valid, and complete.

Complete means every JSON route of the blueprint in the Flask URL map is described (and
nothing is described that is not routed): a new endpoint cannot be forgotten. The only
routes left out are the HTML pages and static files, named here one by one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import schemathesis
from dividebuy_checkout.integrations.recplus.fake import RecPlusFakeServer
from flask import Flask
from fuzz.plugin_app import PREFIX, build_plugin

from dividebuy_checkout.openapi import ENDPOINTS, openapi_document
from dividebuy_checkout.sandbox import SandboxServer

#: the blueprint's routes that answer HTML (or files), not JSON: not in the document
HTML_ENDPOINTS = {"static", "apply", "return", "cancel", "bridge"}
_IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _openapi_path(rule: str) -> str:
    """``/orders/<int:refund_id>`` → ``/orders/{refund_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _routed(app: Flask) -> dict[tuple[str, str], str]:
    """(method, OpenAPI path) → endpoint, for every JSON route of the blueprint."""
    routes: dict[tuple[str, str], str] = {}
    for rule in app.url_map.iter_rules():
        blueprint, _, name = rule.endpoint.partition(".")
        if blueprint != "dividebuy" or name in HTML_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - _IGNORED_METHODS):
            routes[(method.lower(), _openapi_path(rule.rule))] = name
    return routes


def _described(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (method, path): operation["operationId"]
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_every_json_route_in_the_url_map_is_in_the_document_and_nothing_else(
    sandbox: SandboxServer, recplus: RecPlusFakeServer, tmp_path: Path
) -> None:
    shop = build_plugin(sandbox, recplus, tmp_path)
    try:
        document = httpx.get(f"{shop.url}{PREFIX}/openapi.json", timeout=10).json()
        routed, described = _routed(shop.app), _described(document)
        assert set(routed) == set(described), (
            "JSON routes and the OpenAPI document differ: describe the new endpoint in "
            "dividebuy_checkout/openapi.py (or name an HTML page in HTML_ENDPOINTS)"
        )
        assert routed == described  # the operation ids are the Flask endpoint names
        # the back office, the widget terms, the webhooks are all there
        assert {name for name in routed.values()} >= {
            "backoffice_settle",
            "backoffice_refund",
            "backoffice_order",
            "backoffice_confirm_refund",
            "backoffice_resolve_hold",
            "widget_terms",
            "webhook",
            "webhook_event",
        }
    finally:
        shop.stop()


def test_the_document_follows_the_url_prefix(
    sandbox: SandboxServer, recplus: RecPlusFakeServer, tmp_path: Path
) -> None:
    shop = build_plugin(sandbox, recplus, tmp_path, DIVIDEBUY_URL_PREFIX="/pay/db")
    try:
        answer = httpx.get(f"{shop.url}/pay/db/openapi.json", timeout=10)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/json"
        paths = answer.json()["paths"]
        assert "/pay/db/backoffice/orders/{order_id}/refunds" in paths
        assert all(path.startswith("/pay/db/") for path in paths)
        assert set(_described(answer.json())) == set(_routed(shop.app))
    finally:
        shop.stop()


def test_the_document_is_valid_openapi_3_1_and_its_schemas_are_valid_json_schema() -> None:
    document = openapi_document("/dividebuy")
    assert document["openapi"].startswith("3.1")
    loaded = schemathesis.openapi.from_dict(document)  # refuses an invalid document
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert len(operations) == len(ENDPOINTS)
    components = document["components"]["schemas"]
    for schema in components.values():  # $refs resolved against the document itself
        jsonschema_rs.validator_for({**schema, "components": {"schemas": components}})
    for endpoint in ENDPOINTS:
        # every answer states its status; every JSON answer a schema; security where it is due
        assert endpoint.responses, endpoint.endpoint
        if endpoint.endpoint.startswith("backoffice_"):
            assert endpoint.security == "backoffice"
            assert {401, 403} <= set(endpoint.responses)
        if endpoint.endpoint.startswith("webhook"):
            assert endpoint.security == "webhook"
            assert {401, 403, 413, 415} <= set(endpoint.responses)


def test_the_webhook_answers_describe_diseller_bad_and_refused_events_and_its_signature() -> None:
    # integrations/webhooks.py: a signed DiSeller event missing a field is a 400 bad_event
    # naming the field; a refused one a 200 with "rejected"; the signature header a scheme
    document = openapi_document("/dividebuy")
    components = document["components"]
    scheme = components["securitySchemes"]["webhookDiSellerSignature"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == (
        "apiKey",
        "header",
        "X-DiSeller-Signature",
    )
    webhook = document["paths"]["/dividebuy/webhooks/{platform}"]["post"]
    assert {"webhookDiSellerSignature": []} in webhook["security"]
    assert "bad_event" in webhook["responses"]["400"]["description"]
    received = jsonschema_rs.validator_for(
        {**components["schemas"]["WebhookReceived"], "components": components}
    )
    counts = {"received": 1, "recorded": 0, "duplicates": 0, "ignored": 0}
    assert received.is_valid({**counts, "rejected": 1})
    assert not received.is_valid({**counts, "rejected": -1})
    error = jsonschema_rs.validator_for(
        {**components["schemas"]["Error"], "components": components}
    )
    assert error.is_valid({"error": "bad_event", "field": "data.id", "message": "missing"})
    assert not error.is_valid({"error": "bad_event", "field": 3, "message": "missing"})
