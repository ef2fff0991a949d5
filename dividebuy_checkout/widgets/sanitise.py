"""Make DivideBuy's representative-example HTML safe to put in the shop's page.

The example arrives as HTML from an API and ends up inside the shop's product page, so it is
treated like any other untrusted markup: it goes through nh3 (the Rust *ammonia* sanitiser,
maintained and fuzzed) with a small allowlist — a few inline formatting tags, no attributes,
no links, no images, no styles. ``<script>``/``<style>`` lose their content as well as their
tags. Only the result of :func:`sanitise_html` is ever marked safe.

The web component never inserts HTML from the JSON endpoint: it uses the plain ``text``
(made here from the sanitised markup) with ``textContent``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import nh3

from ..models import RepresentativeExample

__all__ = [
    "ALLOWED_TAGS",
    "DROPPED_WITH_CONTENT",
    "SanitisedExample",
    "sanitise_example",
    "sanitise_html",
    "to_text",
]

#: Inline formatting the example uses ("<strong>Representative Example:</strong> …").
ALLOWED_TAGS = frozenset({"strong", "em", "b", "i", "br", "p", "span"})
#: Removed with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "iframe", "object"})

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={},
    url_schemes=set(),
    strip_comments=True,
    link_rel=None,
)
_TEXT_ONLY = nh3.Cleaner(
    tags=set(),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={},
    url_schemes=set(),
    strip_comments=True,
    link_rel=None,
)
#: block boundaries that become a space in the plain text (so "a<br>b" is "a b", not "ab")
_BREAKS = re.compile(r"<\s*(?:br|/?p)\b[^>]*>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def sanitise_html(markup: str) -> str:
    """*markup* reduced to the allowlist: safe to mark as ``Markup``."""
    return _CLEANER.clean(markup).strip()


def to_text(markup: str) -> str:
    """The words of *markup*, with no markup at all (for ``textContent`` and screen readers)."""
    spaced = _BREAKS.sub(" ", markup)
    return _SPACES.sub(" ", html.unescape(_TEXT_ONLY.clean(spaced))).strip()


@dataclass(frozen=True)
class SanitisedExample:
    """A representative example whose ``html`` has been sanitised and ``text`` extracted."""

    months: int
    apr: Decimal
    html: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.months,
            "apr": format(self.apr.normalize(), "f"),
            "html": self.html,
            "text": self.text,
        }


def sanitise_example(example: RepresentativeExample) -> SanitisedExample:
    clean = sanitise_html(example.html)
    return SanitisedExample(months=example.term, apr=example.apr, html=clean, text=to_text(clean))
