"""The framework-free checkout service against the real sandbox (no Flask anywhere)."""

from __future__ import annotations

import threading
from dataclasses import replace
from decimal import Decimal
from typing import Any

import httpx
import pytest

from dividebuy_checkout.checkout import (
    AlreadyFinanced,
    BadReference,
    CheckoutService,
    InvalidApplication,
    NotFinanceable,
    ReferenceSigner,
)
from dividebuy_checkout.checkout.amounts import amount_problem
from dividebuy_checkout.models import Quote
from dividebuy_checkout.store import CheckoutStatus, SqlStore

from .conftest import RETURN_BASE, make_applicant, make_order


def submit(service: CheckoutService, order_id: str = "1001", **answers: Any):
    return service.submit(
        order_id,
        make_applicant(**answers),
        ip_address="203.0.113.7",
        return_url=lambda token: RETURN_BASE + token,
    )


def admin(sandbox, path: str) -> dict:
    response = httpx.post(f"{sandbox.url}/_sandbox{path}", timeout=10)
    response.raise_for_status()
    return response.json()


def test_the_same_request_reuses_the_live_quote_and_a_different_term_replaces_it(service, sandbox):
    first = submit(service)
    again = submit(service)
    other_term = submit(service, instalment_term="6")

    records = service.store.for_order("1001")
    assert again.reused and again.checkout_url == first.checkout_url
    assert again.record.quote_id == first.record.quote_id
    assert not other_term.reused and other_term.record.term == 6
    assert [r.status for r in records] == [CheckoutStatus.SUPERSEDED, CheckoutStatus.PENDING]
    assert len(sandbox.state.snapshot()["quotes"]) == 2


def test_a_declined_application_is_not_sent_again_by_a_double_click(service, orders, sandbox):
    orders.orders["1001"] = replace(
        make_order(), customer=replace(make_order().customer, last_name="Declined")
    )
    first = submit(service)
    second = submit(service)
    assert first.declined and first.checkout_url is None
    assert second.reused and second.record.quote_id == first.record.quote_id
    assert len(sandbox.state.snapshot()["quotes"]) == 1


def test_an_order_that_is_paid_is_never_quoted_again(service, sandbox):
    submitted = submit(service)
    admin(sandbox, f"/quotes/{submitted.record.quote_id}/complete")
    service.handle_return(submitted.return_token)
    with pytest.raises(AlreadyFinanced):
        submit(service, instalment_term="6")
    assert len(sandbox.state.snapshot()["quotes"]) == 1


def test_bad_answers_raise_field_errors_by_wire_path_and_send_nothing(service, sandbox):
    with pytest.raises(InvalidApplication) as caught:
        submit(service, date_of_birth="2020-01-01", instalment_term="7")
    assert set(caught.value.field_errors) == {
        "customer.date_of_birth",
        "order.selected_instalment_term",
    }
    assert sandbox.state.snapshot()["quotes"] == []
    assert service.store.for_order("1001") == []


def test_an_order_outside_dividebuys_limits_is_not_financeable(service, orders):
    orders.orders["small"] = make_order(
        order_id="small", total="18.00", subtotal="15.00", vat="3.00"
    )
    with pytest.raises(NotFinanceable, match=r"from £250\.00"):
        submit(service, "small")


def test_concurrent_returns_and_reconciles_record_one_transition_and_one_event(
    service, sandbox, events
):
    submitted = submit(service)
    admin(sandbox, f"/quotes/{submitted.record.quote_id}/complete")
    barrier = threading.Barrier(8)

    def race(n: int) -> None:
        barrier.wait()
        if n % 2:
            service.handle_return(submitted.return_token)
        else:
            service.reconcile()

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    history = service.store.history(submitted.record.quote_id)
    assert [t.to_status for t in history] == ["pending", "completed"]
    assert [name for name, _, _ in events].count("quote_completed") == 1


def test_a_quote_completed_for_other_amounts_goes_on_hold(service, orders, sandbox, events):
    submitted = submit(service)
    orders.orders["1001"] = make_order(total="1000.00")  # the basket changed meanwhile
    admin(sandbox, f"/quotes/{submitted.record.quote_id}/complete")

    outcome = service.handle_return(submitted.return_token)

    assert outcome.record.status is CheckoutStatus.ON_HOLD
    assert outcome.record.hold_reason == (
        "DivideBuy's order amount is £947.00 but the order's total is now £1,000.00; "
        "DivideBuy lent £947.00 but the order now needs £1,000.00 of credit"
    )
    assert events[-1][0] == "order_on_hold"


def test_when_the_shops_orders_cannot_be_read_a_completed_quote_waits(
    service, orders, sandbox, events
):
    submitted = submit(service)
    admin(sandbox, f"/quotes/{submitted.record.quote_id}/complete")
    orders.broken = True
    waiting = service.reconcile()
    orders.broken = False
    done = service.reconcile()

    assert waiting.changed == [] and waiting.ok  # not paid without the amount check
    assert [after.status for _, after in done.changed] == [CheckoutStatus.COMPLETED]


