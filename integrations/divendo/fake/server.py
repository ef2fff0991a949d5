"""``DivendoFakeServer``: the Divendo fake on a loopback port, counting its TCP connections.

The shared :class:`~.._fakeserver.FakeServer` with one change: its request handler tells
the state when a TCP connection opens and closes (HTTP/1.1 keep-alive on), so the fake can
answer a connection over the cap with the throttling error (``limit_on = "connections"``)
and tests can assert the peak of open connections, not only of requests.

Connections are counted for the whole server (one API user is all the fake serves by
default); in-flight requests are counted per account.
"""

from __future__ import annotations

from typing import Any

from werkzeug.serving import WSGIRequestHandler

from ..._fakeserver import FakeServer
from .app import CONNECTION_OK, DivendoFakeApp
from .state import DivendoFakeConfig, DivendoFakeState

__all__ = ["DivendoFakeServer"]


class _CountingHandler(WSGIRequestHandler):
    """One instance per TCP connection: ``setup``/``finish`` bracket the connection's life."""

    protocol_version = "HTTP/1.1"
    quiet = True
    _ok = True

    def _state(self) -> DivendoFakeState:
        state: DivendoFakeState = self.server.app.state  # type: ignore[attr-defined]
        return state

    def setup(self) -> None:
        super().setup()
        self._ok = self._state().connection_opened()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self._state().connection_closed()

    def make_environ(self) -> Any:
        environ = super().make_environ()
        environ[CONNECTION_OK] = self._ok
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if not self.quiet:
            super().log_request(code, size)


class _LoudHandler(_CountingHandler):
    quiet = False


class DivendoFakeServer(FakeServer[DivendoFakeApp]):
    """A Divendo account on ``host:port``; :attr:`url` is what ``DivendoOrderSource`` takes."""

    thread_name = "divendo-fake"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: DivendoFakeConfig | None = None,
        *,
        state: DivendoFakeState | None = None,
        log_requests: bool = False,
    ) -> None:
        super().__init__(DivendoFakeApp(state or DivendoFakeState(config)), host, port)
        handler = _LoudHandler if log_requests else _CountingHandler
        self._server.RequestHandlerClass = handler

    @property
    def state(self) -> DivendoFakeState:
        return self.app.state
