"""Migrations: the head equals the tables the code uses, a first-release database upgrades
without losing a row, and ``db upgrade`` / ``db current`` do what a deploy step needs — on
SQLite and on PostgreSQL (``empty_database_url`` in tests/conftest.py)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import Engine, MetaData, inspect, select

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.flask import DivideBuy
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.store import CheckoutStatus, SqlStore, make_engine, schema
from dividebuy_checkout.store.tables import metadata
from dividebuy_checkout.tokens import MemoryTokenStore

#: the last release before migrations: its ``create_all`` made the databases shops have now
FIRST_RELEASE = "69a911f"
REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

HOW_TO_ADD_A_MIGRATION = """
The tables in dividebuy_checkout/store/tables.py differ from what the migrations build:

{differences}

Every schema change ships as a migration, or shops upgrading the package keep the old tables.
Add one (from the repository root, with the package's virtualenv):

  1. .venv/bin/python -m dividebuy_checkout.store.schema revision -m "what changed and why"
     (autogenerates dividebuy_checkout/store/migrations/versions/<next>_<slug>.py against a
     fresh SQLite database upgraded to the current head; it prints the file's path);
  2. read it: keep only your change, name constraints and indexes as tables.py does, give a
     NOT NULL column a server_default (old rows need a value), keep SQLite in mind (ops run in
     batch mode; no ALTER of existing columns without a table copy);
  3. run this test again (it checks SQLite and, with DIVIDEBUY_TEST_DATABASE_URL, PostgreSQL)
     and tests/migrations/test_migrations.py::test_a_first_release_database_upgrades_*.
"""


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def _rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in primary-key order (what a shop would not want to lose)."""
    reflected = MetaData()
    reflected.reflect(engine)
    out: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for name, table in reflected.tables.items():
            if name == "alembic_version":
                continue
            query = select(table).order_by(*table.primary_key.columns)
            out[name] = [dict(row._mapping) for row in conn.execute(query)]
    return out


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The console command, as a deploy script runs it."""
    env = {**os.environ, "DIVIDEBUY_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "dividebuy_checkout", "db", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="session")
def first_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean copy of the first release's package (``git archive``), to run its own code."""
    if not (REPO / ".git").exists():
        pytest.skip(f"needs the git history (commit {FIRST_RELEASE}): not a git checkout")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", FIRST_RELEASE, "dividebuy_checkout"],
        capture_output=True,
        timeout=60,
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {FIRST_RELEASE} is not in this clone: {archive.stderr.decode()}")
    target = tmp_path_factory.mktemp("first-release")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


def _write_with_first_release(release: Path, url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(release)}
    probe = "import dividebuy_checkout, sys; print(dividebuy_checkout.__file__)"
    where = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        cwd=release,  # not the repository: its package would come first on sys.path
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.stdout.strip().startswith(str(release)), where.stdout + where.stderr
    done = subprocess.run(
        [sys.executable, str(HERE / "first_release.py"), url],
        env=env,
        cwd=release,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


# -- the head is what the code uses ---------------------------------------------------------------


def test_the_head_migration_builds_exactly_the_tables_the_code_uses(empty_database_url: str):
    engine = make_engine(empty_database_url)
    try:
        assert schema.upgrade(engine).after == schema.head()
        differences = _differences(engine)
    finally:
        engine.dispose()
    if differences:
        listed = "\n".join(f"  - {difference!r}" for difference in differences)
        pytest.fail(HOW_TO_ADD_A_MIGRATION.format(differences=listed), pytrace=False)


def test_constructors_create_no_tables(empty_database_url: str):
    store = SqlStore(empty_database_url)
    try:
        assert inspect(store.engine).get_table_names() == []
        assert schema.current(store.engine) is None
    finally:
        store.engine.dispose()


# -- upgrading the databases shops have ----------------------------------------------------------


def test_a_first_release_database_upgrades_without_losing_a_row(
    first_release: Path, empty_database_url: str
):
    url = empty_database_url
    _write_with_first_release(first_release, url)
    engine = make_engine(url)
    try:
        before = _rows(engine)
        assert schema.is_first_release(engine) and schema.current(engine) is None
        assert {name: len(rows) for name, rows in before.items()} == {
            "dividebuy_checkouts": 4,
            "dividebuy_transitions": 6,
            "dividebuy_settlements": 1,
            "dividebuy_refunds": 2,
        }

        upgraded = _cli(url, "upgrade")

        assert upgraded.returncode == 0, upgraded.stderr
        assert f"from the first release's schema to {schema.head()}" in upgraded.stdout
        after = _rows(engine)
    finally:
        engine.dispose()
    for name, rows in before.items():
        kept = [{column: row[column] for column in rows[0]} for row in after[name]]
        assert kept == rows, name
    assert {row["not_found_count"] for row in after["dividebuy_checkouts"]} == {0}
    assert {row["open_at_dividebuy"] for row in after["dividebuy_checkouts"]} == {None}
    assert {row["actor"] for row in after["dividebuy_transitions"]} == {None}

    # today's code reads the old rows as the old code meant them
    store = SqlStore(url)
    try:
        paid = store.get("Q-PAID")
        assert paid is not None and paid.status is CheckoutStatus.COMPLETED
        assert paid.dividebuy_order_id == "DB-1003" and paid.amount == Decimal("899.99")
        assert store.live_for_order("1002").quote_id == "Q-NEW"
        # rows from before the flag are asked about once more (pending or replaced)
        assert {r.quote_id for r in store.watched()} == {"Q-PENDING", "Q-OLD", "Q-NEW"}
        balance = store.balance(paid)
        assert balance.remaining == Decimal("824.49")  # 899.99 - 50.00 - 25.50 (unknown)
        assert [r.status.value for r in store.refunds_for("1003")] == ["succeeded", "unknown"]
        assert store.settlement("1003").delivered_on.isoformat() == "2026-11-20"
    finally:
        store.engine.dispose()

    current = _cli(url, "current", "--check")
    assert current.returncode == 0, current.stderr
    assert current.stdout.strip() == f"{schema.head()} (head)"


def test_db_upgrade_builds_an_empty_database_and_db_current_reports_the_head(
    empty_database_url: str,
):
    url = empty_database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).touch()  # an empty file (a missing one is refused)
    behind = _cli(url, "current", "--check")
    assert behind.returncode == 1
    assert "none (no tables yet)" in behind.stdout and "db upgrade" in behind.stdout

    first = _cli(url, "upgrade")
    again = _cli(url, "upgrade")

    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert f"upgraded from empty to {schema.head()}" in first.stdout
    assert f"already at the head revision {schema.head()}" in again.stdout
    current = _cli(url, "current", "--check")
    assert (current.returncode, current.stdout.strip()) == (0, f"{schema.head()} (head)")


def test_hosts_upgrading_at_once_upgrade_once(empty_database_url: str):
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: _cli(empty_database_url, "upgrade"), range(3)))

    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    assert sum("upgraded from empty" in r.stdout for r in results) == 1
    engine = make_engine(empty_database_url)
    try:
        assert schema.current(engine) == schema.head()
    finally:
        engine.dispose()


