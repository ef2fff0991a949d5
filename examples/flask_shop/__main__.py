"""``python -m examples.flask_shop``: the shop and a DivideBuy sandbox in one process.

No credentials and no network: the sandbox listens on a free loopback port, the
shop on 127.0.0.1:5000 (or ``--port``; ``--port 0`` picks a free one), and the
address is printed. A background thread runs the checkout's reconcile every
``--reconcile-every`` seconds, as a shop's scheduler would, so an application
finished at DivideBuy without coming back (or a referred one completed later
through the sandbox's admin endpoint) still shows up on its order page.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import signal
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from dividebuy_checkout.sandbox import SandboxConfig, SandboxServer

from .app import create_app


def _reconcile_forever(app, every: float, stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
    service = app.extensions["dividebuy"].services.get("checkout")
    while service is not None and not stop.wait(every):
        with app.app_context():
            try:
                report = service.reconcile()
            except Exception:  # keep reconciling: a failed run is retried next time
                logging.getLogger(__name__).exception("reconcile failed")
                continue
        for _before, after in report.changed:
            print(f"reconcile: order {after.order_id} is now {after.status}", flush=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m examples.flask_shop",
        description="Run the example shop with an embedded DivideBuy sandbox.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=5000, help="port (0 = any free port)")
    parser.add_argument(
        "--reconcile-every", type=float, default=20.0, metavar="SECONDS", help="0 = never"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    sandbox = SandboxServer(config=SandboxConfig()).start()
    data = tempfile.TemporaryDirectory(prefix="fernhill-shop-")
    app = create_app(
        {
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DIVIDEBUY_ENVIRONMENT": "local",
            "DIVIDEBUY_BASE_URL": sandbox.url,
            "DIVIDEBUY_CLIENT_ID": "fernhill-demo",
            "DIVIDEBUY_CLIENT_SECRET": "fernhill-demo-secret",
            # Orders live in memory and the sandbox forgets on exit: so does this database.
            "DIVIDEBUY_DATABASE_URL": f"sqlite:///{Path(data.name) / 'dividebuy.sqlite3'}",
        }
    )
    try:
        server = make_server(args.host, args.port, app, threaded=True)
    except (OSError, SystemExit):  # Werkzeug exits itself when the port is taken
        sandbox.stop()
        print(
            f"Cannot listen on {args.host}:{args.port}. "
            "Try another port: python -m examples.flask_shop --port 5001",
            file=sys.stderr,
        )
        return 1
    stop = threading.Event()
    # `kill` (SIGTERM) stops the shop as Ctrl-C does: the sandbox and temp files go too.
    signal.signal(signal.SIGTERM, _interrupt)
    if args.reconcile_every > 0:
        threading.Thread(
            target=_reconcile_forever,
            args=(app, args.reconcile_every, stop),
            name="reconcile",
            daemon=True,
        ).start()
    host = f"[{server.host}]" if ":" in server.host else server.host
    print(f"Fernhill Home (example shop) is running at http://{host}:{server.port}/", flush=True)
    print(f"DivideBuy sandbox: {sandbox.url}  (admin: {sandbox.url}/_sandbox/state)", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()  # returns on Ctrl-C (Werkzeug catches the KeyboardInterrupt)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        sandbox.stop()
        data.cleanup()
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
