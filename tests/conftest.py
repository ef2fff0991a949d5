"""Fixtures shared by every suite: one real sandbox on a loopback port per session.

Starting a server per test would cost a socket and a thread each time; a reset
gives every test an empty sandbox with the starting config instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

from dividebuy_checkout.sandbox import SandboxConfig, SandboxServer

#: Small enough to keep the suite fast, large enough to measure.
SLOW_SECONDS = 0.3


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(config=SandboxConfig(slow_seconds=SLOW_SECONDS)) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    """The session's sandbox, emptied and back to its starting config for this test."""
    sandbox_server.state.reset()
    yield sandbox_server
    sandbox_server.state.reset()


# -- services (Redis; the same rule serves PostgreSQL) --------------------------------------------

#: set to 1 on CI: a missing service fails its tests instead of skipping them
REQUIRE_SERVICES = "DIVIDEBUY_REQUIRE_SERVICES"
REDIS_URL_ENV = "DIVIDEBUY_TEST_REDIS_URL"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/0"


def service_missing(what: str, reason: str) -> NoReturn:
    """Skip the test saying why, or fail it when ``DIVIDEBUY_REQUIRE_SERVICES=1``."""
    if os.environ.get(REQUIRE_SERVICES) == "1":
        pytest.fail(f"{what} is required ({REQUIRE_SERVICES}=1) but {reason}", pytrace=False)
    pytest.skip(f"{what} is not available: {reason}")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A reachable Redis (``DIVIDEBUY_TEST_REDIS_URL``, default 127.0.0.1:6379/0)."""
    url = os.environ.get(REDIS_URL_ENV) or DEFAULT_TEST_REDIS_URL
    where = f"{urlsplit(url).hostname}:{urlsplit(url).port or 6379}"  # never the password
    try:
        import redis
    except ImportError:
        service_missing("Redis", "the redis package is not installed (pip install -e '.[test]')")
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as probe:
            probe.ping()
    except (redis.RedisError, OSError) as exc:
        service_missing(
            "Redis",
            f"nothing answers at {where} ({type(exc).__name__}); set "
            f"{REDIS_URL_ENV} to use another",
        )
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own (parallel runs never collide); its keys are
    deleted afterwards."""
    import redis

    prefix = f"dividebuy-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    with redis.Redis.from_url(redis_url, socket_timeout=2) as client:
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        if keys:
            client.delete(*keys)


# -- databases: every store test on SQLite and (when configured) PostgreSQL ----------------------

DATABASE_URL_ENV = "DIVIDEBUY_TEST_DATABASE_URL"
#: the engines a ``database_url`` test runs on (the ids in its name: ``test_x[postgresql]``)
DATABASE_ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A reachable PostgreSQL (``DIVIDEBUY_TEST_DATABASE_URL``, psycopg 3), or skip/fail."""
    url = os.environ.get(DATABASE_URL_ENV)
    if not url:
        service_missing(
            "PostgreSQL",
            f"{DATABASE_URL_ENV} is not set (e.g. "
            "postgresql+psycopg://root@127.0.0.1:5432/test; .ci/run sets it)",
        )
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    where = make_url(url).render_as_string(hide_password=True)
    probe = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, ImportError) as exc:
        service_missing("PostgreSQL", f"nothing answers at {where} ({type(exc).__name__})")
    finally:
        probe.dispose()
    return url


def postgres_schema_url(base_url: str, schema: str) -> str:
    """*base_url* with every connection's ``search_path`` set to *schema* (and tagged with it,
    so the fixture can close connections a test left open)."""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}application_name={schema}&options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema's URL (``search_path`` in the URL, so subprocesses given it
    use the schema too); afterwards connections left open are closed and it is dropped."""
    from sqlalchemy import create_engine, text

    schema = f"dbtest_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield postgres_schema_url(base_url, schema)
        with admin.begin() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :schema AND pid <> pg_backend_pid()"
                ),
                {"schema": schema},
            )
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(params=DATABASE_ENGINES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own with no tables (a SQLite file, or a PostgreSQL schema
    dropped afterwards): each test using it runs on SQLite and on PostgreSQL (skipped, saying
    why, without ``DIVIDEBUY_TEST_DATABASE_URL``; failed with ``DIVIDEBUY_REQUIRE_SERVICES=1``)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dividebuy.sqlite3'}"
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """The URL of an upgraded (migrations at head), empty store database of this test's own,
    on SQLite and on PostgreSQL (see :func:`empty_database_url`)."""
    from dividebuy_checkout.store import SqlStore

    store = SqlStore(empty_database_url).upgrade()
    store.engine.dispose()
    return empty_database_url
