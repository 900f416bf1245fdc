"""The report: the same Views the pages show (sarcoma.views), gathered in report order.

`collect_report` builds Table 1, Kaplan-Meier curves for every endpoint of the registry, the
subgroup table and forest plots, the response table and waterfall and the safety tables with
the options the user chose on the pages (`ReportOptions` holds each page's options object, so
the report can never differ from the page), then the data-quality summary and the methods
paragraph. Each View is flattened into `Section`s, the unit the HTML report and the deck lay out.
A part the data cannot support becomes a short note instead of stopping the report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sarcoma.endpoints import ENDPOINTS, available_endpoints
from sarcoma.errors import SarcomaError
from sarcoma.filters import FilterResult
from sarcoma.groupings import DEFAULT_LINE_CUT
from sarcoma.plots import PlotStyle
from sarcoma.quality import DataQualityReport
from sarcoma.report.exports import flat_table
from sarcoma.report.methods import (
    TOOL_DISTRIBUTION,
    MethodsOptions,
    methods_paragraph,
    software_versions,
)
from sarcoma.views import View, ViewContext
from sarcoma.views.cohort import CohortOptions, cohort_view
from sarcoma.views.response import ResponseOptions, response_view
from sarcoma.views.safety import SafetyOptions, safety_view
from sarcoma.views.subgroups import SubgroupOptions, subgroup_view
from sarcoma.views.survival import SurvivalOptions, survival_view
from sarcoma.views.swimmer import SwimmerOptions, swimmer_view

REPORT_TITLE = "Tumour board report"
# The deck's default sections, in order (<= 15 slides with the title): the seed's tables and
# figures; the full subgroup table, biomarkers and data quality are in the HTML report and XLSX.
DEFAULT_DECK: tuple[str, ...] = (
    "table1", "km-pfs", "km-os", "forest-pfs", "forest-os", "response-table", "waterfall", "swimmer", "ae-summary",
    "discontinuation", "methods",
)


class ReportOptionError(SarcomaError):
    """An option the report does not know; the message lists the valid ones."""


@dataclass(frozen=True)
class ReportOptions:
    """The choices behind the report: each page's options object (what the page shows is what
    the report shows), the line-of-therapy cut and presentation sizes."""

    table1: CohortOptions = field(default_factory=CohortOptions)
    survival: SurvivalOptions = field(default_factory=SurvivalOptions)  # every endpoint is reported
    subgroups: SubgroupOptions = field(default_factory=SubgroupOptions)
    response: ResponseOptions = field(default_factory=ResponseOptions)
    swimmer: SwimmerOptions = field(default_factory=SwimmerOptions)
    line_cut: int = DEFAULT_LINE_CUT
    presentation: bool = False  # figures at projector sizes (presentation mode)
    slides: bool = False  # figures drawn for a 16:9 slide (the deck): large type, wide and short

    def __post_init__(self) -> None:
        if self.line_cut < 2:
            raise ReportOptionError("The line-of-therapy cut must be 2 or more.")
        for name, kind in (("table1", CohortOptions), ("survival", SurvivalOptions), ("subgroups", SubgroupOptions), ("response", ResponseOptions),
                           ("swimmer", SwimmerOptions)):
            if not isinstance(getattr(self, name), kind):
                raise ReportOptionError(f"ReportOptions.{name} must be a {kind.__name__}.")


@dataclass(frozen=True, eq=False)
class Section:
    """One block of the report: a figure, a table or text, with notes printed under it.

    `key` is a slug (file names, HTML anchors); `in_slides=False` keeps long listings (the
    data-quality issue list) out of the slide deck.
    """

    key: str
    chapter: str
    title: str
    figure: go.Figure | None = None
    table: pd.DataFrame | None = None
    text: str = ""
    notes: tuple[str, ...] = ()
    in_slides: bool = True
    caption: tuple[str, ...] = ()  # the line(s) a slide prints under the content
    deck_tables: tuple[pd.DataFrame, ...] = ()  # the slides' version of a table (default: the table)

    @property
    def kind(self) -> str:
        return "figure" if self.figure is not None else "table" if self.table is not None else "text"


@dataclass(frozen=True)
class ReportMeta:
    """Title information: what was analysed, how it was selected, when and with what."""

    cohort_name: str
    n: int
    n_total: int
    filters: tuple[str, ...] = ()
    file_name: str = ""
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    title: str = REPORT_TITLE
    tool_version: str = field(default_factory=lambda: software_versions()[TOOL_DISTRIBUTION])

    def n_line(self) -> str:
        return f"n = {self.n} of {self.n_total} patients"

    def filter_lines(self) -> tuple[str, ...]:
        return self.filters or ("No filter: all patients in the dataset.",)

    def date_text(self) -> str:
        return self.generated.strftime("%d %B %Y, %H:%M")


class Report(NamedTuple):
    sections: list[Section]
    meta: ReportMeta


def slug(text: str) -> str:
    """ASCII file-name part: 'KM — PFS (by line)' -> 'km-pfs-by-line'."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "item"


