"""Subgroup panel (`subgroup_table`, life tables from one sort per endpoint) vs a naive lifelines
loop doing the same work on the same labels, at N = 72 (the sample), 10k, 100k and 1M.

Run: `python -m bench subgroups`. The naive loop is what one would write with lifelines: per
grouping and endpoint, one KaplanMeierFitter per level with its median and median CI
(`median_survival_times` of the confidence band), and one k-group `multivariate_logrank_test`;
15 groupings x PFS/OS. Its labels are computed beforehand and not timed (which favours it);
`subgroup_table` is timed end to end, labels included. Both are checked to give the same
medians and p-values before timing. At 1M the naive loop would take minutes: it is timed on a
few (grouping, endpoint) pairs and extrapolated to all of them, which the output says.
Goals (issue 13): >= 100x at N = 72, >= 10x at 100k.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times

from sarcoma.groupings import available_groupings
from sarcoma.ingest import load_cohort
from sarcoma.schema import ENDPOINTS
from sarcoma.subgroups import subgroup_table
from sarcoma.survival import kaplan_meier
from sarcoma.synthetic import generate_cohort

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "sample_cohort.csv"
SIZES = (72, 10_000, 100_000, 1_000_000)
GOALS = {72: 100.0, 100_000: 10.0}
NAIVE_PAIRS_AT_1M = 3  # (grouping, endpoint) pairs timed at 1M, then extrapolated


def cohort(n: int) -> pd.DataFrame:
    if n == 72:
        return load_cohort(SAMPLE)[0]
    return generate_cohort(n, seed=7)


def naive_pairs(df: pd.DataFrame, labels: dict[str, pd.Series]) -> list[tuple[str, str]]:
    return [(endpoint, key) for endpoint in ENDPOINTS for key in labels]


def naive_one(df: pd.DataFrame, endpoint: str, lab: pd.Series) -> dict:
    """What a lifelines user writes for one grouping and endpoint."""
    tcol, ecol = ENDPOINTS[endpoint]
    ok = df[tcol].notna() & df[ecol].notna() & lab.notna()
    t, e, g = df.loc[ok, tcol], df.loc[ok, ecol], lab[ok]
    medians = {}
    for level in g.unique():
        m = g == level
        kmf = KaplanMeierFitter().fit(t[m], e[m])
        ci = median_survival_times(kmf.confidence_interval_)
        medians[level] = (kmf.median_survival_time_, *ci.to_numpy().ravel())
    p = multivariate_logrank_test(t, g, e).p_value if g.nunique() > 1 else math.nan
    return {"medians": medians, "p": p}


def naive_loop(df: pd.DataFrame, labels: dict[str, pd.Series], pairs) -> list[dict]:
    return [naive_one(df, endpoint, labels[key]) for endpoint, key in pairs]


def check(table, df, labels, pairs) -> None:
    """Same medians and p-values as lifelines on the pairs checked (lifelines reports a median
    not reached as inf, and takes the start of an exact 0.5 flat where R, and we, take the
    midpoint; such curves are recognised and skipped)."""
    for endpoint, key in pairs:
        ref = naive_one(df, endpoint, labels[key])
        rows = table.rows[(table.rows["endpoint"] == endpoint) & (table.rows["variable"] == key)]
        for row in rows.itertuples():
            theirs = ref["medians"][row.level][0]
            ours = row.median if np.isfinite(row.median) else math.inf
            if ours != theirs and not math.isclose(ours, theirs, rel_tol=1e-12):
                tcol, ecol = ENDPOINTS[endpoint]
                m = (labels[key] == row.level) & df[tcol].notna()
                assert kaplan_meier(df.loc[m, tcol], df.loc[m, ecol]).median_rule == "midpoint", (key, row.level)
        test = table.tests[(table.tests["endpoint"] == endpoint) & (table.tests["variable"] == key)].iloc[0]
        if np.isfinite(ref["p"]) and test["df"] == len(rows) - 1:
            assert math.isclose(test["p_value"], ref["p"], rel_tol=1e-6, abs_tol=1e-12), (key, test["p_value"], ref["p"])


def timed(fn, repeats: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds over `repeats` runs. On a machine shared with other
    jobs the CPU time of this process is the steadier figure; both ratios are printed."""
    wall = cpu = math.inf
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def main() -> None:
    print("Subgroup panel, 15 groupings x PFS/OS: subgroup_table vs a naive lifelines loop "
          "(KM + median CI per level, k-group log-rank per grouping); best of several runs.")
    print(f"{'N':>9} | {'subgroup_table':>14} {'(CPU)':>9} | {'naive lifelines':>15} {'(CPU)':>10} | "
          f"{'ratio':>7} {'(CPU)':>7} | goal")
    for n in SIZES:
        df = cohort(n)
        labels = {key: g.make(df) for key, g in available_groupings(df).items()}
        assert len(labels) == 15, sorted(labels)
        pairs = naive_pairs(df, labels)
        table = subgroup_table(df)
        big = n >= 1_000_000
        check(table, df, labels, pairs[:2] if big else pairs)
        ours = timed(lambda df=df: subgroup_table(df), 7 if n <= 10_000 else 3 if n <= 100_000 else 2)
        if big:
            subset = pairs[:NAIVE_PAIRS_AT_1M]
            spent = timed(lambda df=df, labels=labels, subset=subset: naive_loop(df, labels, subset), 1)
            naive = tuple(x * len(pairs) / len(subset) for x in spent)
            note = f"  (naive extrapolated from {len(subset)} of {len(pairs)} (grouping, endpoint) pairs)"
        else:
            naive = timed(lambda df=df, labels=labels, pairs=pairs: naive_loop(df, labels, pairs), 3 if n <= 10_000 else 1)
            note = ""
        ratio, ratio_cpu = naive[0] / ours[0], naive[1] / ours[1]
        goal = GOALS.get(n)
        verdict = "" if goal is None else (f">= {goal:.0f}x " + ("OK" if ratio >= goal else "BELOW GOAL (wall)") + (
            "" if ratio >= goal else (", OK on CPU time" if ratio_cpu >= goal else ", below on CPU time too")))
        print(f"{n:>9,} | {ours[0] * 1e3:11.1f} ms {ours[1] * 1e3:6.1f} ms | {naive[0] * 1e3:12.1f} ms "
              f"{naive[1] * 1e3:7.1f} ms | {ratio:6.1f}x {ratio_cpu:6.1f}x | {verdict}{note}", flush=True)
    print("Times are wall clock on this (shared) machine; the ratio is measured in the same run. "
          f"Load average (1/5/15 min) at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
