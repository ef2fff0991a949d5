"""Client overhead and token single-flight, against the local sandbox on loopback.

Prints calls per second through ``DivideBuyClient`` beside raw ``httpx`` calls to
the same endpoint in the same run (the overhead ratio; target ≤ 1.2×), the cost of
checking a terms reply's arithmetic and APRs when nothing is cached (every reply
is checked; identical replies are checked once), and the number of token requests
when 16 threads share one fresh client (target: 1).

    python bench/bench_client.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from dividebuy_checkout import DivideBuyClient, MemoryTokenStore
from dividebuy_checkout.figures import term_problems
from dividebuy_checkout.sandbox import SandboxServer


def _rate(calls: int, fn) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return calls / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with SandboxServer() as sandbox:
        client = DivideBuyClient(
            client_id="bench",
            client_secret="bench-secret",
            environment="local",
            base_url=sandbox.url,
            token_store=MemoryTokenStore(),
        )
        raw = httpx.Client(base_url=sandbox.url, timeout=15)
        token = raw.post(
            "/oauth/token",
            json={"grant_type": "client_credentials"},
            auth=("bench", "bench-secret"),
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

        def raw_call() -> None:
            response = raw.get("/terms", params={"amount": "2000.00"}, headers=headers)
            response.raise_for_status()
            response.json()

        def client_call() -> None:
            client.get_terms("2000.00")

        raw_call(), client_call()  # warm both connections and the token
        raw_rates, client_rates = [], []
        for _ in range(args.rounds):  # interleaved, so drift hits both alike
            raw_rates.append(_rate(args.calls, raw_call))
            client_rates.append(_rate(args.calls, client_call))
        raw_best, client_best = max(raw_rates), max(client_rates)
        print(f"raw httpx          {raw_best:8.0f} calls/s  (best of {args.rounds} × {args.calls})")
        print(f"DivideBuyClient    {client_best:8.0f} calls/s")
        print(f"overhead ratio     {raw_best / client_best:8.2f}×  (target ≤ 1.2×)")

        terms = client.get_terms("2000.00")
        checks = 200
        started = time.perf_counter()
        for _ in range(checks):
            term_problems.cache_clear()
            for term in terms.available:
                term_problems(term, terms.order_value)
        check_us = (time.perf_counter() - started) / checks * 1e6
        print(
            f"figure checks      {check_us:8.0f} µs per terms reply of {len(terms.available)} "
            f"terms, uncached ({check_us * raw_best / 1e4:.1f} % of a raw call)"
        )

        before = httpx.get(f"{sandbox.url}/_sandbox/state").json()["token_requests"]
        shared = DivideBuyClient(
            client_id="bench-threads",
            client_secret="bench-secret",
            environment="local",
            base_url=sandbox.url,
            token_store=MemoryTokenStore(),
        )
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda _: shared.get_terms("2000.00"), range(1000)))
        elapsed = time.perf_counter() - started
        after = httpx.get(f"{sandbox.url}/_sandbox/state").json()["token_requests"]
        print(
            f"16 threads × 1,000 calls: {1000 / elapsed:.0f} calls/s, "
            f"token requests {after - before} (target exactly 1)"
        )


if __name__ == "__main__":
    main()
