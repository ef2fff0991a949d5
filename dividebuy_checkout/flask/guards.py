"""The blueprint's guards: a body-size limit on every endpoint and private-page headers.

**Body size.** Every plugin endpoint reads at most ``DIVIDEBUY_MAX_BODY_BYTES``:
a request announcing more (``Content-Length``) is answered 413 before anything
reads it, and a body sent without a length (chunked) is counted as it is read
and answered 413 once past the limit. JSON endpoints get a JSON
413, pages a short text one. The webhooks keep their own, larger-or-smaller
``DIVIDEBUY_WEBHOOK_MAX_BYTES`` (a platform's payloads are the platform's size).

**Private pages.** The application form, the return page and the cancel
action (and any shop view marked with :func:`private_page`, such as an order
page carrying a signed checkout link) are sent with:

- ``Content-Security-Policy: frame-ancestors 'none'`` and ``X-Frame-Options: DENY``
  (no clickjacking of the credit application); a CSP the shop already set is
  kept, the directive added to it (:func:`merge_csp`);
- ``X-Content-Type-Options: nosniff``;
- ``Referrer-Policy: no-referrer``: the signed references in these URLs must
  not leak to another site (or DivideBuy's page) in a ``Referer`` header;
- ``Cache-Control: no-store``: personal data and signed links are never cached.

The hook runs after every other ``after_request`` of the app (it is put first
in Flask's list, which runs last-registered first), so a shop's own CSP hook
is merged, not lost, whenever it was registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from ..config import declare, setting
from ..store import DatabaseBusy

__all__ = [
    "BUSY_RETRY_AFTER",
    "CONFIG_DEFAULTS",
    "JSON_ENDPOINT_PREFIXES",
    "OWN_LIMIT_ENDPOINTS",
    "PRIVATE_ENDPOINTS",
    "PRIVATE_PAGE_HEADERS",
    "install",
    "merge_csp",
    "private_page",
]

F = TypeVar("F", bound=Callable[..., Any])

CONFIG_DEFAULTS: dict[str, Any] = {
    "DIVIDEBUY_MAX_BODY_BYTES": setting(
        1024 * 1024,
        "largest request body any DivideBuy endpoint reads (bytes); larger is 413",
        minimum=1024,
    ),
}
declare("security", CONFIG_DEFAULTS)

#: the plugin's pages that hold personal data or signed references
PRIVATE_ENDPOINTS = frozenset({"dividebuy.apply", "dividebuy.return", "dividebuy.cancel"})
#: endpoints answering JSON (their 413 is JSON too)
JSON_ENDPOINT_PREFIXES = ("dividebuy.backoffice_", "dividebuy.widget_", "dividebuy.webhook")
#: endpoints that enforce a size limit of their own (the webhooks: DIVIDEBUY_WEBHOOK_MAX_BYTES)
OWN_LIMIT_ENDPOINTS = frozenset({"dividebuy.webhook", "dividebuy.webhook_event"})

#: sent with every private page (the CSP directive is merged into any CSP already set)
PRIVATE_PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
FRAME_ANCESTORS = "frame-ancestors 'none'"
#: seconds a page asks the browser (or a script) to wait after a busy database
BUSY_RETRY_AFTER = 5
_MARK = "dividebuy_private_page"


def merge_csp(existing: str | None) -> str:
    """*existing* CSP with ``frame-ancestors 'none'``: replaces only a looser frame-ancestors
    directive; every other directive the shop set is kept as it was."""
    directives = [d.strip() for d in (existing or "").split(";") if d.strip()]
    kept = [d for d in directives if d.split()[0].lower() != "frame-ancestors"]
    return "; ".join([*kept, FRAME_ANCESTORS])


def private_page(view: F) -> F:
    """Mark a shop's own view (an order page with a signed checkout link) as private: it gets
    the same headers as the plugin's pages."""

    @wraps(view)
    def marked(*args: Any, **kwargs: Any) -> Any:
        setattr(g, _MARK, True)
        return view(*args, **kwargs)

    return cast(F, marked)


def _is_private() -> bool:
    return request.endpoint in PRIVATE_ENDPOINTS or bool(getattr(g, _MARK, False))


def _private_headers(response: Response) -> Response:
    if not _is_private():
        return response
    response.headers.update(PRIVATE_PAGE_HEADERS)
    response.headers["Content-Security-Policy"] = merge_csp(
        response.headers.get("Content-Security-Policy")
    )
    return response


class _CappedInput:
    """A WSGI input stream that raises 413 once more than *limit* bytes have been read (a
    chunked body announces no length, so the limit is applied as it is read)."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._left = limit

    def _count(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            raise RequestEntityTooLarge()
        return data

    def read(self, size: int = -1) -> bytes:
        wanted = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        return self._count(self._stream.read(wanted))

    def readline(self, size: int = -1) -> bytes:
        wanted = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        return self._count(self._stream.readline(wanted))

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


def _too_large(limit: int) -> Response:
    message = f"The request body is larger than {limit} bytes."
    endpoint = request.endpoint or ""
    if endpoint.startswith(JSON_ENDPOINT_PREFIXES):
        response = jsonify({"error": "body_too_large", "message": message})
    else:
        response = Response(message, mimetype="text/plain")
    response.status_code = 413
    response.headers["Cache-Control"] = "no-store"
    return response


def _busy() -> Response:
    """The shop's database stayed locked past DIVIDEBUY_DB_LOCK_TIMEOUT: nothing was written.
    A page says so in words (503, Retry-After); a JSON endpoint in JSON."""
    message = (
        "The shop is very busy just now and nothing was changed. Please try again in a moment."
    )
    if (request.endpoint or "").startswith(JSON_ENDPOINT_PREFIXES):
        response = jsonify({"error": "database_busy", "message": message})
    else:
        try:
            page = render_template(
                "dividebuy/problem.html", title="Please try again", message=message
            )
            response = Response(page, mimetype="text/html")
        except Exception:  # the page's layout is the shop's: never fail the failure page
            response = Response(message, mimetype="text/plain")
    response.status_code = 503
    response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def install(bp: Blueprint, app: Flask) -> None:
    """Add the size limit (before every other hook of *app*, for *bp*'s requests) and the
    private-page headers (after every other hook of *app*)."""
    limit = int(app.config["DIVIDEBUY_MAX_BODY_BYTES"])

    def limit_body() -> Response | None:
        if request.blueprint != bp.name or request.endpoint in OWN_LIMIT_ENDPOINTS:
            return None
        if request.content_length is not None and request.content_length > limit:
            return _too_large(limit)
        if request.content_length is None:  # chunked: no length announced
            request.environ["wsgi.input"] = _CappedInput(request.environ["wsgi.input"], limit)
        return None

    # First of the app's hooks: before anything (Flask-WTF's CSRF check reading the form)
    # opens the body without the limit.
    app.before_request_funcs.setdefault(None, []).insert(0, limit_body)

    @bp.errorhandler(413)
    def body_too_large(_exc: Exception) -> Response:
        return _too_large(limit)

    @bp.errorhandler(DatabaseBusy)
    def database_busy(_exc: DatabaseBusy) -> Response:
        return _busy()

    # Flask runs after_request hooks last-registered first: first in the list runs last.
    app.after_request_funcs.setdefault(None, []).insert(0, _private_headers)
