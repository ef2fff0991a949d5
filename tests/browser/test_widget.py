"""The instalment widget in headless Chromium, under a strict CSP, against the real sandbox.

A small Flask shop page (``default-src 'self'; script-src 'self'; style-src 'self'``) mounts
the extension on the sandbox and renders the widget on the server inside the web component,
with a variant picker the component follows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from support import create_example_shop, serve_wsgi

from dividebuy_checkout.client import DivideBuyClient
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.money import format_gbp
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.tokens import MemoryTokenStore

pytestmark = pytest.mark.browser

CSP = "default-src 'self'; script-src 'self'; style-src 'self'"
#: How long a page render waits for DivideBuy. The pages here test what the widget shows,
#: not the budget (tests/widgets covers that): on a loaded machine the first render of a
#: price (token, terms and example from the sandbox) can take over the default 0.3 s and
#: the page would then rightly show no widget, so the tests allow more.
BUDGET = 5.0

PRODUCT = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Sofa</title>
{{ dividebuy_widget_assets() }}</head>
<body><main>
<h1>Velvet sofa</h1>
<p class="price">{{ price }}</p>
<label for="variant">Size</label>
<select id="variant">
  {%- for amount, name in variants %}
  <option value="{{ name }}" data-amount="{{ amount }}">{{ name }}</option>
  {%- endfor %}
</select>
{{ dividebuy_widget(price, price_source="variant") }}
<p id="below">Description under the widget.</p>
<button id="buy" type="button">Add to basket</button>
</main></body></html>"""

BARE = """<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Bare</title>
{{ dividebuy_widget_assets() }}</head>
<body><h1>Bare</h1><dividebuy-instalments amount="{{ price }}"></dividebuy-instalments>
<p id="below">Description under the widget.</p></body></html>"""

#: a PerformanceObserver of layout shifts, installed before any page script runs
CLS_OBSERVER = """
window.__cls = 0; window.__shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    window.__shifts.push({value: entry.value, input: entry.hadRecentInput});
    if (!entry.hadRecentInput) window.__cls += entry.value;
  }
}).observe({type: "layout-shift", buffered: true});
"""


def shop_app(sandbox_url: str) -> Flask:
    client = DivideBuyClient(
        settings=Settings(
            client_id="shop", client_secret="secret", environment="local", base_url=sandbox_url
        ),
        token_store=MemoryTokenStore(),
    )
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="browser-test",
        DIVIDEBUY_DATABASE_URL="sqlite://",
        DIVIDEBUY_WIDGET_BUDGET=BUDGET,
    )
    DivideBuy(app, client=client)

    @app.after_request
    def strict_csp(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = CSP
        return response

    @app.route("/product/<price>")
    def product(price: str) -> str:
        others = [a for a in ("1749.00", "899.00", "100.00", "18500.00") if a != price]
        variants = [(a, f"Option {format_gbp(Decimal(a))}") for a in (price, *others)]
        return render_template_string(PRODUCT, price=price, variants=variants)

    @app.route("/favicon.ico")
    def favicon() -> tuple[str, int]:
        return "", 204

    @app.route("/bare/<price>")
    def bare(price: str) -> str:
        return render_template_string(BARE, price=price)

    return app


class Shop:
    """The shop page server, and what the browser saw (console errors, CSP, requests)."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.app = shop_app(sandbox.url)
        self._server = serve_wsgi(self.app)
        self.url = f"http://127.0.0.1:{self._server.port}"
        self.errors: list[str] = []
        self.requests: list[str] = []

    def watch(self, page: Any) -> Any:
        page.on("console", lambda m: m.type in ("error", "warning") and self.errors.append(m.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("request", lambda request: self.requests.append(request.url))
        return page

    def open(self, page: Any, path: str) -> Any:
        self.watch(page)
        response = page.goto(self.url + path)
        assert response is not None and response.status == 200
        page.wait_for_load_state("networkidle")
        return response

    def close(self) -> None:
        self._server.shutdown()
        self.app.extensions["dividebuy"].services["widgets"].close(wait=True)


@pytest.fixture
def shop(sandbox: SandboxServer) -> Iterator[Shop]:
    server = Shop(sandbox)
    yield server
    server.close()


@pytest.fixture
def terms(sandbox: SandboxServer) -> Callable[[str], Any]:
    client = DivideBuyClient(
        settings=Settings(
            client_id="check", client_secret="secret", environment="local", base_url=sandbox.url
        ),
        token_store=MemoryTokenStore(),
    )
    return client.get_terms


def offer(page: Any) -> str:
    return page.locator("dividebuy-instalments .dbw__offer").inner_text()


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => { const a = document.activeElement;
        return {tag: a.tagName, cls: a.className, inDialog: !!a.closest('dialog'),
                value: a.value || null}; }"""
    )


