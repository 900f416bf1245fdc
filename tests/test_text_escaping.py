"""Text from a file is data: the Markdown and Plotly escapers show it literally.

Oracle for Markdown: markdown-it-py, a CommonMark renderer, with GitHub's extensions (tables,
strikethrough, autolinked URLs) and dollar math, i.e. the syntax Streamlit's renderer
(react-markdown with remark-gfm and remark-math) understands. Streamlit's own directives
(:red[...], :material/...:, emoji shortcodes) all start with ':', which must come out escaped.
"""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from sarcoma.formatting import WORD_JOINER, markdown_escape, plotly_text

RENDERER = MarkdownIt("gfm-like").use(dollarmath_plugin)
PAYLOADS = (
    "![x](http://127.0.0.1:9/beacon.png)",
    '<a href="http://evil.example">UPS</a>',
    "<img src=x onerror=alert(1)>",
    "**bold** _it_ ~~gone~~ `code`",
    "$\\LaTeX$ and $$x$$",
    ":red[alarm] :material/warning: :smile:",
    "[link](javascript:alert(1))",
    "www.evil.example and mail@evil.example and https://evil.example",
    "# heading",
    "- list item",
    "1. ordered",
    "> quote",
    "| a | b |",
    "=HYPERLINK(\"http://evil\")",
    "Zürich & Αθήνα <3",
)


def visible_text(markdown: str) -> tuple[str, list[str]]:
    """The text a reader sees, and the HTML tags the renderer produced besides the paragraph."""
    out = RENDERER.render(markdown)
    tags = [t for t in re.findall(r"<\s*([a-zA-Z]+)", out) if t not in ("p",)]
    # The word joiners the escaper inserts are invisible: a reader does not see them.
    return html.unescape(re.sub(r"<[^>]+>", "", out)).replace(WORD_JOINER, "").strip(), tags


def single_line(text: str) -> str:
    return " ".join(text.splitlines())


def test_every_payload_renders_as_its_own_text_and_nothing_else():
    for payload in PAYLOADS:
        shown, tags = visible_text(markdown_escape(payload))
        assert tags == [], (payload, tags)
        assert shown == payload


def test_streamlit_directives_and_math_are_defused():
    escaped = markdown_escape(":red[x] $y$ :material/home:")
    # Every ':' and '$' carries a backslash, so no directive, icon, shortcode or formula forms.
    assert not re.search(r"(?<!\\)[:$]", escaped)


def test_patterns_streamlit_finds_after_escaping_are_broken():
    """Autolink literals and emoji/icon shortcodes are found in the text after escapes are
    resolved (mdast transforms), so the escaper breaks them with an invisible word joiner; the
    browser test checks that the rendered page holds no such link."""
    escaped = markdown_escape("see http://evil.example, www.evil.example, a@evil.example :smile:")
    visible = re.sub(r"\\(.)", r"\1", escaped)  # what the text nodes hold once escapes resolve
    assert "://" not in visible and "www." not in visible
    assert not re.search(r"@[^\u2060]", visible) and not re.search(r":[\w+/-]", visible)
    # A colon before a space cannot start a shortcode: our own "Log-rank: p" stays as typed.
    assert WORD_JOINER not in markdown_escape("Log-rank: χ² = 4.50, df = 1, p = 0.034")


def test_numbers_and_ordinary_words_stay_readable():
    assert markdown_escape("n = 12 of 72 patients") == "n = 12 of 72 patients"
    assert markdown_escape("median 4.6 months (3.2-5.9), p = 0.027") == "median 4.6 months (3.2-5.9), p = 0.027"


@given(st.text(max_size=80))
def test_any_text_renders_literally(text):
    expected = single_line(text).strip()
    shown, tags = visible_text(markdown_escape(text))
    assert tags == []
    # CommonMark collapses runs of spaces at line ends and drops NULs; compare modulo whitespace.
    assert " ".join(shown.replace("\ufffd", "\x00").split()) == " ".join(expected.split())


@given(st.text(max_size=80))
def test_plotly_text_has_no_tags_and_decodes_back(text):
    out = plotly_text(text)
    assert re.sub(r"<br>", "", out).count("<") == 0
    assert "%{" not in out
    back = html.unescape(out.replace("<br>", "\n"))
    assert back == "\n".join(text.splitlines())


def test_plotly_text_turns_newlines_into_line_breaks():
    assert plotly_text('Histotype:\n<a href="x">UPS</a> (n=3)') == 'Histotype:<br>&lt;a href="x"&gt;UPS&lt;/a&gt; (n=3)'
