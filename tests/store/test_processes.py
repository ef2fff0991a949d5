"""The cross-process races on one database, with real processes and the real sandbox: three
hosts settling the same orders with different delivery dates settle each once, with one date;
shoppers coming back while reconcile runs on other hosts record each completion once.

On SQLite and on PostgreSQL (``database_url`` in tests/conftest.py). Every host is its own
process with its own engine, client and token, started together at one moment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.money import loads
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.schemas.examples import example_quote_for
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.store import CheckoutStatus, SqlStore
from dividebuy_checkout.store.tables import checkouts
from dividebuy_checkout.tokens import MemoryTokenStore

#: one host: imports done, says it is ready, waits for the common start, then works
HOST = """
import json, sys, time
from pathlib import Path
go, ready, job = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
from dividebuy_checkout import cli
if job["kind"] == "return":
    from dividebuy_checkout import DivideBuyClient
    from dividebuy_checkout.checkout import CheckoutService, ReferenceSigner
    from dividebuy_checkout.store import SqlStore
    import shop_orders
    events = []
    service = CheckoutService(
        DivideBuyClient.from_env(),
        SqlStore(job["url"]),
        shop_orders.orders,
        signer=ReferenceSigner("k" * 32, return_max_age=60, start_max_age=60),
        notify=lambda event, **payload: events.append([event, payload["record"].quote_id]),
    )
ready.touch()
while not go.exists():
    time.sleep(0.002)
if job["kind"] == "cli":
    cli.main(job["argv"])
else:
    for quote_id in job["quotes"]:
        record = service.store.get(quote_id)
        if record.open_at_dividebuy:  # what handle_return does after checking the reference
            service.refresh(record, source="return")
    print(json.dumps(events))
"""

#: the shop's orders, as the hosts import them (``shop_orders:orders``)
ORDERS = """
from dividebuy_checkout.orders import Address, Customer, Order, OrderLine

HOME = Address(house_number="12", address_line_1="Acacia Avenue", town="Leeds", postcode="LS1 4AP")


class Orders:
    def get_order(self, order_id):
        return Order(
            order_id=order_id,
            order_ref="REF-" + order_id,
            lines=(OrderLine("Walnut desk", 1, unit_price_including_vat="947.00"),),
            subtotal="789.17",
            vat="157.83",
            shipping="0.00",
            total="947.00",
            customer=Customer("Ada", "Lovelace", "ada@example.com", "07400 123456", HOME),
        )


orders = Orders()
"""

#: the shop's listener for the cron hosts: one line per event, to a file all hosts append to
LISTENER = """
import json, os


def notify(event, **payload):
    with open(os.environ["SHOP_EVENTS"], "a", encoding="utf-8") as out:
        out.write(json.dumps([event, payload["record"].quote_id]) + "\\n")
