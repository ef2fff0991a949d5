"""One real process refunding an order again and again (the 3-process race test runs three).

Usage: ``python refund_worker.py DATABASE_URL SANDBOX_URL ORDER AMOUNT TIMES``. It builds its own
client, store and service, prints ``ready``, waits for a line on stdin (so all start together),
then tries *TIMES* refunds of *AMOUNT* and prints one JSON line: ``{"ok": n, "refused": {code:
n}, "errors": [...]}``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter

from dividebuy_checkout.backoffice import BackOfficeError, BackOfficeService
from dividebuy_checkout.client import DivideBuyClient
from dividebuy_checkout.settings import Settings
from dividebuy_checkout.store import SqlStore
from dividebuy_checkout.tokens import MemoryTokenStore

CREDENTIALS = ("shop-client-id", "shop-client-secret")


def main(database_url: str, sandbox_url: str, order_id: str, amount: str, times: int) -> None:
    settings = Settings(
        client_id=CREDENTIALS[0],
        client_secret=CREDENTIALS[1],
        environment="local",
        base_url=sandbox_url,
        timeout=15.0,
    )
    client = DivideBuyClient(settings=settings, token_store=MemoryTokenStore())
    service = BackOfficeService(client, SqlStore(database_url))
    print("ready", flush=True)
    sys.stdin.readline()
    ok, refused, errors = 0, Counter[str](), []
    for _ in range(times):
        try:
            service.refund(order_id, amount)
        except BackOfficeError as exc:
            refused[exc.code] += 1
        except Exception as exc:  # reported to the test, which fails on any
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
        else:
            ok += 1
    print(json.dumps({"ok": ok, "refused": dict(refused), "errors": errors}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
