"""Operations, error mapping, retries and the never-retried money calls."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import httpx
import pytest

from dividebuy_checkout import (
    ConflictError,
    DivideBuyClient,
    MalformedResponseError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestValidationError,
    ServiceUnavailableError,
    SettlementOrder,
)
from dividebuy_checkout.settings import ConfigurationError

from .conftest import SECRET
from .fake_api import json_body

QUOTE_BODY = {
    "status_code": 200,
    "message": "Quote details retrieved successfully.",
    "data": {
        "quote": {
            "id": "95348d6c",
            "status": "Completed",
            "retailer_order_id": 9925650,
            "retailer_order_ref": "ABC-012345",
            "order_amount": 2000,
            "upfront_payment": 500,
            "credit_amount": 1500,
            "term": 24,
            "interest_rate": 9.9,
            "decision": "APPROVED",
            "order_ref_id": "DB123",
        }
    },
}


def test_terms_are_typed_with_decimal_money(client, api):
    terms = client.get_terms(Decimal("2000.00"))
    term = terms.available[0]
    assert term.regular_instalment_cost == Decimal("166.67")
    assert isinstance(term.total_to_pay, Decimal)
    assert term.interest_free
    assert api.api_requests[0].url.params["amount"] == "2000.00"


@pytest.mark.parametrize("amount", [Decimal("149.99"), "149.99", 149])
def test_amounts_may_be_decimal_str_or_int(client, api, amount):
    client.get_terms(amount)
    assert api.api_requests[-1].url.params["amount"] in ("149.99", "149.00")


def test_float_amounts_are_refused_before_any_call(client, api):
    with pytest.raises(ValueError, match="float"):
        client.get_terms(149.99)  # type: ignore[arg-type]
    assert api.api_requests == []


def test_quote_money_is_encoded_exactly_never_through_float(client, api):
    api.queue(
        httpx.Response(
            200,
            json={"status_code": 200, "data": {"requested_quote": {"id": "q1", "decision": None}}},
        )
    )
    client.create_quote({"order": {"total": Decimal("0.10"), "subtotal": Decimal("1234567.89")}})
    raw = api.api_requests[-1].content.decode()
    assert '"total":0.10' in raw and '"subtotal":1234567.89' in raw


def test_get_quote_reads_the_documented_shape(client, api):
    api.queue(httpx.Response(200, json=QUOTE_BODY))
    quote = client.get_quote("95348d6c")
    assert quote.is_completed and not quote.is_pending
    assert quote.retailer_order_id == "9925650"
    assert quote.credit_amount == Decimal("1500.00")
    assert quote.order_ref_id == "DB123"


def test_an_unknown_quote_status_is_pending_never_paid(client, api):
    body = {"data": {"quote": {**QUOTE_BODY["data"]["quote"], "status": "Mystery"}}}
    api.queue(httpx.Response(200, json=body))
    quote = client.get_quote("95348d6c")
    assert quote.is_pending and not quote.is_completed


def test_settle_sends_many_orders_in_one_call(client, api):
    api.queue(httpx.Response(200, json={"status": 200}))
    rows = [SettlementOrder(f"DB{i}", str(i), f"R{i}", date(2026, 11, 20)) for i in range(3)]
    client.settle(rows)
    body = json_body(api.api_requests[-1])
    assert len(body["orders"]) == 3
    assert body["orders"][0] == {
        "order_ref_id": "DB0",
        "retailer_order_id": "0",
        "retailer_order_ref": "R0",
        "date_of_delivery": "2026-11-20",
    }


def test_partial_and_full_refunds(client, api):
    created = {
        "status_code": 201,
        "data": {"refund": {"id": "r1", "amount": 150, "refund_type": "PARTIAL"}},
    }
    api.queue(httpx.Response(201, json=created), httpx.Response(201, json=created))
    refund = client.refund("ORDER/1", Decimal("150.00"))
    assert refund.amount == Decimal("150.00") and refund.refund_type == "PARTIAL"
    assert api.api_requests[-1].url.raw_path == b"/orders/ORDER%2F1/refunds"
    assert json_body(api.api_requests[-1]) == {"amount": 150.00}
    client.refund("9")
    assert json_body(api.api_requests[-1]) == {}


def test_validation_errors_carry_dotted_field_paths(client, api):
    api.queue(
        httpx.Response(
            422,
            json={
                "message": "The given data was invalid.",
                "errors": {"customer.address.town": ["The town may not exceed 25 characters."]},
            },
            headers={"X-Request-Id": "req-42"},
        )
    )
    with pytest.raises(RequestValidationError) as caught:
        client.create_quote({})
    error = caught.value
    assert error.status == 422 and error.request_id == "req-42"
    assert error.field_errors == {
        "customer.address.town": ["The town may not exceed 25 characters."]
    }


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(404, NotFoundError), (409, ConflictError), (400, ConflictError)],
)
def test_error_statuses_map_to_the_hierarchy(client, api, status, error_class):
    api.queue(httpx.Response(status, json={"status_code": status, "message": "Nope."}))
    with pytest.raises(error_class) as caught:
        client.get_quote("x")
    assert caught.value.status == status and caught.value.message == "Nope."


def test_reads_are_retried_on_5xx_with_backoff(client, api, sleeps):
    api.queue(httpx.Response(503), httpx.Response(500))
    assert client.get_terms("10").order_value == 2000
    assert len(sleeps) == 2 and all(0 <= s <= 0.05 for s in sleeps)


def test_retry_after_is_honoured_on_429(client, api, sleeps):
    api.queue(httpx.Response(429, headers={"Retry-After": "2"}))
    client.get_terms("10")
    assert sleeps == [2.0]


def test_rate_limit_that_persists_raises_with_retry_after(client, api):
    api.queue(*[httpx.Response(429, headers={"Retry-After": "1"}) for _ in range(3)])
    with pytest.raises(RateLimitedError) as caught:
        client.get_terms("10")
    assert caught.value.retry_after == 1.0 and caught.value.status == 429


def test_unreachable_divide_buy_is_service_unavailable(client, api, sleeps):
    api.queue(*[httpx.ConnectError("refused") for _ in range(3)])
    with pytest.raises(ServiceUnavailableError, match="Could not reach"):
        client.get_terms("10")
    assert len(sleeps) == 2


def test_settlement_is_retried_after_a_read_timeout(client, api):
    api.queue(httpx.ReadTimeout("slow"), httpx.Response(200, json={"status": 200}))
    client.settle([SettlementOrder("DB1", "1", "R1", date(2026, 11, 20))])
    assert len(api.api_requests) == 2


@pytest.mark.parametrize(
    "reply",
    [
        httpx.ReadTimeout("slow"),
        httpx.Response(500, json={"message": "boom"}),
        httpx.Response(201, content=b"<html>not json"),
        httpx.Response(201, json={"data": {"nothing": True}}),
    ],
    ids=["timeout", "500", "not-json", "wrong-shape"],
)
def test_refund_with_unknown_outcome_is_never_retried(client, api, reply):
    api.queue(reply)
    with pytest.raises(OutcomeUnknownError, match="Check its outcome before trying again"):
        client.refund("1", "10.00")
    assert len(api.api_requests) == 1


def test_create_quote_timeout_is_outcome_unknown_and_not_retried(client, api):
    api.queue(httpx.ReadTimeout("slow"))
    with pytest.raises(OutcomeUnknownError):
        client.create_quote({"order": {}})
    assert len(api.api_requests) == 1


def test_create_quote_refused_by_rate_limit_is_resent(client, api):
    ok = {"status_code": 200, "data": {"requested_quote": {"id": "q1", "decision": "APPROVED"}}}
    api.queue(httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200, json=ok))
    assert client.create_quote({}).id == "q1"


def test_malformed_read_raises_malformed_response(client, api):
    api.queue(*[httpx.Response(200, json={"unexpected": 1}) for _ in range(3)])
    with pytest.raises(MalformedResponseError):
        client.get_terms("10")


def test_missing_credentials_are_a_clear_error_at_construction():
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_CLIENT_SECRET"):
        DivideBuyClient(client_id="only-an-id")


def test_unknown_environment_is_a_clear_error():
    with pytest.raises(ConfigurationError, match="live, sandbox, local"):
        DivideBuyClient(client_id="a", client_secret="b", environment="prod")


def test_from_env_reads_the_documented_names(monkeypatch):
    monkeypatch.setenv("DIVIDEBUY_CLIENT_ID", "env-id")
    monkeypatch.setenv("DIVIDEBUY_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("DIVIDEBUY_ENVIRONMENT", "live")
    with DivideBuyClient.from_env() as client:
        assert client.settings.client_id == "env-id"
        assert client.settings.resolved_base_url == "https://api.dividebuy.co.uk"
    # (a loopback base URL with live is refused since issue 9: see tests/client/test_settings.py)
    with DivideBuyClient.from_env(base_url="https://proxy.example/") as client:
        assert client.settings.resolved_base_url == "https://proxy.example"


def test_user_agent_names_the_package_and_version(client, api):
    from dividebuy_checkout import __version__

    client.get_terms("10")
    assert api.api_requests[0].headers["User-Agent"].startswith(f"dividebuy-checkout/{__version__}")


def test_no_secret_or_token_in_logs_reprs_or_errors(client, api, caplog):
    caplog.set_level(logging.DEBUG)
    client.get_terms("10")
    api.revoke_all()
    client.get_terms("10")
    api.queue(httpx.Response(500, json={"message": "boom"}))
    try:
        client.refund("1", "5.00")
    except OutcomeUnknownError as exc:
        error_text = f"{exc} {exc!r}"
    issued = "tok-1-secretvalue"
    texts = [record.getMessage() for record in caplog.records]
    texts += [repr(client), repr(client.settings), str(client.settings), error_text]
    texts += [repr(client._auth), repr(client._auth.current_token())]
    assert any("GET /terms -> 200" in text for text in texts)  # logging did happen
    for text in texts:
        assert SECRET not in text
        assert issued not in text and "secretvalue" not in text
