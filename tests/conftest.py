"""Fixtures shared by every suite: one real sandbox on a loopback port per session.

Starting a server per test would cost a socket and a thread each time; a reset
gives every test an empty sandbox with the starting config instead.
"""

from __future__ import annotations

from collections.abc import Iterator

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
