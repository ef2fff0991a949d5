"""``python -m examples.flask_shop``: the shop and a DivideBuy sandbox in one process.

No credentials and no network: the sandbox listens on a free loopback port, the
shop on 127.0.0.1:5000 (or ``--port``; ``--port 0`` picks a free one), and the
address is printed. A background thread runs the checkout's reconcile every
``--reconcile-every`` seconds, as a shop's scheduler would, so an application
finished at DivideBuy without coming back (or a referred one completed later
through the sandbox's admin endpoint) still shows up on its order page.

``--platform recplus``: the orders come from a fake REC+ site started in the same
process instead (:func:`_recplus`); its admin page lists them with the platform's
"pay with DivideBuy" link (the bridge page) and buttons that dispatch or refund an
order, which its webhooks deliver to the shop (settled / refunded at the sandbox).
``--platform diseller``: the same with a fake DiSeller (:func:`_diseller`), whose signed
webhooks (a secret generated per run) settle or refund at the sandbox when an order is
completed, cancelled or refunded on its admin page.
``--platform divendo``: a fake Divendo (:func:`_divendo`), which has no webhooks: a background
poll (``platform poll``, every ``--poll-every`` seconds) settles an order shipped at the fake and
refunds a cancelled line; the ``curl`` lines that ship or cancel are printed.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import signal
import socket
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
        platform = app.extensions.get("dividebuy_platforms")
        if platform is not None:  # --platform: retry platform events and status write-backs
            try:
                platform.processor.process_due()
                if platform.writeback is not None:
                    platform.writeback.process_due()
            except Exception:
                logging.getLogger(__name__).exception("platform events failed")


def _recplus(shop_url: str) -> tuple[object, dict[str, object]]:
    """A fake REC+ site and the shop settings that read orders from it (demo only)."""
    from dividebuy_checkout.integrations.recplus.fake import (
        FakeConfig,
        RecPlusFakeServer,
    )

    fake = RecPlusFakeServer(
        config=FakeConfig(pay_link=f"{shop_url}/dividebuy/start/recplus?order={{id}}")
    ).start()
    password = secrets.token_urlsafe(24)
    config: dict[str, object] = {
        "DIVIDEBUY_ORDER_SOURCE": "recplus",
        "DIVIDEBUY_RECPLUS_BASE_URL": fake.api_url,
        "DIVIDEBUY_RECPLUS_API_USER": "api",
        "DIVIDEBUY_RECPLUS_API_PASS": "api-pass",
        "DIVIDEBUY_RECPLUS_SETTLE_STATUSES": ["Dispatched"],
        "DIVIDEBUY_RECPLUS_REFUND_STATUSES": ["Refunded"],
        "DIVIDEBUY_RECPLUS_STATUS_PENDING_FINANCE": "Pending Finance",
        "DIVIDEBUY_RECPLUS_STATUS_PAID": "Paid by DivideBuy",
        "DIVIDEBUY_RECPLUS_STATUS_ON_HOLD": "Finance On Hold",
        "DIVIDEBUY_RECPLUS_STATUS_FINANCE_FAILED": "Finance Failed",
        "DIVIDEBUY_RECPLUS_WEBHOOK_AUTH": "basic",
        "DIVIDEBUY_RECPLUS_WEBHOOK_USER": "recplus-webhooks",
        "DIVIDEBUY_RECPLUS_WEBHOOK_PASSWORD": password,
        # the order lives at REC+, not in this shop: DivideBuy's own outcome pages
        "DIVIDEBUY_SUCCESS_ENDPOINT": None,
        "DIVIDEBUY_PAYMENT_METHODS_ENDPOINT": None,
    }
    return fake, config


def _subscribe(fake: object, shop_url: str, config: dict[str, object]) -> None:
    from dividebuy_checkout.integrations.recplus.fake import WebhookSubscription

    fake.state.webhooks.subscribe(  # type: ignore[attr-defined]
        WebhookSubscription(
            url=f"{shop_url}/dividebuy/webhooks/recplus",
            auth="basic",
            user=str(config["DIVIDEBUY_RECPLUS_WEBHOOK_USER"]),
            password=str(config["DIVIDEBUY_RECPLUS_WEBHOOK_PASSWORD"]),
        )
    )


def _diseller(shop_url: str) -> tuple[object, dict[str, object]]:
    """A fake DiSeller and the shop settings that read orders from it (demo only)."""
    from dividebuy_checkout.integrations.diseller.fake import DiSellerFakeServer
    from dividebuy_checkout.integrations.diseller.fake.webhooks import sender_for

    fake = DiSellerFakeServer().start()
    sender_for(fake.state).pay_link = f"{shop_url}/dividebuy/start/diseller?order={{id}}"
    config: dict[str, object] = {
        "DIVIDEBUY_ORDER_SOURCE": "diseller",
        "DIVIDEBUY_DISELLER_BASE_URL": fake.api_url,
        "DIVIDEBUY_DISELLER_API_KEY": "test-api-key",
        "DIVIDEBUY_DISELLER_WEBHOOK_SECRETS": ["whsec_" + secrets.token_urlsafe(24)],
        "DIVIDEBUY_SUCCESS_ENDPOINT": None,
        "DIVIDEBUY_PAYMENT_METHODS_ENDPOINT": None,
    }
    return fake, config


def _diseller_subscribe(fake: object, shop_url: str, config: dict[str, object]) -> None:
    from dividebuy_checkout.integrations.diseller.fake.webhooks import (
        WebhookEndpoint,
        sender_for,
    )

    state, url = fake.state, fake.url  # type: ignore[attr-defined]
    [secret] = config["DIVIDEBUY_DISELLER_WEBHOOK_SECRETS"]  # type: ignore[misc]  # a list
    hook = f"{shop_url}/dividebuy/webhooks/diseller"
    sender_for(state).add_endpoint(WebhookEndpoint(url=hook, secret=str(secret)))
    print(f"DiSeller (fake): {url}/_fake/  (orders, pay links, complete/cancel/refund)", flush=True)


def _divendo() -> tuple[object, dict[str, object]]:
    """A fake Divendo and the shop settings that read orders from it (demo only)."""
    from dividebuy_checkout.integrations.divendo.fake import (
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        DivendoFakeServer,
    )

    fake = DivendoFakeServer().start()
    config: dict[str, object] = {
        "DIVIDEBUY_ORDER_SOURCE": "divendo",
        "DIVIDEBUY_DIVENDO_BASE_URL": fake.url,
        "DIVIDEBUY_DIVENDO_CLIENT_ID": DEFAULT_CLIENT_ID,
        "DIVIDEBUY_DIVENDO_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        "DIVIDEBUY_DIVENDO_REFUND_STATUSES": ["Refunded"],
        "DIVIDEBUY_SUCCESS_ENDPOINT": None,
        "DIVIDEBUY_PAYMENT_METHODS_ENDPOINT": None,
    }
    return fake, config


def _divendo_poll(app, fake, shop_url: str, every: float, stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
    """Print how to drive the fake; poll it every *every* seconds (a cron line's job)."""
    from datetime import timedelta

    from dividebuy_checkout.cli.poll import run_poll
    from dividebuy_checkout.cli.runtime import Runtime
    from dividebuy_checkout.store.claims import WorkClaims

    admin, order = f"{fake.url}/_fake/orders/ord-uk-1", "ord-uk-1"
    print(f"Divendo (fake): {fake.url}/_fake/state  (no webhooks: polled every {every:g} s)")
    print(f"  pay:    {shop_url}/dividebuy/start/divendo?order={order}  (jane@example.co.uk)")
    print(f"  ship:   curl -X POST -H 'Content-Type: application/json' -d '{{}}' {admin}/ship")
    print(
        f"  cancel: curl -X POST -H 'Content-Type: application/json' -d '{{}}' "
        f"{admin}/lines/5668f38d46fc510c6c0d0001/cancel",
        flush=True,
    )

    def loop() -> None:
        state = app.extensions["dividebuy"]
        while not stop.wait(every):
            runtime = Runtime(state=state, client=state.client, store=state.store)
            try:
                with app.app_context():
                    # one process, no other hosts: no quiet period between rounds
                    report = run_poll(
                        runtime, claims=WorkClaims(state.store.engine, quiet=timedelta(0))
                    )
            except Exception:  # keep polling: a failed run is retried next time
                logging.getLogger(__name__).exception("platform poll failed")
                continue
            if report.recorded:
                print(
                    f"poll: {report.recorded} event(s) from Divendo, {report.outcomes}", flush=True
                )

    threading.Thread(target=loop, name="divendo-poll", daemon=True).start()


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
    parser.add_argument(
        "--poll-every", type=float, default=5.0, metavar="SECONDS", help="--platform divendo"
    )
    parser.add_argument(
        "--platform",
        choices=["recplus", "diseller", "divendo"],
        default=None,
        help="read orders from a fake shop platform started in this process",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    sandbox = SandboxServer(config=SandboxConfig()).start()
    data = tempfile.TemporaryDirectory(prefix="fernhill-shop-")
    fake, platform_config = None, {}
    if args.platform in ("recplus", "diseller"):
        # the shop's address must be known before it listens: the fake links to it
        if args.port == 0:
            with socket.socket() as probe:
                probe.bind((args.host, 0))
                args.port = probe.getsockname()[1]
        start = _diseller if args.platform == "diseller" else _recplus
        fake, platform_config = start(f"http://{args.host}:{args.port}")
    elif args.platform == "divendo":
        fake, platform_config = _divendo()
    app = create_app(
        {
            **platform_config,
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
        if fake is not None:
            fake.stop()  # type: ignore[attr-defined]
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
    if fake is not None and args.platform == "divendo":
        _divendo_poll(app, fake, f"http://{host}:{server.port}", args.poll_every, stop)
    elif fake is not None and args.platform == "diseller":
        _diseller_subscribe(fake, f"http://{host}:{server.port}", platform_config)
    elif fake is not None:
        _subscribe(fake, f"http://{host}:{server.port}", platform_config)
        print(f"REC+ (fake): {fake.url}/_fake/  (orders, pay links, dispatch/refund)", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()  # returns on Ctrl-C (Werkzeug catches the KeyboardInterrupt)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        sandbox.stop()
        if fake is not None:
            fake.stop()  # type: ignore[attr-defined]
        data.cleanup()
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
