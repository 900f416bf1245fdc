"""The PowerPoint deck, read back with python-pptx and PIL: title slide, one picture per figure
(a real PNG from Plotly's static export), native tables split over slides without losing or
reordering a row, and the core's numbers on the slides."""

import io
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from sarcoma.filters import FilterState, apply_filters
from sarcoma.km_summary import format_p, survival_by_group
from sarcoma.report.collect import ReportMeta, ReportOptions, Section, collect_report, display_frame
from sarcoma.report.exports import find_browser, start_static_export, stop_static_export
from sarcoma.report.pptx_report import (
    CAPTION_H,
    MARGIN,
    SLIDE_H,
    SLIDE_W,
    TITLE_H,
    paginate_rows,
    pptx_report,
)
from sarcoma.synthetic_seed import build_seed_cohort


@pytest.fixture(scope="session")
def static_export():
    if find_browser() is None:
        pytest.fail("PPTX figures need Chromium: install Debian's 'chromium' package (make test does it as root).")
    start_static_export()
    yield
    stop_static_export()


@pytest.fixture(scope="module")
def deck(static_export):
    cohort, ae = build_seed_cohort()
    result = apply_filters(cohort, FilterState(sexes=("Male",)))
    report = collect_report(result, ReportOptions(survival_grouping="line_2"), cohort_name="Centre Ωmega", adverse_events=ae)
    data = pptx_report(*report, dpi=150)
    return result, report, Presentation(io.BytesIO(data))


def slide_texts(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts += [c.text for row in shape.table.rows for c in row.cells]
    return "\n".join(parts)


def table_rows(slide) -> list[list[str]]:
    tables = [s.table for s in slide.shapes if s.has_table]
    assert len(tables) == 1
    return [[c.text for c in row.cells] for row in tables[0].rows]


@pytest.mark.slow  # renders every figure of the report through the browser
def test_title_slide(deck):
    result, (_, meta), prs = deck
    text = slide_texts(prs.slides[0])
    assert "Tumour board report" in text and "Centre Ωmega" in text
    assert f"n = {result.n} of 72 patients" in text and meta.date_text() in text
    assert "Sex: Male" in text  # the filter applied


@pytest.mark.slow  # renders every figure of the report through the browser
def test_one_picture_slide_per_figure(deck):
    _, (sections, _), prs = deck
    figures = [s for s in sections if s.kind == "figure"]
    picture_slides = [sl for sl in prs.slides if any(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in sl.shapes)]
    assert [sl.shapes.title.text for sl in picture_slides] == [s.title for s in figures]
    for slide, section in zip(picture_slides, figures, strict=True):
        pic = next(sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE)
        img = Image.open(io.BytesIO(pic.image.blob))
        assert img.format == "PNG" and img.info["dpi"] == pytest.approx((150, 150), abs=0.03)
        w = section.figure.layout.width or 1000
        h = section.figure.layout.height
        assert img.size == pytest.approx((w * 150 / 96, h * 150 / 96), abs=1)
        # Fits on the slide and keeps the figure's aspect ratio.
        assert pic.left >= 0 and pic.top >= 0 and pic.left + pic.width <= SLIDE_W and pic.top + pic.height <= SLIDE_H
        assert pic.width / pic.height == pytest.approx(w / h, rel=0.01)


@pytest.mark.slow  # renders every figure of the report through the browser
def test_km_slides_carry_the_p_value_and_the_median_table(deck):
    result, _, prs = deck
    for endpoint, title in (("PFS", "Progression-free survival"), ("OS", "Overall survival")):
        res = survival_by_group(result.subset, endpoint, "line_2")
        fig_slide = next(sl for sl in prs.slides if sl.shapes.title.text.startswith(f"{title} — "))
        assert format_p(res.test.p_value) in slide_texts(fig_slide)
        assert format_p(res.test.p_value) in fig_slide.notes_slide.notes_text_frame.text
        table_slide = next(sl for sl in prs.slides if sl.shapes.title.text == f"{title}: medians and rates")
        rows = table_rows(table_slide)
        assert rows[0][:4] == ["Group", "n", "Events", "Median (95% CI), months"]
        assert [r[3] for r in rows[1:]] == res.table["Median (95% CI), months"].tolist()


@pytest.mark.slow  # renders every figure of the report through the browser
def test_long_tables_continue_over_slides_without_losing_rows(deck):
    _, (sections, _), prs = deck
    for section in sections:
        if section.kind != "table" or not section.in_slides:
            continue
        header, rows = display_frame(section.table)
        slides = [sl for sl in prs.slides if re.fullmatch(re.escape(section.title) + r"( \(\d+/\d+\))?", sl.shapes.title.text)]
        assert slides, section.title
        collected = []
        for sl in slides:
            got = table_rows(sl)
            assert got[0] == header  # header repeated on every continuation slide
            # Continuation labels ("Sex (continued)") are repeated headings, not data rows.
            collected += [r for r in got[1:] if not r[0].endswith("(continued)")]
        assert collected == rows, section.title
    table1 = [sl for sl in prs.slides if sl.shapes.title.text.startswith("Patient characteristics (")]
    assert len(table1) >= 2  # Table 1 does not fit one slide


@pytest.mark.slow  # renders every figure of the report through the browser
def test_sections_left_out_of_slides_and_methods_slide(deck):
    _, (sections, _), prs = deck
    titles = [sl.shapes.title.text for sl in prs.slides]
    assert not any("number at risk" in t for t in titles)  # at-risk tables are in the KM figures
    methods = next(s.text for s in sections if s.key == "methods")
    slide = prs.slides[titles.index("Statistical methods")]
    bodies = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame and sh != slide.shapes.title]
    assert bodies == [methods]


