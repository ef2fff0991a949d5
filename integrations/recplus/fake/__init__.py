"""A stateful local fake of a REC+ site: its orders API, faults, a clock and webhooks.

Like the DivideBuy sandbox (``dividebuy_checkout.sandbox``): a Werkzeug app
(:class:`RecPlusFakeApp`), its state (:class:`RecPlusFakeState`), a loopback
server (:class:`RecPlusFakeServer`), magic order ids (:data:`MAGIC_VALUES`) and
an admin API under ``/_fake/``. Started by ``dividebuy-checkout fake recplus``.
Default credentials: Full API ``api`` / ``api-pass``; public key ``public`` /
``public-key`` (cannot read orders).
"""

from __future__ import annotations

from .app import RecPlusFakeApp
from .magic import MAGIC_VALUES
from .server import RecPlusFakeServer
from .state import Account, FakeConfig, RecPlusFakeState, load_fixture
from .webhooks import Delivery, DeliveryMode, WebhookSender, WebhookSubscription

__all__ = [
    "MAGIC_VALUES",
    "Account",
    "Delivery",
    "DeliveryMode",
    "FakeConfig",
    "RecPlusFakeApp",
    "RecPlusFakeServer",
    "RecPlusFakeState",
    "WebhookSender",
    "WebhookSubscription",
    "load_fixture",
]
