"""The Redis token store against the real sandbox and the real Redis.

"Workers" here are clients with their own in-process near cache (as separate
processes have) sharing one Redis prefix; the cross-process proof with real
processes is in test_redis_processes.py.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import redis_clients
from redis_clients import CLIENT_ID, SECRET
from tcp_proxy import TcpProxy

from dividebuy_checkout import AuthenticationError, DivideBuyClient, MemoryTokenStore
from dividebuy_checkout.retry import RetryPolicy
from dividebuy_checkout.sandbox.magic import WRONG_SECRET
from dividebuy_checkout.shared.connection import connect
from dividebuy_checkout.shared.redis_tokens import RedisTokenStore

#: what a page may spend on one DivideBuy call when Redis hangs (the sandbox answers
#: in milliseconds; redis-py's own defaults would wait 5 s per command)
BUDGET_SECONDS = 1.0


def worker(sandbox, redis_url, prefix, *, secret=SECRET) -> DivideBuyClient:
    """A client with its own near cache, like a separate worker process."""
    store = RedisTokenStore(connect(redis_url, prefix), local=MemoryTokenStore())
    return DivideBuyClient(
        client_id=CLIENT_ID,
        client_secret=secret,
        environment="local",
        base_url=sandbox.url,
        token_store=store,
        retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02),
    )


def token_keys(redis_url: str, prefix: str) -> list[str]:
    with redis.Redis.from_url(redis_url) as r:
        return sorted(k.decode() for k in r.scan_iter(match=f"{prefix}token:*"))


def test_workers_share_one_token_kept_for_its_lifetime_minus_leeway(
    sandbox, redis_url, redis_prefix
):
    workers = [worker(sandbox, redis_url, redis_prefix) for _ in range(3)]
    for shop in workers:
        assert shop.get_terms("2000").order_value == 2000

    assert sandbox.state.token_requests == 1
    [key] = token_keys(redis_url, redis_prefix)
    assert key.startswith(f"{redis_prefix}token:")
    assert SECRET not in key and CLIENT_ID not in key
    with redis.Redis.from_url(redis_url) as r:
        ttl = r.pttl(key) / 1000
        assert SECRET.encode() not in r.get(key)
    assert 3600 - 60 - 30 < ttl <= 3600 - 60  # the sandbox's 3600 s, less the 60 s leeway


def test_concurrent_cold_misses_in_separate_workers_make_one_token_request(
    sandbox, redis_url, redis_prefix
):
    sandbox.state.configure(latency=0.2)  # a slow token call widens the race
    workers = [worker(sandbox, redis_url, redis_prefix) for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        terms = list(pool.map(lambda shop: shop.get_terms("2000"), workers))
    assert [t.order_value for t in terms] == [2000] * 8
    assert sandbox.state.token_requests == 1


def test_a_revoked_token_is_dropped_once_and_one_refetch_is_shared(
    sandbox, redis_url, redis_prefix
):
    workers = [worker(sandbox, redis_url, redis_prefix) for _ in range(3)]
    for shop in workers:
        shop.get_terms("2000")
    sandbox.state.revoke_tokens()

    for shop in workers:  # each is refused once, replays once, with the one new token
        assert shop.get_terms("2000").order_value == 2000
    assert sandbox.state.token_requests == 2
    assert len(token_keys(redis_url, redis_prefix)) == 1


def test_a_wrong_secret_never_borrows_the_token_in_redis(sandbox, redis_url, redis_prefix):
    right = worker(sandbox, redis_url, redis_prefix)
    wrong = worker(sandbox, redis_url, redis_prefix, secret=WRONG_SECRET)
    right.get_terms("2000")

    with pytest.raises(AuthenticationError):
        wrong.get_terms("2000")
    assert sandbox.state.token_requests == 2  # the wrong one asked, and was refused
    assert right.get_terms("2000").order_value == 2000


@pytest.mark.parametrize("outage", ["close", "black_hole"])
def test_redis_going_away_mid_run_costs_one_warning_and_no_failed_or_slow_call(
    sandbox, redis_url, redis_prefix, caplog, outage
):
    caplog.set_level(logging.INFO, logger=redis_clients.SHARED_LOGGER)
    proxy, proxied = TcpProxy.to_url(redis_url)
    try:
        shop = redis_clients.client(sandbox.url, proxied, redis_prefix)
        shop.get_terms("2000")
        assert len(token_keys(redis_url, redis_prefix)) == 1

        getattr(proxy, outage)()
        sandbox.state.revoke_tokens()  # the next call must drop and refetch: Redis is asked
        took = []
        for _ in range(10):
            started = time.perf_counter()
            assert shop.get_terms("2000").order_value == 2000
            took.append(time.perf_counter() - started)

        assert max(took) < BUDGET_SECONDS, took
        assert len(redis_clients.warnings(caplog.records)) == 1
        assert sandbox.state.token_requests == 2

        # Back: after the back-off the next use of Redis finds it and writes there again.
        proxy.restore()
        time.sleep(1.1)
        sandbox.state.revoke_tokens()
        assert shop.get_terms("2000").order_value == 2000
        assert any("is back" in r.getMessage() for r in caplog.records)
        with redis.Redis.from_url(redis_url) as r:
            [key] = token_keys(redis_url, redis_prefix)
            assert r.pttl(key) > 3000_000
        assert len(redis_clients.warnings(caplog.records)) == 1
    finally:
        proxy.shutdown()


def test_the_flask_extension_uses_redis_when_the_url_is_set(sandbox, redis_url, redis_prefix):
    from flask import Flask

    from dividebuy_checkout.flask import DivideBuy
    from dividebuy_checkout.flask.extension import get_state

    app = Flask(__name__)
    app.config.update(
        DIVIDEBUY_CLIENT_ID=CLIENT_ID,
        DIVIDEBUY_CLIENT_SECRET=SECRET,
        DIVIDEBUY_ENVIRONMENT="local",
        DIVIDEBUY_BASE_URL=sandbox.url,
        DIVIDEBUY_DATABASE_URL="sqlite://",
        DIVIDEBUY_REDIS_URL=redis_url,
        DIVIDEBUY_REDIS_PREFIX=redis_prefix,
    )
    DivideBuy(app)
    get_state(app).client.get_terms("2000")
    assert len(token_keys(redis_url, redis_prefix)) == 1


def test_the_cli_uses_redis_when_the_url_is_set(sandbox, redis_url, redis_prefix, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DIVIDEBUY_CLIENT_ID": CLIENT_ID,
        "DIVIDEBUY_CLIENT_SECRET": SECRET,
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": sandbox.url,
        "DIVIDEBUY_REDIS_URL": redis_url,
        "DIVIDEBUY_REDIS_PREFIX": redis_prefix,
    }
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "dividebuy_checkout", "terms", "2000"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
    assert len(token_keys(redis_url, redis_prefix)) == 1
    assert sandbox.state.token_requests == 1  # the second run used the first run's token
