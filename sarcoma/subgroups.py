"""Every grouping variable at once, for both endpoints: the subgroup table and its forest data.

Per level: n, events, median (95% CI). Per variable: the test p-value, flagged when a group is
below the minimum size, and adjusted for multiplicity over the family of tests in the table
(the number of tests in that family is reported with it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcoma.groupings import DEFAULT_LINE_CUT, available_groupings, make_groupings
from sarcoma.km_summary import DEFAULT_MIN_GROUP, endpoint_columns, format_p, survival_by_group
from sarcoma.survival import CoxFitError, SurvivalInputError, adjust_pvalues, cox_hazard_ratios

ADJUSTMENTS = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "none"}
POST_BASELINE_NOTE = (
    "Known only after treatment starts: a plain comparison favours this grouping's 'better' "
    "group (guarantee-time bias); prefer a landmark analysis."
)


@dataclass(frozen=True)
class SubgroupTable:
    rows: pd.DataFrame
    tests: pd.DataFrame
    adjust: str
    n_tests: int
    min_group_size: int

    def display(self) -> pd.DataFrame:
        """The table as shown: p-values on the first row of each variable, flags spelled out."""
        df = self.rows.copy()
        first = ~df.duplicated(["endpoint", "variable"])
        t = self.tests.set_index(["endpoint", "variable"])
        keys = list(zip(df["endpoint"], df["variable"], strict=True))
        df["p"] = [format_p(t.loc[k, "p_value"]) if f else "" for k, f in zip(keys, first, strict=True)]
        df[f"p ({ADJUSTMENTS[self.adjust]})"] = [
            format_p(t.loc[k, "p_adjusted"]) if f else "" for k, f in zip(keys, first, strict=True)
        ]
        df["Note"] = [t.loc[k, "note"] if f else "" for k, f in zip(keys, first, strict=True)]
        return df[["endpoint", "variable_label", "level", "n", "events", "median_text", "p", f"p ({ADJUSTMENTS[self.adjust]})", "Note"]].rename(
            columns={"endpoint": "Endpoint", "variable_label": "Variable", "level": "Group", "n": "n", "events": "Events", "median_text": "Median (95% CI), months"}
        )


def subgroup_table(
    df: pd.DataFrame,
    *,
    endpoints: Sequence[str] = ("PFS", "OS"),
    groupings: Sequence[str] | None = None,
    conf_type: str = "log-log",
    test: str = "logrank",
    adjust: str = "holm",
    min_group_size: int = DEFAULT_MIN_GROUP,
    line_cut: int = DEFAULT_LINE_CUT,
) -> SubgroupTable:
    """Survival by every grouping variable (default: all that split this cohort in two or more)."""
    if adjust not in ADJUSTMENTS:
        raise ValueError(f"Unknown adjustment {adjust!r}; choose one of {', '.join(ADJUSTMENTS)}.")
    defs = make_groupings(line_cut)
    keys = list(groupings) if groupings is not None else list(available_groupings(df, line_cut))
    labels = {key: defs[key].make(df) for key in keys}  # once per variable, used for both endpoints
    rows, tests = [], []
    for endpoint in endpoints:
        for key in keys:
            res = survival_by_group(
                df, endpoint, key, conf_type=conf_type, test=test, rate_times=(),
                min_group_size=min_group_size, line_cut=line_cut, labels=labels[key], follow_up=False,
            )
            for _, r in res.table.iterrows():
                rows.append(
                    {
                        "endpoint": endpoint, "variable": key, "variable_label": defs[key].label,
                        "level": r["Group"], "n": int(r["n"]), "events": int(r["Events"]),
                        "median": r["median"], "median_lower": r["median_lower"], "median_upper": r["median_upper"],
                        "median_text": r["Median (95% CI), months"], "small": bool(r["Small group"]),
                    }
                )
            notes = []
            if res.small_groups:
                notes.append(f"group(s) below {min_group_size} patients: {', '.join(res.small_groups)} — p-value unreliable")
            if defs[key].post_baseline:
                notes.append(POST_BASELINE_NOTE)
            if res.test_note:
                notes.append(res.test_note)
            tests.append(
                {
                    "endpoint": endpoint, "variable": key, "variable_label": defs[key].label,
                    "statistic": res.test.statistic if res.test else np.nan,
                    "df": res.test.df if res.test else np.nan,
                    "p_value": res.test.p_value if res.test else np.nan,
                    "small_groups": bool(res.small_groups),
                    "post_baseline": defs[key].post_baseline,
                    "note": "; ".join(notes),
                }
            )
    tests_df = pd.DataFrame(tests, columns=["endpoint", "variable", "variable_label", "statistic", "df", "p_value", "small_groups", "post_baseline", "note"])
    p = tests_df["p_value"].to_numpy(float)
    computed = np.isfinite(p)
    adjusted = np.full(len(p), np.nan)
    adjusted[computed] = adjust_pvalues(p[computed], adjust)
    tests_df["p_adjusted"] = adjusted
    return SubgroupTable(
        rows=pd.DataFrame(rows), tests=tests_df, adjust=adjust, n_tests=int(computed.sum()), min_group_size=min_group_size
    )


def cox_forest_table(
    df: pd.DataFrame,
    endpoint: str,
    groupings: Sequence[str],
    *,
    references: dict[str, str] | None = None,
    line_cut: int = DEFAULT_LINE_CUT,
) -> pd.DataFrame:
    """Univariable Cox hazard ratios (each level vs the reference level) for each grouping.

    A grouping that cannot be fitted (too few events, a level without events) gives one row
    with the reason instead of numbers.
    """
    tcol, ecol = endpoint_columns(endpoint)
    defs = make_groupings(line_cut)
    out = []
    for key in groupings:
        g = defs[key]
        data = pd.DataFrame({"time": pd.to_numeric(df[tcol], errors="coerce"), "event": pd.to_numeric(df[ecol], errors="coerce"), key: g.make(df)})
        data = data.dropna()
        ref = (references or {}).get(key)
        try:
            res = cox_hazard_ratios(data, "time", "event", [key], reference={key: ref} if ref is not None else None)
        except (CoxFitError, SurvivalInputError) as exc:
            out.append({"variable": key, "variable_label": g.label, "label": f"{g.label}: not estimable", "hr": np.nan, "lower": np.nan, "upper": np.nan, "p_value": np.nan, "note": str(exc)})
            continue
        for label, r in res.table.iterrows():
            out.append({"variable": key, "variable_label": g.label, "label": str(label), "hr": r["hr"], "lower": r["lower"], "upper": r["upper"], "p_value": r["p_value"], "note": ""})
    return pd.DataFrame(out, columns=["variable", "variable_label", "label", "hr", "lower", "upper", "p_value", "note"])
