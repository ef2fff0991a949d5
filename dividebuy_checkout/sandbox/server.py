"""``SandboxServer``: the sandbox on a loopback port, in the foreground or a thread.

Werkzeug's threaded server is enough here: every request gets a thread (a
"slow" fault blocks only its own), and the state's lock orders what matters.
Port 0 asks the OS for a free port; :attr:`SandboxServer.url` says which.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import SandboxApp
from .config import SandboxConfig
from .state import SandboxState

__all__ = ["LoopbackServer", "SandboxServer", "ServedApp"]


class ServedApp(Protocol):
    """A WSGI app with a ``state`` (what tests inspect and steer): the sandbox, a platform fake."""

    @property
    def state(self) -> Any: ...

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]: ...


AppT = TypeVar("AppT", bound=ServedApp)


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not print a line per request (tests, embedding)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class LoopbackServer(Generic[AppT]):
    """Serve *app* on ``host:port`` (threaded: a slow reply blocks only its own request).

    ``start()`` serves in a daemon thread (``stop()`` ends it; also a context
    manager); ``run()`` serves in the calling thread until interrupted (the CLI).
    The sandbox and every shop-platform fake are one of these.
    """

    #: the serving thread's name, before ``:port``
    thread_name: ClassVar[str] = "loopback-server"

    def __init__(
        self, app: AppT, host: str = "127.0.0.1", port: int = 0, *, log_requests: bool = False
    ) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(
            host,
            port,
            app,
            threaded=True,
            request_handler=WSGIRequestHandler if log_requests else _QuietHandler,
        )
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:53817`` (IPv6 literals bracketed)."""
        host = self.host
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> Self:
        """Serve in a background daemon thread; returns at once."""
        if self._thread is not None:
            raise RuntimeError(f"This {type(self).__name__} is already running.")
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.thread_name}:{self.port}",
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
        """Serve in this thread until Ctrl-C (what the CLI's commands call)."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


class SandboxServer(LoopbackServer[SandboxApp]):
    """Serve a :class:`SandboxApp` on ``host:port``."""

    thread_name = "dividebuy-sandbox"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: SandboxConfig | None = None,
        *,
        app: SandboxApp | None = None,
        log_requests: bool = False,
    ) -> None:
        super().__init__(app or SandboxApp(config), host, port, log_requests=log_requests)

    @property
    def state(self) -> SandboxState:
        """The app's state: inspect or steer the running sandbox from Python."""
        return self.app.state
