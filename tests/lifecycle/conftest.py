"""Lifecycle tests reuse the checkout's fixtures: the session sandbox and the example shop on
loopback ports, and the framework-free service over the sandbox."""

from __future__ import annotations

from tests.checkout.conftest import (  # noqa: F401  (fixtures, found by name)
    client,
    events,
    make_shop,
    orders,
    service,
    shop,
    shopper,
)
