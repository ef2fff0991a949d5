"""``platform poll`` as a command, on the REC+ fake (webhooks may be lost: the poll is the
fallback and derives exactly what the webhooks would): one poll settles a dispatched order at
the sandbox, a second records nothing; unreadable orders are counted and the run goes on; bad
arguments change nothing. The Divendo poll is in test_divendo_poll.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from dividebuy_checkout.store.inbox import EventStatus

from .platform_app import ORDER, REFUND, SETTLE, PlatformShop


@pytest.fixture
def shop(platform_shop: PlatformShop) -> PlatformShop:
    return platform_shop


def flask_poll(shop: PlatformShop, *args: str) -> Result:
    return shop.app.test_cli_runner().invoke(args=["dividebuy", "platform", "poll", *args])


def console(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    return subprocess.run(
        [sys.executable, "-m", "dividebuy_checkout", "platform", "poll", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
    )


def shop_env(shop: PlatformShop) -> dict[str, str]:
    env: dict[str, str] = {}
    for key, value in shop.app.config.items():
        if not str(key).startswith("DIVIDEBUY_") or value is None:
            continue
        env[key] = ",".join(value) if isinstance(value, list | tuple) else str(value)
    return env


def test_a_poll_settles_a_dispatched_order_once_and_a_second_poll_does_nothing(
    shop: PlatformShop,
) -> None:
    shop.completed_checkout()
    shop.recplus.state.set_status(ORDER, SETTLE)  # no webhook subscription: nothing delivered

    first = flask_poll(shop, "--json")

    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    assert (report["read"], report["recorded"], report["outcomes"]) == (1, 1, {"done": 1})
    assert shop.settle_calls() == 1
    [row] = shop.inbox()
    assert (row.event_key, row.status) == (f"settle:{ORDER}", EventStatus.DONE)

    # settled and nothing refundable configured beyond the status: still read for refunds
    second = flask_poll(shop, "--json")

    assert second.exit_code == 0, second.output
    again = json.loads(second.output)
    assert (again["recorded"], again["processed"]) == (0, 0)
    assert shop.settle_calls() == 1
    assert len(shop.inbox()) == 1


def test_a_refunded_order_is_refunded_once_then_no_longer_read(shop: PlatformShop) -> None:
    shop.completed_checkout()
    shop.recplus.state.set_status(ORDER, REFUND)

    assert flask_poll(shop).exit_code == 0
    assert shop.refund_calls() == 1
    # nothing left to refund, and the order was never settled: still due (settlement)
    later = json.loads(flask_poll(shop, "--json").output)
    assert later["recorded"] == 0 and shop.refund_calls() == 1


def test_the_console_command_polls_with_the_shops_settings(shop: PlatformShop) -> None:
    shop.completed_checkout()
    shop.recplus.state.set_status(ORDER, SETTLE)

    done = console(shop_env(shop), "--source", "recplus")

    assert done.returncode == 0, done.stdout + done.stderr
    shown = dict(line.rsplit(None, 1) for line in done.stdout.splitlines() if line.strip())
    assert (shown["orders read"], shown["events recorded"], shown["failed"]) == ("1", "1", "0")
    assert shop.settle_calls() == 1


def test_an_unreadable_order_is_counted_and_the_run_goes_on(shop: PlatformShop) -> None:
    shop.completed_checkout("99503")  # the fake answers 503 for it, every time
    shop.completed_checkout()
    shop.recplus.state.set_status(ORDER, SETTLE)

    result = flask_poll(shop, "--json")

    assert result.exit_code == 1
    report = json.loads(result.output.split("\nError:")[0])
    assert report["read"] == 1 and report["outcomes"] == {"done": 1}
    assert [f["order_id"] for f in report["failed"]] == ["99503"]
    assert shop.settle_calls() == 1


def test_refused_credentials_stop_the_run_at_once(make_platform_shop: Any) -> None:
    shop = make_platform_shop(DIVIDEBUY_RECPLUS_API_PASS="wrong")
    shop.completed_checkout()
    shop.completed_checkout("500002")

    result = flask_poll(shop, "--json")

    assert result.exit_code == 1
    report = json.loads(result.output.split("\nError:")[0])
    assert len(report["failed"]) == 1 and "credentials" in report["stopped"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "0"], "'--limit': 0 is not in the range"),
        (["--limit", "x"], "'--limit': 'x' is not a valid integer"),
        (["--since-days", "-3"], "'--since-days'"),
        (["--source", "shopify"], "--source must be one of divendo, recplus, not 'shopify'"),
        (["--source", "diseller"], "DiSeller sends signed webhooks"),
        (["--source", "divendo"], "needs DIVIDEBUY_DIVENDO_CLIENT_ID"),  # not configured
    ],
)
def test_bad_arguments_are_refused_and_change_nothing(
    args: list[str], message: str, tmp_path: Path
) -> None:
    database = tmp_path / "shop.sqlite3"
    env = {
        "DIVIDEBUY_DATABASE_URL": f"sqlite:///{database}",
        "DIVIDEBUY_ORDER_SOURCE": "recplus",
        "DIVIDEBUY_RECPLUS_BASE_URL": "http://127.0.0.1:9/api/v1",
        "DIVIDEBUY_RECPLUS_API_USER": "api",
        "DIVIDEBUY_RECPLUS_API_PASS": "api-pass",
    }

    result = console(env, *args)

    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not database.exists()  # nothing opened, nothing created


def test_the_flask_command_refuses_bad_arguments_too(shop: PlatformShop) -> None:
    shop.completed_checkout()
    shop.recplus.state.set_status(ORDER, SETTLE)

    result = flask_poll(shop, "--limit", "0")

    assert result.exit_code == 2
    assert "'--limit': 0 is not in the range" in result.output
    assert shop.inbox() == [] and shop.settle_calls() == 0
