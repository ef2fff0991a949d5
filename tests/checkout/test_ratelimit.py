"""The per-address sliding window in front of submits and returns."""

from __future__ import annotations

import pytest

from dividebuy_checkout.checkout import SlidingWindowLimiter, parse_limit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("20/minute", (20, 60.0)),
        ("5 per 10 seconds", (5, 10.0)),
        ("100/hour", (100, 3600.0)),
        ("1 / day", (1, 86400.0)),
    ],
)
def test_limits_are_written_like_flask_limiters(spec, expected):
    assert parse_limit(spec) == expected


@pytest.mark.parametrize("spec", ["", "twenty a minute", "0/minute", "5/fortnight"])
def test_a_bad_limit_is_refused(spec):
    with pytest.raises(ValueError):
        parse_limit(spec)


def test_each_address_gets_its_window_and_it_slides():
    clock = Clock()
    limiter = SlidingWindowLimiter(3, 60, clock=clock)

    allowed = [limiter.hit("203.0.113.7") for _ in range(3)]
    blocked = limiter.hit("203.0.113.7")
    other = limiter.hit("198.51.100.1")
    clock.now += 30
    still_blocked = limiter.hit("203.0.113.7")
    clock.now += 31  # the first hits are now more than a minute old
    after = limiter.hit("203.0.113.7")

    assert allowed == [None, None, None]
    assert blocked == pytest.approx(60)
    assert other is None
    assert still_blocked == pytest.approx(30)
    assert after is None


def test_memory_stays_bounded():
    limiter = SlidingWindowLimiter(1, 60, max_keys=100, clock=Clock())
    for n in range(1000):
        limiter.hit(f"10.0.{n // 250}.{n % 250}")
    assert len(limiter._hits) <= 100
