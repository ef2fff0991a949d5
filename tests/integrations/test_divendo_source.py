"""DivendoOrderSource over real loopback HTTP against the fake Divendo (ADAPTERS §4.1, §4.4
DV-T1, DV-T5, DV-T8), and a Divendo order paid end to end through the real sandbox; each
failure with what the shopper sees (the checkout page) and what the operator sees (the log
and ``order show``)."""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from dividebuy_checkout.integrations import build_order_source
from dividebuy_checkout.integrations.divendo import DivendoConfig, DivendoOrderSource
from dividebuy_checkout.integrations.divendo.fake import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SEED_CONTACT_ID,
    DivendoFakeConfig,
    DivendoFakeServer,
)
from dividebuy_checkout.integrations.divendo.tokens import TokenError, TokenFetcher
from flask import Flask
from support import ANSWERS, press_at_dividebuy, serve_wsgi

from dividebuy_checkout.cli import build_group
from dividebuy_checkout.cli.runtime import Runtime
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.money import loads
from dividebuy_checkout.orders import Address, OrderNotFinanceable, OrderSourceUnavailable
from dividebuy_checkout.retry import RetryPolicy
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.sandbox.faults import Fault
from dividebuy_checkout.settings import ConfigurationError
from dividebuy_checkout.store import CheckoutStatus

SLOW_SECONDS = 0.6
CLIENT_SECRET_SETTING = "DIVIDEBUY_DIVENDO_CLIENT_SECRET"


@pytest.fixture(scope="module")
def divendo_server() -> Iterator[DivendoFakeServer]:
    with DivendoFakeServer(config=DivendoFakeConfig(slow_seconds=SLOW_SECONDS)) as server:
        yield server


@pytest.fixture
def divendo(divendo_server: DivendoFakeServer) -> Iterator[DivendoFakeServer]:
    """The module's fake, back to its seed data, default config and zero counters."""
    divendo_server.state.configure(**_DEFAULTS)
    divendo_server.state.reset()
    yield divendo_server
    divendo_server.state.configure(**_DEFAULTS)
    divendo_server.state.reset()


_DEFAULTS = {
    "token_lifetime": 21599.0,
    "max_connections": 5,
    "limit_on": "requests",
    "throttle_status": 429,
    "slow_seconds": SLOW_SECONDS,
    "latency": 0.0,
    "accept_tokens": True,
}


@pytest.fixture
def waits() -> list[float]:
    """Every back-off the source asked to sleep (recorded, not slept)."""
    return []


@pytest.fixture
def make_source(
    divendo: DivendoFakeServer, waits: list[float]
) -> Iterator[Callable[..., DivendoOrderSource]]:
    made: list[DivendoOrderSource] = []

    def make(
        client_id: str = DEFAULT_CLIENT_ID, secret: str = DEFAULT_CLIENT_SECRET, **kwargs: Any
    ) -> DivendoOrderSource:
        kwargs.setdefault("retry", RetryPolicy(max_attempts=3))
        kwargs.setdefault("sleep", waits.append)
        kwargs.setdefault("timeout", 2.0)
        source = DivendoOrderSource(divendo.url, client_id, secret, **kwargs)
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


# -- reading and mapping over HTTP --------------------------------------------------------------


def test_an_order_with_its_billto_maps_exactly_in_two_requests(make_source, divendo):
    order = make_source().get_order("ord-uk-1")
    assert order is not None
    assert order.total == Decimal("1299.00") and order.vat == Decimal("216.50")
    assert order.customer.last_name == "Example" and order.customer.mobile_number == "07911123456"
    assert divendo.state.token_requests == 1
    assert divendo.state.calls == {"TOKEN": 1, "ORDER_GET": 1}  # no contact call


def test_an_order_without_billto_reads_the_seed_contact(make_source, divendo):
    order = make_source().get_order("5668f38d46fc510c6c0d4705")
    assert order is not None and order.total == Decimal("5.00")
    assert order.customer.first_name == "Test" and order.customer.last_name == "Customer"
    assert order.customer.address == Address(
        address_line_1="20-22 Wenlock Road", town="London", county="London", postcode="N1 7GU"
    )
    assert divendo.state.calls["CONTACT_GET"] == 1


def test_a_missing_contact_still_gives_an_order(make_source, divendo):
    raw = divendo.state.get_order("ord-contact-only")
    assert raw is not None
    raw["customer"]["id"] = "missing"
    divendo.state.put_order(raw)
    order = make_source().get_order("ord-contact-only")
    assert order is not None and order.customer.first_name is None
    assert order.total == Decimal("849.00")


