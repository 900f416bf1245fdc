"""The report as a PowerPoint deck for the tumour board (python-pptx).

A title slide (cohort, selection, n, date), then the chosen sections in the chosen order
(default `DEFAULT_DECK`: at most 15 slides): one slide per figure (a PNG from Plotly's static
export, as wide as the slide allows at the figure's own height, so risk-table rows are never
squeezed) and per table (a native, editable PowerPoint table; a table's slide version, e.g.
Table 1 as two summaries, and long tables continue with the header repeated), then the methods.
Every text on a slide is at least 14 pt, readable from the back of a room; the full notes of a
section go into the slide's speaker notes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from sarcoma.report.collect import DEFAULT_DECK, ReportMeta, Section, deck_sections, display_frame
from sarcoma.report.exports import export_figure, figure_size

SLIDE_W, SLIDE_H = Inches(13.333), Inches(7.5)  # 16:9
MARGIN = Inches(0.4)
TITLE_H = Inches(0.9)
CAPTION_H = Inches(0.6)
MIN_FONT = 14  # points: nothing smaller on a slide
TABLE_FONT = MIN_FONT
TEXT_FONT = 18
TEXT_CHARS_PER_SLIDE = 1500  # at 18 pt on a 16:9 slide; longer text continues on the next slide
HEADER_FILL = RGBColor(0xE3, 0xEC, 0xF5)
PPTX_DPI = 200  # plenty for a projector; 300 dpi PNGs only make the deck heavier
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _clean(text: object) -> str:
    return _ILLEGAL_XML.sub("", str(text))


def _title_only(prs: Presentation, title: str):
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only" in the default template
    slide.shapes.title.text = _clean(title)
    slide.shapes.title.left, slide.shapes.title.top = MARGIN, Inches(0.2)
    slide.shapes.title.width, slide.shapes.title.height = SLIDE_W - 2 * MARGIN, TITLE_H
    for p in slide.shapes.title.text_frame.paragraphs:
        for r in p.runs:
            r.font.size = Pt(28)
    return slide


def _text_box(slide, text: str, left: int, top: int, width: int, height: int, size: int) -> None:
    box = slide.shapes.add_textbox(left, top, width, height)
    tf = box.text_frame
    tf.word_wrap = True
    for i, line in enumerate(_clean(text).split("\n")):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.text = line
        for r in p.runs:
            r.font.size = Pt(size)


def _notes(slide, section: Section) -> None:
    lines = [section.text, *section.notes]
    text = "\n".join(_clean(x) for x in lines if x)
    if text:
        slide.notes_slide.notes_text_frame.text = text


def _caption(section: Section) -> str:
    first = next((n for n in (*section.caption, *section.notes) if n), "")
    return first if len(first) <= 180 else first[:177] + "..."


def export_size(figure, avail_w: int, avail_h: int) -> tuple[int, int]:
    """Pixels to export a figure at: its own height, and as wide as the slide area's shape
    allows, so the picture fills the slide without squeezing rows."""
    w_px, h_px = figure_size(figure)
    return max(w_px, int(h_px * avail_w / avail_h)), h_px


def _figure_slide(prs: Presentation, section: Section, png: bytes) -> None:
    slide = _title_only(prs, section.title)
    caption = _caption(section)
    top = MARGIN + TITLE_H
    avail_w = SLIDE_W - 2 * MARGIN
    avail_h = SLIDE_H - top - MARGIN - (CAPTION_H if caption else 0)
    w_px, h_px = export_size(section.figure, avail_w, avail_h)
    scale = min(avail_w / w_px, avail_h / h_px)  # keep the aspect ratio
    width, height = int(w_px * scale), int(h_px * scale)
    left = int((SLIDE_W - width) / 2)
    slide.shapes.add_picture(io.BytesIO(png), left, top, width=width, height=height)
    if caption:
        _text_box(slide, caption, MARGIN, top + height + Inches(0.05), avail_w, CAPTION_H, MIN_FONT)
    _notes(slide, section)


def _column_widths(header: list[str], rows: list[list[str]], total: int) -> list[int]:
    # Share the width by typical text length (capped so one long column cannot take it all).
    lengths = []
    for j, h in enumerate(header):
        cells = [len(r[j]) for r in rows[:300]] or [0]
        typical = max(len(h) * 0.6, sorted(cells)[int(0.9 * (len(cells) - 1))])
        lengths.append(min(max(typical, 3.0), 45.0))
    s = sum(lengths)
    return [int(total * x / s) for x in lengths]


def _row_height(cells: list[str], widths: list[int], font_pt: int) -> float:
    """Estimated row height in EMU once PowerPoint wraps the text."""
    char_w = font_pt * 0.55 * 12700  # average glyph width, EMU (1 pt = 12700 EMU)
    lines = 1
    for text, w in zip(cells, widths, strict=True):
        per_line = max(1, int((w - Inches(0.2)) / char_w))
        lines = max(lines, sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n")))
    return lines * font_pt * 1.25 * 12700 + Inches(0.1)


def paginate_rows(header: list[str], rows: list[list[str]], widths: list[int], avail_h: int, font_pt: int = TABLE_FONT) -> list[list[list[str]]]:
    """Split rows into slide-sized chunks (every chunk gets the header again).

    Tables grouped by their first column (Table 1: "Sex" then its levels on rows with an empty
    first cell) repeat the group's label, marked "(continued)", when a group runs onto a new
    slide, so no level is separated from its heading."""
    head_h = _row_height(header, widths, font_pt)
    pages: list[list[list[str]]] = []
    current: list[list[str]] = []
    used = head_h
    group: str | None = None
    for row in rows:
        h = _row_height(row, widths, font_pt)
        if current and used + h > avail_h:
            pages.append(current)
            current, used = [], head_h
            if group and not str(row[0]).strip():
                cont = [f"{group} (continued)"] + [""] * (len(row) - 1)
                current.append(cont)
                used += _row_height(cont, widths, font_pt)
        if str(row[0]).strip():
            group = str(row[0])
        current.append(row)
        used += h
    if current or not pages:
        pages.append(current)
    return pages


def _table_slides(prs: Presentation, section: Section) -> int:
    tables = section.deck_tables or (section.table,)
    return sum(_one_table_slides(prs, section, table, part=(i, len(tables))) for i, table in enumerate(tables))


def _one_table_slides(prs: Presentation, section: Section, frame, part: tuple[int, int] = (0, 1)) -> int:
    header, rows = display_frame(frame)
    if not header:  # a table without columns has nothing to draw
        _text_slide(prs, Section(section.key, section.chapter, section.title, text="(empty table)", notes=section.notes))
        return 1
    caption = _caption(section)
    top = MARGIN + TITLE_H
    avail_w = SLIDE_W - 2 * MARGIN
    avail_h = SLIDE_H - top - MARGIN - (CAPTION_H if caption else 0)
    font = TABLE_FONT
    widths = _column_widths(header, rows, avail_w)
    pages = paginate_rows(header, rows, widths, avail_h, font)
    if part[1] > 1:  # a table shown as several summaries: number them like continuation slides
        pages = [(p, f"{section.title} ({part[0] + 1}/{part[1]})") for p in pages]
    else:
        pages = [(p, section.title) for p in pages]
    for i, (chunk, base) in enumerate(pages):
        title = base if len(pages) == 1 else f"{base} (continued {i + 1}/{len(pages)})"
        slide = _title_only(prs, title)
        height = int(sum(_row_height(r, widths, font) for r in [header, *chunk]))
        shape = slide.shapes.add_table(len(chunk) + 1, len(header), MARGIN, top, avail_w, min(height, avail_h))
        table = shape.table
        for j, w in enumerate(widths):
            table.columns[j].width = Emu(w)
        for r_i, values in enumerate([header, *chunk]):
            for c_i, value in enumerate(values):
                cell = table.cell(r_i, c_i)
                cell.text = _clean(value)
                cell.margin_left = cell.margin_right = Inches(0.05)
                cell.margin_top = cell.margin_bottom = Inches(0.02)
                for p in cell.text_frame.paragraphs:
                    for run in p.runs:
                        run.font.size = Pt(font)
                        run.font.bold = r_i == 0
                        if r_i == 0:
                            run.font.color.rgb = RGBColor(0, 0, 0)
                if r_i == 0:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = HEADER_FILL
        if caption and i == len(pages) - 1:
            _text_box(slide, caption, MARGIN, SLIDE_H - MARGIN - CAPTION_H, avail_w, CAPTION_H, MIN_FONT)
        _notes(slide, section)
    return len(pages)


def _text_slide(prs: Presentation, section: Section) -> int:
    """The text at 18 pt, continued over slides at sentence ends (never a smaller font)."""
    text = "\n".join(x for x in [section.text, *section.notes] if x)
    chunks, current = [], ""
    for sentence in re.split(r"(?<=[.;])\s+", text):
        if current and len(current) + len(sentence) + 1 > TEXT_CHARS_PER_SLIDE:
            chunks.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    chunks.append(current)
    top = MARGIN + TITLE_H
    for i, chunk in enumerate(chunks):
        title = section.title if len(chunks) == 1 else f"{section.title} ({i + 1}/{len(chunks)})"
        slide = _title_only(prs, title)
        _text_box(slide, chunk, MARGIN, top, SLIDE_W - 2 * MARGIN, SLIDE_H - top - MARGIN, TEXT_FONT)
    return len(chunks)


def _title_slide(prs: Presentation, meta: ReportMeta) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    title = slide.shapes.title
    title.text = _clean(meta.title)
    title.left, title.top, title.width, title.height = MARGIN, Inches(1.2), SLIDE_W - 2 * MARGIN, Inches(1.8)
    sub = slide.placeholders[1]
    sub.text = _clean(f"{meta.cohort_name}\n{meta.n_line()}\n{meta.date_text()}")
    sub.left, sub.top, sub.width, sub.height = MARGIN, Inches(3.1), SLIDE_W - 2 * MARGIN, Inches(1.8)
    lines = ["Selection:", *meta.filter_lines()]
    if meta.file_name:
        lines.append(f"File: {meta.file_name}")
    _text_box(slide, "\n".join(lines), Inches(1.0), Inches(5.0), SLIDE_W - Inches(2.0), Inches(2.0), MIN_FONT)


def figure_png(section: Section, dpi: int = PPTX_DPI) -> bytes:
    """A figure section as the PNG its slide shows (sized by `export_size`)."""
    avail_w, avail_h = SLIDE_W - 2 * MARGIN, SLIDE_H - 2 * MARGIN - TITLE_H - CAPTION_H
    width, height = export_size(section.figure, avail_w, avail_h)
    return export_figure(section.figure, "png", width=width, height=height, dpi=dpi)


def pptx_report(
    sections: Sequence[Section],
    meta: ReportMeta,
    *,
    dpi: int = PPTX_DPI,
    render: Callable[[Section], bytes] | None = None,
    deck: Sequence[str] | None = DEFAULT_DECK,
) -> bytes:
    """The report as .pptx bytes: the title slide, then the sections named in `deck`, in that
    order (None: every section meant for slides). `render` turns a figure section into PNG bytes
    (default: `figure_png` at `dpi`; the page passes a cached one)."""
    render = render or (lambda s: figure_png(s, dpi))
    chosen = deck_sections(sections, deck) if deck is not None else [s for s in sections if s.in_slides]
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    _title_slide(prs, meta)
    for section in chosen:
        if section.kind == "figure":
            _figure_slide(prs, section, render(section))
        elif section.kind == "table":
            _table_slides(prs, section)
        else:
            _text_slide(prs, section)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
