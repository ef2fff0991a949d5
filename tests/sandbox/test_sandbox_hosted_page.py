"""The hosted application page at ``checkout_url``: sign, cancel, go back to the shop."""

from __future__ import annotations

import httpx

from dividebuy_checkout.money import loads

from .helpers import DROP, RETURN_URL


def _status(api, quote_id):
    return loads(api.get_quote(quote_id).content)["data"]["quote"]


def test_page_says_sandbox_and_shows_the_figures_and_both_buttons(api, http):
    quote = api.new_quote()
    page = http.get(quote["checkout_url"])
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    html = page.text
    assert "DivideBuy SANDBOX" in html
    assert '<html lang="en-GB">' in html and "<main>" in html and "<h1>" in html
    assert "£2,000.00" in html and "12 months" in html and "£166.67" in html
    assert "Sign agreement and pay first instalment" in html
    assert "Cancel and return to the shop" in html
    assert f'action="/checkout/{quote["id"]}/complete"' in html
    assert f'action="/checkout/{quote["id"]}/cancel"' in html
    assert "<script" not in html and "http://" not in html.split("<main>")[0]


def test_signing_completes_the_quote_creates_an_order_and_returns_to_the_shop(api, http):
    quote = api.new_quote()
    response = http.post(f"{quote['checkout_url']}/complete")
    assert response.status_code == 303
    assert response.headers["Location"] == RETURN_URL  # query string kept exactly
    stored = _status(api, quote["id"])
    assert stored["status"] == "Completed" and stored["decision"] == "APPROVED"
    assert stored["order_ref_id"].startswith("DB") and stored["order_ref_id"][2:].isdigit()


def test_signing_twice_creates_one_order(api, http, sandbox):
    quote = api.new_quote()
    first = http.post(f"{quote['checkout_url']}/complete")
    second = http.post(f"{quote['checkout_url']}/complete")
    assert first.status_code == second.status_code == 303
    assert len(sandbox.state.snapshot()["orders"]) == 1


def test_cancelling_returns_to_the_shop_and_cancels(api, http):
    quote = api.new_quote()
    response = http.post(f"{quote['checkout_url']}/cancel")
    assert response.status_code == 303 and response.headers["Location"] == RETURN_URL
    stored = _status(api, quote["id"])
    assert stored["status"] == "Cancelled" and stored["order_ref_id"] is None


def test_a_browser_following_the_redirect_lands_on_the_return_url(api, sandbox):
    quote = api.new_quote(order__redirect_url=f"{sandbox.url}/_sandbox/state?from=db&x=%2F1")
    with httpx.Client(follow_redirects=True) as browser:
        landed = browser.post(f"{quote['checkout_url']}/complete")
    assert str(landed.url) == f"{sandbox.url}/_sandbox/state?from=db&x=%2F1"
    assert landed.request.method == "GET"  # 303: the browser GETs the shop


def test_without_a_redirect_url_the_page_says_it_can_be_closed(api, http):
    quote = api.new_quote(order__redirect_url=DROP)
    response = http.post(f"{quote['checkout_url']}/complete")
    assert response.status_code == 200
    assert "You can close this page" in response.text


def test_an_expired_quote_cannot_be_signed(api, http):
    quote = api.new_quote()
    http.post(f"/_sandbox/quotes/{quote['id']}/expire")
    response = http.post(f"{quote['checkout_url']}/complete")
    assert response.status_code == 409
    assert "text/html" in response.headers["Content-Type"] and "Expired" in response.text
    assert _status(api, quote["id"])["status"] == "Expired"


def test_a_cancelled_quote_cannot_be_signed(api, http):
    quote = api.new_quote()
    http.post(f"{quote['checkout_url']}/cancel")
    assert http.post(f"{quote['checkout_url']}/complete").status_code == 409
    assert _status(api, quote["id"])["status"] == "Cancelled"


