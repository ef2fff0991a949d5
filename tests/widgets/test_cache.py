"""SWRCache: single flight, stale-while-revalidate, bounded size and a wait budget."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from dividebuy_checkout.terms import BudgetExceeded, CacheMiss, SWRCache

from .helpers import FakeClock


class Loader:
    """Counts loads; returns "<key>#<n>"; can block on ``gate`` or raise ``fail``."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gate: threading.Event | None = None
        self.fail: Exception | None = None
        self.done = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, key: str) -> str:
        with self._lock:
            self.calls.append(key)
            n = len(self.calls)
        if self.gate is not None:
            self.gate.wait(10)
        try:
            if self.fail is not None:
                raise self.fail
            return f"{key}#{n}"
        finally:
            self.done.set()


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    executor = ThreadPoolExecutor(max_workers=4)
    yield executor
    executor.shutdown(wait=True, cancel_futures=True)


def make(pool, loader, clock=None, **kw) -> SWRCache:
    return SWRCache(loader, ttl=60, stale_ttl=600, executor=pool, clock=clock or FakeClock(), **kw)


def settle(cache: SWRCache) -> None:
    """Wait until no load is pending (background refreshes finished)."""
    for _ in range(500):
        if cache.snapshot()["pending"] == 0:
            return
        time.sleep(0.01)
    raise AssertionError("a load never finished")


def test_fifty_concurrent_misses_make_one_load(pool):
    loader = Loader()
    loader.gate = threading.Event()
    cache = make(pool, loader)
    start = threading.Barrier(51)
    results: list[str] = []

    def render() -> None:
        start.wait()
        results.append(cache.get("2000.00", timeout=10))

    threads = [threading.Thread(target=render) for _ in range(50)]
    for thread in threads:
        thread.start()
    start.wait()
    time.sleep(0.1)  # let every thread reach the cache while the load is held
    loader.gate.set()
    for thread in threads:
        thread.join(10)
    assert loader.calls == ["2000.00"]
    assert results == ["2000.00#1"] * 50


def test_fresh_values_are_served_without_loading(pool):
    loader = Loader()
    cache = make(pool, loader)
    assert cache.get("a", timeout=5) == "a#1"
    assert cache.get("a", timeout=5) == "a#1"
    assert loader.calls == ["a"]
    assert cache.snapshot()["fresh_hits"] == 1


def test_stale_value_is_served_at_once_and_refreshed_once_in_the_background(pool):
    clock = FakeClock()
    loader = Loader()
    cache = make(pool, loader, clock)
    cache.get("a", timeout=5)
    clock.advance(61)  # past ttl, inside stale_ttl
    loader.gate = threading.Event()  # the refresh will hang until released
    assert cache.get("a", timeout=0) == "a#1"  # no waiting for a stale value
    assert cache.get("a", timeout=0) == "a#1"  # and no second refresh while one runs
    loader.gate.set()
    settle(cache)
    assert loader.calls == ["a", "a"]
    assert cache.get("a", timeout=0) == "a#2"  # fresh again


def test_a_failed_refresh_keeps_the_stale_value_until_it_expires(pool):
    clock = FakeClock()
    loader = Loader()
    cache = make(pool, loader, clock)
    cache.get("a", timeout=5)
    clock.advance(61)
    loader.fail = RuntimeError("DivideBuy down")
    assert cache.get("a", timeout=0) == "a#1"
    settle(cache)
    assert cache.get("a", timeout=0) == "a#1"
    clock.advance(600)  # past ttl + stale_ttl: gone
    with pytest.raises(RuntimeError):
        cache.get("a", timeout=5)


def test_a_caller_waits_no_longer_than_its_budget_and_the_load_fills_the_cache(pool):
    loader = Loader()
    loader.gate = threading.Event()
    cache = make(pool, loader)
    started = time.perf_counter()
    with pytest.raises(BudgetExceeded):
        cache.get("a", timeout=0.2)
    assert time.perf_counter() - started < 0.4  # within 2× the budget
    assert cache.overdue() == 1
    loader.gate.set()
    settle(cache)
    assert cache.overdue() == 0
    assert cache.get("a", timeout=0) == "a#1"
    assert loader.calls == ["a"]


def test_without_permission_to_load_a_miss_is_a_miss(pool):
    loader = Loader()
    cache = make(pool, loader)
    with pytest.raises(CacheMiss):
        cache.get("a", timeout=5, load=False)
    assert loader.calls == []


def test_a_failed_load_reaches_every_waiter_and_is_not_cached(pool):
    loader = Loader()
    loader.fail = ValueError("bad reply")
    cache = make(pool, loader)
    with pytest.raises(ValueError):
        cache.get("a", timeout=5)
    loader.fail = None
    assert cache.get("a", timeout=5) == "a#2"


def test_the_store_is_bounded(pool):
    cache = make(pool, Loader(), maxsize=3)
    for key in "abcdef":
        cache.get(key, timeout=5)
    assert len(cache) == 3
    assert cache.peek("f") == "f#6"
    assert cache.peek("a") is None


def test_pending_loads_are_bounded(pool):
    loader = Loader()
    loader.gate = threading.Event()
    cache = make(pool, loader, max_pending=2)
    for key in "ab":
        with pytest.raises(BudgetExceeded):
            cache.get(key, timeout=0)
    with pytest.raises(BudgetExceeded):
        cache.get("c", timeout=0)
    loader.gate.set()
    settle(cache)
    assert sorted(loader.calls) == ["a", "b"]
