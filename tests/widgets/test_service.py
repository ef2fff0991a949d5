"""WidgetService: one DivideBuy call per price, a strict budget, and no errors in the page."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from dividebuy_checkout.errors import RequestValidationError
from dividebuy_checkout.money import MoneyError
from dividebuy_checkout.widgets import WidgetOutcome, WidgetService

from .helpers import DOWN, wait_idle

BUDGET = 0.3


@pytest.fixture
def service(client, clock) -> Iterator[WidgetService]:
    svc = WidgetService(client, budget=BUDGET, terms_ttl=300, stale_ttl=3600, clock=clock)
    yield svc
    if client.gate is not None:
        client.gate.set()
    svc.close(wait=True)


def idle(service: WidgetService) -> None:
    wait_idle(service.stats)


def test_a_widget_for_an_eligible_price(service):
    view = service.view("2000.00")
    assert view is not None
    assert view.headline_text == "or 36 × £63.54 at 9.9% APR representative"
    assert view.example is not None and view.example.months == 36


def test_fifty_concurrent_renders_of_a_new_price_make_one_call_each(service, client):
    client.gate = threading.Event()
    start = threading.Barrier(51)
    views = []

    def render() -> None:
        start.wait()
        views.append(service.view("1749.00"))

    threads = [threading.Thread(target=render) for _ in range(50)]
    for thread in threads:
        thread.start()
    start.wait()
    time.sleep(0.05)
    client.gate.set()
    for thread in threads:
        thread.join(10)
    assert client.terms_calls == [Decimal("1749.00")]
    assert client.example_calls == [(Decimal("1749.00"), 36)]
    assert len(views) == 50
    assert all(view is not None and view == views[0] for view in views)


def test_cached_prices_make_no_calls(service, client):
    for _ in range(100):
        service.view("899.00")
    assert client.terms_calls == [Decimal("899.00")]
    assert client.example_calls == []  # interest-free only: no example needed


def test_a_render_never_waits_longer_than_the_budget(service, client):
    client.gate = threading.Event()
    started = time.perf_counter()
    assert service.view("2000.00") is None
    assert time.perf_counter() - started < 2 * BUDGET
    assert service.result("2000.00").outcome is WidgetOutcome.UNAVAILABLE
    client.gate.set()
    idle(service)
    service.view("2000.00")  # the example is loaded now the terms are known
    idle(service)
    assert service.view("2000.00") is not None
    assert client.terms_calls == [Decimal("2000.00")]


def test_while_a_call_is_overdue_new_prices_do_not_wait(service, client):
    client.gate = threading.Event()
    assert service.view("500.00") is None  # waits the budget, once
    started = time.perf_counter()
    for price in ("600.00", "700.00", "800.00"):
        assert service.view(price) is None
    assert time.perf_counter() - started < BUDGET  # three renders, not one budget each
    client.gate.set()
    idle(service)
    assert service.view("700.00") is not None  # loaded in the background meanwhile


def test_dividebuy_down_renders_nothing_and_never_raises(service, client):
    client.fail = DOWN
    assert service.view("2000.00") is None
    assert service.result("2000.00").outcome is WidgetOutcome.UNAVAILABLE
    assert not service.result("2000.00").cacheable


def test_the_breaker_stops_calls_while_dividebuy_fails(service, client, clock):
    client.fail = DOWN
    for n in range(20):
        assert service.view(f"{300 + n}.00") is None
    idle(service)
    assert service.stats()["breaker"] == "open"
    # the failure threshold (3), give or take the calls already under way on the 4 workers
    assert 3 <= len(client.terms_calls) < 3 + 4
    made = len(client.terms_calls)
    for n in range(20):
        assert service.view(f"{400 + n}.00") is None
    idle(service)
    assert len(client.terms_calls) == made  # no more calls while it is open
    started = time.perf_counter()
    assert service.view("999.00") is None
    # A render that waited would take the whole budget; under load a render may be slow, not wait.
    assert time.perf_counter() - started < BUDGET
    client.fail = None
    clock.advance(30)  # the reset timeout: one trial call (in the background), which succeeds
    service.view("999.00")
    idle(service)
    assert service.stats()["breaker"] == "closed"
    assert service.view("999.00") is not None
    assert len(client.terms_calls) == made + 1


def test_cached_figures_are_still_shown_while_the_breaker_is_open(service, client, clock):
    assert service.view("899.00") is not None
    clock.advance(301)  # stale
    client.fail = DOWN
    for n in range(5):
        service.view(f"{400 + n}.00")
    idle(service)
    assert service.stats()["breaker"] == "open"
    view = service.view("899.00")
    assert view is not None and view.headline.regular == Decimal("74.92")


def test_stale_terms_are_served_and_refreshed_once(service, client, clock):
    service.view("899.00")
    clock.advance(301)
    client.gate = threading.Event()
    assert service.view("899.00") is not None  # stale, at once
    assert service.view("899.00") is not None
    client.gate.set()
    idle(service)
    assert client.terms_calls == [Decimal("899.00")] * 2


def test_without_the_example_only_interest_free_terms_are_shown(service, client):
    client.example_fail = DOWN
    result = service.result("2000.00")
    assert result.outcome is WidgetOutcome.PARTIAL
    assert not result.cacheable
    assert all(term.interest_free for term in result.view.terms)
    assert result.view.headline_text == "or 12 × £166.67 interest-free"


def test_dividebuy_refusing_the_amount_is_an_answer_not_a_failure(service, client):
    client.fail = RequestValidationError("no", field_errors={"amount": ["too small"]}, status=422)
    for _ in range(5):
        assert service.result("10.00").outcome is WidgetOutcome.INELIGIBLE
    assert client.terms_calls == [Decimal("10.00")]  # cached like any other answer
    assert service.stats()["breaker"] == "closed"


def test_a_bad_amount_is_the_callers_error(service):
    with pytest.raises(MoneyError):
        service.view(19.99)  # a float never carries money
    with pytest.raises(MoneyError):
        service.view("12.345")


def test_warm_loads_each_distinct_price_once(service, client):
    report = service.warm(["100.00", "899.00", "899", "2000.00", Decimal("20000")])
    assert report.prices == 4
    assert report.eligible == 2
    assert report.failed == ()
    assert sorted(client.terms_calls) == [Decimal(p) for p in ("100", "899", "2000", "20000")]
    assert client.example_calls == [(Decimal("2000.00"), 36)]
    before = (len(client.terms_calls), len(client.example_calls))
    assert service.view("2000.00") is not None and service.view("899.00") is not None
    assert (len(client.terms_calls), len(client.example_calls)) == before


def test_stats_count_renders_and_calls(service, client):
    service.view("899.00")
    service.view("899.00")
    service.view("100.00")
    stats = service.stats()
    assert stats["renders"] == 3
    assert stats["shown"] == 2 and stats["ineligible"] == 1
    assert stats["terms_calls"] == 2
    assert stats["terms_cache"]["fresh_hits"] == 1


def test_after_a_failure_new_prices_do_not_wait_for_dividebuy(service, client):
    client.fail = DOWN
    assert service.view("500.00") is None  # fails fast; the breaker has seen one failure
    client.fail = None
    client.gate = threading.Event()  # DivideBuy now slow
    started = time.perf_counter()
    assert service.view("600.00") is None
    assert time.perf_counter() - started < BUDGET / 2  # not waiting: loading in the background
    client.gate.set()
    idle(service)
    assert service.view("600.00") is not None  # that load succeeded, and cleared the trouble
    assert not service.breaker.troubled