def test_the_cli_never_leaks_a_password_or_traceback_when_the_database_is_down(tmp_path: Path):
    url = "postgresql+psycopg://shop:hunter2@127.0.0.1:9/shop"
    result = _cli(url, "current")
    assert result.returncode == 1
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: The database at postgresql+psycopg://shop:***@")


def test_db_current_on_a_missing_sqlite_file_creates_nothing(tmp_path: Path):
    result = _cli(f"sqlite:///{tmp_path / 'typo.sqlite3'}", "current")
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


# -- flask dividebuy db upgrade --------------------------------------------------------------------


def _shop(url: str, root: Path) -> Flask:
    app = Flask("migrating-shop", root_path=str(root))
    app.config.update(SECRET_KEY="s" * 32, DIVIDEBUY_DATABASE_URL=url)
    settings = Settings(
        client_id="shop", client_secret="s", environment="local", base_url="http://127.0.0.1:9"
    )
    DivideBuy(app, client=DivideBuyClient(settings=settings, token_store=MemoryTokenStore()))
    return app


def test_flask_dividebuy_db_upgrade_upgrades_the_apps_database(
    empty_database_url: str, tmp_path: Path
):
    app = _shop(empty_database_url, tmp_path)
    runner = app.test_cli_runner()

    upgraded = runner.invoke(args=["dividebuy", "db", "upgrade"])
    current = runner.invoke(args=["dividebuy", "db", "current", "--json"])

    assert upgraded.exit_code == 0, upgraded.output
    assert schema.head() in upgraded.output
    assert current.exit_code == 0, current.output
    assert '"up_to_date": true' in current.output
    app.extensions["dividebuy"].store.engine.dispose()


def _status(url: str) -> Mapping[str, Any]:
    engine = make_engine(url)
    try:
        return {"current": schema.current(engine), "tables": inspect(engine).get_table_names()}
    finally:
        engine.dispose()


def test_only_an_embedded_sqlite_store_upgrades_itself_at_start_up(
    empty_database_url: str, tmp_path: Path
):
    app = _shop(empty_database_url, tmp_path)
    app.extensions["dividebuy"].store.engine.dispose()
    status = _status(empty_database_url)
    if empty_database_url.startswith("sqlite"):
        assert status["current"] == schema.head()
    else:
        assert status == {"current": None, "tables": []}
