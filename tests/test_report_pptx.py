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
from sarcoma.report.collect import (
    ReportMeta,
    ReportOptions,
    Section,
    collect_report,
    deck_sections,
    display_frame,
)
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
from sarcoma.views.survival import SurvivalOptions


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
    # The deck's figures are drawn for slides, as the Report page builds it.
    options = ReportOptions(survival=SurvivalOptions(grouping="line_2"), slides=True)
    report = collect_report(result, options, cohort_name="Centre Ωmega", adverse_events=ae)
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


def runs(slide):
    for shape in slide.shapes:
        frames = [shape.text_frame] if shape.has_text_frame else []
        if shape.has_table:
            frames += [c.text_frame for row in shape.table.rows for c in row.cells]
        for frame in frames:
            for p in frame.paragraphs:
                yield from p.runs


@pytest.mark.slow  # renders every figure of the report through the browser
def test_title_slide(deck):
    result, (_, meta), prs = deck
    text = slide_texts(prs.slides[0])
    assert "Tumour board report" in text and "Centre Ωmega" in text
    assert f"n = {result.n} of 72 patients" in text and meta.date_text() in text
    assert "Sex: Male" in text  # the filter applied


@pytest.mark.slow
def test_default_deck_is_short_and_readable(deck):
    """The tumour-board deck: at most 15 slides, the default sections in order, no run of text
    below 14 pt (explicit sizes; runs without one inherit the template's title/body sizes)."""
    _, (sections, _), prs = deck
    assert len(prs.slides) <= 15
    titles = [sl.shapes.title.text for sl in prs.slides]
    expected = [s.title for s in deck_sections(sections)]
    assert [t for t in titles[1:] if not re.search(r"\(\d+/\d+\)$", t)] == [t for t in expected if t in titles]
    for slide in prs.slides:
        for run in runs(slide):
            assert run.font.size is None or run.font.size.pt >= 14, (slide.shapes.title.text, run.text, run.font.size.pt)


@pytest.mark.slow
def test_figure_slides_are_filled_by_the_picture(deck):
    _, (sections, _), prs = deck
    figures = [s for s in deck_sections(sections) if s.kind == "figure"]
    picture_slides = [sl for sl in prs.slides if any(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in sl.shapes)]
    assert [sl.shapes.title.text for sl in picture_slides] == [s.title for s in figures]
    avail_w = SLIDE_W - 2 * MARGIN
    for slide, section in zip(picture_slides, figures, strict=True):
        pic = next(sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE)
        img = Image.open(io.BytesIO(pic.image.blob))
        assert img.format == "PNG" and img.info["dpi"] == pytest.approx((150, 150), abs=0.03)
        h = section.figure.layout.height
        assert img.size[1] == pytest.approx(h * 150 / 96, abs=1)  # the figure's own height: no squeezed rows
        # Fits on the slide, keeps the picture's aspect ratio, and fills most of the width or height.
        assert pic.left >= 0 and pic.top >= 0 and pic.left + pic.width <= SLIDE_W and pic.top + pic.height <= SLIDE_H
        assert pic.width / pic.height == pytest.approx(img.size[0] / img.size[1], rel=0.01)
        assert pic.width >= 0.95 * avail_w or pic.height >= 0.95 * (SLIDE_H - 2 * MARGIN - TITLE_H - CAPTION_H)


@pytest.mark.slow
def test_km_slides_carry_the_p_value(deck):
    result, _, prs = deck
    for endpoint, title in (("PFS", "Progression-free survival"), ("OS", "Overall survival")):
        res = survival_by_group(result.subset, endpoint, "line_2")
        fig_slide = next(sl for sl in prs.slides if sl.shapes.title.text.startswith(f"{title} — "))
        assert format_p(res.test.p_value) in fig_slide.notes_slide.notes_text_frame.text


@pytest.mark.slow
def test_tables_continue_over_slides_without_losing_rows(deck):
    _, (sections, _), prs = deck
    for section in deck_sections(sections):
        if section.kind != "table":
            continue
        slides = [sl for sl in prs.slides if re.fullmatch(re.escape(section.title) + r"( \(\d+/\d+\))?( \(continued \d+/\d+\))?", sl.shapes.title.text)]
        assert slides, section.title
        collected = []
        for sl in slides:
            got = table_rows(sl)
            collected += [r for r in got[1:] if not r[0].endswith("(continued)")]
        expected = [r for t in (section.deck_tables or (section.table,)) for r in display_frame(t)[1]]
        assert collected == expected, section.title
    # Table 1 is shown as two summaries (key characteristics, histotypes), each on one slide.
    table1 = [sl.shapes.title.text for sl in prs.slides if sl.shapes.title.text.startswith("Patient characteristics (")]
    assert table1 == [f"Patient characteristics (n = {deck[0].n}) (1/2)", f"Patient characteristics (n = {deck[0].n}) (2/2)"]


@pytest.mark.slow
def test_methods_slides_hold_the_whole_paragraph(deck):
    _, (sections, _), prs = deck
    methods = next(s.text for s in sections if s.key == "methods")
    slides = [sl for sl in prs.slides if sl.shapes.title.text.startswith("Statistical methods")]
    bodies = " ".join(sh.text_frame.text for sl in slides for sh in sl.shapes if sh.has_text_frame and sh != sl.shapes.title)
    assert " ".join(bodies.split()) == " ".join(methods.split())


@pytest.mark.slow
def test_every_shape_stays_on_its_slide(deck):
    _, _, prs = deck
    for slide in prs.slides:
        for shape in slide.shapes:
            assert shape.left + shape.width <= SLIDE_W + 10 and shape.top + shape.height <= SLIDE_H + 10, slide.shapes.title.text


def test_chosen_sections_and_order():
    table = pd.DataFrame({"n": [1]})
    sections = [Section("a", "A", "First", table=table), Section("b", "B", "Second", table=table), Section("c", "C", "Third", table=table)]
    meta = ReportMeta(cohort_name="c", n=1, n_total=1)
    prs = Presentation(io.BytesIO(pptx_report(sections, meta, deck=["c", "a", "zzz"])))
    assert [sl.shapes.title.text for sl in prs.slides][1:] == ["Third", "First"]


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
    prs = Presentation(io.BytesIO(pptx_report(sections, meta, render=lambda s: buf.getvalue(), deck=None)))
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
