"""A write lock held by ANOTHER PROCESS during a refund: a JSON answer, never a 500, and the
ledger and the sandbox agree afterwards.

The other process is a real one, as a cron job or another worker would be: a Python
subprocess holding ``BEGIN IMMEDIATE`` on the SQLite file, or on PostgreSQL a transaction
holding ``LOCK TABLE … IN EXCLUSIVE MODE`` on the ledger's tables (reads still pass). The
shop is served over loopback HTTP; DivideBuy is the sandbox. Nothing waits on a guessed
duration: the lock during the DivideBuy call is taken once the sandbox has made the refund
(and is still to answer), with ``NOWAIT``, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from flask import Flask
from support import serve_wsgi

from dividebuy_checkout.cli import build_group
from dividebuy_checkout.cli.runtime import Runtime
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.store import RefundStatus, SqlStore

from .conftest import Shop

KEY = "k3y-for-the-back-office-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
#: the shop's lock timeout in these tests: short, so a held lock outlasts it quickly
LOCK_TIMEOUT = 1.5

_LOCKER = """
import sys
url = sys.argv[1]
if url.startswith("sqlite:///"):
    import sqlite3
    db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
    def lock(wait=True):
        db.execute("PRAGMA busy_timeout = " + ("30000" if wait else "0"))
        db.execute("BEGIN IMMEDIATE")
    release = lambda: db.execute("COMMIT")
else:
    from sqlalchemy import create_engine
    conn = create_engine(url).connect()
    conn.exec_driver_sql("SELECT 1")
    conn.commit()
    def lock(wait=True):
        conn.begin()
        conn.exec_driver_sql(
            "LOCK TABLE dividebuy_refunds, dividebuy_checkouts IN EXCLUSIVE MODE"
            + ("" if wait else " NOWAIT")
        )
    release = lambda: conn.commit()
commands = {"lock": lock, "lock-now": lambda: lock(wait=False), "release": release}
print("ready", flush=True)
for line in sys.stdin:
    command = line.strip()
    try:
        commands[command]()
    except Exception as exc:
        print(f"{command} refused: {type(exc).__name__}: {exc}".replace("\\n", " "), flush=True)
        continue
    print(command + "ed", flush=True)
