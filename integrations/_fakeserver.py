"""``FakeServer``: serve any platform fake's WSGI app on a loopback port, in a thread or not.

The same shape as the DivideBuy sandbox's server (``start``/``stop``/``run``, a
context manager, port 0 for a free port, ``url`` saying which), shared by every
platform fake so each fake is only its app and its state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

__all__ = ["FakeApp", "FakeServer"]


class FakeApp(Protocol):
    """A WSGI app with a ``state`` (what tests inspect and steer)."""

    @property
    def state(self) -> Any: ...

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]: ...


AppT = TypeVar("AppT", bound=FakeApp)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class FakeServer(Generic[AppT]):
    """Serve *app* on ``host:port`` (threaded: a slow reply blocks only its own request)."""

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
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (IPv6 literals bracketed)."""
        host = self._server.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._server.port}"

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> FakeServer[AppT]:
        if self._thread is not None:
            raise RuntimeError("This fake server is already running.")
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"platform-fake:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def run(self) -> None:
        """Serve in this thread until Ctrl-C (the CLI)."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def __enter__(self) -> FakeServer[AppT]:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
