"""A shopper's return racing a reconcile, in two real processes on one database.

Both read the completed quote from the sandbox and try to record it; the store's
conditional update lets exactly one of them move the checkout, and only that one
announces it. Several rounds, each a fresh quote, so the two really overlap.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from support import ROOT, press_at_dividebuy

from dividebuy_checkout.store import CheckoutStatus
from tests.checkout.conftest import make_applicant, make_order

from . import listener

ROUNDS = 2
WORKER = Path(__file__).with_name("race_worker.py")


def _env(events_file: Path) -> dict[str, str]:
    import os

    return {
        **os.environ,
        "LIFECYCLE_EVENTS": str(events_file),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
    }


def test_a_return_racing_reconcile_in_two_processes_gives_one_transition_and_one_signal(
    service, orders, sandbox, tmp_path: Path
):
    database_url = service.store.engine.url.render_as_string(hide_password=False)
    events_file = tmp_path / "events.jsonl"
    for round_ in range(ROUNDS):
        order_id = f"30{round_}"
        orders.orders[order_id] = make_order(order_id=order_id, order_ref=f"FS-{order_id}")
        submitted = service.submit(
            order_id,
            make_applicant(),
            ip_address="203.0.113.9",
            return_url="https://shop.example/dividebuy/return?ref={}".format,
        )
        assert submitted.checkout_url is not None
        back = press_at_dividebuy(submitted.checkout_url, "complete")
        token = parse_qs(urlsplit(back).query)["ref"][0]
        go = tmp_path / f"go-{round_}"
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(WORKER),
                    role,
                    database_url,
                    sandbox.url,
                    str(go),
                    token,
                    order_id,
                ],
                env=_env(events_file),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=str(ROOT),
            )
            for role in ("return", "reconcile")
        ]
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        go.touch()
        for worker in workers:
            _, err = worker.communicate(timeout=60)
            assert worker.returncode == 0, err
        quote_id = submitted.record.quote_id
        record = service.store.get(quote_id)
        assert record is not None and record.status is CheckoutStatus.COMPLETED
        moves = [t for t in service.store.history(quote_id) if t.to_status == "completed"]
        assert len(moves) == 1
        announced = [
            e
            for e in listener.read(events_file)
            if e["quote_id"] == quote_id and e["event"] == "quote_completed"
        ]
        assert len(announced) == 1, announced
