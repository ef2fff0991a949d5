"""The connection cap (seed 000:63, ADAPTERS §4.1, DV-T2, DV-T3) over real loopback HTTP:
the fake counts in-flight requests per account (the token call included) and answers the
one over its cap with the throttling error; the source's pool keeps under it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dividebuy_checkout.integrations.divendo import DivendoOrderSource
from dividebuy_checkout.integrations.divendo.fake import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DivendoFakeConfig,
    DivendoFakeServer,
)

from dividebuy_checkout.orders import Order, OrderSourceUnavailable
from dividebuy_checkout.retry import RetryPolicy

LATENCY = 0.02


@pytest.fixture
def divendo() -> Iterator[DivendoFakeServer]:
    with DivendoFakeServer(config=DivendoFakeConfig(latency=LATENCY, slow_seconds=1.0)) as server:
        yield server


@pytest.fixture
def make_source(divendo: DivendoFakeServer) -> Iterator[Callable[..., DivendoOrderSource]]:
    made: list[DivendoOrderSource] = []

    def make(**kwargs: Any) -> DivendoOrderSource:
        kwargs.setdefault("timeout", 5.0)
        source = DivendoOrderSource(divendo.url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, **kwargs)
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


def _together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run *calls* in threads started together; each result, or the exception it raised."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:  # collected: the tests assert on every outcome
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_fifty_concurrent_reads_never_exceed_the_default_two_connections(make_source, divendo):
    source = make_source()  # the default: 2 per process
    assert source.transport.max_connections == 2
    results = _together([lambda: source.get_order("ord-uk-1")] * 50)
    assert all(isinstance(r, Order) for r in results), [
        r for r in results if not isinstance(r, Order)
    ]
    state = divendo.state
    assert state.peak_in_flight[DEFAULT_CLIENT_ID] <= 2
    assert state.peak_connections <= 3  # a closing connection may overlap the next one's open
    assert state.throttled == 0
    assert state.calls["ORDER_GET"] == 50 and state.token_requests == 1
    assert state.in_flight() == 0


def test_five_connections_with_the_token_call_in_flight_stay_under_the_accounts_five(
    make_source, divendo
):
    source = make_source(max_connections=5)
    results = _together([lambda: source.get_order("ord-contact-only")] * 10)
    assert all(isinstance(r, Order) for r in results)
    assert divendo.state.peak_in_flight[DEFAULT_CLIENT_ID] <= 5
    assert divendo.state.throttled == 0
    # the token request was counted against the same account as the reads
    assert divendo.state.calls["TOKEN"] == 1 and divendo.state.calls["CONTACT_GET"] == 10


def test_the_fake_answers_the_call_over_its_cap_with_the_throttling_error(make_source, divendo):
    """A pool larger than the account allows (here the fake allows 2): refusals, retried."""
    divendo.state.configure(max_connections=2, latency=0.05)
    source = make_source(max_connections=5, retry=RetryPolicy(max_attempts=6, base_delay=0.05))
    results = _together([lambda: source.get_order("ord-uk-1")] * 15)
    assert divendo.state.throttled > 0
    assert divendo.state.peak_in_flight[DEFAULT_CLIENT_ID] > 2  # it counts the refused too
    for result in results:
        assert isinstance(result, Order | OrderSourceUnavailable), result
        if isinstance(result, OrderSourceUnavailable):
            assert result.status == 429
    assert sum(isinstance(r, Order) for r in results) >= 10


def test_two_processes_at_the_default_fit_the_account_and_at_three_do_not(make_source, divendo):
    """Why the default is 2: two workers × 2 ≤ 5; two workers × 3 > 5 draws refusals."""
    first, second = make_source(), make_source()
    calls = [lambda: first.get_order("ord-uk-1")] * 10 + [lambda: second.get_order("ord-uk-1")] * 10
    assert all(isinstance(r, Order) for r in _together(calls))
    assert divendo.state.peak_in_flight[DEFAULT_CLIENT_ID] <= 4 and divendo.state.throttled == 0

    divendo.state.configure(latency=0.1)
    divendo.state.reset_peaks()
    retry = RetryPolicy(max_attempts=8, base_delay=0.05)
    third, fourth = (
        make_source(max_connections=3, retry=retry),
        make_source(max_connections=3, retry=retry),
    )
    calls = [lambda: third.get_order("ord-uk-1")] * 12 + [lambda: fourth.get_order("ord-uk-1")] * 12
    results = _together(calls)
    assert divendo.state.throttled > 0
    assert all(isinstance(r, Order | OrderSourceUnavailable) for r in results)


def test_a_slow_order_holding_every_connection_makes_the_next_read_busy_not_hang(
    make_source, divendo
):
    """DV-T3: the pool's wait is bounded by the pool timeout, and it is not retried."""
    source = make_source(max_connections=2, pool_timeout=0.2)
    assert source.get_order("ord-uk-1") is not None  # the token is cached first
    holders = [threading.Thread(target=source.get_order, args=("slow",)) for _ in range(2)]
    for holder in holders:
        holder.start()
    deadline = time.monotonic() + 5
    while divendo.state.in_flight() < 2:
        assert time.monotonic() < deadline, "the slow reads never arrived"
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(OrderSourceUnavailable, match="Divendo is busy") as caught:
        source.get_order("ord-uk-1")
    waited = time.monotonic() - started
    assert 0.15 <= waited < 0.9
    assert not caught.value.config_problem
    assert "DIVIDEBUY_DIVENDO_MAX_CONNECTIONS" in (caught.value.detail or "")
    for holder in holders:
        holder.join(timeout=5)
    assert divendo.state.peak_in_flight[DEFAULT_CLIENT_ID] == 2
    assert source.get_order("ord-uk-1") is not None  # free again afterwards


def test_one_connection_still_refreshes_a_revoked_token(make_source, divendo):
    """The refused call's connection is given back before the new token is fetched."""
    source = make_source(max_connections=1, pool_timeout=0.5)
    assert source.get_order("ord-uk-1") is not None
    divendo.state.revoke_tokens()
    assert source.get_order("ord-uk-1") is not None
    assert divendo.state.token_requests == 2
    assert divendo.state.peak_in_flight[DEFAULT_CLIENT_ID] == 1
