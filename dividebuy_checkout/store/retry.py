"""Database contention is waited out, never shown as a 500: one retry rule for every write.

Two processes (two web workers, a worker and a cron run) may want the same
database at once. SQLite has one writer at a time ("database is locked");
PostgreSQL can pick a deadlock victim (``40P01``), fail a serialisable
transaction (``40001``) or give up waiting for a row lock (``55P03``, with the
``lock_timeout`` :func:`connect_args` sets). Each of these means "nothing was
written, run the transaction again", so every write method of the store is
wrapped in :func:`writes`: the whole transaction is retried with a doubling
back-off until :attr:`ContentionPolicy.budget` seconds have passed, then
:class:`~.errors.DatabaseBusy` is raised (nothing written). Callers turn that
into a JSON answer or a one-line CLI error.

Reads never take the write lock: the SQLite engine begins every transaction
with ``BEGIN IMMEDIATE`` (the write lock up front, so read-check-write is
atomic) *except* inside a method marked :func:`reads`, whose plain ``BEGIN``
reads a WAL snapshot while another process writes (see :func:`begin_statement`).
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from .errors import DatabaseBusy

__all__ = [
    "CONTENTION_SQLSTATES",
    "DEFAULT_LOCK_TIMEOUT",
    "ContentionPolicy",
    "begin_statement",
    "connect_args",
    "is_contention",
    "reads",
    "retry_on_contention",
    "writes",
]

log = logging.getLogger("dividebuy_checkout.store")

P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

#: seconds a write keeps trying before it gives up (DIVIDEBUY_DB_LOCK_TIMEOUT): long enough
#: for another worker's transaction (milliseconds) or a cron run's batch, short enough for a
#: web request to answer
DEFAULT_LOCK_TIMEOUT = 10.0
#: PostgreSQL: serialization_failure, deadlock_detected, lock_not_available
CONTENTION_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
#: SQLite's words for "another connection holds the lock" (sqlite3 gives no error code)
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
#: how many tries share one lock-timeout: each waits this fraction of it at the database
_TRIES_PER_BUDGET = 4

_reading = contextvars.ContextVar("dividebuy_reading", default=False)
_retrying = contextvars.ContextVar("dividebuy_retrying", default=False)


@dataclass(frozen=True)
class ContentionPolicy:
    """How long a write waits out contention: *budget* seconds in all, back-off doubling
    from *first_wait* to *max_wait* between tries."""

    budget: float = DEFAULT_LOCK_TIMEOUT
    first_wait: float = 0.05
    max_wait: float = 1.0

    @property
    def per_try(self) -> float:
        """Seconds one try waits at the database (SQLite busy timeout, PostgreSQL lock_timeout)."""
        return max(self.budget / _TRIES_PER_BUDGET, 0.05)


def connect_args(url: str, policy: ContentionPolicy) -> dict[str, Any]:
    """Driver arguments so one try waits :attr:`ContentionPolicy.per_try` for a lock, then fails
    (and :func:`writes` tries again) instead of hanging: SQLite's busy timeout, PostgreSQL's
    ``lock_timeout`` (psycopg's ``options``)."""
    if url.startswith("sqlite"):
        return {"check_same_thread": False, "timeout": policy.per_try}
    if url.startswith("postgresql") and "psycopg2" not in url:
        # connect_args replace the URL's own ``?options=`` (e.g. ``-csearch_path=shop``):
        # keep them, the lock timeout added after
        own = make_url(url).query.get("options")
        own_options = " ".join(own) if isinstance(own, tuple) else (own or "")
        lock = f"-c lock_timeout={int(policy.per_try * 1000)}"
        return {"options": f"{own_options} {lock}".strip()}
    return {}


def is_contention(exc: BaseException) -> bool:
    """True when *exc* means "the database was busy, nothing written: try again"."""
    if not isinstance(exc, DBAPIError):
        return False
    original = exc.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state in CONTENTION_SQLSTATES:
        return True
    message = str(original).lower()
    return any(words in message for words in _SQLITE_BUSY)


def retry_on_contention(action: Callable[[], T], policy: ContentionPolicy, *, what: str) -> T:
    """Run *action* (one whole transaction); on contention run it again with back-off.

    Nested calls (a write method using another) run once: only the outermost
    retries, so the budget is not multiplied. Raises :class:`DatabaseBusy` when
    the budget is spent; other errors pass through.
    """
    if _retrying.get():
        return action()
    token = _retrying.set(True)
    try:
        deadline = time.monotonic() + policy.budget
        wait = policy.first_wait
        tries = 0
        while True:
            tries += 1
            try:
                return action()
            except DBAPIError as exc:
                if not is_contention(exc):
                    raise
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning("Database busy: %s gave up after %d tries", what, tries)
                    raise DatabaseBusy(what, tries) from None
                time.sleep(min(wait, left))
                wait = min(wait * 2, policy.max_wait)
    finally:
        _retrying.reset(token)


def writes(method: F) -> F:
    """Mark a store method that writes: it is retried under its store's ``contention`` policy."""

    @functools.wraps(method)
    def retried(self: Any, *args: Any, **kwargs: Any) -> Any:
        policy: ContentionPolicy = getattr(self, "contention", None) or ContentionPolicy()
        return retry_on_contention(
            lambda: method(self, *args, **kwargs), policy, what=method.__name__
        )

    return cast(F, retried)


def reads(method: Callable[P, T]) -> Callable[P, T]:
    """Mark a store method that only reads: its transactions take no write lock."""

    @functools.wraps(method)
    def reading(*args: P.args, **kwargs: P.kwargs) -> T:
        token = _reading.set(True)
        try:
            return method(*args, **kwargs)
        finally:
            _reading.reset(token)

    return reading


def begin_statement() -> str:
    """How the SQLite engine begins a transaction: ``BEGIN IMMEDIATE`` (the write lock, so
    read-check-write is atomic) unless a :func:`reads` method runs it (plain ``BEGIN``)."""
    return "BEGIN" if _reading.get() else "BEGIN IMMEDIATE"
