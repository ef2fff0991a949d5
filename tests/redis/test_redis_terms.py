"""The terms cache and circuit breaker shared through the real Redis, against the real sandbox.

"Workers" here are terms sources with their own in-process state (as separate processes
have) sharing one Redis prefix; the proof with real processes is in
test_redis_terms_processes.py.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import redis
import redis_clients
from tcp_proxy import TcpProxy

from dividebuy_checkout.errors import DivideBuyError
from dividebuy_checkout.models import RepresentativeExample, Term, Terms
from dividebuy_checkout.shared.connection import connect
from dividebuy_checkout.shared.redis_breaker import RedisCircuitBreaker
from dividebuy_checkout.shared.redis_terms import RedisTermsBackend, decode, encode
from dividebuy_checkout.terms import (
    UNAVAILABLE,
    BreakerState,
    CircuitBreaker,
    MemoryBackend,
    Stored,
    TermsSource,
)
from dividebuy_checkout.widgets import WidgetService

PRICE = Decimal("2000.00")

#: the widget's default budget; a render during a Redis outage may spend it, plus at
#: most one Redis timeout (0.1 s) before the guard stops asking, plus scheduling slack
BUDGET = 0.3
RENDER_CEILING = BUDGET + 0.1 + 0.2


def source(sandbox, redis_url: str, prefix: str) -> TermsSource:
    """A terms source as a worker builds it: everything from the client's settings."""
    return TermsSource(redis_clients.client(sandbox.url, redis_url, prefix))


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.01)


def terms_calls(sandbox) -> int:
    """``GET /terms`` requests the sandbox answered (a 401 replayed with a new token — the
    session's sandbox revokes tokens between tests — is the same call)."""
    requests = sandbox.state.snapshot()["requests"]
    return sum(1 for r in requests if r["path"] == "/terms" and r["status"] != 401)


def test_values_round_trip_as_json_with_exact_amounts():
    term = Term(
        "instalments", True, 36, Decimal("9.9"), Decimal("250.00"), Decimal("25000.00"),
        Decimal("64.33"), Decimal("64.33"), Decimal("64.33"), Decimal("2000.00"),
        Decimal("2315.88"), Decimal("315.88"),
    )  # fmt: skip
    for value in (
        Terms(PRICE, (term,)),
        Terms(PRICE, ()),
        RepresentativeExample(PRICE, 36, Decimal("9.9"), "<p>Representative</p>"),
        None,
    ):
        entry = Stored(value, 1_764_000_000.25, 300.0)
        assert decode(encode(entry)) == entry
    assert (
        json.loads(encode(Stored(Terms(PRICE, (term,)), 0.0, 1.0)))["value"]["terms"][0][
            "total_to_pay"
        ]
        == "2315.88"
    )  # amounts as exact text, never floats
    with pytest.raises(TypeError):
        encode(Stored(object(), 0.0, 1.0))
    with pytest.raises((ValueError, KeyError)):
        decode('{"value": {"kind": "pickle"}, "loaded_at": 0, "fresh_for": 1}')


def test_without_a_redis_url_each_source_keeps_its_own_state(sandbox):
    shop = redis_clients.client(sandbox.url, None, "unused:")  # type: ignore[arg-type]
    local = TermsSource(shop)
    assert type(local.breaker) is CircuitBreaker
    assert isinstance(local.terms._backend, MemoryBackend)


def test_one_workers_load_serves_every_other_worker(sandbox, redis_url, redis_prefix):
    first, second = (source(sandbox, redis_url, redis_prefix) for _ in range(2))
    assert isinstance(first.terms._backend, RedisTermsBackend)
    assert isinstance(first.breaker, RedisCircuitBreaker)

    assert first.current("2000").order_value == PRICE
    assert second.current("2000").order_value == PRICE
    assert second.within(second.terms, PRICE, time.perf_counter() + BUDGET).order_value == PRICE
    assert terms_calls(sandbox) == 1
    assert second.stats()["terms_calls"] == 0

    with redis.Redis.from_url(redis_url) as r:
        key = f"{redis_prefix}terms-cache:terms:2000.00"
        # kept as long as the cache keeps it: fresh (300 s) plus the stale window (3600 s)
        assert 3600_000 < r.pttl(key) <= 3900_000
        assert json.loads(r.get(key))["value"]["order_value"] == "2000.00"

    second.clear()  # a rate-card change in one worker: gone from Redis for every worker
    assert first.terms.peek(PRICE) is None
    with redis.Redis.from_url(redis_url) as r:
        assert not r.exists(key)


def test_concurrent_cold_misses_in_separate_workers_make_one_call(sandbox, redis_url, redis_prefix):
    sandbox.state.configure(latency=0.3)  # every worker misses while the first call runs
    workers = [source(sandbox, redis_url, redis_prefix) for _ in range(4)]
    for w in workers:
        w.current("1")  # the token and the range: not what this test counts
    before = terms_calls(sandbox)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda w: w.current("1750").order_value, workers))
    assert answers == [Decimal("1750.00")] * 4
    assert terms_calls(sandbox) - before == 1