def test_the_order_is_read_fresh_on_every_call(make_source, divendo):
    source = make_source()
    assert source.get_order("ord-cancelled-line") is not None
    divendo.state.cancel_line("ord-cancelled-line", "5668f38d46fc510c6c0d0041")
    with pytest.raises(OrderNotFinanceable, match="no items"):
        source.get_order("ord-cancelled-line")
    assert divendo.state.calls["ORDER_GET"] == 2


def test_an_unknown_order_is_none_and_not_retried(make_source, divendo, waits):
    source = make_source()
    assert source.get_order("no-such-order") is None
    assert source.get_order("") is None
    assert waits == [] and divendo.state.calls["ORDER_GET"] == 1


def test_fetch_gives_the_raw_order_and_its_contact_on_request(make_source):
    source = make_source()
    raw = source.fetch("5668f38d46fc510c6c0d4705")
    assert raw is not None and "_contact" not in raw and raw["ordernumber"] == "159949"
    with_contact = source.fetch("5668f38d46fc510c6c0d4705", contact=True)
    assert with_contact is not None and with_contact["_contact"]["id"] == SEED_CONTACT_ID
    assert source.fetch("ord-uk-1", contact=True) == source.fetch("ord-uk-1")


def test_closed_statuses_make_an_order_not_payable(make_source):
    source = make_source(closed_statuses=["In Progress"])
    assert source.get_order("ord-uk-1") is None
    assert make_source(payable_statuses=["In Progress"]).get_order("ord-uk-1") is not None


def test_divendo_is_a_registered_order_source(divendo):
    config = {
        "DIVIDEBUY_DIVENDO_CLIENT_ID": DEFAULT_CLIENT_ID,
        "DIVIDEBUY_DIVENDO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "DIVIDEBUY_DIVENDO_BASE_URL": divendo.url,
        "DIVIDEBUY_DIVENDO_MAX_CONNECTIONS": "3",
    }
    source = build_order_source("divendo", config)
    try:
        assert isinstance(source, DivendoOrderSource)
        assert source.transport.max_connections == 3
        assert source.get_order("ord-uk-1") is not None
    finally:
        source.close()
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_DIVENDO_CLIENT_ID"):
        build_order_source("divendo", {})
    with pytest.raises(ConfigurationError, match="MAX_CONNECTIONS must be a whole number from 1"):
        build_order_source("divendo", {**config, "DIVIDEBUY_DIVENDO_MAX_CONNECTIONS": 8})


def test_the_base_url_defaults_to_divendos():
    source = DivendoOrderSource(client_id="c", client_secret="s")
    try:
        assert source.base_url == "https://api.diven.do"
    finally:
        source.close()
    config = DivendoConfig.from_mapping(
        {"DIVIDEBUY_DIVENDO_CLIENT_ID": "c", "DIVIDEBUY_DIVENDO_CLIENT_SECRET": "s"}
    )
    assert config.base_url == "https://api.diven.do" and config.max_connections == 2
    assert config.refund_cancelled_lines is True and config.settle_on_shippingdate is True
    with pytest.raises(ConfigurationError, match="https"):
        DivendoConfig.from_mapping(
            {**_env_of(config), "DIVIDEBUY_DIVENDO_BASE_URL": "http://api.diven.do"}
        )


def _env_of(config: DivendoConfig) -> dict[str, str]:
    return {
        "DIVIDEBUY_DIVENDO_CLIENT_ID": config.client_id,
        "DIVIDEBUY_DIVENDO_CLIENT_SECRET": config.client_secret,
    }


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("order_id", ["fault-500", "fault-503"])
def test_5xx_is_retried_then_unavailable(make_source, divendo, waits, order_id):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source().get_order(order_id)
    assert caught.value.status == int(order_id[-3:]) and not caught.value.config_problem
    assert len(waits) == 2 and divendo.state.calls["ORDER_GET"] == 3


def test_the_throttling_error_is_retried_with_retry_after_then_unavailable(
    make_source, divendo, waits
):
    with pytest.raises(OrderSourceUnavailable, match="simultaneous connections") as caught:
        make_source().get_order("fault-429")
    assert caught.value.status == 429 and caught.value.retry_after == 1.0
    assert waits == [1.0, 1.0] and divendo.state.calls["ORDER_GET"] == 3


