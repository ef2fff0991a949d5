"""A cron ``dividebuy-checkout reconcile`` tells the shop what it completed: real processes.

The shop's listener is a module on PYTHONPATH (``--listener mymod:notify`` or
``DIVIDEBUY_LISTENER``); it appends each event to a file this test reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.checkout import CheckoutService, ReferenceSigner
from dividebuy_checkout.checkout.answers import asked_fields, read_answers
from dividebuy_checkout.checkout.demo_shopper import ANSWERS
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.store import CheckoutStatus, SqlStore
from dividebuy_checkout.tokens import MemoryTokenStore

from .cron_orders import orders

#: the shop's listener, as a shop would write it: one line per event, to a file
LISTENER_MODULE = """
import json
import os


def notify(event, **payload):
    record = payload.get("record")
    line = [event, record.order_id if record is not None else payload.get("order_id")]
    with open(os.environ["MYMOD_OUT"], "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\\n")


NOT_CALLABLE = 42
"""

#: the folder of cron_orders.py, the shop's order source (``cron_orders:orders``)
HERE = Path(__file__).resolve().parent
RETURN_BASE = "https://shop.example/dividebuy/return?ref="


class Cron:
    """A shop's server: a database with pending checkouts, and a cron job's environment."""

    def __init__(self, sandbox: Any, root: Path) -> None:
        self.sandbox = sandbox
        self.root = root
        self.database = root / "shop.sqlite3"
        self.out = root / "events.jsonl"
        (root / "mymod.py").write_text(LISTENER_MODULE)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
        self.env.update(
            PYTHONPATH=os.pathsep.join([str(root), str(HERE)]),
            MYMOD_OUT=str(self.out),
            DIVIDEBUY_ENVIRONMENT="local",
            DIVIDEBUY_BASE_URL=sandbox.url,
            DIVIDEBUY_CLIENT_ID="cron",
            DIVIDEBUY_CLIENT_SECRET="cron-secret",
            DIVIDEBUY_DATABASE_URL=f"sqlite:///{self.database}",
            DIVIDEBUY_ORDER_SOURCE="cron_orders:orders",
        )

    def pending_checkout(self, order_id: str) -> str:
        """The shopper applied and went to DivideBuy; the quote's id."""
        settings = Settings(
            client_id="shop", client_secret="s", environment="local", base_url=self.sandbox.url
        )
        with DivideBuyClient(settings=settings, token_store=MemoryTokenStore()) as client:
            service = CheckoutService(
                client,
                SqlStore(f"sqlite:///{self.database}").upgrade(),
                orders,
                signer=ReferenceSigner("k" * 32, return_max_age=60, start_max_age=60),
            )
            order = orders.get_order(order_id)
            applicant = read_answers(ANSWERS, asked_fields(order)).applicant
            submitted = service.submit(
                order_id, applicant, ip_address="203.0.113.7", return_url=RETURN_BASE.__add__
            )
        quote_id = submitted.record.quote_id
        assert quote_id
        return quote_id

    def at_dividebuy(self, quote_id: str, action: str) -> None:
        """The shopper signs (``complete``) or gives up (``cancel``) at DivideBuy's page."""
        url = f"{self.sandbox.url}/_sandbox/quotes/{quote_id}/{action}"
        httpx.post(url, timeout=10).raise_for_status()

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dividebuy_checkout", *args],
            capture_output=True,
            text=True,
            env={**self.env, **env},
            cwd=self.root,
            timeout=60,
        )

    def events(self) -> list[list[str]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines()]


@pytest.fixture
def cron(sandbox: Any, tmp_path: Path) -> Iterator[Cron]:
    yield Cron(sandbox, tmp_path)


def _one_line_usage_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert fragment in lines[0]


def test_reconcile_tells_the_listener_of_each_order_it_completed(cron: Cron):
    signed = cron.pending_checkout("1001")
    gave_up = cron.pending_checkout("1002")
    cron.at_dividebuy(signed, "complete")
    cron.at_dividebuy(gave_up, "cancel")

    result = cron.run("reconcile", "--listener", "mymod:notify", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["changed"] == 2
    events = cron.events()
    assert [e for e in events if e[0] == "quote_completed"] == [["quote_completed", "1001"]]
    assert ["quote_cancelled", "1002"] in events
    store = SqlStore(f"sqlite:///{cron.database}")
    assert store.get(signed).status is CheckoutStatus.COMPLETED

    # the next run has nothing new to say
    again = cron.run("reconcile", "--listener", "mymod:notify")
    assert again.returncode == 0, again.stderr
    assert cron.events() == events


def test_the_listener_can_come_from_the_environment(cron: Cron):
    cron.at_dividebuy(cron.pending_checkout("1001"), "complete")

    result = cron.run("reconcile", DIVIDEBUY_LISTENER="mymod:notify")

    assert result.returncode == 0, result.stderr
    assert ["quote_completed", "1001"] in cron.events()


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("no_such_module:notify", "Cannot load the listener (--listener) 'no_such_module:notify'"),
        ("mymod:nothing_here", "mymod has no nothing_here"),
        ("mymod", "must look like 'package.module:name'"),
        ("mymod:NOT_CALLABLE", "'mymod:NOT_CALLABLE' is not callable"),
    ],
)
def test_a_bad_listener_is_a_one_line_usage_error_before_anything_is_done(
    cron: Cron, spec: str, fragment: str
) -> None:
    quote_id = cron.pending_checkout("1001")
    cron.at_dividebuy(quote_id, "complete")

    _one_line_usage_error(cron.run("reconcile", "--listener", spec), fragment)

    # nothing was reconciled without the shop being told
    assert SqlStore(f"sqlite:///{cron.database}").get(quote_id).status is CheckoutStatus.PENDING


def test_a_bad_listener_in_the_environment_names_the_variable(cron: Cron):
    result = cron.run("reconcile", DIVIDEBUY_LISTENER="no-colon")
    _one_line_usage_error(result, "DIVIDEBUY_LISTENER must look like 'package.module:name'")


def test_the_cli_never_opens_an_empty_database_in_place_of_the_shops(cron: Cron):
    missing = cron.root / "elsewhere.sqlite3"

    result = cron.run("reconcile", DIVIDEBUY_DATABASE_URL=f"sqlite:///{missing}")

    _one_line_usage_error(result, f"The database {missing} named by DIVIDEBUY_DATABASE_URL")
    assert not missing.exists()


def test_without_a_database_url_the_cli_asks_for_one(cron: Cron):
    env = dict(cron.env)
    del env["DIVIDEBUY_DATABASE_URL"]
    cron.env = env

    result = cron.run("orders", "show", "1001")

    _one_line_usage_error(result, "Set DIVIDEBUY_DATABASE_URL to the shop's database")
    assert not (cron.root / "dividebuy.sqlite3").exists()


def test_config_lists_what_the_process_reads_without_secrets(cron: Cron):
    result = cron.run("config", "--json")

    assert result.returncode == 0, result.stderr
    rows = {row["key"]: row for row in json.loads(result.stdout)}
    assert rows["DIVIDEBUY_CLIENT_ID"] == {
        "key": "DIVIDEBUY_CLIENT_ID",
        "value": "cron",
        "from": "environment",
    }
    assert rows["DIVIDEBUY_CLIENT_SECRET"]["value"] == "***"
    assert "cron-secret" not in result.stdout
    assert rows["DIVIDEBUY_WIDGET_BUDGET"]["from"] == "default"

    bad = cron.run("config", DIVIDEBUY_WIDGET_BUDGET="soon")
    _one_line_usage_error(bad, "DIVIDEBUY_WIDGET_BUDGET must be a number")
