"""Settling 10,000 orders from a CSV against the local sandbox.

    .venv/bin/python bench/bench_settlement.py [--orders 10000] [--chunk-size 100]

Prints the DivideBuy settlement requests made (target: ceil(orders / chunk)),
the wall time, and the peak Python memory of the run (tracemalloc). The run is
the CLI's path without the progress bar: ``read_settlement_csv`` streamed into
``BackOfficeService.settle_rows`` over a real HTTP client and a SQLite store.

Three passes over the same CSV:

1. **timed**: the settlement itself, wall clock, without tracemalloc (which
   slows Python down several times);
2. **memory**: the same file again under tracemalloc, after clearing the
   ledger's settlement rows (the sandbox accepts the same date again, as
   DivideBuy does), for the peak memory;
3. **rerun**: once more with the ledger intact: every order is already settled,
   so no request at all is made.

Setting up (not timed): quotes are created over HTTP and completed through the
sandbox's admin endpoint, a few threads at a time; the shop's checkout rows are
written in one bulk insert, because ``SqlStore.add`` commits per order and that
is not what is measured here.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dividebuy_checkout.backoffice import BackOfficeService, SettlementResult, read_settlement_csv
from dividebuy_checkout.client import DivideBuyClient
from dividebuy_checkout.money import loads
from dividebuy_checkout.sandbox import SandboxConfig, SandboxServer
from dividebuy_checkout.schemas.examples import example_quote_for
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.store import CheckoutStatus, SqlStore
from dividebuy_checkout.store.tables import checkouts, settlements
from dividebuy_checkout.tokens import MemoryTokenStore

TOTAL = Decimal("600.00")


def quote_payload(order_id: str) -> dict[str, Any]:
    return example_quote_for(order_id, TOTAL)


def set_up(server: SandboxServer, client: DivideBuyClient, store: SqlStore, count: int) -> None:
    """Create *count* completed orders at the sandbox and their checkouts in the store."""
    ids = [f"B{i:06d}" for i in range(count)]
    with httpx.Client(base_url=server.url, timeout=30) as admin:

        def make(order_id: str) -> dict[str, Any]:
            quote = client.create_quote(quote_payload(order_id))
            done = admin.post(f"/_sandbox/quotes/{quote.id}/complete")
            done.raise_for_status()
            return {"order_id": order_id, **loads(done.content)["quote"]}

        with ThreadPoolExecutor(max_workers=8) as pool:
            made = list(pool.map(make, ids))
    created = datetime.now(UTC) - timedelta(days=3)
    rows = [
        {
            "quote_id": q["id"],
            "order_id": q["order_id"],
            "order_ref": f"REF-{q['order_id']}",
            "live_order_id": q["order_id"],
            "amount": TOTAL,
            "credit_amount": TOTAL,
            "term": 12,
            "status": CheckoutStatus.COMPLETED.value,
            "decision": "APPROVED",
            "checkout_url": None,
            "dividebuy_order_id": q["order_ref_id"],
            "hold_reason": None,
            "created_at": created,
            "updated_at": created,
        }
        for q in made
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(checkouts), rows)


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--chunk-size", type=int, default=100)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-settlement-"))
    config = SandboxConfig(request_log_size=100)
    with SandboxServer(config=config) as server:
        settings = Settings(
            client_id="bench", client_secret="bench", environment="local", base_url=server.url
        )
        client = DivideBuyClient(settings=settings, token_store=MemoryTokenStore())
        store = SqlStore(f"sqlite:///{workdir / 'shop.sqlite3'}").upgrade()
        _, setup_seconds = timed(lambda: set_up(server, client, store, args.orders))
        service = BackOfficeService(client, store, chunk_size=args.chunk_size)
        delivered = service.today() - timedelta(days=1)
        csv_path = workdir / "delivered.csv"
        with csv_path.open("w", encoding="utf-8") as out:
            out.write("order_id,delivered_on\n")
            out.writelines(f"B{i:06d},{delivered}\n" for i in range(args.orders))

        def settle() -> Any:
            with csv_path.open(encoding="utf-8", newline="") as stream:
                return service.settle_rows(read_settlement_csv(stream))

        calls_before = server.state.settle_calls
        report, seconds = timed(settle)
        requests = server.state.settle_calls - calls_before

        with store.engine.begin() as conn:
            conn.execute(delete(settlements))
        tracemalloc.start()
        memory_report, memory_seconds = timed(settle)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        calls_before = server.state.settle_calls
        rerun, rerun_seconds = timed(settle)
        rerun_requests = server.state.settle_calls - calls_before
        client.close()

    target = math.ceil(args.orders / args.chunk_size)
    settled = report.count(SettlementResult.SETTLED)
    print(f"orders in the CSV           {args.orders:>10,}")
    print(f"chunk size                  {args.chunk_size:>10,}")
    print(f"set-up (not timed below)    {setup_seconds:>10.1f} s")
    print(f"settled                     {settled:>10,}")
    print(f"DivideBuy requests          {requests:>10,}   (target ceil(orders/chunk) = {target})")
    print(
        f"wall time                   {seconds:>10.2f} s   ({args.orders / seconds:,.0f} orders/s)"
    )
    print(f"peak memory (tracemalloc)   {peak / 1024 / 1024:>10.1f} MiB  (run took "
          f"{memory_seconds:.1f} s traced)")  # fmt: skip
    print(f"rerun: already settled      {rerun.count(SettlementResult.ALREADY_SETTLED):>10,}")
    print(f"rerun: DivideBuy requests   {rerun_requests:>10,}   in {rerun_seconds:.2f} s")
    ok = (
        settled == args.orders
        and requests == target
        and memory_report.count(SettlementResult.SETTLED) == args.orders
        and rerun_requests == 0
    )
    if not ok:
        print("UNEXPECTED: see the figures above", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