def test_a_transient_throttle_then_success_reads_the_order(make_source, divendo, waits):
    divendo.state.arm_fault("ORDER_GET", Fault(kind="status", status=429), times=1)
    divendo.state.arm_fault("CONTACT_GET", Fault(kind="status", status=503), times=1)
    assert make_source().get_order("ord-contact-only") is not None
    assert len(waits) == 2


def test_a_cut_off_reply_is_unavailable_not_a_crash(make_source):
    with pytest.raises(OrderSourceUnavailable, match="not JSON"):
        make_source().get_order("malformed")


def test_an_empty_204_with_a_json_content_type_is_not_parsed(make_source):
    """DV-T8: Divendo answers DELETE with 204, ``Content-Type: application/json`` and no body."""
    source = make_source()
    reply = source._http.request(
        "PUT", "/orders/{id}", path_params={"id": "empty-204"}, json_body={"id": "empty-204"}
    )
    assert reply.status == 204 and reply.body is None
    deleted = source._http.request("DELETE", "/contacts/{id}", path_params={"id": SEED_CONTACT_ID})
    assert deleted.status == 204 and deleted.body is None


# -- tokens (DV-T1) ---------------------------------------------------------------------------


def test_one_token_serves_many_calls(make_source, divendo):
    source = make_source()
    for _ in range(5):
        assert source.get_order("ord-uk-1") is not None
    assert divendo.state.token_requests == 1 and divendo.state.token_variants == {"basic/form": 1}


def test_a_token_expired_at_divendo_mid_run_costs_one_refresh_and_one_replay(make_source, divendo):
    source = make_source()
    assert source.get_order("ord-uk-1") is not None
    divendo.state.advance_clock(21600)  # Divendo's clock: the token has expired there
    assert source.get_order("ord-uk-1") is not None
    assert divendo.state.token_requests == 2 and divendo.state.unauthorised == 1
    assert divendo.state.calls["ORDER_GET"] == 3  # read, refused, replayed


def test_a_revoked_token_is_refetched_once(make_source, divendo):
    source = make_source()
    assert source.get_order("ord-uk-1") is not None
    divendo.state.revoke_tokens()
    assert source.get_order("ord-uk-1") is not None
    assert divendo.state.token_requests == 2 and divendo.state.unauthorised == 1


def test_a_token_near_expiry_is_refreshed_before_the_call(make_source, divendo):
    now = [time.time()]
    source = make_source(clock=lambda: now[0])
    divendo.state.configure(token_lifetime=120.0)
    assert source.get_order("ord-uk-1") is not None
    now[0] += 120 - 30 + 1  # inside the leeway: min(60 s, 25 % of 120 s) = 30 s
    assert source.get_order("ord-uk-1") is not None
    assert divendo.state.token_requests == 2 and divendo.state.unauthorised == 0


def test_every_token_refused_is_a_config_problem_without_a_loop(make_source, divendo, waits):
    divendo.state.configure(accept_tokens=False)
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source().get_order("ord-uk-1")
    assert caught.value.config_problem and caught.value.status == 401
    assert CLIENT_SECRET_SETTING in (caught.value.detail or "")
    assert divendo.state.token_requests == 2 and divendo.state.calls["ORDER_GET"] == 2
    assert waits == []


def test_a_wrong_secret_names_the_setting_and_is_not_retried(make_source, divendo, waits):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source(secret="wrong-secret").get_order("ord-uk-1")
    assert caught.value.config_problem and caught.value.status == 401
    assert CLIENT_SECRET_SETTING in (caught.value.detail or "")
    assert "wrong-secret" not in str(caught.value) + repr(caught.value)
    assert divendo.state.token_requests == 1 and waits == []
    assert "ORDER_GET" not in divendo.state.calls


def test_the_token_endpoint_503_is_retried_then_unavailable(make_source, divendo, waits):
    divendo.state.arm_fault("TOKEN", Fault(kind="status", status=503), times=1)
    assert make_source().get_order("ord-uk-1") is not None
    assert divendo.state.calls["TOKEN"] == 2 and len(waits) == 1
    divendo.state.arm_fault("TOKEN", Fault(kind="status", status=503), times=5)
    with pytest.raises(OrderSourceUnavailable, match="token endpoint") as caught:
        make_source().get_order("ord-uk-1")
    assert not caught.value.config_problem and caught.value.status == 503


