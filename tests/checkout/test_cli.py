"""``dividebuy-checkout reconcile`` from a terminal (no Flask): for shops on other frameworks."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from dividebuy_checkout.checkout import CheckoutService, ReferenceSigner
from dividebuy_checkout.cli import main
from dividebuy_checkout.store import CheckoutStatus, SqlStore

from .conftest import RETURN_BASE, make_applicant

#: a shop's order source, as a cron job would import it (``module:name``)
ORDER_SOURCE_MODULE = """
from dividebuy_checkout.orders import Customer, Order, OrderLine


class Orders:
    def get_order(self, order_id):
        if order_id != "1001":
            return None
        return Order(
            order_id="1001",
            order_ref="FS-1001",
            lines=(OrderLine("Walnut desk", 1, unit_price_including_vat="947.00"),),
            subtotal="789.17",
            vat="157.83",
            shipping="0.00",
            total="947.00",
            customer=Customer("Ada", "Lovelace"),
        )


orders = Orders()
"""


@pytest.fixture
def terminal(sandbox, tmp_path: Path, monkeypatch) -> Path:
    """The environment a cron job would have, and an importable order source."""
    database = tmp_path / "shop.sqlite3"
    monkeypatch.setenv("DIVIDEBUY_ENVIRONMENT", "local")
    monkeypatch.setenv("DIVIDEBUY_BASE_URL", sandbox.url)
    monkeypatch.setenv("DIVIDEBUY_CLIENT_ID", "cron")
    monkeypatch.setenv("DIVIDEBUY_CLIENT_SECRET", "cron-secret")
    monkeypatch.setenv("DIVIDEBUY_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.delenv("DIVIDEBUY_ORDER_SOURCE", raising=False)
    (tmp_path / "shop_orders_for_cli.py").write_text(ORDER_SOURCE_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return database


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_reconcile_needs_the_shops_order_source(terminal, capsys):
    code, _, err = run(capsys, "reconcile")
    assert code == 2
    assert "needs the shop's order source" in err and err.count("\n") == 1


def test_reconcile_completes_a_checkout_whose_shopper_never_came_back(
    terminal, sandbox, capsys, service_factory
):
    service = service_factory(SqlStore(f"sqlite:///{terminal}").upgrade())
    submitted = service.submit(
        "1001", make_applicant(), ip_address="203.0.113.7", return_url=lambda t: RETURN_BASE + t
    )
    httpx.post(
        f"{sandbox.url}/_sandbox/quotes/{submitted.record.quote_id}/complete", timeout=10
    ).raise_for_status()

    code, out, _ = run(
        capsys, "reconcile", "--order-source", "shop_orders_for_cli:orders", "--json"
    )

    report = json.loads(out)
    assert code == 0
    assert report["checked"] == 1 and report["changed"] == 1
    assert report["checkouts"][0]["to"] == "completed"
    store = SqlStore(f"sqlite:///{terminal}")
    assert store.get(submitted.record.quote_id).status is CheckoutStatus.COMPLETED


def test_a_bad_order_source_is_a_usage_error(terminal, capsys):
    code, _, err = run(capsys, "reconcile", "--order-source", "no_such_module:orders")
    assert code == 2 and "Cannot load the order source" in err


@pytest.fixture
def service_factory(client, orders):
    def build(store: SqlStore) -> CheckoutService:
        signer = ReferenceSigner("k" * 32, return_max_age=60, start_max_age=60)
        return CheckoutService(client, store, orders, signer=signer)

    return build
