"""What tests and benches share: serving an app on a loopback port, the demo shopper, the
example shop, and a copy of a clean checkout.

Tests import it as ``support`` (pytest puts ``tests/`` on ``sys.path``); benches add
``tests/`` to ``sys.path`` themselves. This is the one module that reaches into
``examples/``: everything else asks it for the example shop.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urljoin

import httpx
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from dividebuy_checkout.checkout.demo_shopper import ANSWERS, CUSTOMER

__all__ = [
    "ANSWERS",
    "CUSTOMER",
    "ROOT",
    "checkout_files",
    "copy_clean_checkout",
    "create_example_shop",
    "example_module",
    "press_at_dividebuy",
    "serve_asgi",
    "serve_wsgi",
]

ROOT = Path(__file__).resolve().parents[1]


# -- serving an app on a loopback port --------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def serve_wsgi(app: Callable[..., Any]) -> BaseWSGIServer:
    """Serve a WSGI app (Flask…) on ``127.0.0.1`` and a free port, in a daemon thread.

    The caller stops it with ``server.shutdown(); server.server_close()``; its address
    is ``f"http://127.0.0.1:{server.port}"``.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    return server


@contextmanager
def serve_asgi(app: Any, *, start_timeout: float = 10.0) -> Iterator[str]:
    """Serve an ASGI app (Starlette, FastAPI…) with uvicorn on a loopback port; yields its URL.

    The socket is bound before uvicorn starts, so the port is known and nothing races
    for it; uvicorn is told to exit (and joined) when the block ends.
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=start_timeout)
        sock.close()


# -- DivideBuy's hosted page (the sandbox's) ------------------------------------------------------


def press_at_dividebuy(checkout_url: str, button: str) -> str:
    """Press ``"complete"`` or ``"cancel"`` on DivideBuy's page; where it sends the shopper.

    The sandbox's hosted page is another site (no shop cookies) whose buttons are
    plain POST forms; its answer is a 303 to the quote's ``redirect_url``.
    """
    page = httpx.get(checkout_url, timeout=10)
    match = re.search(rf'action="([^"]+/{button})"', page.text)
    assert match, f"no {button} button on DivideBuy's page"
    response = httpx.post(urljoin(checkout_url, match.group(1)), timeout=10)
    assert response.status_code == 303, response.text
    return response.headers["location"]


# -- the example shop ---------------------------------------------------------------------------


def example_module(name: str = "") -> ModuleType:
    """``examples.flask_shop`` (or one of its modules, e.g. ``"catalogue"``).

    The example shop lives outside the package; this is the one door tests and
    benches use into it.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("examples.flask_shop" + (f".{name}" if name else ""))


def create_example_shop(config: dict[str, Any]) -> Any:
    """The example shop's Flask app, built with *config*."""
    return example_module().create_app(config)


# -- a clean checkout ---------------------------------------------------------------------------


def checkout_files() -> list[str]:
    """Tracked files, plus new files git does not ignore (what the next commit would hold)."""
    import pytest

    if not (ROOT / ".git").exists() or not shutil.which("git"):
        pytest.skip("needs a git checkout to know which files a clone would have")
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [name for name in listing.stdout.splitlines() if (ROOT / name).is_file()]


def copy_clean_checkout(destination: Path) -> Path:
    """Copy those files to *destination*, as ``git clone`` would lay them out."""
    for name in checkout_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return destination


@contextmanager
def running_demo(
    args: Sequence[str], patterns: Mapping[str, re.Pattern[str]], *, start_timeout: float = 60.0
) -> Iterator[dict[str, str]]:
    """``python -m examples.flask_shop *args`` (what ``dev.py shop`` runs) as a real process,
    with no ``DIVIDEBUY_*`` from the test's environment; yields, by name, the first group of
    each pattern as its start-up lines print it (the shop's, sandbox's and fake's addresses…).
    The process is stopped with SIGTERM at the end (killed if it does not stop)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.flask_shop", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    found: dict[str, str] = {}
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            for name, pattern in patterns.items():
                match = pattern.search(line.rstrip())
                if match:
                    found[name] = match.group(1)
            if len(found) == len(patterns):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + start_timeout
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("The demo did not start:\n" + "".join(output))
    try:
        yield found
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1)


def eventually(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Wait until *condition* holds (background work: a poll, a webhook), or fail naming *what*."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)
