"""Tumour-board report generation on the sample cohort, and static figure export cold vs warm.

Run: `python -m bench report`. Needs Chromium (kaleido drives it). Measured in one process:

* collect_report (all statistics, tables and figures of the view): first call and warm best;
* html_report: warm best (Plotly's JavaScript is inlined once);
* pptx_report: the first call starts the browser (cold), then warm calls reuse it;
* one KM figure as PNG (300 dpi), SVG and PDF: cold (browser start included) vs warm, and
  Plotly's plain `fig.to_image` (which starts a browser on every call) as the baseline.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import plotly.graph_objects as go

from sarcoma.filters import FilterState, apply_filters
from sarcoma.report import collect_report, export_figure, html_report, pptx_report
from sarcoma.report.collect import ReportOptions
from sarcoma.report.exports import find_browser, stop_static_export
from sarcoma.report.pptx_report import figure_png
from sarcoma.views.survival import SurvivalOptions

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "sample_cohort.csv"
OPTIONS = ReportOptions(survival=SurvivalOptions(grouping="line_2"))
SLIDES = dataclasses.replace(OPTIONS, slides=True)  # the deck is drawn for slides, as the Report page does


def load():
    """The bundled sample cohort through ingest (as the app reads it), else the seed builder."""
    if SAMPLE.exists():
        from sarcoma.ingest import load_cohort

        cohort, quality = load_cohort(SAMPLE)
        return cohort, quality, SAMPLE.name
    from sarcoma.synthetic_seed import build_seed_cohort

    cohort, _ = build_seed_cohort()
    return cohort, None, "synthetic seed cohort"


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def best(fn: Callable[[], object], repeats: int = 3) -> float:
    return min(timed(fn)[0] for _ in range(repeats))


def row(label: str, seconds: float, note: str = "") -> None:
    print(f"{label:<58} {seconds * 1000:>10.0f} ms  {note}")


def main() -> None:
    if find_browser() is None:
        print("Chromium not found: install Debian's 'chromium' package to run this benchmark.")
        return
    cohort, quality, name = load()
    result = apply_filters(cohort, FilterState())
    print(f"Cohort: {name}, {result.n} patients. Times are wall-clock on this machine.\n")

    stop_static_export()  # make sure the first export below really starts the browser

    first, report = timed(lambda: collect_report(result, OPTIONS, cohort_name=name, quality=quality))
    row("collect_report, first call", first)
    row("collect_report, warm (best of 3)", best(lambda: collect_report(result, OPTIONS, cohort_name=name, quality=quality)))
    sections, meta = report
    n_fig = sum(s.kind == "figure" for s in sections)
    n_tab = sum(s.kind == "table" for s in sections)
    html_s = best(lambda: html_report(sections, meta))
    html_size = len(html_report(sections, meta))
    row("html_report (best of 3)", html_s, f"{html_size / 1e6:.1f} MB, {n_fig} figures, {n_tab} tables")

    slide_sections, slide_meta = collect_report(result, SLIDES, cohort_name=name, quality=quality)
    cold_pptx, deck = timed(lambda: pptx_report(slide_sections, slide_meta))
    row("pptx_report (deck), cold (starts the browser)", cold_pptx, f"{len(deck) / 1e6:.1f} MB")
    warm_pptx = best(lambda: pptx_report(slide_sections, slide_meta))
    row("pptx_report (deck), warm: every figure exported again", warm_pptx, f"cold/warm = {cold_pptx / warm_pptx:.1f}x")
    pngs: dict[str, bytes] = {}

    def cached(section) -> bytes:  # the Report page keeps each figure's PNG per dataset, filters and options
        if section.key not in pngs:
            pngs[section.key] = figure_png(section)
        return pngs[section.key]

    pptx_report(slide_sections, slide_meta, render=cached)
    page_warm = best(lambda: pptx_report(slide_sections, slide_meta, render=cached))
    row("pptx_report (deck), warm as the Report page (PNGs kept)", page_warm, "goal <= 3 s warm (issue 12)")
    total_cold = first + html_s + cold_pptx
    row("first click on both reports (collect + HTML + PPTX)", total_cold)

    fig: go.Figure = next(s.figure for s in sections if s.key == "km-pfs")
    print()
    for fmt in ("png", "svg", "pdf"):
        stop_static_export()
        cold, _ = timed(lambda fmt=fmt: export_figure(fig, fmt))
        warm = statistics.median(timed(lambda fmt=fmt: export_figure(fig, fmt))[0] for _ in range(5))
        row(f"KM figure {fmt.upper()}, cold (browser start)", cold)
        row(f"KM figure {fmt.upper()}, warm (median of 5)", warm, f"cold/warm = {cold / warm:.1f}x")
    stop_static_export()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = statistics.median(timed(lambda: fig.to_image(format="png", width=1000, scale=300 / 96))[0] for _ in range(3))
    row("Plotly fig.to_image PNG without server (median of 3)", plain, "a browser per call: the baseline")
    _, _ = timed(lambda: export_figure(fig, "png"))
    warm_png = statistics.median(timed(lambda: export_figure(fig, "png"))[0] for _ in range(5))
    row("export_figure PNG warm vs plain to_image", warm_png, f"speed-up {plain / warm_png:.1f}x")
    stop_static_export()


if __name__ == "__main__":
    main()
