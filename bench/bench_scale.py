"""Scale-out under load: gunicorn with 4 workers, PostgreSQL, Redis and the sandbox, on loopback.

    python bench/bench_scale.py [--seconds 4] [--shoppers 16] [--orders-each 4]

What runs (all on 127.0.0.1, all started and cleaned up by this script, bounded in
requests and time; it stops by itself):

- the DivideBuy sandbox in its own process, behind a small WSGI wrapper that counts
  ``GET /terms`` per amount and times every call (so DivideBuy's time can be taken out
  of the shop's figures);
- the example shop under gunicorn (4 gthread workers) on PostgreSQL (a database of its
  own, created and dropped: ``postgresql+psycopg://root@127.0.0.1:5432/…``) and Redis (a
  key prefix of its own, deleted), reaching Redis through a loopback TCP proxy this
  script can cut;
- a load generator: ``wrk`` when installed (``apt-get install wrk``), else an asyncio
  httpx client; the checkout shoppers are always httpx (they follow forms and cookies).

Printed, in one run: token requests across all workers (target 1); terms calls per
distinct price (target 1 per lifetime); requests/s and p50/p99 of a product page with
the widget vs the same page without it (target ≥ 0.95×) and of the widget JSON endpoint
vs a bare Flask JSON route in the same app (target ≥ 0.8×); checkout submit and return
p50/p99 with 16 concurrent shoppers (the shop's own time: DivideBuy's subtracted);
4 workers × 50 concurrent refunds on one order (refunded total never above the order);
then Redis cut mid-run: pages keep answering within their budgets, one warning per
worker (read from gunicorn's log).

This module is also the gunicorn app (``bench_scale:shop_app()``) and the sandbox
process (``--sandbox``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import multiprocessing
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "tests", ROOT / "tests" / "redis"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from support import ANSWERS, CUSTOMER, example_module  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://root@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
WORKERS = 4
THREADS = 4
#: the product whose page is measured (has finance: the widget shows figures)
SLUG = "walnut-desk"
#: the widget budget (the Flask default): what a page may wait for DivideBuy
BUDGET = 0.3
SECRET_KEY = "bench-scale-secret-key-0123456789abcdef"
CLIENT_ID, CLIENT_SECRET = "bench-scale", "bench-scale-client-secret"
#: hard stop for the whole run, whatever happens
RUN_LIMIT_SECONDS = 600
ORDER_PREFIX = "bench-"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)] if ordered else 0.0


# == the sandbox process ========================================================================


class CountingSandbox:
    """The sandbox app, counting ``GET /terms`` per amount and timing every API call.

    ``GET /_bench/report`` answers the counts and, per call, its route, key (the bench order
    id of a ``POST /quotes``, the quote id of a ``GET /quotes/…``) and seconds spent.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.terms: Counter[str] = Counter()
        self.timings: list[tuple[str, str, float]] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/_bench/report":
            with self.lock:
                body = json.dumps({"terms": self.terms, "timings": self.timings}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        key = ""
        if method == "POST" and path == "/quotes":
            raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(raw)
            found = re.search(rb"bench-[0-9a-z-]+", raw)
            key = found.group(0).decode() if found else ""
        elif path.startswith("/quotes/"):
            key = path.rsplit("/", 1)[-1]
        elif path == "/terms":
            amount = re.search(r"amount=([0-9.]+)", environ.get("QUERY_STRING", ""))
            with self.lock:
                self.terms[amount.group(1) if amount else "?"] += 1
        started = time.perf_counter()
        body = b"".join(self.app(environ, start_response))
        with self.lock:
            self.timings.append(
                (f"{method} {path.split('/')[1]}", key, time.perf_counter() - started)
            )
        return [body]


def serve_sandbox() -> None:
    """``--sandbox``: serve the counting sandbox on a free port; print its URL."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from dividebuy_checkout.sandbox import SandboxApp, SandboxConfig

    class Quiet(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return None

    sandbox = SandboxApp(SandboxConfig())
    server = make_server(
        "127.0.0.1", 0, CountingSandbox(sandbox), threaded=True, request_handler=Quiet
    )
    print(f"http://127.0.0.1:{server.port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


# == the shop, as gunicorn loads it ===============================================================


def bench_order(order_id: str) -> Any:
    """The same order in every worker for an id ``bench-…``: a real shop reads its database;
    the example shop keeps orders in memory, per process."""
    orders = example_module("orders")
    catalogue = example_module("catalogue")
    return orders.ShopOrder(
        order_id, ((catalogue.BY_SLUG[SLUG], 1),), orders.customer_from(CUSTOMER)
    )


def shop_app() -> Any:
    """The gunicorn app: the example shop, configured from ``BENCH_*`` variables, plus a
    page without the widget, a bare JSON route and a start link for the bench's shoppers."""
    from flask import abort, jsonify, redirect, render_template, request, url_for
    from jinja2 import Undefined

    from dividebuy_checkout.flask import get_state

    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format="pid=%(process)d %(levelname)s %(name)s: %(message)s",
    )
    shop = example_module("app")
    base = example_module("orders").OrderBook

    class SharedBook(base):  # type: ignore[misc, valid-type]
        def get(self, order_id: str) -> Any:
            found = super().get(order_id)
            if found is None and str(order_id).startswith(ORDER_PREFIX):
                return bench_order(str(order_id))
            return found

    shop.OrderBook = SharedBook  # the factory builds its book from this name
    app = shop.create_app(
        {
            "SECRET_KEY": SECRET_KEY,
            "DIVIDEBUY_ENVIRONMENT": "local",
            "DIVIDEBUY_BASE_URL": os.environ["BENCH_SANDBOX_URL"],
            "DIVIDEBUY_CLIENT_ID": CLIENT_ID,
            "DIVIDEBUY_CLIENT_SECRET": CLIENT_SECRET,
            "DIVIDEBUY_DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
            "DIVIDEBUY_REDIS_URL": os.environ["BENCH_REDIS_URL"],
            "DIVIDEBUY_REDIS_PREFIX": os.environ["BENCH_REDIS_PREFIX"],
            # every shopper comes from 127.0.0.1: per-address limits would measure themselves
            "DIVIDEBUY_RATE_LIMIT": None,
        }
    )
    catalogue = example_module("catalogue")

    @app.route("/bench/plain/<slug>")
    def plain_product(slug: str) -> Any:
        """The product page exactly as the shop's, without the widget."""
        item = catalogue.BY_SLUG.get(slug)
        if item is None:
            abort(404)
        form = shop.AddToBasketForm(slug=slug)
        return render_template(
            "shop/product.html",
            product=item,
            form=form,
            amount=item.price,
            dividebuy_widget=Undefined(name="dividebuy_widget"),  # "is defined" is false
        )

    @app.route("/bench/json")
    def bare_json() -> Any:
        return jsonify(amount=request.args.get("amount"), ok=True)

    @app.route("/bench/start/<order_id>")
    def start(order_id: str) -> Any:
        service = get_state().services["checkout"]
        return redirect(url_for("dividebuy.apply", token=service.start_token(order_id)))

    return app


