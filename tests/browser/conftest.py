"""Shared fixtures for tests that drive a real headless Chromium (Playwright's sync API).

Debian's ``/usr/bin/chromium`` is used (Playwright's own browser download is not
needed). Without it the tests are skipped with the reason, unless
``DIVIDEBUY_REQUIRE_BROWSER=1`` (CI), where a missing browser is a failure.
Screenshots are kept under ``artifacts/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("DIVIDEBUY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_browser() -> bool:
    return os.environ.get("DIVIDEBUY_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium) so no browser can run"
        if _require_browser():
            pytest.fail(message + " and DIVIDEBUY_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(message)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if _require_browser():
            pytest.fail("playwright is not installed (pip install -e '.[test]')", pytrace=False)
        pytest.skip("playwright is not installed (it comes with the [test] extra)")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_executable: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_executable), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (its own cookies) and page, en-GB, a laptop-sized window."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = ROOT / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def axe_script(chromium_executable: Path) -> Path:
    """axe-core's ``axe.min.js`` from the npm registry (fetched once into ``.cache/``).

    Skipped with the reason when npm or the registry is unavailable, a failure with
    ``DIVIDEBUY_REQUIRE_BROWSER=1``. Tests normally call :func:`tests.browser.axe.check_page`
    or ``assert_accessible`` (which fetch it lazily themselves); asking for this fixture
    first makes a missing axe-core a skip before the test starts its servers.
    """
    from .axe import obtain_axe_or_skip

    return obtain_axe_or_skip()
