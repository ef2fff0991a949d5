"""The blueprint's OpenAPI part: ``GET <prefix>/openapi.json`` describes the JSON endpoints.

The document is built once per app by :func:`dividebuy_checkout.openapi.openapi_document`
(framework-free: the endpoints' descriptions live there) under the app's
``DIVIDEBUY_URL_PREFIX``. It names no host: a client resolves its paths against the
address it fetched it from, so a request's ``Host`` header never ends up in it.
Public, like any API description: it holds no key, only which scheme each endpoint wants.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response

from ..openapi import openapi_document
from .extension import DivideBuyState

__all__ = ["CONFIG_DEFAULTS", "register"]

#: this part has no settings of its own
CONFIG_DEFAULTS: dict[str, Any] = {}


def register(bp: Blueprint, app: Flask, state: DivideBuyState) -> None:
    body = json.dumps(openapi_document(str(app.config["DIVIDEBUY_URL_PREFIX"])), indent=1)

    def openapi() -> Response:
        """``GET /openapi.json``: the OpenAPI 3.1 document of the plugin's JSON endpoints."""
        return Response(
            body,
            status=200,
            headers={"Content-Type": "application/json", "Cache-Control": "no-cache"},
        )

    bp.add_url_rule("/openapi.json", "openapi", openapi, methods=["GET"])
