"""The back-office CLI against the sandbox: output, ``--json`` and the exit statuses scripts use."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from dividebuy_checkout.backoffice import BackOfficeService
from dividebuy_checkout.cli import build_group
from dividebuy_checkout.cli.runtime import Runtime
from dividebuy_checkout.flask.extension import DivideBuyState

from .conftest import Shop

D = Decimal


@pytest.fixture
def run(shop: Shop):
    def invoke(*args: str, runtime: Runtime | None = None) -> Result:
        runtime = runtime or Runtime(client=shop.client, store=shop.store, environ={})
        return CliRunner().invoke(build_group(), list(args), obj=runtime)

    return invoke


def _uk_today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def _uk() -> str:
    return _uk_today().isoformat()


def test_settle_one_order_exits_0(shop: Shop, run):
    shop.completed_order("A1")

    result = run("settle", "A1")

    assert result.exit_code == 0, result.output
    assert "1 settled, 0 already settled, 0 rejected, 0 failed" in result.stdout
    assert shop.state()["settlements"][0]["date_of_delivery"] == _uk()


def test_settle_twice_says_already_settled_and_makes_no_call(shop: Shop, run):
    shop.completed_order("A1")
    run("settle", "A1", "--delivered", _uk())

    result = run("settle", "A1", "--delivered", _uk(), "--json")

    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["summary"]["already_settled"] == 1 and report["summary"]["requests"] == 0
    assert shop.state()["settle_calls"] == 1


def test_an_order_that_cannot_be_settled_exits_1_with_the_reason(shop: Shop, run):
    shop.pending_order("P1")

    result = run("settle", "P1")

    assert result.exit_code == 1
    assert "P1: rejected: Its DivideBuy checkout is pending" in result.stdout
    assert "1 of 1 orders were not settled" in result.stderr
    assert shop.state()["settle_calls"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ("settle",),  # neither orders nor --csv
        ("settle", "A1", "--delivered", "2026-13-01"),
        ("settle", "A1", "--delivered", "tomorrow"),
    ],
)
def test_bad_usage_exits_2_and_sends_nothing(shop: Shop, run, args):
    shop.completed_order("A1")

    result = run(*args)

    assert result.exit_code == 2, result.output
    assert shop.state()["settle_calls"] == 0


def test_a_future_delivery_date_exits_2(shop: Shop, run):
    shop.completed_order("A1")
    tomorrow = _uk_today() + timedelta(days=1)

    result = run("settle", "A1", "--delivered", tomorrow.isoformat())

    assert result.exit_code == 2
    assert "is in the future" in result.stderr
    assert shop.state()["settle_calls"] == 0


def _csv(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "delivered.csv"
    path.write_text("order_id,delivered_on\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_a_csv_of_1000_orders_settles_the_good_rows_and_reports_the_bad(
    shop: Shop, run, tmp_path: Path
):
    good = [f"C{i:04d}" for i in range(985)]
    shop.completed_orders(good)
    shop.pending_order("PENDING")
    today = _uk()
    tomorrow = (_uk_today() + timedelta(days=1)).isoformat()
    bad = [
        "C0001," + today,  # a duplicate of a good row
        "C0002," + today,  # another
        "NOPE1," + today,
        "NOPE2," + today,
        "NOPE3," + today,
        "PENDING," + today,
        "C0003," + tomorrow,  # also a duplicate: reported once, as a duplicate
        "FUT1," + tomorrow,
        "FUT2," + tomorrow,
        ",2026-01-01",
        "X1,01/02/2026",
        "X2,2026-02-30",
        "X3,",
        "X4",
        "X5,yesterday",
    ]
    rows = [f"{oid},{today}" for oid in good]
    # bad rows spread through the file, so they share batches with good ones
    for n, line in enumerate(bad):
        rows.insert(n * 60 + 7, line)
    assert len(rows) == 1000
    path = _csv(tmp_path, rows)

    result = run("settle", "--csv", path)

    assert result.exit_code == 1, result.output
    assert "985 settled, 0 already settled, 15 rejected, 0 failed" in result.stdout
    assert "(1000 orders, 10 DivideBuy requests)" in result.stdout
    rejected_lines = [line for line in result.stdout.splitlines() if line.startswith("line ")]
    assert len(rejected_lines) == 15
    assert rejected_lines[0].startswith("line 9: C0001: rejected: The order appears more than once")
    assert any(": NOPE1: rejected: No DivideBuy checkout" in line for line in rejected_lines)
    assert any("X1: rejected: delivered_on '01/02/2026'" in line for line in rejected_lines)
    assert "15 of 1000 orders were not settled" in result.stderr
    assert "Settling" in result.stderr and "Settling" not in result.stdout  # the progress bar
    state = shop.state()
    assert state["settle_calls"] == math.ceil(985 / 100)
    assert len(state["settlements"]) == 985

    again = run("settle", "--csv", _csv(tmp_path, [f"{oid},{today}" for oid in good]))

    assert again.exit_code == 0, again.output
    assert "0 settled, 985 already settled, 0 rejected, 0 failed" in again.stdout
    assert shop.state()["settle_calls"] == math.ceil(985 / 100)  # no second call


@pytest.mark.parametrize(
    "content",
    [b"order,date\nA1,2026-11-20\n", b"", b"order_id,delivered_on\nA1,\xff\xfe2026\n"],
    ids=["no-header", "empty", "not-utf8"],
)
def test_an_unusable_csv_exits_2_and_sends_nothing(shop: Shop, run, tmp_path: Path, content):
    shop.completed_order("A1")
    path = tmp_path / "bad.csv"
    path.write_bytes(content)

    result = run("settle", "--csv", str(path))

    assert result.exit_code == 2, result.output
    assert "Nothing was sent" in result.stderr
    assert shop.state()["settle_calls"] == 0


def test_refund_partial_then_too_much_then_the_rest(shop: Shop, run):
    shop.completed_order("R1", D("100.00"))

    partial = run("refund", "R1", "--amount", "30")
    too_much = run("refund", "R1", "--amount", "£70.01")
    rest = run("refund", "R1", "--json")

    assert partial.exit_code == 0 and "Refunded £30.00 on order R1" in partial.stdout
    assert too_much.exit_code == 2
    assert "£70.01 is more than is left to refund on order 'R1': £70.00" in too_much.stderr
    assert rest.exit_code == 0
    body = json.loads(rest.stdout)["refund"]
    assert body["amount"] == "70.00" and body["status"] == "succeeded"
    assert body["refund_type"] == "FULL"
    assert shop.calls("REFUND") == 2


def test_a_refund_dividebuy_refuses_exits_1(shop: Shop, run):
    shop.completed_order("R1", D("100.00"))
    shop.fault("REFUND", 409)

    result = run("refund", "R1", "--amount", "10")

    assert result.exit_code == 1
    assert "Nothing was refunded" in result.stderr


def test_an_unknown_refund_blocks_until_refund_confirm(shop: Shop, run):
    shop.completed_order("R1", D("100.00"))
    shop.fault("REFUND", 502, after=True)

    unknown = run("refund", "R1", "--amount", "25")
    blocked = run("refund", "R1", "--amount", "5")
    not_said = run("refund-confirm", "1")
    confirmed = run("refund-confirm", "1", "--succeeded", "--note", "seen in the portal")
    after = run("refund", "R1")

    assert unknown.exit_code == 1 and "outcome of refund #1" in unknown.stderr
    assert blocked.exit_code == 2
    assert "retailer portal" in blocked.stderr and "refund-confirm 1 --succeeded" in blocked.stderr
    assert not_said.exit_code == 2
    assert confirmed.exit_code == 0 and "recorded as refunded" in confirmed.stdout
    assert after.exit_code == 0 and "Refunded £75.00" in after.stdout


def test_orders_list_and_show(shop: Shop, run):
    shop.completed_order("A1", D("250.00"))
    shop.pending_order("P1")
    run("settle", "A1")
    run("refund", "A1", "--amount", "50")

    listing = run("orders", "list")
    shown = run("orders", "show", "A1")
    as_json = json.loads(run("orders", "show", "A1", "--json").stdout)
    missing = run("orders", "show", "NOPE")

    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert lines[0].split() == [
        "order",
        "ref",
        "finance",
        "credit",
        "refunded",
        "refundable",
        "delivered",
        "created",
    ]
    assert any(line.startswith("A1") and "part refunded" in line for line in lines)
    assert any(line.startswith("P1") and "pending" in line for line in lines)
    assert "settled, delivered " + _uk() in shown.stdout
    assert "£200.00" in shown.stdout  # refundable
    assert as_json["refunded"] == "50.00" and as_json["settlement"]["status"] == "settled"
    assert as_json["refunds"][0]["status"] == "succeeded"
    assert missing.exit_code == 2 and "No DivideBuy checkout" in missing.stderr


def test_under_flask_the_commands_use_the_apps_service(shop: Shop, run):
    shop.completed_order("A1")
    events: list[str] = []
    service = BackOfficeService(
        shop.client, shop.store, notify=lambda event, **kw: events.append(event)
    )
    state = DivideBuyState(
        settings=shop.client.settings,
        client=shop.client,
        store=shop.store,
        services={"backoffice": service},
    )

    result = run("settle", "A1", runtime=Runtime(state=state, environ={}))

    assert result.exit_code == 0, result.output
    assert events == ["order_settled"]  # the app's service (and its signals) did the work


# -- DIVIDEBUY_SETTLEMENT_CHUNK_SIZE: read through the settings registry -----------------------


def _env_runtime(shop: Shop, chunk_size: str) -> Runtime:
    environ = {"DIVIDEBUY_SETTLEMENT_CHUNK_SIZE": chunk_size}
    return Runtime(client=shop.client, store=shop.store, environ=environ)


@pytest.mark.parametrize(
    ("env", "option", "requests"), [("2", (), 2), ("2", ("--chunk-size", "3"), 1)]
)
def test_the_chunk_size_comes_from_the_setting_unless_given(shop: Shop, run, env, option, requests):
    for order_id in ("C1", "C2", "C3"):
        shop.completed_order(order_id)

    result = run("settle", "C1", "C2", "C3", "--json", *option, runtime=_env_runtime(shop, env))

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["settled"] == 3 and summary["requests"] == requests
    assert shop.state()["settle_calls"] == requests


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5"])
def test_a_bad_chunk_size_setting_exits_2_naming_it_and_sends_nothing(shop: Shop, run, value):
    shop.completed_order("A1")

    result = run("settle", "A1", runtime=_env_runtime(shop, value))

    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: DIVIDEBUY_SETTLEMENT_CHUNK_SIZE") and "at least 1" in line
    assert "Traceback" not in result.output
    assert shop.state()["settle_calls"] == 0
