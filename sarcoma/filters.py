"""Cohort + filter state -> subset, with a plain account of what was filtered and why.

A filter on a variable keeps only patients whose value is among the chosen ones; patients with a
missing value for a filtered variable are therefore removed too, and `FilterResult.steps` says how
many were removed for that reason, so no patient leaves the analysis without being counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from sarcoma.groupings import DEFAULT_LINE_CUT, line_group, line_levels

# Filters on categorical columns: state attribute -> (cohort column, label shown to the user).
CATEGORICAL_FILTERS: dict[str, tuple[str, str]] = {
    "histotypes": ("histotype", "Histotype"),
    "regimen_classes": ("regimen_class", "Regimen class"),
    "regimens": ("regimen", "Regimen"),
    "centers": ("center", "Centre"),
    "sexes": ("sex", "Sex"),
    "primary_sites": ("primary_site", "Primary site"),
    "stages": ("disease_stage", "Disease stage"),
}
OTHER = "Other"


@dataclass(frozen=True)
class FilterState:
    """What the user selected. An empty tuple means "no filter on this variable"."""

    histotypes: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    line_cut: int = DEFAULT_LINE_CUT
    regimen_classes: tuple[str, ...] = ()
    regimens: tuple[str, ...] = ()
    centers: tuple[str, ...] = ()
    sexes: tuple[str, ...] = ()
    primary_sites: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    age_min: float | None = None
    age_max: float | None = None
    # Histotypes with fewer patients than this are shown (and filtered) as "Other"; 0 = off.
    fold_rare_below: int = 0

    def is_empty(self) -> bool:
        return self == FilterState(line_cut=self.line_cut, fold_rare_below=self.fold_rare_below)


def _num_to_str(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class FilterStep:
    variable: str
    kept_values: str
    removed: int
    removed_missing: int


@dataclass(frozen=True)
class FilterResult:
    subset: pd.DataFrame
    n: int
    n_total: int
    steps: tuple[FilterStep, ...] = field(default_factory=tuple)

    def headline(self) -> str:
        return f"n = {self.n} of {self.n_total} patients"

    def describe(self) -> list[str]:
        """One sentence per active filter, in the order applied."""
        lines = []
        for s in self.steps:
            text = f"{s.variable}: {s.kept_values} ({s.removed} removed"
            if s.removed_missing:
                text += f", of which {s.removed_missing} with no value recorded"
            lines.append(text + ")")
        return lines


def histotype_display(cohort: pd.DataFrame, fold_rare_below: int = 0) -> pd.Series:
    """Histotype labels, with rare groups folded into "Other" when asked."""
    histo = cohort["histotype"].astype(object)
    if fold_rare_below <= 0:
        return histo
    counts = histo.value_counts()
    rare = [h for h, c in counts.items() if c < fold_rare_below]
    return histo.where(~histo.isin(rare), OTHER)


def with_derived_columns(cohort: pd.DataFrame, state: FilterState) -> pd.DataFrame:
    """Add the columns filters and groupings act on (display histotype, line group)."""
    out = cohort.copy()
    out["histotype_group"] = histotype_display(cohort, state.fold_rare_below)
    if "line_of_therapy" in out:
        out["line_group"] = line_group(out["line_of_therapy"], state.line_cut)
    return out


def filter_options(cohort: pd.DataFrame, state: FilterState | None = None) -> dict[str, list[str]]:
    """The values each filter can take in this cohort (for the sidebar widgets)."""
    state = state or FilterState()
    derived = with_derived_columns(cohort, state)
    options: dict[str, list[str]] = {}
    for attr, (column, _label) in CATEGORICAL_FILTERS.items():
        source = "histotype_group" if attr == "histotypes" else column
        if source not in derived:
            continue
        counts = derived[source].dropna().astype(str).value_counts()
        options[attr] = sorted(counts.index, key=lambda v: (-counts[v], v))
    if "line_group" in derived:
        present = set(derived["line_group"].dropna())
        options["lines"] = [lv for lv in line_levels(state.line_cut) if lv in present]
    return options


def apply_filters(cohort: pd.DataFrame, state: FilterState) -> FilterResult:
    """Subset the cohort; every removal is counted in `steps`."""
    derived = with_derived_columns(cohort, state)
    keep = np.ones(len(derived), dtype=bool)
    steps: list[FilterStep] = []

    def apply(label: str, values_text: str, mask: np.ndarray, missing: np.ndarray) -> None:
        nonlocal keep
        removed = keep & ~mask
        steps.append(FilterStep(label, values_text, int(removed.sum()), int((removed & missing).sum())))
        keep &= mask

    for attr, (column, label) in CATEGORICAL_FILTERS.items():
        chosen = getattr(state, attr)
        source = "histotype_group" if attr == "histotypes" else column
        if not chosen:
            continue
        if source not in derived:
            apply(label, ", ".join(chosen), np.zeros(len(derived), bool), np.ones(len(derived), bool))
            continue
        col = derived[source]
        apply(label, ", ".join(chosen), col.astype(str).isin(chosen).to_numpy() & col.notna().to_numpy(), col.isna().to_numpy())

    if state.lines:
        col = derived.get("line_group", pd.Series(None, index=derived.index, dtype=object))
        apply("Line of therapy", ", ".join(state.lines), col.isin(state.lines).to_numpy(), col.isna().to_numpy())

    if state.age_min is not None or state.age_max is not None:
        age = pd.to_numeric(derived.get("age", pd.Series(np.nan, index=derived.index)), errors="coerce")
        lo = -np.inf if state.age_min is None else state.age_min
        hi = np.inf if state.age_max is None else state.age_max
        mask = ((age >= lo) & (age <= hi)).to_numpy()
        apply("Age", f"{_num_to_str(state.age_min) or 'any'} to {_num_to_str(state.age_max) or 'any'} years", mask, age.isna().to_numpy())

    subset = derived.loc[keep]
    return FilterResult(subset=subset, n=int(keep.sum()), n_total=len(derived), steps=tuple(steps))


@dataclass(frozen=True)
class FilterFit:
    """A filter state made to fit a cohort's values, with one notice per change."""

    state: FilterState
    notices: tuple[str, ...] = ()


