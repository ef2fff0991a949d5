"""The ledger and the refund outcome rules, without a network (httpx.MockTransport).

Which DivideBuy answers mean "nothing was refunded" (failed, released) and which
mean "it may have been" (unknown, blocks) is the rule that keeps a shop from
paying twice, so each answer is pinned here.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from dividebuy_checkout.backoffice import (
    BackOfficeService,
    RefundBlocked,
    RefundFailed,
    RefundOutcomeUnknown,
    RefundStatus,
)
from dividebuy_checkout.client import DivideBuyClient
from dividebuy_checkout.retry import RetryPolicy
from dividebuy_checkout.store import (
    CheckoutRecord,
    CheckoutStatus,
    ExceedsRemaining,
    RefundsBlocked,
    SettlementClaim,
    SettlementStatus,
    SqlStore,
)
from dividebuy_checkout.tokens import MemoryTokenStore

D = Decimal
TOKEN = httpx.Response(
    200, json={"access_token": "t0k", "token_type": "Bearer", "expires_in": 3600}
)
REFUND_OK = {
    "status_code": 201,
    "message": "Refund created successfully",
    "data": {"refund": {"id": "rf-1", "amount": 40, "refund_type": "PARTIAL"}},
}


def _store(database_url: str) -> SqlStore:
    return SqlStore(database_url)


def _completed(store: SqlStore, order_id: str = "A1", credit: str = "100.00") -> CheckoutRecord:
    store.add(
        quote_id=f"q-{order_id}",
        order_id=order_id,
        order_ref=f"REF-{order_id}",
        amount=D(credit),
        credit_amount=D(credit),
        term=12,
        status=CheckoutStatus.PENDING,
        decision="APPROVED",
        checkout_url=None,
    )
    record = store.transition(
        f"q-{order_id}", CheckoutStatus.COMPLETED, source="test", dividebuy_order_id="DB1"
    )
    assert record is not None
    return record


def _service(store: SqlStore, refund: Callable[[httpx.Request], httpx.Response]):
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return TOKEN
        calls.append(request)
        return refund(request)

    client = DivideBuyClient(
        "shop",
        "secret",
        environment="sandbox",
        token_store=MemoryTokenStore(),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0),
        sleep=lambda _s: None,
    )
    return BackOfficeService(client, store), calls


def _raise(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def _reply(status: int, body: object = None, content: bytes | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        if content is not None:
            return httpx.Response(status, content=content)
        return httpx.Response(status, json=body or {"status_code": status, "message": "no"})

    return handler


@pytest.mark.parametrize(
    "answer",
    [
        _reply(422, {"message": "bad", "errors": {"amount": ["The amount is too big."]}}),
        _reply(409),
        _reply(404),
        _reply(503),
        _raise(httpx.ConnectError("refused")),  # never reached DivideBuy
    ],
    ids=["422", "409", "404", "503", "not-connected"],
)
def test_answers_that_prove_nothing_was_refunded_release_the_amount(database_url, answer):
    store = _store(database_url)
    _completed(store)
    service, _calls = _service(store, answer)

    with pytest.raises(RefundFailed):
        service.refund("A1", "40.00")

    (entry,) = service.ledger.refunds_for("A1")
    assert entry.status is RefundStatus.FAILED
    assert service.order_status("A1").refundable == D("100.00")


@pytest.mark.parametrize(
    "answer",
    [
        _raise(httpx.ReadTimeout("slow")),
        _reply(500),
        _reply(502),
        _reply(504),
        _reply(501),
        _reply(201, content=b"<html>ok</html>"),
        _reply(201, {"status_code": 201, "data": {}}),  # a success we cannot read
    ],
    ids=["timeout", "500", "502", "504", "501", "not-json", "wrong-shape"],
)
def test_answers_that_might_hide_a_refund_are_unknown_and_block(database_url, answer):
    store = _store(database_url)
    _completed(store)
    service, calls = _service(store, answer)

    with pytest.raises(RefundOutcomeUnknown):
        service.refund("A1", "40.00")

    (entry,) = service.ledger.refunds_for("A1")
    assert entry.status is RefundStatus.UNKNOWN
    assert service.order_status("A1").balance.refunded == D("0.00")
    sent = len(calls)
    with pytest.raises(RefundBlocked):
        service.refund("A1", "1.00")
    assert len(calls) == sent


def test_a_crash_mid_call_is_never_recorded_as_failed(database_url):
    store = _store(database_url)
    _completed(store)
    service, _ = _service(store, _raise(RuntimeError("bug in a transport")))

    with pytest.raises(RuntimeError):
        service.refund("A1", "40.00")

    assert service.ledger.refunds_for("A1")[0].status is RefundStatus.UNKNOWN


def test_a_full_refund_is_sent_without_an_amount_and_a_partial_with_one(database_url):
    store = _store(database_url)
    _completed(store)
    service, calls = _service(store, _reply(201, REFUND_OK))

    service.refund("A1", "40.00")
    service.refund("A1")

    assert [c.content for c in calls] == [b'{"amount":40.00}', b"{}"]


def test_a_pending_refund_abandoned_by_a_crash_becomes_unknown(database_url):
    store = _store(database_url)
    record = _completed(store)
    ledger = SqlStore(store.engine, refund_stale_after=timedelta(0))
    entry = ledger.reserve_refund(record, D("40.00"))  # ... and the process died here

    with pytest.raises(RefundsBlocked):
        ledger.reserve_refund(record, D("1.00"))

    assert ledger.refund(entry.id).status is RefundStatus.UNKNOWN  # type: ignore[union-attr]


def test_concurrent_reservations_never_exceed_the_credit(database_url):
    store = _store(database_url)
    record = _completed(store, credit="100.00")
    ledger = store  # SqlStore is the Ledger too
    start = threading.Barrier(16)
    won: list[int] = []

    def reserve() -> None:
        start.wait()
        with contextlib.suppress(ExceedsRemaining):
            won.append(ledger.reserve_refund(record, D("7.00")).id)

    threads = [threading.Thread(target=reserve) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(won) == 14  # 14 × £7 = £98 fits, a 15th would not
    assert ledger.balance(record).remaining == D("2.00")


def test_settlement_claims_skip_the_same_date_and_refuse_another(database_url):
    store = _store(database_url)
    ledger = store  # SqlStore is the Ledger too
    day = date(2026, 11, 20)
    claim = SettlementClaim("A1", "q-A1", "DB1", day)

    first = ledger.claim_settlements([claim])
    crashed_rerun = ledger.claim_settlements([claim])  # still "sending": same date is resent
    ledger.mark_settled([claim])
    same = ledger.claim_settlements([claim])
    other = ledger.claim_settlements([SettlementClaim("A1", "q-A1", "DB1", day.replace(day=21))])

    assert first.claimed == [claim] and crashed_rerun.claimed == [claim]
    assert [e.order_id for e in same.already] == ["A1"] and not same.claimed
    assert other.conflicting and not other.claimed
    assert ledger.settlement("A1").status is SettlementStatus.SETTLED  # type: ignore[union-attr]


def test_released_claims_can_be_sent_again_but_settled_ones_stay(database_url):
    store = _store(database_url)
    ledger = store  # SqlStore is the Ledger too
    day = date(2026, 11, 20)
    a1, a2 = (SettlementClaim(o, f"q-{o}", "DB", day) for o in ("A1", "A2"))
    ledger.claim_settlements([a1, a2])
    ledger.mark_settled([a1])

    ledger.release_settlements(["A1", "A2"])

    assert ledger.settlement("A1") is not None and ledger.settlement("A2") is None
    ledger.mark_settled([a2])  # a concurrent run's claim was released, but DivideBuy has it
    assert ledger.settlement("A2").status is SettlementStatus.SETTLED  # type: ignore[union-attr]
