"""Hypothesis posts generated bodies, query strings and headers to every plugin endpoint.

Over real HTTP to the plugin app (tests/fuzz/plugin_app.py: every blueprint part, the
sandbox as DivideBuy, the REC+ fake as the platform): the application form (with its
real CSRF token and without), the return and cancel pages, the bridge page, the back
office (with the right key, a wrong one, none), the widget terms, the webhooks (with the
platform's credential and without), the health check and the OpenAPI document.

For every request: no 500 (no 5xx at all but the statuses the OpenAPI document lists for
that endpoint), no traceback in the body, JSON endpoints answer JSON, and a refused
request (4xx) writes nothing: every store row and the sandbox's quotes, orders, refunds
and settlements are the same before and after. Bounded: EXAMPLES requests in all.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from dividebuy_checkout.integrations.recplus.fake import RecPlusFakeServer
from flask import url_for
from hypothesis import strategies as st

from dividebuy_checkout.checkout.demo_shopper import ANSWERS
from dividebuy_checkout.openapi import ENDPOINTS
from dividebuy_checkout.sandbox import SandboxServer

from .plugin_app import (
    API_KEY,
    HOOK_PASSWORD,
    HOOK_USER,
    ORDER,
    PREFIX,
    PlatformShop,
    build_plugin,
    csrf_token,
    form_values,
    http,
    run_examples,
    written,
)

#: generated requests in all (over every endpoint)
EXAMPLES = 200
#: a REC+ order with no checkout yet: its application form is fuzzed
FORM_ORDER = "500002"
#: an order with a pending checkout: its return and cancel pages are fuzzed
PENDING_ORDER = "500003"
#: 5xx answers the document lists, per Flask endpoint (anything else is a bug)
DOCUMENTED_5XX = {
    e.endpoint: {status for status in e.responses if status >= 500} for e in ENDPOINTS
}

# -- generated pieces -----------------------------------------------------------------------

_printable = st.characters(min_codepoint=32, max_codepoint=126)
#: what HTTP allows in a header value (no surrounding blanks)
header_values = st.text(_printable, max_size=40).map(str.strip)
texts = st.text(max_size=30)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
    | st.sampled_from(["150.00", "0.01", "-1", "1e999999", "9" * 40, "2026-11-23", ORDER]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
queries = st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3)
#: headers a client may send; never the framing ones (Content-Length, Transfer-Encoding)
extra_headers = st.dictionaries(
    st.sampled_from(
        [
            "X-Forwarded-For",
            "X-Forwarded-Host",
            "X-Forwarded-Proto",
            "Accept",
            "Origin",
            "Referer",
            "Cookie",
            "If-None-Match",
            "X-CSRFToken",
            "Accept-Language",
            "X-Request-Id",
        ]
    ),
    header_values,
    max_size=3,
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "",
    ]
)


def _seg(value: object) -> str:
    """*value* as one URL path segment (percent-encoded, as a browser would send it)."""
    return quote(str(value), safe="")


@dataclass(frozen=True)
class Request:
    """One generated request: to which endpoint, how, and from which loopback address."""

    endpoint: str
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    data: dict[str, str] | None = None
    source: str = "127.0.0.1"


@st.composite
def json_body(draw: st.DrawFn, near: dict[str, st.SearchStrategy[Any]]) -> tuple[bytes, str]:
    """A body: JSON near the endpoint's shape, any JSON, or bytes; with a content type."""
    kind = draw(st.sampled_from(["near", "near", "json", "bytes", "deep"]))
    if kind == "near":
        value: Any = draw(st.fixed_dictionaries({}, optional=near))
    elif kind == "json":
        value = draw(json_values)
    elif kind == "deep":  # nested past any sane depth
        value = draw(st.integers(50, 3000))
        return b"[" * value + b"]" * value, "application/json"
    else:
        return draw(st.binary(max_size=200)), draw(content_types)
    return json.dumps(value, default=str).encode(), draw(content_types)


