"""The services stand on the store protocols, not on SQLAlchemy.

``CheckoutService`` and ``BackOfficeService`` are typed against
``CheckoutStore`` and ``Ledger`` (``dividebuy_checkout/store/base.py``), so a shop
may bring its own storage; ``SqlStore`` is one implementation of both.
"""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest

import dividebuy_checkout
from dividebuy_checkout.backoffice import BackOfficeService
from dividebuy_checkout.store import CheckoutStore, Ledger, SqlLedger, SqlStore

from .conftest import Shop

PACKAGE = Path(dividebuy_checkout.__file__).parent
#: the framework-free services: they must not know which database is behind the protocols
SERVICE_MODULES = [
    PACKAGE / "checkout" / "service.py",
    *sorted((PACKAGE / "backoffice").glob("*.py")),
]


def test_sql_store_implements_both_protocols(store: SqlStore):
    assert isinstance(store, CheckoutStore) and isinstance(store, Ledger)


@pytest.mark.parametrize("path", SERVICE_MODULES, ids=lambda p: p.name)
def test_no_service_imports_sqlalchemy_or_reaches_for_an_engine(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    engines = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "engine"
    ]
    assert not any(name.split(".")[0] == "sqlalchemy" for name in imported)
    assert not engines, f"{path.name} uses .engine on lines {engines}"


def test_a_store_that_keeps_no_ledger_needs_one_passed(client, store: SqlStore):
    class CheckoutsOnly:
        """A checkout store without the ledger half (delegates to the SQL one)."""

        def __getattr__(self, name: str):
            if name in {"reserve_refund", "finish_refund", "confirm_refund", "settlement"}:
                raise AttributeError(name)
            return getattr(store, name)

    with pytest.raises(TypeError, match="needs a ledger"):
        BackOfficeService(client, CheckoutsOnly())  # type: ignore[arg-type]


def test_a_ledger_of_its_own_serves_the_back_office(shop: Shop, client, store: SqlStore):
    shop.completed_order("P1", Decimal("80.00"))
    ledger = SqlLedger(store.engine)  # e.g. a ledger kept apart from the checkouts
    service = BackOfficeService(client, store, ledger)

    entry = service.refund("P1", "30.00")

    assert service.ledger is ledger
    assert ledger.refunds_for("P1") == [entry]
    assert service.order_status("P1").refundable == Decimal("50.00")