# == set-up and clean-up =========================================================================


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def database(server_url: str) -> Iterator[str]:
    """A PostgreSQL database of the run's own, with the package's tables; dropped after."""
    import psycopg

    parts = urlsplit(server_url)
    conninfo = f"host={parts.hostname} port={parts.port or 5432} user={parts.username or 'root'}"
    name = f"dividebuy_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(conninfo + f" dbname={parts.path.lstrip('/')}", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = f"{parts.scheme}://{parts.netloc}/{name}"
    try:
        create_tables(url)
        yield url
    finally:
        with psycopg.connect(conninfo + f" dbname={parts.path.lstrip('/')}", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_tables(url: str) -> None:
    """The package's schema: ``dividebuy-checkout db upgrade`` (its migrations), or, in a
    tree from before migrations, the store's constructor (which created the tables)."""
    from sqlalchemy import inspect

    from dividebuy_checkout.store import SqlStore, make_engine

    engine = make_engine(url)
    try:
        try:
            from dividebuy_checkout.store import schema
        except ImportError:
            SqlStore(url).engine.dispose()
        else:
            schema.upgrade(engine)
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if not any(name.endswith("checkouts") for name in tables):
        raise RuntimeError(f"no checkout tables in the bench database (found {tables})")


def delete_keys(redis_url: str, prefix: str) -> None:
    import redis

    with redis.Redis.from_url(redis_url, socket_timeout=5) as client:
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        if keys:
            client.delete(*keys)


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], log: Path | None = None) -> Iterator[Any]:
    out = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(  # noqa: S603 (this script's own commands)
        args, env=env, stdout=subprocess.PIPE if log is None else out, stderr=out, text=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if log:
            out.close()  # type: ignore[union-attr]


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


# == load ==========================================================================================


def load(url: str, seconds: float, connections: int) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, non-2xx) of GETs of *url* for *seconds*."""
    if shutil.which("wrk"):
        wrk = shutil.which("wrk") or "wrk"
        out = subprocess.run(  # noqa: S603 (wrk on a loopback URL)
            [wrk, "-t2", f"-c{connections}", f"-d{max(int(seconds), 1)}s", "--latency", url],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
        ).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
        bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        return rps, _ms(lat["50"]), _ms(lat["99"]), int(bad.group(1)) if bad else 0
    return asyncio.run(_httpx_load(url, seconds, connections))


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


async def _httpx_load(
    url: str, seconds: float, connections: int
) -> tuple[float, float, float, int]:
    took: list[float] = []
    bad = 0
    end = time.perf_counter() + seconds

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal bad
        while time.perf_counter() < end:
            started = time.perf_counter()
            response = await client.get(url)
            took.append(time.perf_counter() - started)
            bad += response.status_code >= 400

    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(client) for _ in range(connections)))
        wall = time.perf_counter() - started
    return len(took) / wall, percentile(took, 0.5) * 1000, percentile(took, 0.99) * 1000, bad


def compare(name: str, a: str, b: str, seconds: float, connections: int, target: float) -> None:
    """Alternate *a* and *b*, three rounds each (drift on a shared machine hits both); the
    median round of each is compared."""
    runs: dict[str, list[tuple[float, float, float, int]]] = {a: [], b: []}
    for _ in range(3):
        for url in (a, b):
            runs[url].append(load(url, seconds, connections))
    rps = {url: statistics.median(r[0] for r in rs) for url, rs in runs.items()}
    for label, url in ((f"{name} (with)", a), (f"{name} (baseline)", b)):
        rs = runs[url]
        print(
            f"  {label:<34} {rps[url]:8.1f} req/s   "
            f"p50 {statistics.median(r[1] for r in rs):6.2f} ms   "
            f"p99 {statistics.median(r[2] for r in rs):6.2f} ms   errors {sum(r[3] for r in rs)}"
        )
    ratio = rps[a] / rps[b]
    print(
        f"  {name}: ratio {ratio:.3f}x (target >= {target}x) -> "
        f"{'OK' if ratio >= target else 'MISSED'}"
    )


# == shoppers ================================================================================


async def shopper(shop: str, ids: list[str], results: list[dict[str, Any]]) -> None:
    """One shopper, one cookie jar: for each order, the form, submit, DivideBuy's page, return."""
    async with httpx.AsyncClient(base_url=shop, timeout=30) as http:
        for order_id in ids:
            form = await http.get(f"/bench/start/{order_id}", follow_redirects=True)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text)
            assert token, f"no application form for {order_id}: {form.status_code}"
            started = time.perf_counter()
            sent = await http.post(
                str(form.url),
                data={"csrf_token": token.group(1), **ANSWERS, "submit": "Continue to DivideBuy"},
            )
            submit = time.perf_counter() - started
            assert sent.status_code == 303, sent.text[:500]
            hosted = sent.headers["location"]
            async with httpx.AsyncClient(timeout=30) as dividebuy:  # another site: no cookies
                page = await dividebuy.get(hosted)
                action = re.search(r'action="([^"]+/complete)"', page.text)
                assert action, "no complete button on DivideBuy's page"
                done = await dividebuy.post(urljoin(hosted, action.group(1)))
            back = done.headers["location"]
            started = time.perf_counter()
            returned = await http.get(back)
            came_back = time.perf_counter() - started
            assert returned.status_code == 303, returned.text[:500]
            results.append({"order": order_id, "submit": submit, "return": came_back})


