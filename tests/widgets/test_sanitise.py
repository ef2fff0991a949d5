"""DivideBuy's example HTML lands in the shop's page: only a small allowlist survives."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dividebuy_checkout.widgets import build_view, sanitise_html, to_text

from .helpers import example_for, terms_for

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<strong onclick="alert(1)" onmouseover=alert(2)>Representative</strong>',
    '<a href="javascript:alert(1)">details</a>',
    '<a href="JaVaScRiPt:alert(1)">details</a>',
    '<a href="&#106;avascript:alert(1)">details</a>',
    '<a href="https://evil.example/" target=_blank>details</a>',
    '<span style="background:url(javascript:alert(1))">x</span>',
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example/"></iframe>',
    '<svg onload="alert(1)"><circle/></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<form action="https://evil.example/"><input name=card></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "<!-- <script>alert(1)</script> -->",
    '<p id="x" class="y" data-x="1">para</p>',
    "<template><script>alert(1)</script></template>",
    '<object data="javascript:alert(1)"></object>',
]

FORBIDDEN = ("<script", "onerror", "onclick", "onload", "onmouseover", "javascript:", "style",
             "<a ", "href", "<img", "<iframe", "<svg", "<form", "<input", "<meta", "<object",
             "<!--", " id=", " class=", "data-")  # fmt: skip


@pytest.mark.parametrize("markup", HOSTILE)
def test_hostile_markup_is_stripped(markup):
    clean = sanitise_html(
        f"<strong>Representative Example:</strong> {markup} Cash price £2,000.00."
    )
    lowered = clean.lower()
    for bad in FORBIDDEN:
        assert bad not in lowered, (bad, clean)
    assert clean.startswith("<strong>Representative Example:</strong>")
    assert "Cash price £2,000.00." in clean


def test_script_and_style_lose_their_content_not_just_their_tags():
    clean = sanitise_html("a<script>alert('x')</script><style>p{}</style>b")
    assert clean == "ab"


def test_allowed_formatting_survives():
    markup = "<p><strong>Rep</strong> <em>e</em> <b>b</b> <i>i</i><br><span>s</span></p>"
    assert sanitise_html(markup) == markup


def test_text_already_escaped_stays_text():
    clean = sanitise_html("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "<script" not in clean
    assert to_text(clean) == "<script>alert(1)</script>"  # plain text, for textContent only


def test_plain_text_keeps_words_apart_and_has_no_markup():
    assert to_text("<strong>Representative Example:</strong><br>Cash &amp; carry<p>x</p>") == (
        "Representative Example: Cash & carry x"
    )


def test_the_view_only_carries_the_sanitised_example():
    hostile = (
        '<strong onclick="x()">Representative Example:</strong><script>steal()</script> 9.9% APR'
    )
    view = build_view(
        Decimal("2000.00"), terms_for("2000.00"), example_for("2000.00", 36, html=hostile)
    )
    assert view.example.html == "<strong>Representative Example:</strong> 9.9% APR"
    assert view.example.text == "Representative Example: 9.9% APR"
    assert "steal" not in str(view.to_dict())


def test_an_example_that_sanitises_to_nothing_counts_as_missing():
    view = build_view(
        Decimal("2000.00"),
        terms_for("2000.00"),
        example_for("2000.00", 36, html="<script>only()</script>"),
    )
    assert view.example is None
    assert all(term.interest_free for term in view.terms)
