"""Building replies: exact-Decimal JSON, the error shapes, faults and pages.

Every JSON body goes through :func:`dividebuy_checkout.money.dumps`, so amounts
are written exactly (``166.67``, never ``166.66999999``).
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from ..money import dumps
from .errors import SandboxError
from .faults import MALFORMED, WRONG_SHAPE, Fault
from .pages import PAGE_CSP

__all__ = [
    "JSON",
    "MALFORMED_BODY",
    "WRONG_SHAPE_BODY",
    "ExactLocationResponse",
    "error_response",
    "fault_response",
    "html_response",
    "json_response",
    "redirect_response",
    "status_body",
]

JSON = "application/json; charset=utf-8"

_STATUS_MESSAGES = {
    401: "Unauthenticated.",
    403: "Forbidden.",
    404: "Not found.",
    409: "Conflict.",
    422: "The given data was invalid.",
    429: "Too Many Attempts.",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

#: What a "malformed" fault sends: JSON cut off part-way, as a broken proxy or a
#: dropped connection would leave it. The Content-Type still claims JSON.
MALFORMED_BODY = b'{"status": "success", "data": {"terms": [{"type": "interest-'
#: What a "wrong-shape" fault sends: valid JSON that is none of the documented replies.
WRONG_SHAPE_BODY = b'{"ok": true, "result": "unexpected shape"}'


class ExactLocationResponse(Response):
    """A response whose ``Location`` is sent exactly as given when it is plain ASCII.

    Werkzeug normally re-quotes ``Location`` as an IRI; the shop's return URL
    must come back byte for byte (its query string may carry a signature).
    """

    def get_wsgi_headers(self, environ: Any) -> Headers:
        headers = super().get_wsgi_headers(environ)
        location = self.headers.get("Location")
        if location is not None and location.isascii() and location.isprintable():
            headers["Location"] = location
        return headers


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(dumps(body), status=status, content_type=JSON)
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def status_body(status: int, message: str | None = None) -> dict[str, Any]:
    return {"status_code": status, "message": message or _STATUS_MESSAGES.get(status, "Error")}


def error_response(error: SandboxError) -> Response:
    return json_response(error.body(), error.status)


def fault_response(fault: Fault) -> Response:
    """The reply a (non-slow) fault sends instead of the real one."""
    if fault.kind == MALFORMED:
        return Response(MALFORMED_BODY, status=200, content_type=JSON)
    if fault.kind == WRONG_SHAPE:
        return Response(WRONG_SHAPE_BODY, status=200, content_type=JSON)
    status = fault.status or 500
    headers = {"Retry-After": "1"} if status == 429 else {}
    body: dict[str, Any] = status_body(status)
    if status == 422:
        body = {"message": body["message"], "errors": {}}
    return json_response(body, status, headers)


def html_response(html: str, status: int = 200) -> Response:
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def redirect_response(location: str) -> Response:
    """``303 See Other``: after a POST the browser GETs the shop's return URL."""
    response = ExactLocationResponse(b"", status=303)
    response.headers["Location"] = location
    response.headers["Cache-Control"] = "no-store"
    return response
