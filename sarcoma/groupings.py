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


@dataclass(frozen=True)
class Grouping:
    key: str
    label: str
    make: Callable[[pd.DataFrame], pd.Series]
    # True when the grouping is only known after treatment starts (response, toxicity): a plain
    # log-rank comparison of such groups suffers from guarantee-time bias.
    post_baseline: bool = False
    ordered: bool = False


def line_group(line_of_therapy: pd.Series, cut: int = DEFAULT_LINE_CUT, *, split_below: bool = True) -> pd.Series:
    """Label each line of therapy: "1", "2", ..., ">=cut" (split_below) or "1-(cut-1)" / ">=cut".

    With the seed's cut of 3 the two forms are "1" / "2" / ">=3" and "1-2" / ">=3".
    """
    if cut < 2:
        raise ValueError("The line-of-therapy cut must be 2 or more.")
    line = pd.to_numeric(line_of_therapy, errors="coerce")
    high = f"≥{cut}"
    low = "1" if cut == 2 else f"1-{cut - 1}"

    def label(v: float) -> str:
        if v >= cut:
            return high
        if not split_below:
            return low
        return str(int(v)) if float(v).is_integer() else f"{v:g}"

    return _recode(line, label)


def line_levels(cut: int = DEFAULT_LINE_CUT, *, split_below: bool = True) -> list[str]:
    """The ordered labels `line_group` can produce."""
    if split_below:
        return [str(i) for i in range(1, cut)] + [f"≥{cut}"]
    return ["1" if cut == 2 else f"1-{cut - 1}", f"≥{cut}"]


def responder(best_response: pd.Series) -> pd.Series:
    """"Responder" (CR/PR) vs "Non-responder" (SD/PD); not evaluable stays missing."""
    groups = {"CR": RESPONDER, "PR": RESPONDER, "SD": NON_RESPONDER, "PD": NON_RESPONDER}
    return _recode(best_response, lambda v: groups.get(v))


def evaluable_response(best_response: pd.Series) -> pd.Series:
    return _recode(best_response, lambda v: v if v in EVALUABLE_RESPONSES else None)


def _recode(values: pd.Series, label: Callable[[Any], Any]) -> pd.Series:
    """Labels `label(v)` per patient, computed once per distinct value (a hash factorisation,
    so 15 groupings of a million patients stay fast); missing values, and values `label`
    maps to None, are None (not NaN) so labels stay plain Python objects."""
    codes, uniques = pd.factorize(values)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [label(u) for u in uniques]
    mapped[-1] = None  # code -1: missing
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _blank(index: pd.Index) -> pd.Series:
    """All-missing labels; missing is None (not NaN) so labels stay plain Python objects."""
    return pd.Series([None] * len(index), index=index, dtype=object)


def _yes_no(values: pd.Series, yes: str, no: str) -> pd.Series:
    return _recode(values.astype("boolean"), lambda v: yes if v else no)


def _column(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    def make(df: pd.DataFrame) -> pd.Series:
        if name not in df:
            return _blank(df.index)
        return _recode(df[name], lambda v: v)

    return make


def _histotype(df: pd.DataFrame) -> pd.Series:
    # A filtered cohort carries "histotype_group" (rare histotypes folded into Other when the
    # user asked for it): group by what the filter shows, so the two never disagree.
    return _column("histotype_group" if "histotype_group" in df else "histotype")(df)


def _site_head_neck(df: pd.DataFrame) -> pd.Series:
    if "primary_site" not in df:
        return _blank(df.index)
    return _recode(df["primary_site"], lambda v: "Head and neck" if v == "Head and neck" else "Other sites")


def _ae(df: pd.DataFrame) -> pd.Series:
    if "any_ae" not in df:
        return _blank(df.index)
    return _yes_no(df["any_ae"], "Any AE", "No AE")


def _ae_grade(df: pd.DataFrame) -> pd.Series:
    if "max_ae_grade" not in df:
        return _blank(df.index)

    def label(g: float) -> str | None:
        return "No AE" if g == 0 else "Grade 1-2" if 1 <= g <= 2 else "Grade ≥3" if g >= 3 else None

    return _recode(pd.to_numeric(df["max_ae_grade"], errors="coerce"), label)


def _n_met_sites(df: pd.DataFrame) -> pd.Series:
    if "n_met_sites" not in df:
        return _blank(df.index)

    def label(n: float) -> str | None:
        return "0-1 sites" if n <= 1 else "≥2 sites" if n >= 2 else None

    return _recode(pd.to_numeric(df["n_met_sites"], errors="coerce"), label)


def make_groupings(line_cut: int = DEFAULT_LINE_CUT) -> dict[str, Grouping]:
    """All grouping variables the pages offer, keyed by a stable identifier."""
    items = [
        Grouping("histotype", "Histotype", _histotype),
        Grouping(
            "line_2",
            f"Line of therapy ({line_levels(line_cut, split_below=False)[0]} vs ≥{line_cut})",
            lambda df: line_group(df["line_of_therapy"], line_cut, split_below=False),
            ordered=True,
        ),
        Grouping(
            "line",
            "Line of therapy (" + " / ".join(line_levels(line_cut)) + ")",
            lambda df: line_group(df["line_of_therapy"], line_cut),
            ordered=True,
        ),
        Grouping("regimen_class", "Regimen class", _column("regimen_class")),
        Grouping("regimen", "Regimen", _column("regimen")),
        Grouping("responder", "Best response (CR/PR vs SD/PD)", lambda df: responder(_column("best_response")(df)), post_baseline=True),
        Grouping("best_response", "Best response (CR / PR / SD / PD)", lambda df: evaluable_response(_column("best_response")(df)), post_baseline=True, ordered=True),
        Grouping("center", "Centre", _column("center")),
        Grouping("sex", "Sex", _column("sex")),
        Grouping("disease_stage", "Disease stage", _column("disease_stage")),
        Grouping("primary_site", "Primary site", _column("primary_site")),
        Grouping("head_neck", "Primary site (head and neck vs other)", _site_head_neck),
        Grouping("n_met_sites", "Number of metastatic sites", _n_met_sites, ordered=True),
        Grouping("any_ae", "Adverse event (any vs none)", _ae, post_baseline=True),
        Grouping("ae_grade", "Worst AE grade", _ae_grade, post_baseline=True, ordered=True),
    ]
    return {g.key: g for g in items}


def grouping_labels(cohort: pd.DataFrame, line_cut: int = DEFAULT_LINE_CUT) -> dict[str, pd.Series]:
    """Labels of every grouping that splits this cohort into at least two groups (each grouping
    computed once: the subgroup table reuses them for both endpoints)."""
    out = {}
    for key, g in make_groupings(line_cut).items():
        try:
            labels = g.make(cohort)
        except KeyError:
            continue
        if labels.nunique() >= 2:
            out[key] = labels
    return out


def available_groupings(cohort: pd.DataFrame, line_cut: int = DEFAULT_LINE_CUT) -> dict[str, Grouping]:
    """Groupings that split this cohort into at least two groups."""
    defs = make_groupings(line_cut)
    return {key: defs[key] for key in grouping_labels(cohort, line_cut)}


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
