"""Kaplan-Meier view: curves of one endpoint by a grouping, the test, the summary table."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcoma.endpoints import ENDPOINTS, endpoint_data, get_endpoint
from sarcoma.errors import SarcomaError
from sarcoma.formatting import hr_text, p_value_text
from sarcoma.groupings import make_groupings, why_not_grouped
from sarcoma.km_summary import (
    CONF_TYPES,
    DEFAULT_MIN_GROUP,
    TESTS,
    GroupedSurvival,
    survival_by_group,
)
from sarcoma.plots import km_figure
from sarcoma.risk_table import LAYOUTS, risk_table
from sarcoma.survival import SurvivalInputError, cox_hazard_ratios, format_median
from sarcoma.views.context import ViewContext
from sarcoma.views.model import FigureBlock, TableBlock, View

GUARANTEE_TIME_WARNING = (
    "This grouping is known only after treatment starts (response, toxicity). Patients who die or "
    "progress early cannot become responders, so the comparison favours the responders "
    "(guarantee-time bias): see the landmark analysis on the Landmark & Cox page."
)


class ViewOptionError(SarcomaError):
    """An option a view does not know; the message lists the valid ones."""


def check_choice(value: object, allowed, what: str) -> None:
    if value not in allowed:
        raise ViewOptionError(f"Unknown {what} {value!r}; choose one of {', '.join(map(str, allowed))}.")


@dataclass(frozen=True)
class SurvivalOptions:
    endpoint: str = "PFS"
    grouping: str | None = None  # None: all patients
    test: str = "logrank"
    conf_type: str = "log-log"
    show_ci: bool = False
    stratify: bool = False
    min_group_size: int = DEFAULT_MIN_GROUP
    risk_table: str = "at_risk"

    def __post_init__(self) -> None:
        check_choice(self.endpoint, ENDPOINTS, "endpoint")
        check_choice(self.test, TESTS, "test")
        check_choice(self.conf_type, CONF_TYPES, "confidence-interval method")
        check_choice(self.risk_table, LAYOUTS, "risk table layout")
        if self.grouping is not None:
            check_choice(self.grouping, make_groupings(), "grouping")
        if self.min_group_size < 1:
            raise ViewOptionError("The minimum group size must be at least 1.")


def survival_view(cohort: pd.DataFrame, options: SurvivalOptions, ctx: ViewContext) -> View:
    """Kaplan-Meier curves with the risk table, the test and (two groups) the Cox hazard ratio."""
    endpoint = get_endpoint(options.endpoint)
    groupings = make_groupings(ctx.line_cut)
    warnings: list[str] = []
    grouping = options.grouping
    if grouping is not None and (problem := why_not_grouped(cohort, groupings[grouping])) is not None:
        # The choice stays; the view says why it is not drawn and shows all patients meanwhile.
        warnings.append(f"Compare by {groupings[grouping].label}: not shown for this selection, because {problem}. "
                        "It is shown again when the filters allow it.")
        grouping = None
    res = survival_by_group(
        cohort, endpoint.key, grouping, conf_type=options.conf_type, test=options.test,
        stratify_by_center=options.stratify, min_group_size=options.min_group_size, line_cut=ctx.line_cut,
    )
    title = f"{endpoint.title} — {res.grouping_label}"
    key = f"km-{endpoint.key.lower()}"
    if not res.curves:
        return View(key, "Survival", title, warnings=(*warnings, f"No patient in this selection has a usable {endpoint.key} time and event."),
                    options=options)
    label_lines = (res.test_label() or "").splitlines()
    lines = [label_lines[0]] if res.test is not None and label_lines else []
    if (hr := two_group_hazard_ratio(cohort, res, options, ctx)) is not None:
        lines.append(hr)
    # The test label's other lines (stratification not possible, groups without a comparison).
    notes_in_label = label_lines[1:] if res.test is not None else label_lines
    other = [n for n in notes_in_label if not n.startswith("⚠")]
    small = []
    if res.small_groups:
        small = [f"⚠ Fewer than {options.min_group_size} patients: {', '.join(res.small_groups)}."]
        warnings.append(f"Small groups (fewer than {options.min_group_size} patients): {', '.join(res.small_groups)}. "
                        "Their estimates, and the test's p-value, rest on very few patients.")
    if grouping is not None and groupings[grouping].post_baseline:
        warnings.append(GUARANTEE_TIME_WARNING)
    colors = ctx.colors(grouping, list(res.curves))
    legend = {lv: f"{lv} (n = {c.n}; median {_median_value(c.median)})" for lv, c in res.curves.items()}
    risk = risk_table(res.curves, list(res.at_risk.columns), options.risk_table)
    figure = km_figure(
        res.curves, at_risk=risk, title=title, annotation="\n".join(lines) or None, footnote=small,
        show_ci=options.show_ci, colors=colors, legend_labels=legend, style=ctx.style, x_label=f"Months from {endpoint.origin}",
        y_label=endpoint.curve_label,
    )
    notes = [*other, follow_up_line(res), f"Analysed {res.n_analysed} of {res.n_subset} patients in the selection ({endpoint.eligibility})."]
    notes += [f"Not in the curves: {ex.n} patient(s) — {ex.reason}." for ex in res.excluded]
    at_risk_table = risk.copy()
    at_risk_table.index = [" · ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in at_risk_table.index]
    at_risk_table.columns = [f"{t:g}" for t in at_risk_table.columns]
    at_risk_table.index.name = f"{LAYOUTS[options.risk_table]} (months)"
    return View(
        key=key, chapter="Survival", title=title, lines=tuple(lines),
        figures=(FigureBlock(key, title, figure),),
        tables=(
            TableBlock(f"{key}-table", f"{endpoint.title}: medians and rates", res.display_table()),
            TableBlock(f"{key}-risk", f"{endpoint.title}: {LAYOUTS[options.risk_table].lower()}", at_risk_table,
                       in_deck=False, on_page=False),
        ),
        notes=tuple(notes), warnings=tuple(warnings), methods=res.methods_note(), options=options,
        facts={"endpoint": endpoint.key, "grouping": grouping, "tested": res.test is not None,
               "stratified": bool(res.test is not None and res.test.stratified)},
    )


def _median_value(median: float) -> str:
    return "not reached" if not math.isfinite(median) else f"{median:.1f} mo"


def follow_up_line(res: GroupedSurvival) -> str:
    text = getattr(res, "follow_up_text", None)
    if callable(text):
        return text()
    return f"Median follow-up (reverse Kaplan-Meier on overall survival): {format_median(*res.follow_up)} months"


def two_group_hazard_ratio(cohort: pd.DataFrame, res: GroupedSurvival, options: SurvivalOptions, ctx: ViewContext) -> str | None:
    """For two groups: the Cox hazard ratio (second vs first group), as papers print it next to
    the log-rank p. None for another number of groups or when it cannot be estimated."""
    if res.grouping is None or len(res.curves) != 2 or res.test is None:
        return None
    g = make_groupings(ctx.line_cut)[res.grouping]
    data = endpoint_data(cohort, options.endpoint)
    labels = g.make(cohort).reindex(data.index)
    frame = pd.DataFrame({"time": data["time"], "event": data["event"], "group": labels})
    strata = None
    if res.test.stratified and "center" in cohort:
        frame["centre"] = cohort.loc[data.index, "center"]
        strata = "centre"
    frame = frame.dropna(subset=["group"])
    reference, other = list(res.curves)
    try:
        fit = cox_hazard_ratios(frame, "time", "event", "group", reference=reference, strata=strata)
    except SurvivalInputError:
        return None
    row = fit.table.iloc[0]
    if not np.isfinite(row["hr"]):
        return None
    return (f"HR {other} vs {reference}: {hr_text(row['hr'], row['lower'], row['upper'])} "
            f"(Cox{', stratified by centre' if strata else ''}; Wald p {_p(row['p_value'])})")


def _p(p: float) -> str:
    text = p_value_text(p)
    return f"< {text[1:]}" if text.startswith("<") else f"= {text}"
