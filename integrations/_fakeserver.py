"""``FakeServer``: serve any platform fake's WSGI app on a loopback port, in a thread or not.

The DivideBuy sandbox's own server (:class:`~dividebuy_checkout.sandbox.server.LoopbackServer`:
``start``/``stop``/``run``, a context manager, port 0 for a free port, ``url``
saying which), so every platform fake is only its app and its state.
"""

from __future__ import annotations

from ..sandbox.server import AppT, LoopbackServer, ServedApp

__all__ = ["FakeApp", "FakeServer"]

#: what a platform fake's app provides (a WSGI app with a ``state``)
FakeApp = ServedApp


class FakeServer(LoopbackServer[AppT]):
    """Serve a platform fake's app on ``host:port``."""

    thread_name = "platform-fake"
