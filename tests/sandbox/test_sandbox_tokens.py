"""Tokens: issued for client credentials, required everywhere else, expiring server-side."""

from __future__ import annotations

import pytest

from dividebuy_checkout import routes
from dividebuy_checkout.sandbox import SandboxConfig, SandboxServer

from .helpers import BASIC, Api, token_request


def test_token_is_issued_for_client_credentials(http, sandbox):
    response = token_request(http)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 32
    assert response.headers["Cache-Control"] == "no-store"
    # Tokens are random: a second one differs.
    assert token_request(http).json()["access_token"] != body["access_token"]


def test_wrong_secret_is_refused(http):
    response = token_request(http, auth=("shop", "wrong-secret"))
    assert response.status_code == 401
    assert response.json() == {"status_code": 401, "message": "Invalid client credentials."}


def test_missing_basic_credentials_are_refused(http):
    response = http.post(routes.TOKEN.path, json={"grant_type": "client_credentials"})
    assert response.status_code == 401


def test_other_grant_types_are_refused(http):
    response = token_request(http, grant_type="password")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_token_requests_are_counted(http, sandbox):
    for _ in range(3):
        token_request(http)
    token_request(http, auth=("shop", "wrong-secret"))
    assert sandbox.state.token_requests == 4
    assert http.get("/_sandbox/state").json()["token_requests"] == 4


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic c2hvcDpzZWNyZXQ="}],
    ids=["none", "unknown", "basic"],
)
def test_every_api_route_needs_a_valid_bearer_token(http, headers):
    for route, url in [
        (routes.TERMS, "/terms?amount=2000.00"),
        (routes.REPRESENTATIVE_EXAMPLE, "/representative-example?amount=2000&term=12"),
        (routes.CREATE_QUOTE, routes.CREATE_QUOTE.path),
        (routes.GET_QUOTE, routes.GET_QUOTE.format(quote_id="x")),
        (routes.SETTLE, routes.SETTLE.path),
        (routes.REFUND, routes.REFUND.format(retailer_order_id="1")),
    ]:
        response = http.request(route.method, url, headers=headers, json={})
        assert response.status_code == 401, route
        assert response.json() == {"status_code": 401, "message": "Unauthenticated."}


def test_token_expires_server_side(api, http):
    assert api.terms("2000.00").status_code == 200
    http.post("/_sandbox/clock", json={"advance": 3599})
    assert api.terms("2000.00").status_code == 200
    http.post("/_sandbox/clock", json={"advance": 2})
    assert api.terms("2000.00").status_code == 401
    assert Api.login(http).terms("2000.00").status_code == 200


def test_token_lifetime_is_configurable_at_run_time(http):
    assert http.post("/_sandbox/config", json={"token_lifetime": 60}).status_code == 200
    assert token_request(http).json()["expires_in"] == 60
    api = Api.login(http)
    http.post("/_sandbox/clock", json={"advance": 61})
    assert api.terms("2000.00").status_code == 401


def test_revoking_tokens_forces_a_401_on_the_next_call(api, http):
    assert api.terms("2000.00").status_code == 200
    assert http.post("/_sandbox/tokens/revoke").json() == {"revoked": 1}
    assert api.terms("2000.00").status_code == 401


def test_configured_credentials_accept_only_those_clients():
    config = SandboxConfig(credentials={"retailer-7": "s3cret"})
    assert "s3cret" not in repr(config)
    with SandboxServer(config=config) as server:
        import httpx

        with httpx.Client(base_url=server.url) as http:
            assert token_request(http, auth=("retailer-7", "s3cret")).status_code == 200
            assert token_request(http, auth=("retailer-7", "nope")).status_code == 401
            assert token_request(http, auth=BASIC).status_code == 401
