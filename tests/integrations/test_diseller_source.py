"""``DiSellerOrderSource`` against the DiSeller fake over loopback HTTP (DS-C1..C3, DS-M4..M7),
and a GBP order paid end to end through the checkout and the DivideBuy sandbox.

The fake is started once for this module and reset for each test. A test that moves
time moves the fake's clock (``POST /_fake/clock``) and hands the same clock
(``state.now``) to the source's budget or product cache.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from dividebuy_checkout.integrations import build_order_source
from dividebuy_checkout.integrations.diseller import (
    DiSellerOrderSource,
    PagingError,
    RequestBudget,
)
from dividebuy_checkout.integrations.diseller.fake import (
    ApiKey,
    DiSellerFakeConfig,
    DiSellerFakeServer,
)
from flask import Flask
from support import ANSWERS, press_at_dividebuy, serve_wsgi

from dividebuy_checkout.checkout import NotFinanceable
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.money import dumps, loads
from dividebuy_checkout.orders import Address, OrderNotFinanceable, OrderSourceUnavailable
from dividebuy_checkout.retry import RetryPolicy
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.sandbox.faults import SLOW, Fault
from dividebuy_checkout.settings import ConfigurationError
from dividebuy_checkout.store import CheckoutStatus

KEY = "test-api-key"
SMALL_KEY = "small-plan-key"


@pytest.fixture(scope="module")
def diseller_server() -> Iterator[DiSellerFakeServer]:
    config = DiSellerFakeConfig(
        keys={KEY: ApiKey(), SMALL_KEY: ApiKey(plan="custom", limit=3)}, slow_seconds=0.3
    )
    with DiSellerFakeServer(config=config) as server:
        yield server


@pytest.fixture
def diseller(diseller_server: DiSellerFakeServer) -> Iterator[DiSellerFakeServer]:
    diseller_server.state.reset()
    yield diseller_server
    diseller_server.state.reset()


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def make_source(
    diseller: DiSellerFakeServer, waits: list[float]
) -> Iterator[Callable[..., DiSellerOrderSource]]:
    made: list[DiSellerOrderSource] = []

    def make(api_key: str = KEY, **kwargs: Any) -> DiSellerOrderSource:
        kwargs.setdefault("retry", RetryPolicy(max_attempts=3))
        kwargs.setdefault("sleep", waits.append)
        kwargs.setdefault("timeout", 5)
        source = DiSellerOrderSource(diseller.api_url, api_key, **kwargs)
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


def advance(server: DiSellerFakeServer, seconds: int) -> None:
    """Move the fake's clock through its admin API, as an operator or a test harness would."""
    reply = httpx.post(f"{server.url}/_fake/clock", content=dumps({"advance": seconds}))
    assert reply.status_code == 200, reply.text


# -- mapping over HTTP ------------------------------------------------------------------------


def test_the_seed_order_is_not_financeable_and_costs_one_request(make_source, diseller):
    with pytest.raises(OrderNotFinanceable) as caught:
        make_source().get_order("ord_456")
    assert caught.value.reason == "This order is in USD; DivideBuy lends in pounds only."
    assert diseller.state.calls("ORDER_GET") == 1
    assert diseller.state.calls("CUSTOMER_GET") == diseller.state.calls("PRODUCT_GET") == 0


def test_a_gbp_order_from_the_fake_maps_exactly(make_source):
    order = make_source().get_order("ord_gb_1")
    assert order is not None
    assert [(x.name, x.quantity, x.unit_price_including_vat, x.sku) for x in order.lines] == [
        ("Three-seat sofa", 1, Decimal("1249.00"), "prod_sofa")
    ]
    assert (order.total, order.shipping, order.discount) == (
        Decimal("1298.00"),
        Decimal("49.00"),
        Decimal("0.00"),
    )
    # 1298.00 × 20/120 = 216.333… → 216.33; goods 1249.00 − 208.17 = 1040.83
    assert (order.vat, order.subtotal, order.vat_rate) == (
        Decimal("216.33"),
        Decimal("1040.83"),
        Decimal("20"),
    )
    assert (order.shipping_method, order.shipping_label) == ("shipping", "Shipping")
    customer = order.customer
    assert (customer.first_name, customer.last_name, customer.email) == (
        "Ann",
        "Lee",
        "ann.lee@example.co.uk",
    )
    assert customer.mobile_number == "07400123456"
    assert customer.address == Address(
        address_line_1="Flat 2",
        address_line_2="10 High Street",
        town="Leeds",
        county="West Yorkshire",
        postcode="LS1 4AP",
    )


