"""A stateful local fake of Divendo's API 2.0: OAuth tokens, orders, contacts, a connection cap.

Like the DivideBuy sandbox and the REC+ fake: a Werkzeug app (:class:`DivendoFakeApp`), its
state (:class:`DivendoFakeState`), a loopback server counting TCP connections
(:class:`DivendoFakeServer`), magic ids (:data:`MAGIC_VALUES`) and an admin API under
``/_fake/`` (ship, cancel a line, change status, replace an order, revoke tokens, clock,
config, faults, state, reset). Started by ``dividebuy-checkout fake divendo``.
Default API user: client id ``divendo-client``, secret ``divendo-secret-0123456789``.
"""

from __future__ import annotations

from .app import ADMIN_PREFIX, ROUTES, TOKEN_PATH, DivendoFakeApp
from .magic import MAGIC_VALUES
from .server import DivendoFakeServer
from .state import (
    BIG_ORDER_ID,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SEED_CONTACT_ID,
    DivendoFakeConfig,
    DivendoFakeState,
    load_fixture,
)

__all__ = [
    "ADMIN_PREFIX",
    "BIG_ORDER_ID",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "MAGIC_VALUES",
    "ROUTES",
    "SEED_CONTACT_ID",
    "TOKEN_PATH",
    "DivendoFakeApp",
    "DivendoFakeConfig",
    "DivendoFakeServer",
    "DivendoFakeState",
    "load_fixture",
]
