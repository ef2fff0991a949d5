"""Settlement (``POST /orders/complete``): all rows or none, repeat-safe, dated."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

TODAY = date.today().isoformat()


def _row(order, **changes):
    row = {
        "order_ref_id": order["order_ref_id"],
        "retailer_order_id": order["retailer_order_id"],
        "retailer_order_ref": order["retailer_order_ref"],
        "date_of_delivery": TODAY,
    }
    row.update(changes)
    return row


def _settled(sandbox):
    return {s["order_ref_id"]: s for s in sandbox.state.snapshot()["settlements"]}


def test_settling_records_the_delivery_date(api, sandbox):
    order = api.completed_order()
    response = api.settle(_row(order, date_of_delivery="2024-02-29"))
    assert response.status_code == 200
    assert response.json() == {"status": 200}
    assert _settled(sandbox)[order["order_ref_id"]]["date_of_delivery"] == "2024-02-29"
    orders = sandbox.state.snapshot()["orders"]
    assert orders[0]["date_of_delivery"] == "2024-02-29"


def test_many_orders_settle_in_one_call(api, sandbox):
    first = api.completed_order()
    second = api.completed_order(order__retailer_order_id="1002", order__retailer_order_ref="S-2")
    assert api.settle(_row(first), _row(second)).status_code == 200
    assert set(_settled(sandbox)) == {first["order_ref_id"], second["order_ref_id"]}
    assert sandbox.state.settle_calls == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"order_ref_id": "DB00000000"}, "orders.1.order_ref_id"),
        ({"order_ref_id": ""}, "orders.1.order_ref_id"),
        ({"retailer_order_id": "9999"}, "orders.1.retailer_order_id"),
        ({"retailer_order_ref": "OTHER"}, "orders.1.retailer_order_ref"),
        ({"date_of_delivery": (date.today() + timedelta(days=2)).isoformat()},
         "orders.1.date_of_delivery"),
        ({"date_of_delivery": "02/01/2024"}, "orders.1.date_of_delivery"),
        ({"date_of_delivery": "2023-02-29"}, "orders.1.date_of_delivery"),
        ({"date_of_delivery": None}, "orders.1.date_of_delivery"),
        ({"retailer_order_ref": ["x"]}, "orders.1.retailer_order_ref"),
    ],
)  # fmt: skip
def test_one_bad_row_refuses_the_whole_batch(api, sandbox, changes, field):
    good = api.completed_order()
    other = api.completed_order(order__retailer_order_id="1002", order__retailer_order_ref="S-2")
    response = api.settle(_row(good), _row(other, **changes))
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "The given data was invalid."
    assert list(body["errors"]) == [field]
    assert _settled(sandbox) == {}  # the good row was not recorded either


def test_an_order_whose_quote_is_not_completed_cannot_be_settled(api):
    quote = api.new_quote()  # Pending: no order exists yet
    response = api.settle(
        {
            "order_ref_id": "DB12345678",
            "retailer_order_id": "1001",
            "retailer_order_ref": "SHOP-1001",
            "date_of_delivery": TODAY,
        }
    )
    assert response.status_code == 422
    assert "orders.0.order_ref_id" in response.json()["errors"]
    assert quote["id"]


@pytest.mark.parametrize("body", [{}, {"orders": []}, {"orders": "all"}, {"orders": [42]}])
def test_malformed_batches_are_422(api, body):
    from dividebuy_checkout import routes

    response = api.post(routes.SETTLE.path, body)
    assert response.status_code == 422
    assert response.json()["errors"]


def test_settling_again_with_the_same_date_changes_nothing(api, sandbox):
    order = api.completed_order()
    assert api.settle(_row(order)).status_code == 200
    before = _settled(sandbox)[order["order_ref_id"]]
    assert api.settle(_row(order)).status_code == 200
    after = _settled(sandbox)[order["order_ref_id"]]
    assert after["date_of_delivery"] == before["date_of_delivery"]
    assert after["updated_at"] == before["updated_at"]
    assert after["times_sent"] == 2
    assert sandbox.state.settle_calls == 2


def test_settling_again_with_another_date_updates_it(api, sandbox):
    order = api.completed_order()
    api.settle(_row(order, date_of_delivery="2024-01-01"))
    assert api.settle(_row(order, date_of_delivery="2024-01-03")).status_code == 200
    assert _settled(sandbox)[order["order_ref_id"]]["date_of_delivery"] == "2024-01-03"


def test_the_same_order_twice_in_one_batch_with_different_dates_is_refused(api):
    order = api.completed_order()
    response = api.settle(
        _row(order, date_of_delivery="2024-01-01"), _row(order, date_of_delivery="2024-01-02")
    )
    assert response.status_code == 422
    assert "orders.1.date_of_delivery" in response.json()["errors"]
