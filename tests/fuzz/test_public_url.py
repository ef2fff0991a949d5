"""Item 7: the shop's address, not the request's, goes to DivideBuy as the return URL.

Over real HTTP: a shopper's submit arrives with ``Host: evil.example``; the quote the
sandbox received (its state endpoint) must carry the shop's own return URL. Without
``DIVIDEBUY_PUBLIC_URL`` a host outside ``SERVER_NAME`` is refused and nothing reaches
DivideBuy; in ``live`` the app refuses to start without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dividebuy_checkout.integrations.recplus.fake import RecPlusFakeServer
from flask import Flask

from dividebuy_checkout.checkout.demo_shopper import ANSWERS
from dividebuy_checkout.config import ConfigurationError
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.sandbox import SandboxServer

from .plugin_app import ORDER, PlatformShop, build_plugin, form_values, http, written

PUBLIC_URL = "https://shop.example/store"


def _apply_path(shop: PlatformShop) -> str:
    service = shop.app.extensions["dividebuy"].services["checkout"]
    with shop.app.test_request_context(base_url="http://127.0.0.1"):
        from flask import url_for

        return url_for("dividebuy.apply", token=service.start_token(ORDER))


def _submit(shop: PlatformShop, *, page_host: str | None, post_host: str) -> tuple[int, str]:
    """Open the application form (Host *page_host*), post it as shown with Host *post_host*."""
    path = _apply_path(shop)
    with http(shop) as client:
        page = client.get(path, headers={"Host": page_host} if page_host else {})
        assert page.status_code == 200, page.text
        answers = {**form_values(page.text), "submit": "Continue to DivideBuy"}
        answers.update(ANSWERS)  # the demo shopper: approved by the sandbox
        answer = client.post(path, data=answers, headers={"Host": post_host})
    return answer.status_code, answer.headers.get("location", answer.text)


def _redirect_urls(shop: PlatformShop) -> list[str]:
    return [quote["redirect_url"] for quote in shop.sandbox_state()["quotes"]]


def test_a_forged_host_still_sends_divide_buy_the_shops_return_url(
    sandbox: SandboxServer, recplus: RecPlusFakeServer, tmp_path: Path
) -> None:
    shop = build_plugin(sandbox, recplus, tmp_path, DIVIDEBUY_PUBLIC_URL=PUBLIC_URL + "/")
    try:
        status, location = _submit(shop, page_host=None, post_host="evil.example")
        assert status == 303, location
        assert location.startswith(sandbox.url + "/checkout/")  # sent on to DivideBuy
        (sent,) = _redirect_urls(shop)
        assert sent.startswith(f"{PUBLIC_URL}/dividebuy/return?ref="), sent
        assert "evil.example" not in sent and "127.0.0.1" not in sent
    finally:
        shop.stop()


def test_without_a_public_url_a_host_outside_server_name_is_refused_and_nothing_sent(
    sandbox: SandboxServer, recplus: RecPlusFakeServer, tmp_path: Path
) -> None:
    shop = build_plugin(sandbox, recplus, tmp_path, SERVER_NAME="shop.test")
    try:
        before = written(shop)
        status, body = _submit(shop, page_host="shop.test", post_host="evil.example")
        assert status == 400
        assert "address the shop does not use" in body
        assert written(shop) == before  # no quote at DivideBuy, no row in the store
        # the shop's own name is used as the request's host
        status, location = _submit(shop, page_host="shop.test", post_host="shop.test")
        assert status == 303, location
        assert _redirect_urls(shop)[0].startswith("http://shop.test/dividebuy/return?ref=")
    finally:
        shop.stop()


def test_trusted_hosts_refuse_another_host_before_anything_is_sent(
    sandbox: SandboxServer, recplus: RecPlusFakeServer, tmp_path: Path
) -> None:
    shop = build_plugin(sandbox, recplus, tmp_path, TRUSTED_HOSTS=["127.0.0.1"])
    try:
        before = written(shop)
        status, _ = _submit(shop, page_host=None, post_host="evil.example")
        assert status == 400
        assert written(shop) == before
    finally:
        shop.stop()


def _live_app(tmp_path: Path, **config: object) -> Flask:
    app = Flask("live-shop")
    app.config.update(
        SECRET_KEY="live-test-secret-key-0123456789abcdef",
        DIVIDEBUY_ENVIRONMENT="live",
        DIVIDEBUY_CLIENT_ID="id",
        DIVIDEBUY_CLIENT_SECRET="secret",
        DIVIDEBUY_DATABASE_URL=f"sqlite:///{tmp_path / 'live.sqlite3'}",
        **config,
    )
    DivideBuy(app, order_source=_NoOrders())
    return app


class _NoOrders:
    def get_order(self, order_id: str) -> None:
        return None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "DIVIDEBUY_PUBLIC_URL is required in live"),
        ({"DIVIDEBUY_PUBLIC_URL": "http://shop.example"}, "must be https:// in live"),
        ({"DIVIDEBUY_PUBLIC_URL": "https://shop.example/?x=1"}, "plain base URL"),
        ({"DIVIDEBUY_PUBLIC_URL": "shop.example"}, "shop's address"),
    ],
)
def test_live_refuses_to_start_without_an_https_public_url(
    tmp_path: Path, config: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        _live_app(tmp_path, **config)


def test_live_starts_with_a_public_url(tmp_path: Path) -> None:
    app = _live_app(tmp_path, DIVIDEBUY_PUBLIC_URL="https://shop.example")
    assert app.config["DIVIDEBUY_PUBLIC_URL"] == "https://shop.example"
