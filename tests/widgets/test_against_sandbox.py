"""The widget service against the real sandbox on loopback (HTTP, tokens, faults, latency)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from dividebuy_checkout.client import DivideBuyClient
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.widgets import WidgetOutcome, WidgetService

from .conftest import sandbox_client
from .test_viewmodel import SPREAD

BUDGET = 0.3


@pytest.fixture
def client(sandbox: SandboxServer) -> Iterator[DivideBuyClient]:
    with sandbox_client(sandbox.url) as client:
        yield client


@pytest.fixture
def service(client: DivideBuyClient) -> Iterator[WidgetService]:
    svc = WidgetService(client, budget=2.0)  # generous: these tests are about figures
    yield svc
    svc.close(wait=True)


def calls(sandbox: SandboxServer, route: str) -> int:
    return int(sandbox.state.snapshot()["calls"].get(route, 0))


@pytest.mark.parametrize("amount", SPREAD)
def test_figures_are_dividebuys_to_the_penny(service, client, amount):
    view = service.view(amount)
    terms = client.get_terms(amount)
    assert view is not None
    returned = {t.months_in_term: t for t in terms.available}
    assert [t.months for t in view.terms] == sorted(returned)
    for shown in view.terms:
        term = returned[shown.months]
        assert (shown.first, shown.regular, shown.final) == (
            term.first_instalment_cost,
            term.regular_instalment_cost,
            term.final_instalment_cost,
        )
        assert shown.total_payable == term.total_to_pay
        assert shown.interest == term.total_interest
        assert shown.first + shown.regular * (shown.months - 2) + shown.final == term.total_to_pay
    assert view.headline.regular == min(t.regular_instalment_cost for t in terms.available)
    if any(not t.interest_free for t in view.terms):
        headline = view.headline
        assert view.example is not None
        assert f"total amount payable is £{headline.total_payable:,.2f}" in view.example.text


def test_fifty_concurrent_renders_make_one_call(service, sandbox):
    sandbox.state.configure(latency=0.2)  # all fifty arrive while the first call is out
    start = threading.Barrier(50)
    views = []

    def render() -> None:
        start.wait()
        views.append(service.view("1234.56"))

    threads = [threading.Thread(target=render) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(views) == 50 and all(v is not None and v == views[0] for v in views)
    assert calls(sandbox, "TERMS") == 1
    assert calls(sandbox, "REPRESENTATIVE_EXAMPLE") == 1


def test_a_slow_dividebuy_costs_a_render_the_budget_at_most(client, sandbox):
    sandbox.state.configure(latency=1.0)
    service = WidgetService(client, budget=BUDGET)
    try:
        started = time.perf_counter()
        assert service.view("899.00") is None
        assert time.perf_counter() - started < 2 * BUDGET
        for _ in range(200):  # the call carries on in the background and fills the cache
            if service.stats()["terms_cache"]["size"]:
                break
            time.sleep(0.02)
        assert service.view("899.00") is not None
    finally:
        service.close(wait=True)


def test_while_dividebuy_fails_the_breaker_stops_calling_it(client, sandbox):
    sandbox.state.inject_fault("TERMS", 503, times=1000)
    service = WidgetService(client, budget=BUDGET, failure_threshold=3)
    try:
        for n in range(10):
            result = service.result(f"{500 + n}.00")
            assert result.outcome is WidgetOutcome.UNAVAILABLE
        deadline = time.perf_counter() + 5
        while service.stats()["breaker"] != "open" and time.perf_counter() < deadline:
            time.sleep(0.02)
        assert service.stats()["breaker"] == "open"
        while service.stats()["terms_cache"]["pending"] and time.perf_counter() < deadline:
            time.sleep(0.02)  # calls started before it opened finish their retries
        before = calls(sandbox, "TERMS")
        started = time.perf_counter()
        for n in range(50):
            assert service.view(f"{700 + n}.00") is None
        assert time.perf_counter() - started < BUDGET  # fifty renders, no waiting
        assert calls(sandbox, "TERMS") == before
    finally:
        service.close(wait=True)