class Fuzz:
    """The app, the real values the requests need (tokens, references), and the strategies."""

    def __init__(self, shop: PlatformShop) -> None:
        self.shop = shop
        service = shop.app.extensions["dividebuy"].services["checkout"]
        self.completed = shop.completed_checkout()
        self.browser = http(shop)
        with shop.app.test_request_context(base_url=shop.url):
            self.apply_path = url_for("dividebuy.apply", token=service.start_token(FORM_ORDER))
            pending_path = url_for("dividebuy.apply", token=service.start_token(PENDING_ORDER))
        self.bad_apply_path = self.apply_path[:-3] + "xyz"
        # a real application for PENDING_ORDER: its return reference is fuzzed
        page = self.browser.get(pending_path)
        sent = self.browser.post(pending_path, data={**form_values(page.text), **ANSWERS})
        assert sent.status_code == 303, sent.text
        with shop.app.test_request_context(base_url=shop.url):
            self.return_ref = service.return_token(service.status(PENDING_ORDER))
        assert self.return_ref
        page = self.browser.get(self.apply_path)
        assert page.status_code == 200, page.text  # the form is really there to fuzz
        self.form = {**form_values(page.text), **ANSWERS}
        self.csrf = csrf_token(page.text)
        bridge = self.browser.get(f"{PREFIX}/start/recplus")
        assert bridge.status_code == 200, bridge.text
        self.bridge_csrf = csrf_token(bridge.text)
        #: the snapshot after the last request (see check)
        self.last: dict[str, Any] | None = None
        self.others = {address: http(shop, source=address) for address in ("127.0.0.4",)}

    def close(self) -> None:
        self.browser.close()
        for client in self.others.values():
            client.close()

    # -- strategies per endpoint ----------------------------------------------------------

    def _csrf(self, token: str) -> st.SearchStrategy[dict[str, str]]:
        return st.sampled_from([{"csrf_token": token}, {}]) | st.builds(
            lambda t: {"csrf_token": t}, header_values
        )

    def application_form(self) -> st.SearchStrategy[Request]:
        fields = sorted(self.form)

        @st.composite
        def make(draw: st.DrawFn) -> Request:
            if draw(st.booleans()):  # the page itself, or a link that is not signed
                path = draw(st.sampled_from([self.apply_path, self.bad_apply_path]))
                return Request("apply", "GET", path, draw(queries), draw(extra_headers))
            changed = draw(st.dictionaries(st.sampled_from(fields), texts, min_size=1, max_size=5))
            dropped = draw(st.lists(st.sampled_from(fields), max_size=3))
            data = {k: v for k, v in {**self.form, **changed}.items() if k not in dropped}
            data.update(draw(self._csrf(self.csrf)))
            data["submit" if draw(st.booleans()) else "add_address"] = "go"
            return Request(
                "apply", "POST", self.apply_path, draw(queries), draw(extra_headers), data=data
            )

        return make()

    def return_and_cancel(self, which: str) -> st.SearchStrategy[Request]:
        refs = st.sampled_from([self.return_ref, self.return_ref[:-2], ""]) | texts

        @st.composite
        def make(draw: st.DrawFn) -> Request:
            params = {**draw(queries), "ref": draw(refs)}
            if which == "return":
                return Request("return", "GET", f"{PREFIX}/return", params, draw(extra_headers))
            data = {
                **draw(self._csrf(self.csrf)),
                **draw(st.dictionaries(texts, texts, max_size=2)),
            }
            return Request(
                "cancel", "POST", f"{PREFIX}/cancel", params, draw(extra_headers), data=data
            )

        return make()

    def bridge(self) -> st.SearchStrategy[Request]:
        @st.composite
        def make(draw: st.DrawFn) -> Request:
            data = {
                "order_number": draw(st.sampled_from([ORDER, FORM_ORDER, "0"]) | texts),
                "email": draw(st.sampled_from(["ann.lee@example.co.uk", ""]) | texts),
                **draw(self._csrf(self.bridge_csrf)),
            }
            platform = draw(
                st.sampled_from(["recplus", "nope"]) | texts.filter(lambda t: "/" not in t)
            )
            method = draw(st.sampled_from(["GET", "POST"]))
            return Request(
                "bridge",
                method,
                f"{PREFIX}/start/{_seg(platform)}",
                draw(queries),
                draw(extra_headers),
                data=data if method == "POST" else None,
            )

        return make()

    def back_office(self, which: str) -> st.SearchStrategy[Request]:
        order_ids = st.sampled_from([ORDER, PENDING_ORDER, "nope"]) | texts.filter(
            lambda t: t.strip("/") == t and "/" not in t and t not in (".", "..") and t
        )
        money = (
            st.sampled_from(["150.00", "0", "-5", "1.234", "1e999999", "999999999"]) | json_values
        )
        near = {
            "orders": st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "order_id": order_ids | json_values,
                        "delivered_on": st.sampled_from(["2026-11-23", "2026-02-30", ""])
                        | json_values,
                    },
                ),
                max_size=3,
            )
            | json_values,
            "amount": money,
            "succeeded": st.booleans() | json_values,
            "dividebuy_refund_id": json_values,
            "note": json_values,
            "action": st.sampled_from(["release", "refund", "RELEASE"]) | json_values,
            "reason": texts | json_values,
            "quote_id": json_values,
            "actor": json_values,
        }

        @st.composite
        def make(draw: st.DrawFn) -> Request:
            order_id = draw(order_ids)
            refund_id = draw(st.integers(-5, 2**64) | st.sampled_from(["1", "abc"]))
            endpoint, method, path = next(
                route
                for route in (
                    [
                        ("backoffice_settle", "POST", "/backoffice/settle"),
                        (
                            "backoffice_refund",
                            "POST",
                            f"/backoffice/orders/{_seg(order_id)}/refunds",
                        ),
                        ("backoffice_order", "GET", f"/backoffice/orders/{_seg(order_id)}"),
                        (
                            "backoffice_confirm_refund",
                            "POST",
                            f"/backoffice/refunds/{_seg(refund_id)}/confirm",
                        ),
                        (
                            "backoffice_resolve_hold",
                            "POST",
                            f"/backoffice/orders/{_seg(order_id)}/resolve-hold",
                        ),
                    ]
                )
                if route[0] == which
            )
            key = draw(st.sampled_from(["right", "right", "wrong", "none"]))
            headers = draw(extra_headers)
            if key == "right":
                headers["Authorization"] = f"Bearer {API_KEY}"
            elif key == "wrong":
                headers["Authorization"] = draw(
                    st.builds(lambda v: f"Bearer {v}".strip(), header_values) | header_values
                )
            content, kind = draw(json_body(near)) if method == "POST" else (None, "")
            if kind:
                headers["Content-Type"] = kind
            # wrong keys come from another address: their throttling is theirs alone
            return Request(
                endpoint,
                method,
                PREFIX + path,
                draw(queries),
                headers,
                content,
                source="127.0.0.1" if key == "right" else "127.0.0.4",
            )

        return make()

    def widget_terms(self) -> st.SearchStrategy[Request]:
        amounts = (
            st.sampled_from(["2000.00", "149.99", "0", "-1", "1e9", "12.345", "£5", " 5 "]) | texts
        )
        return st.builds(
            lambda amount, q, h: Request(
                "widget_terms", "GET", f"{PREFIX}/widget/terms", {**q, "amount": amount}, h
            ),
            amounts,
            queries,
            extra_headers,
        )

    def webhooks(self, which: str) -> st.SearchStrategy[Request]:
        order = self.shop.recplus.state.get_order(ORDER)
        near = {
            "event": st.sampled_from(["update.order", "nope"]) | json_values,
            "data": st.just(order) | json_values,
            "id": json_values,
            "status": json_values,
        }

        @st.composite
        def make(draw: st.DrawFn) -> Request:
            platform = draw(
                st.sampled_from(["recplus", "recplus", "shopify"])
                | texts.filter(lambda t: t and "/" not in t and t not in (".", ".."))
            )
            suffix = "/order.updated" if which == "webhook_event" else ""
            headers = draw(extra_headers)
            auth = draw(st.sampled_from(["right", "right", "wrong", "none"]))
            if auth == "right":
                headers["Authorization"] = (
                    "Basic " + base64.b64encode(f"{HOOK_USER}:{HOOK_PASSWORD}".encode()).decode()
                )
            elif auth == "wrong":
                headers["Authorization"] = draw(header_values)
            content, kind = draw(json_body(near))
            if kind:
                headers["Content-Type"] = kind
            endpoint = "webhook_event" if suffix else "webhook"
            return Request(
                endpoint,
                "POST",
                f"{PREFIX}/webhooks/{_seg(platform)}{suffix}",
                draw(queries),
                headers,
                content,
            )

        return make()

    def documents(self, which: str) -> st.SearchStrategy[Request]:
        path = f"{PREFIX}/{'healthz' if which == 'healthz' else 'openapi.json'}"
        return st.builds(lambda q, h: Request(which, "GET", path, q, h), queries, extra_headers)

    def requests(self) -> dict[str, st.SearchStrategy[Request]]:
        """Each endpoint's generated requests (each gets its share of the examples)."""
        office = [e.endpoint for e in ENDPOINTS if e.endpoint.startswith("backoffice_")]
        return {
            "apply": self.application_form(),
            "return": self.return_and_cancel("return"),
            "cancel": self.return_and_cancel("cancel"),
            "bridge": self.bridge(),
            **{name: self.back_office(name) for name in office},
            "widget_terms": self.widget_terms(),
            "webhook": self.webhooks("webhook"),
            "webhook_event": self.webhooks("webhook_event"),
            "healthz": self.documents("healthz"),
            "openapi": self.documents("openapi"),
        }

    # -- one request --------------------------------------------------------------------------

    def send(self, request: Request) -> httpx.Response:
        client = self.browser if request.source == "127.0.0.1" else self.others[request.source]
        return client.request(
            request.method,
            request.path,
            params=request.params,
            headers=request.headers,
            content=request.content,
            data=request.data,
        )


