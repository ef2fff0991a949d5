"""``SandboxServer``: the sandbox on a loopback port, in the foreground or a thread.

Werkzeug's threaded server is enough here: every request gets a thread (a
"slow" fault blocks only its own), and the state's lock orders what matters.
Port 0 asks the OS for a free port; :attr:`SandboxServer.url` says which.
"""

from __future__ import annotations

import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SandboxApp
from .config import SandboxConfig
from .state import SandboxState

__all__ = ["SandboxServer"]


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not print a line per request (tests, embedding)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SandboxServer:
    """Serve a :class:`SandboxApp` on ``host:port``.

    ``start()`` serves in a daemon thread (``stop()`` ends it; also a context
    manager); ``run()`` serves in the calling thread until interrupted (the CLI).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: SandboxConfig | None = None,
        *,
        app: SandboxApp | None = None,
        log_requests: bool = False,
    ) -> None:
        self.app = app or SandboxApp(config)
        self._server: BaseWSGIServer = make_server(
            host,
            port,
            self.app,
            threaded=True,
            request_handler=WSGIRequestHandler if log_requests else _QuietHandler,
        )
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> SandboxState:
        """The app's state: inspect or steer the running sandbox from Python."""
        return self.app.state

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        """The base URL to give the client, e.g. ``http://127.0.0.1:53817``."""
        host = self.host
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> SandboxServer:
        """Serve in a background daemon thread; returns at once."""
        if self._thread is not None:
            raise RuntimeError("This SandboxServer is already running.")
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"dividebuy-sandbox:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (requests still running are abandoned)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def run(self) -> None:
        """Serve in this thread until Ctrl-C (what ``dividebuy-checkout sandbox`` calls)."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SandboxServer({self.url!r})"
