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

from sarcoma.cox import univariable_cox
from sarcoma.groupings import DEFAULT_LINE_CUT, available_groupings, make_groupings
from sarcoma.km_summary import DEFAULT_MIN_GROUP, TESTS, format_p, survival_by_group
from sarcoma.survival import adjust_pvalues

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
        # The test is named on the row of its p, so no p stands without its test.
        df["Test"] = [t.loc[k, "test_text"] if f else "" for k, f in zip(keys, first, strict=True)]
        df["p"] = [format_p(t.loc[k, "p_value"]) if f else "" for k, f in zip(keys, first, strict=True)]
        df[f"p ({ADJUSTMENTS[self.adjust]})"] = [
            format_p(t.loc[k, "p_adjusted"]) if f else "" for k, f in zip(keys, first, strict=True)
        ]
        df["Note"] = [t.loc[k, "note"] if f else "" for k, f in zip(keys, first, strict=True)]
        return df[["endpoint", "variable_label", "level", "n", "events", "median_text", "Test", "p", f"p ({ADJUSTMENTS[self.adjust]})", "Note"]].rename(
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
                min_group_size=min_group_size, line_cut=line_cut, labels=labels[key], summary_only=True,
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
            # Patients left out of this comparison are counted, never silently dropped.
            notes.extend(f"{ex.n} patient(s) not in this comparison: {ex.reason}" for ex in res.excluded)
            tests.append(
                {
                    "endpoint": endpoint, "variable": key, "variable_label": defs[key].label,
                    "test": res.test_name or TESTS[test],
                    "test_text": _test_text(res, test),
                    "statistic": res.test.statistic if res.test else np.nan,
                    "df": res.test.df if res.test else np.nan,
                    "p_value": res.test.p_value if res.test else np.nan,
                    "small_groups": bool(res.small_groups),
                    "post_baseline": defs[key].post_baseline,
                    "note": "; ".join(notes),
                }
            )
    tests_df = pd.DataFrame(tests, columns=["endpoint", "variable", "variable_label", "test", "test_text", "statistic", "df", "p_value", "small_groups", "post_baseline", "note"])
    p = tests_df["p_value"].to_numpy(float)
    computed = np.isfinite(p)
    adjusted = np.full(len(p), np.nan)
    adjusted[computed] = adjust_pvalues(p[computed], adjust)
    tests_df["p_adjusted"] = adjusted
    return SubgroupTable(
        rows=pd.DataFrame(rows), tests=tests_df, adjust=adjust, n_tests=int(computed.sum()), min_group_size=min_group_size
    )


def _test_text(res, test: str) -> str:
    """'Log-rank χ² = 3.21, df = 2', or 'Log-rank: not computed' (the note says why)."""
    if res.test is None:
        return f"{TESTS[test]}: not computed"
    return f"{res.test_name} χ² = {res.test.statistic:.2f}, df = {res.test.df}"


FOREST_KINDS = {"median": "Median survival (95% CI)", "hr": "Cox hazard ratio (95% CI)"}


def forest_rows(
    table: SubgroupTable,
    df: pd.DataFrame,
    endpoint: str,
    kind: str = "median",
    *,
    line_cut: int = DEFAULT_LINE_CUT,
) -> tuple[pd.DataFrame, list[str]]:
    """Rows for the subgroup forest plot (label, estimate, lower, upper, small) and notes for the
    variables that could not be estimated. `kind` is "median" (from the table) or "hr"
    (univariable Cox per variable, reference = largest group or first ordered level)."""
    if kind not in FOREST_KINDS:
        raise ValueError(f"Unknown forest kind {kind!r}; choose one of {', '.join(FOREST_KINDS)}.")
    if kind == "median":
        rows = table.rows[table.rows["endpoint"] == endpoint]
        # Two-line labels keep the plot area wide even at projector font sizes.
        label = rows["variable_label"] + ":<br>" + rows["level"].astype(str) + " (n=" + rows["n"].astype(str) + ")"
        out = pd.DataFrame({"label": label, "estimate": rows["median"], "lower": rows["median_lower"], "upper": rows["median_upper"], "small": rows["small"]})
        return out.reset_index(drop=True), []
    variables = list(dict.fromkeys(table.rows["variable"]))
    cox = univariable_cox(df, endpoint, variables, line_cut=line_cut, min_group_size=table.min_group_size, check_ph=False)
    fitted = cox[cox["hr"].notna()]
    out = pd.DataFrame({"label": fitted["label"], "estimate": fitted["hr"], "lower": fitted["lower"], "upper": fitted["upper"], "small": fitted["small"].astype(bool)})
    notes = [f"{r['label']}: {r['note']}" for _, r in cox[cox["hr"].isna()].iterrows()]
    return out.reset_index(drop=True), notes
