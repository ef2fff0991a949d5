"""Tried as a new user would: a clean clone, the README's first command, a purchase in Chromium.

The project's files (what ``git clone`` would give, plus new files not ignored)
are copied to a fresh folder, and ``python3 dev.py shop --port 0`` is run there
with its own virtual environment, exactly as the README says. Only two
shortcuts: the new environment sees the already-installed dependencies (so the
test does not download Flask), and ``--port 0`` avoids a clash with a shop a
developer is already running. Then a headless Chromium buys the walnut desk on
DivideBuy through the embedded sandbox, and the screenshots are kept.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import sysconfig
import threading
import time
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import copy_clean_checkout  # tests/support.py

from .conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STARTED = re.compile(r"running at (http://127\.0\.0\.1:\d+/)")


@pytest.fixture(scope="module")
def readme_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The shop as ``python3 dev.py shop`` starts it in a clean clone; its address."""
    readme = (ROOT / "README.md").read_text()
    assert "python3 dev.py shop" in readme.split("```sh", 1)[1].split("```", 1)[0]
    clone = copy_clean_checkout(tmp_path_factory.mktemp("clean-clone"))
    environment = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(environment)
    site = Path(
        sysconfig.get_paths(vars={"base": str(environment), "platbase": str(environment)})[
            "purelib"
        ]
    )
    # The dependencies already installed for the tests, without their .pth files (so the
    # working tree's own editable install is not seen): dev.py installs the clone itself.
    (site / "zz_installed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {
        **os.environ,
        "DIVIDEBUY_VENV": str(environment),
        "PIP_NO_DEPS": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PYTHONPATH", None)
    process = subprocess.Popen(
        [sys.executable, "dev.py", "shop", "--port", "0", "--reconcile-every", "0"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    found = threading.Event()
    address: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            match = STARTED.search(line)
            if match and not found.is_set():
                address.append(match.group(1))
                found.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 180
    while not found.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("The README's first command did not start the shop:\n" + "".join(output))
    try:
        yield address[0]
    finally:
        process.send_signal(signal.SIGTERM)  # stops it as Ctrl-C does
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_purchase_through_the_sandbox_in_a_real_browser(
    readme_shop: str, page: Any, artifacts: Path
):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(readme_shop)
    page.get_by_role("link", name="Walnut writing desk").click()
    page.get_by_role("button", name="Add to basket").click()
    page.get_by_role("link", name="Go to checkout").click()
    for label, value in {
        "First name": "Ada",
        "Last name": "Lovelace",
        "Email": "ada@example.com",
        "Mobile number": "07400 123456",
        "House number": "12",
        "Street": "Acacia Avenue",
        "Town or city": "Leeds",
        "Postcode": "LS1 4AP",
    }.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("link", name="Pay with DivideBuy").click()

    page.get_by_label("Title").select_option("Ms")
    page.get_by_label("Day", exact=True).fill("23")
    page.get_by_label("Month", exact=True).fill("7")
    page.get_by_label("Year", exact=True).fill("1985")
    page.get_by_label("Nationality").fill("British")  # typed, with a type-ahead list
    page.locator("#address_years").fill("5")
    page.locator("#address_months").fill("2")
    page.get_by_label("Employed full-time").check()
    page.get_by_label("No, renting").check()
    page.get_by_label("Monthly rent or mortgage payment, in whole pounds").fill("650")
    page.get_by_label(re.compile(r"^12 months: £74\.92 a month")).check()
    page.get_by_label("Which day of the month should payments be taken?").select_option("28")
    page.screenshot(path=str(artifacts / "checkout-application-form.png"), full_page=True)
    page.get_by_role("button", name="Continue to DivideBuy").click()

    page.get_by_role("heading", name="Your DivideBuy application").wait_for()
    assert "DivideBuy SANDBOX" in page.content()
    page.get_by_role("button", name="Sign agreement and pay first instalment").click()

    status = page.locator("#order-status")
    status.wait_for()
    page.screenshot(path=str(artifacts / "checkout-purchase-paid.png"), full_page=True)
    assert status.inner_text() == "Status: paid · paid with DivideBuy"
    assert "DivideBuy reference" in page.locator("#finance-status").inner_text()
    assert all(url.startswith("http://127.0.0.1:") for url in requests), requests
    assert (artifacts / "checkout-purchase-paid.png").stat().st_size > 10_000
