"""Real processes, one Redis: the shared terms cache and breaker as gunicorn workers use them.

Each worker builds its client with ``DivideBuyClient.from_env()`` (Redis URL in the
environment: nothing else configured) and its widgets with ``WidgetService(client)``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

import pytest
import terms_workers
from redis_clients import CLIENT_ID, SECRET
from tcp_proxy import TcpProxy

WORKERS = 4

#: a render may spend its budget, plus one Redis timeout (0.1 s) before the worker's guard
#: stops asking Redis, plus slack for 4 processes on a busy 2-core machine. What it rules
#: out is a page held by Redis: redis-py's defaults would wait 5 s per command.
RENDER_CEILING = terms_workers.BUDGET + 0.1 + 0.6


def environment(sandbox_url: str, redis_url: str, prefix: str) -> dict[str, str]:
    return {
        "DIVIDEBUY_CLIENT_ID": CLIENT_ID,
        "DIVIDEBUY_CLIENT_SECRET": SECRET,
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": sandbox_url,
        "DIVIDEBUY_REDIS_URL": redis_url,
        "DIVIDEBUY_REDIS_PREFIX": prefix,
    }


def run_workers(
    target: Callable[..., None], args: tuple[Any, ...], results: Any, between: Callable[[], None]
) -> list[tuple[Any, ...]]:
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=target, args=args) for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    try:
        between()
        return [results.get(timeout=90) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()


def test_four_processes_asking_for_the_same_cold_price_make_one_terms_call(
    sandbox, redis_url, redis_prefix
):
    sandbox.state.configure(latency=0.3)  # a slow call: every worker misses meanwhile
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(WORKERS), spawn.Queue()
    env = environment(sandbox.url, redis_url, redis_prefix)
    answers = run_workers(
        terms_workers.cold_price_worker, (env, barrier, results), results, lambda: None
    )
    assert answers == [("ok", "2000.00")] * WORKERS
    calls = sandbox.state.snapshot()["calls"]
    assert calls["TERMS"] == 1
    assert calls["TOKEN"] == 1


@pytest.mark.parametrize("outage", ["close", "black_hole"])
def test_redis_cut_mid_run_pages_keep_answering_within_budget_one_warning_per_worker(
    sandbox, redis_url, redis_prefix, outage
):
    proxy, proxied = TcpProxy.to_url(redis_url)
    spawn = multiprocessing.get_context("spawn")
    ready, cut, results = spawn.Barrier(WORKERS + 1), spawn.Event(), spawn.Queue()
    env = environment(sandbox.url, proxied, redis_prefix)

    def cut_redis() -> None:
        ready.wait(timeout=90)  # every worker has its figures for 2000.00
        getattr(proxy, outage)()
        cut.set()

    try:
        reports = run_workers(
            terms_workers.outage_worker, (env, ready, cut, results), results, cut_redis
        )
    finally:
        proxy.shutdown()

    for status, slowest, shown, warnings in reports:
        assert status == "ok", slowest
        assert slowest < RENDER_CEILING
        assert shown == 21  # every render showed figures: cached ones, and new prices loaded
        # One warning per worker: tokens, limits and terms share the process's one guard,
        # so a worker that must also fetch its own token (its figures came from Redis
        # before the cut) does not warn twice.
        assert len(warnings) == 1, warnings
        assert warnings[0].startswith("Shared state in Redis unavailable")
    # 2000.00 was loaded once for all; each worker loaded the new prices itself (no Redis)
    assert sandbox.state.snapshot()["calls"]["TERMS"] <= 1 + 3 * WORKERS
