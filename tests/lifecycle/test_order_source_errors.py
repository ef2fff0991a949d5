"""Issue 12's order-source errors at the checkout, over real HTTP.

"The shop's platform is down" (503, a clear page, nothing written, the operator's
detail logged but never shown), "this order can't be financed" (the not-available
page with the reason) and "no such order" (404) are three different answers; an
order with nothing to lend (£0.00) is "not available" and no quote is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask
from support import serve_wsgi

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.orders import Order, OrderNotFinanceable, OrderSourceUnavailable
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.tokens import MemoryTokenStore
from tests.checkout.conftest import make_order

DETAIL = "REC+ answered 503 three times (operator detail)"


class Platform:
    """An order source whose answer each test chooses."""

    def __init__(self) -> None:
        self.answer: Any = None

    def get_order(self, order_id: str) -> Order | None:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def platform() -> Platform:
    return Platform()


@pytest.fixture
def app_url(sandbox, tmp_path: Path, platform: Platform) -> Iterator[tuple[Flask, str]]:
    app = Flask("platform-shop", root_path=str(tmp_path))
    app.config.update(SECRET_KEY="s" * 32, DIVIDEBUY_DATABASE_URL=f"sqlite:///{tmp_path}/p.db")
    settings = Settings(
        client_id="platform", client_secret="s", environment="local", base_url=sandbox.url
    )
    client = DivideBuyClient(settings=settings, token_store=MemoryTokenStore())
    DivideBuy(app, order_source=platform, client=client)
    server = serve_wsgi(app)
    yield app, f"http://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()


def form(app: Flask, url: str, order_id: str = "1001") -> httpx.Response:
    token = app.extensions["dividebuy"].services["checkout"].start_token(order_id)
    return httpx.get(f"{url}/dividebuy/apply/{token}", timeout=15)


def nothing_written(app: Flask) -> bool:
    return app.extensions["dividebuy"].store.for_order("1001") == []


def test_platform_down_is_a_503_page_without_the_operator_detail(app_url, platform, caplog):
    app, url = app_url
    platform.answer = OrderSourceUnavailable(detail=DETAIL, platform="recplus", retry_after=30)
    with caplog.at_level(logging.WARNING):
        page = form(app, url)
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "could not read your order" in page.text and DETAIL not in page.text
    assert DETAIL in caplog.text
    assert nothing_written(app)


def test_not_financeable_shows_the_reason_and_no_such_order_is_a_404(app_url, platform, sandbox):
    app, url = app_url
    platform.answer = OrderNotFinanceable("This order is not in pounds.", platform="recplus")
    page = form(app, url)
    assert page.status_code == 200 and "This order is not in pounds." in page.text
    assert "not available" in page.text
    platform.answer = None
    assert form(app, url).status_code == 404
    assert sandbox.state.snapshot()["calls"].get("CREATE_QUOTE", 0) == 0
    assert nothing_written(app)


def test_an_order_with_nothing_to_pay_is_not_available_and_sends_no_quote(
    app_url, platform, sandbox
):
    app, url = app_url
    zero = Decimal("0.00")
    platform.answer = make_order(subtotal=zero, vat=zero, total=zero, discount="947.00")
    page = form(app, url)
    assert page.status_code == 200 and "nothing left to pay" in page.text
    assert sandbox.state.snapshot()["calls"].get("CREATE_QUOTE", 0) == 0
    assert nothing_written(app)
