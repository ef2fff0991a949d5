"""The widget JSON endpoint cannot burn the shop's credentials (issue 10, item 6).

Over real HTTP: a Flask app with DivideBuy mounted, served on a loopback port, asking the
session's sandbox. Clients come from different loopback addresses (127.0.0.2, 127.0.0.3…)
so the per-client limit sees different clients.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from flask import Flask
from support import serve_wsgi

from dividebuy_checkout.sandbox import SandboxServer

from .conftest import sandbox_client, widget_app

LIMITS = {
    "DIVIDEBUY_WIDGET_NEW_AMOUNTS_PER_CLIENT": "5/minute",
    "DIVIDEBUY_WIDGET_NEW_AMOUNTS_OVERALL": "8/minute",
}


@dataclass
class Shop:
    url: str
    app: Flask

    def idle(self) -> None:
        """Wait until the widgets' background DivideBuy calls have finished."""
        stats = self.app.extensions["dividebuy"].services["widgets"].stats
        deadline = time.monotonic() + 10
        while stats()["terms_cache"]["pending"] and time.monotonic() < deadline:
            time.sleep(0.02)


@pytest.fixture
def shop(sandbox: SandboxServer) -> Iterator[Callable[..., Shop]]:
    """Start a shop with *config* on a loopback port."""
    servers = []
    apps = []

    def start(**config: Any) -> Shop:
        app = widget_app(sandbox_client(sandbox.url), **{**LIMITS, **config})
        apps.append(app)
        server = serve_wsgi(app)
        servers.append(server)
        return Shop(f"http://127.0.0.1:{server.port}", app)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    for app in apps:
        app.extensions["dividebuy"].services["widgets"].close(wait=True)


def client_at(url: str, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=url, transport=transport, timeout=10)


def terms(http: httpx.Client, amount: str) -> httpx.Response:
    return http.get("/dividebuy/widget/terms", params={"amount": amount})


def calls(sandbox: SandboxServer, route: str = "TERMS") -> int:
    return int(sandbox.state.snapshot()["calls"].get(route, 0))


def test_uncached_amounts_are_limited_per_client_and_overall(shop, sandbox):
    url = shop().url
    with client_at(url, "127.0.0.2") as first, client_at(url, "127.0.0.3") as second:
        for n in range(5):
            assert terms(first, f"{1000 + n}.00").status_code == 200
        refused = terms(first, "1100.00")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["Cache-Control"] == "no-store"
        assert refused.json()["error"] == "too_many_amounts"
        assert terms(first, "1003.00").status_code == 200  # cached amounts are never limited
        for n in range(3):  # another client: its own five, but only three left overall
            assert terms(second, f"{2000 + n}.00").status_code == 200
        assert terms(second, "2100.00").status_code == 429
    assert calls(sandbox) == 8  # the overall limit: eight amounts reached DivideBuy


def status_from(url: str, address: str, amount: str) -> int:
    """One request from *address* (http.client: a cheap connection per client)."""
    port = int(url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=10, source_address=(address, 0)
    )
    try:
        connection.request("GET", f"/dividebuy/widget/terms?amount={amount}")
        return connection.getresponse().status
    finally:
        connection.close()


def test_three_hundred_anonymous_amounts_make_a_bounded_number_of_calls(shop, sandbox):
    url = shop().url
    answers: dict[int, int] = {}
    for n in range(300):  # 300 clients, each asking about one new amount
        address = f"127.0.{1 + n // 250}.{1 + n % 250}"
        status = status_from(url, address, f"{500 + n}.{n % 100:02d}")
        answers[status] = answers.get(status, 0) + 1
    assert answers == {200: 8, 429: 292}
    assert calls(sandbox) == 8


def test_amounts_outside_the_range_dividebuy_reported_are_answered_without_a_call(shop, sandbox):
    url = shop().url
    with client_at(url, "127.0.0.2") as http:
        assert terms(http, "899.00").json()["eligible"] is True  # DivideBuy reports its range
        made = calls(sandbox)
        for amount in ("99500", "99503", "99401", "99429", "15000.01", "249.99", "0"):
            response = terms(http, amount)
            assert response.status_code == 200, amount
            assert response.json() == {
                "eligible": False,
                "amount": response.json()["amount"],
                "state": "ineligible",
            }
    assert calls(sandbox) == made  # none of them reached DivideBuy, none was limited


@pytest.mark.parametrize(
    "amount", ["1,000", "£100", " 100", "1e3", "0x10", "100.", ".5", "1_000", "١٠٠"]
)
def test_only_plain_pounds_are_amounts(shop, sandbox, amount):
    with client_at(shop().url, "127.0.0.2") as http:
        response = terms(http, amount)
    assert response.status_code == 400
    assert list(response.json()["field_errors"]) == ["amount"]
    assert calls(sandbox) == 0


def test_amounts_dividebuy_refuses_never_open_the_breaker_and_are_remembered(shop, sandbox):
    url = shop(
        DIVIDEBUY_WIDGET_NEW_AMOUNTS_OVERALL=None, DIVIDEBUY_WIDGET_NEW_AMOUNTS_PER_CLIENT=None
    ).url
    sandbox.state.inject_fault("TERMS", 422, times=5)  # DivideBuy refuses the next five
    with client_at(url, "127.0.0.2") as http:
        for n in range(5):  # more than the breaker's threshold (3)
            body = terms(http, f"{700 + n}.00").json()
            assert body["eligible"] is False and body["state"] == "ineligible"
        made = calls(sandbox)
        assert terms(http, "700.00").json()["state"] == "ineligible"
        assert calls(sandbox) == made  # the refusal is kept for that amount
        assert terms(http, "899.00").json()["state"] == "shown"  # the breaker did not open
    assert calls(sandbox) == made + 1


def test_dividebuy_failing_does_open_the_breaker(shop, sandbox):
    started = shop(DIVIDEBUY_WIDGET_NEW_AMOUNTS_OVERALL=None)
    sandbox.state.inject_fault("TERMS", 503, times=1000)
    with client_at(started.url, "127.0.0.2") as http:
        for n in range(5):
            assert terms(http, f"{800 + n}.00").json()["state"] == "unavailable"
        started.idle()  # the calls already under way finish their retries
        made = calls(sandbox)
        for n in range(3):
            assert terms(http, f"{900 + n}.00").headers["Cache-Control"] == "no-store"
    assert calls(sandbox) == made  # open: nothing more was sent


def test_the_example_is_fetched_only_when_an_interest_bearing_term_is_shown(shop, sandbox):
    with client_at(shop().url, "127.0.0.2") as http:
        assert terms(http, "899.00").json()["state"] == "shown"  # interest-free terms only
        assert calls(sandbox, "REPRESENTATIVE_EXAMPLE") == 0
        assert terms(http, "2000.00").json()["example"] is not None
        assert calls(sandbox, "REPRESENTATIVE_EXAMPLE") == 1
