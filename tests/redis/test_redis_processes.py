"""Real processes, one Redis: a cold cache raced by 4 workers costs ONE token request."""

from __future__ import annotations

import multiprocessing

import httpx
import redis_clients
from redis_clients import CLIENT_ID, SECRET

WORKERS = 4


def test_four_processes_racing_on_a_cold_cache_make_one_token_request(
    sandbox, redis_url, redis_prefix
):
    sandbox.state.configure(latency=0.3)  # a slow token call: every worker misses meanwhile
    env = {
        "DIVIDEBUY_CLIENT_ID": CLIENT_ID,
        "DIVIDEBUY_CLIENT_SECRET": SECRET,
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": sandbox.url,
        "DIVIDEBUY_REDIS_URL": redis_url,  # all it takes: from_env() shares tokens through it
        "DIVIDEBUY_REDIS_PREFIX": redis_prefix,
    }
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(WORKERS), spawn.Queue()
    workers = [
        spawn.Process(target=redis_clients.race_worker, args=(env, barrier, results))
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    try:
        answers = [results.get(timeout=90) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()

    assert answers == [("ok", "2000.00")] * WORKERS
    state = httpx.get(f"{sandbox.url}/_sandbox/state", timeout=5).json()
    assert state["token_requests"] == 1
