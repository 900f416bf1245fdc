"""Cohort view: patient characteristics in the seed's Table 1 shape, optionally by a group."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sarcoma.characteristics import available_variables, characteristics_table
from sarcoma.formatting import in_sentence
from sarcoma.groupings import make_groupings, why_not_grouped
from sarcoma.views.context import ViewContext
from sarcoma.views.model import TableBlock, View
from sarcoma.views.survival import check_choice

TESTS_SENTENCE = (
    "Tests: Pearson chi-square (Fisher's exact for 2×2 tables with small expected counts) for categorical "
    "variables, Mann-Whitney U or Kruskal-Wallis for continuous ones."
)


DECK_VARIABLES: tuple[tuple[str, ...], ...] = (
    ("sex", "age", "disease_stage", "line_of_therapy"),
    ("histotype",),
)


@dataclass(frozen=True)
class CohortOptions:
    by: str | None = None  # a baseline grouping key, or None for the whole selection

    def __post_init__(self) -> None:
        if self.by is not None:
            check_choice(self.by, {k for k, g in make_groupings().items() if not g.post_baseline}, "Table 1 split")


def cohort_view(cohort: pd.DataFrame, options: CohortOptions, ctx: ViewContext) -> View:
    warnings: list[str] = []
    by = options.by
    groupings = make_groupings(ctx.line_cut)
    if by is not None and (problem := why_not_grouped(cohort, groupings[by])) is not None:
        warnings.append(f"Split by {groupings[by].label}: not shown for this selection, because {problem}. "
                        "It is shown again when the filters allow it.")
        by = None
    table = characteristics_table(cohort, by=by, line_cut=ctx.line_cut)
    title = "Patient characteristics" + (f" by {in_sentence(groupings[by].label)}" if by else "")
    # Slides at a readable size hold ~16 rows: the seed's key characteristics, then histotypes.
    present = set(available_variables(cohort))
    deck = tuple(characteristics_table(cohort, by=by, variables=[v for v in variables if v in present], line_cut=ctx.line_cut)
                 for variables in DECK_VARIABLES if any(v in present for v in variables))
    return View(
        key="table1", chapter="Patients", title=title,
        tables=(TableBlock("table1", f"{title} (n = {len(cohort)})", table, deck=deck),),
        notes=("Categorical variables: n (% of all patients in the column); continuous: median (min–max).",),
        warnings=tuple(warnings), methods=TESTS_SENTENCE if by else "", options=options,
        facts={"table1_by_label": groupings[by].label if by else None},
    )
