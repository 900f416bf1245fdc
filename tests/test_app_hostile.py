"""AppTest: a file whose text cells, headers and name carry Markdown and HTML payloads is shown
literally on every page: no exception, and no payload reaches Markdown or Plotly unescaped.

Markdown is what Streamlit renders in st.markdown, captions, messages, titles and widget labels
(an image there makes the browser fetch an outside URL); Plotly renders HTML tags in legends,
ticks, titles and hovers. Table cells (st.dataframe) are plain text and not checked.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.rendered import rendered

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"
PAGES = ("data", "cohort", "survival", "subgroups", "response", "safety", "models", "report")

IMAGE = "![x](http://127.0.0.1:9/beacon.png)"
LINK = '<a href="http://evil.example">UPS</a>'
MARKUP = "**bold** :red[x] $\\LaTeX$ [y](http://evil.example)"
FORMULA = '=HYPERLINK("http://evil.example","x")'
PAYLOADS = (IMAGE, LINK, MARKUP, FORMULA)
HEADER = "![h](http://127.0.0.1:9/header.png)"
FILE_NAME = "<b>centre</b> ![f](http://127.0.0.1:9/name.png).csv"
UNESCAPED_MARKUP = re.compile(r"(?<!\\)\]\(|(?<!\\)<[a-z/]|(?<!\\):red\[")
TEXT_KINDS = ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader")
WIDGET_KINDS = ("selectbox", "multiselect", "radio", "slider", "number_input", "toggle", "button", "checkbox")


def hostile_csv() -> bytes:
    """24 sample patients with payloads in the centre, histotype, regimen, discontinuation and
    biomarker text columns, and an unrecognised column whose header is a payload."""
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).iloc[:24].copy()
    raw["center"] = [PAYLOADS[i % 4] for i in range(len(raw))]
    raw["histotype"] = [LINK if i < 6 else h for i, h in enumerate(raw["histotype"])]
    raw["regimen"] = [MARKUP if i < 5 else r for i, r in enumerate(raw["regimen"])]
    raw["discontinuation_reason"] = [IMAGE if i < 3 else r for i, r in enumerate(raw["discontinuation_reason"])]
    raw["pdl1"] = [MARKUP if i < 2 else v for i, v in enumerate(raw["pdl1"])]
    raw[HEADER] = "free text"
    buf = io.StringIO()
    raw.to_csv(buf, index=False)
    return buf.getvalue().encode()


def shown_texts(at: AppTest) -> list[tuple[str, str]]:
    """Every Markdown-rendered string on the page and in the sidebar, with its element kind."""
    out = []
    for kind in TEXT_KINDS:
        out += [(kind, str(el.value)) for el in at.get(kind)]
    for kind in WIDGET_KINDS:
        for el in at.get(kind):
            out += [(f"{kind} label", str(el.label))]
            if getattr(el, "help", None):
                out += [(f"{kind} help", str(el.help))]
    out += [("tab", str(t.label)) for t in at.get("tab")]
    out += [("expander", str(e.label)) for e in at.expander]
    return out


def plotly_specs(at: AppTest) -> list[str]:
    return [json.loads(el.proto.spec) and el.proto.spec for el in at.get("plotly_chart")]


def assert_nothing_unescaped(at: AppTest, page: str) -> None:
    for kind, text in shown_texts(at):
        for payload in (*PAYLOADS, HEADER, FILE_NAME):
            assert payload not in text, (page, kind, text)
        # Markup that only forms from unescaped characters: a link/image target, a tag, a directive.
        assert not UNESCAPED_MARKUP.search(text), (page, kind, text)
    for spec in plotly_specs(at):
        for tag in ("<a ", "<b>centre", "\\u003ca ", "\\u003cb\\u003ecentre"):  # our own <b> headings are fine
            assert tag not in spec, (page, tag)


@pytest.fixture(scope="module")
def hostile_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.file_uploader(key="upload").set_value((FILE_NAME, hostile_csv(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_hostile_file_literally(hostile_app: AppTest, page: str):
    at = hostile_app
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page == "survival":
        at.selectbox(key="surv_group").set_value("center").run()
        assert len(at.get("plotly_chart")) == 1
    if page == "cohort":
        at.selectbox(key="cohort_by").set_value("center").run()
    if page == "subgroups":
        assert "center" in at.multiselect(key="sg_vars").value
    assert not at.exception, [e.value for e in at.exception]
    assert_nothing_unescaped(at, page)


def test_the_payloads_did_reach_the_pages(hostile_app: AppTest):
    """The test above is not vacuous: the payloads are on the pages, escaped."""
    at = hostile_app
    at.switch_page("pages/survival.py")
    at.run()
    at.selectbox(key="surv_group").set_value("center").run()
    spec = plotly_specs(at)[0]
    assert "&lt;a href=" in spec or "\\u0026lt;a href=" in spec
    sidebar = " ".join(str(m.value) for m in at.sidebar.markdown)
    assert "\\!\\[f\\]" in sidebar or "!\\[f\\]" in sidebar  # the file name, escaped


def test_every_page_opens_when_all_follow_up_is_short():
    """All PFS/OS times <= 0.5 months (e.g. a file exported right after the first patients
    started): the RMST horizon slider used to fail with min_value == max_value."""
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).iloc[:20].copy()
    for col in ("pfs_months", "os_months"):
        raw[col] = [f"{0.1 + 0.02 * i:.2f}" for i in range(len(raw))]
    for col in ("treatment_start", "progression_date", "death_date", "last_follow_up"):
        raw[col] = ""
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.file_uploader(key="upload").set_value(("short.csv", raw.to_csv(index=False).encode(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    for page in PAGES:
        at.switch_page(f"pages/{page}.py")
        at.run()
        assert not at.exception, (page, [e.value for e in at.exception])
        if page == "models":  # the RMST tab says why there is no horizon to choose
            assert any("longest possible horizon is 0.48 months" in rendered(i.value) for i in at.info)


# ---------------------------------------------------------------- the hostile corpus, page by page

CORPUS = ROOT / "tests" / "data" / "hostile"
READABLE = ("payload.csv", "payload.xlsx", "paediatric.csv", "aya.csv", "zero_follow_up.csv", "ragged_long.csv",
            "ragged_short.csv", "ragged.xlsx", "footer_totals.csv", "repeated_header.csv", "id_only_rows.csv",
            "trailing_separators.csv", "excel_blocks.csv")
REFUSED = ("nul_early.csv", "nul_late.csv", "unclosed_quote.csv")


@pytest.mark.slow
@pytest.mark.parametrize("name", READABLE)
def test_every_page_opens_on_each_readable_hostile_file(name: str):
    """Each corpus file that ingest reads opens every page without an exception, under the
    hostile file name, and nothing Markdown renders holds an unescaped payload."""
    from tests.data.hostile.make_hostile import (
        HOSTILE_FILE_NAME,
        PAYLOAD_CENTRES,
        PAYLOAD_HEADERS,
        PAYLOADS,
    )

    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.file_uploader(key="upload").set_value((HOSTILE_FILE_NAME if name.startswith("payload") else name,
                                              (CORPUS / name).read_bytes(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]  # read, not refused
    for page in PAGES:
        at.switch_page(f"pages/{page}.py")
        at.run()
        assert not at.exception, (name, page, [e.value for e in at.exception])
        for kind, text in shown_texts(at):
            for payload in (*PAYLOADS, *PAYLOAD_HEADERS, *PAYLOAD_CENTRES, HOSTILE_FILE_NAME):
                assert payload not in text or not UNESCAPED_MARKUP.search(payload), (name, page, kind, text)
            assert not UNESCAPED_MARKUP.search(text), (name, page, kind, text)


@pytest.mark.parametrize("name", REFUSED)
def test_a_refused_hostile_file_gets_a_plain_message_and_keeps_the_data(name: str):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.file_uploader(key="upload").set_value((name, (CORPUS / name).read_bytes(), "text/csv")).run()
    assert not at.exception
    assert at.error and "Traceback" not in at.error[0].value
    assert any(m.value == "### n = 72 of 72 patients" for m in at.sidebar.markdown)  # the sample stays loaded