def test_a_negative_residual_from_the_fake_is_a_discount(make_source):
    order = make_source().get_order("ord_gb_discount")
    assert order is not None
    assert (order.discount, order.total, order.customer.title) == (
        Decimal("10.00"),
        Decimal("169.98"),
        "Mr",
    )
    assert order.customer.address is not None  # country "uk"


@pytest.mark.parametrize("order_id", ["ord_float_price", "ord_string_price"])
def test_prices_not_in_whole_pence_are_not_financeable(make_source, order_id):
    with pytest.raises(OrderNotFinanceable, match="whole number of pence"):
        make_source().get_order(order_id)


def test_read_order_is_the_raw_order_in_one_request(make_source, diseller):
    source = make_source()
    assert source.read_order("ord_gb_1") == diseller.state.get_order("ord_gb_1")
    assert source.read_order("ord_nope") is None
    assert diseller.state.calls("ORDER_GET") == 2
    assert diseller.state.calls("CUSTOMER_GET") == diseller.state.calls("PRODUCT_GET") == 0


def test_unknown_and_cancelled_orders_are_none(make_source):
    source = make_source()
    assert source.get_order("ord_nope") is None
    assert source.get_order("ord_gb_cancelled") is None  # DS-M7
    assert source.get_order("") is None and source.get_order("a/b") is None
    assert source.map("ord_gb_cancelled")[1] == (
        "status 'cancelled': the order was cancelled on DiSeller"
    )


def test_payable_statuses_narrow_further(make_source):
    assert make_source(payable_statuses=frozenset({"processing"})).get_order("ord_gb_1") is None


def test_a_missing_customer_leaves_the_form_to_ask(make_source):
    order = make_source().get_order("ord_gb_no_customer")  # DS-M5: customer 404
    assert order is not None
    assert order.customer.first_name is None and order.customer.email is None


def test_a_us_shipping_address_is_not_pre_filled(make_source):
    order = make_source().get_order("ord_gb_us_address")  # DS-M6
    assert order is not None and order.customer.address is None


# -- DS-M4 products and the cache -------------------------------------------------------------


def test_a_missing_product_is_named_by_its_id(make_source):
    mapped, _ = make_source().map("ord_gb_no_product")
    assert mapped is not None and mapped.order.lines[0].name == "prod_missing"
    assert any("prod_missing not found" in note for note in mapped.notes)


def test_product_names_are_cached_for_their_lifetime_on_the_fake_clock(make_source, diseller):
    source = make_source(clock=diseller.state.now, product_cache_seconds=3600)
    source.get_order("ord_gb_1")
    source.get_order("ord_gb_1")
    assert diseller.state.calls("PRODUCT_GET") == 1
    assert diseller.state.calls("ORDER_GET") == diseller.state.calls("CUSTOMER_GET") == 2
    advance(diseller, 3601)
    source.get_order("ord_gb_1")
    assert diseller.state.calls("PRODUCT_GET") == 2