def report_file_name(meta: ReportMeta, ext: str) -> str:
    return f"{slug(meta.title)}_{slug(meta.cohort_name)[:40]}_{meta.generated:%Y-%m-%d}.{ext}"


# --------------------------------------------------------------------------- from views to sections


def view_sections(view: View) -> list[Section]:
    """A View as report sections: one per figure and per table, each carrying the view's result
    lines, warnings and notes, so the report says what the page says."""
    lead = [*view.lines, *view.warnings]
    # A slide's caption: the figure's own note, else (a figure that is the result, such as a KM
    # plot) the view's last result line, e.g. the hazard ratio.
    figures = [
        Section(block.key, view.chapter, block.title, figure=block.figure, notes=tuple([*lead, *block.notes, *view.notes]),
                caption=tuple(block.notes[:1]) or (tuple(view.lines[-1:]) if view.figures_first else ()), in_slides=block.in_deck)
        for block in view.figures
    ]
    tables = [
        Section(block.key, view.chapter, block.title, table=block.table, deck_tables=block.for_deck_tables,
                notes=tuple([*lead, *view.notes, *block.notes]), caption=tuple(view.lines[:1]), in_slides=block.in_deck)
        for block in view.tables
    ]
    sections = figures + tables if view.figures_first else tables + figures
    if not sections:  # nothing to draw: the view's message is the section
        sections.append(Section(view.key, view.chapter, view.title, text=" ".join([*view.warnings, *view.notes]) or "Not available."))
    return sections


def report_views(cohort: pd.DataFrame, o: ReportOptions, ctx: ViewContext, adverse_events: pd.DataFrame | None = None) -> list[View]:
    """The views of the report, in report order, each built by the function its page uses."""
    views = [
        _guard("Patients", "table1", "Patient characteristics", lambda: cohort_view(cohort, o.table1, ctx)),
    ]
    # PFS and OS always (a part the data cannot support says so); the other endpoints of the
    # registry (DoR, TTF) when this selection has data for them.
    available = available_endpoints(cohort)
    for key in (k for k in ENDPOINTS if k in ("PFS", "OS") or k in available):
        views.append(_guard("Survival", f"km-{key.lower()}", ENDPOINTS[key].title,
                            lambda key=key: survival_view(cohort, dataclasses.replace(o.survival, endpoint=key), ctx)))
    endpoints = tuple(available) or ("PFS",)
    views.append(_guard("Subgroups", "subgroups", "Survival by subgroup",
                        lambda: subgroup_view(cohort, dataclasses.replace(o.subgroups, forest_endpoints=endpoints), ctx)))
    views.append(_guard("Response", "response", "Best response", lambda: response_view(cohort, o.response, ctx)))
    views.append(_guard("Response", "swimmer", "Response dynamics", lambda: swimmer_view(cohort, o.swimmer, ctx)))
    views.append(_guard("Safety", "safety", "Safety and biomarkers",
                        lambda: safety_view(cohort, SafetyOptions(), ctx, adverse_events=adverse_events)))
    return views


def _guard(chapter: str, key: str, title: str, build: Callable[[], View]) -> View:
    """Build one view; a plain-language data problem (ValueError) becomes a note in the report."""
    try:
        return build()
    except ValueError as exc:
        return View(key, chapter, title, warnings=(f"Not available for this selection: {exc}",))


# --------------------------------------------------------------------------- the report


