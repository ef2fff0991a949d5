"""``python -m examples.flask_shop --platform diseller`` (what ``dev.py shop --platform
diseller`` runs) as a real process, end to end: a shopper follows the fake DiSeller's "pay
with DivideBuy" link for a GBP order, finds it and pays at the sandbox; completing the order
at the fake sends a signed webhook that settles it at the sandbox, and a refund at the fake
refunds it there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from support import ANSWERS, csrf_token, eventually, press_at_dividebuy, running_demo

from dividebuy_checkout.money import loads

PATTERNS = {
    "shop": re.compile(r"running at (http://127\.0\.0\.1:\d+)/"),
    "sandbox": re.compile(r"DivideBuy sandbox: (http://\S+)"),
    "fake": re.compile(r"DiSeller \(fake\): (http://\S+)/_fake/"),
}
ORDER = "ord_gb_1"
EMAIL = "ann.lee@example.co.uk"


@pytest.fixture(scope="module")
def demo() -> Iterator[dict[str, str]]:
    with running_demo(("--platform", "diseller", "--port", "0"), PATTERNS) as found:
        yield found


def test_the_demo_answers_on_the_shop_and_the_fakes_admin_page(demo: dict[str, str]) -> None:
    assert httpx.get(demo["shop"] + "/", timeout=10).status_code == 200
    admin = httpx.get(f"{demo['fake']}/_fake/", timeout=10)
    assert admin.status_code == 200 and "DiSeller (fake)" in admin.text
    hooks = httpx.get(f"{demo['fake']}/_fake/webhooks", timeout=10).json()
    assert [e["url"] for e in hooks["endpoints"]] == [demo["shop"] + "/dividebuy/webhooks/diseller"]
    assert "secret" not in str(hooks["endpoints"])


def test_pay_complete_and_refund_a_diseller_order(demo: dict[str, str]) -> None:
    shop, fake, sandbox = demo["shop"], demo["fake"], demo["sandbox"]
    admin = httpx.get(f"{fake}/_fake/", timeout=10).text
    link = re.search(rf'<a href="([^"]*order={ORDER})">Pay with DivideBuy', admin)
    assert link, admin
    pay = link.group(1).replace("&amp;", "&")
    assert pay.startswith(shop)
    with httpx.Client(timeout=20) as http:
        page = http.get(pay)
        assert page.status_code == 200 and f'value="{ORDER}"' in page.text
        found = http.post(
            pay.split("?")[0],
            data={"csrf_token": csrf_token(page.text), "order_number": ORDER, "email": EMAIL},
        )
        assert found.status_code == 303, found.text
        form = http.get(shop + found.headers["location"])
        assert "1,298.00" in form.text  # £1,249.00 sofa + £49.00 shipping, from minor units
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

    def sandbox_state() -> dict[str, object]:
        state: dict[str, object] = loads(httpx.get(f"{sandbox}/_sandbox/state", timeout=10).content)
        return state

    def press(action: str, **extra: str) -> None:
        pressed = httpx.post(
            f"{fake}/_fake/ui/order",
            data={"order_id": ORDER, "action": action, **extra},
            timeout=30,
        )
        assert pressed.status_code == 303, pressed.text

    press("complete")
    eventually(lambda: sandbox_state()["settle_calls"] == 1, "the settlement at the sandbox")
    press("refund", amount="15000")
    refunds = sandbox_state()["refunds"]
    assert isinstance(refunds, list) and [r["amount"] for r in refunds] == [Decimal("150.00")]
    deliveries = httpx.get(f"{fake}/_fake/webhooks", timeout=10).json()["deliveries"]
    assert {d["type"]: d["status"] for d in deliveries}["refund.processed"] == 200
