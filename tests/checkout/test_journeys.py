"""End to end over real HTTP: the example shop and the sandbox on loopback, driven like a browser.

Each test is one thing a shopper or a shop relies on: an order paid once, a
decline that offers another way to pay, a referral finished later, a cancel, an
expiry, errors that keep the input, a double click, a reload, a forged link, a
shopper who never comes back, a basket changed at the wrong moment, and
DivideBuy being down.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal

import httpx
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.checkout.reference import RETURN_SALT
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.store import CheckoutStatus
from dividebuy_checkout.tokens import MemoryTokenStore

from .conftest import SECRET_KEY, Shop, Shopper


class _SignedLongAgo(TimestampSigner):
    """Signs as if it were 2001: a genuine signature, long expired."""

    def get_timestamp(self) -> int:
        return 1_000_000_000


def _transitions(shop: Shop, quote_id: str) -> list[tuple[str | None, str]]:
    return [(t.from_status, t.to_status) for t in shop.store.history(quote_id)]


def _only_quote(shop: Shop) -> dict:
    (quote,) = shop.quotes()
    return quote


# -- approve ---------------------------------------------------------------------------------------


def test_an_approved_application_pays_the_order_once(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("walnut-desk")
    form = shopper.open_application()
    checkout_url = shopper.checkout_with_dividebuy()
    record = shop.store.live_for_order(order_id)
    pending_at_dividebuy = shop.service.is_pending_finance(order_id)

    return_url = shopper.press(checkout_url, "complete")
    back = shopper.come_back(return_url)
    order_page = shopper.http.get(back.headers["location"])

    quote = _only_quote(shop)
    final = shop.store.get(record.quote_id)
    assert "£899.00" in form.text and "12 months: £74.92 a month, interest-free" in form.text
    assert record.status is CheckoutStatus.PENDING and pending_at_dividebuy  # recorded first
    # DivideBuy sends the shopper back to the return route, with only a signed reference
    assert re.fullmatch(rf"{shop.url}/dividebuy/return\?ref=[\w.\-]+", quote["redirect_url"])
    assert back.status_code == 303 and back.headers["location"] == f"/orders/{order_id}"
    assert "Status: <strong>paid</strong> · paid with DivideBuy" in order_page.text
    assert final.status is CheckoutStatus.COMPLETED
    assert final.dividebuy_order_id == quote["order_ref_id"] and final.decision == "APPROVED"
    assert final.amount == final.credit_amount == Decimal("899.00") and final.term == 12
    assert shop.event_names() == ["quote_created", "quote_decided", "quote_completed"]
    assert not shop.service.is_pending_finance(order_id)


# -- decline, refer, cancel, expire ----------------------------------------------------------------


def test_a_declined_application_offers_the_shops_other_payment_methods(
    shop: Shop, shopper: Shopper
):
    order_id = shopper.buy("walnut-desk", last_name="Declined")

    response = shopper.submit()
    page = shopper.http.get(response.headers["location"])
    pay_by_card = re.search(r'href="([^"]+)">Choose another way to pay', page.text)
    order_page = shopper.http.get(pay_by_card.group(1))

    record = shop.store.live_for_order(order_id)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/dividebuy/return?ref=")  # not DivideBuy
    assert page.status_code == 200 and "DivideBuy cannot offer you finance this time" in page.text
    assert pay_by_card.group(1) == f"/orders/{order_id}"
    assert "Pay £899.00 by card (demo)" in order_page.text
    assert record.status is CheckoutStatus.DECLINED and record.decision == "DECLINED"
    assert [(n, e) for n, _, e in shop.events] == [
        ("quote_created", {}),
        ("quote_decided", {"decision": "DECLINED"}),
        ("quote_declined", {}),
    ]
    assert shop.shop_order(order_id).status == "awaiting payment"


def test_a_referred_application_is_completed_by_reconcile_once_the_guarantor_applies(
    shop: Shop, shopper: Shopper
):
    order_id = shopper.buy("velvet-sofa", last_name="Referred")
    checkout_url = shopper.checkout_with_dividebuy()
    hosted = shopper.at_dividebuy(checkout_url)
    back_link = re.search(r'<a href="([^"]+)">Return to the shop</a>', hosted.text).group(1)
    waiting = shopper.come_back(back_link.replace("&amp;", "&"))
    record = shop.store.live_for_order(order_id)
    first_run = shop.reconcile()

    shop.admin(f"/quotes/{record.quote_id}/complete")  # the guarantor finishes, days later
    second_run = shop.reconcile()
    order_page = shopper.order_page()

    assert "a guarantor is needed" in hosted.text
    assert waiting.status_code == 200 and "A guarantor is needed" in waiting.text
    assert record.status is CheckoutStatus.PENDING and record.decision == "REFERRED"
    assert first_run.exit_code == 0 and "0 changed" in first_run.output
    assert second_run.exit_code == 0, second_run.output
    assert "1 changed" in second_run.output and "completed" in second_run.output
    assert shop.store.get(record.quote_id).status is CheckoutStatus.COMPLETED
    assert "Status: <strong>paid</strong>" in order_page.text
    assert shop.event_names().count("quote_completed") == 1
    assert ("quote_decided", {"decision": "APPROVED"}) in [(n, e) for n, _, e in shop.events]


def test_cancelling_at_dividebuy_leaves_the_order_unpaid_and_open_to_apply_again(
    shop: Shop, shopper: Shopper
):
    order_id = shopper.buy("walnut-desk")
    checkout_url = shopper.checkout_with_dividebuy()

    back = shopper.come_back(shopper.press(checkout_url, "cancel"))
    again = re.search(r'href="([^"]+)">Apply with DivideBuy again', back.text).group(1)
    shopper.apply_url = again
    shopper.form_html = shopper.http.get(again).text
    second_url = shopper.checkout_with_dividebuy()

    records = shop.store.for_order(order_id)
    assert back.status_code == 200 and "You cancelled your DivideBuy application" in back.text
    assert 'href="/orders/' in back.text  # the shop's other ways to pay
    assert second_url != checkout_url
    assert [r.status for r in records] == [CheckoutStatus.SUPERSEDED, CheckoutStatus.PENDING]
    assert _transitions(shop, records[0].quote_id) == [
        (None, "pending"),
        ("pending", "cancelled"),
        ("cancelled", "superseded"),
    ]
    assert shop.event_names().count("quote_cancelled") == 1


def test_an_expired_quote_is_recorded_as_expired_and_can_be_started_again(
    shop: Shop, shopper: Shopper
):
    order_id = shopper.buy("oak-bedside-table")
    checkout_url = shopper.checkout_with_dividebuy()
    record = shop.store.live_for_order(order_id)
    shop.admin(f"/quotes/{record.quote_id}/expire")

    hosted = shopper.at_dividebuy(checkout_url)
    back_link = re.search(r'<a href="([^"]+)">Return to the shop</a>', hosted.text).group(1)
    page = shopper.come_back(back_link.replace("&amp;", "&"))

    assert page.status_code == 200 and "Your DivideBuy application expired" in page.text
    assert "Start a new DivideBuy application" in page.text
    assert shop.store.get(record.quote_id).status is CheckoutStatus.EXPIRED
    assert shop.event_names() == ["quote_created", "quote_decided", "quote_expired"]
    assert shop.shop_order(order_id).status == "awaiting payment"


# -- the form --------------------------------------------------------------------------------------


def test_validation_errors_keep_the_input_and_link_to_each_field(shop: Shop, shopper: Shopper):
    shopper.buy("walnut-desk")

    response = shopper.submit(dob_year="2015", nationality="", rent="", address_years="1")
    html = response.text
    summary = re.search(r'<div class="dividebuy-error-summary".*?</div>', html, re.S).group(0)
    links = dict(re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary))

    assert response.status_code == 400
    assert html.count("<title>Error: ") == 1
    assert links == {
        "dob_day": "You must be 18 or over to apply for DivideBuy credit.",
        "nationality": "Choose your nationality.",
        "rent": "Enter your monthly rent or mortgage payment in whole pounds, like 650.",
        "previous-0-address_line_1": "Add your previous addresses so that, with your current "
        "address, they cover the last 3 years.",
    }
    for anchor in links:  # every link lands on an input that exists
        assert f'id="{anchor}"' in html
    # errors beside the fields, tied to them for screen readers
    assert 'id="rent-error"' in html and 'aria-describedby="rent-hint rent-error"' in html
    assert 'aria-describedby="dob-hint dob-error"' in html
    # the input is kept
    assert 'id="dob_day" inputmode="numeric" name="dob_day" type="text" value="23"' in html
    assert 'checked id="income_type-0" name="income_type" type="radio"' in html
    assert 'checked id="residential_status-2" name="residential_status"' in html
    assert 'name="address_years" type="text" value="1"' in html
    assert '<input checked id="term-4" name="term" type="radio" value="12">' in html
    assert shop.calls("CREATE_QUOTE") == 0 and shop.store.live_for_order(shopper.order_id) is None
    assert shop.events == []


def test_a_short_address_history_asks_for_a_previous_address_then_succeeds(
    shop: Shop, shopper: Shopper
):
    shopper.buy("walnut-desk")
    short = shopper.submit(address_years="1", address_months="6")
    added = shopper.submit(
        address_years="1",
        address_months="6",
        **{
            "previous-0-address_line_1": "Mill Lane",
            "previous-0-town": "Harrogate",
            "previous-0-postcode": "hg1 1aa",
            "previous-0-years": "1",
            "previous-0-months": "6",
        },
    )
    assert short.status_code == 400 and 'id="previous-0-address_line_1"' in short.text
    assert added.status_code == 303 and "/checkout/" in added.headers["location"]


def test_the_add_address_button_adds_a_row_without_applying(shop: Shop, shopper: Shopper):
    shopper.buy("walnut-desk")
    shopper.open_application()
    response = shopper.submit(add_address="Add another previous address", submit=None)
    assert response.status_code == 200
    assert 'id="previous-1-address_line_1"' in response.text
    assert shop.calls("CREATE_QUOTE") == 0


# -- idempotency -----------------------------------------------------------------------------------


def test_a_double_submit_creates_one_quote(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("walnut-desk")
    shopper.open_application()
    results: list[httpx.Response] = []
    barrier = threading.Barrier(2)

    def click() -> None:
        barrier.wait()
        results.append(shopper.submit())

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    later = shopper.submit()  # and a third, after the back button

    locations = {r.headers.get("location") for r in [*results, later]}
    assert [r.status_code for r in results] == [303, 303] and later.status_code == 303
    assert len(locations) == 1 and next(iter(locations)).startswith(shop.sandbox.url)
    assert shop.calls("CREATE_QUOTE") == 1
    assert len(shop.store.for_order(order_id)) == 1
    assert shop.event_names().count("quote_created") == 1


def test_a_changed_basket_supersedes_the_live_quote(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("walnut-desk")
    first = shopper.checkout_with_dividebuy()
    shopper.add("oak-bedside-table")
    assert shopper.place_order() == order_id  # the same order, now £1,248.00
    shopper.apply_url = None
    second = shopper.checkout_with_dividebuy()

    records = shop.store.for_order(order_id)
    live = shop.store.live_for_order(order_id)
    assert first != second and shop.calls("CREATE_QUOTE") == 2
    assert [r.status for r in records] == [CheckoutStatus.SUPERSEDED, CheckoutStatus.PENDING]
    assert live.quote_id == records[1].quote_id and live.amount == Decimal("1248.00")


# -- the return ------------------------------------------------------------------------------------


def test_reloading_the_return_page_records_one_transition(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("walnut-desk")
    return_url = shopper.press(shopper.checkout_with_dividebuy(), "complete")
    reads_before = shop.calls("GET_QUOTE")

    visits = [shopper.come_back(return_url) for _ in range(4)]

    record = shop.store.live_for_order(order_id)
    assert {v.status_code for v in visits} == {303}
    assert _transitions(shop, record.quote_id) == [(None, "pending"), ("pending", "completed")]
    assert shop.event_names().count("quote_completed") == 1
    assert shop.calls("GET_QUOTE") - reads_before == 1  # a final outcome is not asked again


def test_a_forged_foreign_or_expired_return_link_is_refused_and_changes_nothing(
    shop: Shop, shopper: Shopper
):
    order_id = shopper.buy("walnut-desk")
    return_url = shopper.press(shopper.checkout_with_dividebuy(), "complete")  # paid at DivideBuy
    genuine = return_url.split("ref=", 1)[1]
    record = shop.store.live_for_order(order_id)
    ref = shop.store.return_ref(record.quote_id)
    other_shop = URLSafeTimedSerializer("another-shops-secret", salt=RETURN_SALT)
    ours = URLSafeTimedSerializer(SECRET_KEY, salt=RETURN_SALT)
    stale = URLSafeTimedSerializer(SECRET_KEY, salt=RETURN_SALT, signer=_SignedLongAgo)
    tampered = genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB")
    links = {
        "tampered": tampered,
        "another shop's key": other_shop.dumps({"o": order_id, "r": ref}),
        "another order": ours.dumps({"o": "9999", "r": ref}),
        "unknown reference": ours.dumps({"o": order_id, "r": "made-up"}),
        "expired": stale.dumps({"o": order_id, "r": ref}),
        "not a reference": "hello",
        "empty": "",
    }
    reads_before = shop.calls("GET_QUOTE")

    pages = {
        name: shopper.http.get("/dividebuy/return", params={"ref": t}) for name, t in links.items()
    }

    for name, page in pages.items():
        assert page.status_code == 400, name
        assert "Nothing has been changed" in page.text or "has expired" in page.text, name
    assert "This link has expired" in pages["expired"].text
    assert "not for this shop" in pages["another order"].text
    assert shop.store.get(record.quote_id).status is CheckoutStatus.PENDING
    assert _transitions(shop, record.quote_id) == [(None, "pending")]
    assert shop.calls("GET_QUOTE") == reads_before
    assert "quote_completed" not in shop.event_names()
    # the genuine link still works afterwards
    assert shopper.come_back(return_url).status_code == 303


def test_a_shopper_who_never_returns_is_completed_by_reconcile(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("walnut-desk")
    return_url = shopper.press(shopper.checkout_with_dividebuy(), "complete")  # tab closed
    waiting = shopper.order_page()
    pending_ids = shop.service.pending_finance_order_ids()

    run = shop.reconcile()
    late_return = shopper.come_back(return_url)  # the shopper finds the tab days later

    record = shop.store.live_for_order(order_id)
    assert "Status: <strong>waiting for DivideBuy</strong>" in waiting.text
    assert pending_ids == [order_id]
    assert run.exit_code == 0 and "1 changed" in run.output
    assert record.status is CheckoutStatus.COMPLETED and record.dividebuy_order_id
    assert [t.source for t in shop.store.history(record.quote_id)] == ["checkout", "reconcile"]
    assert late_return.status_code == 303
    assert shop.event_names().count("quote_completed") == 1
    assert shop.service.pending_finance_order_ids() == []


def test_a_basket_changed_while_at_dividebuy_puts_the_order_on_hold(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("walnut-desk")
    checkout_url = shopper.checkout_with_dividebuy()
    other_tab = shop.shopper()
    other_tab.http.cookies = shopper.http.cookies  # the same browser, another tab
    other_tab.add("linen-cushions")
    other_tab.place_order()  # the order is now £948.00; DivideBuy still has £899.00

    page = shopper.come_back(shopper.press(checkout_url, "complete"))

    record = shop.store.live_for_order(order_id)
    (name, _, extra) = shop.events[-1]
    assert page.status_code == 200 and "Your order is on hold" in page.text
    assert record.status is CheckoutStatus.ON_HOLD and record.dividebuy_order_id
    assert "£899.00" in record.hold_reason and "£948.00" in record.hold_reason
    assert name == "order_on_hold" and extra == {"reason": record.hold_reason}
    assert "quote_completed" not in shop.event_names()
    assert shop.shop_order(order_id).status == "on hold"
    other_tab.close()


# -- DivideBuy down --------------------------------------------------------------------------------


def test_dividebuy_failing_at_submit_shows_a_clear_page_and_writes_nothing(
    shop: Shop, shopper: Shopper
):
    order_id = shopper.buy("walnut-desk")
    shopper.open_application()
    shop.fault("CREATE_QUOTE", 503)
    refused = shopper.submit()
    shop.fault("CREATE_QUOTE", 500, after=True)  # DivideBuy acted, then failed
    unknown = shopper.submit()

    assert refused.status_code == 503
    assert "could not reach DivideBuy just now, so your application was not sent" in refused.text
    assert 'name="dob_day" type="text" value="23"' in refused.text  # the input is kept
    assert (
        unknown.status_code == 503 and "DivideBuy did not confirm your application" in unknown.text
    )
    assert shop.store.for_order(order_id) == []
    assert shop.events == [] and shop.shop_order(order_id).status == "awaiting payment"
    assert shopper.submit().status_code == 303  # and it works once DivideBuy is back


def test_dividebuy_unreachable_at_submit_shows_a_clear_page_and_writes_nothing(
    shop: Shop, shopper: Shopper
):
    order_id = shopper.buy("walnut-desk")
    shopper.open_application()  # the terms were read while DivideBuy was up
    nowhere = Settings(
        client_id="x",
        client_secret="y",
        environment="local",
        base_url="http://127.0.0.1:9",
        max_attempts=1,
        connect_timeout=1,
    )
    shop.service.client = DivideBuyClient(settings=nowhere, token_store=MemoryTokenStore())

    response = shopper.submit()

    assert response.status_code == 503
    assert "There is a problem" in response.text and "Choose another way to pay" in response.text
    assert shop.store.for_order(order_id) == [] and shop.events == []


def test_dividebuy_unreachable_when_the_form_opens_says_so(make_shop):
    shop = make_shop(DIVIDEBUY_BASE_URL="http://127.0.0.1:9", DIVIDEBUY_MAX_ATTEMPTS=1)
    shopper = shop.shopper()
    shopper.buy("walnut-desk")
    order_page = shopper.order_page()
    apply_url = f"/dividebuy/apply/{shop.service.start_token(shopper.order_id)}"

    page = shopper.http.get(apply_url)

    assert order_page.status_code == 200 and "cannot be reached just now" in order_page.text
    assert page.status_code == 503 and "DivideBuy is not available just now" in page.text
    shopper.close()


# -- races -----------------------------------------------------------------------------------------


def test_two_returns_at_once_record_one_transition_and_one_signal(shop: Shop, shopper: Shopper):
    order_id = shopper.buy("walnut-desk")
    return_url = shopper.press(shopper.checkout_with_dividebuy(), "complete")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def arrive() -> None:
        with httpx.Client(base_url=shop.url, cookies=shopper.http.cookies, timeout=15) as tab:
            barrier.wait()
            statuses.append(tab.get(return_url[len(shop.url) :]).status_code)

    tabs = [threading.Thread(target=arrive) for _ in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()

    record = shop.store.live_for_order(order_id)
    assert statuses == [303, 303]
    assert _transitions(shop, record.quote_id) == [(None, "pending"), ("pending", "completed")]
    assert shop.event_names().count("quote_completed") == 1
