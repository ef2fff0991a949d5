"""The project's own DivideBuyClient against the sandbox: the two halves of WIRE.md agree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dividebuy_checkout import (
    DivideBuyClient,
    MemoryTokenStore,
    RateLimitedError,
    RequestValidationError,
    ServiceUnavailableError,
    SettlementOrder,
)

from .helpers import quote_payload


@pytest.fixture
def client(sandbox):
    with DivideBuyClient(
        "shop-client-id",
        "shop-client-secret",
        environment="local",
        base_url=sandbox.url,
        token_store=MemoryTokenStore(),
        sleep=lambda _seconds: None,
    ) as client:
        yield client


def test_a_whole_checkout_through_the_client(client, sandbox, http):
    assert client.get_terms("2000.00").order_value == Decimal("2000.00")
    example = client.get_representative_example("2000.00", 12)
    assert example.term == 12 and "£166.67" in example.html
    requested = client.create_quote(quote_payload())
    assert requested.decision == "APPROVED"
    http.post(f"{requested.checkout_url}/complete")
    quote = client.get_quote(requested.id)
    assert quote.status == "Completed" and quote.order_ref_id
    client.settle([SettlementOrder(quote.order_ref_id, "1001", "SHOP-1001", date.today())])
    refund = client.refund("1001", "150.00")
    assert refund.refund_type == "PARTIAL" and refund.amount == Decimal("150.00")
    assert client.refund("1001").refund_type == "FULL"
    assert sandbox.state.token_requests == 1  # one token served the whole journey


def test_the_client_refreshes_a_revoked_token_once(client, sandbox):
    client.get_terms("2000.00")
    sandbox.state.revoke_tokens()
    client.get_terms("2000.00")
    assert sandbox.state.token_requests == 2


def test_client_sees_field_errors(client):
    with pytest.raises(RequestValidationError) as caught:
        client.create_quote(quote_payload(order__selected_instalment_term=7))
    assert "order.selected_instalment_term" in caught.value.field_errors


def test_client_retries_a_rate_limit_then_gives_up(client, sandbox):
    with pytest.raises(RateLimitedError):
        client.get_terms("99429")
    assert sandbox.state.snapshot()["calls"]["TERMS"] > 1  # retried before giving up


def test_client_reports_a_malformed_reply(client):
    with pytest.raises(ServiceUnavailableError):
        client.get_terms("99422")
