"""Page, HTML report and deck render the same View: same numbers, same colour per group, same
warnings, for several filter states (the issue's example: with a line filter, group '2' was
orange on the page and blue in the report)."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

import pytest
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from sarcoma.filters import FilterState, apply_filters, with_derived_columns
from sarcoma.ingest import load_cohort
from sarcoma.report.collect import ReportOptions, collect_report
from sarcoma.report.html_report import html_report
from sarcoma.report.pptx_report import pptx_report
from sarcoma.views.survival import SurvivalOptions
from tests.rendered import rendered

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"
STATES = {
    "no filter": ({}, FilterState()),
    "lines 2 and >=3": ({"line": ["2", "≥3"]}, FilterState(lines=("2", "≥3"))),
    "three histotypes": ({"histotype": ["UPS", "LMS", "Kaposi sarcoma"]}, FilterState(histotypes=("UPS", "LMS", "Kaposi sarcoma"))),
    "one line only": ({"line": ["1"]}, FilterState(lines=("1",))),
}


def _lines(spec: dict) -> dict[str, str]:
    return {tr["meta"]: tr["line"]["color"] for tr in spec["data"] if tr.get("mode") == "lines" and tr.get("name") and tr.get("meta")}


@pytest.fixture(scope="module")
def cohort():
    return load_cohort(SAMPLE)[0]


@pytest.mark.parametrize("state_name", list(STATES))
def test_page_report_and_deck_show_the_same_view(cohort, state_name):
    widgets, state = STATES[state_name]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("pages/survival.py")
    at.run()
    at.selectbox(key="surv_group").set_value("line").run()
    for key, value in widgets.items():
        at.sidebar.multiselect(key=key).set_value(value).run()
    assert not at.exception
    page_spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    page_warnings = [rendered(w.value) for w in at.warning]
    bold = [rendered(m.value).strip("*") for m in at.main.markdown if m.value.startswith("**")]

    result = apply_filters(cohort, state)
    options = ReportOptions(survival=SurvivalOptions(grouping="line"))
    sections, meta = collect_report(result, options, dataset=with_derived_columns(cohort, FilterState()))
    km = next(s for s in sections if s.key == "km-pfs")
    report_spec = json.loads(km.figure.to_json())
    titles = {s.title for s in sections}
    page_lines = [t for t in bold if t not in titles]  # the view's result lines (test, HR), not table titles

    # Same groups, same colours, same legend (n and median), same test line.
    assert _lines(report_spec) == _lines(page_spec)
    assert [tr.get("name") for tr in report_spec["data"]] == [tr.get("name") for tr in page_spec["data"]]
    assert report_spec["layout"]["title"]["subtitle"]["text"] == page_spec["layout"]["title"]["subtitle"]["text"]
    # Same warnings and result lines: the report's notes start with the view's lines and warnings.
    assert set(page_lines) <= set(km.notes), (page_lines, km.notes)
    assert set(page_warnings) <= set(km.notes), (page_warnings, km.notes)
    assert page_lines or page_warnings  # each state shows a result line or says why not
    if state_name == "one line only":  # the grouping cannot apply: all three surfaces say why
        assert any(w.startswith("Compare by Line of therapy (1 / 2 / ≥3): not shown") for w in page_warnings)

    # The HTML report prints them (escaped) and carries the figure with the same colours.
    doc = html_report(sections, meta).decode("utf-8")
    for text in page_warnings + page_lines:
        assert html.escape(text, quote=True) in doc
    for colour in _lines(page_spec).values():
        assert colour in doc

    # The deck's KM slide: the same figure (as a picture) with every note in the speaker notes.
    deck = Presentation(io.BytesIO(pptx_report(sections, meta, render=lambda s: _png(), deck=["km-pfs"])))
    notes = deck.slides[1].notes_slide.notes_text_frame.text
    for text in page_warnings + page_lines:
        assert text in notes


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(buf, format="PNG")
    return buf.getvalue()
