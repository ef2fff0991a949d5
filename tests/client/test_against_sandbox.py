"""The client against the real sandbox over loopback: tokens, faults, and no leaks."""

from __future__ import annotations

import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dividebuy_checkout import (
    AuthenticationError,
    DivideBuyClient,
    MalformedResponseError,
    MemoryTokenStore,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestValidationError,
    ServiceUnavailableError,
)
from dividebuy_checkout.retry import RetryPolicy

SECRET = "integration-client-secret"


def make_client(sandbox, **kw) -> DivideBuyClient:
    kw.setdefault("retry", RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02))
    return DivideBuyClient(
        client_id="shop-integration",
        client_secret=kw.pop("client_secret", SECRET),
        environment="local",
        base_url=sandbox.url,
        token_store=MemoryTokenStore(),
        **kw,
    )


def token_requests(sandbox) -> int:
    return sandbox.state.token_requests


def test_16_threads_1000_calls_one_token_then_one_more_after_expiry(sandbox):
    offset = [0.0]  # the shop's clock runs with the sandbox's, moved below
    client = make_client(sandbox, clock=lambda: time.time() + offset[0])
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: client.get_terms("2000"), range(1000)))
    assert all(r.order_value == 2000 for r in results)
    assert token_requests(sandbox) == 1

    # The sandbox's clock moves past the token's life (and our leeway).
    sandbox.state.advance_clock(3600)
    offset[0] = 3600
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda _: client.get_terms("2000"), range(1000)))
    assert token_requests(sandbox) == 2


def test_revoked_token_costs_one_token_request_and_one_replay(sandbox):
    client = make_client(sandbox)
    client.get_terms("500")
    sandbox.state.revoke_tokens()
    assert client.get_terms("500").order_value == 500
    assert token_requests(sandbox) == 2


def test_second_401_raises_authentication_error(sandbox):
    client = make_client(sandbox)
    client.get_terms("500")
    with pytest.raises(AuthenticationError) as caught:
        client.get_terms("99401")  # the sandbox answers 401 to every try
    assert caught.value.status == 401
    assert token_requests(sandbox) == 2  # the first token, then exactly one fresh one


def test_wrong_secret_is_an_authentication_error(sandbox):
    client = make_client(sandbox, client_secret="wrong-secret")
    with pytest.raises(AuthenticationError, match="refused the client credentials"):
        client.get_terms("500")


@pytest.mark.parametrize(
    ("amount", "error_class", "status"),
    [
        ("99429", RateLimitedError, 429),
        ("99500", ServiceUnavailableError, 500),
        ("99503", ServiceUnavailableError, 503),
        ("99422", MalformedResponseError, 200),
    ],
)
def test_each_sandbox_fault_raises_its_error_class(sandbox, amount, error_class, status):
    client = make_client(sandbox)
    with pytest.raises(error_class) as caught:
        client.get_terms(amount)
    assert caught.value.status == status
    assert caught.value.message


def test_rate_limit_carries_retry_after(sandbox):
    client = make_client(sandbox, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(RateLimitedError) as caught:
        client.get_terms("99429")
    assert caught.value.retry_after == 1.0


def test_slow_reply_past_the_timeout_is_service_unavailable_for_reads(sandbox):
    from dividebuy_checkout.settings import Settings

    settings = Settings(
        client_id="shop-integration",
        client_secret=SECRET,
        environment="local",
        base_url=sandbox.url,
        timeout=0.1,
        max_attempts=1,
    )
    client = DivideBuyClient(settings=settings, token_store=MemoryTokenStore())
    with pytest.raises(ServiceUnavailableError, match="did not answer in time"):
        client.get_terms("99504")


def test_refund_that_times_out_after_processing_is_outcome_unknown(sandbox):
    from dividebuy_checkout.settings import Settings

    settings = Settings(
        client_id="shop-integration",
        client_secret=SECRET,
        environment="local",
        base_url=sandbox.url,
        timeout=0.1,
    )
    client = DivideBuyClient(settings=settings, token_store=MemoryTokenStore())
    sandbox.state.inject_fault("REFUND", "slow", times=1, after_processing=True)
    with pytest.raises(OutcomeUnknownError, match="Check its outcome"):
        client.refund("no-such-order", "10.00")


def test_unknown_quote_is_not_found(sandbox):
    with pytest.raises(NotFoundError) as caught:
        make_client(sandbox).get_quote("00000000-0000-0000-0000-000000000000")
    assert caught.value.status == 404


def test_rejected_quote_is_a_validation_error_with_dotted_paths(sandbox):
    with pytest.raises(RequestValidationError) as caught:
        make_client(sandbox).create_quote({"customer": {}, "order": {}})
    assert caught.value.status == 422
    assert any(path.startswith("customer.") for path in caught.value.field_errors)


def test_unreachable_sandbox_is_service_unavailable():
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = DivideBuyClient(
        client_id="x",
        client_secret=SECRET,
        environment="local",
        base_url=f"http://127.0.0.1:{port}",
        retry=RetryPolicy(max_attempts=1),
        token_store=MemoryTokenStore(),
    )
    with pytest.raises(ServiceUnavailableError, match="Could not reach DivideBuy"):
        client.get_terms("100")


def test_no_secret_or_token_reaches_logs_at_debug(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(sandbox)
    client.get_terms("2000")
    sandbox.state.revoke_tokens()
    client.get_terms("2000")
    for amount in ("99500", "99401"):
        with pytest.raises(Exception) as caught:
            client.get_terms(amount)
        caplog.records.append(logging.makeLogRecord({"msg": f"{caught.value} {caught.value!r}"}))
    token = client._auth.current_token().access_token
    assert len(caplog.records) > 4  # httpx and the client did log at DEBUG
    for record in caplog.records:
        text = record.getMessage()
        assert SECRET not in text
        assert token not in text
    assert SECRET not in repr(client) and token not in repr(client._auth.current_token())