def test_twenty_threads_on_a_cold_cache_fetch_one_token(make_source, divendo):
    source = make_source(max_connections=5)
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def read() -> None:
        start.wait()
        try:
            assert source.get_order("ord-uk-1") is not None
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert divendo.state.token_requests == 1 and divendo.state.calls["ORDER_GET"] == 20


@pytest.mark.parametrize(
    ("auth", "body", "variant"),
    [("body", "json", "body/json"), ("body", "form", "body/form"), ("basic", "json", "basic/json")],
)
def test_each_token_request_variant_is_accepted(make_source, divendo, auth, body, variant):
    source = make_source(token_auth=auth, token_body=body)
    assert source.get_order("ord-uk-1") is not None
    assert divendo.state.token_variants == {variant: 1}


def test_a_wrong_token_path_names_the_setting(make_source, divendo):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source(token_path="/ouath2/token").get_order("ord-uk-1")
    assert caught.value.config_problem and "DIVIDEBUY_DIVENDO_TOKEN_PATH" in (
        caught.value.detail or ""
    )


def _token_reply(body: dict[str, Any]) -> TokenFetcher:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    return TokenFetcher(
        "https://api.diven.do",
        "c",
        "s",
        token_path="/oauth2/token",
        token_auth="basic",
        token_body="form",
        transport=httpx.MockTransport(handler),
        timeout=httpx.Timeout(1.0),
    )


def test_a_token_without_expires_in_lives_an_hour_and_bearer_is_case_insensitive():
    issued = _token_reply({"access_token": "t0k", "token_type": "Bearer"})()
    assert issued.expires_in == 3600.0 and issued.access_token == "t0k"
    assert (
        _token_reply({"access_token": "t", "token_type": "bearer", "expires_in": 5})().expires_in
        == 5
    )
    with pytest.raises(TokenError, match="not a bearer token"):
        _token_reply({"access_token": "t", "token_type": "mac"})()


def test_platform_check_fetches_a_token(make_source, divendo):
    assert make_source().check().ok
    failed = make_source(secret="nope").check()
    assert not failed.ok and CLIENT_SECRET_SETTING in failed.message


