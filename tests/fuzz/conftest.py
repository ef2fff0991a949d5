"""Fixtures: one REC+ fake per session (like tests/integrations), reset for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dividebuy_checkout.integrations.recplus.fake import RecPlusFakeServer


@pytest.fixture(scope="session")
def recplus_server() -> Iterator[RecPlusFakeServer]:
    with RecPlusFakeServer() as server:
        yield server


@pytest.fixture
def recplus(recplus_server: RecPlusFakeServer) -> Iterator[RecPlusFakeServer]:
    recplus_server.state.reset()
    yield recplus_server
    recplus_server.state.reset()
