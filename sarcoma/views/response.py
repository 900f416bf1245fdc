"""Response view: best response and ORR/DCR by a grouping with exact CIs and the association
test, plus the waterfall plot of the best change in target lesions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from sarcoma.formatting import in_sentence, p_value_text, percent_ci_text
from sarcoma.groupings import DEFAULT_LINE_CUT, make_groupings
from sarcoma.plots import waterfall_figure
from sarcoma.response import (
    CI_METHOD,
    DENOMINATORS,
    TOTAL_LABEL,
    AssociationResult,
    ResponseDataError,
    association_test,
    objective_response,
    response_crosstab,
    response_table,
)
from sarcoma.views.context import ViewContext
from sarcoma.views.model import FigureBlock, TableBlock, View
from sarcoma.views.survival import check_choice

RESPONSE_GROUPINGS = {
    "histotype": "Histotype",
    "histotype_detail": "Histotype (detailed)",
    "line": "Line of therapy",
    "line_2": "Line of therapy (two groups)",
    "regimen_class": "Regimen class",
    "regimen": "Regimen",
    "center": "Centre",
    "sex": "Sex",
    "primary_site": "Primary site",
}
DENOMINATOR_WORDS = {"evaluable": "evaluable patients (CR+PR+SD+PD)", "all": "all treated patients (NE counted as non-responders)"}
DENOMINATOR_HEADERS = {"evaluable": "Evaluable (CR+PR+SD+PD)", "all": "All treated"}
OUTCOMES = {"responder": "CR/PR vs other", "best_response": "CR / PR / SD / PD"}


@dataclass(frozen=True)
class ResponseOptions:
    by: str = "histotype"
    denominator: str = "evaluable"
    outcome: str = "responder"

    def __post_init__(self) -> None:
        check_choice(self.by, RESPONSE_GROUPINGS, "response grouping")
        check_choice(self.denominator, DENOMINATORS, "response denominator")
        check_choice(self.outcome, OUTCOMES, "association outcome")


def group_labels(df: pd.DataFrame, by: str, line_cut: int = DEFAULT_LINE_CUT) -> pd.Series:
    """Row labels for the response table (a cohort column or a grouping variable)."""
    groupings = make_groupings(line_cut)
    if by in groupings:
        return groupings[by].make(df)
    if by in df:
        return df[by].astype(object).where(df[by].notna(), None)
    raise ValueError(f"The cohort has no column {by!r}.")


def has_response_data(cohort: pd.DataFrame) -> bool:
    return "best_response" in cohort and cohort["best_response"].notna().any()


def response_counts(cohort: pd.DataFrame, options: ResponseOptions, line_cut: int) -> pd.DataFrame:
    """The response table with its numbers (counts, denominators, rates and CI limits)."""
    label = RESPONSE_GROUPINGS[options.by]
    # Keep the schema column name so response_table orders levels by the schema vocabulary.
    data = pd.DataFrame({options.by: group_labels(cohort, options.by, line_cut), "best_response": cohort["best_response"]})
    table = response_table(data, options.by, denominator=options.denominator)
    table.index.name = label
    return table


def display_response_table(table: pd.DataFrame, denominator: str) -> pd.DataFrame:
    """The table as read: the denominator and the CI method in the headers, "58.3% (27.7-84.8)"
    in the cells, every column in view (no repeated wording)."""
    rate = f"% (95% CI, {CI_METHOD.split()[0]})"
    out = table[["n", "CR", "PR", "SD", "PD", "NE", "n_denominator"]].rename(columns={"n_denominator": DENOMINATOR_HEADERS[denominator]})
    out[f"ORR {rate}"] = [percent_ci_text(r.ORR, r.ORR_lower, r.ORR_upper) for r in table.itertuples()]
    out[f"DCR {rate}"] = [percent_ci_text(r.DCR, r.DCR_lower, r.DCR_upper) for r in table.itertuples()]
    return out.reset_index()


def association_parts(
    groups: Sequence[object], table: pd.DataFrame, label: str, crosstab: Callable[[], pd.DataFrame],
    lines: list[str], warnings: list[str], notes: list[str],
) -> AssociationResult | None:
    """The association test of a response table (or why there is none) and the small-denominator
    warning, added to the view's lines, warnings and notes; the same for patient rows and pools."""
    assoc = None
    if len(groups) >= 2:
        try:
            assoc = association_test(crosstab())
        except ResponseDataError as exc:
            notes.append(f"No association test: {exc}")
        else:
            lines.append(association_line(label, assoc))
            if assoc.expected_warning:
                warnings.append(assoc.expected_warning)
            notes += list(assoc.notes)
    elif len(groups) == 1:
        notes.append(f"Only one group ({list(groups)[0]}): no association test.")
    else:
        notes.append("No group to compare: no association test.")
    small = [str(g) for g in groups if table.loc[g, "n_denominator"] < 5]
    if small:
        warnings.append(f"Fewer than 5 patients in the denominator: {', '.join(small)}. Their rates and CIs rest on very few patients.")
    return assoc