"""

TOTAL = Decimal("947.00")


class Hosts:
    """Starts host processes with one environment and lets them go at the same moment."""

    def __init__(self, sandbox: SandboxServer, url: str, root: Path) -> None:
        self.root = root
        (root / "host.py").write_text(HOST)
        (root / "shop_orders.py").write_text(ORDERS)
        (root / "shop_listener.py").write_text(LISTENER)
        self.events = root / "events.jsonl"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
        self.env.update(
            PYTHONPATH=str(root),
            DIVIDEBUY_ENVIRONMENT="local",
            DIVIDEBUY_BASE_URL=sandbox.url,
            DIVIDEBUY_CLIENT_ID="host",
            DIVIDEBUY_CLIENT_SECRET="host-secret",
            DIVIDEBUY_DATABASE_URL=url,
            DIVIDEBUY_ORDER_SOURCE="shop_orders:orders",
            SHOP_EVENTS=str(self.events),
        )

    def run(self, jobs: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
        go = self.root / "go"
        go.unlink(missing_ok=True)
        ready = [self.root / f"ready-{n}" for n in range(len(jobs))]
        for flag in ready:
            flag.unlink(missing_ok=True)
        hosts = [
            subprocess.Popen(
                [sys.executable, str(self.root / "host.py"), str(go), str(flag), json.dumps(job)],
                env=self.env,
                cwd=self.root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for job, flag in zip(jobs, ready, strict=True)
        ]
        deadline = time.monotonic() + 60
        while not all(flag.exists() for flag in ready):
            assert time.monotonic() < deadline, "the hosts did not start"
            assert all(h.poll() is None for h in hosts), [h.communicate() for h in hosts]
            time.sleep(0.01)
        go.touch()
        done = [host.communicate(timeout=120) for host in hosts]
        return [(h.returncode, out, err) for h, (out, err) in zip(hosts, done, strict=True)]


def _sandbox(sandbox: SandboxServer, method: str, path: str) -> Any:
    response = httpx.request(method, f"{sandbox.url}/_sandbox{path}", timeout=10)
    response.raise_for_status()
    return loads(response.content)


def _quotes(sandbox: SandboxServer, store: SqlStore, order_ids: list[str]) -> list[str]:
    """A pending checkout per order, quoted at the sandbox; the quote ids."""
    settings = Settings(
        client_id="seed", client_secret="s", environment="local", base_url=sandbox.url
    )
    with DivideBuyClient(settings=settings, token_store=MemoryTokenStore()) as client:
        quote_ids = []
        for order_id in order_ids:
            quote = client.create_quote(example_quote_for(order_id, TOTAL))
            store.add(
                quote_id=quote.id,
                order_id=order_id,
                order_ref=f"REF-{order_id}",
                amount=TOTAL,
                credit_amount=TOTAL,
                term=12,
                status=CheckoutStatus.PENDING,
                decision=quote.decision,
                checkout_url=quote.checkout_url,
            )
            quote_ids.append(quote.id)
    return quote_ids


def test_three_hosts_settling_with_different_dates_settle_each_order_once_with_one_date(
    sandbox: SandboxServer, database_url: str, tmp_path: Path
):
    store = SqlStore(database_url)
    orders = [f"81{n:02d}" for n in range(8)]
    for quote_id in _quotes(sandbox, store, orders):
        completed = _sandbox(sandbox, "POST", f"/quotes/{quote_id}/complete")["quote"]
        store.transition(
            quote_id,
            CheckoutStatus.COMPLETED,
            source="test",
            dividebuy_order_id=completed["order_ref_id"],
        )
    with store.engine.begin() as conn:  # placed ten days ago: any of the dates is after it
        placed = datetime.now(UTC) - timedelta(days=10)
        conn.execute(update(checkouts).values(created_at=placed))
    today = date.today()
    dates = [(today - timedelta(days=n + 1)).isoformat() for n in range(3)]

    hosts = Hosts(sandbox, database_url, tmp_path)
    results = hosts.run(
        [{"kind": "cli", "argv": ["settle", *orders, "--delivered", d, "--json"]} for d in dates]
    )

    outcomes = [o for _, out, _ in results for o in json.loads(out)["orders"]]
    settled = Counter(o["order_id"] for o in outcomes if o["outcome"] == "settled")
    assert settled == Counter(orders), results  # each order settled by one host only
    refused = [o for o in outcomes if o["outcome"] != "settled"]
    assert len(refused) == 2 * len(orders)
    assert {o["outcome"] for o in refused} <= {"rejected"}
    for order_id in orders:
        kept = store.settlement(order_id)
        assert kept is not None
        winner = next(
            o for o in outcomes if o["order_id"] == order_id and o["outcome"] == "settled"
        )
        assert kept.delivered_on.isoformat() == winner["delivered_on"]
    at_dividebuy = _sandbox(sandbox, "GET", "/state")["settlements"]
    assert len(at_dividebuy) == len(orders)


def test_shoppers_returning_while_hosts_reconcile_record_each_completion_once(
    sandbox: SandboxServer, database_url: str, tmp_path: Path
):
    store = SqlStore(database_url)
    quote_ids = _quotes(sandbox, store, [f"82{n:02d}" for n in range(12)])
    for quote_id in quote_ids:
        _sandbox(sandbox, "POST", f"/quotes/{quote_id}/complete")

    hosts = Hosts(sandbox, database_url, tmp_path)
    results = hosts.run(
        [
            {"kind": "cli", "argv": ["reconcile", "--listener", "shop_listener:notify"]},
            {"kind": "cli", "argv": ["reconcile", "--listener", "shop_listener:notify"]},
            {"kind": "return", "url": database_url, "quotes": quote_ids},
            {"kind": "return", "url": database_url, "quotes": quote_ids[::-1]},
        ]
    )

    assert [code for code, _, _ in results] == [0] * 4, [err for _, _, err in results]
    lines = hosts.events.read_text().splitlines() if hosts.events.exists() else []
    reconciled = [json.loads(line) for line in lines]
    returned = [e for _, out, _ in results[2:] for e in json.loads(out)]
    told = Counter(quote_id for _, quote_id in reconciled + returned)
    assert told == Counter(quote_ids)  # every completion told once, by whichever host won
    assert {event for event, _ in reconciled + returned} == {"quote_completed"}
    for quote_id in quote_ids:
        record = store.get(quote_id)
        assert record is not None and record.status is CheckoutStatus.COMPLETED
        moves = [t for t in store.history(quote_id) if t.to_status == "completed"]
        assert len(moves) == 1, quote_id
