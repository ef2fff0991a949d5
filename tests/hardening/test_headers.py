"""Private pages send anti-framing, no-sniff, no-referrer and no-store headers (issue 10 #12).

Over real HTTP against the example shop: the order page (a signed checkout link), the
application form and the return page; a shop's own CSP is merged, not clobbered; the
back office's JSON is never stored.
"""

from __future__ import annotations

import httpx
from checkout.conftest import Shopper
from flask import Response

from dividebuy_checkout.flask.guards import merge_csp

KEY = "k3y-for-the-back-office-0123456789"


def assert_private(response: httpx.Response) -> None:
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


def test_order_form_and_return_pages_are_private(shopper: Shopper):
    shopper.buy()
    assert_private(shopper.order_page())
    assert_private(shopper.open_application())
    checkout_url = shopper.checkout_with_dividebuy()
    back = shopper.come_back(shopper.press(checkout_url, "complete"))
    assert_private(back)
    # a redirect from the return route carries them too (a signed reference in its URL)
    if back.status_code in (302, 303):
        assert_private(shopper.http.get(back.headers["location"]))


def test_a_shops_own_csp_is_kept_and_frame_ancestors_added(make_shop):
    shop = make_shop()

    @shop.app.after_request
    def shop_csp(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors *"
        return response

    person = shop.shopper()
    try:
        person.buy()
        csp = person.order_page().headers["Content-Security-Policy"]
        home = person.http.get("/")
    finally:
        person.close()

    assert csp == "default-src 'self'; frame-ancestors 'none'"
    # the shop's other pages keep the shop's own policy untouched
    assert home.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors *"


def test_merge_keeps_every_other_directive():
    assert merge_csp(None) == "frame-ancestors 'none'"
    assert merge_csp("script-src 'self' ; img-src *;") == (
        "script-src 'self'; img-src *; frame-ancestors 'none'"
    )


def test_back_office_json_is_never_stored(make_shop):
    shop = make_shop(DIVIDEBUY_BACKOFFICE_API_KEY=KEY)
    response = httpx.get(
        f"{shop.url}/dividebuy/backoffice/orders/NOPE",
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    )
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
