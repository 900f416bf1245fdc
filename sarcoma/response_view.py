"""What the Response page shows: a response table by a grouping, its association test and the
methods sentence, computed in one place."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sarcoma.groupings import DEFAULT_LINE_CUT, make_groupings
from sarcoma.response import (
    CI_METHOD,
    TOTAL_LABEL,
    AssociationResult,
    ResponseDataError,
    association_test,
    objective_response,
    response_crosstab,
    response_table,
)

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


@dataclass(frozen=True)
class ResponseView:
    table: pd.DataFrame
    display: pd.DataFrame
    headline: str
    methods: str
    association: AssociationResult | None
    association_table_label: str
    association_note: str | None


def group_labels(df: pd.DataFrame, by: str, line_cut: int = DEFAULT_LINE_CUT) -> pd.Series:
    """Row labels for the response table (a cohort column or a grouping variable)."""
    groupings = make_groupings(line_cut)
    if by in groupings:
        return groupings[by].make(df)
    if by in df:
        return df[by].astype(object).where(df[by].notna(), None)
    raise ValueError(f"The cohort has no column {by!r}.")


def response_view(
    df: pd.DataFrame, by: str, *, denominator: str = "evaluable", outcome: str = "responder", line_cut: int = DEFAULT_LINE_CUT
) -> ResponseView:
    label = RESPONSE_GROUPINGS.get(by, by)
    # Keep the schema column name so response_table orders levels by the schema vocabulary.
    data = pd.DataFrame({by: group_labels(df, by, line_cut), "best_response": df["best_response"]})
    table = response_table(data, by, denominator=denominator)
    table.index.name = label
    overall = objective_response(df["best_response"], denominator=denominator)
    display = table[["n", "CR", "PR", "SD", "PD", "NE", "n_denominator", "ORR (CI)", "DCR (CI)"]].rename(
        columns={"n_denominator": "Denominator"}
    )
    assoc, note = None, None
    groups_present = table.drop(index=TOTAL_LABEL).index
    table_label = f"{label} × {'responder (CR/PR) vs not' if outcome == 'responder' else 'best response'}, {DENOMINATOR_WORDS[denominator]}"
    if len(groups_present) >= 2:
        try:
            crosstab = response_crosstab(data.dropna(subset=[by]), by, outcome=outcome, denominator=denominator)
            assoc = association_test(crosstab)
        except ResponseDataError as exc:
            note = f"No association test: {exc}"
    else:
        note = "Only one group: no association test."
    methods = (
        f"ORR = (CR+PR) / {DENOMINATOR_WORDS[denominator]}; DCR = (CR+PR+SD) / the same denominator. "
        f"95% CI: {CI_METHOD}. Association: Pearson chi-square and "
        "Fisher's exact (2×2) or Fisher-Freeman-Halton (r×c) test. Totals are computed from the rows."
    )
    return ResponseView(
        table=table, display=display, headline=f"Overall: {overall.describe()}", methods=methods,
        association=assoc, association_table_label=table_label, association_note=note,
    )
