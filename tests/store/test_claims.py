"""Periodic work on many hosts at once: claims split it so each piece is done once.

Unit rules of :mod:`dividebuy_checkout.store.claims`, then ``dividebuy-checkout reconcile``
run by three real processes at the same moment against one database and the real sandbox:
every watched checkout is read from DivideBuy once (GET /quotes counted at the sandbox) and
moved once. On SQLite and on PostgreSQL (``database_url`` in tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.checkout import CheckoutService, ReferenceSigner
from dividebuy_checkout.checkout.answers import asked_fields, read_answers
from dividebuy_checkout.checkout.demo_shopper import ANSWERS
from dividebuy_checkout.money import loads
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.store import CheckoutStatus, SqlStore
from dividebuy_checkout.store.claims import WorkClaims, claimed
from dividebuy_checkout.store.tables import work_claims
from dividebuy_checkout.tokens import MemoryTokenStore

#: the shop's orders as a cron job imports them (``claim_orders:orders``)
ORDERS_MODULE = """
from dividebuy_checkout.orders import Address, Customer, Order, OrderLine

HOME = Address(house_number="12", address_line_1="Acacia Avenue", town="Leeds", postcode="LS1 4AP")


class Orders:
    def get_order(self, order_id):
        if not order_id.startswith("70"):
            return None
        return Order(
            order_id=order_id,
            order_ref="FS-" + order_id,
            lines=(OrderLine("Walnut desk", 1, unit_price_including_vat="947.00"),),
            subtotal="789.17",
            vat="157.83",
            shipping="0.00",
            total="947.00",
            customer=Customer("Ada", "Lovelace", "ada@example.com", "07400 123456", HOME),
        )


orders = Orders()
"""

#: one cron host: imports done, says it is ready, waits for the common start, runs the CLI
HOST_SCRIPT = """
import sys, time
from pathlib import Path
import claim_orders  # noqa: F401  (warm, as a long-lived host would be)
from dividebuy_checkout import cli
go, ready = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()
while not go.exists():
    time.sleep(0.002)
