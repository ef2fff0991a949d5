"""PostgreSQL's lock and serialisation errors are waited out like SQLite's "database is
locked": another connection holding the order's row makes a refund wait and retry, and past
the lock timeout it fails with nothing written (SQLite: tests/backoffice/test_contention.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import psycopg.errors
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from dividebuy_checkout.store import CheckoutRecord, CheckoutStatus, SqlStore
from dividebuy_checkout.store.errors import DatabaseBusy
from dividebuy_checkout.store.retry import is_contention

#: only PostgreSQL here: ``database_url``'s engine is chosen through its parameter
on_postgresql = pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.SerializationFailure,
        psycopg.errors.DeadlockDetected,
        psycopg.errors.LockNotAvailable,
    ],
)
def test_psycopgs_contention_errors_mean_try_again(error: type[Exception]):
    assert is_contention(DBAPIError("UPDATE …", {}, error("busy")))


def test_other_database_errors_are_not_retried():
    assert not is_contention(DBAPIError("INSERT …", {}, psycopg.errors.UniqueViolation("dup")))
    assert not is_contention(DBAPIError("SELECT …", {}, psycopg.errors.UndefinedTable("none")))


def _completed(store: SqlStore) -> CheckoutRecord:
    store.add(
        quote_id="Q-LOCK",
        order_id="LOCK1",
        order_ref="REF-LOCK1",
        amount=Decimal("100.00"),
        credit_amount=Decimal("100.00"),
        term=12,
        status=CheckoutStatus.PENDING,
        decision="ACCEPT",
        checkout_url=None,
    )
    record = store.transition(
        "Q-LOCK", CheckoutStatus.COMPLETED, source="test", dividebuy_order_id="DB-LOCK1"
    )
    assert record is not None
    return record


class RowLock:
    """Another process's transaction holding the order's checkout row (``FOR UPDATE``)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.held = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text("SELECT 1 FROM dividebuy_checkouts WHERE quote_id = 'Q-LOCK' FOR UPDATE")
            )
            self.held.set()
            self.release.wait(30)

    def __enter__(self) -> RowLock:
        self.thread.start()
        assert self.held.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(10)
        self.engine.dispose()


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    # one try waits 0.5 s for the lock (lock_timeout), the write keeps trying for 2 s
    shop_store = SqlStore(database_url, lock_timeout=2.0)
    yield shop_store
    shop_store.engine.dispose()


@on_postgresql
def test_a_row_lock_released_within_the_timeout_is_waited_out(store: SqlStore, database_url: str):
    record = _completed(store)
    with RowLock(database_url) as lock:
        # released after the first tries failed with lock_not_available (55P03)
        threading.Timer(1.2, lock.release.set).start()
        refund = store.reserve_refund(record, Decimal("10.00"))

    assert refund.amount == Decimal("10.00")
    assert [r.id for r in store.refunds_for("LOCK1")] == [refund.id]


@on_postgresql
def test_a_row_lock_held_past_the_timeout_fails_with_nothing_written(
    store: SqlStore, database_url: str
):
    record = _completed(store)
    with RowLock(database_url), pytest.raises(DatabaseBusy) as refused:
        store.reserve_refund(record, Decimal("10.00"))

    assert refused.value.tries >= 2
    assert store.refunds_for("LOCK1") == []