def shot(page: Any, artifacts: Path, name: str) -> None:
    path = artifacts / f"widget-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def test_the_widget_shows_dividebuys_figures(page, shop, terms, artifacts):
    shop.open(page, "/product/2000.00")
    assert offer(page) == "or 36 × £63.54 at 9.9% APR representative"
    returned = {t.months_in_term: t for t in terms("2000.00").available}
    rows = page.locator(".dbw__panel .dbw__term")
    assert rows.count() == len(returned)
    for index in range(rows.count()):
        row = rows.nth(index)
        term = returned[int(row.get_attribute("data-months"))]
        values = row.locator("td").all_text_contents()  # inside the closed disclosure
        assert values == [
            format_gbp(term.first_instalment_cost),
            f"{term.months_in_term - 2} × {format_gbp(term.regular_instalment_cost)}",
            format_gbp(term.final_instalment_cost),
            format_gbp(term.total_to_pay),
            format_gbp(term.total_interest),
        ]
    lead = page.locator(".dbw__example--lead")
    assert lead.is_visible() and "Representative Example" in lead.inner_text()
    assert (
        "Credit subject to status. UK residents aged 18+."
        in page.locator(".dbw__notice").inner_text()
    )
    shot(page, artifacts, "product")
    assert shop.errors == []  # no CSP violation, no script error
    assert all(url.startswith(shop.url) for url in shop.requests)  # no third-party request


def test_changing_the_amount_updates_the_widget(page, shop):
    shop.open(page, "/product/1749.00")
    assert offer(page).startswith("or 36 × ")
    page.select_option("#variant", "Option £899.00")
    page.wait_for_function(
        "() => document.querySelector('.dbw__offer').textContent.includes('£74.92')"
    )
    assert offer(page) == "or 12 × £74.92 interest-free"
    assert page.locator(".dbw__example").count() == 0  # nothing interest-bearing shown
    page.evaluate("document.querySelector('dividebuy-instalments').amount = '500.00'")
    page.wait_for_function(
        "() => document.querySelector('.dbw__offer')?.textContent.includes('£41.67')"
    )
    data = page.evaluate("document.querySelector('dividebuy-instalments').refresh()")
    assert data["headline"]["text"] == "or 12 × £41.67 interest-free"
    assert page.locator(".dbw-sr-status").inner_text() == "or 12 × £41.67 interest-free"
    assert shop.errors == []


def test_an_ineligible_price_shows_nothing(page, shop):
    shop.open(page, "/product/100.00")
    widget = page.locator("dividebuy-instalments")
    assert widget.is_hidden()
    assert widget.bounding_box() is None
    assert page.locator(".dbw__box").count() == 0
    page.select_option("#variant", "Option £899.00")  # eligible: it appears
    page.wait_for_function("() => !document.querySelector('dividebuy-instalments').hidden")
    assert offer(page) == "or 12 × £74.92 interest-free"
    page.select_option("#variant", "Option £18,500.00")  # above the maximum: gone again
    page.wait_for_function("() => document.querySelector('dividebuy-instalments').hidden")
    assert page.locator(".dbw__box").count() == 0
    assert shop.errors == []


def test_the_calculator_dialog_passes_the_keyboard_checks(page, shop, artifacts):
    shop.open(page, "/product/2000.00")
    trigger = page.locator(".dbw__trigger")
    box = trigger.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24  # WCAG 2.2 target size
    trigger.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Spread the cost of £2,000.00 with DivideBuy")
    dialog.wait_for()  # screen readers get a dialog with that name
    assert page.locator("dialog.dbw__dialog").evaluate("d => d.open && d.matches(':modal')")
    assert trigger.get_attribute("aria-haspopup") == "dialog"
    # focus moved in, to the chosen term (the headline's)
    assert focused(page) == {"tag": "INPUT", "cls": "", "inDialog": True, "value": "36"}
    for name in ("close", "radio"):
        selector = ".dbw__close" if name == "close" else ".dbw__choice input"
        box = page.locator(selector).first.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, name
    # the term list is reachable by keyboard: arrows move between terms, figures follow
    page.keyboard.press("ArrowUp")
    assert focused(page)["value"] == "24"
    result = page.locator(".dbw__result")
    assert "24 months" in result.inner_text() and "£91.09" in result.inner_text()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert focused(page)["value"] == "10"
    assert "£200.00" in result.inner_text()
    # Tab and Shift+Tab cycle inside the dialog
    for key in ["Tab"] * 5 + ["Shift+Tab"] * 5:
        page.keyboard.press(key)
        assert focused(page)["inDialog"], key
    shot(page, artifacts, "dialog")
    # Esc closes and focus returns to the trigger
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog.dbw__dialog", state="detached")
    assert focused(page)["cls"] == "dbw__trigger"
    # the close button works from the keyboard too
    page.keyboard.press("Enter")
    page.locator(".dbw__close").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog.dbw__dialog", state="detached")
    assert focused(page)["cls"] == "dbw__trigger"
    assert shop.errors == []