cli.main(["reconcile", "--json"])
"""

HOSTS = 3
RETURN_BASE = "https://shop.example/dividebuy/return?ref="


# -- the rules ------------------------------------------------------------------------------------


def test_overlapping_rounds_split_the_work_and_the_next_round_does_it_again(database_url: str):
    store = SqlStore(database_url)
    no_quiet = timedelta(0)
    a = WorkClaims(store.engine, owner="host-a", quiet=no_quiet)
    b = WorkClaims(store.engine, owner="host-b", quiet=no_quiet)
    round_a, round_b = a.round("reconcile"), b.round("reconcile")

    assert round_a.claim(["q1", "q2", "q3"]) == ["q1", "q2", "q3"]
    assert round_b.claim(["q2", "q3", "q4"]) == ["q4"]  # a holds q2, q3
    round_a.done(["q1", "q2", "q3"])
    # finished during b's round: b does not repeat it
    assert round_b.claim(["q1", "q2"]) == []

    later = b.round("reconcile")
    assert later.claim(["q1", "q2", "q4"]) == ["q1", "q2"]  # q4: b's own lease is still held
    assert b.holders("reconcile") == {
        "q1": "host-b",
        "q2": "host-b",
        "q3": "host-a",
        "q4": "host-b",
    }
    assert a.round("settle").claim(["q1"]) == ["q1"]  # another kind of work is separate


def test_a_run_starting_just_after_another_finished_an_item_leaves_it_alone(database_url: str):
    # one cron line on three hosts: one host's run may start after another's finished items
    store = SqlStore(database_url)
    first = WorkClaims(store.engine, owner="fast-host")
    first_round = first.round("reconcile")
    assert first_round.claim(["q1", "q2"]) == ["q1", "q2"]
    first_round.done(["q1"])  # q2 is still being worked on

    late = WorkClaims(store.engine, owner="late-host")

    assert late.round("reconcile").claim(["q1", "q2", "q3"]) == ["q3"]
    # the process that did q1 may run again at once (an operator running reconcile twice)
    assert first.round("reconcile").claim(["q1", "q2"]) == ["q1"]  # q2: its own lease, held
    first_round.done(["q1"])
    # once the quiet period is over, another process asks about q1 again (DivideBuy may have news)
    with store.engine.begin() as conn:  # 31 s later, for q1
        conn.execute(
            work_claims.update()
            .where(work_claims.c.item_key == "q1")
            .values(lease_until=first.now() - timedelta(seconds=31))
        )
    assert late.round("reconcile").claim(["q1", "q2"]) == ["q1"]  # q2's lease: 5 min


def test_a_crashed_runs_items_wait_for_its_lease_then_the_next_round_takes_them(
    database_url: str,
):
    store = SqlStore(database_url)
    crashed = WorkClaims(store.engine, owner="crashed", lease=timedelta(0))
    crashed.round("reconcile").claim(["q1"])  # and never says done
    holding = WorkClaims(store.engine, owner="slow", lease=timedelta(minutes=5))
    holding.round("reconcile").claim(["q2"])

    # (the crashed run's item also waits the quiet period, as a finished one: here none)
    other = WorkClaims(store.engine, owner="other", quiet=timedelta(0)).round("reconcile")

    assert other.claim(["q1", "q2"]) == ["q1"]


def test_a_limit_never_holds_items_it_will_not_work_on(database_url: str):
    store = SqlStore(database_url)
    claims = WorkClaims(store.engine, owner="limited")
    round_ = claims.round("reconcile")

    worked = list(claimed(round_, [f"q{n}" for n in range(25)], str, limit=3))

    assert worked == ["q0", "q1", "q2"]
    assert sorted(claims.holders("reconcile")) == ["q0", "q1", "q2"]


# -- three hosts at once ------------------------------------------------------------------------


def _sandbox_calls(sandbox: SandboxServer) -> dict[str, int]:
    state = loads(httpx.get(f"{sandbox.url}/_sandbox/state", timeout=10).content)
    return {name: int(count) for name, count in state["calls"].items()}


def _pending_checkouts(sandbox: SandboxServer, url: str, orders: Any, count: int) -> list[str]:
    settings = Settings(
        client_id="claims", client_secret="s", environment="local", base_url=sandbox.url
    )
    with DivideBuyClient(settings=settings, token_store=MemoryTokenStore()) as client:
        service = CheckoutService(
            client,
            SqlStore(url),
            orders,
            signer=ReferenceSigner("k" * 32, return_max_age=60, start_max_age=60),
        )
        quote_ids = []
        for n in range(count):
            order_id = f"70{n:02d}"
            applicant = read_answers(ANSWERS, asked_fields(orders.get_order(order_id))).applicant
            submitted = service.submit(
                order_id, applicant, ip_address="203.0.113.7", return_url=RETURN_BASE.__add__
            )
            assert submitted.record.quote_id
            quote_ids.append(submitted.record.quote_id)
    return quote_ids


def test_three_hosts_reconciling_at_once_read_and_move_each_checkout_once(
    sandbox: SandboxServer, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "claim_orders.py").write_text(ORDERS_MODULE)
    (tmp_path / "host.py").write_text(HOST_SCRIPT)
    monkeypatch.syspath_prepend(str(tmp_path))
    import claim_orders  # type: ignore[import-not-found]

    quote_ids = _pending_checkouts(sandbox, database_url, claim_orders.orders, 24)
    signed, gave_up = quote_ids[:8], quote_ids[8:16]  # the last 8 stay pending at DivideBuy
    for quote_id, action in [(q, "complete") for q in signed] + [(q, "cancel") for q in gave_up]:
        url = f"{sandbox.url}/_sandbox/quotes/{quote_id}/{action}"
        httpx.post(url, timeout=10).raise_for_status()
    reads_before = _sandbox_calls(sandbox).get("GET_QUOTE", 0)

    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    env.update(
        PYTHONPATH=str(tmp_path),
        DIVIDEBUY_ENVIRONMENT="local",
        DIVIDEBUY_BASE_URL=sandbox.url,
        DIVIDEBUY_CLIENT_ID="cron",
        DIVIDEBUY_CLIENT_SECRET="cron-secret",
        DIVIDEBUY_DATABASE_URL=database_url,
        DIVIDEBUY_ORDER_SOURCE="claim_orders:orders",
    )
    go = tmp_path / "go"
    hosts = [
        subprocess.Popen(
            [sys.executable, str(tmp_path / "host.py"), str(go), str(tmp_path / f"ready{n}")],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(HOSTS)
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready{n}").exists() for n in range(HOSTS)):
        assert time.monotonic() < deadline, "the hosts did not start"
        assert all(h.poll() is None for h in hosts), [h.communicate() for h in hosts]
        time.sleep(0.01)
    go.touch()
    outputs = [host.communicate(timeout=120) for host in hosts]

    assert [h.returncode for h in hosts] == [0] * HOSTS, [err for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    assert sum(r["checked"] for r in reports) == 24
    assert sum(r["changed"] for r in reports) == 16
    assert _sandbox_calls(sandbox).get("GET_QUOTE", 0) - reads_before == 24
    store = SqlStore(database_url)
    for quote_id in quote_ids:
        moves = [t for t in store.history(quote_id) if t.source == "reconcile"]
        assert len(moves) == (0 if quote_id in quote_ids[16:] else 1), quote_id
    assert {store.get(q).status for q in signed} == {CheckoutStatus.COMPLETED}
    assert {store.get(q).status for q in gave_up} == {CheckoutStatus.CANCELLED}