_CHOICE_LABELS = {attr: label for attr, (_column, label) in CATEGORICAL_FILTERS.items()} | {"lines": "Line of therapy"}


def fit_filters(state: FilterState, options: dict[str, list[str]]) -> FilterFit:
    """Drop chosen values this cohort does not have (another file's histotype, a line group of
    another cut), saying which: a filter never loses a value silently. A filter left with no
    value is removed, and the notice says so, because an empty choice means "all patients"."""
    changes: dict[str, tuple[str, ...]] = {}
    notices = []
    for attr in _CHOICE_LABELS:
        chosen = getattr(state, attr)
        if not chosen:
            continue
        have = set(options.get(attr, ()))
        kept = tuple(v for v in chosen if v in have)
        if kept == chosen:
            continue
        gone = ", ".join(v for v in chosen if v not in have)
        label = _CHOICE_LABELS[attr]
        if kept:
            notices.append(f"{label}: {gone} is not in this data and was taken out of the filter.")
        else:
            notices.append(f"{label}: {gone} is not in this data, so the {label.lower()} filter was removed (all patients).")
        changes[attr] = kept
    return FilterFit(replace(state, **changes), tuple(notices))


def fit_age_range(
    chosen: tuple[float, float] | None,
    bounds: tuple[float, float],
    previous_bounds: tuple[float, float] | None,
) -> tuple[tuple[float, float], str | None]:
    """An age range for a cohort whose ages span `bounds`, and a notice when it changed.

    The full range of the previous data meant "no age filter": it becomes this cohort's full
    range (a paediatric file after the sample keeps every child). A range overlapping `bounds`
    is clipped to them, which selects the same patients. A range outside them selects nobody and
    is reset to the full range, with a notice."""
    lo, hi = bounds
    if chosen is None or (previous_bounds is not None and tuple(chosen) == tuple(previous_bounds)):
        return (lo, hi), None
    a, b = chosen
    if b < lo or a > hi:
        return (lo, hi), (
            f"Age: {_num_to_str(a)} to {_num_to_str(b)} years is outside this data's ages "
            f"({_num_to_str(lo)} to {_num_to_str(hi)}), so the age filter was removed (all patients)."
        )
    return (max(a, lo), min(b, hi)), None


def clear(state: FilterState) -> FilterState:
    """Remove all selections but keep the display options (line cut, folding)."""
    return replace(FilterState(), line_cut=state.line_cut, fold_rare_below=state.fold_rare_below)
