"""Duration of response, time to response and time to treatment failure on the bundled sample,
against R and lifelines.

Expected values: tests/reference/out/response_dynamics_patients.csv and response_dynamics.csv,
written by tests/reference/response_dynamics.R, which derives each patient's DoR, TTR and TTF
from the sample's dates on its own (tests/reference/data/sample_dates.csv, exactly what
load_cohort reads) and summarises them with survfit (R 4.2.2, survival 3.5-3). The Kaplan-Meier
curve of DoR is also pinned to lifelines' KaplanMeierFitter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from sarcoma.endpoints import endpoint_data
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import survival_by_group

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "tests" / "reference"
PATIENTS = pd.read_csv(REF / "out" / "response_dynamics_patients.csv").set_index("patient_id")
SUMMARY = pd.read_csv(REF / "out" / "response_dynamics.csv", keep_default_na=False, na_values=["NA"])


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return load_cohort(ROOT / "sample_data" / "sample_cohort.csv")[0]


def by_id(cohort: pd.DataFrame, key: str) -> pd.DataFrame:
    data = endpoint_data(cohort, key)
    return data.set_axis(cohort.loc[data.index, "patient_id"].astype(str))


def test_sample_dates_file_is_what_load_cohort_gives():
    from tests.reference.export_data import sample_dates

    saved = pd.read_csv(REF / "data" / "sample_dates.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(saved, sample_dates().astype(str))


@pytest.mark.parametrize(("key", "time", "event"), [("DoR", "dor_time", "dor_event"), ("TTR", "ttr_time", None),
                                                    ("TTF", "ttf_time", "ttf_event")])
def test_each_patients_time_and_event_are_rs(cohort, key, time, event):
    ours = by_id(cohort, key)
    r = PATIENTS[PATIENTS[time].notna()]
    assert sorted(ours.index) == sorted(r.index)  # the same patients: 22 responders for DoR/TTR, all 72 for TTF
    assert ours["time"].to_numpy() == pytest.approx(r.loc[ours.index, time].to_numpy(), rel=1e-12)
    expected = r.loc[ours.index, event].to_numpy(int) if event else np.ones(len(ours), int)
    assert ours["event"].tolist() == expected.tolist()


@pytest.mark.parametrize("row", SUMMARY[SUMMARY["endpoint"] != "TTR"].to_dict("records"),
                         ids=[f"{e}-{c}" for e, c in zip(SUMMARY["endpoint"], SUMMARY["conf_type"], strict=True) if e != "TTR"])
def test_km_median_ci_and_rates_are_rs_survfit(cohort, row):
    res = survival_by_group(cohort, row["endpoint"], None, conf_type=row["conf_type"], rate_times=(6.0, 12.0))
    curve = res.curves["All patients"]
    assert (curve.n, curve.n_events) == (row["n"], row["events"])
    nan = float("nan")
    expected = [row["median"], row["median_lower"], row["median_upper"]]
    assert [curve.median, curve.median_lower, curve.median_upper] == pytest.approx(
        [nan if pd.isna(x) else x for x in expected], rel=1e-9, nan_ok=True)
    at = curve.survival_at(np.array([6.0, 12.0]))
    for i, t in enumerate((6, 12)):
        got = [np.atleast_1d(at.survival)[i], np.atleast_1d(at.lower)[i], np.atleast_1d(at.upper)[i]]
        assert got == pytest.approx([row[f"surv_{t}"], row[f"lower_{t}"], row[f"upper_{t}"]], rel=1e-9)


def test_time_to_response_median_and_range_are_rs(cohort):
    row = SUMMARY.set_index("endpoint").loc["TTR"]
    t = endpoint_data(cohort, "TTR")["time"]
    assert (len(t), float(np.median(t)), t.min(), t.max()) == pytest.approx(
        (row["n"], row["median"], row["median_lower"], row["median_upper"]), rel=1e-12)


def test_dor_kaplan_meier_is_lifelines(cohort):
    # lifelines' default CI is the exponential Greenwood (log-log) interval, our default too.
    data = endpoint_data(cohort, "DoR")
    kmf = KaplanMeierFitter().fit(data["time"], data["event"])
    res = survival_by_group(cohort, "DoR", None)
    curve = res.curves["All patients"]
    assert curve.median == pytest.approx(kmf.median_survival_time_, rel=1e-12)
    ci = median_survival_times(kmf.confidence_interval_)
    assert curve.median_lower == pytest.approx(float(ci.iloc[0, 0]), rel=1e-9)
    assert np.isinf(ci.iloc[0, 1]) and np.isnan(curve.median_upper)  # upper limit not reached
    times = np.array([1.0, 3.0, 6.0, 12.0, 24.0])
    at = curve.survival_at(times)
    np.testing.assert_allclose(at.survival, kmf.survival_function_at_times(times).to_numpy(), rtol=1e-12)
    # On the sample (numbers shown on the Survival and Response pages): 22 responders, 7 events,
    # median 27.0 months, 12-month DoR rate 72.8%.
    assert (curve.n, curve.n_events) == (22, 7)
    assert res.table.loc[0, "Median (95% CI), months"] == "27.0 (5.5-not reached)"
    assert res.table.loc[0, "12-month rate (95% CI)"] == "72.8% (45.8-87.9)"
