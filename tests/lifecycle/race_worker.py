"""One side of a shopper's return racing a reconcile, as its own process (see test_race).

``python race_worker.py ROLE DATABASE_URL SANDBOX_URL GO_FILE TOKEN ORDER_ID...``: builds a
checkout service over the shared database and the session sandbox, reads each quote once
(a token, warm connections), prints ``ready``, waits for GO_FILE, then either handles the
return (ROLE ``return``) or reconciles (ROLE ``reconcile``). Events go to LIFECYCLE_EVENTS.
"""

from __future__ import annotations

import os
import sys
import time

from dividebuy_checkout import DivideBuyClient
from dividebuy_checkout.checkout import CheckoutService, ReferenceSigner
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.store import SqlStore
from dividebuy_checkout.tokens import MemoryTokenStore
from tests.checkout.conftest import Orders, make_order
from tests.lifecycle import listener


def main(
    role: str, database_url: str, sandbox_url: str, go_file: str, token: str, *ids: str
) -> None:
    settings = Settings(
        client_id="svc", client_secret="s", environment="local", base_url=sandbox_url
    )
    orders = Orders()
    for order_id in ids:
        orders.orders[order_id] = make_order(order_id=order_id, order_ref=f"FS-{order_id}")
    with DivideBuyClient(settings=settings, token_store=MemoryTokenStore()) as client:
        service = CheckoutService(
            client,
            SqlStore(database_url),
            orders,
            signer=ReferenceSigner("k" * 32, return_max_age=3600, start_max_age=3600),
            notify=listener.notify,
        )
        for record in service.store.watched():
            client.get_quote(record.quote_id)  # a token and a warm connection before the race
        print("ready", flush=True)
        deadline = time.monotonic() + 30
        while not os.path.exists(go_file) and time.monotonic() < deadline:
            time.sleep(0.0005)
        if role == "return":
            service.handle_return(token)
        else:
            service.reconcile()


if __name__ == "__main__":
    main(*sys.argv[1:])
