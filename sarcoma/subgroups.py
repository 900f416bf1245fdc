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

from sarcoma.endpoints import endpoint_analysis
from sarcoma.groupings import DEFAULT_LINE_CUT, grouping_codes, make_groupings, order_levels
from sarcoma.km_summary import DEFAULT_MIN_GROUP, TESTS, format_p
from sarcoma.lifetable import EndpointSort, logrank_from_table, medians_from_table
from sarcoma.survival import SurvivalInputError, adjust_pvalues

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
        first = (~df.duplicated(["endpoint", "variable"])).to_numpy()
        # One aligned lookup of each row's test (not one .loc per cell: this runs on every redraw).
        t = self.tests.set_index(["endpoint", "variable"]).reindex(pd.MultiIndex.from_frame(df[["endpoint", "variable"]]))

        def on_first(values, fmt=lambda v: v) -> list:
            return [fmt(v) if f else "" for v, f in zip(values, first, strict=True)]

        # The test is named on the row of its p, so no p stands without its test.
        df["Test"] = on_first(t["test_text"])
        df["p"] = on_first(t["p_value"], format_p)
        df[f"p ({ADJUSTMENTS[self.adjust]})"] = on_first(t["p_adjusted"], format_p)
        df["Note"] = on_first(t["note"])
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
    """Survival by every grouping variable (default: all that split this cohort in two or more).

    Each endpoint is sorted once; every grouping's life table is then built from that sort
    (integer codes, no per-group DataFrame), and its curves and test come from the table. The
    numbers are those `survival_by_group` shows on the Survival page for the same grouping.
    """
    if adjust not in ADJUSTMENTS:
        raise ValueError(f"Unknown adjustment {adjust!r}; choose one of {', '.join(ADJUSTMENTS)}.")
    if test not in TESTS:
        raise ValueError(f"Unknown test {test!r}; choose one of {', '.join(TESTS)}.")
    defs = make_groupings(line_cut)
    # Once per variable, for both endpoints: integer codes (-1 = not recorded) and the labels.
    if groupings is None:
        coded = grouping_codes(df, line_cut)
    else:
        coded = {key: defs[key].codes(df) for key in groupings}
    rows, tests = [], []
    for endpoint in endpoints:
        # Time and event from the endpoint registry (derived endpoints such as DoR too); each
        # patient it leaves out keeps the registry's reason.
        data, reasons = endpoint_analysis(df, endpoint)
        usable = reasons.isna().to_numpy()
        left_out = [f"{n} patient(s) not in this comparison: {reason}" for reason, n in reasons[~usable].value_counts(sort=False).items()]
        sort = EndpointSort.from_arrays(data["time"].to_numpy(float), data["event"].to_numpy(float)) if usable.any() else None
        for key, (codes_all, uniques) in coded.items():
            g = defs[key]
            res = _grouping_result(sort, codes_all[usable], list(uniques), g, endpoint, conf_type, test, min_group_size)
            m = res["medians"]
            for j, level in enumerate(m["keys"]):
                rows.append(
                    {
                        "endpoint": endpoint, "variable": key, "variable_label": g.label, "level": level,
                        "n": int(m["n"][j]), "events": int(m["events"][j]), "median": float(m["median"][j]),
                        "median_lower": float(m["median_lower"][j]), "median_upper": float(m["median_upper"][j]),
                        "median_text": m["median_text"][j], "small": bool(m["n"][j] < min_group_size),
                    }
                )
            notes = []
            if res["small"]:
                notes.append(f"group(s) below {min_group_size} patients: {', '.join(map(str, res['small']))} — p-value unreliable")
            if g.post_baseline:
                notes.append(POST_BASELINE_NOTE)
            if res["note"]:
                notes.append(res["note"])
            # Patients left out of this comparison are counted, never silently dropped.
            notes += left_out
            if res["n_unlabelled"]:
                notes.append(f"{res['n_unlabelled']} patient(s) not in this comparison: {g.label} not recorded")
            lr = res["test"]
            tests.append(
                {
                    "endpoint": endpoint, "variable": key, "variable_label": g.label,
                    "test": TESTS[test], "test_text": _test_text(lr, test),
                    "statistic": lr.statistic if lr else np.nan, "df": lr.df if lr else np.nan,
                    "p_value": lr.p_value if lr else np.nan, "small_groups": bool(res["small"]),
                    "post_baseline": g.post_baseline, "note": "; ".join(n.rstrip(".") for n in notes),
                }
            )
    tests_df = pd.DataFrame(tests, columns=["endpoint", "variable", "variable_label", "test", "test_text", "statistic", "df", "p_value", "small_groups", "post_baseline", "note"])
    p = tests_df["p_value"].to_numpy(float)
    computed = np.isfinite(p)
    adjusted = np.full(len(p), np.nan)
    adjusted[computed] = adjust_pvalues(p[computed], adjust)
    tests_df["p_adjusted"] = adjusted
    return SubgroupTable(
        rows=pd.DataFrame(rows, columns=ROW_COLUMNS), tests=tests_df, adjust=adjust, n_tests=int(computed.sum()), min_group_size=min_group_size
    )


