"""Accessibility and layout checks for browser tests: axe-core, sideways scroll, screenshots.

Use it on any page a Playwright test has open::

    from .axe import assert_accessible, assert_no_horizontal_scroll, check_page

    def test_my_page(page, artifacts):
        page.goto(url)
        check_page(page, artifacts, "shop-basket")   # 1280 and 390 px: axe, scroll, PNGs

or piece by piece: ``assert_accessible(page)`` (axe-core finds 0 violations, else the
test fails with a readable list), ``assert_no_horizontal_scroll(page)``,
``screenshot(page, artifacts, name)`` (``artifacts/<name>-<width>.png``, full page).
:func:`check_page` runs all three at each width in :data:`WIDTHS` and reports every
problem at once, after every screenshot is taken, so a failing run still leaves the
pictures to look at.

Where axe-core comes from: the npm registry, by the project's own script
(:func:`obtain_axe`: ``npm pack axe-core@4`` into ``.cache/axe-core/``, git-ignored),
fetched lazily the first time a test needs it and reused after. Without npm or the
registry the test is skipped with the reason, unless ``DIVIDEBUY_REQUIRE_BROWSER=1``
(CI), where that is a failure, the same rule ``conftest.py`` applies to Chromium.
``DIVIDEBUY_AXE_JS=/path/to/axe.min.js`` uses a copy you already have.

axe-core is injected with ``page.evaluate`` (the DevTools protocol), not a
``<script>`` tag, so it runs on pages whose Content-Security-Policy forbids every
script (the sandbox's hosted page, the plugin's pages) without weakening that policy
for the test.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "AXE_PACKAGE",
    "AXE_TAGS",
    "WIDTHS",
    "AxeUnavailable",
    "assert_accessible",
    "assert_no_horizontal_scroll",
    "axe_violations",
    "check_page",
    "format_violations",
    "horizontal_overflow",
    "obtain_axe",
    "obtain_axe_or_skip",
    "screenshot",
]

ROOT = Path(__file__).resolve().parents[2]
#: The npm package spec: the current axe-core 4.x (its rules only get stricter).
AXE_PACKAGE = "axe-core@4"
CACHE = ROOT / ".cache" / "axe-core"
#: The widths every page is checked at: a laptop and a 390 px phone.
WIDTHS = (1280, 390)
#: What axe checks by default: ``None`` runs every rule axe-core enables by default
#: (WCAG 2.x A and AA and its best practices: landmarks, one main, headings), which is
#: the bar, 0 violations; a tuple of tags (``("wcag2a", "wcag2aa")``) narrows it.
AXE_TAGS: tuple[str, ...] | None = None
NPM_TIMEOUT = 180


class AxeUnavailable(RuntimeError):
    """axe-core could not be had (no npm, no registry, a broken package)."""


def _require_browser() -> bool:
    return os.environ.get("DIVIDEBUY_REQUIRE_BROWSER") == "1"


def obtain_axe(cache: Path = CACHE, package: str = AXE_PACKAGE) -> Path:
    """The path of ``axe.min.js``, fetched with ``npm pack`` into *cache* the first time.

    The package is unpacked into a temporary folder and moved into place in one rename,
    so an interrupted or concurrent run never leaves half a copy behind.
    """
    given = os.environ.get("DIVIDEBUY_AXE_JS")
    if given:
        path = Path(given)
        if not path.is_file():
            raise AxeUnavailable(f"DIVIDEBUY_AXE_JS={given} is not a file")
        return path
    script = cache / "package" / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        raise AxeUnavailable("npm is not installed, so axe-core cannot be fetched")
    cache.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache.parent) as work:
        try:
            done = subprocess.run(
                [npm, "pack", package, "--json", "--pack-destination", work],
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AxeUnavailable(f"npm pack {package} failed: {exc}") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise AxeUnavailable(f"npm pack {package} failed (is the registry reachable?): {last}")
        try:
            tarball = Path(work) / json.loads(done.stdout)[0]["filename"]
            unpacked = Path(work) / "unpacked"
            with tarfile.open(tarball) as archive:
                archive.extractall(unpacked, filter="data")
        except (ValueError, KeyError, IndexError, OSError, tarfile.TarError) as exc:
            raise AxeUnavailable(f"the axe-core package could not be unpacked: {exc}") from None
        if not (unpacked / "package" / "axe.min.js").is_file():
            raise AxeUnavailable("the axe-core package has no axe.min.js")
        try:
            unpacked.rename(cache)
        except OSError:
            if not script.is_file():  # another run got there first, or a real failure
                raise
    return script


def obtain_axe_or_skip() -> Path:
    """:func:`obtain_axe`, or skip the test with the reason (fail it on CI)."""
    try:
        return obtain_axe()
    except AxeUnavailable as exc:
        if _require_browser():
            pytest.fail(f"{exc} and DIVIDEBUY_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(str(exc))


@functools.cache
def _axe_source_or_skip() -> str:
    return obtain_axe_or_skip().read_text(encoding="utf-8")


def axe_violations(page: Any, tags: Sequence[str] | None = AXE_TAGS) -> list[dict[str, Any]]:
    """Inject axe-core into *page* (if it is not there yet), run it, return its violations."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source_or_skip() + "\n;true")
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if tags is not None:
        options["runOnly"] = {"type": "tag", "values": list(tags)}
    result = page.evaluate("options => axe.run(document, options)", options)
    return list(result["violations"])


