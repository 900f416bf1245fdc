"""Kaplan-Meier and the log-rank family against R's own output, saved as CSV.

Expected values: tests/reference/out/*.csv, written by tests/reference/km.R and survdiff.R
(R 4.2.2, survival 3.5-3; versions in each row) from the datasets in tests/reference/data/:
R's lung, the 6-MP trial (MASS::gehan), the bundled sample cohort (read through
sarcoma.ingest), the sample with times rounded to whole months (ties), a stratified design
with a lone group, and small edge cases. `make reference` regenerates them where R is
installed; these tests need no R.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sarcoma.survival import kaplan_meier, logrank_test, median_follow_up

REF = Path(__file__).resolve().parent / "reference"
OUT = REF / "out"
REL = 1e-10  # R writes 15 significant digits


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / "data" / f"{name}.csv", keep_default_na=False, na_values=[""])


def _datasets() -> dict[str, pd.DataFrame]:
    sample = _read("sample_analysis").merge(_read("sample_groups"), on="patient_id")
    line = sample["line_of_therapy"]
    sample["line3"] = np.where(line >= 3, "3+", line.astype(int).astype(str))
    sample["line_2"] = np.where(line >= 3, "3+", "1-2")
    tied = sample.copy()
    tied["pfs_months"] = np.round(tied["pfs_months"])  # half to even, as R's round
    tied["os_months"] = np.round(tied["os_months"])
    lung = _read("lung")
    out = {"lung": lung, "gehan": _read("gehan"), "sample": sample, "tied": tied, "lone": _read("lone_group")}
    out["lone_centre_A"] = out["lone"][out["lone"]["centre"] == "A"]
    for case, rows in _read("km_edge").groupby("case", sort=False):
        out[f"edge:{case}"] = rows
    return out


DATA = _datasets()
COLUMNS = {  # (dataset, endpoint) -> time, status
    ("lung", "OS"): ("time", "status"),
    ("gehan", "remission"): ("time", "cens"),
    ("sample", "PFS"): ("pfs_months", "pfs_event"),
    ("sample", "OS"): ("os_months", "os_event"),
    ("tied", "PFS"): ("pfs_months", "pfs_event"),
    ("tied", "OS"): ("os_months", "os_event"),
}


def _columns(dataset: str, endpoint: str) -> tuple[str, str]:
    return COLUMNS.get((dataset, endpoint), ("time", "status"))


def _subset(row) -> pd.DataFrame:
    data = DATA[row.dataset]
    if row.grouping == "none":
        return data
    return data[data[row.grouping].astype(str) == str(row.level)]


def _same(ours: float, r: float) -> bool:
    if math.isnan(r):
        return math.isnan(ours)
    return ours == pytest.approx(r, rel=REL, abs=1e-12)


def _r_nan(frame: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(frame[col], errors="coerce").to_numpy(float)


KM_MEDIAN = pd.read_csv(OUT / "km_median.csv")
KM_CURVE = pd.read_csv(OUT / "km_curve.csv")
KM_RATES = pd.read_csv(OUT / "km_rates.csv")
KEYS = ["dataset", "endpoint", "grouping", "level", "conf_type"]


@pytest.mark.parametrize("row", list(KM_MEDIAN.itertuples(index=False)), ids=lambda r: "-".join(map(str, r[:5])))
def test_km_median_and_its_ci_match_r_quantile_survfit(row):
    tcol, ecol = _columns(row.dataset, row.endpoint)
    sub = _subset(row)
    km = kaplan_meier(sub[tcol], sub[ecol], conf_type=row.conf_type)
    assert (km.n, km.n_events) == (row.n, row.events)
    for ours, r in ((km.median, row.median), (km.median_lower, row.lower), (km.median_upper, row.upper)):
        assert _same(ours, float(r)), (ours, r)


@pytest.mark.parametrize("key", sorted({tuple(k) for k in KM_CURVE[KEYS].astype(str).to_numpy()}), ids="-".join)
def test_km_curve_matches_r_survfit(key):
    rows = KM_CURVE[(KM_CURVE[KEYS].astype(str) == list(key)).all(axis=1)]
    first = rows.iloc[0]
    tcol, ecol = _columns(first.dataset, first.endpoint)
    sub = _subset(first)
    km = kaplan_meier(sub[tcol], sub[ecol], conf_type=first.conf_type)
    idx = np.searchsorted(km.time, rows["time"].to_numpy(float))
    np.testing.assert_array_equal(km.time[idx], rows["time"])
    np.testing.assert_array_equal(km.at_risk[idx], rows["n_risk"])
    np.testing.assert_array_equal(km.events[idx], rows["n_event"])
    np.testing.assert_array_equal(km.censored[idx], rows["n_censor"])
    np.testing.assert_allclose(km.survival[idx], rows["surv"], rtol=REL, atol=1e-12)
    np.testing.assert_allclose(km.std_err[idx], _r_nan(rows, "std_err"), rtol=1e-9, atol=1e-12)
    lower, upper = _r_nan(rows, "lower"), _r_nan(rows, "upper")
    # R leaves the log-log band undefined (NA) where S = 1 (log(-log 1)); it is [1, 1] here,
    # as in lifelines and SAS. Everywhere else the bands agree.
    one = km.survival[idx] == 1.0
    if first.conf_type == "log-log":
        assert np.isnan(lower[one]).all() and (km.lower[idx][one] == 1).all()
        lower[one] = upper[one] = 1.0
    np.testing.assert_allclose(km.lower[idx], lower, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(km.upper[idx], upper, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("key", sorted({tuple(k) for k in KM_RATES[KEYS].astype(str).to_numpy()}), ids="-".join)
def test_km_rates_at_fixed_times_match_r_summary_survfit(key):
    rows = KM_RATES[(KM_RATES[KEYS].astype(str) == list(key)).all(axis=1)]
    first = rows.iloc[0]
    tcol, ecol = _columns(first.dataset, first.endpoint)
    sub = _subset(first)
    km = kaplan_meier(sub[tcol], sub[ecol], conf_type="log-log")
    est = km.survival_at(rows["time"].to_numpy(float))
    np.testing.assert_allclose(est.survival, rows["surv"], rtol=REL)
    np.testing.assert_allclose(km.std_err_at(rows["time"].to_numpy(float)), _r_nan(rows, "std_err"), rtol=1e-9)
    np.testing.assert_allclose(est.lower, _r_nan(rows, "lower"), rtol=1e-9)
    np.testing.assert_allclose(est.upper, _r_nan(rows, "upper"), rtol=1e-9)


def test_median_follow_up_matches_r_reverse_km():
    for row in pd.read_csv(OUT / "km_follow_up.csv").itertuples(index=False):
        tcol, ecol = _columns(row.dataset, "OS")
        fu = median_follow_up(DATA[row.dataset][tcol], DATA[row.dataset][ecol])
        assert (fu.median, fu.median_lower, fu.median_upper) == pytest.approx((row.median, row.lower, row.upper), rel=REL)


def test_single_patient_median_ci_is_not_estimable_where_r_gives_na():
    row = KM_MEDIAN[(KM_MEDIAN["dataset"] == "edge:single_event") & (KM_MEDIAN["conf_type"] == "log")].iloc[0]
    assert row["median"] == 5 and math.isnan(row["lower"]) and math.isnan(row["upper"])
    km = kaplan_meier([5.0], [1], conf_type="log")
    assert km.median_text() == "5.0 (not estimable)"
    # A median not reached with a band that stays above 0.5: "not reached", said once.
    assert kaplan_meier([5.0], [0]).median_text() == "not reached"


# --------------------------------------------------------------------------- survdiff

SURVDIFF = pd.read_csv(OUT / "survdiff.csv")
WEIGHTS = {0: "logrank", 1: "fh-rho1"}


def _labels(values: pd.Series) -> pd.Series:
    """Group labels as R prints them (lung's ph.ecog 1.0 -> "1")."""
    if pd.api.types.is_float_dtype(values):
        return values.astype("Int64").astype(str)
    return values.astype(str)


def _logrank(row, weights: str):
    data = DATA[row.dataset]
    used = [row.grouping] + ([] if row.strata == "none" else [row.strata])
    data = data.dropna(subset=used)  # as R's model frame (lung: ph.ecog missing for one)
    tcol, ecol = _columns(row.dataset, row.endpoint)
    strata = None if row.strata == "none" else _labels(data[row.strata])
    return logrank_test(data[tcol], data[ecol], _labels(data[row.grouping]), strata=strata, weights=weights)


@pytest.mark.parametrize("row", list(SURVDIFF.itertuples(index=False)), ids=lambda r: "-".join(map(str, r[:5])))
def test_logrank_and_rho1_match_r_survdiff(row):
    ours = _logrank(row, WEIGHTS[row.rho])
    if row.status == "singular":
        # survdiff cannot invert V; the app reports df = rank(V) < k - 1 (SAS's rule).
        assert ours.df < row.n_groups - 1
        return
    assert ours.statistic == pytest.approx(row.chisq, rel=1e-9)
    assert ours.df == row.df
    assert ours.p_value == pytest.approx(row.p, rel=1e-8)


def test_lone_group_df_is_rank_of_v_and_equals_r_on_the_informative_centre():
    # Centre A uses R1 and R2, centre B only R3: the only information is centre A's R1 vs R2.
    # R's survdiff stops ("exactly singular"); on centre A alone it gives the answer.
    for rho in (0, 1):
        full = SURVDIFF[(SURVDIFF["dataset"] == "lone") & (SURVDIFF["rho"] == rho)].iloc[0]
        a = SURVDIFF[(SURVDIFF["dataset"] == "lone_centre_A") & (SURVDIFF["rho"] == rho)].iloc[0]
        assert full.status == "singular" and a.df == 1
        ours = _logrank(full, WEIGHTS[rho])
        assert ours.df == 1
        assert ours.statistic == pytest.approx(a.chisq, rel=1e-9)
        assert ours.p_value == pytest.approx(a.p, rel=1e-8)
        assert ours.no_comparison == ("R3",)
        assert "No comparison for R3" in ours.no_comparison_note()


def test_peto_peto_is_not_r_rho1_and_both_are_offered():
    # Sample PFS by line (1 / 2 / >=3): R survdiff(rho = 1) p = 0.0496; the Peto-Peto weights of
    # SAS / Klein & Moeschberger (S~ at t with n + 1) give 0.0510 (issue 11: "0.051 vs 0.050").
    row = SURVDIFF[(SURVDIFF["dataset"] == "sample") & (SURVDIFF["endpoint"] == "PFS") & (SURVDIFF["grouping"] == "line3")
                   & (SURVDIFF["strata"] == "none") & (SURVDIFF["rho"] == 1)].iloc[0]
    assert row.p == pytest.approx(0.0496316902375043, rel=1e-12)
    assert _logrank(row, "fh-rho1").p_value == pytest.approx(row.p, rel=1e-9)
    peto = _logrank(row, "peto").p_value
    assert f"{peto:.3f}" == "0.051" and f"{row.p:.3f}" == "0.050"


def test_observed_and_expected_per_group_match_r_survdiff():
    groups = pd.read_csv(OUT / "survdiff_groups.csv", dtype={"group": str})
    for key, rows in groups.groupby(["dataset", "endpoint", "grouping", "strata"], sort=False):
        row = SURVDIFF[(SURVDIFF[["dataset", "endpoint", "grouping", "strata"]] == list(key)).all(axis=1)].iloc[0]
        ours = _logrank(row, "logrank").to_frame().set_index("group").loc[rows["group"]]
        np.testing.assert_array_equal(ours["n"], rows["n"])
        np.testing.assert_allclose(ours["observed"], rows["observed"])
        np.testing.assert_allclose(ours["expected"], rows["expected"], rtol=1e-9)


def test_reference_sample_columns_are_what_ingest_reads_today():
    # If ingest or the sample changes, re-run the export scripts and `make reference`.
    import sys

    sys.path.insert(0, str(REF))
    try:
        import export_km_data
        import export_sample
    finally:
        sys.path.remove(str(REF))
    pd.testing.assert_frame_equal(export_km_data.sample_groups(), _read("sample_groups"), check_dtype=False)
    pd.testing.assert_frame_equal(export_sample.analysis_columns(), _read("sample_analysis"), check_dtype=False)
    pd.testing.assert_frame_equal(export_km_data.lone_group(), _read("lone_group"), check_dtype=False)
