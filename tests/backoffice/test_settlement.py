"""Settlement against the real sandbox: one order, many, twice, and every refusal."""

from __future__ import annotations

import math
from datetime import date, timedelta

from dividebuy_checkout.backoffice import BackOfficeService, SettlementResult
from dividebuy_checkout.store import SettlementStatus

from .conftest import Shop


def _today(service: BackOfficeService) -> date:
    return service.today()


def test_settling_one_order_tells_dividebuy_and_records_it(shop: Shop, service, events):
    record = shop.completed_order("A1")
    today = _today(service)

    report = service.settle(["A1"], today)

    assert report.ok and report.count(SettlementResult.SETTLED) == 1 and report.requests == 1
    sent = shop.state()["settlements"]
    assert [(s["order_ref_id"], s["date_of_delivery"]) for s in sent] == [
        (record.dividebuy_order_id, today.isoformat())
    ]
    entry = service.ledger.settlement("A1")
    assert entry is not None and entry.status is SettlementStatus.SETTLED
    assert events == [("order_settled", {"order_id": "A1", "delivered_on": today})]


def test_settling_again_with_the_same_date_makes_no_call(shop: Shop, service, events):
    shop.completed_order("A1")
    today = _today(service)
    service.settle(["A1"], today)

    again = service.settle(["A1"], today)

    assert again.ok and again.count(SettlementResult.ALREADY_SETTLED) == 1
    assert again.requests == 0
    assert shop.state()["settle_calls"] == 1
    assert len(events) == 1  # no second signal either


def test_a_second_date_is_refused_not_sent(shop: Shop, service):
    shop.completed_order("A1")
    shop.backdate("A1", days=7)
    today = _today(service)
    service.settle(["A1"], today - timedelta(days=3))

    other = service.settle(["A1"], today)

    (rejected,) = other.of(SettlementResult.REJECTED)
    assert f"was settled with delivery date {today - timedelta(days=3)}" in rejected.reason
    assert other.requests == 0 and shop.state()["settle_calls"] == 1
    assert shop.state()["settlements"][0]["date_of_delivery"] == str(today - timedelta(days=3))


def test_refusals_are_reported_per_order_and_nothing_is_sent(shop: Shop, service):
    shop.completed_order("DONE")
    shop.pending_order("PENDING")
    today = _today(service)

    future = service.settle(["DONE"], today + timedelta(days=1))
    before_order = service.settle(["DONE"], today - timedelta(days=1))
    others = service.settle(["PENDING", "NOPE", "DONE", "DONE"], today)

    assert future.of(SettlementResult.REJECTED)[0].reason.startswith("The delivery date")
    assert "in the future" in future.of(SettlementResult.REJECTED)[0].reason
    assert "before the order was placed" in before_order.of(SettlementResult.REJECTED)[0].reason
    reasons = {o.order_id: o.reason for o in others.of(SettlementResult.REJECTED)}
    assert "pending" in reasons["PENDING"]
    assert "No DivideBuy checkout" in reasons["NOPE"]
    assert "more than once" in reasons["DONE"]
    assert others.count(SettlementResult.SETTLED) == 1  # the first DONE
    assert shop.state()["settle_calls"] == 1  # only the good one went out


def test_an_unknown_dividebuy_order_id_is_fetched_from_the_quote(shop: Shop, service):
    record = shop.completed_order("A1", record_dividebuy_id=False)
    assert record.dividebuy_order_id is None

    report = service.settle(["A1"], _today(service))

    assert report.count(SettlementResult.SETTLED) == 1
    stored = shop.store.live_for_order("A1")
    assert stored is not None and stored.dividebuy_order_id is not None
    assert shop.state()["settlements"][0]["order_ref_id"] == stored.dividebuy_order_id


def test_many_orders_go_chunk_size_per_request(shop: Shop, client, store):
    ids = [f"M{i}" for i in range(250)]
    shop.completed_orders(ids)
    service = BackOfficeService(client, store, chunk_size=100)

    report = service.settle(ids, service.today())

    assert report.count(SettlementResult.SETTLED) == 250
    assert report.requests == math.ceil(250 / 100) == shop.state()["settle_calls"]
    assert len(shop.state()["settlements"]) == 250


def test_a_row_dividebuy_refuses_is_reported_and_the_rest_settled(shop: Shop, service):
    shop.completed_orders(["G1", "G2"])
    bad = shop.completed_order("BAD")
    # The shop recorded a wrong DivideBuy order id: only DivideBuy can notice.
    shop.store.transition(
        bad.quote_id,
        bad.status,
        expected=(bad.status,),
        source="test",
        dividebuy_order_id="DB-WRONG",
    )

    report = service.settle(["G1", "BAD", "G2"], _today(service))

    assert report.count(SettlementResult.SETTLED) == 2
    (rejected,) = report.of(SettlementResult.REJECTED)
    assert rejected.order_id == "BAD" and "DivideBuy refused it: order_ref_id" in rejected.reason
    assert report.requests == 2  # the batch, then the batch without the bad row
    assert {s["retailer_order_id"] for s in shop.state()["settlements"]} == {"G1", "G2"}
    assert service.ledger.settlement("BAD") is None  # released: a fixed rerun can send it


def test_dividebuy_down_records_nothing_and_a_rerun_settles(shop: Shop, service):
    shop.completed_orders(["A1", "A2"])
    shop.fault("SETTLE", 503, times=10)

    report = service.settle(["A1", "A2"], _today(service))

    assert report.failed and not report.ok
    assert all("run the settlement again" in o.reason for o in report.of(SettlementResult.FAILED))
    assert service.ledger.settlements_for(["A1", "A2"]) == {}
    shop.admin("DELETE", "/faults")
    rerun = service.settle(["A1", "A2"], _today(service))
    assert rerun.count(SettlementResult.SETTLED) == 2


def test_dividebuy_failing_to_give_order_ids_stops_the_run_after_one_try(shop: Shop, service):
    shop.completed_order("A1", record_dividebuy_id=False)
    shop.completed_order("A2", record_dividebuy_id=False)
    shop.fault("GET_QUOTE", 503, times=10)

    report = service.settle(["A1", "A2"], _today(service))

    assert [o.outcome for o in report.outcomes] == [
        SettlementResult.FAILED,
        SettlementResult.FAILED,
    ]
    attempts = shop.calls("GET_QUOTE")
    assert attempts == service.client.settings.max_attempts  # one order's retries, not two
    assert shop.state()["settle_calls"] == 0
