"""Instalment widgets on product pages: DivideBuy calls, warm render cost, and DivideBuy down.

Against the local sandbox on loopback, through a Flask product page (the Flask test client),
all in one process and one run:

1. **calls**: 10,000 product-page renders over 500 distinct prices, from 16 threads, from a
   cold cache → DivideBuy calls (target: one terms call per distinct price, one example call
   per price that shows an interest-bearing term, per cache lifetime).
2. **warm cost**: a minimal product page, and the example shop's own product page, each with
   and without the widget, interleaved in rounds (target: with / without ≤ 1.05×).
3. **down**: a fresh app while DivideBuy answers 503, is unreachable, or is slow (5 s): how
   long each render of a new price takes, at 100 renders a second (target: the budget once,
   then no wait once the breaker is open).
4. **one source**: a product page for one price, then the checkout form for an order of that
   price, in one app → ``GET /terms`` calls (target: one; checkout and widgets share the terms
   source).
5. **anonymous amounts**: 300 clients (300 addresses) each asking the widget JSON endpoint
   about a new amount → DivideBuy calls (target: bounded by the overall limit on uncached
   amounts, 120 a minute by default, however many clients ask).

    python bench/bench_widgets.py [--renders 10000] [--prices 500] [--rounds 7] [--only 4,5]
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from flask import Flask, render_template
from jinja2 import ChoiceLoader, DictLoader

from dividebuy_checkout import DivideBuyClient, MemoryTokenStore
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.sandbox import SandboxConfig, SandboxServer

ROOT = Path(__file__).resolve().parents[1]

BUDGET = 0.3

PAGE = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{{ product.name }} · Fernhill Home</title>
<link rel="stylesheet" href="/static/shop.css">
{% if widget %}{{ dividebuy_widget_assets() }}{% endif %}
</head><body>
<header><nav aria-label="Main"><ul>{% for link in nav %}<li><a href="{{ link }}">{{ link }}</a></li>
{% endfor %}</ul></nav></header>
<main><h1>{{ product.name }}</h1><p class="price">£{{ product.price }}</p>
{% if widget %}{{ dividebuy_widget(product.price) }}{% endif %}
<p>{{ product.description }}</p>
<form method="post" action="/basket"><input type="hidden" name="sku" value="{{ product.sku }}">
<label for="q">Quantity</label><input id="q" name="quantity" value="1">
<button type="submit">Add to basket</button></form>
<ul>{% for spec in product.specs %}<li>{{ spec }}</li>{% endfor %}</ul>
</main><footer>Fernhill Home</footer></body></html>"""


def make_app(sandbox_url: str, order_source: object = None, **config: object) -> Flask:
    client = DivideBuyClient(
        client_id="bench",
        client_secret="bench-secret",
        environment="local",
        base_url=sandbox_url,
        token_store=MemoryTokenStore(),
    )
    app = Flask(__name__)
    app.config.update(
        {
            "SECRET_KEY": "bench",
            "DIVIDEBUY_DATABASE_URL": "sqlite://",
            "DIVIDEBUY_WIDGET_BUDGET": BUDGET,
            **config,
        }
    )
    DivideBuy(app, client=client, order_source=order_source)
    # A named template, compiled once and cached like any shop's (render_template_string
    # would compile on every request and hide the widget's cost).
    app.jinja_env.loader = ChoiceLoader([DictLoader({"product.html": PAGE}), app.jinja_env.loader])
    nav = ["/", "/sofas", "/tables", "/beds", "/basket"]

    def page(price: str, widget: bool) -> str:
        product = {
            "name": "Velvet three-seat sofa",
            "price": price,
            "description": "A deep three-seat sofa in teal cotton velvet on solid oak feet.",
            "sku": "SOF-3T",
            "specs": ["W 210 cm", "D 95 cm", "H 80 cm", "Oak feet", "Made to order"],
        }
        return render_template("product.html", product=product, widget=widget, nav=nav)

    app.add_url_rule("/with/<price>", "with_widget", lambda price: page(price, True))
    app.add_url_rule("/without/<price>", "without_widget", lambda price: page(price, False))
    return app