def checkout_phase(shop: str, sandbox: str, shoppers: int, each: int) -> list[str]:
    ids = [[f"{ORDER_PREFIX}{s}-{n}" for n in range(each)] for s in range(shoppers)]
    results: list[dict[str, Any]] = []

    async def everyone() -> None:
        await asyncio.gather(*(shopper(shop, mine, results) for mine in ids))

    asyncio.run(everyone())
    report = httpx.get(f"{sandbox}/_bench/report", timeout=10).json()
    state = httpx.get(f"{sandbox}/_sandbox/state", timeout=10).json()
    quote_of = {o["retailer_order_id"]: o["quote_id"] for o in state["orders"]}
    spent: dict[str, float] = defaultdict(float)
    for _route, key, seconds in report["timings"]:
        if key:
            spent[key] += seconds
    submit_own = [r["submit"] - spent[r["order"]] for r in results]
    return_own = [r["return"] - spent[quote_of.get(r["order"], "?")] for r in results]
    theirs = [spent[r["order"]] for r in results]
    print(
        f"  submit  p50 {percentile(submit_own, 0.5) * 1000:7.1f} ms   p99 "
        f"{percentile(submit_own, 0.99) * 1000:7.1f} ms   (DivideBuy's own p50 "
        f"{percentile(theirs, 0.5) * 1000:.1f} ms, subtracted; n={len(results)})"
    )
    print(
        f"  return  p50 {percentile(return_own, 0.5) * 1000:7.1f} ms   p99 "
        f"{percentile(return_own, 0.99) * 1000:7.1f} ms"
    )
    return [r["order"] for r in results]