"""


class Locker:
    """Another process that takes and releases the database's write lock: SQLite's
    ``BEGIN IMMEDIATE``, or on PostgreSQL ``LOCK TABLE … IN EXCLUSIVE MODE`` on the ledger's
    tables (reads pass, writes wait).

    It is connected before the constructor returns (a ``ready`` line), so taking the lock
    later costs a round trip on a pipe, not a Python start-up: on a busy machine a start-up
    took longer than a slow DivideBuy answer, and the lock came after the refund it was
    meant to block had been recorded.
    """

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LOCKER, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def _say(self, command: str) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        assert answer == command + "ed", answer

    def lock(self) -> None:
        self._say("lock")

    def lock_now(self) -> None:
        """Take the lock without waiting (``NOWAIT``; SQLite: no busy timeout): fails if any
        other connection holds a conflicting lock at this moment."""
        self._say("lock-now")

    def release(self) -> None:
        self._say("release")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture
def locker(database_url: str) -> Iterator[Locker]:
    other = Locker(database_url)
    yield other
    other.close()


@pytest.fixture
def shop_url(shop: Shop, database_url: str) -> Iterator[str]:
    """The shop over loopback HTTP, with its own engine (lock timeout LOCK_TIMEOUT)."""
    app = Flask("shop")
    app.config.update(SECRET_KEY="test-secret", DIVIDEBUY_BACKOFFICE_API_KEY=KEY)
    shop_store = SqlStore(database_url, lock_timeout=LOCK_TIMEOUT)
    DivideBuy(app, client=shop.client, store=shop_store)
    server = serve_wsgi(app)
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()


def _refund(url: str, order_id: str, amount: str) -> httpx.Response:
    return httpx.post(
        f"{url}/dividebuy/backoffice/orders/{order_id}/refunds",
        json={"amount": amount},
        headers=AUTH,
        timeout=30,
    )


def _until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _books_agree(shop: Shop, order_id: str) -> None:
    ledger = [r for r in shop.store.refunds_for(order_id) if r.status is RefundStatus.SUCCEEDED]
    sandbox = shop.sandbox_refunds(order_id)
    assert sum((r.amount for r in ledger), Decimal(0)) == sum(
        (Decimal(str(r["amount"])) for r in sandbox), Decimal(0)
    )
    assert {r.dividebuy_refund_id for r in ledger} == {str(r["id"]) for r in sandbox}


def test_a_lock_held_before_the_refund_is_503_json_and_nothing_is_sent(
    shop: Shop, shop_url: str, locker: Locker
):
    shop.completed_order("A1")
    locker.lock()

    response = _refund(shop_url, "A1", "10.00")

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == "database_busy"
    assert "nothing was sent to DivideBuy" in response.json()["message"]
    assert int(response.headers["Retry-After"]) >= 1
    assert shop.calls("REFUND") == 0
    # a read is not blocked by the other process's write lock
    order = httpx.get(f"{shop_url}/dividebuy/backoffice/orders/A1", headers=AUTH, timeout=10)
    assert order.status_code == 200 and order.json()["refunds"] == []

    locker.release()
    assert _refund(shop_url, "A1", "10.00").status_code == 201
    _books_agree(shop, "A1")


def test_a_lock_taken_while_dividebuy_refunds_is_a_json_answer_and_the_ledger_converges(
    shop: Shop, shop_url: str, locker: Locker, database_url: str
):
    shop.completed_order("A1")
    # DivideBuy makes the refund, then answers slowly (slow_seconds, 3 s): the other process
    # locks meanwhile, so the shop cannot record the answer
    shop.fault("REFUND", "slow", after=True)
    answers: list[httpx.Response] = []
    call = threading.Thread(target=lambda: answers.append(_refund(shop_url, "A1", "30.00")))
    call.start()
    # the barrier: DivideBuy has made the refund and is still to answer (not a sleep)
    _until(lambda: shop.sandbox_refunds("A1"), timeout=2.5)
    # NOWAIT: granted at once, or the test fails, since while DivideBuy is called the shop
    # must hold no lock on the ledger (its reservation is committed before the call)
    locker.lock_now()
    call.join(timeout=30)

    (response,) = answers
    assert response.status_code == 202
    body = response.json()
    assert body["error"] == "refund_not_recorded" and body["refund_made_at_dividebuy"] is True
    assert "Do NOT refund it again" in body["message"]
    assert "refund-confirm" in body["message"]
    assert body["refund"]["status"] == "pending" and body["refund"]["amount"] == "30.00"
    assert len(shop.sandbox_refunds("A1")) == 1
    # meanwhile the reservation holds: nothing can overspend
    assert shop.store.balance(shop.store.live_for_order("A1")).held == Decimal("30.00")

    locker.release()
    entry = _until(
        lambda: next(
            (r for r in shop.store.refunds_for("A1") if r.status is RefundStatus.SUCCEEDED), None
        )
    )
    assert entry.amount == Decimal("30.00")
    _books_agree(shop, "A1")


def test_the_cli_says_one_line_when_the_database_is_busy(shop: Shop, database_url: str, locker):
    shop.completed_order("A1")
    busy_store = SqlStore(database_url, lock_timeout=LOCK_TIMEOUT)
    runtime = Runtime(client=shop.client, store=busy_store, environ={})
    locker.lock()

    from click.testing import CliRunner

    result = CliRunner().invoke(build_group(), ["refund", "A1", "--amount", "5"], obj=runtime)

    assert result.exit_code == 1
    assert "database is busy" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert shop.calls("REFUND") == 0
