"""Three real processes refunding one order at once never overspend; ledger and sandbox agree.

Each process (tests/backoffice/refund_worker.py) has its own engine, client and token, and
they share only the database (a SQLite file, or a PostgreSQL schema when
``DIVIDEBUY_TEST_DATABASE_URL`` is set) and DivideBuy (the sandbox).
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from dividebuy_checkout.store import RefundStatus

from .conftest import Shop

WORKER = Path(__file__).with_name("refund_worker.py")
PROCESSES = 3
TRIES_EACH = 6
#: £100 of credit in £7 refunds: 14 fit (£98), the rest must be refused
AMOUNT = Decimal("7.00")


def test_three_processes_refunding_one_order_never_overspend(shop: Shop, database_url: str):
    record = shop.completed_order("RACE1", Decimal("100.00"))
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), database_url, shop.sandbox.url, "RACE1", str(AMOUNT),
             str(TRIES_EACH)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]  # fmt: skip
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:  # all go at once
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    reports = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        reports.append(json.loads(out.strip().splitlines()[-1]))

    assert all(not r["errors"] for r in reports), reports
    made = sum(r["ok"] for r in reports)
    fit = int(record.credit_amount // AMOUNT)
    assert made == min(fit, PROCESSES * TRIES_EACH)
    refused = sum(sum(r["refused"].values()) for r in reports)
    assert refused == PROCESSES * TRIES_EACH - made
    assert set().union(*(r["refused"] for r in reports)) <= {
        "refund_exceeds_remaining",
        "nothing_to_refund",
    }
    ledger = shop.store.refunds_for("RACE1")
    succeeded = [r for r in ledger if r.status is RefundStatus.SUCCEEDED]
    assert len(succeeded) == made and len(ledger) == made  # nothing pending, nothing unknown
    sandbox = shop.sandbox_refunds("RACE1")
    assert len(sandbox) == made
    total = sum((Decimal(str(r["amount"])) for r in sandbox), Decimal(0))
    assert total == sum((r.amount for r in succeeded), Decimal(0)) == AMOUNT * made
    assert total <= record.credit_amount
