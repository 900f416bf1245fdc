"""Federated pooling is exact: a cohort split by centre at random, each centre's aggregate file
exported (min_cell = 1, full time precision) and read back, and the files pooled, gives the
Kaplan-Meier curves (every CI type, medians, rates), the log-rank family stratified by centre
(every weight) and the response tables of the patient rows themselves, digit for digit. With
coarsened times it gives the patient-row results on the coarsened times.

The patient-row functions are the oracle; they are pinned to R (test_reference_survival.py,
test_reference_response_rmst.py) and lifelines / statsmodels (test_survival_properties.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sarcoma.federated import coarsen_times, export_aggregates, pool, read_aggregates
from sarcoma.groupings import make_groupings
from sarcoma.km_summary import survival_by_group
from sarcoma.lifetable import ALL
from sarcoma.response import objective_response, response_table
from sarcoma.survival import SurvivalInputError, kaplan_meier, logrank_test

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CONF_TYPES = ["log-log", "log", "plain", "spss"]
WEIGHTS = ["logrank", "breslow", "tarone-ware", "peto", "fh-rho1"]
KM_FIELDS = ("time", "survival", "std_err", "lower", "upper", "at_risk", "events", "censored")
GROUPINGS = ["histotype", "line_2", "line", "regimen_class", "sex", "n_met_sites"]
CENTRES = ["Centre Nord", "Centre Süd", "Hôpital Est", "Ospedale Ovest"]


@st.composite
def cohorts(draw, max_n: int = 50):
    """Patient rows with ties, zero times, missing groupings and missing responses, each
    patient in one of up to four centres."""
    n = draw(st.integers(2, max_n))

    def pick(values, missing=False):
        options = list(values) + ([None] if missing else [])
        return [options[i] for i in draw(st.lists(st.integers(0, len(options) - 1), min_size=n, max_size=n))]

    scale = draw(st.sampled_from([1, 10, 100]))
    pfs = np.array(draw(st.lists(st.integers(0, 36 * scale), min_size=n, max_size=n)), dtype=float) / scale
    extra = np.array(draw(st.lists(st.integers(0, 24 * scale), min_size=n, max_size=n)), dtype=float) / scale
    threshold = draw(st.integers(0, 9))
    pfs_event = (np.array(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))) >= threshold).astype(int)
    os_event = (np.array(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))) >= threshold).astype(int)
    n_centres = draw(st.integers(1, len(CENTRES)))
    return pd.DataFrame({
        "patient_id": [f"P{i:03d}" for i in range(n)],
        "center": pick(CENTRES[:n_centres]),
        "pfs_months": pfs, "pfs_event": pfs_event,
        "os_months": pfs + extra, "os_event": np.maximum(os_event, 0),
        "histotype": pick(["UPS", "LMS", "LPS", "Other"], missing=True),
        "line_of_therapy": pd.array(pick([1, 2, 3, 4], missing=True), dtype="Int64"),
        "regimen_class": pick(["ICI monotherapy", "ICI + TKI"]),
        "regimen": pick(["pembrolizumab", "nivolumab"]),
        "sex": pick(["Male", "Female"], missing=True),
        "n_met_sites": pd.array(pick([0, 1, 2, 3]), dtype="Int64"),
        "best_response": pick(["CR", "PR", "SD", "PD", "NE"], missing=True),
        "age": np.array(pick([18.0, 44.5, 56.0, 61.0, 79.0, 90.0])),
    })


def pooled_files(cohort: pd.DataFrame, **options):
    files = [read_aggregates(export_aggregates(part, centre=centre, min_cell=1, **options), f"{centre}.json")
             for centre, part in cohort.groupby("center")]
    return pool(files)


def assert_same_km(a, b):
    for field in KM_FIELDS:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    for field in ("n", "n_events", "median", "median_lower", "median_upper", "median_first",
                  "median_lower_missing", "median_upper_missing", "median_se"):
        x, y = getattr(a, field), getattr(b, field)
        assert x == y or (x != x and y != y), field
    ticks = np.array([0.0, 6.0, 12.0, 24.0])
    for x, y in zip(a.survival_at(ticks), b.survival_at(ticks), strict=True):
        np.testing.assert_array_equal(x, y)


def endpoint_rows(cohort, endpoint, precision=None):
    tcol, ecol = {"PFS": ("pfs_months", "pfs_event"), "OS": ("os_months", "os_event")}[endpoint]
    return coarsen_times(cohort[tcol].to_numpy(float), precision), cohort[ecol].to_numpy(int)


def check_km_and_tests(cohort, pooled, precision, conf_type, weights):
    groupings = make_groupings()
    rows = cohort.copy()
    for col in ("pfs_months", "os_months"):
        rows[col] = coarsen_times(rows[col].to_numpy(float), precision)
    several = cohort["center"].nunique() > 1
    for endpoint in ("PFS", "OS"):
        time, event = endpoint_rows(cohort, endpoint, precision)
        assert_same_km(pooled.kaplan_meier(endpoint, conf_type=conf_type), kaplan_meier(time, event, conf_type=conf_type))
        for key in GROUPINGS:
            labels = groupings[key].make(cohort).to_numpy(dtype=object)
            recorded = pd.notna(labels)
            if not recorded.any():
                # No patient has this grouping: no centre has a table to share, and the pool says
                # so in words (hypothesis found two patients without a line of therapy).
                with pytest.raises(SurvivalInputError, match="No centre shared"):
                    pooled.curves(endpoint, key, conf_type=conf_type)
                continue
            curves = pooled.curves(endpoint, key, conf_type=conf_type)
            assert set(curves) == set(labels[recorded])
            for level, km in curves.items():
                m = labels == level
                assert_same_km(km, kaplan_meier(time[m], event[m], conf_type=conf_type))
            # The Survival page's patient-row result (groups in display order): the same digits.
            page = survival_by_group(rows, endpoint, key, test=weights, stratify_by_center=several, conf_type=conf_type)
            assert list(curves) == list(page.curves)
            strata = "centre" if several else None
            if page.test is None:
                with pytest.raises(SurvivalInputError):
                    pooled.logrank(endpoint, key, strata=strata, weights=weights)
                continue
            res = pooled.logrank(endpoint, key, strata=strata, weights=weights)
            ref = page.test
            assert (res.statistic, res.df, res.p_value, res.stratified) == (ref.statistic, ref.df, ref.p_value, ref.stratified)
            np.testing.assert_array_equal(res.o_minus_e, ref.o_minus_e)
            np.testing.assert_array_equal(res.variance, ref.variance)
            # R's survdiff order (sorted groups) differs in the last digit only by summation order.
            sorted_ref = logrank_test(time[recorded], event[recorded], labels[recorded],
                                      strata=cohort["center"].to_numpy()[recorded] if several else None, weights=weights)
            assert res.statistic == pytest.approx(sorted_ref.statistic, rel=1e-9, abs=1e-12)
            assert res.df == sorted_ref.df


def test_a_grouping_no_patient_has_is_named_not_pooled():
    # Hypothesis's case: two patients of one centre, neither with a line of therapy recorded.
    cohort = pd.DataFrame({
        "patient_id": ["P000", "P001"], "center": ["Centre Nord"] * 2, "pfs_months": [0.0, 0.0], "pfs_event": [1, 1],
        "os_months": [0.0, 0.0], "os_event": [1, 1], "histotype": ["UPS", "UPS"],
        "line_of_therapy": pd.array([None, None], dtype="Int64"), "regimen_class": ["ICI monotherapy"] * 2,
        "regimen": ["pembrolizumab"] * 2, "sex": ["Male"] * 2, "n_met_sites": pd.array([0, 0], dtype="Int64"),
        "best_response": ["CR", "CR"], "age": [18.0, 18.0],
    })
    pooled = pooled_files(cohort)
    assert pooled.kaplan_meier("PFS").n == 2
    with pytest.raises(SurvivalInputError, match=r"No centre shared a PFS table by Line of therapy \(1-2 vs ≥3\)\."):
        pooled.curves("PFS", "line_2")
    check_km_and_tests(cohort, pooled, None, "log-log", "logrank")


@SETTINGS
@given(cohorts(), st.sampled_from(CONF_TYPES), st.sampled_from(WEIGHTS))
def test_pooled_km_and_centre_stratified_logrank_equal_the_patient_rows_exactly(cohort, conf_type, weights):
    check_km_and_tests(cohort, pooled_files(cohort), None, conf_type, weights)


@SETTINGS
@given(cohorts(), st.sampled_from(["0.1 month", "1 week", "1 month"]), st.sampled_from(CONF_TYPES), st.sampled_from(WEIGHTS))
def test_with_coarsened_times_pooling_equals_the_patient_rows_on_the_coarsened_times(cohort, precision, conf_type, weights):
    check_km_and_tests(cohort, pooled_files(cohort, time_precision=precision), precision, conf_type, weights)


@SETTINGS
@given(cohorts(), st.sampled_from(["evaluable", "all"]))
def test_pooled_response_tables_equal_the_patient_rows_exactly(cohort, denominator):
    pooled = pooled_files(cohort)
    ref = objective_response(cohort["best_response"], denominator=denominator)
    assert pooled.objective_response(denominator=denominator) == ref
    groupings = make_groupings()
    for key in ("histotype", "line_2", "regimen_class", "sex"):
        data = pd.DataFrame({key: groupings[key].make(cohort), "best_response": cohort["best_response"]})
        expected = response_table(data, key, denominator=denominator)
        got, _ = pooled.response_table(key, denominator=denominator)
        pd.testing.assert_frame_equal(got, expected)
        for level in expected.index[:-1]:
            m = (data[key] == level) if level != "(missing)" else data[key].isna()
            assert pooled.objective_response(key, level, denominator=denominator) == objective_response(
                cohort.loc[m, "best_response"], denominator=denominator)
    # The centre is a grouping of the pool: one row per file.
    by_centre, _ = pooled.response_table("center", denominator=denominator)
    pd.testing.assert_frame_equal(by_centre, response_table(cohort, "center", denominator=denominator))


@SETTINGS
@given(cohorts())
def test_a_centre_filter_is_the_pool_of_the_chosen_centres(cohort):
    pooled = pooled_files(cohort)
    chosen = pooled.centres[:1]
    sub = cohort[cohort["center"].isin(chosen)]
    time, event = endpoint_rows(sub, "PFS")
    assert_same_km(pooled.select(chosen).kaplan_meier("PFS"), kaplan_meier(time, event))
    assert pooled.select(chosen).n_patients == len(sub)
    assert pooled.select(chosen).universe is pooled


def test_the_overall_curve_is_named_as_the_survival_page_names_it():
    cohort = pd.DataFrame({"pfs_months": [1.0, 2.0, 3.0, 4.0, 5.0], "pfs_event": [1, 0, 1, 1, 0], "os_months": [2.0] * 5,
                           "os_event": [0] * 5, "center": ["A"] * 5, "histotype": ["UPS"] * 5})
    pooled = pooled_files(cohort)
    assert list(pooled.curves("PFS")) == [ALL]