def test_thirty_concurrent_reads_naming_one_new_product_make_one_product_request(
    make_source, diseller
):
    state = diseller.state
    state.create_product({"id": "prod_new", "name": "Oak side table", "price": 15000})
    state.put_order(
        {
            "id": "ord_gb_new",
            "customer_id": "cust_gb_1",
            "status": "pending",
            "total": 30000,
            "currency": "gbp",
            "items": [{"product_id": "prod_new", "quantity": 2, "price": 15000}],
        }
    )
    state.arm_fault("PRODUCT_GET", Fault(kind=SLOW))  # the first look-up takes 0.3 s
    source = make_source()
    results: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(30)

    def read() -> None:
        start.wait(5)
        try:
            results.append(source.get_order("ord_gb_new"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert len(results) == 30
    assert {r.lines[0].name for r in results} == {"Oak side table"}
    assert state.calls("PRODUCT_GET") == 1
    assert state.calls("ORDER_GET") == 30


def test_a_big_order_reads_each_distinct_product_once(make_source, diseller):
    source = make_source()
    order = source.get_order("ord_gb_big")
    assert order is not None and len(order.lines) == 500
    assert order.total == sum((x.unit_price_including_vat for x in order.lines), Decimal(0))
    assert diseller.state.calls("PRODUCT_GET") == 500
    source.get_order("ord_gb_big")
    assert diseller.state.calls("PRODUCT_GET") == 500


# -- DS-C1 errors and rate limits -------------------------------------------------------------


def test_a_refused_key_names_the_setting_and_is_not_retried(make_source, waits):
    for source, order_id in (
        (make_source("wrong-key"), "ord_gb_1"),
        (make_source(), "ord_fault_401"),
    ):
        with pytest.raises(OrderSourceUnavailable) as caught:
            source.get_order(order_id)
        assert caught.value.config_problem is True and caught.value.status == 401
        assert "DIVIDEBUY_DISELLER_API_KEY" in (caught.value.detail or "")
    assert waits == []


def test_429_with_retry_after_1_is_retried_then_read(make_source, diseller, waits):
    diseller.state.arm_fault("ORDER_GET", Fault(kind="status", status=429))
    assert make_source().get_order("ord_gb_1") is not None
    assert waits == [1.0]


def test_429_that_persists_is_unavailable_after_the_retries(make_source, waits):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source().get_order("ord_fault_429")
    assert caught.value.status == 429 and waits == [1.0, 1.0]


def test_429_without_retry_after_backs_off():
    calls: list[int] = []
    slept: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, json={"error": {"type": "rate_limit_error"}})
        return httpx.Response(404, json={"error": {"message": "No such order"}})

    source = DiSellerOrderSource(
        "https://api.diseller.com/v1",
        KEY,
        transport=httpx.MockTransport(handler),
        sleep=slept.append,
    )
    assert source.get_order("ord_x") is None
    assert len(calls) == 2 and len(slept) == 1 and 0 <= slept[0] <= 10


def test_a_long_retry_after_is_not_waited_for_and_says_when(make_source, waits, caplog):
    caplog.set_level(logging.WARNING, logger="dividebuy_checkout.integrations.diseller")
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source().get_order("ord_fault_429_long")
    assert waits == []
    assert caught.value.retry_after == 3600
    detail = caught.value.detail or ""
    assert re.search(r"retry after 3600 s \(at \d\d:\d\d:\d\d UTC\)", detail), detail
    # DiSeller's own error.message reaches the operator's log
    assert "Too many requests hit the API too quickly." in caplog.text


def test_the_keys_hourly_limit_on_the_fake_is_unavailable_with_the_wait(make_source, diseller):
    source = make_source(SMALL_KEY)
    assert source.get_order("ord_gb_no_customer") is not None  # order + customer + product
    with pytest.raises(OrderSourceUnavailable) as caught:
        source.get_order("ord_gb_no_customer")
    assert caught.value.status == 429
    assert caught.value.retry_after is not None and 3590 <= caught.value.retry_after <= 3600
    advance(diseller, 3600)
    assert source.get_order("ord_gb_no_customer") is not None


@pytest.mark.parametrize("order_id", ["ord_fault_500", "ord_fault_503"])
def test_5xx_is_retried_then_unavailable(make_source, diseller, waits, order_id):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source().get_order(order_id)
    assert caught.value.config_problem is False and len(waits) == 2


def test_a_slow_reply_is_unavailable_within_the_timeout(make_source):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source(timeout=0.1, retry=RetryPolicy(max_attempts=1)).get_order("ord_slow")
    assert "did not answer in time" in (caught.value.detail or "")


def test_a_cut_off_reply_is_unavailable_not_a_crash(make_source):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source(retry=RetryPolicy(max_attempts=1)).get_order("ord_malformed")
    assert "not JSON" in (caught.value.detail or "")


def test_bearer_key_and_content_type_are_sent_on_every_call():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404, json={"error": {"message": "No such order"}})

    source = DiSellerOrderSource(
        "https://api.diseller.com/v1", "sk_live_secret", transport=httpx.MockTransport(handler)
    )
    assert source.get_order("ord_1") is None
    assert seen[0].headers["authorization"] == "Bearer sk_live_secret"
    assert seen[0].headers["content-type"] == "application/json"
    assert str(seen[0].url) == "https://api.diseller.com/v1/orders/ord_1"
    assert "sk_live_secret" not in repr(source)