def test_a_replaced_quote_that_is_completed_anyway_puts_the_order_on_hold(
    service, orders, sandbox, events
):
    old = submit(service)
    orders.orders["1001"] = make_order(total="1000.00")
    submit(service)  # the basket changed: a new quote supersedes the old one
    admin(sandbox, f"/quotes/{old.record.quote_id}/complete")  # the old tab signs anyway

    outcome = service.handle_return(old.return_token)

    assert outcome.record.status is CheckoutStatus.ON_HOLD
    assert "replaced by a newer one" in outcome.record.hold_reason
    assert events[-1][0] == "order_on_hold"


def test_reconcile_reports_what_it_could_not_check_and_leaves_it_pending(service, sandbox):
    submitted = submit(service)
    httpx.post(
        f"{sandbox.url}/_sandbox/faults",
        json={"route": "GET_QUOTE", "status": 503, "times": 5},
        timeout=10,
    ).raise_for_status()
    report = service.reconcile()
    assert not report.ok and report.checked == 1
    assert report.failed[0][0].quote_id == submitted.record.quote_id
    assert service.store.get(submitted.record.quote_id).status is CheckoutStatus.PENDING


def test_a_failing_listener_does_not_undo_or_hide_a_payment(client, orders, tmp_path, sandbox):
    def broken_listener(event, record, **kw):
        raise RuntimeError("the shop's mailer is down")

    service = CheckoutService(
        client,
        SqlStore(f"sqlite:///{tmp_path / 'c.sqlite3'}").upgrade(),
        orders,
        signer=ReferenceSigner("k" * 32, return_max_age=60, start_max_age=60),
        notify=broken_listener,
    )
    submitted = submit(service)
    admin(sandbox, f"/quotes/{submitted.record.quote_id}/complete")
    assert service.handle_return(submitted.return_token).record.status is CheckoutStatus.COMPLETED


def test_a_return_reference_from_another_order_is_foreign(service, orders):
    orders.orders["1002"] = make_order(order_id="1002", order_ref="FS-1002")
    submitted = submit(service)
    ref = service.store.return_ref(submitted.record.quote_id)
    with pytest.raises(BadReference) as caught:
        service.handle_return(service.signer.sign_return("1002", ref))
    assert caught.value.reason == "foreign"


def _quote(**changes: Any) -> Quote:
    values = {
        "id": "q",
        "status": "Completed",
        "retailer_order_id": "1001",
        "retailer_order_ref": "FS-1001",
        "order_amount": Decimal("947.00"),
        "upfront_payment": Decimal("0.00"),
        "credit_amount": Decimal("947.00"),
        "term": 12,
        "interest_rate": Decimal("0"),
        "decision": "APPROVED",
        "order_ref_id": "DB00000001",
    }
    values.update(changes)
    return Quote(**values)


def test_the_amount_check_names_what_differs():
    assert amount_problem(_quote(), make_order()) is None
    assert amount_problem(_quote(), None) == (
        "DivideBuy completed the quote, but the shop no longer offers the order for payment "
        "(paid another way, cancelled or gone), so it may be paid twice"
    )
    assert "for order 2002" in amount_problem(_quote(retailer_order_id="2002"), make_order())
    upfront = amount_problem(_quote(), make_order(upfront_payment="100.00"))
    assert upfront == "DivideBuy lent £947.00 but the order now needs £847.00 of credit"


def test_with_an_upfront_payment_the_monthly_figures_are_for_the_credit(service):
    offer = service.offer(make_order(upfront_payment="200.00"))  # £747.00 is lent
    assert offer.amount == Decimal("947.00")
    assert offer.choice(12).monthly == Decimal("62.25")
    assert offer.choice(12).label == "12 months: £62.25 a month, interest-free"


def test_a_decline_is_announced_as_declined_and_a_cancellation_as_cancelled(
    client, orders, tmp_path, sandbox
):
    heard: list[tuple[str, dict[str, Any]]] = []

    def listener(event: str, **payload: Any) -> None:  # the one contract: dividebuy_checkout.events
        heard.append((event, payload))

    service = CheckoutService(
        client,
        SqlStore(f"sqlite:///{tmp_path / 'c.sqlite3'}").upgrade(),
        orders,
        signer=ReferenceSigner("k" * 32, return_max_age=60, start_max_age=60),
        notify=listener,
    )
    orders.orders["1001"] = replace(
        make_order(), customer=replace(make_order().customer, last_name="Declined")
    )
    orders.orders["1002"] = make_order(order_id="1002", order_ref="FS-1002")

    declined = submit(service, "1001")
    pending = submit(service, "1002")
    admin(sandbox, f"/quotes/{pending.record.quote_id}/cancel")
    service.reconcile()

    outcomes = [(e, p["record"].order_id) for e, p in heard if e != "quote_decided"]
    assert outcomes == [
        ("quote_created", "1001"),
        ("quote_declined", "1001"),
        ("quote_created", "1002"),
        ("quote_cancelled", "1002"),
    ]
    assert heard[1] == ("quote_decided", {"record": declined.record, "decision": "DECLINED"})
    assert heard[2] == ("quote_declined", {"record": declined.record})
    assert heard[-1][1]["record"].status is CheckoutStatus.CANCELLED
