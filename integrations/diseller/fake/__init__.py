"""A stateful local fake of DiSeller: its API, per-key hourly limits, faults, a clock, events.

Like the DivideBuy sandbox (``dividebuy_checkout.sandbox``): a Werkzeug app
(:class:`DiSellerFakeApp`), its state (:class:`DiSellerFakeState`), a loopback
server (:class:`DiSellerFakeServer`), magic ids (:data:`MAGIC_VALUES`) and an
admin API under ``/_fake/``. Started by ``dividebuy-checkout fake diseller``.
Default API key: ``test-api-key`` on the Starter plan (1,000 requests an hour).
Every state change is an event (``state.emit``) handed to ``state.listeners``.
"""

from __future__ import annotations

from .app import API_PREFIX, ROUTES, DiSellerFakeApp
from .magic import MAGIC_VALUES, DiSellerMagic
from .server import DiSellerFakeServer
from .state import ApiKey, DiSellerFakeConfig, DiSellerFakeState, FakeError, load_fixture

__all__ = [
    "API_PREFIX",
    "MAGIC_VALUES",
    "ROUTES",
    "ApiKey",
    "DiSellerFakeApp",
    "DiSellerFakeConfig",
    "DiSellerFakeServer",
    "DiSellerFakeState",
    "DiSellerMagic",
    "FakeError",
    "load_fixture",
]
