"""The blueprint's health part: ``GET <prefix>/healthz`` for load balancers and monitoring.

One JSON answer per worker, cheap enough to ask every few seconds, naming no secret (no
URL, host name, key or token):

- ``database``: ``"ok"``, ``"unreachable"`` or ``"timeout"`` — one ``SELECT 1`` on the
  store's engine, waited for at most :data:`DATABASE_TIMEOUT` seconds (a probe still
  running from an earlier check is not doubled: the answer is ``"timeout"``);
- ``redis``: ``"off"`` (no ``DIVIDEBUY_REDIS_URL``), ``"ok"`` or ``"unreachable"`` (one
  ``PING`` with the shared client's 0.1 s timeouts), and ``shared_state``: ``"shared"``,
  ``"local"`` (this worker fell back to its own state) or ``"off"``;
- ``divide_buy``: the terms circuit breaker's state (``"closed"``, ``"open"``,
  ``"half-open"``; ``"unknown"`` when no part uses terms);
- ``worker``: the process id, so a check through a load balancer says which worker answered.

Status: 503 when the database cannot be reached (this worker cannot take a checkout:
take it out of rotation); otherwise 200, with ``"status": "degraded"`` while Redis is
unreachable or DivideBuy's breaker is not closed — the worker still serves pages (Redis
falls back to per-process state; pages render without the widget), so a load balancer
should keep it.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint, Flask, Response
from sqlalchemy import text

from ..shared import shared_redis_for
from .extension import DivideBuyState

__all__ = ["CONFIG_DEFAULTS", "DATABASE_TIMEOUT", "health_report", "register"]

#: this part has no settings of its own
CONFIG_DEFAULTS: dict[str, Any] = {}

#: breaker states that mean DivideBuy has been failing (the worker is degraded, not down)
_FAILING = ("open", "half-open")

#: seconds the check waits for ``SELECT 1``: a database slower than this is reported as
#: a timeout (a load balancer's own check usually gives up after 2-5 s)
DATABASE_TIMEOUT = 2.0


class _DatabaseProbe:
    """``SELECT 1`` on a thread of its own, so a hung database cannot hold the check."""

    def __init__(self, state: DivideBuyState) -> None:
        self._state = state
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dividebuy-health")
        self._running: Future[None] | None = None
        self._lock = threading.Lock()

    def _select_one(self) -> None:
        with self._state.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def __call__(self) -> str:
        with self._lock:
            if self._running is not None and not self._running.done():
                return "timeout"  # the last probe is still waiting: do not pile up more
            self._running = future = self._pool.submit(self._select_one)
        try:
            future.result(timeout=DATABASE_TIMEOUT)
        except FutureTimeout:
            return "timeout"
        except Exception:  # the error may name the host: only the outcome is reported
            return "unreachable"
        return "ok"


def _redis(state: DivideBuyState) -> tuple[str, str]:
    shared = shared_redis_for(state.settings)
    if shared is None:
        return "off", "off"
    from ..shared.connection import REDIS_ERRORS

    try:
        shared.redis.ping()
        reachable = "ok"
    except REDIS_ERRORS:
        reachable = "unreachable"
    return reachable, "local" if shared.guard("health check").down else "shared"


def _breaker(state: DivideBuyState) -> str:
    source = state.services.get("terms")
    return "unknown" if source is None else str(source.breaker.state.value)


def health_report(state: DivideBuyState, database: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of one check; *database* is a callable giving its state."""
    db = database()
    redis_state, shared_state = _redis(state)
    breaker = _breaker(state)
    if db != "ok":
        status = "down"
    elif redis_state == "unreachable" or shared_state == "local" or breaker in _FAILING:
        status = "degraded"
    else:
        status = "ok"
    body = {
        "status": status,
        "database": db,
        "redis": redis_state,
        "shared_state": shared_state,
        "divide_buy": breaker,
        "worker": os.getpid(),
    }
    return (503 if status == "down" else 200), body


def register(bp: Blueprint, app: Flask, state: DivideBuyState) -> None:
    probe = _DatabaseProbe(state)

    def healthz() -> Response:
        """``GET /healthz``: database, Redis and DivideBuy state of this worker."""
        code, body = health_report(state, probe)
        return Response(
            json.dumps(body),
            status=code,
            headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
        )

    bp.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
