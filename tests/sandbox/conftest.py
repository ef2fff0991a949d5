"""Fixtures for plain HTTP calls to the sandbox (the server is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from dividebuy_checkout.sandbox import SandboxServer

from .helpers import Api


@pytest.fixture(scope="session")
def _http_session(sandbox_server: SandboxServer) -> Iterator[httpx.Client]:
    # One client for the session: building one (and its TLS context) per test costs more
    # than most tests. It holds no cookies or credentials between tests.
    with httpx.Client(base_url=sandbox_server.url, timeout=5) as client:
        yield client


@pytest.fixture
def http(sandbox: SandboxServer, _http_session: httpx.Client) -> httpx.Client:
    """A plain HTTP client with no credentials (for the token call and auth tests)."""
    _http_session.cookies.clear()
    return _http_session


@pytest.fixture
def api(sandbox: SandboxServer, http: httpx.Client) -> Api:
    """An HTTP client holding a fresh bearer token."""
    return Api.login(http)
