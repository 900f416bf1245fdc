"""Safety & biomarkers view: adverse events, discontinuations and the biomarkers of responders
(the seed's toxicity paragraph and Table 3), as tables a reader can take in at a glance."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sarcoma.safety import (
    SafetyDataError,
    ae_by_term,
    ae_summary,
    biomarker_summary,
    biomarker_table,
    discontinuation_table,
)
from sarcoma.views.context import ViewContext
from sarcoma.views.model import TableBlock, View

# Display columns of each table: the counts as "n (%)" text, readable headers, no raw numbers.
_AE_COLUMNS = {"measure": "Measure", "value": "n (%)", "not_recorded": "Not recorded", "note": "Note"}
_DISCONTINUATION_COLUMNS = {"section": "Section", "item": "Item", "value": "n (%)", "note": "Note"}
_BIOMARKER_COLUMNS = {"measure": "Measure", "value": "n (%)", "denominator": "Denominator", "not_interpretable": "Not interpretable", "note": "Note"}


@dataclass(frozen=True)
class SafetyOptions:
    """The safety view has no choices yet; the type keeps every view's signature alike."""


def readable(table: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The chosen columns, renamed, as text with blanks for missing values."""
    out = table[[c for c in columns if c in table]].rename(columns=columns)
    return out.astype(object).where(out.notna(), "").astype(str).replace({"<NA>": "", "None": "", "nan": ""})


def _dedupe_sections(table: pd.DataFrame) -> pd.DataFrame:
    """Name a section once, on its first row (as in a paper's table)."""
    out = table.copy()
    first = out.columns[0]
    out[first] = out[first].where(out[first] != out[first].shift(), "")
    return out


def safety_view(cohort: pd.DataFrame, options: SafetyOptions, ctx: ViewContext, adverse_events: pd.DataFrame | None = None) -> View:
    tables: list[TableBlock] = []
    notes: list[str] = []

    def add(key: str, title: str, make: Callable[[], pd.DataFrame]) -> None:
        try:
            tables.append(TableBlock(key, title, make()))
        except SafetyDataError as exc:
            notes.append(f"{title}: not available for this file. {exc}")

    add("ae-summary", "Adverse events", lambda: readable(ae_summary(cohort, adverse_events), _AE_COLUMNS))
    if adverse_events is not None and len(adverse_events):
        add("ae-terms", "Adverse events by term", lambda: ae_by_term(adverse_events))
    else:
        notes.append("No adverse-event table (one row per event) was provided: event counts by term are not available.")
    add("discontinuation", "Treatment status and discontinuation",
        lambda: _dedupe_sections(readable(discontinuation_table(cohort), _DISCONTINUATION_COLUMNS)))
    add("biomarkers", "Biomarkers", lambda: readable(biomarker_summary(cohort), _BIOMARKER_COLUMNS))
    add("biomarkers-responders", "Responders (CR/PR) and their biomarkers (as the seed's Table 3)", lambda: biomarker_table(cohort))
    return View(
        key="safety", chapter="Safety", title="Safety and biomarkers", tables=tuple(tables), notes=tuple(notes),
        methods="Adverse events graded by CTCAE v5.0 as recorded; percentages of all treated patients unless the row names another denominator.",
        options=options,
    )
