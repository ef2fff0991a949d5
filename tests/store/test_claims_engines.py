"""Work claims need INSERT … ON CONFLICT: on any other database a job refuses to start with a
configuration error naming DIVIDEBUY_DATABASE_URL and the engines that work (exit 2 from the
CLI), before it reads or changes anything — never a NotImplementedError half-way through."""

from __future__ import annotations

import types
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.checkout import CheckoutService
from dividebuy_checkout.cli import build_group
from dividebuy_checkout.cli.runtime import Runtime
from dividebuy_checkout.config import ConfigurationError
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.store import SqlStore
from dividebuy_checkout.store.claims import SUPPORTED_ENGINES, WorkClaims
from dividebuy_checkout.tokens import MemoryTokenStore
from tests.cli.cron_orders import orders


class _NoDriver(types.SimpleNamespace):
    """A DB-API module that cannot connect: any attempt to touch the database fails loudly,
    so the tests prove the refusal comes before the job reads anything."""

    paramstyle = "format"

    def connect(self, *_args: object, **_kwargs: object) -> None:
        raise AssertionError("the job touched the database before refusing it")


@pytest.fixture
def mysql_engine() -> Iterator[Engine]:
    """A MySQL engine (a dialect without INSERT … ON CONFLICT), never connected."""
    engine = create_engine("mysql://shop:hunter2@127.0.0.1:9/shop", module=_NoDriver())
    yield engine
    engine.dispose()


def _client() -> DivideBuyClient:
    settings = Settings(
        client_id="shop", client_secret="s", environment="local", base_url="http://127.0.0.1:9"
    )
    return DivideBuyClient(settings=settings, token_store=MemoryTokenStore())


def _check(message: str) -> None:
    assert "DIVIDEBUY_DATABASE_URL" in message
    assert "mysql" in message and "PostgreSQL" in message and "SQLite" in message
    assert "hunter2" not in message


def test_supported_engines_are_the_ones_with_on_conflict() -> None:
    assert set(SUPPORTED_ENGINES) == {"postgresql", "sqlite"}


def test_claims_on_an_engine_without_on_conflict_are_a_configuration_error(
    mysql_engine: Engine,
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        WorkClaims(mysql_engine)
    assert refused.value.key == "DIVIDEBUY_DATABASE_URL"
    _check(str(refused.value))


def test_reconcile_refuses_such_a_database_before_reading_it(mysql_engine: Engine) -> None:
    with _client() as client:
        service = CheckoutService(client, SqlStore(mysql_engine), orders)
        with pytest.raises(ConfigurationError) as refused:
            service.reconcile()
    _check(str(refused.value))


def test_the_reconcile_command_exits_2_with_one_line(mysql_engine: Engine) -> None:
    runtime = Runtime(client=_client(), store=SqlStore(mysql_engine), environ={})
    result = CliRunner().invoke(
        build_group(),
        ["reconcile", "--order-source", "tests.cli.cron_orders:orders"],
        obj=runtime,
    )
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: ")
    _check(line)
