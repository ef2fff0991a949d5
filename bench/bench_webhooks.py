"""REC+ webhook intake over loopback: what a delivery costs, by what it turns out to be.

    .venv/bin/python bench/bench_webhooks.py [--deliveries 200]

A Flask app wired to the REC+ fake and the DivideBuy sandbox (as in
tests/integrations/platform_app.py) is served on loopback; deliveries are posted
to it one after another and timed:

1. **ignored**: orders without a DivideBuy checkout (no REC+ call, no DivideBuy call);
2. **duplicate**: the same dispatched order again (one REC+ re-read, the insert
   refused by the unique key, nothing sent to DivideBuy);
3. **settle**: the first delivery for each of a few completed orders (REC+ re-read,
   recorded, settled at the sandbox inline).

Prints milliseconds per delivery (median and 95th percentile) and the sandbox's
settlement calls (it must equal the number of orders settled, whatever the repeats).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from dividebuy_checkout.integrations.recplus.fake import RecPlusFakeServer  # noqa: E402
from integrations.platform_app import (  # noqa: E402
    ORDER,
    SETTLE,
    build_platform_shop,
)

from dividebuy_checkout.money import dumps  # noqa: E402
from dividebuy_checkout.sandbox import SandboxServer  # noqa: E402


def _headers() -> dict[str, str]:
    import base64

    from integrations.platform_app import HOOK_PASSWORD, HOOK_USER

    pair = base64.b64encode(f"{HOOK_USER}:{HOOK_PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {pair}", "Content-Type": "application/json"}


def _timed(http: httpx.Client, url: str, bodies: list[bytes]) -> list[float]:
    headers = _headers()
    took = []
    for body in bodies:
        start = time.perf_counter()
        reply = http.post(url, content=body, headers=headers)
        took.append((time.perf_counter() - start) * 1000)
        assert reply.status_code == 200, reply.text
    return took


def _row(name: str, took: list[float]) -> str:
    ordered = sorted(took)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    return (
        f"{name:<10} n={len(took):<5} median {statistics.median(took):7.2f} ms   p95 {p95:7.2f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--orders", type=int, default=5)
    args = parser.parse_args(argv)
    with (
        SandboxServer() as sandbox,
        RecPlusFakeServer() as recplus,
        tempfile.TemporaryDirectory() as tmp,
    ):
        shop = build_platform_shop(sandbox, recplus, Path(tmp))
        try:
            base = recplus.state.get_order(ORDER) or {}
            ids = [str(600000 + n) for n in range(args.orders)]
            for order_id in ids:
                recplus.state.put_order({**base, "id": int(order_id)})
                shop.completed_checkout(order_id)
                recplus.state.set_status(order_id, SETTLE)  # not subscribed: nothing sent
            with httpx.Client(timeout=30) as http:
                unknown = [
                    dumps({"event": "update.order", "data": {**base, "id": 700000 + n}})
                    for n in range(args.deliveries)
                ]
                ignored = _timed(http, shop.webhook_url, unknown)
                firsts = [
                    dumps({"event": "update.order", "data": recplus.state.get_order(i)})
                    for i in ids
                ]
                settled = _timed(http, shop.webhook_url, firsts)
                again = [firsts[n % len(firsts)] for n in range(args.deliveries)]
                duplicates = _timed(http, shop.webhook_url, again)
            print(_row("ignored", ignored))
            print(_row("duplicate", duplicates))
            print(_row("settle", settled))
            calls = httpx.get(f"{sandbox.url}/_sandbox/state", timeout=10).json()["settle_calls"]
            print(
                f"settlement calls at the sandbox: {calls} for {len(ids)} orders "
                f"and {len(firsts) + len(again)} deliveries"
            )
            return 0 if calls == len(ids) else 1
        finally:
            shop.stop()


if __name__ == "__main__":
    sys.exit(main())
