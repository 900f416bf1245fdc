"""Number formatting shared by every table and figure, so a p-value reads the same everywhere."""

from __future__ import annotations

import html
import math
import re
from decimal import ROUND_HALF_UP, Decimal


def p_value_text(p: float | None) -> str:
    """"<0.001" or three decimals rounded half up, as SPSS prints; "" when not computed.

    Python's f"{p:.3f}" rounds the binary float (0.0275 -> "0.027"); SPSS and the papers
    round the decimal value half up (0.0275 -> "0.028")."""
    if p is None or not math.isfinite(p):
        return ""
    if p < 0.001:
        return "<0.001"
    return str(Decimal(repr(float(p))).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def in_sentence(label: str) -> str:
    """A label inside a sentence: "Best response (CR/PR vs SD/PD)" -> "best response (CR/PR vs
    SD/PD)"; only the first letter is lowered, and not for an acronym ("UPS", "ICI + TKI")."""
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def decimal_text(value: float, digits: int) -> str:
    """`value` rounded half up to `digits` decimals (as SPSS and papers print), "" if missing."""
    if value is None or not math.isfinite(value):
        return ""
    return str(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def hr_text(hr: float, lower: float, upper: float) -> str:
    """A hazard ratio with its CI, 2 decimals: "0.52 (0.29-0.93)"."""
    if hr is None or not math.isfinite(hr):
        return "not estimable"
    ci = f" ({decimal_text(lower, 2) or 'not estimable'}-{decimal_text(upper, 2) or 'not estimable'})"
    return decimal_text(hr, 2) + ci


def percent_ci_text(proportion: float, lower: float, upper: float, digits: int = 1) -> str:
    """A proportion and its CI as percentages: "58.3% (27.7-84.8)"."""
    if proportion is None or not math.isfinite(proportion):
        return "not estimable"
    return f"{decimal_text(100 * proportion, digits)}% ({decimal_text(100 * lower, digits)}-{decimal_text(100 * upper, digits)})"


# Text from a file is data. Streamlit renders labels, captions and messages as Markdown (links,
# images that the browser fetches, LaTeX, :color[...] directives) and Plotly renders a subset of
# HTML in every label (<a href>, <span style>). Both escapers make such text display literally.

# Characters that start inline markup anywhere in a line: escapes, code, emphasis, strikethrough,
# links and images ([), raw HTML and autolinks (<), LaTeX ($), Streamlit directives, emoji and
# icons (:), entities (&), e-mail autolinks (@), table cells (|). A '.' before a letter is
# escaped too, which breaks 'www.host' autolinks, while numbers such as 0.027 stay readable.
_INLINE_SPECIAL = re.compile(r"([\\`*_~\[\]<>$:&@|]|\.(?=[^\W\d_]))")
# Block markup only counts at the start of a line: headings, lists, quotes, ordered lists.
_BLOCK_START = re.compile(r"^(\d*)([-+#>=]|(?<=\d)[.)])")


# Streamlit's renderer finds some patterns in the text after escapes are resolved (GFM autolink
# literals such as http://x, www.x and a@b.c; emoji and icon shortcodes such as :smile:), so a
# backslash cannot stop them. An invisible WORD JOINER breaks each pattern without changing what
# the reader sees: after a ':' or '@' that a name or a '/' follows, and inside 'www.'. A colon
# followed by a space (our own "Log-rank: p = ...") cannot start one and stays as typed, so
# copied results carry no invisible character.
WORD_JOINER = "\u2060"
_TEXT_PATTERNS = re.compile(r"(\\[:@](?=[\w+/-])|(?i:www)(?=\\\.))")


def markdown_escape(text: object) -> str:
    """`text` shown literally inside Streamlit Markdown (st.markdown, captions, messages, widget
    labels). Backslash escapes (CommonMark allows one before any ASCII punctuation) stop links,
    images the browser would fetch, emphasis, LaTeX and :color[...] directives from forming;
    line breaks become spaces and edge whitespace goes, so the text cannot start a heading,
    list or indented code block of its own."""
    flat = " ".join(str(text).splitlines()).strip()
    flat = _INLINE_SPECIAL.sub(r"\\\1", flat)
    flat = _TEXT_PATTERNS.sub(lambda m: m.group(1) + WORD_JOINER, flat)
    return _BLOCK_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", flat, count=1)


def plotly_text(text: object) -> str:
    """`text` shown literally in a Plotly label, title or hover: '&', '<' and '>' as entities
    (Plotly decodes &amp; &lt; &gt; and numeric ones, not &quot;; without '<' no tag can form),
    '%{' defused so a hovertemplate does not read it as a variable, newlines as Plotly's <br>."""
    escaped = html.escape(str(text), quote=False).replace("%{", "%&#123;")
    return "<br>".join(escaped.splitlines())
