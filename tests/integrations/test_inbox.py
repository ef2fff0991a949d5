"""The inbox and outbox: recorded once, claimed once (threads and real processes), an
unknown refund never resent, write-backs retried and never written out of order."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from dividebuy_checkout.integrations.recplus.fake import RecPlusFakeServer
from dividebuy_checkout.integrations.writeback import StatusWriteBack

from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.sandbox.faults import Fault
from dividebuy_checkout.store import SqlStore
from dividebuy_checkout.store.inbox import EventStatus, PlatformInbox, WriteStatus

from .platform_app import ORDER, PAID, PENDING, REFUND, PlatformShop


@pytest.fixture
def inbox(database_url: str) -> PlatformInbox:
    """On SQLite and on PostgreSQL (tests/conftest.py's ``database_url``)."""
    return PlatformInbox(SqlStore(database_url).engine)


def test_an_event_is_recorded_once_per_platform_and_key(inbox: PlatformInbox) -> None:
    assert inbox.record("recplus", "settle:1", "settle", "1") is not None
    assert inbox.record("recplus", "settle:1", "settle", "1") is None
    assert inbox.record("diseller", "settle:1", "settle", "1") is not None
    assert len(inbox.events()) == 2


def test_threads_claim_disjoint_rows(inbox: PlatformInbox) -> None:
    for n in range(40):
        inbox.record("recplus", f"settle:{n}", "settle", str(n))
    with ThreadPoolExecutor(max_workers=4) as pool:
        claims = list(pool.map(lambda _: inbox.claim_events(limit=15)[1], range(4)))
    ids = [entry.id for claim in claims for entry in claim]
    assert len(ids) == len(set(ids)) == 40


def test_three_processes_claim_each_row_once(inbox: PlatformInbox, tmp_path: Path) -> None:
    for n in range(30):
        inbox.record("recplus", f"settle:{n}", "settle", str(n))
    url = inbox.engine.url.render_as_string(hide_password=False)
    script = textwrap.dedent(
        f"""
        import json
        from dividebuy_checkout.store import SqlStore
        from dividebuy_checkout.store.inbox import PlatformInbox
        inbox = PlatformInbox(SqlStore({url!r}).engine)
        taken = []
        while True:
            _, rows = inbox.claim_events(limit=3)
            if not rows:
                break
            taken += [r.id for r in rows]
        print(json.dumps(taken))
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    taken = [json.loads(proc.communicate(timeout=60)[0]) for proc in procs]
    every = [i for ids in taken for i in ids]
    assert sorted(every) == sorted(e.id for e in inbox.events())
    assert len(every) == len(set(every)) == 30


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_finish(
    inbox: PlatformInbox,
) -> None:
    inbox.record("recplus", "settle:1", "settle", "1")
    start = datetime.now(UTC)
    old, [entry] = inbox.claim_events(now=start)
    assert inbox.claim_events(now=start + timedelta(minutes=1))[1] == []
    new, [again] = inbox.claim_events(now=start + timedelta(minutes=6))
    assert not inbox.finish_event(entry, old, EventStatus.DONE)
    assert inbox.finish_event(again, new, EventStatus.DONE)
    assert inbox.events()[0].status is EventStatus.DONE


def test_purge_deletes_only_finished_rows(inbox: PlatformInbox) -> None:
    for key, status in (("a", EventStatus.DONE), ("b", EventStatus.FAILED)):
        inbox.record("recplus", key, "settle", "1")
        owner, [entry] = inbox.claim_events(ids=[inbox.events(platform="recplus")[0].id])
        inbox.finish_event(entry, owner, status)
    assert inbox.purge_events(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert [e.status for e in inbox.events()] == [EventStatus.FAILED]


def test_a_later_write_supersedes_an_unfinished_earlier_one(inbox: PlatformInbox) -> None:
    first = inbox.enqueue_write("recplus", "1", "quote_created", PENDING)
    inbox.enqueue_write("recplus", "1", "quote_completed", PAID)
    statuses = {w.trigger: w.status for w in inbox.writes()}
    assert statuses == {
        "quote_created": WriteStatus.SUPERSEDED,
        "quote_completed": WriteStatus.PENDING,
    }
    _, claimed = inbox.claim_writes()
    assert [w.value for w in claimed] == [PAID] and first.id not in [w.id for w in claimed]


# -- with the sandbox and the fake -------------------------------------------------------------


def test_an_unknown_refund_waits_for_an_operator_and_is_never_resent(
    platform_shop: PlatformShop, sandbox: SandboxServer, recplus: RecPlusFakeServer
) -> None:
    shop = platform_shop
    shop.completed_checkout()
    shop.subscribe()
    httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"route": "REFUND", "status": 500, "times": 5},
        timeout=10,
    ).raise_for_status()
    recplus.state.set_status(ORDER, REFUND)
    [row] = shop.inbox()
    assert row.status is EventStatus.NEEDS_OPERATOR and "refund-confirm" in (row.note or "")
    calls = shop.refund_calls()
    assert shop.platform.inbox.retry_event(row.id) is None
    later = datetime.now(UTC) + timedelta(days=1)
    shop.platform.processor._clock = lambda: later  # everything due
    assert shop.platform.processor.process_due().processed == 0
    recplus.state.set_status(ORDER, "Processing")
    recplus.state.set_status(ORDER, REFUND)  # delivered again: a duplicate
    assert shop.refund_calls() == calls


def test_a_write_back_refused_by_a_down_platform_is_retried_later(
    platform_shop: PlatformShop, sandbox: SandboxServer, recplus: RecPlusFakeServer
) -> None:
    shop = platform_shop
    writeback = shop.platform.writeback
    assert writeback is not None
    recplus.state.arm_fault("ORDER_UPDATE", Fault(kind="status", status=503), times=3)
    record = shop.completed_checkout()
    shop.subscribe()  # the fake tells us about our own write: it must derive nothing
    writeback("quote_completed", record=record)
    writeback.wait()
    [row] = shop.platform.inbox.writes()
    assert row.status is WriteStatus.FAILED and row.attempts == 1
    assert (recplus.state.get_order(ORDER) or {})["status"] != PAID
    assert writeback.process_due().to_dict() == {}  # not due yet
    later = StatusWriteBack(
        writeback.writer,
        shop.platform.inbox,
        clock=lambda: datetime.now(UTC) + timedelta(minutes=2),
    )
    assert later.process_due().to_dict() == {"done": 1}
    assert (recplus.state.get_order(ORDER) or {})["status"] == PAID
    assert shop.inbox() == []  # our own write's update.order derives no event
