"""The example shop's product pages carry the widget (the include shop/_finance_widget.html)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from support import create_example_shop

from dividebuy_checkout.sandbox import SandboxServer


@pytest.fixture
def shop(sandbox: SandboxServer) -> Iterator[Flask]:
    app = create_example_shop(
        {
            "SECRET_KEY": "test-secret-key-for-the-example-shop-0123456789",
            "DIVIDEBUY_ENVIRONMENT": "local",
            "DIVIDEBUY_BASE_URL": sandbox.url,
            "DIVIDEBUY_CLIENT_ID": "shop",
            "DIVIDEBUY_CLIENT_SECRET": "secret",
            "DIVIDEBUY_DATABASE_URL": "sqlite://",
        }
    )
    yield app
    app.extensions["dividebuy"].services["widgets"].close(wait=True)


def test_a_product_page_has_the_server_rendered_widget_following_the_quantity(shop):
    html = shop.test_client().get("/products/walnut-desk").text
    widget = re.search(r"<dividebuy-instalments[^>]*>", html).group(0)
    assert 'amount="899.00"' in widget and 'data-state="shown"' in widget
    assert 'price-source="quantity"' in widget and 'unit-amount="899.00"' in widget
    assert 'id="quantity"' in html  # the field it follows is on the page
    assert "or 12 × £74.92 interest-free" in html
    assert html.count("/dividebuy/static/widget.js") == 1
    assert html.count("/dividebuy/static/widget.css") == 1


def test_a_product_below_the_minimum_shows_no_widget(shop):
    html = shop.test_client().get("/products/beeswax-candles").text
    assert re.search(r"<dividebuy-instalments [^>]* hidden></dividebuy-instalments>", html)
    assert "dbw__box" not in html and "× £" not in html


def test_a_product_with_interest_bearing_terms_shows_the_example_beside_the_headline(shop):
    html = shop.test_client().get("/products/velvet-sofa").text
    assert "or 36 × £55.57 at 9.9% APR representative" in html
    # the example's caption states its duration, then DivideBuy's own words
    assert (
        'class="dbw__example dbw__example--lead"><p class="dbw__example-caption">'
        "Representative example over 36 months</p><strong>Representative Example:</strong>"
    ) in html


def test_the_product_page_and_the_checkout_share_one_terms_source(shop, sandbox):
    services = shop.extensions["dividebuy"].services
    assert services["checkout"].terms is services["widgets"].source
    shop.test_client().get("/products/walnut-desk")
    made = sandbox.state.snapshot()["calls"]["TERMS"]  # (a 401 retry may count: tokens)
    offer = services["checkout"].offer_for(Decimal("899.00"))  # the form for that price
    assert offer.choice(12) is not None
    assert sandbox.state.snapshot()["calls"]["TERMS"] == made  # no second GET /terms
    assert services["widgets"].stats()["terms_cache"]["loads_started"] == 1
