"""Fixtures: a Flask app with DivideBuy mounted on the session's real sandbox (loopback)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, render_template_string

from dividebuy_checkout.client import DivideBuyClient
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.sandbox import SandboxServer
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.tokens import MemoryTokenStore

from .helpers import FakeClient, FakeClock

PAGE = """<!doctype html><html lang="en-GB"><head><title>{{ name }}</title>
{{ dividebuy_widget_assets() }}</head><body><h1>{{ name }}</h1><p class="price">{{ price }}</p>
{{ dividebuy_widget(price) }}<p>Description.</p></body></html>"""


def sandbox_client(url: str, **settings: Any) -> DivideBuyClient:
    return DivideBuyClient(
        settings=Settings(
            client_id="shop", client_secret="secret", environment="local", base_url=url, **settings
        ),
        token_store=MemoryTokenStore(),  # the sandbox forgets tokens on reset
    )


def widget_app(client: DivideBuyClient, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update({"SECRET_KEY": "test", "DIVIDEBUY_DATABASE_URL": "sqlite://", **config})
    DivideBuy(app, client=client)

    @app.route("/product/<price>")
    def product(price: str) -> str:
        return render_template_string(PAGE, name="Sofa", price=price)

    return app


@pytest.fixture
def client() -> FakeClient:
    """DivideBuy without HTTP (modules testing over HTTP define their own ``client``)."""
    return FakeClient()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_app(sandbox: SandboxServer) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def make(client: DivideBuyClient | None = None, **config: Any) -> Flask:
        app = widget_app(client or sandbox_client(sandbox.url), **config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["dividebuy"].services["widgets"].close(wait=True)
