"""Restricted mean survival time, pinned to published R output, hand calculations and lifelines."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time
from scipy import stats

from sarcoma.rmst import (
    RMSTHorizonError,
    horizon_limit,
    max_horizon,
    restricted_mean,
    rmst_by_group,
    rmst_difference,
    rmst_from_km,
)
from sarcoma.survival import SurvivalInputError, kaplan_meier

# Tiny censored examples worked by hand (see test_hand_calculation_*).
A_TIME, A_EVENT = [2, 3, 5, 8], [1, 0, 1, 1]
B_TIME, B_EVENT = [1, 4, 7], [1, 1, 0]


def test_published_r_output_aml_nonmaintained():
    # R survival, data(aml), survfit(Surv(time, status) ~ x): the "Nonmaintained" row of
    # summary(fit)$table prints *rmean 22.70833 and *se(rmean) 4.180942 (output reproduced in a
    # CRAN reverse-dependency check log). Its last observation (45) is a death, so the restricted
    # mean is the same for any upper limit >= 45.
    time = [5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
    event = [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]
    est = restricted_mean(time, event, 45)
    assert est.rmst == pytest.approx(22.70833, abs=5e-6)
    assert est.se == pytest.approx(4.180942, abs=5e-7)
    assert rmst_from_km(kaplan_meier(time, event), 161).rmst == pytest.approx(22.70833, abs=5e-6)


def test_hand_calculation_one_group():
    # Times 2, 3+, 5, 8 and tau = 6. KM: S = 1 on [0,2), 3/4 on [2,5), 3/8 on [5,8).
    # RMST = 2*1 + 3*0.75 + 1*0.375 = 4.625.
    # Greenwood plug-in: event at 2 (n=4, d=1): area 2->6 = 2.25 + 0.375 = 2.625, term
    # 2.625^2 * 1/(4*3) = 0.57421875; event at 5 (n=2, d=1): area 5->6 = 0.375, term
    # 0.375^2 * 1/(2*1) = 0.0703125. Var = 0.64453125.
    est = restricted_mean(A_TIME, A_EVENT, 6)
    assert est.rmst == pytest.approx(4.625, abs=1e-12)
    assert est.se == pytest.approx(math.sqrt(0.64453125), abs=1e-12)
    assert est.rmtl == pytest.approx(6 - 4.625)
    z = stats.norm.ppf(0.975)
    assert (est.lower, est.upper) == pytest.approx((4.625 - z * est.se, 4.625 + z * est.se))
    assert (est.n, est.n_events) == (4, 3)


def test_hand_calculation_difference():
    # Group B: 1, 4, 7+ and tau = 6. S = 2/3 on [1,4), 1/3 on [4,7).
    # RMST = 1 + 3*(2/3) + 2*(1/3) = 11/3. Var: event at 1 (n=3, d=1): area 1->6 = 2 + 2/3 = 8/3,
    # term (8/3)^2/6 = 32/27; event at 4 (n=2, d=1): area 4->6 = 2/3, term (2/3)^2/2 = 2/9.
    # Var = 38/27. Difference A - B = 4.625 - 11/3, SE = sqrt(0.64453125 + 38/27) (survRM2's
    # rmst2 contrast: independent groups), p = 2 * Phi(-|diff| / SE).
    group = ["A"] * 4 + ["B"] * 3
    res = rmst_difference(A_TIME + B_TIME, A_EVENT + B_EVENT, group, 6, reference="B")
    diff = 4.625 - 11 / 3
    se = math.sqrt(0.64453125 + 38 / 27)
    assert res.reference.rmst == pytest.approx(11 / 3, abs=1e-12)
    assert res.reference.se == pytest.approx(math.sqrt(38 / 27), abs=1e-12)
    assert res.difference == pytest.approx(diff, abs=1e-12)
    assert res.se == pytest.approx(se, abs=1e-12)
    assert res.p_value == pytest.approx(2 * stats.norm.cdf(-abs(diff) / se), abs=1e-12)
    assert res.lower == pytest.approx(diff - stats.norm.ppf(0.975) * se)
    assert "6 months" in res.text() and "'A'" in res.text()
    # Swapping the reference flips the sign and keeps the p-value.
    flipped = rmst_difference(A_TIME + B_TIME, A_EVENT + B_EVENT, group, 6, reference="A")
    assert flipped.difference == pytest.approx(-diff) and flipped.p_value == pytest.approx(res.p_value)


def test_events_at_time_zero_count():
    # A death at t = 0 makes S(0) = 3/4; at t = 2 one of 3 at risk dies: S = 3/4 * 2/3 = 1/2.
    # Hand: RMST(4) = 2 * 0.75 + 2 * 0.5 = 2.5.
    est = restricted_mean([0, 2, 5, 6], [1, 1, 0, 0], 4)
    assert est.rmst == pytest.approx(2.5, abs=1e-12)


def test_horizon_rules_follow_survRM2():
    # survRM2 rmst2: a group whose last observation is censored limits tau to that time; a group
    # ending with an event does not; tau never exceeds the longest observed time.
    assert max_horizon(A_TIME + B_TIME, A_EVENT + B_EVENT, ["A"] * 4 + ["B"] * 3) == 7  # B censored at 7
    assert max_horizon([1, 2, 3, 9], [1, 1, 1, 1], ["x", "x", "y", "y"]) == 9  # both end with events
    assert max_horizon([1, 2, 3, 9], [1, 0, 1, 0], ["x", "x", "y", "y"]) == 2  # both censored: the minimum
    assert max_horizon([1, 5, 3, 9], [1, 1, 1, 0], ["x", "x", "y", "y"]) == 9  # shorter ends with event
    assert max_horizon([4, 4], [1, 0]) == 4  # a censoring tied with the last event: not a drop to zero
    with pytest.raises(RMSTHorizonError, match=r"group 'B'.*censored at 7\.0.*at most 7\.0"):
        rmst_difference(A_TIME + B_TIME, A_EVENT + B_EVENT, ["A"] * 4 + ["B"] * 3, 7.5)
    with pytest.raises(RMSTHorizonError, match="longest observed time"):
        rmst_difference([1, 2, 3, 9], [1, 1, 1, 1], ["x", "x", "y", "y"], 10)
    with pytest.raises(RMSTHorizonError, match="censored at 3.0"):
        restricted_mean([1, 3], [1, 0], 4)
    assert rmst_difference([1, 2, 3, 9], [1, 1, 1, 1], ["x", "x", "y", "y"], 9).group.rmst == pytest.approx(6)


@pytest.mark.parametrize("tau", [0, -1, float("nan"), float("inf"), "soon"])
def test_bad_horizon_is_explained(tau):
    with pytest.raises(RMSTHorizonError, match="horizon"):
        restricted_mean(A_TIME, A_EVENT, tau)


def test_bad_input_is_explained():
    with pytest.raises(SurvivalInputError, match="negative"):
        restricted_mean([-1, 2], [1, 1], 1)
    with pytest.raises(SurvivalInputError, match="exactly two groups"):
        rmst_difference([1, 2, 3], [1, 1, 1], ["a", "b", "c"], 1)
    with pytest.raises(SurvivalInputError, match="Reference group 'z'"):
        rmst_difference([1, 2], [1, 1], ["a", "b"], 1, reference="z")
    with pytest.raises(SurvivalInputError, match="group is missing"):
        rmst_difference([1, 2, 3], [1, 1, 1], ["a", None, "b"], 1)


def test_no_drop_before_tau_gives_no_test():
    # Nobody has the event before tau: both RMSTs equal tau, SE 0, nothing to test.
    res = rmst_difference([5, 6, 7, 8], [1, 1, 1, 1], ["a", "a", "b", "b"], 2)
    assert res.difference == 0 and res.se == 0 and math.isnan(res.p_value)
    # The note says what happened, not just "se = 0".
    assert res.no_test_note == (
        "No p-value: the difference has no sampling variability up to τ — 'b': no event before 2 "
        "months (the curve stays at 100%, RMST = τ); 'a': no event before 2 months (the curve "
        "stays at 100%, RMST = τ)."
    )
    assert res.no_test_note in res.text()


def test_no_variance_because_everyone_at_risk_had_the_event_together():
    # Group a: both patients die at 1 (S falls straight to 0); b: nobody before tau = 3.
    res = rmst_difference([1, 1, 5, 6], [1, 1, 1, 1], ["a", "a", "b", "b"], 3)
    assert res.se == 0 and math.isnan(res.p_value)
    assert "'a': the curve fell straight to 0" in res.no_test_note
    assert "'b': no event before 3 months" in res.no_test_note


# --------------------------------------------------------------------------- lifelines oracle

samples = st.integers(min_value=2, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(min_value=0, max_value=60), min_size=n, max_size=n),
        st.lists(st.integers(min_value=0, max_value=1), min_size=n, max_size=n),
        st.floats(min_value=0.05, max_value=1.0),
    )
)


@settings(max_examples=60, deadline=None)
@given(samples)
def test_rmst_matches_lifelines(sample):
    # lifelines' restricted_mean_survival_time integrates its own KM fit exactly (step sums).
    raw, event, frac = sample
    time = np.asarray(raw, float) / 2  # half-month grid: many ties
    tau = max(float(time.max()) * frac, 0.25)
    if time.max() < tau:
        return
    ours = rmst_from_km(kaplan_meier(time, event), tau)
    kmf = KaplanMeierFitter().fit(time, np.asarray(event))
    assert ours.rmst == pytest.approx(restricted_mean_survival_time(kmf, t=tau), rel=1e-10, abs=1e-10)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=80), min_size=2, max_size=40), st.floats(min_value=0.1, max_value=1.0))
def test_variance_without_censoring_is_the_sample_variance(raw, frac):
    # Without censoring the KM is the empirical distribution, the RMST is the mean of min(T, tau)
    # and the Greenwood plug-in variance reduces to Var(min(T, tau)) / n (1/n variance).
    time = np.asarray(raw, float) / 4
    tau = float(time.max()) * frac
    n = time.size
    ours = rmst_from_km(kaplan_meier(time, np.ones(n)), tau)
    capped = np.minimum(time, tau)
    assert ours.rmst == pytest.approx(capped.mean(), rel=1e-12, abs=1e-12)
    assert ours.se**2 * n == pytest.approx(capped.var(), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_variance_without_censoring_matches_lifelines(seed):
    # lifelines' `return_variance=True` returns Var(min(T, tau)), the variance of the restricted
    # time itself (integrated numerically with scipy quad, ~1e-3 accuracy), not the variance of
    # the estimate: the two agree after dividing by n, and only without censoring. lifelines'
    # quad is slow, hence a few fixed samples instead of a property test.
    rng = np.random.default_rng(seed)
    time = np.round(rng.exponential(8, 15), 1) + 0.1
    tau = float(np.quantile(time, 0.7))
    ours = rmst_from_km(kaplan_meier(time, np.ones(time.size)), tau)
    kmf = KaplanMeierFitter().fit(time, np.ones(time.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy quad's subdivision warnings
        mean, var = restricted_mean_survival_time(kmf, t=tau, return_variance=True)
    assert ours.rmst == pytest.approx(mean, rel=1e-9)
    assert ours.se**2 * time.size == pytest.approx(var, rel=2e-2)


# --------------------------------------------------------------------------- cohort level


def cohort() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(12)],
            "pfs_months": [2, 3, 5, 8, 1, 4, 7, 6, 9, np.nan, 3, 2],
            "pfs_event": [1, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1],
            "line_of_therapy": [1, 1, 1, 1, 3, 3, 3, 1, 3, 1, np.nan, 4],
        }
    )


def test_rmst_by_group_counts_and_matches_two_group_function():
    df = cohort()
    res = rmst_by_group(df, "PFS", "line_2", 6, reference="≥3", min_group_size=5)
    # P9 has no PFS time, P10 no line: left out and counted with the reason.
    assert [(x.n, x.patient_ids) for x in res.excluded] == [(1, ("P9",)), (1, ("P10",))]
    keep = df.drop(index=[9, 10])
    group = np.where(keep["line_of_therapy"] >= 3, "≥3", "1-2")
    direct = rmst_difference(keep["pfs_months"], keep["pfs_event"], group, 6, reference="≥3")
    assert res.reference == "≥3"
    assert res.differences["1-2"].difference == pytest.approx(direct.difference)
    assert res.differences["1-2"].p_value == pytest.approx(direct.p_value)
    frame = res.frame()
    assert frame.set_index("Group").loc["≥3", "n"] == 5 and frame.set_index("Group").loc["1-2", "n"] == 5
    assert res.small_groups == ()
    small = rmst_by_group(df, "PFS", "line_2", 6, min_group_size=6)
    assert set(small.small_groups) == {"1-2", "≥3"}
    assert all("unreliable" in n for n in small.frame()["Note"])
    # 1-2 group ends with the event at 8, ≥3 is censored at 9: the limit is 9.
    assert horizon_limit(df, "PFS", "line_2") == res.max_tau == 9
    with pytest.raises(RMSTHorizonError):
        rmst_by_group(df, "PFS", "line_2", 9.5)
    with pytest.raises(SurvivalInputError, match="Reference group"):
        rmst_by_group(df, "PFS", "line_2", 6, reference="5")
