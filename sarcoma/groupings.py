"""Grouping variables for survival curves, subgroup tables and response tables.

Each grouping turns the canonical cohort into one label per patient (missing where the patient
cannot be placed), so every page groups patients the same way and with the same labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sarcoma.formatting import in_sentence
from sarcoma.schema import (
    BEST_RESPONSES,
    EVALUABLE_RESPONSES,
    HISTOTYPES,
    PRIMARY_SITES,
    REGIMEN_CLASSES,
    SEXES,
    STAGES,
)

DEFAULT_LINE_CUT = 3
RESPONDER = "Responder (CR/PR)"
NON_RESPONDER = "Non-responder (SD/PD)"
# Fixed display orders, so a group keeps its place (and colour) whatever the filters leave.
VOCABULARIES: tuple[tuple[str, ...], ...] = (
    HISTOTYPES,
    REGIMEN_CLASSES,
    BEST_RESPONSES,
    SEXES,
    STAGES,
    PRIMARY_SITES,
    (RESPONDER, NON_RESPONDER),
    ("Any AE", "No AE"),
    ("Head and neck", "Other sites"),
)


# Integer codes per patient (-1: cannot be placed) and the distinct labels they index.
Coded = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Grouping:
    key: str
    label: str
    coder: Callable[[pd.DataFrame], Coded]
    # True when the grouping is only known after treatment starts (response, toxicity): a plain
    # log-rank comparison of such groups suffers from guarantee-time bias.
    post_baseline: bool = False
    ordered: bool = False

    def codes(self, df: pd.DataFrame) -> Coded:
        """Codes and labels: what the subgroup table needs (no label strings per patient)."""
        return self.coder(df)

    def make(self, df: pd.DataFrame) -> pd.Series:
        """One label per patient, None where the patient cannot be placed."""
        return _as_series(*self.coder(df), df.index)


def line_group(line_of_therapy: pd.Series, cut: int = DEFAULT_LINE_CUT, *, split_below: bool = True) -> pd.Series:
    """Label each line of therapy: "1", "2", ..., ">=cut" (split_below) or "1-(cut-1)" / ">=cut".

    With the seed's cut of 3 the two forms are "1" / "2" / ">=3" and "1-2" / ">=3".
    """
    return _recode(pd.to_numeric(line_of_therapy, errors="coerce"), _line_label(cut, split_below))


def _line_label(cut: int, split_below: bool) -> Callable[[float], str]:
    if cut < 2:
        raise ValueError("The line-of-therapy cut must be 2 or more.")
    high = f"≥{cut}"
    low = "1" if cut == 2 else f"1-{cut - 1}"

    def label(v: float) -> str:
        if v >= cut:
            return high
        if not split_below:
            return low
        return str(int(v)) if float(v).is_integer() else f"{v:g}"

    return label


def _line_coder(cut: int, split_below: bool) -> Callable[[pd.DataFrame], Coded]:
    label = _line_label(cut, split_below)

    def coder(df: pd.DataFrame) -> Coded:
        return _codes_of(pd.to_numeric(df["line_of_therapy"], errors="coerce"), label)

    return coder


def line_levels(cut: int = DEFAULT_LINE_CUT, *, split_below: bool = True) -> list[str]:
    """The ordered labels `line_group` can produce."""
    if split_below:
        return [str(i) for i in range(1, cut)] + [f"≥{cut}"]
    return ["1" if cut == 2 else f"1-{cut - 1}", f"≥{cut}"]


def responder(best_response: pd.Series) -> pd.Series:
    """"Responder" (CR/PR) vs "Non-responder" (SD/PD); not evaluable stays missing."""
    return _recode(best_response, _RESPONDER.get)


def evaluable_response(best_response: pd.Series) -> pd.Series:
    return _recode(best_response, _evaluable)


def _evaluable(v: Any) -> Any:
    return v if v in EVALUABLE_RESPONSES else None


def _head_neck(site: Any) -> str:
    return "Head and neck" if site == "Head and neck" else "Other sites"


def _codes_of(values: pd.Series, label: Callable[[Any], Any]) -> Coded:
    """Codes of `label(v)` per patient, `label` called once per distinct value (a hash
    factorisation, so 15 groupings of a million patients stay fast). Missing values, and
    values `label` maps to None, get code -1. Labels in order of first appearance."""
    raw, uniques = pd.factorize(values)
    mapped = [label(u) for u in uniques]
    position: dict[Any, int] = {}
    for m in mapped:
        if m is not None:
            position.setdefault(m, len(position))
    lookup = np.array([position[m] if m is not None else -1 for m in mapped] + [-1], dtype=np.intp)
    labels = np.empty(len(position), dtype=object)
    labels[:] = list(position)
    return lookup[raw], labels


def _as_series(codes: np.ndarray, labels: np.ndarray, index: pd.Index) -> pd.Series:
    """Labels per patient; missing is None (not NaN) so labels stay plain Python objects."""
    lookup = np.empty(len(labels) + 1, dtype=object)
    lookup[:-1] = labels
    lookup[-1] = None  # code -1
    return pd.Series(lookup[codes], index=index, dtype=object)


def _recode(values: pd.Series, label: Callable[[Any], Any]) -> pd.Series:
    return _as_series(*_codes_of(values, label), values.index)


def _none(df: pd.DataFrame) -> Coded:
    return np.full(len(df), -1, dtype=np.intp), np.empty(0, dtype=object)


def _blank(index: pd.Index) -> pd.Series:
    """All-missing labels; missing is None (not NaN) so labels stay plain Python objects."""
    return pd.Series([None] * len(index), index=index, dtype=object)


def _column(name: str, label: Callable[[Any], Any] = lambda v: v) -> Callable[[pd.DataFrame], Coded]:
    def coder(df: pd.DataFrame) -> Coded:
        return _codes_of(df[name], label) if name in df else _none(df)

    return coder


def _numeric(name: str, label: Callable[[float], Any]) -> Callable[[pd.DataFrame], Coded]:
    def coder(df: pd.DataFrame) -> Coded:
        return _codes_of(pd.to_numeric(df[name], errors="coerce"), label) if name in df else _none(df)

    return coder


def _histotype(df: pd.DataFrame) -> Coded:
    # A filtered cohort carries "histotype_group" (rare histotypes folded into Other when the
    # user asked for it): group by what the filter shows, so the two never disagree.
    return _column("histotype_group" if "histotype_group" in df else "histotype")(df)


_RESPONDER = {"CR": RESPONDER, "PR": RESPONDER, "SD": NON_RESPONDER, "PD": NON_RESPONDER}


def _ae(df: pd.DataFrame) -> Coded:
    if "any_ae" not in df:
        return _none(df)
    return _codes_of(df["any_ae"].astype("boolean"), lambda v: "Any AE" if v else "No AE")


def _ae_grade_label(g: float) -> str | None:
    return "No AE" if g == 0 else "Grade 1-2" if 1 <= g <= 2 else "Grade ≥3" if g >= 3 else None


def _met_sites_label(n: float) -> str | None:
    return "0-1 sites" if n <= 1 else "≥2 sites" if n >= 2 else None


def make_groupings(line_cut: int = DEFAULT_LINE_CUT) -> dict[str, Grouping]:
    """All grouping variables the pages offer, keyed by a stable identifier."""
    items = [
        Grouping("histotype", "Histotype", _histotype),
        Grouping(
            "line_2",
            f"Line of therapy ({line_levels(line_cut, split_below=False)[0]} vs ≥{line_cut})",
            _line_coder(line_cut, split_below=False),
            ordered=True,
        ),
        Grouping(
            "line",
            "Line of therapy (" + " / ".join(line_levels(line_cut)) + ")",
            _line_coder(line_cut, split_below=True),
            ordered=True,
        ),
        Grouping("regimen_class", "Regimen class", _column("regimen_class")),
        Grouping("regimen", "Regimen", _column("regimen")),
        Grouping("responder", "Best response (CR/PR vs SD/PD)", _column("best_response", _RESPONDER.get), post_baseline=True),
        Grouping("best_response", "Best response (CR / PR / SD / PD)", _column("best_response", _evaluable), post_baseline=True, ordered=True),
        Grouping("center", "Centre", _column("center")),
        Grouping("sex", "Sex", _column("sex")),
        Grouping("disease_stage", "Disease stage", _column("disease_stage")),
        Grouping("primary_site", "Primary site", _column("primary_site")),
        Grouping("head_neck", "Primary site (head and neck vs other)", _column("primary_site", _head_neck)),
        Grouping("n_met_sites", "Number of metastatic sites", _numeric("n_met_sites", _met_sites_label), ordered=True),
        Grouping("any_ae", "Adverse event (any vs none)", _ae, post_baseline=True),
        Grouping("ae_grade", "Worst AE grade", _numeric("max_ae_grade", _ae_grade_label), post_baseline=True, ordered=True),
    ]
    return {g.key: g for g in items}


def why_not_grouped(cohort: pd.DataFrame, grouping: Grouping) -> str | None:
    """Why `grouping` cannot split `cohort` into groups, in plain words; None when it can.

    A page keeps a user's grouping chosen while filters leave a single level, and says this
    reason instead; the grouping applies again as soon as the filters allow it."""
    try:
        labels = grouping.make(cohort)
    except KeyError:
        return f"the file has no column for {in_sentence(grouping.label)}"
    levels = labels.dropna().unique()
    if len(levels) == 0:
        return f"no patient in this selection has a recorded value for {in_sentence(grouping.label)}"
    if len(levels) == 1:
        return f"every patient in this selection has the same {in_sentence(grouping.label)} ({levels[0]})"
    return None



def grouping_codes(cohort: pd.DataFrame, line_cut: int = DEFAULT_LINE_CUT) -> dict[str, Coded]:
    """Codes and labels of every grouping that splits this cohort into at least two groups
    (each computed once: the subgroup table uses them for both endpoints)."""
    out = {}
    for key, g in make_groupings(line_cut).items():
        try:
            codes, labels = g.codes(cohort)
        except KeyError:
            continue
        if len(labels) >= 2:  # every label is carried by at least one patient
            out[key] = (codes, labels)
    return out


def available_groupings(cohort: pd.DataFrame, line_cut: int = DEFAULT_LINE_CUT) -> dict[str, Grouping]:
    """Groupings that split this cohort into at least two groups."""
    defs = make_groupings(line_cut)
    return {key: defs[key] for key in grouping_codes(cohort, line_cut)}


def level_order(labels: pd.Series, grouping: Grouping | None = None) -> list[str]:
    """Levels in a stable display order: natural order for ordered groupings, the vocabulary's
    order for known vocabularies (histotypes, regimen classes, ...), else by size."""
    counts = labels.dropna().value_counts()
    return order_levels(list(counts.index), counts.to_numpy(), grouping)


def order_levels(values: list, counts, grouping: Grouping | None = None) -> list:
    """`level_order` from the distinct labels present and their counts (aligned lists)."""
    if not values:
        return []
    if grouping is not None and grouping.ordered:
        return sorted(values, key=_natural_key)
    unique = set(values)
    for vocab in VOCABULARIES:
        if unique <= set(vocab):
            return [v for v in vocab if v in unique]
    size = dict(zip(values, counts, strict=True))
    return sorted(values, key=lambda v: (-size[v], str(v)))


def _natural_key(label: object) -> tuple:
    s = str(label)
    order = {"CR": 0, "PR": 1, "SD": 2, "PD": 3, "No AE": -1}
    if s in order:
        return (0, order[s], s)
    match = re.search(r"\d+", s)
    first = int(match.group()) if match else 99
    return (1, first + (0.5 if "≥" in s else 0), s)