def check(fuzz: Fuzz, request: Request, seen: Callable[[Request, int], None]) -> None:
    """One request: no 5xx the document does not list, no traceback, JSON from a JSON
    endpoint, nothing written when refused (the last request's snapshot is this one's
    "before": one snapshot per request)."""
    before = fuzz.last if fuzz.last is not None else written(fuzz.shop)
    fuzz.last = None
    response = fuzz.send(request)
    status, body = response.status_code, response.text
    seen(request, status)
    allowed_5xx = DOCUMENTED_5XX.get(request.endpoint, set())
    assert status < 500 or status in allowed_5xx, (request, status, body[:2000])
    assert "Traceback" not in body and 'File "' not in body, (request, body[:2000])
    is_json = response.headers.get("content-type", "").startswith("application/json")
    if request.endpoint in DOCUMENTED_5XX and status not in (304, 404, 405):
        assert is_json, (request, status, body[:500])  # a JSON endpoint answers JSON
    after = written(fuzz.shop)
    if status >= 400:
        assert after == before, f"refused {request} but something was written"
    fuzz.last = after


@pytest.mark.slow
def test_generated_requests_to_every_plugin_endpoint_never_fail_or_write_when_refused(
    sandbox: SandboxServer, recplus: RecPlusFakeServer, tmp_path: Path
) -> None:
    for new_id in (FORM_ORDER, PENDING_ORDER):  # two more open orders at REC+
        order = copy.deepcopy(recplus.state.get_order(ORDER))
        assert order is not None
        order["id"] = int(new_id)
        order["href"] = f"/orders/{new_id}.json"
        recplus.state.put_order(order)
    shop = build_plugin(sandbox, recplus, tmp_path)
    fuzz = Fuzz(shop)
    statuses: dict[str, set[int]] = {}

    def seen(request: Request, status: int) -> None:
        statuses.setdefault(request.endpoint, set()).add(status)

    strategies = fuzz.requests()
    # every endpoint of the document, and every page, has its share
    assert set(strategies) == {e.endpoint for e in ENDPOINTS} | {
        "apply",
        "return",
        "cancel",
        "bridge",
    }
    try:
        for strategy in strategies.values():
            run_examples(strategy, EXAMPLES // len(strategies), lambda r: check(fuzz, r, seen))
    finally:
        fuzz.close()
        shop.stop()
    # every endpoint was reached, and not only refused
    assert any(s < 400 for s in statuses["backoffice_order"]), statuses
    assert any(s < 400 for s in statuses["apply"]), statuses
