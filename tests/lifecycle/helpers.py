"""What the lifecycle tests do to the example shop over HTTP, beyond the checkout's Shopper."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from support import ROOT

from tests.checkout.conftest import Shop, Shopper, _token

API_KEY = "lifecycle-backoffice-key-0123456789"


def pay_by_card(shopper: Shopper) -> httpx.Response:
    """The shop's own "pay by card" button on the order page (a CSRF-protected POST)."""
    page = shopper.order_page()
    response = shopper.http.post(
        f"/orders/{shopper.order_id}/pay-by-card", data={"csrf_token": _token(page.text)}
    )
    assert response.status_code == 303, response.text
    return response


def quote_id_of(checkout_url: str) -> str:
    """The quote id in DivideBuy's hosted page address (``…/checkout/<quote id>``)."""
    return checkout_url.rstrip("/").rsplit("/", 1)[-1]


def cli_env(shop: Shop, events_file: Path) -> dict[str, str]:
    """The console CLI's environment for the shop's database and the session sandbox."""
    settings = shop.app.extensions["dividebuy"].client.settings
    return {
        **os.environ,
        "DIVIDEBUY_DATABASE_URL": shop.app.config["DIVIDEBUY_DATABASE_URL"],
        "DIVIDEBUY_ENVIRONMENT": "local",
        "DIVIDEBUY_BASE_URL": shop.sandbox.url,
        "DIVIDEBUY_CLIENT_ID": settings.client_id,
        "DIVIDEBUY_CLIENT_SECRET": "shop-secret",
        "LIFECYCLE_EVENTS": str(events_file),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
    }


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``dividebuy-checkout …`` as a real process (the console entry point, not Flask)."""
    return subprocess.run(
        [sys.executable, "-m", "dividebuy_checkout", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(ROOT),
    )


def backoffice(shop: Shop, path: str, body: Any, *, key: str = API_KEY) -> httpx.Response:
    return httpx.post(
        f"{shop.url}/dividebuy/backoffice{path}",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=15,
    )