def test_plain_http_is_refused_except_on_loopback():
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_DISELLER_BASE_URL"):
        DiSellerOrderSource("http://api.diseller.com/v1", KEY)


def test_platform_check(make_source):
    assert make_source().check().ok
    refused = make_source("wrong-key").check()
    assert not refused.ok and "DIVIDEBUY_DISELLER_API_KEY" in refused.message


# -- status write-back (opt-in) ----------------------------------------------------------------


def test_a_status_write_is_recorded_at_the_fake(make_source, diseller):
    source = make_source()
    written = source.write_status("ord_gb_1", "pending_finance")
    assert (written.outcome, written.status) == ("done", 200)
    assert [w["status"] for w in diseller.state.writes] == ["pending_finance"]
    assert diseller.state.events[-1]["type"] == "order.updated"


def test_status_writes_say_whether_to_retry(make_source, diseller, waits):
    source = make_source()
    refused = source.write_status("ord_gb_1", "not-a-status")
    assert refused.outcome == "rejected" and "Invalid status" in refused.message
    assert source.write_status("ord_nope", "paid").outcome == "rejected"
    diseller.state.arm_fault("ORDER_UPDATE", Fault(kind="status", status=503), times=3)
    assert source.write_status("ord_gb_1", "paid").outcome == "retry"
    key = make_source("wrong-key").write_status("ord_gb_1", "paid")
    assert key.outcome == "retry" and "DIVIDEBUY_DISELLER_API_KEY" in key.message
    assert diseller.state.writes == []


def test_status_writes_spend_the_background_budget(make_source, diseller):
    source = make_source(budget=RequestBudget(1, clock=diseller.state.now))
    assert source.write_status("ord_gb_1", "paid").outcome == "done"
    spent = source.write_status("ord_gb_1", "paid")
    assert spent.outcome == "retry" and "budget spent; resumes at" in spent.message
    assert len(diseller.state.writes) == 1


# -- DS-C2 paging -----------------------------------------------------------------------------


def test_paging_follows_has_more_through_three_pages(make_source, diseller):
    source = make_source()
    everything = [o["id"] for o in diseller.state.list_orders()]
    assert len(everything) == 11
    listed = [o["id"] for o in source.iter_orders(limit=4)]
    assert listed == everything
    assert diseller.state.calls("ORDERS_LIST") == 3
    after = [o["id"] for o in source.iter_orders(limit=4, starting_after=everything[8])]
    assert after == everything[9:]


def _pages(*pages: dict[str, Any]) -> DiSellerOrderSource:
    queue = list(pages)
    queries: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        queries.append(str(request.url.params))
        return httpx.Response(200, content=dumps(queue.pop(0)))

    source = DiSellerOrderSource(
        "https://api.diseller.com/v1", KEY, transport=httpx.MockTransport(handler)
    )
    source.queries = queries  # type: ignore[attr-defined]
    return source


