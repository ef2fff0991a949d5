"""The "find your order" bridge page in a real browser: axe-clean and 390 px wide, empty and
with its error summary, and the keyboard path to the application form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dividebuy_checkout.integrations.recplus.fake import RecPlusFakeServer
from integrations.platform_app import ORDER, PlatformShop, build_platform_shop

from dividebuy_checkout.sandbox import SandboxServer

from .axe import check_page

pytestmark = pytest.mark.browser


@pytest.fixture
def platform_shop(sandbox: SandboxServer, tmp_path: Path) -> Iterator[PlatformShop]:
    with RecPlusFakeServer() as recplus:
        shop = build_platform_shop(sandbox, recplus, tmp_path)
        yield shop
        shop.stop()


def test_the_bridge_page_is_accessible_and_leads_to_the_form(
    page: Any, artifacts: Path, platform_shop: PlatformShop
) -> None:
    page.goto(f"{platform_shop.url}/dividebuy/start/recplus?order={ORDER}")
    check_page(page, artifacts, "bridge-empty")
    page.get_by_label("E-mail address").fill("not-the-buyer@example.com")
    page.get_by_role("button", name="Continue").click()
    summary = page.get_by_role("alert")
    assert "could not find an order" in summary.inner_text()
    check_page(page, artifacts, "bridge-miss")
    page.get_by_label("E-mail address").fill("ann.lee@example.co.uk")
    page.get_by_label("E-mail address").press("Enter")
    page.wait_for_url("**/dividebuy/apply/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Apply to pay with DivideBuy"
