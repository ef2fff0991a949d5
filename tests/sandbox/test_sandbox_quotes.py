"""Quotes: validation, magic-surname decisions, reading them back, expiry."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta

from dividebuy_checkout import routes
from dividebuy_checkout.money import loads
from dividebuy_checkout.sandbox.config import RateCardEntry, SandboxConfig
from dividebuy_checkout.sandbox.errors import Invalid
from dividebuy_checkout.sandbox.state import SandboxState
from dividebuy_checkout.sandbox.validation import validate_quote
from dividebuy_checkout.schemas import example_quote_payload, rules

from .helpers import DROP, Api, quote_payload


def test_create_quote_answers_with_the_wire_envelope(api, sandbox):
    response = api.create_quote(quote_payload())
    assert response.status_code == 200, response.text
    body = loads(response.content)
    assert body["status_code"] == 200
    assert body["message"] == "Request completed successfully."
    quote = body["data"]["requested_quote"]
    assert quote["type"] == "quote"
    assert uuid.UUID(quote["id"]).version == 4
    assert quote["decision"] == "APPROVED"
    assert quote["checkout_url"] == f"{sandbox.url}/checkout/{quote['id']}"
    assert quote["details"]["credit_amount"] == Decimal("2000.00")
    assert quote["details"]["term"] == 12


@pytest.mark.parametrize(
    ("last_name", "decision"),
    [
        ("Declined", "DECLINED"),
        ("declined", "DECLINED"),
        ("REFERRED", "REFERRED"),
        ("Undecided", None),
        ("Lovelace", "APPROVED"),
    ],
)
def test_magic_surnames_pick_the_decision(api, last_name, decision):
    quote = api.new_quote(customer__last_name=last_name)
    assert quote["decision"] == decision


def test_a_declined_quote_is_declined_at_once_with_no_checkout_page(api):
    quote = api.new_quote(customer__last_name="Declined")
    assert quote["checkout_url"] is None
    stored = loads(api.get_quote(quote["id"]).content)["data"]["quote"]
    assert stored["status"] == "Declined" and stored["decision"] == "DECLINED"


def test_get_quote_returns_every_wire_field(api):
    quote = api.new_quote(
        order__total=Decimal("2000.00"),
        order__upfront_payment=Decimal("500.00"),
        order__credit_amount=Decimal("1500.00"),
        order__selected_instalment_term=24,
    )
    response = api.get_quote(quote["id"])
    body = loads(response.content)
    assert body["status_code"] == 200 and body["message"]
    assert body["data"]["quote"] == {
        "id": quote["id"],
        "status": "Pending",
        "retailer_order_id": "1001",
        "retailer_order_ref": "SHOP-1001",
        "order_amount": Decimal("2000.00"),
        "upfront_payment": Decimal("500.00"),
        "credit_amount": Decimal("1500.00"),
        "term": 24,
        "interest_rate": Decimal("9.9"),
        "decision": "APPROVED",
        "order_ref_id": None,
    }


def test_unknown_quote_is_a_404(api):
    response = api.get_quote(str(uuid.uuid4()))
    assert response.status_code == 404
    assert response.json() == {"status_code": 404, "message": "Quote not found."}


#: The card's terms for a £2,000 order (DEFAULT_RATE_CARD) and for a £500 one.
TERMS_AT_2000 = rules.term_not_available([3, 6, 9, 10, 12, 24, 36])
TERMS_AT_500 = rules.term_not_available([3, 6, 9, 10, 12])
TEEN = (date.today() - relativedelta(years=17)).isoformat()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"customer__first_name": DROP}, "customer.first_name", "Enter your first name."),
        ({"customer__address__town": ""}, "customer.address.town", "Enter your town or city."),
        ({"customer__address": DROP}, "customer.address", rules.ADDRESS_REQUIRED),
        # Neither time is at fault alone: the schema puts it on the address.
        ({"customer__address__time_at_address": DROP}, "customer.address",
         rules.ADDRESS_TIME_NEITHER),
        ({"customer__rent": DROP}, "customer.rent", rules.RENT_REQUIRED),
        ({"customer__ip_address": 12}, "customer.ip_address", rules.IP_ADDRESS_INVALID),
        ({"order__total": "two thousand"}, "order.total",
         "The order total must be a number of pounds, like 149.99."),
        ({"order__shipping": Decimal("-1.00")}, "order.shipping",
         "The shipping cost cannot be negative."),
        ({"order__discount": Decimal("1.001")}, "order.discount",
         "The discount can have at most two decimal places."),
        ({"order__credit_amount": Decimal("1999.00")}, "order.credit_amount",
         rules.CREDIT_MISMATCH),
        ({"order__selected_instalment_term": 7}, "order.selected_instalment_term",
         TERMS_AT_2000),
        ({"order__selected_instalment_term": "12 months"}, "order.selected_instalment_term",
         rules.TERM_INVALID),
        ({"order__instalment_date": 32}, "order.instalment_date", rules.INSTALMENT_DATE_INVALID),
        ({"order__is_default_billing": "yes"}, "order.is_default_billing",
         "Send 1 (yes) or 0 (no) for whether this is the customer's default billing address."),
        ({"order__redirect_url": "/return?o=1"}, "order.redirect_url",
         rules.REDIRECT_URL_INVALID),
        ({"order__redirect_url": "javascript:alert(1)"}, "order.redirect_url",
         rules.REDIRECT_URL_INVALID),
        # Neither price is at fault alone: the schema puts it on the item.
        ({"order__line_items": [{"name": "Sofa", "quantity": 1}]}, "order.line_items.0",
         rules.LINE_ITEM_NEEDS_PRICE),
        ({"payment__sort_code": "12-34-5"}, "payment.sort_code", rules.SORT_CODE_INVALID),
        ({"payment__account_number": DROP}, "payment.account_number",
         "Enter your account number."),
        # The UK rules the sandbox enforces since it uses the shared schema:
        ({"customer__mobile_number": "07700 900123"}, "customer.mobile_number",
         rules.MOBILE_INVALID),  # Ofcom's drama range is not a real mobile
        ({"customer__date_of_birth": TEEN}, "customer.date_of_birth",
         rules.DATE_OF_BIRTH_TOO_YOUNG),
        ({"customer__address__postcode": "75001"}, "customer.address.postcode",
         rules.POSTCODE_INVALID),
        ({"customer__previous_addresses": DROP}, "customer.previous_addresses",
         rules.history_shortfall(36)),
        ({"customer__nationality": "Martian"}, "customer.nationality",
         rules.NATIONALITY_INVALID),
        ({"order__upfront_payment": Decimal("2000.00"), "order__credit_amount": Decimal("0.00")},
         "order.upfront_payment", rules.UPFRONT_NOT_BELOW_TOTAL),
        ({"order__gift_wrap": 1}, "order.gift_wrap", rules.UNKNOWN_FIELD),
    ],
)  # fmt: skip
def test_invalid_quotes_get_field_level_422s(api, sandbox, changes, field, message):
    response = api.create_quote(quote_payload(**changes))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"] == "The given data was invalid."
    assert body["errors"] == {field: [message]}  # the bad field, in the shared schema's words
    assert sandbox.state.snapshot()["quotes"] == []  # nothing was created


def test_term_must_be_available_for_the_order_total(api):
    small = {"order__total": Decimal("500.00"), "order__credit_amount": Decimal("500.00")}
    assert api.create_quote(quote_payload(**small, order__selected_instalment_term=12)).is_success
    response = api.create_quote(quote_payload(**small, order__selected_instalment_term=24))
    assert response.status_code == 422
    assert response.json()["errors"] == {"order.selected_instalment_term": [TERMS_AT_500]}


def test_a_total_no_term_allows_refuses_the_term(api):
    tiny = {"order__total": Decimal("100.00"), "order__credit_amount": Decimal("100.00")}
    response = api.create_quote(quote_payload(**tiny, order__selected_instalment_term=3))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == {"order.selected_instalment_term": [rules.NO_TERMS_AVAILABLE]}


def test_the_available_terms_come_from_the_configured_rate_card():
    state = SandboxState(SandboxConfig(rate_card=(RateCardEntry(4, minimum_spend=Decimal(10)),)))
    small = {"order__total": Decimal("100.00"), "order__credit_amount": Decimal("100.00")}
    quote = state.create_quote(
        quote_payload(**small, order__selected_instalment_term=4), base_url="http://sandbox"
    )
    assert quote.term == 4 and quote.order_amount == Decimal("100.00")
    with pytest.raises(Invalid) as caught:
        state.create_quote(quote_payload(**small), base_url="http://sandbox")  # 12 months
    assert caught.value.errors == {
        "order.selected_instalment_term": [rules.term_not_available([4])]
    }


@pytest.mark.parametrize("payload", [None, [], "text", 3])
def test_a_body_that_is_not_an_object_is_read_as_an_empty_one(payload):
    expected = {"customer": [rules.CUSTOMER_REQUIRED], "order": [rules.ORDER_REQUIRED]}
    assert validate_quote(payload) == expected
    with pytest.raises(Invalid) as caught:
        SandboxState().create_quote(payload, base_url="http://sandbox")
    assert caught.value.errors == expected


def test_outright_owners_need_no_rent(api):
    payload = quote_payload(customer__residential_status="Yes, outright owner", customer__rent=DROP)
    assert api.create_quote(payload).status_code == 200


def test_the_schemas_example_payload_is_accepted_as_it_is(api):
    # What the other suites (checkout, back office, widgets) send.
    response = api.create_quote(example_quote_payload())
    assert response.status_code == 200, response.text
    assert response.json()["data"]["requested_quote"]["details"]["term"] == 12


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"[" * 5000 + b"]" * 5000],
    ids=["broken", "list", "string", "not-utf8", "deep"],
)
def test_a_body_that_is_not_a_json_object_is_a_400(api, content):
    response = api.http.post(
        routes.CREATE_QUOTE.path,
        content=content,
        headers={**api.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["status_code"] == 400


def test_an_empty_body_lists_the_required_objects(api):
    response = api.post(routes.CREATE_QUOTE.path)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "customer": [rules.CUSTOMER_REQUIRED],
        "order": [rules.ORDER_REQUIRED],
    }


def test_pending_quotes_expire_after_the_quote_lifetime(api, http):
    quote = api.new_quote()
    http.post("/_sandbox/clock", json={"advance": 24 * 3600 - 5})
    api = Api.login(http)  # the first token has long expired
    assert api.get_quote(quote["id"]).json()["data"]["quote"]["status"] == "Pending"
    http.post("/_sandbox/clock", json={"advance": 10})
    assert api.get_quote(quote["id"]).json()["data"]["quote"]["status"] == "Expired"


def test_completed_quotes_do_not_expire(api, http):
    quote = api.completed_order()
    http.post("/_sandbox/clock", json={"advance": 48 * 3600})
    api = Api.login(http)
    assert api.get_quote(quote["id"]).json()["data"]["quote"]["status"] == "Completed"


def test_quote_lifetime_is_configurable(api, http):
    http.post("/_sandbox/config", json={"quote_lifetime": 60})
    quote = api.new_quote()
    http.post("/_sandbox/clock", json={"advance": 61})
    assert api.get_quote(quote["id"]).json()["data"]["quote"]["status"] == "Expired"


def test_no_personal_data_is_kept(api, sandbox):
    payload = quote_payload()
    api.create_quote(payload)
    customer = payload["customer"]
    listing = repr(sandbox.state.snapshot())
    for secret in (
        customer["last_name"],
        customer["date_of_birth"],
        customer["mobile_number"],
        "07400123456",  # the mobile number as the schema normalises it
        customer["address"]["postcode"].upper(),
        customer["ip_address"],
        payload["payment"]["account_number"],
    ):
        assert secret not in listing