def test_has_more_with_an_empty_page_stops_with_an_error():
    source = _pages(
        {"data": [{"id": "ord_1"}], "has_more": True, "total": 2},
        {"data": [], "has_more": True, "total": 2},
    )
    with pytest.raises(PagingError, match="empty page"):
        list(source.iter_orders(limit=1))


def test_a_repeated_id_stops_with_an_error():
    source = _pages(
        {"data": [{"id": "ord_1"}], "has_more": True, "total": 2},
        {"data": [{"id": "ord_1"}], "has_more": True, "total": 2},
    )
    with pytest.raises(PagingError, match="ord_1 twice"):
        list(source.iter_orders(limit=1))


def test_a_total_changing_between_pages_is_logged_and_paging_goes_on(caplog):
    caplog.set_level(logging.INFO, logger="dividebuy_checkout.integrations.diseller")
    source = _pages(
        {"data": [{"id": "ord_1"}], "has_more": True, "total": 2},
        {"data": [{"id": "ord_2"}], "has_more": False, "total": 3},
    )
    assert [o["id"] for o in source.iter_orders(limit=1)] == ["ord_1", "ord_2"]
    assert source.queries == ["limit=1", "limit=1&starting_after=ord_1"]  # type: ignore[attr-defined]
    assert "total changed between pages (2 -> 3)" in caplog.text


# -- DS-C3 the background budget --------------------------------------------------------------


def test_an_hourly_budget_of_10_stops_a_poll_after_10_requests_and_resumes_an_hour_later(
    make_source, diseller
):
    budget = RequestBudget(10, clock=diseller.state.now)
    source = make_source(budget=budget)
    first = source.backfill(limit=1)
    assert not first.complete and first.requests == 10 and len(first.orders) == 10
    assert diseller.state.calls("ORDERS_LIST") == 10
    assert re.fullmatch(
        r"stopped after 10 request\(s\), resumes at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC",
        first.message,
    )
    # the shop's own reads never wait on the budget
    assert source.get_order("ord_gb_1") is not None
    # nothing more before the clock moves
    again = source.backfill(limit=1, starting_after=first.cursor)
    assert not again.complete and again.requests == 0 and again.orders == ()
    assert diseller.state.calls("ORDERS_LIST") == 10
    advance(diseller, 3600)
    rest = source.backfill(limit=1, starting_after=first.cursor)
    assert rest.complete and [o["id"] for o in rest.orders] == ["ord_gb_big"]
    assert diseller.state.calls("ORDERS_LIST") == 11
    assert [o["id"] for o in first.orders + rest.orders] == [
        o["id"] for o in diseller.state.list_orders()
    ]


# -- the registry and the checkout, end to end ------------------------------------------------


def test_diseller_is_a_registered_order_source(diseller):
    source = build_order_source(
        "diseller",
        {"DIVIDEBUY_DISELLER_API_KEY": KEY, "DIVIDEBUY_DISELLER_BASE_URL": diseller.api_url},
    )
    try:
        assert isinstance(source, DiSellerOrderSource)
        assert source.get_order("ord_gb_1") is not None
    finally:
        source.close()
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_DISELLER_API_KEY"):
        build_order_source("diseller", {})


@pytest.fixture
def shop(sandbox: SandboxServer, diseller: DiSellerFakeServer, tmp_path: Path) -> Iterator[Any]:
    app = Flask(f"diseller-shop-{uuid.uuid4().hex[:6]}")
    app.config.update(
        {
            "SECRET_KEY": "diseller-test-secret-key-0123456789abcdef",
            "DIVIDEBUY_ENVIRONMENT": "local",
            "DIVIDEBUY_BASE_URL": sandbox.url,
            "DIVIDEBUY_CLIENT_ID": f"shop-{uuid.uuid4().hex[:8]}",
            "DIVIDEBUY_CLIENT_SECRET": "shop-secret",
            "DIVIDEBUY_DATABASE_URL": f"sqlite:///{tmp_path / 'diseller.sqlite3'}",
            "DIVIDEBUY_RATE_LIMIT": "200/minute",
            "DIVIDEBUY_ORDER_SOURCE": "diseller",
            "DIVIDEBUY_DISELLER_API_KEY": KEY,
            "DIVIDEBUY_DISELLER_BASE_URL": diseller.api_url,
            "DIVIDEBUY_DISELLER_TIMEOUT": 5,
        }
    )
    DivideBuy(app)
    server = serve_wsgi(app)
    yield app, f"http://127.0.0.1:{server.port}", sandbox
    server.shutdown()
    server.server_close()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _quotes(sandbox: SandboxServer) -> list[Any]:
    state = loads(httpx.get(f"{sandbox.url}/_sandbox/state", timeout=10).content)
    return list(state["quotes"])


