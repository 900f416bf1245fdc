"""Fisher / Fisher-Freeman-Halton p-values, Clopper-Pearson intervals and RMST against R.

Expected values: tests/reference/out/fisher.csv and binom.csv (tests/reference/exact.R:
fisher.test, binom.test) and rmst.csv / rmst_difference.csv (tests/reference/rmst.R:
summary(survfit(...), rmean = tau)$table, the difference with se = sqrt(se1^2 + se2^2)).
The response and RMST code is read only here: these tests pin it, they do not change it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sarcoma.response import association_test, objective_response
from sarcoma.rmst import restricted_mean, rmst_difference

REF = Path(__file__).resolve().parent / "reference"
FISHER = pd.read_csv(REF / "out" / "fisher.csv")
BINOM = pd.read_csv(REF / "out" / "binom.csv")
RMST = pd.read_csv(REF / "out" / "rmst.csv", dtype={"group": str})
RMST_DIFF = pd.read_csv(REF / "out" / "rmst_difference.csv", dtype={"group": str, "reference": str})


def parse_table(text: str) -> list[list[int]]:
    return [[int(x) for x in row.split()] for row in text.split(";")]


@pytest.mark.parametrize("row", FISHER.to_dict("records"), ids=list(FISHER["table"]))
def test_exact_test_matches_r_fisher_test(row):
    res = association_test(parse_table(row["counts"]))
    assert not res.monte_carlo
    assert res.exact_p == pytest.approx(row["p"], rel=1e-9)


@pytest.mark.parametrize("row", BINOM.to_dict("records"), ids=[f"{x}/{n}" for x, n in zip(BINOM["x"], BINOM["n"], strict=True)])
def test_clopper_pearson_matches_r_binom_test(row):
    x, n = int(row["x"]), int(row["n"])
    res = objective_response(["PR"] * x + ["PD"] * (n - x), alpha=1 - row["conf_level"])
    assert (res.n_responders, res.n_denominator) == (x, n)
    assert [res.orr_lower, res.orr_upper] == pytest.approx([row["lower"], row["upper"]], rel=1e-9, abs=1e-15)


CASES = {
    # case: (data set, time, event, grouping column)
    "lung_all_365": ("lung", "time", "status", None),
    "lung_sex_365": ("lung", "time", "status", "sex"),
    "lung_sex_730": ("lung", "time", "status", "sex"),
    "gehan_treat_20": ("gehan", "time", "cens", "treat"),
    "sample_pfs_12": ("sample_analysis", "pfs_months", "pfs_event", None),
    "sample_pfs_line_12": ("sample_analysis", "pfs_months", "pfs_event", "line3"),
    "sample_os_line_24": ("sample_analysis", "os_months", "os_event", "line3"),
}


def load(name: str) -> pd.DataFrame:
    d = pd.read_csv(REF / "data" / f"{name}.csv")
    if "line_of_therapy" in d:
        d["line3"] = np.where(d["line_of_therapy"] >= 3, ">=3", "1-2")  # as rmst.R labels it
    return d


@pytest.mark.parametrize("case", list(CASES))
def test_rmst_matches_r_survfit_rmean(case):
    name, tcol, ecol, group = CASES[case]
    d = load(name)
    want = RMST[RMST["case"] == case]
    for _, row in want.iterrows():
        sub = d if group is None else d[d[group].astype(str) == row["group"]]
        est = restricted_mean(sub[tcol], sub[ecol], row["tau"])
        assert (est.n, est.n_events) == (row["n"], row["events"])
        assert est.rmst == pytest.approx(row["rmst"], rel=1e-10)
        assert est.se == pytest.approx(row["se"], rel=1e-10)


@pytest.mark.parametrize("row", RMST_DIFF.to_dict("records"), ids=list(RMST_DIFF["case"]))
def test_rmst_difference_matches_r(row):
    name, tcol, ecol, group = CASES[row["case"]]
    d = load(name)
    res = rmst_difference(d[tcol], d[ecol], d[group].astype(str), row["tau"], reference=row["reference"])
    assert res.group.label == row["group"]
    got = [res.difference, res.se, res.lower, res.upper, res.p_value]
    assert got == pytest.approx([row["difference"], row["se"], row["lower"], row["upper"], row["p"]], rel=1e-9)
