"""Risk tables under the KM figure, pinned to R's summary(survfit, times =, extend = TRUE)
(tests/reference/risktable.R, outputs in tests/reference/out/risktable.csv)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarcoma.risk_table import risk_counts, risk_table
from sarcoma.survival import kaplan_meier

REF = Path(__file__).resolve().parent / "reference"
CASES = {
    "lung_sex": ("lung", "time", "status", "sex"),
    "gehan_treat": ("gehan", "time", "cens", "treat"),
    "sample_pfs_line": ("sample_analysis", "pfs_months", "pfs_event", "line3"),
    "sample_os_all": ("sample_analysis", "os_months", "os_event", None),
}


def _data(name: str) -> pd.DataFrame:
    d = pd.read_csv(REF / "data" / f"{name}.csv")
    if "line_of_therapy" in d:
        d["line3"] = np.where(d["line_of_therapy"] >= 3, ">=3", "1-2")
    return d


@pytest.mark.parametrize("case", list(CASES))
def test_risk_counts_equal_r(case):
    expected = pd.read_csv(REF / "out" / "risktable.csv")
    expected = expected[expected["case"] == case]
    name, tcol, ecol, gcol = CASES[case]
    d = _data(name)
    event = d[ecol] == 1  # datasets.R writes lung with status 0/1
    groups = d[gcol].astype(str) if gcol else pd.Series("All patients", index=d.index)
    for group, exp in expected.groupby(expected["group"].astype(str)):
        mask = (groups == group).to_numpy()
        km = kaplan_meier(d.loc[mask, tcol], event[mask])
        got = risk_counts(km, exp["time"].tolist())
        assert got["At risk"].tolist() == exp["at_risk"].tolist(), (case, group)
        assert got["Events"].tolist() == exp["events"].tolist(), (case, group)
        assert got["Censored"].tolist() == exp["censored"].tolist(), (case, group)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=1, max_size=60), st.lists(st.integers(0, 40), min_size=1, max_size=8))
def test_every_patient_is_at_risk_or_counted_once(rows, times):
    """Hand identity: n = at risk at t + events before t + censored before t (strictly)."""
    t = np.array([r[0] for r in rows], float)
    e = np.array([r[1] for r in rows])
    km = kaplan_meier(t, e)
    times = sorted(set(times))
    got = risk_counts(km, times)
    for tt, row in got.iterrows():
        before = t < tt
        assert row["At risk"] == int((t >= tt).sum())
        assert row["Events"] == int((e & (t <= tt)).sum())
        assert row["Censored"] == int((~e & (t <= tt)).sum())
        assert row["At risk"] + int(before.sum()) == len(t)


def test_kmunicate_layout_has_three_rows_per_group():
    curves = {"A": kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1]), "B": kaplan_meier([2, 5], [0, 1])}
    table = risk_table(curves, [0, 2, 4], layout="kmunicate")
    assert table.index.tolist() == [("A", "At risk"), ("A", "Censored"), ("A", "Events"), ("B", "At risk"), ("B", "Censored"), ("B", "Events")]
    assert table.loc[("A", "At risk")].tolist() == [4, 3, 1]
    assert table.loc[("A", "Events")].tolist() == [0, 1, 3]
    assert table.loc[("B", "Censored")].tolist() == [0, 1, 1]
    plain = risk_table(curves, [0, 2, 4])
    assert plain.loc["B"].tolist() == [2, 2, 1]