def test_stale_figures_are_served_at_once_and_refreshed_once_for_everyone(
    sandbox, redis_url, redis_prefix
):
    first, second = (source(sandbox, redis_url, redis_prefix) for _ in range(2))
    fresh = first.current("2000")
    # As if loaded 400 s ago: past its 300 s freshness, inside the stale window.
    RedisTermsBackend(connect(redis_url, redis_prefix)).set(
        "terms:2000.00", Stored(fresh, time.time() - 400, 300.0), 3000
    )
    widgets = WidgetService(source=second, budget=BUDGET)
    assert widgets.view("2000") is not None  # the stale figures, at once
    assert second.stats()["terms_cache"]["stale_hits"] == 1
    wait_until(lambda: second.terms.snapshot()["pending"] == 0)  # the background refresh
    assert terms_calls(sandbox) == 2
    assert first.within(first.terms, PRICE, time.perf_counter()) == fresh  # fresh again
    with redis.Redis.from_url(redis_url) as r:
        stored = decode(r.get(f"{redis_prefix}terms-cache:terms:2000.00"))
    assert time.time() - stored.loaded_at < 60
    assert terms_calls(sandbox) == 2


def two_breakers(redis_url: str, prefix: str, threshold: int, now: list[float]):
    """Two workers' breakers on one Redis, on a clock the test moves (30 s reset)."""
    shared = connect(redis_url, prefix)
    return [
        RedisCircuitBreaker(
            shared, failure_threshold=threshold, reset_timeout=30, clock=lambda: now[0]
        )
        for _ in range(2)
    ]


def test_the_breaker_opens_for_every_worker_and_lets_one_trial_through(redis_url, redis_prefix):
    now = [1_764_000_000.0]
    a, b = two_breakers(redis_url, redis_prefix, 3, now)
    a.record_failure()
    b.record_failure()
    assert a.troubled and a.state is BreakerState.CLOSED
    b.record_failure()  # the third failure in a row, counted across workers
    assert a.state is BreakerState.OPEN and not a.allow() and not a.would_allow()
    assert a.times_opened == 1

    now[0] += 30
    assert a.state is BreakerState.HALF_OPEN
    assert [a.allow(), b.allow()] == [True, False]  # one trial for all workers
    a.record_success()
    assert b.state is BreakerState.CLOSED and not b.troubled and b.allow()


def test_a_trial_whose_worker_died_is_given_to_another(redis_url, redis_prefix):
    now = [1_764_000_000.0]
    a, b = two_breakers(redis_url, redis_prefix, 1, now)
    a.record_failure()
    now[0] += 30
    assert a.allow() and not b.allow()  # a claims the trial, then never reports
    now[0] += 30
    assert b.allow()


def test_failures_at_divide_buy_open_the_shared_breaker_for_every_worker(
    sandbox, redis_url, redis_prefix
):
    first, second = (source(sandbox, redis_url, redis_prefix) for _ in range(2))
    first.current("1")  # token fetched
    sandbox.state.inject_fault("TERMS", 503, times=20)
    for price in ("101", "102", "103"):
        with pytest.raises(DivideBuyError):
            first.terms.load(Decimal(price)).result(timeout=10)
    calls = terms_calls(sandbox)
    assert calls >= 3
    assert second.breaker.state is BreakerState.OPEN
    # The other worker does not call a failing DivideBuy for a new price.
    assert second.within(second.terms, Decimal("104"), time.perf_counter() + 1) is UNAVAILABLE
    assert terms_calls(sandbox) == calls
    assert second.stats()["short_circuits"] + second.stats()["terms_calls"] == 0


@pytest.mark.parametrize("outage", ["close", "black_hole"])
def test_redis_going_away_mid_run_costs_one_warning_and_no_failed_or_slow_page(
    sandbox, redis_url, redis_prefix, caplog, outage
):
    caplog.set_level(logging.INFO, logger=redis_clients.SHARED_LOGGER)
    proxy, proxied = TcpProxy.to_url(redis_url)
    try:
        terms = source(sandbox, proxied, redis_prefix)
        widgets = WidgetService(source=terms, budget=BUDGET)
        terms.current("2000")  # cached here and in Redis

        getattr(proxy, outage)()
        took, shown = [], 0
        for price in ["2000", "1500", "2000", "750", "1500", "2000", "1250"] * 3:
            started = time.perf_counter()
            shown += widgets.result(price).view.eligible
            took.append(time.perf_counter() - started)
        assert max(took) < RENDER_CEILING, took
        assert shown >= 15  # new prices load from DivideBuy without Redis
        assert terms.current("999").order_value == Decimal("999.00")  # checkout answers too
        warnings = redis_clients.warnings(caplog.records)
        assert len(warnings) == 1 and warnings[0].startswith("Shared state in Redis unavailable")

        # Back: after a back-off (a connection cut mid-command may cost one more), the
        # shared cache is used again.
        proxy.restore()
        with redis.Redis.from_url(redis_url) as r:
            for attempt in range(40):
                time.sleep(0.25)
                price = Decimal(880 + attempt)
                terms.current(price)
                if r.exists(f"{redis_prefix}terms-cache:terms:{price}.00"):
                    break
            else:
                pytest.fail("the terms cache never went back to Redis")
        assert any("is back" in r.getMessage() for r in caplog.records)
    finally:
        proxy.shutdown()