ROW_COLUMNS = ["endpoint", "variable", "variable_label", "level", "n", "events", "median", "median_lower", "median_upper", "median_text", "small"]


def _grouping_result(sort, codes, uniques, grouping, endpoint, conf_type, test, min_group_size) -> dict:
    """Curves, test and notes of one grouping for one endpoint, as `survival_by_group` gives
    them (same level order, same notes), from the endpoint's sort."""
    labelled = codes >= 0
    counts = np.bincount(codes[labelled], minlength=len(uniques))
    present = np.flatnonzero(counts)
    levels = order_levels([uniques[i] for i in present], counts[present], grouping)
    out = {"medians": {"keys": []}, "test": None, "note": None, "small": (), "n_unlabelled": int((~labelled).sum())}
    if sort is None or not levels:
        return out
    position = {lv: i for i, lv in enumerate(levels)}
    remap = np.full(len(uniques), -1, dtype=np.int64)
    for i in present:
        remap[i] = position[uniques[i]]
    table = sort.table(np.where(labelled, remap[codes], -1), levels)
    medians = medians_from_table(table, conf_type=conf_type)
    out["medians"] = medians
    out["small"] = tuple(lv for lv, n in zip(medians["keys"], medians["n"], strict=True) if n < min_group_size)
    if len(levels) < 2:
        out["note"] = "Only one group in the current selection: no comparison possible."
        return out
    try:
        if test == "trend":
            out["test"] = logrank_from_table(table, scores=np.arange(1, len(levels) + 1, dtype=float))
        else:
            out["test"] = logrank_from_table(table, weights=test)
    except SurvivalInputError as exc:
        out["note"] = f"{TESTS[test]} not computed: {exc}"
    if test == "trend" and not grouping.ordered:
        out["note"] = "Trend test uses groups in the order shown; this grouping has no natural order."
    return out


def _test_text(result, test: str) -> str:
    """'Log-rank χ² = 3.21, df = 2', or 'Log-rank: not computed' (the note says why)."""
    if result is None:
        return f"{TESTS[test]}: not computed"
    return f"{TESTS[test]} χ² = {result.statistic:.2f}, df = {result.df}"


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
        label = rows["variable_label"] + ":\n" + rows["level"].astype(str) + " (n=" + rows["n"].astype(str) + ")"
        out = pd.DataFrame({"label": label, "estimate": rows["median"], "lower": rows["median_lower"], "upper": rows["median_upper"], "small": rows["small"]})
        return out.reset_index(drop=True), []
    from sarcoma.cox import univariable_cox  # lifelines: imported only when HRs are asked for

    variables = list(dict.fromkeys(table.rows["variable"]))
    cox = univariable_cox(df, endpoint, variables, line_cut=line_cut, min_group_size=table.min_group_size, check_ph=False)
    fitted = cox[cox["hr"].notna()]
    out = pd.DataFrame({"label": fitted["label"], "estimate": fitted["hr"], "lower": fitted["lower"], "upper": fitted["upper"], "small": fitted["small"].astype(bool)})
    notes = [f"{r['label']}: {r['note']}" for _, r in cox[cox["hr"].isna()].iterrows()]
    return out.reset_index(drop=True), notes