def association_line(label: str, assoc: AssociationResult) -> str:
    return (f"Association ({label}): Pearson χ² = {assoc.chi2:.2f}, df = {assoc.df}, p = {p_value_text(assoc.chi2_p)}; "
            f"{assoc.method} p = {p_value_text(assoc.exact_p)}")


def response_view(cohort: pd.DataFrame, options: ResponseOptions, ctx: ViewContext) -> View:
    title = f"Best response by {in_sentence(RESPONSE_GROUPINGS[options.by])}"
    if not has_response_data(cohort):
        return View("response", "Response", title, warnings=("This file has no best-response data, so response rates cannot be computed.",),
                    options=options)
    table = response_counts(cohort, options, ctx.line_cut)
    overall = objective_response(cohort["best_response"], denominator=options.denominator)
    lines = [f"Overall: {overall.label}; {overall.dcr_label}"]
    notes = [overall.describe()]
    warnings: list[str] = []
    label = RESPONSE_GROUPINGS[options.by]
    test_label = f"{label} × {'responder (CR/PR) vs not' if options.outcome == 'responder' else 'best response'}, {DENOMINATOR_WORDS[options.denominator]}"
    groups = table.drop(index=TOTAL_LABEL).index

    def crosstab() -> pd.DataFrame:
        data = pd.DataFrame({options.by: group_labels(cohort, options.by, ctx.line_cut), "best_response": cohort["best_response"]})
        return response_crosstab(data.dropna(subset=[options.by]), options.by, outcome=options.outcome, denominator=options.denominator)

    assoc = association_parts(groups, table, test_label, crosstab, lines, warnings, notes)
    methods = (
        f"ORR = (CR+PR) / {DENOMINATOR_WORDS[options.denominator]}; DCR = (CR+PR+SD) / the same denominator. "
        f"95% CI: {CI_METHOD}. Association: Pearson chi-square and Fisher's exact (2×2) or Fisher-Freeman-Halton (r×c) test. "
        "Totals are computed from the rows."
    )
    figures = []
    if "best_pct_change" in cohort and cohort["best_pct_change"].notna().any():
        missing = int(cohort["best_pct_change"].isna().sum())
        fig = waterfall_figure(cohort["best_pct_change"], cohort["best_response"], style=ctx.style)
        figures.append(FigureBlock("waterfall", "Waterfall plot: best change in target lesions", fig,
                                   notes=(f"{missing} patient(s) without a recorded target-lesion change are not in the waterfall plot.",) if missing else ()))
    return View(
        key="response", chapter="Response", title=title, lines=tuple(lines),
        tables=(TableBlock("response-table", title, display_response_table(table, options.denominator)),),
        figures=tuple(figures), notes=tuple(notes), warnings=tuple(warnings), methods=methods, options=options, figures_first=False,
        facts={"response": True, "response_by_label": label,
               "association_monte_carlo": assoc.n_resamples if assoc is not None and assoc.monte_carlo else None},
    )
