"""Start-up reads the schema revision once (issue 15): a database behind this version warns,
naming both revisions and the upgrade command; one ahead (a newer release's) refuses to start;
the embedded SQLite database still upgrades itself. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import event, text

from dividebuy_checkout.cli import build_group
from dividebuy_checkout.cli.runtime import Runtime
from dividebuy_checkout.config import ConfigurationError
from dividebuy_checkout.store import make_engine, schema
from tests.migrations.test_migrations import _shop  # the shop on a URL, as migrations see it

#: a revision no version of the package ships: what a newer release's database looks like
NEWER = "9999"
SCHEMA_LOGGER = "dividebuy_checkout.store.schema"


def _close(app: Flask) -> None:
    app.extensions["dividebuy"].store.engine.dispose()


def _at(url: str, revision: str | None) -> None:
    """Put the database at *revision* (``None``: leave it empty), as a deployment might."""
    if revision is None:
        return
    engine = make_engine(url)
    try:
        if revision == NEWER:
            schema.upgrade(engine)
            with engine.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": NEWER})
        else:
            schema.upgrade(engine, revision)
    finally:
        engine.dispose()


def _current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return schema.current(engine)
    finally:
        engine.dispose()


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == SCHEMA_LOGGER and r.levelno >= logging.WARNING
    ]


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# -- the Flask extension -------------------------------------------------------------------------


@pytest.mark.parametrize("revision", [None, schema.FIRST_RELEASE_REVISION])
def test_a_database_behind_warns_once_at_start_up_and_sqlite_upgrades_itself(
    empty_database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, revision: str | None
):
    _at(empty_database_url, revision)
    caplog.set_level(logging.WARNING, logger=SCHEMA_LOGGER)

    app = _shop(empty_database_url, tmp_path)
    _close(app)

    if _is_sqlite(empty_database_url):
        # the embedded database upgrades itself, silently, as before
        assert _warnings(caplog) == []
        assert _current(empty_database_url) == schema.head()
        return
    [warning] = _warnings(caplog)
    assert f"head revision {schema.head()}" in warning
    assert (f"at schema revision {revision}" if revision else "has no schema revision") in warning
    assert "dividebuy-checkout db upgrade" in warning and "flask dividebuy db upgrade" in warning
    assert _current(empty_database_url) == revision  # a worker never upgrades a shared database


def test_a_database_at_the_head_starts_without_a_word(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger=SCHEMA_LOGGER)
    app = _shop(database_url, tmp_path)
    _close(app)
    assert _warnings(caplog) == []


def test_a_newer_releases_database_refuses_to_start(empty_database_url: str, tmp_path: Path):
    _at(empty_database_url, NEWER)

    with pytest.raises(ConfigurationError) as refused:
        _shop(empty_database_url, tmp_path)

    message = str(refused.value)
    assert refused.value.key == "DIVIDEBUY_DATABASE_URL"
    assert message.startswith("DivideBuy cannot start: ")
    assert f"revision {NEWER}" in message and f"newest is {schema.head()}" in message
    assert _current(empty_database_url) == NEWER  # not "upgraded", even the embedded SQLite


def test_the_revision_is_read_at_start_up_not_per_request(database_url: str, tmp_path: Path):
    statements: list[str] = []
    app = _shop(database_url, tmp_path)
    engine = app.extensions["dividebuy"].store.engine

    @event.listens_for(engine, "before_cursor_execute")
    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    client = app.test_client()
    for _ in range(3):
        assert client.get("/dividebuy/healthz").status_code == 200
    _close(app)
    assert statements, "the health check reads the database (else this test proves nothing)"
    assert not [s for s in statements if "alembic_version" in s]


def test_an_unreachable_database_at_start_up_warns_without_the_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING)
    url = "postgresql+psycopg://shop:hunter2@127.0.0.1:9/shop"
    app = _shop(url, tmp_path)  # starts: its pages answer 503 until the database is back
    _close(app)
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("could not read the schema revision" in m for m in logged), logged
    assert not any("hunter2" in m for m in logged)


# -- the console CLI -----------------------------------------------------------------------------


def _cli(url: str, *args: str) -> Any:
    environ = {
        "DIVIDEBUY_DATABASE_URL": url,
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": "http://127.0.0.1:9",
        "DIVIDEBUY_CLIENT_ID": "cli",
        "DIVIDEBUY_CLIENT_SECRET": "s",
    }
    runtime = Runtime(environ=environ)
    try:
        return CliRunner().invoke(build_group(), list(args), obj=runtime)
    finally:
        if "store" in runtime.__dict__:
            runtime.store.engine.dispose()


def test_the_cli_warns_on_a_database_behind_before_the_command_runs(
    empty_database_url: str, caplog: pytest.LogCaptureFixture
):
    _at(empty_database_url, schema.FIRST_RELEASE_REVISION)
    caplog.set_level(logging.WARNING, logger=SCHEMA_LOGGER)

    result = _cli(empty_database_url, "orders", "list", "--json")

    if _is_sqlite(empty_database_url):
        assert result.exit_code == 0, result.output
        assert _warnings(caplog) == [] and _current(empty_database_url) == schema.head()
        return
    [warning] = _warnings(caplog)
    assert "revision 0001" in warning and "dividebuy-checkout db upgrade" in warning
    # the command then reads a column 0002 added: it fails as before, one line, no traceback
    assert result.exit_code == 1 and "db upgrade" in result.output, result.output
    assert _current(empty_database_url) == schema.FIRST_RELEASE_REVISION


def test_the_cli_refuses_a_newer_releases_database_with_exit_2(empty_database_url: str):
    _at(empty_database_url, NEWER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    env.update(
        DIVIDEBUY_DATABASE_URL=empty_database_url,
        DIVIDEBUY_ENVIRONMENT="local",
        DIVIDEBUY_BASE_URL="http://127.0.0.1:9",
        DIVIDEBUY_CLIENT_ID="cli",
        DIVIDEBUY_CLIENT_SECRET="s",
    )
    result = subprocess.run(
        [sys.executable, "-m", "dividebuy_checkout", "orders", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: ") and f"revision {NEWER}" in line
    assert "Traceback" not in result.stderr