def test_a_completed_quote_cannot_be_cancelled(api, http):
    quote = api.new_quote()
    http.post(f"{quote['checkout_url']}/complete")
    assert http.post(f"{quote['checkout_url']}/cancel").status_code == 409
    assert _status(api, quote["id"])["status"] == "Completed"


def test_a_declined_quote_has_no_usable_page(api, http, sandbox):
    quote = api.new_quote(customer__last_name="Declined")
    url = f"{sandbox.url}/checkout/{quote['id']}"
    page = http.get(url)
    assert "declined" in page.text and "<form" not in page.text
    assert http.post(f"{url}/complete").status_code == 409
    assert _status(api, quote["id"])["status"] == "Declined"


def test_a_referred_quote_needs_a_guarantor_then_completes_via_admin(api, http):
    quote = api.new_quote(customer__last_name="Referred")
    page = http.get(quote["checkout_url"])
    assert "guarantor is needed" in page.text
    assert "Sign agreement" not in page.text
    assert http.post(f"{quote['checkout_url']}/complete").status_code == 409
    assert _status(api, quote["id"])["status"] == "Pending"
    # Days later the guarantor finishes it.
    done = http.post(f"/_sandbox/quotes/{quote['id']}/complete")
    assert done.status_code == 200 and done.json()["quote"]["status"] == "Completed"
    stored = _status(api, quote["id"])
    assert stored["decision"] == "APPROVED" and stored["order_ref_id"]


def test_an_undecided_quote_is_approved_when_signed(api, http):
    quote = api.new_quote(customer__last_name="Undecided")
    assert quote["decision"] is None
    http.post(f"{quote['checkout_url']}/complete")
    assert _status(api, quote["id"])["decision"] == "APPROVED"


def test_unknown_checkout_page_is_a_404(http):
    assert http.get("/checkout/nope").status_code == 404
    assert http.post("/checkout/nope/complete").status_code == 404


def test_redirect_url_is_escaped_in_the_page(api, http):
    quote = api.new_quote(order__redirect_url='https://shop.example/r?a="><b>x')
    http.post(f"/_sandbox/quotes/{quote['id']}/cancel")
    page = http.get(quote["checkout_url"]).text
    assert '"><b>' not in page and "&quot;&gt;&lt;b&gt;" in page


def test_the_only_inline_code_is_the_stylesheet_the_policy_allows_by_hash(api, http):
    import base64
    import hashlib

    from dividebuy_checkout.sandbox.pages import PAGE_CSS

    page = http.get(api.new_quote()["checkout_url"])
    policy = page.headers["Content-Security-Policy"]
    digest = base64.b64encode(hashlib.sha256(PAGE_CSS.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy and "unsafe-inline" not in policy
    assert f"<style>{PAGE_CSS}</style>" in page.text
    assert "<script" not in page.text and " style=" not in page.text and " on" not in page.text
    for landmark in ("<header>", "<main>", "<footer>"):
        assert page.text.count(landmark) == 1


def test_each_outcome_says_what_the_shopper_has_paid(api, http):
    referred = http.get(api.new_quote(customer__last_name="Referred")["checkout_url"]).text
    assert "You have paid nothing" in referred and "paid today" not in referred
    declined = api.new_quote(customer__last_name="Declined")
    assert "You have paid nothing" in http.get(f"/checkout/{declined['id']}").text
    cancelled = api.new_quote()
    http.post(f"{cancelled['checkout_url']}/cancel")
    assert "You have paid nothing" in http.get(cancelled["checkout_url"]).text
    signed = api.new_quote()
    http.post(f"{signed['checkout_url']}/complete")
    page = http.get(signed["checkout_url"]).text
    # £2,000 over 12 interest-free months: 166.67 paid at signing, 10 × 166.67, 166.63.
    assert "first instalment of <strong>£166.67</strong> is paid" in page
    assert "10 monthly instalments of £166.67 and a final one of £166.63" in page
    assert "You have paid nothing" not in page
