"""Gather the current view (filtered cohort + the options the user chose) into report sections.

`collect_report` runs the same core functions the pages run, with the same options, so the
report shows exactly what the pages show: Table 1, Kaplan-Meier PFS and OS with at-risk tables
and the test, the subgroup table and forest plots, the response table and waterfall, the safety
tables, the data-quality summary and the methods paragraph. A part the data cannot support
(no response column, no adverse-event data) becomes a short note instead of stopping the report.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sarcoma.characteristics import characteristics_table
from sarcoma.filters import FilterResult
from sarcoma.groupings import DEFAULT_LINE_CUT, available_groupings, make_groupings
from sarcoma.km_summary import CONF_TYPES, TESTS, GroupedSurvival, survival_by_group
from sarcoma.plots import PlotStyle, forest_figure, group_colors, km_figure, waterfall_figure
from sarcoma.quality import DataQualityReport
from sarcoma.report.exports import flat_table
from sarcoma.report.methods import (
    TOOL_DISTRIBUTION,
    MethodsOptions,
    methods_paragraph,
    software_versions,
)
from sarcoma.response_view import RESPONSE_GROUPINGS, ResponseView, response_view
from sarcoma.safety import ae_summary, biomarker_table, discontinuation_table
from sarcoma.subgroups import ADJUSTMENTS, SubgroupTable, forest_rows, subgroup_table

ENDPOINT_TITLES = {"PFS": "Progression-free survival", "OS": "Overall survival"}
FOREST_KINDS = ("median", "hr")
REPORT_TITLE = "Tumour board report"


class ReportOptionError(ValueError):
    """An option the report does not know; the message lists the valid ones."""


@dataclass(frozen=True)
class ReportOptions:
    """The choices behind the current view (the pages' widgets), with the pages' defaults."""

    survival_grouping: str | None = None
    test: str = "logrank"
    conf_type: str = "log-log"
    show_ci: bool = False
    stratify_by_center: bool = False
    min_group_size: int = 5
    subgroup_variables: tuple[str, ...] | None = None  # None: every variable that splits the cohort
    subgroup_test: str = "logrank"
    subgroup_conf_type: str = "log-log"
    subgroup_min_group_size: int = 5
    adjust: str = "holm"
    forest_kind: str = "median"
    response_by: str = "histotype"
    denominator: str = "evaluable"
    outcome: str = "responder"
    table1_by: str | None = None
    line_cut: int = DEFAULT_LINE_CUT
    presentation: bool = False

    def __post_init__(self) -> None:
        groupings = make_groupings(self.line_cut)
        checks: list[tuple[Any, Any, str]] = [
            (self.test, TESTS, "survival test"),
            (self.conf_type, CONF_TYPES, "confidence-interval method"),
            (self.subgroup_test, TESTS, "subgroup test"),
            (self.subgroup_conf_type, CONF_TYPES, "subgroup confidence-interval method"),
            (self.adjust, ADJUSTMENTS, "multiplicity adjustment"),
            (self.forest_kind, FOREST_KINDS, "forest plot kind"),
            (self.response_by, RESPONSE_GROUPINGS, "response grouping"),
            (self.denominator, ("evaluable", "all"), "response denominator"),
            (self.outcome, ("responder", "best_response"), "association outcome"),
        ]
        if self.survival_grouping is not None:
            checks.append((self.survival_grouping, groupings, "survival grouping"))
        if self.table1_by is not None:
            checks.append((self.table1_by, groupings, "Table 1 grouping"))
        for key in self.subgroup_variables or ():
            checks.append((key, groupings, "subgroup variable"))
        for value, allowed, what in checks:
            if value not in allowed:
                raise ReportOptionError(f"Unknown {what} {value!r}; choose one of {', '.join(map(str, allowed))}.")
        if self.min_group_size < 1 or self.subgroup_min_group_size < 1:
            raise ReportOptionError("The minimum group size must be at least 1.")
        if self.line_cut < 2:
            raise ReportOptionError("The line-of-therapy cut must be 2 or more.")


# Widget keys of the pages (pages/survival.py, subgroups.py, response.py, cohort.py, _shared.py).
STATE_KEYS: dict[str, str] = {
    "surv_group": "survival_grouping",
    "surv_test": "test",
    "surv_ci": "conf_type",
    "surv_bands": "show_ci",
    "surv_strata": "stratify_by_center",
    "surv_min": "min_group_size",
    "sg_vars": "subgroup_variables",
    "sg_test": "subgroup_test",
    "sg_ci": "subgroup_conf_type",
    "sg_min": "subgroup_min_group_size",
    "sg_adjust": "adjust",
    "sg_forest_kind": "forest_kind",
    "resp_by": "response_by",
    "resp_den": "denominator",
    "resp_outcome": "outcome",
    "cohort_by": "table1_by",
    "line_cut": "line_cut",
    "present": "presentation",
}


def options_from_state(state: Mapping[str, Any], **overrides: Any) -> ReportOptions:
    """ReportOptions from the pages' widget values (e.g. st.session_state); absent keys keep
    the pages' defaults, `overrides` win."""
    kwargs: dict[str, Any] = {}
    for key, name in STATE_KEYS.items():
        if key in state and state[key] is not None:
            value = state[key]
            if name == "subgroup_variables":
                value = tuple(value) if value else None
            elif name in ("min_group_size", "subgroup_min_group_size", "line_cut"):
                value = int(value)
            elif name in ("show_ci", "stratify_by_center", "presentation"):
                value = bool(value)
            kwargs[name] = value
    # The Survival page's "no grouping" choice is None or the sentinel "all".
    if "surv_group" in state and state["surv_group"] in (None, "all"):
        kwargs["survival_grouping"] = None
    kwargs.update(overrides)
    return ReportOptions(**kwargs)


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


# --------------------------------------------------------------------------- building blocks


def km_section_figure(res: GroupedSurvival, options: ReportOptions, style: PlotStyle) -> go.Figure:
    """The Survival page's figure for one endpoint (same title, annotation and colours)."""
    return km_figure(
        res.curves,
        at_risk=res.at_risk,
        title=f"{ENDPOINT_TITLES[res.endpoint]} — {res.grouping_label}",
        annotation=res.test_label(),
        show_ci=options.show_ci,
        colors=group_colors(list(res.curves)),
        style=style,
    )


def _plain(text: str | None) -> str:
    """Figure/markdown markup to plain text for notes."""
    return re.sub(r"\*\*", "", (text or "").replace("<br>", " — "))


def _survival_sections(cohort: pd.DataFrame, endpoint: str, o: ReportOptions, style: PlotStyle) -> tuple[list[Section], GroupedSurvival]:
    res = survival_by_group(
        cohort, endpoint, o.survival_grouping, conf_type=o.conf_type, test=o.test,
        stratify_by_center=o.stratify_by_center, min_group_size=o.min_group_size, line_cut=o.line_cut,
    )
    key = endpoint.lower()
    if not res.curves:
        return [Section(f"km-{key}", "Survival", ENDPOINT_TITLES[endpoint], text=f"No patient in this selection has a usable {endpoint} time and event.")], res
    notes = [_plain(res.test_label()) if res.test_label() else "", res.methods_note(),
             f"{res.follow_up_text()}; analysed {res.n_analysed} of {res.n_subset} patients in the selection."]
    notes += [f"Not in the curves: {ex.n} patient(s) — {ex.reason}." for ex in res.excluded]
    grouping = make_groupings(o.line_cut).get(o.survival_grouping or "")
    if grouping is not None and grouping.post_baseline:
        notes.append("This grouping is known only after treatment starts: the comparison favours the responders (guarantee-time bias). Interpret with care.")
    table = res.display_table()
    at_risk = res.at_risk.copy()
    at_risk.index.name = "Number at risk (months)"
    return [
        Section(f"km-{key}", "Survival", f"{ENDPOINT_TITLES[endpoint]} — {res.grouping_label}", figure=km_section_figure(res, o, style), notes=tuple(n for n in notes if n)),
        Section(f"km-{key}-table", "Survival", f"{ENDPOINT_TITLES[endpoint]}: medians and rates", table=table),
        Section(f"km-{key}-at-risk", "Survival", f"{ENDPOINT_TITLES[endpoint]}: number at risk", table=at_risk, in_slides=False),
    ], res


def subgroup_forest(table: SubgroupTable, endpoint: str, cohort: pd.DataFrame, o: ReportOptions, style: PlotStyle) -> tuple[go.Figure, list[str]]:
    """The Subgroups page's forest plot for one endpoint (medians, or Cox hazard ratios)."""
    rows, notes = forest_rows(table, cohort, endpoint, o.forest_kind, line_cut=o.line_cut)
    hr = o.forest_kind == "hr"
    fig = forest_figure(
        rows, estimate="estimate", lower="lower", upper="upper", flag="small", log_x=hr, reference=1.0 if hr else None,
        x_label="Hazard ratio vs reference level (log scale)" if hr else "Median survival, months (hollow: group below minimum size)",
        title=f"{endpoint}: {'Cox hazard ratio' if hr else 'median'} by subgroup", style=style,
    )
    return fig, list(notes)


def _guard(chapter: str, key: str, title: str, build: Callable[[], list[Section]]) -> list[Section]:
    """Run one block; a plain-language data problem (ValueError) becomes a note in the report."""
    try:
        return build()
    except ValueError as exc:
        return [Section(key, chapter, title, text=f"Not available for this selection: {exc}")]


def _response_display(view: ResponseView) -> pd.DataFrame:
    return view.display.reset_index()


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
) -> Report:
    """All figures, tables and the methods paragraph of the current view, in report order.

    `result` is the filtered cohort (FilterResult from sarcoma.filters); `quality` the
    DataQualityReport of the file (optional); `adverse_events` the AE table if the file had one.
    """
    o = options or ReportOptions()
    if not isinstance(result, FilterResult):
        raise ReportOptionError("collect_report needs the filtered cohort (a FilterResult from apply_filters).")
    cohort = result.subset
    style = PlotStyle.presentation() if o.presentation else PlotStyle()
    groupings = make_groupings(o.line_cut)
    sections: list[Section] = []
    facts: dict[str, Any] = {}

    # --- Patients (Table 1)
    def table1() -> list[Section]:
        if o.table1_by is None:
            table = characteristics_table(cohort)
            title = "Patient characteristics"
        else:
            g = groupings[o.table1_by]
            table = characteristics_table(cohort, by=o.table1_by, line_cut=o.line_cut)
            title = f"Patient characteristics by {g.label}"
            facts["table1_by_label"] = g.label
        return [Section("table1", "Patients", title, table=table, notes=(
            "Categorical variables: n (% of all patients in the column); continuous: median (min–max).",))]

    sections += _guard("Patients", "table1", "Patient characteristics", table1)

    # --- Survival
    survival: dict[str, GroupedSurvival] = {}
    for endpoint in ENDPOINT_TITLES:
        def block(endpoint: str = endpoint) -> list[Section]:
            secs, res = _survival_sections(cohort, endpoint, o, style)
            survival[endpoint] = res
            return secs
        sections += _guard("Survival", f"km-{endpoint.lower()}", ENDPOINT_TITLES[endpoint], block)

    # --- Subgroups
    def subgroups() -> list[Section]:
        available = available_groupings(cohort, o.line_cut)
        chosen = [k for k in (o.subgroup_variables or available) if k in available]
        if not chosen:
            return [Section("subgroups", "Subgroups", "Subgroup analysis", text="No grouping variable splits this selection into two or more groups.")]
        table = subgroup_table(cohort, groupings=chosen, conf_type=o.subgroup_conf_type, test=o.subgroup_test,
                               adjust=o.adjust, min_group_size=o.subgroup_min_group_size, line_cut=o.line_cut)
        facts["n_tests"] = table.n_tests
        out = [Section("subgroups", "Subgroups", "Survival by subgroup", table=table.display(), notes=(
            f"{table.n_tests} tests in this table; adjusted p-values ({ADJUSTMENTS[o.adjust]}) are over all {table.n_tests}. "
            f"Groups with fewer than {table.min_group_size} patients are flagged in the Note column.",))]
        for endpoint in ENDPOINT_TITLES:
            if not (table.rows["endpoint"] == endpoint).any():
                continue
            fig, notes = subgroup_forest(table, endpoint, cohort, o, style)
            out.append(Section(f"forest-{endpoint.lower()}", "Subgroups", f"{ENDPOINT_TITLES[endpoint]}: forest plot", figure=fig, notes=tuple(notes)))
        return out

    sections += _guard("Subgroups", "subgroups", "Survival by subgroup", subgroups)

    # --- Response
    def response() -> list[Section]:
        if "best_response" not in cohort or cohort["best_response"].isna().all():
            return [Section("response", "Response", "Best response", text="This file has no best-response data, so response rates cannot be computed.")]
        view = response_view(cohort, o.response_by, denominator=o.denominator, outcome=o.outcome, line_cut=o.line_cut)
        facts["response"] = True
        notes = [_plain(view.headline), view.methods]
        if view.association is not None:
            facts["response_by_label"] = RESPONSE_GROUPINGS[o.response_by]
            if view.association.monte_carlo:
                facts["association_monte_carlo"] = view.association.n_resamples
            notes.append(f"Association ({view.association_table_label}): {view.association.describe()}")
        elif view.association_note:
            notes.append(view.association_note)
        out = [Section("response", "Response", f"Best response by {RESPONSE_GROUPINGS[o.response_by]}", table=_response_display(view), notes=tuple(notes))]
        if "best_pct_change" in cohort and cohort["best_pct_change"].notna().any():
            fig = waterfall_figure(cohort["best_pct_change"], cohort["best_response"], style=style)
            missing = int(cohort["best_pct_change"].isna().sum())
            wnotes = (f"{missing} patient(s) without a recorded target-lesion change are not in the waterfall plot.",) if missing else ()
            out.append(Section("waterfall", "Response", "Waterfall plot", figure=fig, notes=wnotes))
        return out

    sections += _guard("Response", "response", "Best response", response)

    # --- Safety and biomarkers (the AE table is the file's: keep the events of this selection)
    if adverse_events is not None and "patient_id" in adverse_events and "patient_id" in cohort:
        adverse_events = adverse_events[adverse_events["patient_id"].astype(str).isin(set(cohort["patient_id"].astype(str)))]
    sections += _guard("Safety", "ae-summary", "Adverse events", lambda: [
        Section("ae-summary", "Safety", "Adverse events", table=ae_summary(cohort, adverse_events))])
    sections += _guard("Safety", "discontinuation", "Treatment status and discontinuation", lambda: [
        Section("discontinuation", "Safety", "Treatment status and discontinuation", table=discontinuation_table(cohort))])
    sections += _guard("Safety", "biomarkers", "Responders and their biomarkers", lambda: [
        Section("biomarkers", "Safety", "Responders (CR/PR) and their biomarkers", table=biomarker_table(cohort))])

    # --- Data quality (of the whole file, before filters)
    if quality is not None:
        summary = tuple(line for line in quality.summary().splitlines() if line)
        sections.append(Section("quality", "Data quality", "Data-quality summary (whole file, before filters)",
                                table=quality.counts(), notes=summary))
        issues = quality.to_frame()
        if len(issues):
            sections.append(Section("quality-issues", "Data quality", "Data-quality issues, row by row", table=issues, in_slides=False))

    # --- Methods
    methods = methods_paragraph(methods_options(result, o, survival, facts))
    sections.append(Section("methods", "Methods", "Statistical methods", text=methods))

    meta = ReportMeta(
        cohort_name=cohort_name, n=result.n, n_total=result.n_total, filters=tuple(result.describe()),
        file_name=file_name, **({"generated": generated} if generated is not None else {}),
    )
    return Report(sections, meta)


def methods_options(result: FilterResult, o: ReportOptions, survival: Mapping[str, GroupedSurvival], facts: Mapping[str, Any]) -> MethodsOptions:
    """MethodsOptions describing what the report actually computed."""
    with_curves = tuple(e for e, r in survival.items() if r.curves)
    tested = [r for r in survival.values() if r.test is not None]
    grouping_label = None
    if o.survival_grouping is not None and tested:
        grouping_label = make_groupings(o.line_cut)[o.survival_grouping].label
    return MethodsOptions(
        n=result.n, n_total=result.n_total, filters=tuple(result.describe()),
        endpoints=with_curves, conf_type=o.conf_type, grouping_label=grouping_label, test=o.test,
        stratified=any(r.test.stratified for r in tested), min_group_size=o.min_group_size,
        n_tests=int(facts.get("n_tests", 0)), subgroup_test=o.subgroup_test, adjust=o.adjust,
        subgroup_conf_type=o.subgroup_conf_type,
        response_denominator=o.denominator if facts.get("response") else None,
        response_by_label=facts.get("response_by_label"), response_outcome=o.outcome,
        association_monte_carlo=facts.get("association_monte_carlo"),
        table1_by_label=facts.get("table1_by_label"),
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