def close(app: Flask) -> None:
    app.extensions["dividebuy"].services["widgets"].close()


def prices(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    chosen: set[Decimal] = set()
    while len(chosen) < count:
        chosen.add(Decimal(rng.randrange(5_000, 500_000)) / 100)  # £50 – £5,000
    return [f"{p:.2f}" for p in sorted(chosen)]


def calls(sandbox: SandboxServer) -> dict[str, int]:
    counted = sandbox.state.snapshot()["calls"]
    return {route: int(counted.get(route, 0)) for route in ("TERMS", "REPRESENTATIVE_EXAMPLE")}


def part_calls(sandbox: SandboxServer, renders: int, distinct: list[str]) -> None:
    print(f"\n1. {renders:,} renders over {len(distinct)} distinct prices, 16 threads, cold cache")
    sandbox.state.reset()
    app = make_app(sandbox.url)
    order = [distinct[i % len(distinct)] for i in range(renders)]
    random.Random(1).shuffle(order)

    def render(chunk: list[str]) -> int:
        client = app.test_client()
        shown = 0
        for price in chunk:
            html = client.get(f"/with/{price}").text
            shown += 'data-state="shown"' in html
        return shown

    chunks = [order[i::16] for i in range(16)]
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        shown = sum(pool.map(render, chunks))
    elapsed = time.perf_counter() - started
    stats = app.extensions["dividebuy"].services["widgets"].stats()
    service = app.extensions["dividebuy"].services["widgets"]
    needing_example = sum(
        1
        for price in distinct
        if (terms := service.terms.peek(Decimal(price))) is not None
        and any(t.available and not t.interest_free for t in terms.terms)
    )
    made = calls(sandbox)
    print(f"   rendered in {elapsed:.2f} s; widget shown on {shown:,} pages")
    print(
        f"   DivideBuy terms calls:   {made['TERMS']:>6}  (target {len(distinct)}: one per price)"
    )
    print(
        f"   DivideBuy example calls: {made['REPRESENTATIVE_EXAMPLE']:>6}  "
        f"(target {needing_example}: one per price showing an interest-bearing term)"
    )
    print(
        f"   renders by outcome: shown {stats['shown']:,}, partial {stats['partial']:,}, "
        f"ineligible {stats['ineligible']:,}, unavailable {stats['unavailable']:,}"
    )
    close(app)


def _timed(fn: Callable[[], object], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n


def part_warm(sandbox: SandboxServer, distinct: list[str], rounds: int) -> None:
    print(f"\n2. warm cache: the same page with and without the widget, {rounds} rounds")
    sandbox.state.reset()
    app = make_app(sandbox.url)
    report = app.extensions["dividebuy"].services["widgets"].warm(distinct)
    failed = len(report.failed)
    print(f"   warmed {report.prices} prices ({report.eligible} eligible, {failed} failed)")
    client = app.test_client()
    cycle = iter(distinct * 10_000)
    with_times, without_times = [], []

    def without() -> None:
        without_times.append(_timed(lambda: client.get(f"/without/{next(cycle)}"), 500))

    def with_widget() -> None:
        with_times.append(_timed(lambda: client.get(f"/with/{next(cycle)}"), 500))

    with_widget(), without()  # warm-up, not counted
    with_times.clear(), without_times.clear()
    for n in range(rounds):  # ABBA order, so drift in the machine's speed hits both alike
        for run in (without, with_widget) if n % 2 == 0 else (with_widget, without):
            run()
    with_ms = statistics.median(with_times) * 1000
    without_ms = statistics.median(without_times) * 1000
    print(f"   page without widget: {without_ms:.3f} ms   with widget: {with_ms:.3f} ms (medians)")
    print(f"   ratio with / without: {with_ms / without_ms:.3f}×  (target ≤ 1.05×)")
    close(app)


def part_shop(sandbox: SandboxServer, rounds: int) -> None:
    """The example shop's own product page, with its finance include and with it emptied."""
    if str(ROOT / "tests") not in sys.path:
        sys.path.insert(0, str(ROOT / "tests"))
    from support import create_example_shop, example_module

    create_app = create_example_shop
    PRODUCTS = example_module("catalogue").PRODUCTS

    print(f"\n2b. the example shop's product page with and without its widget, {rounds} rounds")
    sandbox.state.reset()
    config = {
        "SECRET_KEY": "bench",
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": sandbox.url,
        "DIVIDEBUY_CLIENT_ID": "bench",
        "DIVIDEBUY_CLIENT_SECRET": "bench-secret",
        "DIVIDEBUY_DATABASE_URL": "sqlite://",
    }
    shops = {"with": create_app(config), "without": create_app(config)}
    bare = shops["without"]
    bare.jinja_env.loader = ChoiceLoader(
        [DictLoader({"shop/_finance_widget.html": ""}), bare.jinja_env.loader]
    )
    slugs = [p.slug for p in PRODUCTS]
    clients = {name: app.test_client() for name, app in shops.items()}
    for client in clients.values():  # warm: figures, templates, sessions
        for slug in slugs:
            assert client.get(f"/products/{slug}").status_code == 200
    times: dict[str, list[float]] = {"with": [], "without": []}
    cycle = iter(slugs * 100_000)
    for n in range(rounds):
        order = ("without", "with") if n % 2 == 0 else ("with", "without")
        for name in order:
            client = clients[name]
            times[name].append(_timed(lambda c=client: c.get(f"/products/{next(cycle)}"), 500))
    with_ms = statistics.median(times["with"]) * 1000
    without_ms = statistics.median(times["without"]) * 1000
    print(f"   page without widget: {without_ms:.3f} ms   with widget: {with_ms:.3f} ms (medians)")
    print(f"   ratio with / without: {with_ms / without_ms:.3f}×  (target ≤ 1.05×)")
    for app in shops.values():
        close(app)


def part_down(url: str, renders: int = 200, pace: float = 0.01) -> None:
    """*renders* renders of new prices, one every *pace* seconds, while DivideBuy is down."""
    app = make_app(url)
    service = app.extensions["dividebuy"].services["widgets"]
    client = app.test_client()
    times, opened_at = [], None
    started = time.perf_counter()
    for n in range(renders):
        began = time.perf_counter()
        response = client.get(f"/with/{1000 + n}.00")
        times.append(time.perf_counter() - began)
        assert response.status_code == 200 and 'data-state="shown"' not in response.text
        if opened_at is None and service.breaker.state.value == "open":
            opened_at = (n, time.perf_counter() - started)
        time.sleep(pace)
    stats = service.stats()
    waited = [t for t in times if t > BUDGET / 2]
    rest = sorted(times)[: len(times) - len(waited)]
    print(
        f"   first render {times[0] * 1000:.0f} ms (budget {BUDGET * 1000:.0f} ms); "
        f"renders that waited: {len(waited)}; the other {len(rest)}: "
        f"median {statistics.median(rest) * 1000:.2f} ms, max {max(rest) * 1000:.2f} ms"
    )
    if opened_at is not None:
        after = times[opened_at[0] + 1 :]
        print(
            f"   breaker open after render {opened_at[0] + 1} ({opened_at[1]:.2f} s); "
            f"the {len(after)} renders after it: max {max(after) * 1000:.2f} ms"
        )
    print(
        f"   breaker {stats['breaker']} (opened {stats['breaker_opened']}×); "
        f"DivideBuy terms calls {stats['terms_calls']}, short-circuited {stats['short_circuits']}"
    )
    close(app)


class OneOrder:
    """An order source holding one order for *price* (the checkout form's order)."""

    def __init__(self, price: str) -> None:
        from dividebuy_checkout.orders import Address, Customer, Order, OrderLine

        home = Address(house_number="12", address_line_1="Acacia Avenue", town="Leeds",
                       postcode="LS1 4AP")  # fmt: skip
        self.order = Order(
            order_id="B-1",
            order_ref="B-1",
            lines=(OrderLine("Velvet sofa", 1, unit_price_including_vat=price, sku="SOF-3T"),),
            subtotal=(Decimal(price) / Decimal("1.2")).quantize(Decimal("0.01")),
            vat=Decimal(price) - (Decimal(price) / Decimal("1.2")).quantize(Decimal("0.01")),
            vat_rate=20,
            shipping="0.00",
            total=Decimal(price),
            customer=Customer("Ada", "Lovelace", "ada@example.com", "07400 123456", home),
        )

    def get_order(self, order_id: str) -> object:
        return self.order if order_id == self.order.order_id else None


def part_one_source(sandbox: SandboxServer, price: str = "1749.00") -> None:
    print(f"\n4. one price ({price}): a product page, then the checkout form for that price")
    sandbox.state.reset()
    orders = OneOrder(price)
    app = make_app(sandbox.url, order_source=orders, DIVIDEBUY_WIDGET_BUDGET=5.0)
    client = app.test_client()
    page = client.get(f"/with/{price}").text
    with app.test_request_context():
        form_url = app.jinja_env.globals["dividebuy_checkout_url"](orders.order.order_id)
    form = client.get(form_url)
    made = calls(sandbox)
    shown = 'data-state="shown"' in page
    print(f"   product page widget shown: {shown}; checkout form: HTTP {form.status_code}")
    print(f"   DivideBuy GET /terms calls: {made['TERMS']}  (target 1: one shared terms source)")
    close(app)


def part_anonymous(sandbox: SandboxServer, clients: int = 300) -> None:
    print(f"\n5. {clients} anonymous clients, each asking the widget JSON about a new amount")
    sandbox.state.reset()
    app = make_app(sandbox.url)
    http = app.test_client()
    answers: dict[int, int] = {}
    started = time.perf_counter()
    for n in range(clients):
        address = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        response = http.get(
            f"/dividebuy/widget/terms?amount={500 + n}.{n % 100:02d}",
            environ_base={"REMOTE_ADDR": address},
        )
        answers[response.status_code] = answers.get(response.status_code, 0) + 1
    elapsed = time.perf_counter() - started
    made = calls(sandbox)
    overall = app.config["DIVIDEBUY_WIDGET_NEW_AMOUNTS_OVERALL"]
    print(f"   answers: {dict(sorted(answers.items()))} in {elapsed:.2f} s")
    print(
        f"   DivideBuy GET /terms calls: {made['TERMS']}, examples: "
        f"{made['REPRESENTATIVE_EXAMPLE']}  (bound: {overall} uncached amounts overall)"
    )
    close(app)


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens once it is closed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=10_000)
    parser.add_argument("--prices", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", default="", help="comma-separated parts to run (1,2,2b,3,4,5)")
    args = parser.parse_args()
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    distinct = prices(args.prices)
    with SandboxServer(config=SandboxConfig(slow_seconds=0.5)) as sandbox:
        if only:
            parts: dict[str, Callable[[], None]] = {
                "1": lambda: part_calls(sandbox, args.renders, distinct),
                "2": lambda: part_warm(sandbox, distinct, args.rounds),
                "2b": lambda: part_shop(sandbox, args.rounds),
                "4": lambda: part_one_source(sandbox),
                "5": lambda: part_anonymous(sandbox),
            }
            for name in sorted(only):
                parts[name]()
            return
        part_calls(sandbox, args.renders, distinct)
        part_warm(sandbox, distinct, args.rounds)
        part_shop(sandbox, args.rounds)
        print("\n3a. DivideBuy failing (every terms call answers 503): 200 renders of new prices")
        sandbox.state.reset()
        sandbox.state.inject_fault("TERMS", 503, times=1000)
        part_down(sandbox.url)
        print("\n3b. DivideBuy unreachable (connection refused): 200 renders of new prices")
        part_down(closed_port())
        print("\n3c. DivideBuy slow (5 s per reply): 200 renders of new prices")
        sandbox.state.reset()
        sandbox.state.configure(latency=5.0)
        part_down(sandbox.url)
        sandbox.state.configure(latency=0.0)
        part_one_source(sandbox)
        part_anonymous(sandbox)


if __name__ == "__main__":
    main()
