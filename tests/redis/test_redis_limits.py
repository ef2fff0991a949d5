"""Per-address limits kept in Redis: one count for every worker, local while Redis is away."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import redis_clients
from tcp_proxy import TcpProxy

from dividebuy_checkout.checkout import SlidingWindowLimiter
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.shared.connection import SharedRedis, redis_client
from dividebuy_checkout.shared.redis_limits import RedisSlidingWindowLimiter

ADDRESS = "203.0.113.7"
#: what one limiter check may cost a page while Redis hangs
BUDGET_SECONDS = 0.5


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def workers(redis_url: str, prefix: str, count: int, **kw) -> list[SlidingWindowLimiter]:
    """*count* limiters of one name built from settings, as each worker process builds its own."""
    settings = Settings(redis_url=redis_url, redis_prefix=prefix)
    return [
        SlidingWindowLimiter.from_spec("3/minute", name="checkout", settings=settings, **kw)
        for _ in range(count)
    ]


def test_the_limit_is_one_count_across_workers_and_it_slides(redis_url, redis_prefix):
    clock = Clock()
    one, two = workers(redis_url, redis_prefix, 2)
    one._clock = two._clock = clock  # type: ignore[attr-defined]

    allowed = [one.hit(ADDRESS), two.hit(ADDRESS), one.hit(ADDRESS)]
    blocked = two.hit(ADDRESS)
    other_address = two.hit("198.51.100.1")
    clock.now += 30
    still_blocked = one.hit(ADDRESS)
    clock.now += 31  # the first hits are now more than a minute old
    after = two.hit(ADDRESS)

    assert allowed == [None, None, None]
    assert blocked == pytest.approx(60, abs=0.01)
    assert other_address is None
    assert still_blocked == pytest.approx(30, abs=0.01)
    assert after is None


def test_other_limits_count_apart_and_redis_holds_no_address(redis_url, redis_prefix):
    settings = Settings(redis_url=redis_url, redis_prefix=redis_prefix)
    returns = SlidingWindowLimiter.from_spec("1/minute", name="return", settings=settings)
    submits = SlidingWindowLimiter.from_spec("1/minute", name="submit", settings=settings)
    assert returns.hit(ADDRESS) is None
    assert submits.hit(ADDRESS) is None
    assert returns.hit(ADDRESS) is not None

    with redis.Redis.from_url(redis_url) as r:
        keys = [k.decode() for k in r.scan_iter(match=f"{redis_prefix}*")]
        ttls = [r.pttl(k) for k in keys]
    assert len(keys) == 2
    assert all(k.startswith(f"{redis_prefix}ratelimit:") for k in keys)
    assert not any(ADDRESS in k for k in keys)
    assert all(0 < ttl <= 60_000 for ttl in ttls)


def test_concurrent_hits_from_many_workers_never_exceed_the_limit(redis_url, redis_prefix):
    settings = Settings(redis_url=redis_url, redis_prefix=redis_prefix)
    limiters = [
        SlidingWindowLimiter.from_spec("20/minute", name="race", settings=settings)
        for _ in range(8)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: limiters[n % 8].hit(ADDRESS), range(80)))
    assert sum(answer is None for answer in answers) == 20


def test_without_a_redis_url_the_limit_is_per_process():
    limiter = SlidingWindowLimiter.from_spec("3/minute", name="checkout", settings=Settings())
    assert type(limiter) is SlidingWindowLimiter


@pytest.mark.parametrize("outage", ["close", "black_hole"])
def test_redis_going_away_falls_back_to_local_counts_with_one_warning(
    redis_url, redis_prefix, caplog, outage
):
    caplog.set_level(logging.INFO, logger=redis_clients.SHARED_LOGGER)
    proxy, proxied = TcpProxy.to_url(redis_url)
    shared = SharedRedis(redis_client(proxied), prefix=redis_prefix, first_retry=0.2, max_retry=0.4)
    submits = RedisSlidingWindowLimiter(shared, "submit", 5, 60)
    returns = RedisSlidingWindowLimiter(shared, "return", 5, 60)
    try:
        assert [submits.hit(ADDRESS) for _ in range(3)] == [None] * 3  # counted in Redis
        getattr(proxy, outage)()

        took, answers = [], []
        deadline = time.monotonic() + 1.0  # several back-offs: Redis is retried meanwhile
        while time.monotonic() < deadline:
            for limiter in (submits, returns):
                started = time.perf_counter()
                answers.append(limiter.hit(f"10.0.0.{len(answers)}"))
                took.append(time.perf_counter() - started)
            time.sleep(0.02)
        assert answers == [None] * len(answers)  # new addresses: allowed, counted locally
        assert max(took) < BUDGET_SECONDS, max(took)
        assert len(redis_clients.warnings(caplog.records)) == 1  # two limits, one warning

        local = [returns.hit(ADDRESS) for _ in range(6)]
        assert local[:5] == [None] * 5 and local[5] is not None  # the local window still limits

        proxy.restore()
        time.sleep(0.6)  # past the longest back-off
        # Shared again: Redis still holds the 3 hits made before the outage.
        *allowed, blocked = [submits.hit(ADDRESS) for _ in range(3)]
        assert allowed == [None, None]
        assert blocked is not None and 50 < blocked <= 60
        assert any("is back" in r.getMessage() for r in caplog.records)
        assert len(redis_clients.warnings(caplog.records)) == 1
    finally:
        proxy.shutdown()
        shared.close()
