"""The accessibility helper: it fails a broken page, passes a sound one, skips without npm."""

from __future__ import annotations

import re
from typing import Any

import pytest

from . import axe

SOUND = (
    '<!doctype html><html lang="en-GB"><head><title>Sound</title></head><body>'
    "<main><h1>Fine</h1><p>Plain text.</p></main></body></html>"
)
BROKEN = (
    "<!doctype html><html><head><title>Broken</title></head><body>"
    '<main><h1>Broken</h1><img src="data:,"><pre>' + "wide " * 300 + "</pre></main>"
    "</body></html>"
)
STRICT = {"Content-Type": "text/html", "Content-Security-Policy": "default-src 'none'"}


def _serve(page: Any, html: str) -> None:
    page.route("http://pages.test/", lambda route: route.fulfill(body=html, headers=STRICT))
    page.goto("http://pages.test/")


def test_a_sound_page_passes_under_a_policy_that_forbids_every_script(page, axe_script, artifacts):
    _serve(page, SOUND)
    shots = axe.check_page(page, artifacts, "axe-helper-sound")
    assert [shot.name for shot in shots] == [
        "axe-helper-sound-1280.png",
        "axe-helper-sound-390.png",
    ]
    assert all(shot.stat().st_size > 0 for shot in shots)


def test_a_broken_page_fails_with_the_rules_and_the_overflow_named(page, axe_script, artifacts):
    _serve(page, BROKEN)
    with pytest.raises(pytest.fail.Exception) as failure:
        axe.check_page(page, artifacts, "axe-helper-broken")
    message = str(failure.value)
    assert "html-has-lang" in message and "image-alt" in message
    assert re.search(r"scrolls sideways by \d+ px; too wide: [^\n]*\bpre\b", message)
    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        axe.assert_accessible(page)
    with pytest.raises(pytest.fail.Exception, match="scrolls sideways by"):
        axe.assert_no_horizontal_scroll(page)


def test_without_npm_axe_core_is_unavailable_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.delenv("DIVIDEBUY_AXE_JS", raising=False)
    monkeypatch.setattr(axe.shutil, "which", lambda name: None)
    with pytest.raises(axe.AxeUnavailable, match="npm is not installed"):
        axe.obtain_axe(cache=tmp_path / "axe-core")


def test_a_cached_copy_is_used_without_npm(tmp_path, monkeypatch):
    monkeypatch.delenv("DIVIDEBUY_AXE_JS", raising=False)
    script = tmp_path / "axe-core" / "package" / "axe.min.js"
    script.parent.mkdir(parents=True)
    script.write_text("window.axe = {};")
    monkeypatch.setattr(axe.shutil, "which", lambda name: None)
    assert axe.obtain_axe(cache=tmp_path / "axe-core") == script
