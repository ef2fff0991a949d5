"""Quotes: validation, magic-surname decisions, reading them back, expiry."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from dividebuy_checkout import routes
from dividebuy_checkout.money import loads

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


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"customer__first_name": DROP}, "customer.first_name"),
        ({"customer__address__town": ""}, "customer.address.town"),
        ({"customer__address": DROP}, "customer.address"),
        ({"customer__address__time_at_address": DROP}, "customer.address.time_at_address"),
        ({"customer__rent": DROP}, "customer.rent"),
        ({"customer__ip_address": 12}, "customer.ip_address"),
        ({"order__total": "two thousand"}, "order.total"),
        ({"order__shipping": Decimal("-1.00")}, "order.shipping"),
        ({"order__discount": Decimal("1.001")}, "order.discount"),
        ({"order__credit_amount": Decimal("1999.00")}, "order.credit_amount"),
        ({"order__selected_instalment_term": 7}, "order.selected_instalment_term"),
        ({"order__selected_instalment_term": "12 months"}, "order.selected_instalment_term"),
        ({"order__instalment_date": 32}, "order.instalment_date"),
        ({"order__is_default_billing": "yes"}, "order.is_default_billing"),
        ({"order__redirect_url": "/return?o=1"}, "order.redirect_url"),
        ({"order__redirect_url": "javascript:alert(1)"}, "order.redirect_url"),
        ({"order__line_items": [{"name": "Sofa", "quantity": 1}]},
         "order.line_items.0.price_excluding_vat"),
        ({"payment": {"method": "direct_debit", "sort_code": "12-34-56",
                      "account_number": "12345678"}}, "payment.sort_code"),
    ],
)  # fmt: skip
def test_invalid_quotes_get_field_level_422s(api, sandbox, changes, field):
    response = api.create_quote(quote_payload(**changes))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"] == "The given data was invalid."
    assert field in body["errors"], body["errors"]
    assert all(isinstance(m, str) for msgs in body["errors"].values() for m in msgs)
    assert sandbox.state.snapshot()["quotes"] == []  # nothing was created


def test_term_must_be_available_for_the_order_total(api):
    small = {"order__total": Decimal("500.00"), "order__credit_amount": Decimal("500.00")}
    assert api.create_quote(quote_payload(**small, order__selected_instalment_term=12)).is_success
    response = api.create_quote(quote_payload(**small, order__selected_instalment_term=24))
    assert "order.selected_instalment_term" in response.json()["errors"]


def test_outright_owners_need_no_rent(api):
    payload = quote_payload(customer__residential_status="Yes, outright owner", customer__rent=DROP)
    assert api.create_quote(payload).status_code == 200


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
    assert {"customer", "order"} <= set(response.json()["errors"])


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
    api.new_quote()
    listing = repr(sandbox.state.snapshot())
    for secret in ("Lovelace", "1985-12-10", "07700900123", "LS1 4AP", "203.0.113.7"):
        assert secret not in listing
