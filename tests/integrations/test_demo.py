"""``python -m examples.flask_shop --platform recplus`` (what ``dev.py shop --platform recplus``
runs) as a real process: a shopper follows the fake REC+'s "pay with DivideBuy" link, finds
the order and pays; the fake's order becomes paid; dispatching it at the fake settles it at
the sandbox and refunding it refunds there."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from support import ANSWERS, csrf_token, eventually, press_at_dividebuy, running_demo

PATTERNS = {
    "shop": re.compile(r"running at (http://127\.0\.0\.1:\d+)/"),
    "sandbox": re.compile(r"DivideBuy sandbox: (http://\S+)"),
    "fake": re.compile(r"REC\+ \(fake\): (http://\S+)/_fake/"),
}


@pytest.fixture(scope="module")
def demo() -> Iterator[dict[str, str]]:
    with running_demo(("--platform", "recplus", "--port", "0"), PATTERNS) as found:
        yield found


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
                "csrf_token": csrf_token(page.text),
                "order_number": "500001",
                "email": "ann.lee@example.co.uk",
            },
        )
        assert found.status_code == 303, found.text
        form = http.get(shop + found.headers["location"])
        terms = re.findall(r'name="term" type="radio" value="(\d+)"', form.text)
        data = {
            "csrf_token": csrf_token(form.text),
            **ANSWERS,
            "term": terms[0],
            "submit": "Continue",
        }
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

    eventually(lambda: fake_status() == "Paid by DivideBuy", "the paid status at the fake")
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
