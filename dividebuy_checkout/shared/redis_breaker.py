"""The terms circuit breaker's state in Redis, so every worker stops calling a failing DivideBuy.

Same states and rules as the in-process
:class:`~dividebuy_checkout.terms.breaker.CircuitBreaker` (closed → open after
``failure_threshold`` failures in a row → half-open after ``reset_timeout`` → one trial
call), but counted across processes: three failures anywhere open it everywhere, and
in half-open exactly one process (of all workers and hosts) makes the trial call.

State is one hash, ``{prefix}breaker:{name}`` (``state``, ``failures``, ``opened_at``,
``trial_at``, ``opened``), changed atomically by one Lua script per operation. Times
are the calling host's wall clock (hosts keep it in step with NTP; a second of skew
does not matter to a 30-second reset). A half-open trial claimed by a process that
then died is given up after ``reset_timeout``, so the breaker cannot stay stuck.

While Redis is down or slow each process uses its own in-process state (the base
class), through the guard the shared terms cache uses
(:data:`~.redis_terms.GUARD_COMPONENT`: one warning per process for both).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..terms.breaker import BreakerState, CircuitBreaker
from .connection import SharedRedis
from .redis_terms import GUARD_COMPONENT

__all__ = ["STATE_TTL_SECONDS", "RedisCircuitBreaker"]

#: the hash expires this long after its last change (a breaker nobody used for a day is
#: closed; nothing accumulates in Redis)
STATE_TTL_SECONDS = 86_400

#: KEYS[1]: the hash. ARGV: op, now (s, text), failure_threshold, reset_timeout (s), ttl (ms).
#: ops: "read" (no change; "allowed" says whether a call would go through), "allow" (claim
#: permission, the half-open trial included), "success", "failure".
#: Returns {state, failures, times opened, allowed (1/0)}.
_SCRIPT = """
local key, op = KEYS[1], ARGV[1]
local now, threshold, reset = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local h = redis.call('HMGET', key, 'state', 'failures', 'opened_at', 'trial_at', 'opened')
local state = h[1] or 'closed'
local failures = tonumber(h[2] or '0')
local opened_at = tonumber(h[3] or '0')
local trial_at = tonumber(h[4] or '0')
local opened = tonumber(h[5] or '0')
local changed = false
if state == 'open' and now - opened_at >= reset then
  state, trial_at, changed = 'half-open', 0, true
end
if state == 'half-open' and trial_at > 0 and now - trial_at >= reset then
  trial_at, changed = 0, true  -- the trial's process never reported: let another try
end
local allowed = 0
if op == 'read' then
  allowed = (state == 'closed' or (state == 'half-open' and trial_at == 0)) and 1 or 0
  changed = false  -- the open -> half-open move is derived again by every reader
elseif op == 'allow' then
  if state == 'closed' then
    allowed = 1
  elseif state == 'half-open' and trial_at == 0 then
    allowed, trial_at, changed = 1, now, true
  end
elseif op == 'success' then
  if state ~= 'closed' or failures ~= 0 or trial_at ~= 0 then
    state, failures, trial_at, changed = 'closed', 0, 0, true
  end
  allowed = 1
elseif op == 'failure' then
  failures = failures + 1
  changed = true
  if state == 'half-open' or (state == 'closed' and failures >= threshold) then
    state, opened_at, trial_at, opened = 'open', now, 0, opened + 1
  end
end
if changed then
  redis.call('HSET', key, 'state', state, 'failures', failures, 'opened_at', tostring(opened_at),
             'trial_at', tostring(trial_at), 'opened', opened)
  redis.call('PEXPIRE', key, ARGV[5])
end
return {state, failures, opened, allowed}
"""


class RedisCircuitBreaker(CircuitBreaker):
    """A :class:`CircuitBreaker` whose state every process shares through Redis."""

    def __init__(
        self,
        shared: SharedRedis,
        name: str = "terms",
        *,
        failure_threshold: int = 3,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            failure_threshold=failure_threshold, reset_timeout=reset_timeout, clock=clock
        )
        self.name = name
        self._shared = shared
        self._guard = shared.guard(GUARD_COMPONENT)
        self._script = shared.redis.register_script(_SCRIPT)
        self._ttl_ms = STATE_TTL_SECONDS * 1000
        #: the shared failure count last seen (``troubled`` reads it without a round trip
        #: when the last answer was "closed, no failures")
        self._seen_failures = 0

    def __repr__(self) -> str:
        return f"RedisCircuitBreaker({self.name!r}, {self._shared!r})"

    def _run(self, op: str) -> tuple[BreakerState, bool]:
        result: list[Any] = self._script(
            keys=[self._shared.key("breaker", self.name)],
            args=[
                op,
                repr(self._clock()),
                self.failure_threshold,
                repr(float(self.reset_timeout)),
                self._ttl_ms,
            ],
        )
        raw_state, failures, opened, allowed = result
        state = BreakerState(raw_state.decode() if isinstance(raw_state, bytes) else raw_state)
        self._seen_failures = int(failures)
        self.times_opened = int(opened)
        return state, bool(allowed)

    # -- CircuitBreaker ----------------------------------------------------------------------------

    @property
    def state(self) -> BreakerState:
        return self._guard.run(
            lambda: self._run("read")[0], lambda: super(RedisCircuitBreaker, self).state
        )

    @property
    def troubled(self) -> bool:
        """DivideBuy failed lately, anywhere (one round trip; local state while Redis is down)."""

        def shared() -> bool:
            state, _ = self._run("read")
            return self._seen_failures > 0 or state is not BreakerState.CLOSED

        return self._guard.run(shared, lambda: super(RedisCircuitBreaker, self).troubled)

    def would_allow(self) -> bool:
        return self._guard.run(lambda: self._run("read")[1], super().would_allow)

    def allow(self) -> bool:
        return self._guard.run(lambda: self._run("allow")[1], super().allow)

    def record_success(self) -> None:
        super().record_success()  # the local state too: it is the fallback
        self._guard.run(lambda: self._run("success"), lambda: None)

    def record_failure(self) -> None:
        super().record_failure()
        self._guard.run(lambda: self._run("failure"), lambda: None)