def test_with_the_sandbox_failing_the_page_loads_without_a_widget_or_an_error(page, shop):
    shop.sandbox.state.inject_fault("TERMS", 503, times=1000)
    response = shop.open(page, "/product/2000.00")
    assert response.status == 200
    assert page.locator("dividebuy-instalments").is_hidden()
    assert page.locator("#below").is_visible()
    page.select_option("#variant", "Option £899.00")  # the endpoint says "nothing to show"
    page.wait_for_function(
        "() => document.querySelector('dividebuy-instalments').dataset.state === 'unavailable'"
    )
    assert page.locator("dividebuy-instalments").is_hidden()
    body = page.locator("body").inner_text().lower()
    assert "error" not in body and "unavailable" not in body
    assert shop.errors == []


def test_no_layout_shift_when_the_page_loads_and_the_component_upgrades(page, shop):
    page.add_init_script(CLS_OBSERVER)
    shop.open(page, "/product/2000.00")
    page.wait_for_function("() => customElements.get('dividebuy-instalments') !== undefined")
    page.wait_for_timeout(300)
    assert page.locator(".dbw__trigger").get_attribute("aria-haspopup") == "dialog"  # upgraded
    assert page.evaluate("window.__cls") == 0
    assert page.evaluate("window.__shifts") == []


def test_the_layout_shift_measurement_sees_a_widget_rendered_only_in_the_browser(page, shop):
    # The control for the test above: without the server-rendered markup the widget appears
    # after load and pushes the description down, and the observer measures it. The figures
    # are held back until the page has painted: a shift before the first paint is no shift.
    held: list[Any] = []
    page.route("**/widget/terms*", lambda route: held.append(route))
    page.add_init_script(CLS_OBSERVER)
    shop.watch(page).goto(shop.url + "/bare/899.00", wait_until="load")
    page.wait_for_function("() => document.querySelector('#below').offsetHeight > 0")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    for _ in range(250):  # the component's request, intercepted (5 s at most)
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1, "the component asked for its figures once"
    held[0].continue_()
    page.wait_for_function("() => document.querySelector('.dbw__offer') !== null")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__cls") > 0


def test_without_javascript_the_calculator_is_a_disclosure(browser, shop):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = shop.watch(context.new_page())
        page.goto(shop.url + "/product/899.00")
        assert offer(page) == "or 12 × £74.92 interest-free"
        panel = page.locator(".dbw__panel")
        assert panel.is_hidden()
        page.locator(".dbw__trigger").click()
        assert panel.is_visible()
        assert panel.locator(".dbw__term").count() == 5
    finally:
        context.close()


def test_a_component_without_server_markup_renders_from_json(page, shop):
    shop.open(page, "/bare/899.00")
    page.wait_for_function("() => document.querySelector('.dbw__offer') !== null")
    assert offer(page) == "or 12 × £74.92 interest-free"
    # one request for one amount (upgrading calls attributeChangedCallback and connectedCallback)
    assert [u for u in shop.requests if "/widget/terms" in u] == [
        shop.url + "/dividebuy/widget/terms?amount=899.00"
    ]
    page.locator(".dbw__trigger").click()
    page.get_by_role("dialog", name="Spread the cost of £899.00 with DivideBuy").wait_for()
    assert shop.errors == []


def test_the_example_shops_product_page_follows_the_quantity(page, sandbox, artifacts):
    app = create_example_shop(
        {
            "SECRET_KEY": "test-secret-key-for-the-example-shop-0123456789",
            "DIVIDEBUY_ENVIRONMENT": "local",
            "DIVIDEBUY_BASE_URL": sandbox.url,
            "DIVIDEBUY_CLIENT_ID": "shop",
            "DIVIDEBUY_CLIENT_SECRET": "secret",
            "DIVIDEBUY_DATABASE_URL": "sqlite://",
            "DIVIDEBUY_WIDGET_BUDGET": BUDGET,
        }
    )
    server = serve_wsgi(app)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"http://127.0.0.1:{server.port}/products/walnut-desk")
        page.wait_for_load_state("networkidle")
        assert offer(page) == "or 12 × £74.92 interest-free"
        page.fill("#quantity", "3")  # 3 × £899.00 = £2,697.00 opens the interest-bearing terms
        page.wait_for_function(
            "() => document.querySelector('dividebuy-instalments').amount === '2697.00'"
        )
        page.wait_for_function(
            "() => document.querySelector('.dbw__offer')?.textContent.includes('36 ×')"
        )
        assert offer(page) == "or 36 × £85.69 at 9.9% APR representative"
        assert "£2,697.00" in page.locator(".dbw__example--lead").inner_text()
        shot(page, artifacts, "example-shop")
        assert errors == []
    finally:
        server.shutdown()
        app.extensions["dividebuy"].services["widgets"].close(wait=True)