def test_the_secret_is_never_in_logs_or_repr(make_source, divendo, caplog):
    caplog.set_level(logging.DEBUG)
    source = make_source()
    source.get_order("ord-uk-1")
    source.get_order("5668f38d46fc510c6c0d4705")
    with pytest.raises(OrderSourceUnavailable):
        make_source(secret="another-secret-value").get_order("ord-uk-1")
    config = DivendoConfig.from_mapping(
        {
            "DIVIDEBUY_DIVENDO_CLIENT_ID": "c",
            "DIVIDEBUY_DIVENDO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        }
    )
    seen = caplog.text + repr(source) + repr(source.tokens) + repr(config) + repr(source._auth)
    for secret in (DEFAULT_CLIENT_SECRET, "another-secret-value"):
        assert secret not in seen
    for personal in ("Wenlock", "N1 7GU", "07911123456", "Jane", "jane@example.co.uk"):
        assert personal not in caplog.text
    assert "access_token" not in caplog.text


# -- the checkout, end to end --------------------------------------------------------------------


@pytest.fixture
def shop(sandbox: SandboxServer, divendo: DivendoFakeServer, tmp_path: Path) -> Iterator[Any]:
    app = Flask(f"divendo-shop-{uuid.uuid4().hex[:6]}")
    app.config.update(_shop_config(sandbox, divendo, tmp_path))
    DivideBuy(app)
    server = serve_wsgi(app)
    yield app, f"http://127.0.0.1:{server.port}", sandbox
    server.shutdown()
    server.server_close()


def _shop_config(sandbox: SandboxServer, divendo: DivendoFakeServer, tmp_path: Path) -> dict:
    return {
        "SECRET_KEY": "divendo-test-secret-key-0123456789abcdef",
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": sandbox.url,
        "DIVIDEBUY_CLIENT_ID": f"shop-{uuid.uuid4().hex[:8]}",
        "DIVIDEBUY_CLIENT_SECRET": "shop-secret",
        "DIVIDEBUY_DATABASE_URL": f"sqlite:///{tmp_path / 'divendo.sqlite3'}",
        "DIVIDEBUY_RATE_LIMIT": "200/minute",
        "DIVIDEBUY_ORDER_SOURCE": "divendo",
        "DIVIDEBUY_DIVENDO_BASE_URL": divendo.url,
        "DIVIDEBUY_DIVENDO_CLIENT_ID": DEFAULT_CLIENT_ID,
        "DIVIDEBUY_DIVENDO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "DIVIDEBUY_DIVENDO_TIMEOUT": 5,
    }


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _quotes(sandbox: SandboxServer) -> list[Any]:
    state = loads(httpx.get(f"{sandbox.url}/_sandbox/state", timeout=10).content)
    return list(state["quotes"])


def _apply_url(app: Flask, url: str, order_id: str) -> str:
    service = app.extensions["dividebuy"].services["checkout"]
    with app.test_request_context():
        return f"{url}/dividebuy/apply/{service.start_token(order_id)}"


def test_a_divendo_order_is_paid_end_to_end_with_a_token_expiring_mid_run(shop, divendo):
    app, url, sandbox = shop
    with httpx.Client(timeout=30) as http:
        apply_url = _apply_url(app, url, "ord-uk-1")
        form = http.get(apply_url)
        assert form.status_code == 200, form.text
        assert "N1 7GU" in form.text and "£1,299.00" in form.text
        # the token expires at Divendo between the form and its submission
        divendo.state.advance_clock(21600)
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
        returned = http.get(back)
        assert returned.status_code in (200, 303)
    record = app.extensions["dividebuy"].store.live_for_order("ord-uk-1")
    assert record is not None and record.status is CheckoutStatus.COMPLETED
    assert record.amount == Decimal("1299.00")
    [quote] = _quotes(sandbox)
    assert quote["retailer_order_id"] == "ord-uk-1" and quote["status"] == "Completed"
    assert divendo.state.token_requests == 2 and divendo.state.unauthorised == 1


def _order_show(divendo: DivendoFakeServer, order_id: str) -> Any:
    env = {
        "DIVIDEBUY_ORDER_SOURCE": "divendo",
        "DIVIDEBUY_DIVENDO_BASE_URL": divendo.url,
        "DIVIDEBUY_DIVENDO_CLIENT_ID": DEFAULT_CLIENT_ID,
        "DIVIDEBUY_DIVENDO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
    }
    return CliRunner().invoke(
        build_group(), ["order", "show", order_id], env=env, obj=Runtime(environ=env)
    )


def _eur_order(divendo: DivendoFakeServer) -> None:
    raw = divendo.state.get_order("ord-uk-1")
    assert raw is not None
    divendo.state.put_order({**raw, "id": "ord-eur", "currency": "EUR"})


CASES = {
    # order id: (page status, shopper-facing text, operator-facing text in `order show`, exit)
    "ord-eur": (200, "This order is in EUR; DivideBuy lends in pounds only.", "EUR", 1),
    "ord-landline": (200, 'value="02030869860"', "mobile not pre-filled as a UK mobile", 0),
    "ord-ie": (200, "Order 160004", "address not pre-filled: country is &#39;IE&#39;", 0),
    "no-such-order": (404, "We could not find that order.", "was not found at divendo", 2),
    "fault-500": (503, "We could not read your order just now", "HTTP 500", 1),
    "fault-429": (503, "We could not read your order just now", "HTTP 429", 1),
}


@pytest.mark.parametrize("order_id", list(CASES))
def test_each_failure_has_a_shopper_and_an_operator_outcome(shop, divendo, caplog, order_id):
    app, url, sandbox = shop
    _eur_order(divendo)
    status, shopper, operator, exit_code = CASES[order_id]
    caplog.set_level(logging.INFO)
    page = httpx.get(_apply_url(app, url, order_id), timeout=30)
    assert page.status_code == status
    assert shopper in page.text
    assert _quotes(sandbox) == []
    shown = _order_show(divendo, order_id)
    assert shown.exit_code == exit_code, shown.output
    assert operator.replace("&#39;", "'") in shown.output
    if order_id == "ord-ie":
        assert "Dublin" not in page.text  # a foreign address is never pre-filled
    if status == 503:  # the operator's log names the platform, the order and the status
        assert f"could not be read for order {order_id}" in caplog.text
        assert operator in caplog.text


# -- backfill paging (DV-T7) and the account's cap at start-up ------------------------------------


def _add_orders(divendo: DivendoFakeServer, count: int) -> None:
    template = divendo.state.get_order("ord-uk-1")
    assert template is not None
    for index in range(count):
        divendo.state.put_order(
            {**template, "id": f"ord-page-{index:03d}", "created": f"2026-12-01T00:{index:02d}:00Z"}
        )


def test_paging_asks_for_at_most_25_and_reads_every_order_once(make_source, divendo):
    _add_orders(divendo, 30)
    everything = {o["id"] for o in divendo.state.list_orders()}
    ids = [o["id"] for o in make_source().iter_orders(page_size=100)]
    assert sorted(ids) == sorted(everything) and len(ids) == len(set(ids))
    assert divendo.state.calls["ORDERS_LIST"] == -(-len(everything) // 25)


def test_paging_an_empty_account_is_one_call():
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "bearer"})
        calls.append(str(request.url.params))
        return httpx.Response(200, json={"total": 0, "count": 0, "offset": 0, "results": []})

    source = DivendoOrderSource(
        "https://api.diven.do", "c", "s", transport=httpx.MockTransport(handler)
    )
    try:
        assert list(source.iter_orders()) == []
    finally:
        source.close()
    assert calls == ["count=25&offset=0"]


