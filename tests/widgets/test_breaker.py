"""The circuit breaker: closed → open after repeated failures → one trial → closed."""

from __future__ import annotations

import pytest

from dividebuy_checkout.terms import BreakerState, CircuitBreaker


@pytest.fixture
def breaker(clock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, reset_timeout=30, clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert breaker.allow()
        breaker.record_failure()


def test_opens_after_the_threshold_of_failures_in_a_row(breaker):
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    assert not breaker.would_allow()


def test_a_success_resets_the_count(breaker):
    fail(breaker, 2)
    breaker.record_success()
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED


def test_after_the_reset_timeout_exactly_one_trial_call_goes_through(breaker, clock):
    fail(breaker, 3)
    clock.advance(29)
    assert not breaker.allow()
    clock.advance(1)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.would_allow()  # asking does not claim the trial
    assert breaker.allow()
    assert not breaker.allow()  # the others keep away while the trial runs
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_a_failed_trial_opens_it_again_for_another_timeout(breaker, clock):
    fail(breaker, 3)
    clock.advance(30)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.advance(29)
    assert not breaker.allow()
    clock.advance(1)
    assert breaker.allow()
    assert breaker.times_opened == 2


@pytest.mark.parametrize("kwargs", [{"failure_threshold": 0}, {"reset_timeout": 0}])
def test_nonsense_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        CircuitBreaker(**kwargs)


def test_troubled_from_the_first_failure_until_a_success(breaker, clock):
    assert not breaker.troubled
    fail(breaker, 1)
    assert breaker.troubled
    breaker.record_success()
    assert not breaker.troubled
