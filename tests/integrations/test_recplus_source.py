"""``RecPlusOrderSource`` against the REC+ fake over loopback: orders, faults, credentials,
write-back, and no personal data in the logs."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from dividebuy_checkout.integrations.recplus import RecPlusOrderSource
from dividebuy_checkout.integrations.recplus.fake import load_fixture

from dividebuy_checkout.orders import (
    Address,
    Customer,
    Order,
    OrderLine,
    OrderNotFinanceable,
    OrderSourceUnavailable,
)
from dividebuy_checkout.sandbox.faults import Fault
from dividebuy_checkout.settings import ConfigurationError

SOFA = Order(
    order_id="500001",
    order_ref="9001",
    lines=(
        OrderLine(
            "Harlow Three Seater Sofa (Colour: Slate)",
            1,
            unit_price_including_vat=Decimal("1249.00"),
            unit_price_excluding_vat=Decimal("1040.84"),
            sku="SOFA-HARLOW-3-SLATE",
            vat_percentage=Decimal("20"),
        ),
    ),
    subtotal=Decimal("1040.84"),
    vat=Decimal("216.33"),
    shipping=Decimal("49.00"),
    shipping_method="two_person_delivery",
    shipping_label="Two-person delivery",
    discount=Decimal("0.00"),
    time_discount_applied="afterVat",
    total=Decimal("1298.00"),
    vat_rate=Decimal("20"),
    customer=Customer(
        first_name="Ann",
        last_name="Lee",
        email="ann.lee@example.co.uk",
        mobile_number="07400123456",
        address=Address(
            address_line_1="4 Foregate Street",
            town="Worcester",
            postcode="WR1 1DB",
            county="Worcestershire",
        ),
    ),
)


def test_a_gbp_order_from_the_fake_maps_exactly(make_source):
    assert make_source().get_order("500001") == SOFA


def test_the_seed_order_from_the_fake_is_read_fresh_each_time(make_source, recplus):
    source = make_source()
    assert source.get_order("112312").total == Decimal("0.00")
    recplus.state.set_status("112312", "Processing")
    source.get_order("112312")
    assert recplus.state.calls("ORDER_GET") == 2


def test_an_unknown_order_is_none(make_source):
    assert make_source().get_order("424242") is None


def test_an_error_body_behind_a_200_is_read_as_its_status(make_source):
    assert make_source().get_order("99200") is None  # suppressed 404


def test_orders_not_payable_by_configuration_are_none(make_source):
    assert make_source(payable_statuses=["Payment Received"]).get_order("500001") is None
    assert make_source(payable_statuses=["Awaiting Payment"]).get_order("500001") == SOFA
    assert make_source(payment_method_ids=[58]).get_order("500001") is None
    assert make_source(payment_method_ids=[77]).get_order("500001") == SOFA


def test_429_is_retried_honouring_retry_after_then_unavailable(make_source, recplus, waits):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source().get_order("99429")
    assert waits == [1.0, 1.0]
    assert recplus.state.calls("ORDER_GET") == 3
    assert caught.value.platform == "recplus" and not caught.value.config_problem


def test_a_long_retry_after_is_not_waited_for_and_travels_on_the_error(make_source, waits):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source().get_order("99430")
    assert waits == []
    assert caught.value.retry_after == 120


@pytest.mark.parametrize("magic", ["99500", "99503"])
def test_5xx_is_retried_then_unavailable(make_source, recplus, waits, magic):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source().get_order(magic)
    assert recplus.state.calls("ORDER_GET") == 3
    assert len(waits) == 2
    assert caught.value.status == int(magic[2:])
    # the shopper's message says nothing technical
    assert "HTTP" not in caught.value.message


def test_a_transient_503_then_success_reads_the_order(make_source, recplus):
    recplus.state.arm_fault("ORDER_GET", Fault(kind="status", status=503), times=2)
    assert make_source().get_order("500001") == SOFA
    assert recplus.state.calls("ORDER_GET") == 3


def test_a_timeout_is_retried_then_unavailable(make_source, recplus):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source().get_order("99504")
    assert recplus.state.calls("ORDER_GET") == 3
    assert "in time" in (caught.value.detail or "")


def test_a_cut_off_reply_is_unavailable_not_a_crash(make_source):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source().get_order("99422")
    assert "not JSON" in (caught.value.detail or "")


@pytest.mark.parametrize(
    ("username", "password", "setting_hint"),
    [
        ("api", "wrong", "DIVIDEBUY_RECPLUS_API_PASS"),
        ("public", "public-key", "'orders' scope"),
    ],
)
def test_refused_credentials_name_the_setting_and_are_not_retried(
    make_source, recplus, username, password, setting_hint
):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source(username, password).get_order("500001")
    assert caught.value.config_problem
    assert setting_hint in (caught.value.detail or "")
    assert recplus.state.calls("ORDER_GET") == 1


def test_403_names_the_full_api_account(make_source):
    with pytest.raises(OrderSourceUnavailable) as caught:
        make_source().get_order("99403")
    assert "Full API username and password" in (caught.value.detail or "")
    assert "DIVIDEBUY_RECPLUS_API_USER" in (caught.value.detail or "")


def test_an_order_with_an_unknown_line_type_is_not_financeable(make_source, recplus):
    raw = load_fixture("order_500001.json")
    raw["lines"].append({**raw["lines"][-1], "id": 600009, "line_type": "SURCHARGE"})
    recplus.state.put_order(raw)
    with pytest.raises(OrderNotFinanceable, match="SURCHARGE"):
        make_source().get_order("500001")


def test_an_order_with_malformed_money_is_not_financeable(make_source, recplus):
    raw = load_fixture("order_500001.json")
    raw["totals"]["price"] = "1,298.00 GBP"
    recplus.state.put_order(raw)
    with pytest.raises(OrderNotFinanceable, match=r"totals\.price"):
        make_source().get_order("500001")


def test_status_write_back_is_recorded_at_the_fake(make_source, recplus):
    source = make_source()
    written = source.write_status("500001", "Paid by DivideBuy")
    assert (written.outcome, written.status) == ("done", 204)
    assert [(w.order_id, dict(w.changes)) for w in recplus.state.writes] == [
        ("500001", {"status": "Paid by DivideBuy"})
    ]
    assert recplus.state.get_order("500001")["status"] == "Paid by DivideBuy"


def test_a_dry_run_write_changes_nothing(make_source, recplus):
    written = make_source().write_status("500001", "Paid by DivideBuy", dry_run=True)
    assert written.outcome == "done"
    assert written.diff == {
        "diff": {"status": {"from": "Awaiting Payment", "to": "Paid by DivideBuy"}}
    }
    assert recplus.state.get_order("500001")["status"] == "Awaiting Payment"


def test_a_status_the_site_does_not_define_is_rejected_not_retried(make_source, recplus):
    written = make_source().write_status("500001", "No Such Status")
    assert written.outcome == "rejected"
    assert recplus.state.calls("ORDER_UPDATE") == 1


def test_a_write_during_an_outage_says_retry(make_source, recplus):
    recplus.state.arm_fault("ORDER_UPDATE", Fault(kind="status", status=503), times=3)
    assert make_source().write_status("500001", "Paid by DivideBuy").outcome == "retry"
    assert recplus.state.writes == []


@pytest.mark.parametrize(
    "url", ["http://shop.example/api/v1", "ftp://127.0.0.1/api/v1", "shop.example/api/v1"]
)
def test_plain_http_is_refused_except_on_loopback(url):
    with pytest.raises(ConfigurationError, match="DIVIDEBUY_RECPLUS_BASE_URL"):
        RecPlusOrderSource(url, "api", "api-pass")


def test_platform_check_explains_401_and_403(make_source):
    assert make_source().check().ok
    refused = make_source("api", "wrong").check()
    assert not refused.ok and "DIVIDEBUY_RECPLUS_API_PASS" in refused.message
    public = make_source("public", "public-key").check()
    assert not public.ok and "public key cannot read orders" in public.message


def test_no_personal_data_or_credentials_in_logs_at_debug(make_source, recplus, caplog):
    raw = load_fixture("order_112312.json")
    caplog.set_level(logging.DEBUG)
    source = make_source()
    source.get_order("112312")
    source.get_order("500001")
    with pytest.raises(OrderSourceUnavailable):
        source.get_order("99503")
    source.write_status("500001", "Paid by DivideBuy")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "recplus GET /orders/{id} -> 200" in text  # the layer does log
    personal = [
        raw["user"]["full_name"],
        raw["user"]["email"],
        raw["user"]["billing_address"]["line_1"],
        raw["user"]["billing_address"]["post_code"],
        raw["user"]["billing_address"]["tel_no"],
        "Ann Lee",
        "ann.lee@example.co.uk",
        "Foregate",
        "WR1 1DB",
        "07400",
        "api-pass",
        "YXBpOmFwaS1wYXNz",  # base64("api:api-pass")
    ]
    for value in personal:
        assert value not in text, value


def test_the_docs_magic_table_matches_the_fake():
    from pathlib import Path

    from dividebuy_checkout.integrations.recplus.fake import MAGIC_VALUES

    docs = (Path(__file__).resolve().parents[2] / "docs" / "platforms.md").read_text()
    rows = {
        line.split("|")[1].strip(" `"): line.split("|")[2].strip()
        for line in docs.splitlines()
        if line.startswith("| `99")
    }
    assert rows == {key: magic.description for key, magic in MAGIC_VALUES.items()}
