"""schemathesis against the served document, over real HTTP, with the real sandbox behind.

The plugin app (every blueprint part, the REC+ fake as its platform) runs on a loopback
port; its OpenAPI document is fetched from it. For every operation, bounded generated
requests — valid ones (with the right credential, some aimed at an order that is really
financed) and invalid ones — must never get a 5xx the document does not list, and every
answer must match the document: status code, content type, JSON schema, headers.
Invalid input must be refused (4xx) and change nothing (store rows and sandbox records
compared). Without a credential the secured operations answer 401 (or 429 once the
address is throttled), never 2xx, and change nothing.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from dividebuy_checkout.integrations.recplus.fake import RecPlusFakeServer
from fuzz.plugin_app import (
    API_KEY,
    HOOK_PASSWORD,
    HOOK_USER,
    ORDER,
    PREFIX,
    PlatformShop,
    build_plugin,
    run_examples,
    written,
)
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dividebuy_checkout.openapi import ENDPOINTS
from dividebuy_checkout.sandbox import SandboxServer

#: generated requests per operation and mode: 10 operations x 2 modes x this, bounded
EXAMPLES = 5
#: the checks every answer passes
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
#: path parameters that name something real: the financed order, the configured platform
KNOWN = {"order_id": ORDER, "platform": "recplus"}
_BASIC = base64.b64encode(f"{HOOK_USER}:{HOOK_PASSWORD}".encode()).decode()


def _credential(path: str) -> dict[str, str]:
    if "/backoffice/" in path:
        return {"Authorization": f"Bearer {API_KEY}"}
    if "/webhooks/" in path:
        return {"Authorization": f"Basic {_BASIC}"}
    return {}


class _FromAddress(HTTPAdapter):
    """Requests from another loopback address: its failed keys are throttled on their own."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _session(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    return session


def _routed(case: Any) -> bool:
    """Whether the case's path reaches its endpoint: a refund id must be a whole number
    (anything else is not a URL of the plugin, and Flask's own 404 answers it)."""
    refund_id = (case.path_parameters or {}).get("refund_id")
    return refund_id is None or re.fullmatch(r"-?\d+", str(refund_id)) is not None


@dataclass
class _Exercise:
    """The served shop, one client per loopback address, and the statuses each got."""

    shop: PlatformShop
    valid: requests.Session = field(default_factory=lambda: _session("127.0.0.1"))
    invalid: requests.Session = field(default_factory=lambda: _session("127.0.0.2"))
    anonymous: requests.Session = field(default_factory=lambda: _session("127.0.0.3"))
    seen: dict[str, set[int]] = field(default_factory=dict)

    def operation(self, operation: Any) -> None:
        """Valid, invalid and anonymous generated requests to one operation."""
        shop, credential = self.shop, _credential(operation.path)
        names = {p.name for p in operation.path_parameters}
        positive = operation.as_strategy(GenerationMode.POSITIVE)
        known = {k: v for k, v in KNOWN.items() if k in names}
        if known:  # half of them about the financed order, the configured platform
            positive = st.one_of(
                positive, operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known)
            )

        def positive_case(case: Any) -> None:
            response = case.call(
                base_url=shop.url, headers=credential, session=self.valid, timeout=30
            )
            case.validate_response(response, checks=CHECKS, headers=credential)
            self.seen.setdefault(operation.label, set()).add(response.status_code)

        def negative_case(case: Any) -> None:
            before = written(shop)
            response = case.call(
                base_url=shop.url, headers=credential, session=self.invalid, timeout=30
            )
            if not _routed(case):  # e.g. /refunds/abc/confirm: no endpoint's URL at all
                assert response.status_code in (404, 405), response.text
                assert written(shop) == before
                return
            case.validate_response(
                response, checks=[*CHECKS, negative_data_rejection], headers=credential
            )
            if response.status_code >= 400:
                assert written(shop) == before, f"{operation.label} wrote for refused input"

        def anonymous_case(case: Any) -> None:
            before = written(shop)
            response = case.call(base_url=shop.url, session=self.anonymous, timeout=30)
            case.validate_response(response, checks=CHECKS)
            # refused for want of a credential (or throttled); an unknown platform is 404
            refused = {401, 429}
            if case.path_parameters.get("platform") != "recplus":
                refused.add(404)
            assert response.status_code in refused, (operation.label, response.status_code)
            assert written(shop) == before

        run_examples(positive, EXAMPLES, positive_case)
        if operation.body or operation.query or names:
            run_examples(operation.as_strategy(GenerationMode.NEGATIVE), EXAMPLES, negative_case)
        if credential:
            run_examples(positive, 3, anonymous_case)


@pytest.mark.slow
def test_generated_requests_match_the_document_over_real_http(
    sandbox: SandboxServer, recplus: RecPlusFakeServer, tmp_path: Path
) -> None:
    shop = build_plugin(sandbox, recplus, tmp_path)
    try:
        shop.completed_checkout()  # ORDER is financed: refunds and lookups can succeed
        schema = schemathesis.openapi.from_url(f"{shop.url}{PREFIX}/openapi.json", timeout=10)
        operations = [result.ok() for result in schema.get_all_operations()]
        # every endpoint but the document itself (schemathesis skips the URL it loaded)
        assert len(operations) == len(ENDPOINTS) - 1, [op.label for op in operations]
        exercise = _Exercise(shop)
        for operation in operations:
            exercise.operation(operation)
        # the generated requests did reach the endpoints' work, not only their refusals
        assert 200 in exercise.seen[f"GET {PREFIX}/backoffice/orders/{{order_id}}"]
        assert 200 in exercise.seen[f"GET {PREFIX}/widget/terms"]
    finally:
        shop.stop()