def test_the_seed_order_is_refused_at_the_checkout_with_no_quote(shop):
    app, url, sandbox = shop
    service = app.extensions["dividebuy"].services["checkout"]
    with pytest.raises(NotFinanceable, match="in USD; DivideBuy lends in pounds only"):
        service.get_order("ord_456")
    with app.test_request_context():
        token = service.start_token("ord_456")
    page = httpx.get(f"{url}/dividebuy/apply/{token}", timeout=20)
    assert "DivideBuy lends in pounds only" in page.text
    assert _quotes(sandbox) == []


def test_a_gbp_order_from_the_fake_is_paid_end_to_end(shop, diseller):
    app, url, sandbox = shop
    with httpx.Client(base_url=url, timeout=20) as http:
        page = http.get("/dividebuy/start/diseller?order=ord_gb_1")
        assert page.status_code == 200, page.text
        found = http.post(
            "/dividebuy/start/diseller",
            data={
                "csrf_token": _token(page.text),
                "order_number": "ord_gb_1",
                "email": " Ann.Lee@example.co.uk ",
            },
        )
        assert found.status_code == 303, found.text
        apply_url = found.headers["location"]
        form = http.get(apply_url)
        assert form.status_code == 200, form.text
        assert "LS1 4AP" in form.text  # the UK shipping address is pre-filled
        terms = re.findall(r'name="term" type="radio" value="(\d+)"', form.text) or ["12"]
        sent = http.post(
            apply_url,
            data={
                "csrf_token": _token(form.text),
                **ANSWERS,
                "term": terms[0],
                "submit": "Continue",
            },
        )
        assert sent.status_code == 303, sent.text
        checkout_url = sent.headers["location"]
        assert checkout_url.startswith(sandbox.url)
        back = press_at_dividebuy(checkout_url, "complete")
        assert back.startswith(url)
        returned = http.get(back[len(url) :])
        assert returned.status_code in (200, 303)
    record = app.extensions["dividebuy"].store.live_for_order("ord_gb_1")
    assert record is not None and record.status is CheckoutStatus.COMPLETED
    assert record.amount == Decimal("1298.00") and record.credit_amount == Decimal("1298.00")
    [quote] = _quotes(sandbox)
    assert quote["retailer_order_id"] == "ord_gb_1" and quote["status"] == "Completed"
    assert Decimal(str(quote["order_amount"])) == Decimal("1298.00")


def test_no_personal_data_or_key_in_logs_or_errors_at_debug(make_source, diseller, caplog):
    caplog.set_level(logging.DEBUG)
    source = make_source()
    raised: list[str] = []
    for order_id in ("ord_gb_1", "ord_gb_us_address", "ord_gb_no_customer", "ord_fault_503"):
        try:
            source.map(order_id)
        except OrderSourceUnavailable as exc:
            raised.append(f"{exc} {exc.detail}")
    with pytest.raises(OrderNotFinanceable) as caught:
        source.get_order("ord_float_price")
    raised.append(f"{caught.value} {caught.value.detail}")
    text = "\n".join([*(record.getMessage() for record in caplog.records), *raised])
    for personal in (
        "Ann",
        "ann.lee@example.co.uk",
        "7400",
        "07400123456",
        "High Street",
        "LS1 4AP",
        "Leeds",
        "123 Main St",
        "94102",
        KEY,
    ):
        assert personal not in text, personal