@pytest.mark.slow  # renders every figure of the report through the browser
def test_every_shape_stays_on_its_slide(deck):
    _, _, prs = deck
    for slide in prs.slides:
        for shape in slide.shapes:
            assert shape.left + shape.width <= SLIDE_W + 10 and shape.top + shape.height <= SLIDE_H + 10, slide.shapes.title.text


def test_pagination_keeps_order_and_fits():
    header = ["Patient", "Comment"]
    rng = np.random.default_rng(1)
    rows = [[f"P{i:03d}", "x" * int(rng.integers(1, 300))] for i in range(120)]
    widths = [int(SLIDE_W * 0.2), int(SLIDE_W * 0.7)]
    avail = SLIDE_H - MARGIN * 2 - TITLE_H - CAPTION_H
    pages = paginate_rows(header, rows, widths, avail)
    assert [r for page in pages for r in page] == rows
    assert all(page for page in pages) and len(pages) > 3


def test_text_is_cleaned_and_render_hook(tmp_path):
    # No browser here: the render hook supplies the PNG, which is how the deck gets its figures.
    table = pd.DataFrame({"Patient": ["bell\x07", "=cmd()"], "n": [1, 2]})
    buf = io.BytesIO()
    Image.new("RGB", (100, 50), "white").save(buf, format="PNG")
    import plotly.graph_objects as go

    sections = [Section("t", "Tables", "Odd cells", table=table), Section("f", "Figures", "A figure", figure=go.Figure(layout={"width": 100, "height": 50})),
                Section("x", "Hidden", "Not on slides", table=table, in_slides=False), Section("e", "Tables", "Empty", table=pd.DataFrame())]
    meta = ReportMeta(cohort_name="c", n=2, n_total=2)
    prs = Presentation(io.BytesIO(pptx_report(sections, meta, render=lambda s: buf.getvalue())))
    assert [sl.shapes.title.text for sl in prs.slides][1:] == ["Odd cells", "A figure", "Empty"]
    assert table_rows(prs.slides[1]) == [["Patient", "n"], ["bell", "1"], ["=cmd()", "2"]]
    assert "(empty table)" in slide_texts(prs.slides[3])


def test_group_heading_repeats_when_a_group_runs_onto_the_next_slide():
    from sarcoma.report.pptx_report import paginate_rows

    header = ["Characteristic", "level", "All"]
    rows = [["Sex", "", ""], ["", "Male", "44 (61.1)"], ["", "Female", "28 (38.9)"], ["Stage", "", ""], ["", "Metastatic", "63 (87.5)"]]
    widths = [3_000_000, 3_000_000, 2_000_000]
    # A 12 pt row is ~282,000 EMU: 1,000,000 EMU holds the header and two rows.
    pages = paginate_rows(header, rows, widths, avail_h=1_000_000, font_pt=12)
    assert len(pages) > 1
    for page in pages[1:]:
        # Every page starts with a section label, never with an orphaned level.
        assert page[0][0].strip()
    assert ["Sex (continued)", "", ""] in [r for page in pages for r in page]
