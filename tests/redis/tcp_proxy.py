"""A loopback TCP proxy in front of the real Redis, which a test can cut or black-hole.

The machine's Redis is never stopped: the code under test talks to the proxy's
port, and the test makes that port refuse connections (:meth:`TcpProxy.close`)
or accept them and swallow every byte (:meth:`TcpProxy.black_hole`, a Redis that
hangs), then :meth:`TcpProxy.restore` it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

FORWARD, BLACK_HOLE, CLOSED = "forward", "black hole", "closed"


class TcpProxy:
    """Forward 127.0.0.1:<port> to a target address, one thread pair per connection."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = FORWARD
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._serve()

    @classmethod
    def to_url(cls, url: str) -> tuple[TcpProxy, str]:
        """A proxy to the Redis at *url*, and the same URL pointing at the proxy."""
        parts = urlsplit(url)
        proxy = cls((parts.hostname or "127.0.0.1", parts.port or 6379))
        auth = parts.netloc.rpartition("@")[0]
        netloc = f"{auth + '@' if auth else ''}127.0.0.1:{proxy.port}"
        return proxy, urlunsplit(parts._replace(netloc=netloc))

    def _serve(self) -> None:
        listener = self._listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed
            if self.mode == CLOSED:
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=2)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if self.mode == FORWARD:
                    dst.sendall(data)
                # BLACK_HOLE: swallowed; the other side waits for a reply that never comes
        except OSError:
            pass
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.close()

    def _drop_connections(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def black_hole(self) -> None:
        """Keep accepting, answer nothing (a hung or overloaded Redis)."""
        self.mode = BLACK_HOLE

    def close(self) -> None:
        """Drop every connection and stop listening: connections are refused."""
        self.mode = CLOSED
        with contextlib.suppress(OSError):  # shutdown wakes the accept(); close alone won't
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._drop_connections()

    def restore(self) -> None:
        """Forward again (listening on the same port if it was closed)."""
        if self.mode == CLOSED:
            self._listener = socket.create_server(("127.0.0.1", self.port))
            self._serve()
        else:
            self._drop_connections()  # connections that swallowed a command are out of step
        self.mode = FORWARD

    def shutdown(self) -> None:
        if self.mode != CLOSED:
            self.close()