def test_paging_one_at_a_time_still_reads_everything(make_source, divendo):
    ids = [o["id"] for o in make_source().iter_orders(page_size=1)]
    assert sorted(ids) == sorted(o["id"] for o in divendo.state.list_orders())
    assert divendo.state.calls["ORDERS_LIST"] == len(ids)


def test_orders_arriving_mid_scan_are_picked_up_without_repeats(make_source, divendo):
    _add_orders(divendo, 30)
    scan = make_source().iter_orders()
    first = [next(scan) for _ in range(25)]
    template = divendo.state.get_order("ord-uk-1")
    assert template is not None
    divendo.state.put_order({**template, "id": "ord-late", "created": "2030-01-01T00:00:00Z"})
    rest = list(scan)
    ids = [o["id"] for o in first + rest]
    assert "ord-late" in ids and len(ids) == len(set(ids))


def test_a_page_repeating_itself_stops_the_scan(caplog):
    calls: list[str] = []
    page = {"total": 100, "count": 2, "offset": 0, "results": [{"id": "a"}, {"id": "b"}]}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "bearer"})
        calls.append(str(request.url.params))
        return httpx.Response(200, json=page)

    source = DivendoOrderSource(
        "https://api.diven.do", "c", "s", transport=httpx.MockTransport(handler)
    )
    try:
        assert [o["id"] for o in source.iter_orders()] == ["a", "b"]
    finally:
        source.close()
    assert calls == ["count=25&offset=0", "count=25&offset=2"]
    assert "repeated a page" in caplog.text


@pytest.mark.parametrize(
    ("workers", "connections", "warned"),
    [("2", "2", False), ("3", "2", True), ("", "5", False), ("1", "5", False), ("x", "3", False)],
)
def test_a_known_worker_count_over_the_accounts_cap_is_warned_at_start_up(
    divendo, caplog, workers, connections, warned
):
    config = DivendoConfig.from_mapping(
        {
            "DIVIDEBUY_DIVENDO_CLIENT_ID": DEFAULT_CLIENT_ID,
            "DIVIDEBUY_DIVENDO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
            "DIVIDEBUY_DIVENDO_BASE_URL": divendo.url,
            "DIVIDEBUY_DIVENDO_MAX_CONNECTIONS": connections,
        }
    )
    caplog.set_level(logging.WARNING)
    DivendoOrderSource.from_config(config, environ={"WEB_CONCURRENCY": workers}).close()
    assert ("allows per account" in caplog.text) is warned


def test_platform_check_on_the_command_line(divendo):
    env = {
        "DIVIDEBUY_DIVENDO_BASE_URL": divendo.url,
        "DIVIDEBUY_DIVENDO_CLIENT_ID": DEFAULT_CLIENT_ID,
        "DIVIDEBUY_DIVENDO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
    }
    args = ["platform", "check", "--source", "divendo"]
    good = CliRunner().invoke(build_group(), args, env=env, obj=Runtime(environ=env))
    assert good.exit_code == 0 and "issued a bearer token" in good.output
    env["DIVIDEBUY_DIVENDO_CLIENT_SECRET"] = "not-the-secret"
    bad = CliRunner().invoke(build_group(), args, env=env, obj=Runtime(environ=env))
    assert bad.exit_code == 1 and CLIENT_SECRET_SETTING in bad.output
    assert "not-the-secret" not in bad.output
    assert divendo.state.token_variants == {"basic/form": 2}
