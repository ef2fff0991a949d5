"""A local, stateful stand-in for DivideBuy (like stripe-mock, with state and faults).

It speaks ``docs/wire.md`` on loopback: tokens that expire, terms from a rate
card, quotes decided by magic surnames, a hosted application page that sends the
shopper back, settlement and a refund ledger, and faults on demand (magic values
and an admin injector). See ``docs/sandbox.md``.

    from dividebuy_checkout.sandbox import SandboxServer, SandboxConfig

    with SandboxServer(config=SandboxConfig(token_lifetime=60)) as sandbox:
        client = DivideBuyClient("id", "secret", environment="local", base_url=sandbox.url)
"""

from .app import SandboxApp, create_app
from .config import DEFAULT_RATE_CARD, RateCardEntry, SandboxConfig
from .server import SandboxServer
from .state import SandboxState

__all__ = [
    "DEFAULT_RATE_CARD",
    "RateCardEntry",
    "SandboxApp",
    "SandboxConfig",
    "SandboxServer",
    "SandboxState",
    "create_app",
]
