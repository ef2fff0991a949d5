"""Refunds against the real sandbox: the ledger never pays twice and agrees with DivideBuy."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from dividebuy_checkout.backoffice import (
    BackOfficeService,
    CheckoutNotFound,
    NothingToRefund,
    OrderNotCompleted,
    RefundBlocked,
    RefundExceedsRemaining,
    RefundFailed,
    RefundNotConfirmable,
    RefundOutcomeUnknown,
    RefundStatus,
)
from dividebuy_checkout.backoffice.errors import InvalidAmount

from .conftest import SLOW_SECONDS, Shop, make_client

D = Decimal


def _sandbox_refunded(shop: Shop, order_id: str) -> Decimal:
    return sum((D(str(r["amount"])) for r in shop.sandbox_refunds(order_id)), D("0.00"))


def test_partial_partial_then_full_of_the_rest(shop: Shop, service: BackOfficeService, events):
    shop.completed_order("R1", D("100.00"))

    first = service.refund("R1", "30.00")
    second = service.refund("R1", D("20.50"))
    rest = service.refund("R1")

    assert [first.amount, second.amount, rest.amount] == [D("30.00"), D("20.50"), D("49.50")]
    assert [e.refund_type for e in (first, second, rest)] == ["PARTIAL", "PARTIAL", "FULL"]
    assert all(e.status is RefundStatus.SUCCEEDED and e.dividebuy_refund_id for e in (rest,))
    at_dividebuy = shop.sandbox_refunds("R1")
    assert [D(str(r["amount"])) for r in at_dividebuy] == [D("30.00"), D("20.50"), D("49.50")]
    assert {r["id"] for r in at_dividebuy} == {e.dividebuy_refund_id for e in (first, second, rest)}
    status = service.order_status("R1")
    assert status.balance.refunded == D("100.00") and status.refundable == D("0.00")
    assert status.finance_status == "refunded"
    assert [name for name, _ in events] == ["refund_issued"] * 3


def test_a_refund_above_what_is_left_is_refused_before_any_call(shop: Shop, service):
    shop.completed_order("R1", D("100.00"))
    service.refund("R1", "30.00")
    calls = shop.calls("REFUND")

    with pytest.raises(RefundExceedsRemaining) as refused:
        service.refund("R1", "70.01")

    assert "£70.01 is more than is left to refund" in str(refused.value)
    assert "Refund at most £70.00" in str(refused.value)
    assert shop.calls("REFUND") == calls
    assert len(service.ledger.refunds_for("R1")) == 1  # nothing written


def test_nothing_left_and_bad_amounts_are_refused_before_any_call(shop: Shop, service):
    shop.completed_order("R1", D("100.00"))
    service.refund("R1")
    calls = shop.calls("REFUND")

    with pytest.raises(NothingToRefund, match="refunded in full"):
        service.refund("R1")
    for amount in ("0", "-5", "1.001", "ten", "1e999999"):
        with pytest.raises(InvalidAmount):
            service.refund("R1", amount)
    assert shop.calls("REFUND") == calls


def test_only_completed_orders_can_be_refunded(shop: Shop, service):
    shop.pending_order("P1")

    with pytest.raises(OrderNotCompleted, match="is pending"):
        service.refund("P1", "10.00")
    with pytest.raises(CheckoutNotFound, match="No DivideBuy checkout"):
        service.refund("NOPE", "10.00")
    assert shop.calls("REFUND") == 0


def test_twenty_threads_refunding_ten_pounds_from_a_hundred(shop: Shop, service):
    shop.completed_order("R1", D("100.00"))
    start = threading.Barrier(20)
    results: list[object] = []
    lock = threading.Lock()

    def refund_ten() -> None:
        start.wait()
        try:
            outcome: object = service.refund("R1", "10.00")
        except Exception as exc:
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=refund_ten) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    succeeded = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(succeeded) == 10
    assert all(isinstance(r, RefundExceedsRemaining | NothingToRefund) for r in refused)
    ledger = service.order_status("R1").balance
    assert ledger.refunded == D("100.00") == _sandbox_refunded(shop, "R1")
    assert len(shop.sandbox_refunds("R1")) == 10
    assert shop.calls("REFUND") == 10  # the ten refused never left the shop


def test_a_refund_that_times_out_after_sending_is_unknown_and_blocks(shop: Shop, store):
    shop.completed_order("R1", D("100.00"))
    shop.fault("REFUND", "slow", after=True)  # records the refund, then answers too late
    with make_client(shop.sandbox.url, timeout=SLOW_SECONDS / 3) as impatient:
        service = BackOfficeService(impatient, store)

        with pytest.raises(RefundOutcomeUnknown) as unknown:
            service.refund("R1", "40.00")

        (entry,) = service.ledger.refunds_for("R1")
        assert entry.status is RefundStatus.UNKNOWN and entry.amount == D("40.00")
        assert "refund-confirm" in str(unknown.value)
        assert _sandbox_refunded(shop, "R1") == D("40.00")  # it did happen at DivideBuy
        calls = shop.calls("REFUND")

        with pytest.raises(RefundBlocked) as blocked:
            service.refund("R1", "10.00")

        message = str(blocked.value)
        assert f"refund #{entry.id}" in message
        assert "retailer portal" in message
        assert f"refund-confirm {entry.id} --succeeded" in message
        assert shop.calls("REFUND") == calls  # refused before any call
        status = service.order_status("R1")
        assert status.finance_status == "refund unknown"
        assert status.balance.refunded == D("0.00")  # never counted as succeeded unseen


def test_an_operator_confirming_unblocks_and_the_books_agree(shop: Shop, service, events):
    shop.completed_order("R1", D("100.00"))
    shop.fault("REFUND", 504, after=True)  # processed, then a gateway timeout
    with pytest.raises(RefundOutcomeUnknown):
        service.refund("R1", "40.00")
    (entry,) = service.ledger.refunds_for("R1")

    confirmed = service.confirm_refund(entry.id, True, note="seen in the portal by JB")

    assert confirmed.status is RefundStatus.CONFIRMED_SUCCEEDED
    rest = service.refund("R1")
    assert rest.amount == D("60.00")
    assert (
        service.order_status("R1").balance.refunded == D("100.00") == _sandbox_refunded(shop, "R1")
    )
    assert [name for name, _ in events] == ["refund_unknown", "refund_issued", "refund_issued"]
    assert events[0][1]["refund"].id == entry.id and "refund-confirm" in events[0][1]["reason"]
    with pytest.raises(RefundNotConfirmable):
        service.confirm_refund(entry.id, False)


def test_confirming_an_unknown_refund_failed_makes_its_amount_refundable(
    shop: Shop, service, events
):
    shop.completed_order("R1", D("100.00"))
    shop.fault("REFUND", 500)  # failed before processing, but the shop cannot know that
    with pytest.raises(RefundOutcomeUnknown):
        service.refund("R1", "40.00")
    (entry,) = service.ledger.refunds_for("R1")
    assert _sandbox_refunded(shop, "R1") == D("0.00")

    service.confirm_refund(entry.id, False, note="not in the portal")

    assert service.refund("R1").amount == D("100.00")
    assert [name for name, _ in events] == ["refund_unknown", "refund_failed", "refund_issued"]


def test_a_refund_dividebuy_refuses_is_failed_and_released(shop: Shop, service, events):
    shop.completed_order("R1", D("100.00"))
    shop.fault("REFUND", 422)

    with pytest.raises(RefundFailed, match="Nothing was refunded"):
        service.refund("R1", "40.00")

    (entry,) = service.ledger.refunds_for("R1")
    assert entry.status is RefundStatus.FAILED
    assert events == [
        ("refund_failed", {"order_id": "R1", "refund": entry, "reason": events[0][1]["reason"]})
    ]
    assert "Nothing was refunded" in events[0][1]["reason"]
    assert service.order_status("R1").refundable == D("100.00")
    assert service.refund("R1").amount == D("100.00")