def collect_report(
    result: FilterResult,
    options: ReportOptions | None = None,
    *,
    cohort_name: str = "Cohort",
    file_name: str = "",
    adverse_events: pd.DataFrame | None = None,
    quality: DataQualityReport | None = None,
    generated: dt.datetime | None = None,
    dataset: pd.DataFrame | None = None,
) -> Report:
    """All figures, tables and the methods paragraph of the current view, in report order.

    `result` is the filtered cohort (FilterResult from sarcoma.filters); `dataset` the whole
    dataset before filters (group colours are assigned over it, as on the pages); `quality` the
    DataQualityReport of the file; `adverse_events` the AE table if the file had one.
    """
    o = options or ReportOptions()
    if not isinstance(result, FilterResult):
        raise ReportOptionError("collect_report needs the filtered cohort (a FilterResult from apply_filters).")
    cohort = result.subset
    style = PlotStyle.slides() if o.slides else PlotStyle.presentation() if o.presentation else PlotStyle()
    ctx = ViewContext(dataset=dataset if dataset is not None else cohort, line_cut=o.line_cut, style=style)
    # The file's AE table: keep the events of this selection.
    if adverse_events is not None and "patient_id" in adverse_events and "patient_id" in cohort:
        adverse_events = adverse_events[adverse_events["patient_id"].astype(str).isin(set(cohort["patient_id"].astype(str)))]
    views = report_views(cohort, o, ctx, adverse_events)
    sections = [s for v in views for s in view_sections(v)]

    # --- Data quality (of the whole file, before filters)
    if quality is not None:
        summary = tuple(line for line in quality.summary().splitlines() if line)
        sections.append(Section("quality", "Data quality", "Data-quality summary (whole file, before filters)",
                                table=quality.counts(), notes=summary))
        issues = quality.to_frame()
        if len(issues):
            sections.append(Section("quality-issues", "Data quality", "Data-quality issues, row by row", table=issues, in_slides=False))

    # --- Methods
    methods = methods_paragraph(methods_options(result, o, views))
    sections.append(Section("methods", "Methods", "Statistical methods", text=methods))

    meta = ReportMeta(
        cohort_name=cohort_name, n=result.n, n_total=result.n_total, filters=tuple(result.describe()),
        file_name=file_name, **({"generated": generated} if generated is not None else {}),
    )
    return Report(sections, meta)


def deck_sections(sections: Sequence[Section], keys: Sequence[str] = DEFAULT_DECK) -> list[Section]:
    """The sections of a deck, in the order of `keys` (keys not in the report are skipped)."""
    by_key = {s.key: s for s in sections}
    return [by_key[k] for k in keys if k in by_key]


def methods_options(result: FilterResult, o: ReportOptions, views: Sequence[View]) -> MethodsOptions:
    """MethodsOptions describing what the report's views actually computed."""
    facts: dict[str, Any] = {}
    for v in views:
        facts.setdefault(v.key, v.facts)
    survival = [v.facts for v in views if v.chapter == "Survival" and v.facts]
    endpoints = tuple(f["endpoint"] for f in survival)
    tested = [f for f in survival if f.get("tested")]
    grouping_label = None
    if tested and o.survival.grouping is not None:
        from sarcoma.groupings import make_groupings

        grouping_label = make_groupings(o.line_cut)[o.survival.grouping].label
    sub = facts.get("subgroups", {})
    resp = facts.get("response", {})
    return MethodsOptions(
        n=result.n, n_total=result.n_total, filters=tuple(result.describe()),
        endpoints=endpoints, conf_type=o.survival.conf_type, grouping_label=grouping_label, test=o.survival.test,
        stratified=any(f.get("stratified") for f in tested), min_group_size=o.survival.min_group_size,
        n_tests=int(sub.get("n_tests", 0)), subgroup_test=o.subgroups.test, adjust=o.subgroups.adjust,
        subgroup_conf_type=o.subgroups.conf_type, subgroup_endpoints=tuple(sub.get("subgroup_endpoints", ("PFS", "OS"))),
        time_to_response=bool(facts.get("swimmer", {}).get("time_to_response")),
        response_denominator=o.response.denominator if resp.get("response") else None,
        response_by_label=resp.get("response_by_label"), response_outcome=o.response.outcome,
        association_monte_carlo=resp.get("association_monte_carlo"),
        table1_by_label=facts.get("table1", {}).get("table1_by_label"),
    )


def cell_text(value: Any) -> str:
    """A table cell as display text (HTML and slides): blanks for missing, Yes/No for flags."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "Yes" if value else "No"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"
    if isinstance(value, pd.Timestamp | dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def display_frame(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Header and rows as text, with a meaningful index shown as the first column."""
    flat = flat_table(table)
    return [str(c) for c in flat.columns], [[cell_text(v) for v in row] for row in flat.itertuples(index=False, name=None)]