def format_violations(violations: Iterable[dict[str, Any]], limit: int = 5) -> str:
    """axe's violations as lines a person can act on: rule, impact, help, where and why."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'n/a'}): {violation['help']}"
            f" <{violation.get('helpUrl', '')}>"
        )
        nodes = violation.get("nodes", [])
        for node in nodes[:limit]:
            target = " ".join(str(t) for t in node.get("target", []))
            why = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {target}: {why[:300]}")
        if len(nodes) > limit:
            lines.append(f"    … and {len(nodes) - limit} more")
    return "\n".join(lines)


def assert_accessible(page: Any, tags: Sequence[str] | None = AXE_TAGS) -> None:
    """Fail the test unless axe-core finds 0 violations on the page as it is now."""
    violations = axe_violations(page, tags)
    if violations:
        pytest.fail(
            f"axe-core found {len(violations)} violation(s) on {page.url}:\n"
            + format_violations(violations),
            pytrace=False,
        )


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than its window (0: no sideways scroll)."""
    return int(
        page.evaluate("() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")
    )


def _widest(page: Any) -> list[str]:
    """Up to five elements that stick out of the window or overflow their own box."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                             || e.scrollWidth > e.clientWidth + 1)
                .slice(0, 5)
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                     + (e.className && typeof e.className === 'string'
                        ? '.' + e.className.trim().split(/\\s+/).join('.') : ''))"""
        )
    )


def assert_no_horizontal_scroll(page: Any) -> None:
    """Fail unless ``document.documentElement.scrollWidth <= innerWidth``; names what sticks out."""
    overflow = horizontal_overflow(page)
    if overflow:
        pytest.fail(
            f"{page.url} scrolls sideways by {overflow} px at "
            f"{page.viewport_size['width']} px; too wide: {', '.join(_widest(page))}",
            pytrace=False,
        )


def screenshot(page: Any, artifacts: Path, name: str) -> Path:
    """A full-page PNG at ``artifacts/<name>-<width>.png`` (CI keeps the folder)."""
    width = page.viewport_size["width"]
    path = artifacts / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_page(
    page: Any,
    artifacts: Path,
    name: str,
    widths: Sequence[int] = WIDTHS,
    tags: Sequence[str] | None = AXE_TAGS,
) -> list[Path]:
    """At each width: a screenshot, axe-core's violations, sideways scroll; fail with them all.

    The viewport is resized in place (no reload), so the page keeps its state (an open
    dialog, a filled form). Returns the screenshots' paths.
    """
    height = page.viewport_size["height"] if page.viewport_size else 900
    shots, problems = [], []
    for width in widths:
        page.set_viewport_size({"width": width, "height": height})
        shots.append(screenshot(page, artifacts, name))
        overflow = horizontal_overflow(page)
        if overflow:
            problems.append(
                f"at {width} px it scrolls sideways by {overflow} px; too wide: "
                + ", ".join(_widest(page))
            )
        violations = axe_violations(page, tags)
        if violations:
            problems.append(
                f"at {width} px axe-core found {len(violations)} violation(s):\n"
                + format_violations(violations)
            )
    if problems:
        pytest.fail(f"{name} ({page.url}):\n" + "\n".join(problems), pytrace=False)
    return shots
