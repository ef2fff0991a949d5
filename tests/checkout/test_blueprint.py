"""The Flask part: start-up checks, CSRF, rate limit, templates, links, and what is never kept."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.orders import Address, Customer
from dividebuy_checkout.settings import ConfigurationError, Settings
from dividebuy_checkout.tokens import MemoryTokenStore

from .conftest import Orders, Shop, Shopper, _token, make_order


def bare_app(sandbox, tmp_path: Path, *, order_source: Any = None, **config: Any) -> Flask:
    """A shop with nothing but DivideBuy mounted (no layout, no endpoints of its own)."""
    app = Flask("bare-shop", root_path=str(tmp_path))
    app.config.update(SECRET_KEY="s" * 32, DIVIDEBUY_DATABASE_URL=f"sqlite:///{tmp_path}/b.db")
    app.config.update(config)
    settings = Settings(
        client_id="bare", client_secret="s", environment="local", base_url=sandbox.url
    )
    client = DivideBuyClient(settings=settings, token_store=MemoryTokenStore())
    DivideBuy(app, order_source=order_source, client=client)
    return app


# -- start-up --------------------------------------------------------------------------------------


def test_missing_configuration_is_a_clear_error_at_start_up(sandbox, tmp_path):
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        bare_app(sandbox, tmp_path, order_source=Orders(), SECRET_KEY=None)
    with pytest.raises(ConfigurationError, match="needs an order source"):
        bare_app(sandbox, tmp_path, DIVIDEBUY_CHECKOUT_ENABLED=True)
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_RATE_LIMIT"):
        bare_app(sandbox, tmp_path, order_source=Orders(), DIVIDEBUY_RATE_LIMIT="lots")
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_CLIENT_ID"):
        DivideBuy(Flask("no-credentials"), order_source=Orders())


def test_without_an_order_source_the_checkout_is_off_but_the_cli_explains(sandbox, tmp_path):
    app = bare_app(sandbox, tmp_path)
    result = app.test_cli_runner().invoke(args=["dividebuy", "reconcile"])
    assert "dividebuy.apply" not in app.view_functions
    assert "checkout" not in app.extensions["dividebuy"].services
    assert result.exit_code == 2 and "no DivideBuy checkout" in result.output


def test_flask_dividebuy_lists_every_cli_modules_commands(shop: Shop):
    result = shop.app.test_cli_runner().invoke(args=["dividebuy", "--help"])
    for command in ("reconcile", "settle", "refund", "terms"):
        assert command in result.output


# -- links -----------------------------------------------------------------------------------------


def test_an_application_form_cannot_be_opened_by_guessing_an_order_id(shop: Shop, shopper):
    order_id = shopper.buy("walnut-desk")
    guessed = shopper.http.get(f"/dividebuy/apply/{order_id}")
    unknown = shopper.http.get(f"/dividebuy/apply/{shop.service.start_token('no-such-order')}")
    assert guessed.status_code == 400 and "Ada" not in guessed.text
    assert unknown.status_code == 404


def test_return_pages_go_only_to_the_shops_own_endpoints(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("walnut-desk")
    return_url = shopper.press(shopper.checkout_with_dividebuy(), "complete")
    back = shopper.come_back(return_url + "&next=https://evil.example/&url=//evil.example")
    assert back.status_code == 303 and back.headers["location"] == f"/orders/{order_id}"
    assert back.headers["Cache-Control"] == "no-store"
    assert back.headers["Referrer-Policy"] == "no-referrer"  # issue 10 #12 (flask/guards.py)


def test_an_order_below_dividebuys_minimum_explains_why(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("beeswax-candles")
    order_page = shopper.order_page()
    form = shopper.http.get(f"/dividebuy/apply/{shop.service.start_token(order_id)}")
    assert 'id="pay-with-dividebuy"' not in order_page.text
    assert "from £250.00; this order is £27.95" in order_page.text
    assert form.status_code == 200 and "from £250.00; this order is £27.95" in form.text
    assert "<form" not in form.text.split('id="main-content"')[1]


# -- the form --------------------------------------------------------------------------------------


def test_a_submit_without_its_csrf_token_sends_nothing(shop: Shop, shopper: Shopper):
    shopper.buy("walnut-desk")
    shopper.open_application()
    response = shopper.http.post(shopper.apply_url, data={"title": "Ms", "term": "12"})
    assert response.status_code == 400 and "This form had expired" in response.text
    assert shop.calls("CREATE_QUOTE") == 0


def test_submits_are_rate_limited_per_client_address(make_shop):
    shop = make_shop(DIVIDEBUY_RATE_LIMIT="2/minute")
    shopper = shop.shopper()
    shopper.buy("walnut-desk")
    first = shopper.submit(dob_year="2020")
    second = shopper.submit(dob_year="2020")
    third = shopper.submit()
    assert (first.status_code, second.status_code, third.status_code) == (400, 400, 429)
    assert 1 <= int(third.headers["Retry-After"]) <= 60
    assert "too many attempts" in third.text
    assert shop.calls("CREATE_QUOTE") == 0
    shopper.close()


def test_details_missing_from_the_order_are_asked_and_prefilled(sandbox, tmp_path):
    orders = Orders()
    long_town = "Llanfairpwllgwyngyll Village"  # 28 characters: DivideBuy allows 25
    orders.orders["1001"] = make_order(
        customer=Customer(
            first_name="Ada",
            last_name="Lovelace",
            mobile_number=None,
            address=Address(address_line_1="1 Holyhead Road", town=long_town, postcode="LL61 5UJ"),
        )
    )
    app = bare_app(sandbox, tmp_path, order_source=orders)
    http = app.test_client()
    url = f"/dividebuy/apply/{app.extensions['dividebuy'].services['checkout'].start_token('1001')}"

    page = http.get(url).get_data(as_text=True)
    answers = {
        "csrf_token": _token(page),
        "title": "Ms",
        "dob_day": "1",
        "dob_month": "2",
        "dob_year": "1980",
        "nationality": "Welsh",
        "address_line_1": "1 Holyhead Road",
        "town": long_town,
        "postcode": "LL61 5UJ",
        "address_years": "4",
        "income_type": "Pension",
        "residential_status": "Yes, outright owner",
        "term": "12",
        "instalment_day": "1",
    }
    refused = http.post(url, data=answers).get_data(as_text=True)
    accepted = http.post(
        url, data={**answers, "town": "Llanfair PG", "mobile_number": "07400 123456"}
    )

    assert 'id="mobile_number"' in page and 'id="first_name"' not in page
    assert f'id="town" name="town" type="text" value="{long_town}"' in page
    assert 'href="#town">Your town or city must be 25 characters or fewer.' in refused
    assert 'href="#mobile_number">Enter your mobile number.' in refused
    assert accepted.status_code == 303 and "/checkout/" in accepted.location


def test_checkout_pages_use_the_shops_layout_and_can_be_overridden(sandbox, tmp_path):
    (tmp_path / "templates" / "dividebuy").mkdir(parents=True)
    (tmp_path / "templates" / "layout.html").write_text(
        "<html><title>{% block title %}{% endblock %} | Shop</title>"
        "<main>{% block content %}{% endblock %}</main></html>"
    )
    (tmp_path / "templates" / "dividebuy" / "not_available.html").write_text(
        "{% extends 'dividebuy/base.html' %}{% block dividebuy_content %}"
        "<h1>Our own words</h1><p>{{ reason }}</p>{% endblock %}"
    )
    orders = Orders()
    orders.orders["1"] = make_order(order_id="1", total="10.00", subtotal="8.33", vat="1.67")
    app = bare_app(sandbox, tmp_path, order_source=orders, DIVIDEBUY_LAYOUT_TEMPLATE="layout.html")
    token = app.extensions["dividebuy"].services["checkout"].start_token("1")

    html = app.test_client().get(f"/dividebuy/apply/{token}").get_data(as_text=True)

    assert "<title>Pay with DivideBuy | Shop</title>" in html
    assert "<h1>Our own words</h1>" in html and "this order is £10.00" in html


# -- personal data ---------------------------------------------------------------------------------


def test_personal_answers_are_sent_but_never_stored_or_logged(
    shop: Shop, shopper: Shopper, caplog, tmp_path
):
    caplog.set_level(logging.DEBUG)
    shopper.buy("walnut-desk")
    personal = {
        "dob_day": "14",
        "dob_month": "3",
        "dob_year": "1979",
        "nationality": "Icelandic",
        "income_type": "Director of a limited company",
        "residential_status": "Yes, with mortgage",
        "rent": "1234",
    }
    assert shopper.submit(**personal).status_code == 303

    database = b"".join(p.read_bytes() for p in tmp_path.glob("dividebuy.sqlite3*"))
    for value in ("1979-03-14", "Icelandic", "Director of a limited", "with mortgage", "1234"):
        assert value.encode() not in database, value
        assert value not in caplog.text, value
    assert shop.store.live_for_order(shopper.order_id) is not None


def test_the_form_has_no_inline_script_and_every_input_has_a_label(shopper: Shopper):
    shopper.buy("walnut-desk")
    html = shopper.open_application().text
    form = html.split('<form method="post" novalidate class="dividebuy-form">')[1]
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not inline_scripts and " style=" not in html and "onclick" not in html
    fields = re.findall(r"<(?:input|select)[^>]*>", form)
    ids = [
        re.search(r'\bid="([^"]+)"', tag).group(1)
        for tag in fields
        if 'type="submit"' not in tag and 'type="hidden"' not in tag
    ]
    labelled = set(re.findall(r'<label for="([^"]+)"', form))
    assert len(ids) > 20 and set(ids) <= labelled
