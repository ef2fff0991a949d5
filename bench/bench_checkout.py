"""The checkout blueprint's own time per submit and per return, DivideBuy's time excluded.

The shop is the example shop (its Flask app, the real blueprint, Flask-WTF, the UK
schema, a SQLite store in WAL mode on disk). DivideBuy is the sandbox app served
*in-process* through ``httpx.WSGITransport``, wrapped in a transport that adds up
the time spent inside it: the blueprint's time is each request's wall time minus
that. So the figures are what the shop's server spends, whatever DivideBuy's
latency.

    python bench/bench_checkout.py [--orders 300]

Printed per step: median, p90 and p99 in milliseconds, and DivideBuy's own median
time for scale. "return (reload)" is a second visit to a return page whose outcome
is already recorded (no DivideBuy call at all).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # tests/support.py: the demo shopper, the example shop

from support import ANSWERS, CUSTOMER, create_example_shop, example_module  # noqa: E402

from dividebuy_checkout import DivideBuyClient  # noqa: E402
from dividebuy_checkout.sandbox import SandboxApp  # noqa: E402
from dividebuy_checkout.settings import Settings  # noqa: E402
from dividebuy_checkout.tokens import MemoryTokenStore  # noqa: E402

customer_from = example_module("orders").customer_from


class TimedTransport(httpx.BaseTransport):
    """Counts the seconds spent inside DivideBuy (here: the in-process sandbox)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.spent = 0.0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = self.inner.handle_request(request)
        response.read()
        self.spent += time.perf_counter() - started
        return response


def _summary(name: str, own: list[float], dividebuy: list[float]) -> str:
    ms = sorted(x * 1000 for x in own)
    p90 = ms[int(len(ms) * 0.9) - 1]
    p99 = ms[max(int(len(ms) * 0.99) - 1, 0)]
    theirs = statistics.median(dividebuy) * 1000 if dividebuy else 0.0
    return (
        f"{name:<17} median {statistics.median(ms):6.2f} ms   p90 {p90:6.2f} ms   "
        f"p99 {p99:6.2f} ms   (DivideBuy's own median {theirs:5.2f} ms, n={len(ms)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()

    sandbox = SandboxApp()
    transport = TimedTransport(httpx.WSGITransport(app=sandbox))
    settings = Settings(
        client_id="bench", client_secret="bench", environment="local", base_url="http://sandbox"
    )
    client = DivideBuyClient(settings=settings, token_store=MemoryTokenStore(), transport=transport)
    with tempfile.TemporaryDirectory() as folder:
        app = create_example_shop(
            {
                "SECRET_KEY": "bench-secret-key-0123456789abcdef",
                "DIVIDEBUY_ENVIRONMENT": "local",
                "DIVIDEBUY_BASE_URL": "http://sandbox",
                "DIVIDEBUY_CLIENT_ID": "bench",
                "DIVIDEBUY_CLIENT_SECRET": "bench",
                "DIVIDEBUY_DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                "DIVIDEBUY_RATE_LIMIT": None,
                "SERVER_NAME": "shop.test",
            }
        )
        state = app.extensions["dividebuy"]
        service = state.services["checkout"]
        service.client = client  # the same client code, DivideBuy in-process and timed
        service.terms.client = client  # the app's terms source (shared with the widgets) too
        book = app.extensions["shop_orders"]
        http = app.test_client()

        submit_own, submit_theirs, return_own, return_theirs, reload_own = [], [], [], [], []
        for n in range(args.orders + 5):  # the first five warm up (token, terms, templates)
            order = book.place({"walnut-desk": 1}, customer_from(CUSTOMER))
            url = f"/dividebuy/apply/{service.start_token(order.id)}"
            form = http.get(url).get_data(as_text=True)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)

            before, started = transport.spent, time.perf_counter()
            response = http.post(
                url, data={"csrf_token": token, **ANSWERS, "submit": "Continue to DivideBuy"}
            )
            wall, theirs = time.perf_counter() - started, transport.spent - before
            assert response.status_code == 303, response.get_data(as_text=True)
            record = service.status(order.id)
            sandbox.state.complete_quote(record.quote_id)
            back = f"/dividebuy/return?ref={service.return_token(record)}"

            before, started = transport.spent, time.perf_counter()
            returned = http.get(back)
            wall_back, theirs_back = time.perf_counter() - started, transport.spent - before
            assert returned.status_code == 303, returned.get_data(as_text=True)

            started = time.perf_counter()
            assert http.get(back).status_code == 303
            wall_reload = time.perf_counter() - started
            if n >= 5:
                submit_own.append(wall - theirs)
                submit_theirs.append(theirs)
                return_own.append(wall_back - theirs_back)
                return_theirs.append(theirs_back)
                reload_own.append(wall_reload)

        python = sys.version.split()[0]
        print(f"checkout blueprint, {args.orders} orders, SQLite on disk, Python {python}")
        print(_summary("submit", submit_own, submit_theirs))
        print(_summary("return", return_own, return_theirs))
        print(_summary("return (reload)", reload_own, []))


if __name__ == "__main__":
    main()