# == refunds from 4 processes ======================================================================


def refund_worker(env: dict[str, str], order_id: str, barrier: Any, results: Any) -> None:
    """50 threads refunding £100 each of one order at once, through the back office service."""
    os.environ.update(env)
    from dividebuy_checkout import DivideBuyClient
    from dividebuy_checkout.backoffice import BackOfficeService
    from dividebuy_checkout.store import SqlStore

    outcomes: Counter[str] = Counter()
    with DivideBuyClient.from_env() as client:
        service = BackOfficeService(client, SqlStore(env["DIVIDEBUY_DATABASE_URL"]))
        barrier.wait(timeout=60)

        def one(_: int) -> None:
            try:
                service.refund(order_id, "100.00")
                outcomes["refunded"] += 1
            except Exception as exc:  # refused: more than is left, or the ledger was busy
                outcomes[type(exc).__name__] += 1

        with ThreadPoolExecutor(50) as pool:
            list(pool.map(one, range(50)))
    results.put(dict(outcomes))


def refund_phase(env: dict[str, str], sandbox: str, order_id: str) -> None:
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(WORKERS), spawn.Queue()
    workers = [
        spawn.Process(target=refund_worker, args=(env, order_id, barrier, results))
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    outcomes: Counter[str] = Counter()
    try:
        for _ in workers:
            outcomes.update(results.get(timeout=180))
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    state = httpx.get(f"{sandbox}/_sandbox/state", timeout=10).json()
    [order] = [o for o in state["orders"] if o["retailer_order_id"] == order_id]
    refunds = [r for r in state["refunds"] if r["retailer_order_id"] == order_id]
    total = sum(Decimal(str(r["amount"])) for r in refunds)
    amount = Decimal(str(order["amount"]))
    print(f"  {WORKERS} workers x 50 refunds of £100.00 on one £{amount} order: {dict(outcomes)}")
    print(
        f"  refunded at DivideBuy: £{total} in {len(refunds)} refunds; never above the order: "
        f"{'OK' if total <= amount else 'BROKEN'}"
    )


# == Redis cut mid-run =============================================================================


def mixed_pages(shop: str, seconds: float, first_amount: int) -> tuple[dict[str, list[float]], int]:
    """8 clients asking for product pages and widget JSON (cached and new amounts) for
    *seconds*: the time of each request by kind, and the number of 5xx answers."""
    took: dict[str, list[float]] = defaultdict(list)
    failures = 0
    new_amounts = iter(f"{n}.00" for n in range(first_amount, first_amount + 20_000, 7))
    kinds: list[tuple[str, Callable[[], str]]] = [
        ("product page", lambda: f"/products/{SLUG}"),
        ("other product page", lambda: "/products/oak-bookcase"),
        ("widget JSON, cached amount", lambda: "/dividebuy/widget/terms?amount=899.00"),
        ("widget JSON, new amount", lambda: f"/dividebuy/widget/terms?amount={next(new_amounts)}"),
    ]

    async def pages(offset: int) -> None:
        nonlocal failures
        end = time.perf_counter() + seconds
        async with httpx.AsyncClient(base_url=shop, timeout=10) as http:
            n = offset
            while time.perf_counter() < end:
                kind, url = kinds[n % len(kinds)]
                n += 1
                started = time.perf_counter()
                response = await http.get(url())
                took[kind].append(time.perf_counter() - started)
                failures += response.status_code >= 500

    async def concurrently() -> None:
        await asyncio.gather(*(pages(n) for n in range(8)))

    asyncio.run(concurrently())
    return took, failures


def print_pages(title: str, took: dict[str, list[float]], failures: int) -> None:
    print(f"  {title}: {sum(map(len, took.values()))} requests from 8 clients, 5xx: {failures}")
    for kind, values in took.items():
        print(
            f"    {kind:<28} p50 {percentile(values, 0.5) * 1000:6.1f} ms   p99 "
            f"{percentile(values, 0.99) * 1000:6.1f} ms   max {max(values) * 1000:6.1f} ms"
        )


def shared_warnings(text: str) -> dict[str, Counter[str]]:
    """pid -> component -> warnings, from the workers' log lines."""
    warned: dict[str, Counter[str]] = defaultdict(Counter)
    for line in text.splitlines():
        found = re.match(r"pid=(\d+) WARNING dividebuy_checkout.shared: Shared (.+?) unavail", line)
        if found:
            warned[found.group(1)][found.group(2)] += 1
    return warned


def outage_phase(shop: str, proxy: Any, log: Path, seconds: float) -> None:
    before = log.read_text(errors="replace")
    print(
        "  warnings before the cut:",
        sum(sum(c.values()) for c in shared_warnings(before).values()),
    )
    print_pages("Redis up (same mix, for comparison)", *mixed_pages(shop, seconds, 1300))
    before = log.read_text(errors="replace")
    proxy.close()
    print_pages(
        f"Redis cut (budget: widget {BUDGET * 1000:.0f} ms + one Redis timeout)",
        *mixed_pages(shop, seconds, 5301),
    )
    time.sleep(0.5)  # let the workers' log lines land
    warned = shared_warnings(log.read_text(errors="replace")[len(before) :])
    for pid, components in sorted(warned.items()):
        listed = ", ".join(f"{c}: {n}" for c, n in sorted(components.items()))
        print(f"  worker {pid} warnings: {listed}")
    print(f"  workers that warned: {len(warned)} of {WORKERS}")


# == the run ================================================================================


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sandbox", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=4.0, help="per load measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--shoppers", type=int, default=16)
    parser.add_argument("--orders-each", type=int, default=4)
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", DEFAULT_DATABASE))
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS", DEFAULT_REDIS))
    parser.add_argument(
        "--redis-timeout",
        type=float,
        default=None,
        help="the workers' Redis connect/read timeout in seconds (a URL option; default: the "
        "package's 0.1 s). A host far busier than its cores needs more, or it falls back.",
    )
    args = parser.parse_args(argv)
    if args.sandbox:
        serve_sandbox()
        return 0
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("run limit")))
    signal.alarm(RUN_LIMIT_SECONDS)

    from tcp_proxy import TcpProxy

    prefix = f"dividebuy-bench-{uuid.uuid4().hex[:8]}:"
    proxy, proxied = TcpProxy.to_url(args.redis)
    if args.redis_timeout is not None:
        joiner = "&" if "?" in proxied else "?"
        proxied += (
            f"{joiner}socket_timeout={args.redis_timeout}"
            f"&socket_connect_timeout={args.redis_timeout}"
        )
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    log = folder / "gunicorn.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    try:
        with contextlib.ExitStack() as stack:
            db = stack.enter_context(database(args.database))
            sandbox_proc = stack.enter_context(
                process([sys.executable, __file__, "--sandbox"], {**env, "PYTHONUNBUFFERED": "1"})
            )
            sandbox = sandbox_proc.stdout.readline().strip()
            port = free_port()
            shop = f"http://127.0.0.1:{port}"
            shop_env = {
                **env,
                "BENCH_SANDBOX_URL": sandbox,
                "BENCH_DATABASE_URL": db,
                "BENCH_REDIS_URL": proxied,
                "BENCH_REDIS_PREFIX": prefix,
            }
            gunicorn = [
                sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--threads",
                str(THREADS), "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}",
                "--chdir", str(ROOT / "bench"), "--graceful-timeout", "5", "--timeout", "60",
                "--keep-alive", "30",
                "bench_scale:shop_app()",
            ]  # fmt: skip
            stack.enter_context(process(gunicorn, shop_env, log))
            wait_for(f"{shop}/dividebuy/healthz")
            load_avg = os.getloadavg()
            print(
                f"machine: {os.cpu_count()} cores, load average {load_avg[0]:.1f} "
                f"(other work on the machine shares them); Redis timeout "
                f"{args.redis_timeout or 0.1} s"
            )
            health = httpx.get(f"{shop}/dividebuy/healthz", timeout=5).json()
            print(
                f"gunicorn {WORKERS} workers x {THREADS} threads, PostgreSQL, Redis via a loopback "
                f"proxy, sandbox in its own process; load: "
                f"{'wrk' if shutil.which('wrk') else 'httpx'}; health: {health['status']} "
                f"(database {health['database']}, redis {health['redis']})"
            )

            catalogue = example_module("catalogue")
            # Warm: every worker renders every product page (its terms come from one call).
            for _ in range(3):
                with ThreadPoolExecutor(8) as pool:
                    list(
                        pool.map(
                            lambda p: httpx.get(f"{shop}/products/{p.slug}", timeout=10),
                            catalogue.PRODUCTS * 4,
                        )
                    )
            price = str(catalogue.BY_SLUG[SLUG].price)

            print("\nProduct page with the widget vs the same page without it")
            compare(
                "product page",
                f"{shop}/products/{SLUG}",
                f"{shop}/bench/plain/{SLUG}",
                args.seconds,
                args.connections,
                0.95,
            )
            print("Widget JSON endpoint vs a bare Flask JSON route in the same app")
            compare(
                "widget JSON",
                f"{shop}/dividebuy/widget/terms?amount={price}",
                f"{shop}/bench/json?amount={price}",
                args.seconds,
                args.connections,
                0.8,
            )

            print(
                f"\nCheckout, {args.shoppers} concurrent shoppers x {args.orders_each} orders, "
                "PostgreSQL (own time)"
            )
            done = checkout_phase(shop, sandbox, args.shoppers, args.orders_each)

            print("\nRefunds racing on one order")
            refund_env = {
                "DIVIDEBUY_CLIENT_ID": CLIENT_ID,
                "DIVIDEBUY_CLIENT_SECRET": CLIENT_SECRET,
                "DIVIDEBUY_ENVIRONMENT": "local",
                "DIVIDEBUY_BASE_URL": sandbox,
                "DIVIDEBUY_DATABASE_URL": db,
                "DIVIDEBUY_REDIS_URL": proxied,
                "DIVIDEBUY_REDIS_PREFIX": prefix,
            }
            refund_phase(refund_env, sandbox, done[0])

            print("\nShared state across the run (Redis up)")
            state = httpx.get(f"{sandbox}/_sandbox/state", timeout=10).json()
            report = httpx.get(f"{sandbox}/_bench/report", timeout=10).json()
            print(
                "  token requests, all workers and the refund processes:",
                state["token_requests"],
                "(target 1)",
            )
            terms = report["terms"]
            print(
                f"  GET /terms per distinct price: max {max(terms.values())}, "
                f"{sum(terms.values())} calls for {len(terms)} prices (target 1 each)"
            )
            for amount, calls in sorted(terms.items(), key=lambda kv: Decimal(kv[0])):
                print(f"    £{amount}: {calls}")

            print("\nRedis cut mid-run (the proxy closes; the machine's Redis keeps running)")
            outage_phase(shop, proxy, log, args.seconds * 1.5)
            after = httpx.get(f"{sandbox}/_sandbox/state", timeout=10).json()["token_requests"]
            health = httpx.get(f"{shop}/dividebuy/healthz", timeout=5).json()
            print(f"  load average at the end: {os.getloadavg()[0]:.1f}")
            print(
                f"  token requests after the outage: {after}; "
                f"health: {health['status']}, redis {health['redis']}"
            )
    except BaseException:
        if log.exists():  # what the workers said, before the folder goes
            print("gunicorn log (last lines):", *log.read_text().splitlines()[-30:], sep="\n")
        raise
    finally:
        signal.alarm(0)
        proxy.shutdown()
        with contextlib.suppress(Exception):
            delete_keys(args.redis, prefix)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
