"""``python -m examples.flask_shop --platform recplus`` (what ``dev.py shop --platform recplus``
runs) as a real process: a shopper follows the fake REC+'s "pay with DivideBuy" link, finds
the order and pays; the fake's order becomes paid; dispatching it at the fake settles it at
the sandbox and refunding it refunds there."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from support import ANSWERS, ROOT, press_at_dividebuy

PATTERNS = {
    "shop": re.compile(r"running at (http://127\.0\.0\.1:\d+)/"),
    "sandbox": re.compile(r"DivideBuy sandbox: (http://\S+)"),
    "fake": re.compile(r"REC\+ \(fake\): (http://\S+)/_fake/"),
}


@pytest.fixture(scope="module")
def demo() -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIVIDEBUY_")}
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.flask_shop", "--platform", "recplus", "--port", "0"],
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
            for name, pattern in PATTERNS.items():
                match = pattern.search(line)
                if match:
                    found[name] = match.group(1)
            if len(found) == len(PATTERNS):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 60
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("The demo did not start:\n" + "".join(output))
    try:
        yield found
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1)


def _wait(condition: object, what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def test_pay_dispatch_and_refund_a_recplus_order(demo: dict[str, str]) -> None:
    shop, fake, sandbox = demo["shop"], demo["fake"], demo["sandbox"]
    admin = httpx.get(f"{fake}/_fake/", timeout=10).text
    link = re.search(r'<a href="([^"]*order=500001)">Pay with DivideBuy', admin)
    assert link, admin
    pay = link.group(1).replace("&amp;", "&")
    assert pay.startswith(shop)
    with httpx.Client(timeout=20) as http:
        page = http.get(pay)
        assert page.status_code == 200 and 'value="500001"' in page.text
        found = http.post(
            pay.split("?")[0],
            data={
                "csrf_token": _token(page.text),
                "order_number": "500001",
                "email": "ann.lee@example.co.uk",
            },
        )
        assert found.status_code == 303, found.text
        form = http.get(shop + found.headers["location"])
        terms = re.findall(r'name="term" type="radio" value="(\d+)"', form.text)
        data = {"csrf_token": _token(form.text), **ANSWERS, "term": terms[0], "submit": "Continue"}
        sent = http.post(shop + found.headers["location"], data=data)
        assert sent.status_code == 303, sent.text
        back = press_at_dividebuy(sent.headers["location"], "complete")
        assert http.get(back).status_code == 200

    def fake_status() -> str:
        return str(
            httpx.get(f"{fake}/_fake/state", timeout=10).json()["orders"]["500001"]["status"]
        )

    def sandbox_state() -> dict[str, object]:
        state: dict[str, object] = httpx.get(f"{sandbox}/_sandbox/state", timeout=10).json()
        return state

    _wait(lambda: fake_status() == "Paid by DivideBuy", "the paid status at the fake")
    pressed = httpx.post(
        f"{fake}/_fake/ui/status", data={"order_id": "500001", "status": "Dispatched"}, timeout=20
    )
    assert pressed.status_code == 303
    assert sandbox_state()["settle_calls"] == 1
    httpx.post(
        f"{fake}/_fake/ui/status", data={"order_id": "500001", "status": "Refunded"}, timeout=20
    )
    refunds = sandbox_state()["refunds"]
    assert isinstance(refunds, list) and len(refunds) == 1
