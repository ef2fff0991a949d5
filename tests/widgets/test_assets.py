"""The web component's files: small, self-contained, and CSP-safe by construction."""

from __future__ import annotations

import gzip
import re
from importlib import resources

import pytest

STATIC = resources.files("dividebuy_checkout") / "static"


def text(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "limit"), [("widget.js", 15 * 1024), ("widget.css", 5 * 1024)])
def test_gzip_size_budget(name, limit):
    assert len(gzip.compress((STATIC / name).read_bytes(), 9)) <= limit


def test_the_script_never_parses_html_or_sets_styles():
    source = text("widget.js")
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", ".style",
                  "eval(", "new Function", "setAttribute(\"style\"", "setTimeout(\""):  # fmt: skip
        assert risky not in source, risky


def test_the_script_and_stylesheet_load_nothing_from_elsewhere():
    for name in ("widget.js", "widget.css"):
        source = text(name)
        assert not re.search(r"https?://", source), name
        assert "@import" not in source and "url(" not in source, name
    assert "import " not in text("widget.js").replace("import.meta", "")  # no module imports


def test_the_component_is_an_es_module_defining_its_element_once():
    source = text("widget.js")
    assert "export class DivideBuyInstalments extends HTMLElement" in source
    assert 'customElements.define("dividebuy-instalments"' in source
    assert 'if (!customElements.get("dividebuy-instalments"))' in source
