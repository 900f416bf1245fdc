"""Published examples, hand calculations, edge cases and input errors for sarcoma.survival.

Randomised comparisons against lifelines/statsmodels live in test_survival_properties.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.datasets import load_lung

from sarcoma.survival import (
    CoxFitError,
    KMResult,
    SurvivalInputError,
    cox_hazard_ratios,
    format_median,
    kaplan_meier,
    logrank_test,
    logrank_trend,
    median_follow_up,
    pairwise_logrank,
)

# Freireich et al. 1963 / Gehan 1965 remission times in weeks (R: MASS::gehan, survival::gehan).
# 6-MP arm: 6,6,6,6+,7,9+,10,10+,11+,13,16,17+,19+,20+,22,23,25+,32+,32+,34+,35+ ; control: no
# censoring.
MP_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
CTRL_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
CTRL_EVENT = [1] * 21

# Collett, Modelling Survival Data in Medical Research, Example 1.1: weeks to discontinuation
# of an IUD, 18 women (0 = censored).
IUD_TIME = [10, 13, 18, 19, 23, 30, 36, 38, 54, 56, 59, 75, 93, 97, 104, 107, 107, 107]
IUD_EVENT = [1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0]


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return load_lung()


# --------------------------------------------------------------------------- published R output


def test_gehan_6mp_arm_matches_r_survfit():
    # R: survfit(Surv(time, cens) ~ treat, data = gehan) (conf.type "log", the R default)
    #    treat=6-MP  n=21 events=9 median=23 0.95LCL=16 0.95UCL=NA
    km = kaplan_meier(MP_TIME, MP_EVENT, conf_type="log")
    assert (km.n, km.n_events) == (21, 9)
    assert km.median == 23
    assert km.median_lower == 16
    assert math.isnan(km.median_upper)
    # Published KM table for the 6-MP arm (NAG Library g12aac example program results,
    # support.nag.com/numeric/nl/nagdoc_27/examples/baseresults/g12aace.r.html):
    # S(6)=0.857, S(7)=0.807, S(10)=0.753, S(13)=0.690, S(16)=0.627, S(22)=0.538, S(23)=0.448,
    # Greenwood SEs 0.076 0.087 0.096 0.107 0.114 0.128 0.135.
    est = km.survival_at([6, 7, 10, 13, 16, 22, 23])
    np.testing.assert_allclose(
        est.survival, [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448], atol=5e-4
    )
    np.testing.assert_allclose(
        km.std_err_at([6, 7, 10, 13, 16, 22, 23]),
        [0.076, 0.087, 0.096, 0.107, 0.114, 0.128, 0.135],
        atol=5e-4,
    )


def test_gehan_control_arm_matches_r_survfit():
    # R: survfit(Surv(time, cens) ~ treat, data = gehan): treat=control n=21 events=21
    #    median=8 0.95LCL=4 0.95UCL=12
    km = kaplan_meier(CTRL_TIME, CTRL_EVENT, conf_type="log")
    assert (km.median, km.median_lower, km.median_upper) == (8, 4, 12)


def test_gehan_logrank_matches_r_survdiff():
    # R: survdiff(Surv(time, cens) ~ treat, data = gehan)
    #            N Observed Expected (O-E)^2/E (O-E)^2/V
    #   6-MP    21        9     19.3      5.46      16.8
    #   control 21       21     10.7      9.77      16.8
    #   Chisq= 16.8  on 1 degrees of freedom, p= 4e-05
    res = logrank_test(MP_TIME + CTRL_TIME, MP_EVENT + CTRL_EVENT, ["6-MP"] * 21 + ["control"] * 21)
    assert list(res.groups) == ["6-MP", "control"]
    assert res.df == 1
    assert res.statistic == pytest.approx(16.8, abs=0.05)
    assert res.p_value == pytest.approx(4e-5, abs=0.5e-5)
    np.testing.assert_array_equal(res.n, [21, 21])
    np.testing.assert_array_equal(res.observed, [9, 21])
    np.testing.assert_allclose(res.expected, [19.3, 10.7], atol=0.05)
    assert not res.stratified and res.weights == "logrank"


def test_lung_km_matches_r_survfit(lung):
    # R: survfit(Surv(time, status) ~ 1, data = lung)
    #   n=228 events=165 median=310 0.95LCL=285 0.95UCL=363
    km = kaplan_meier(lung["time"], lung["status"], conf_type="log")
    assert (km.n, km.n_events) == (228, 165)
    assert (km.median, km.median_lower, km.median_upper) == (310, 285, 363)


def test_lung_logrank_by_sex_matches_r_survdiff(lung):
    # R: survdiff(Surv(time, status) ~ sex, data = lung)
    #          N Observed Expected (O-E)^2/E (O-E)^2/V
    #   sex=1 138      112     91.6      4.55      10.3
    #   sex=2  90       53     73.4      5.68      10.3
    #   Chisq= 10.3  on 1 degrees of freedom, p= 0.001
    res = logrank_test(lung["time"], lung["status"], lung["sex"])
    assert res.statistic == pytest.approx(10.3, abs=0.05)
    assert res.p_value == pytest.approx(0.0013, abs=0.0001)
    np.testing.assert_array_equal(res.n, [138, 90])
    np.testing.assert_array_equal(res.observed, [112, 53])
    np.testing.assert_allclose(res.expected, [91.6, 73.4], atol=0.05)


def test_lung_cox_by_sex_matches_r_coxph(lung):
    # R: summary(coxph(Surv(time, status) ~ sex, data = lung))
    #        coef exp(coef) se(coef)      z Pr(>|z|)
    #   sex -0.5310   0.5880   0.1672 -3.176  0.00149
    #       exp(coef) exp(-coef) lower .95 upper .95
    #   sex     0.588      1.701    0.4237     0.816
    #   n= 228, number of events= 165
    res = cox_hazard_ratios(lung, "time", "status", ["sex"])
    row = res.table.loc["sex"]
    assert row["coef"] == pytest.approx(-0.5310, abs=5e-4)
    assert row["hr"] == pytest.approx(0.5880, abs=5e-4)
    assert row["se"] == pytest.approx(0.1672, abs=5e-4)
    assert row["p_value"] == pytest.approx(0.00149, abs=5e-6)
    assert row["lower"] == pytest.approx(0.4237, abs=5e-4)
    assert row["upper"] == pytest.approx(0.816, abs=5e-4)
    assert (res.n, res.n_events, res.n_excluded) == (228, 165, 0)


# --------------------------------------------------------------------------- SPSS hand calculation


def test_spss_median_interval_hand_calculation():
    # Collett's percentile SE, worked by hand on the IUD data (Collett Example 1.1).
    # KM at the event times (n at risk, d events):
    #   t=10 n=18: S=17/18            = 0.94444
    #   t=19 n=15: S=0.94444*14/15    = 0.88148
    #   t=30 n=13: S=0.88148*12/13    = 0.81368
    #   t=36 n=12: S=0.81368*11/12    = 0.74588
    #   t=59 n=8 : S=0.74588*7/8      = 0.65264
    #   t=75 n=7 : S=0.65264*6/7      = 0.55940   <- u = last time with S >= 0.55
    #   t=93 n=6 : S=0.55940*5/6      = 0.46617   <- median (first S <= 0.5)
    #   t=97 n=5 : S=0.46617*4/5      = 0.37293   <- l = first time with S <= 0.45
    # f = (0.55940 - 0.37293) / (97 - 75) = 0.0084758
    # Greenwood at 93: sum d/(n(n-d)) = 1/306 + 1/210 + 1/156 + 1/132 + 1/56 + 1/42 + 1/30
    #                = 0.0970159;  SE(S(93)) = 0.46617 * sqrt(0.0970159) = 0.145199
    # SE(median) = 0.145199 / 0.0084758 = 17.131;  95% CI = 93 -/+ 1.959964*17.131
    #            = (59.42, 126.58)
    km = kaplan_meier(IUD_TIME, IUD_EVENT, conf_type="spss")
    assert km.median == 93
    assert km.std_err_at(93) == pytest.approx(0.145199, abs=1e-6)
    assert km.median_se == pytest.approx(17.131, abs=1e-3)
    assert km.median_lower == pytest.approx(59.42, abs=0.01)
    assert km.median_upper == pytest.approx(126.58, abs=0.01)
    # Symmetric, as in the seed paper's SPSS output (e.g. PFS 4.6 (3.2-5.9)).
    assert km.median - km.median_lower == pytest.approx(km.median_upper - km.median)


def test_spss_pointwise_interval_is_plain():
    # SPSS prints S and SE only; the "spss" band is S -/+ z*SE, clipped to [0, 1].
    spss = kaplan_meier(IUD_TIME, IUD_EVENT, conf_type="spss")
    plain = kaplan_meier(IUD_TIME, IUD_EVENT, conf_type="plain")
    np.testing.assert_allclose(spss.lower, plain.lower)
    np.testing.assert_allclose(spss.upper, plain.upper)
    z = 1.959963984540054
    expect = np.clip(spss.survival - z * spss.std_err, 0, 1)
    np.testing.assert_allclose(spss.lower, expect)


def test_spss_median_se_not_estimable_when_survival_stays_above_045():
    # S falls to 0.5 (median exists) but never to 0.45, so l does not exist.
    km = kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0], conf_type="spss")
    assert km.median == 3  # R midpoint rule, see test_median_flat_at_half_at_end
    assert math.isnan(km.median_se)
    assert math.isnan(km.median_lower) and math.isnan(km.median_upper)


# --------------------------------------------------------------------------- median rules


def test_median_uncensored_even_n_is_usual_median():
    # R: survfit(Surv(1:10) ~ 1) prints median 5.5 (flat at exactly 0.5 from 5 to 6).
    assert kaplan_meier(np.arange(1, 11), np.ones(10)).median == 5.5


def test_median_flat_at_half_at_end():
    # S = 0.75, 0.5 then only censorings to t=4: R's quantile.survfit gives (2 + 4) / 2 = 3.
    assert kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0]).median == 3


def test_median_not_reached_and_format():
    # S = 5/6 then 5/6 * 2/3 = 0.556: never <= 0.5. The log-log lower band is 0.273 from t=1,
    # so the lower limit is 1 and the upper limit is not reached.
    km = kaplan_meier([1, 2, 3, 4, 5, 6], [1, 0, 0, 1, 0, 0])
    assert math.isnan(km.median)
    assert km.median_lower == 1
    assert math.isnan(km.median_upper)
    assert format_median(km.median, km.median_lower, km.median_upper) == (
        "not reached (1.0-not reached)"
    )
    assert format_median(4.6, 3.2, 5.9) == "4.6 (3.2-5.9)"
    assert format_median(float("nan"), 12.06, float("nan")) == "not reached (12.1-not reached)"
    assert format_median(18.8, 1.94, 35.6, digits=2) == "18.80 (1.94-35.60)"


# --------------------------------------------------------------------------- edge cases


def test_all_censored():
    km = kaplan_meier([3, 1, 2], [0, 0, 0])
    assert km.n_events == 0
    np.testing.assert_array_equal(km.survival, 1.0)
    np.testing.assert_array_equal(km.lower, 1.0)
    np.testing.assert_array_equal(km.upper, 1.0)
    assert math.isnan(km.median)


def test_no_censoring_reaches_zero_with_undefined_interval():
    km = kaplan_meier([2, 1, 3], [1, 1, 1])
    np.testing.assert_allclose(km.survival, [1, 2 / 3, 1 / 3, 0])
    # S = 0: Greenwood variance is infinite; like R, SE and band are undefined there.
    assert math.isnan(km.std_err[-1]) and math.isnan(km.lower[-1]) and math.isnan(km.upper[-1])
    assert km.median == 2


def test_single_patient():
    km = kaplan_meier([5.0], [1])
    np.testing.assert_array_equal(km.time, [0, 5])
    np.testing.assert_array_equal(km.survival, [1, 0])
    np.testing.assert_array_equal(km.at_risk, [1, 1])
    assert km.median == 5
    censored = kaplan_meier([5.0], [0])
    assert math.isnan(censored.median)
    np.testing.assert_array_equal(censored.censored, [0, 1])


def test_times_of_zero_are_kept_in_the_first_row():
    km = kaplan_meier([0, 0, 0, 2, 5], [1, 0, 1, 1, 0])
    np.testing.assert_array_equal(km.time, [0, 2, 5])
    np.testing.assert_array_equal(km.at_risk, [5, 2, 1])
    np.testing.assert_array_equal(km.events, [2, 1, 0])
    np.testing.assert_array_equal(km.censored, [1, 0, 1])
    assert km.survival[0] == pytest.approx(3 / 5)


def test_ties_events_before_censorings():
    # At t=3 one event and one censoring: both are at risk at 3 (n=4), S(3) = 3/4.
    km = kaplan_meier([3, 3, 4, 5], [1, 0, 1, 0])
    assert km.at_risk[km.time == 3][0] == 4
    assert km.survival_at(3).survival == pytest.approx(0.75)
    assert km.survival_at(4).survival == pytest.approx(0.75 * 0.5)


def test_survival_at_step_function_and_beyond_follow_up():
    km = kaplan_meier(MP_TIME, MP_EVENT)
    s = km.survival_at([0, 5.99, 6, 6.5, 35, 35.01])
    np.testing.assert_allclose(s.survival[:5], [1, 1, 6 / 7, 6 / 7, km.survival[-1]])
    # Beyond the last follow-up: NaN, as R's summary(survfit, times=) omits such times.
    assert math.isnan(s.survival[5]) and math.isnan(s.lower[5]) and math.isnan(s.upper[5])
    scalar = km.survival_at(12)
    assert isinstance(scalar.survival, float)
    est, lo, hi = scalar
    assert lo <= est <= hi
    with pytest.raises(SurvivalInputError):
        km.survival_at(-1)


def test_median_follow_up_is_reverse_km():
    # Reverse KM: censorings are the events. Hand check: times 1..6, deaths at 1, 3, 5.
    # Reverse events at 2, 4, 6 with n at risk 5, 3, 1: S = 4/5, 4/5*2/3 = 0.533, 0 -> median 6.
    fu = median_follow_up([1, 2, 3, 4, 5, 6], [1, 0, 1, 0, 1, 0])
    assert isinstance(fu, KMResult)
    assert fu.median == 6
    assert fu.n_events == 3


def test_logrank_group_with_zero_events():
    t = [1, 2, 3, 4, 5, 6, 7, 8]
    e = [1, 1, 1, 1, 0, 0, 0, 0]
    g = ["a", "a", "a", "a", "b", "b", "b", "b"]
    res = logrank_test(t, e, g)
    np.testing.assert_array_equal(res.observed, [4, 0])
    assert res.expected[1] > 0
    assert res.p_value < 0.05


def test_logrank_accepts_int_labels_and_keeps_sorted_order():
    res = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], [3, 1, 2, 3, 1, 2])
    np.testing.assert_array_equal(res.groups, [1, 2, 3])
    assert res.df == 2


def test_categorical_groups_keep_category_order_for_trend():
    # An ordered Categorical (e.g. PD-L1 "low" < "medium" < "high"): groups and the default
    # trend scores 1, 2, 3 follow category order, not lexical order (high, low, medium).
    # Unused categories are dropped.
    rng = np.random.default_rng(3)
    n = 90
    levels = ["low", "medium", "high"]
    level = pd.Categorical(rng.choice(levels, n), categories=[*levels, "unused"], ordered=True)
    codes = np.asarray(level.codes)
    t = rng.exponential(10 / (1 + codes))  # higher level, shorter time
    e = np.ones(n, dtype=int)
    res = logrank_trend(t, e, pd.Series(level))
    assert list(res.groups) == levels
    explicit = logrank_trend(t, e, codes, scores=[1.0, 2.0, 3.0])
    assert res.statistic == pytest.approx(explicit.statistic)
    lexical = logrank_trend(t, e, np.asarray(level).astype(str))
    assert list(lexical.groups) == ["high", "low", "medium"]
    assert lexical.statistic != pytest.approx(res.statistic)
    overall = logrank_test(t, e, pd.Series(level))
    assert overall.df == 2 and list(overall.groups) == levels


def test_logrank_one_group_is_an_error():
    with pytest.raises(SurvivalInputError, match="at least two groups"):
        logrank_test([1, 2, 3], [1, 0, 1], ["x", "x", "x"])


def test_logrank_missing_group_is_an_error():
    with pytest.raises(SurvivalInputError, match="missing"):
        logrank_test([1, 2, 3], [1, 0, 1], ["x", None, "y"])


def test_logrank_no_events_is_an_error():
    with pytest.raises(SurvivalInputError, match="No events"):
        logrank_test([1, 2, 3], [0, 0, 0], ["x", "y", "y"])


def test_logrank_unknown_weights():
    with pytest.raises(SurvivalInputError, match="weighting"):
        logrank_test([1, 2, 3], [1, 1, 1], [0, 1, 1], weights="fleming")


def test_trend_scores_mapping_and_errors(lung):
    a = logrank_trend(lung["time"], lung["status"], lung["sex"], scores={1: 0.0, 2: 1.0})
    b = logrank_trend(lung["time"], lung["status"], lung["sex"], scores=[5.0, 7.0])
    # With two groups any increasing scores give the two-group log-rank (R: Chisq = 10.3).
    assert a.statistic == pytest.approx(b.statistic)
    assert a.statistic == pytest.approx(10.3, abs=0.05)
    assert a.df == 1 and a.test == "trend"
    with pytest.raises(SurvivalInputError, match="one score per group"):
        logrank_trend(lung["time"], lung["status"], lung["sex"], scores=[1.0])
    with pytest.raises(SurvivalInputError, match="no information"):
        logrank_trend(lung["time"], lung["status"], lung["sex"], scores=[1.0, 1.0])


def test_pairwise_columns_and_unknown_adjust(lung):
    out = pairwise_logrank(lung["time"], lung["status"], lung["ph.ecog"].fillna(-1))
    assert list(out.columns) == [
        "group_a",
        "group_b",
        "statistic",
        "p_value",
        "p_adjusted",
        "adjust",
    ]
    assert len(out) == 10  # 5 groups (ECOG 0-3 and the -1 placeholder)
    with pytest.raises(SurvivalInputError, match="adjustment"):
        pairwise_logrank(lung["time"], lung["status"], lung["sex"], adjust="bonferroni")


# --------------------------------------------------------------------------- input validation


@pytest.mark.parametrize(
    ("time", "event", "message"),
    [
        ([1, np.nan, 3], [1, 0, 1], "Survival time is missing for row 2"),
        ([1, 2, 3], [1, np.nan, 1], "event indicator is missing"),
        ([1, -2, 3], [1, 0, 1], "negative"),
        ([1, 2, 3], [1, 2, 1], "1 \\(event\\) or 0 \\(censored\\)"),
        ([1, 2, 3], [1, 0], "3 survival times but 2 event indicators"),
        ([], [], "empty"),
        ([1, "two", 3], [1, 0, 1], "must be numbers"),
        ([1, np.inf, 3], [1, 0, 1], "infinite"),
        (pd.Series([1, pd.NA, 3], dtype="Int64"), [1, 0, 1], "missing"),
    ],
)
def test_bad_input_gives_plain_language_error(time, event, message):
    with pytest.raises(SurvivalInputError, match=message):
        kaplan_meier(time, event)


def test_error_is_a_value_error():
    assert issubclass(SurvivalInputError, ValueError)
    assert issubclass(CoxFitError, SurvivalInputError)


def test_unknown_conf_type_and_alpha():
    with pytest.raises(SurvivalInputError, match="confidence interval type"):
        kaplan_meier([1, 2], [1, 1], conf_type="arcsine")
    with pytest.raises(SurvivalInputError, match="alpha"):
        kaplan_meier([1, 2], [1, 1], alpha=1.5)


def test_boolean_events_and_pandas_input():
    df = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [True, False, True]})
    km = kaplan_meier(df["t"], df["e"])
    assert km.n_events == 2


# --------------------------------------------------------------------------- Cox wrapper

# lifelines' default Newton-Raphson takes 0.95 steps and stops early: its coefficients are up
# to ~1e-5 (relative) short of the maximum, where R's coxph and sarcoma.coxfit agree to 1e-12
# (tests/reference/). With full steps and a tight tolerance lifelines reaches the same maximum,
# so it stays the oracle here.
LIFELINES_AT_MLE = {"step_size": 1.0, "precision": 1e-20, "r_precision": 1e-15}


def _cox_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 120
    hist = rng.choice(["UPS", "LMS", "LPS"], n)
    age = rng.normal(55, 12, n)
    rate = np.exp(0.6 * (hist == "UPS") - 0.4 * (hist == "LPS") + 0.02 * (age - 55))
    t = rng.exponential(1 / rate)
    c = rng.exponential(2.0, n)
    return pd.DataFrame(
        {
            "time": np.minimum(t, c),
            "event": (t <= c).astype(int),
            "histotype": hist,
            "age": age,
            "centre": rng.choice(["A", "B"], n),
        }
    )


def test_cox_categorical_reference_matches_lifelines_dummies():
    df = _cox_frame()
    res = cox_hazard_ratios(
        df, "time", "event", ["histotype", "age"], reference={"histotype": "UPS"}
    )
    # Oracle: lifelines CoxPHFitter on hand-made dummies against UPS.
    design = pd.DataFrame(
        {
            "LMS": (df["histotype"] == "LMS").astype(float),
            "LPS": (df["histotype"] == "LPS").astype(float),
            "age": df["age"],
            "time": df["time"],
            "event": df["event"],
        }
    )
    ref = CoxPHFitter().fit(design, "time", "event", fit_options=LIFELINES_AT_MLE).summary
    assert list(res.table.index) == ["histotype: LMS vs UPS", "histotype: LPS vs UPS", "age"]
    np.testing.assert_allclose(res.table["hr"], ref["exp(coef)"], rtol=1e-8)
    np.testing.assert_allclose(res.table["lower"], ref["exp(coef) lower 95%"], rtol=1e-8)
    np.testing.assert_allclose(res.table["upper"], ref["exp(coef) upper 95%"], rtol=1e-8)
    np.testing.assert_allclose(res.table["p_value"], ref["p"], rtol=1e-8)
    assert res.references == {"histotype": "UPS"}


def test_cox_default_reference_is_first_sorted_or_category_order():
    df = _cox_frame()
    res = cox_hazard_ratios(df, "time", "event", "histotype")
    assert res.references == {"histotype": "LMS"}  # sorted: LMS < LPS < UPS
    df["histotype"] = pd.Categorical(df["histotype"], categories=["UPS", "LMS", "LPS"])
    res = cox_hazard_ratios(df, "time", "event", "histotype")
    assert res.references == {"histotype": "UPS"}


def test_cox_strata_matches_lifelines():
    df = _cox_frame()
    res = cox_hazard_ratios(df, "time", "event", ["age"], strata="centre")
    ref = CoxPHFitter().fit(
        df[["time", "event", "age", "centre"]], "time", "event", strata=["centre"],
        fit_options=LIFELINES_AT_MLE,
    )
    assert res.table.loc["age", "hr"] == pytest.approx(
        ref.summary.loc["age", "exp(coef)"], rel=1e-8
    )
    assert res.strata == ("centre",)


def test_cox_missing_covariates_are_left_out_and_counted():
    df = _cox_frame()
    df.loc[[0, 5, 9], "age"] = np.nan
    res = cox_hazard_ratios(df, "time", "event", ["age"])
    assert res.n_excluded == 3 and res.n == len(df) - 3
    ref = CoxPHFitter().fit(
        df.dropna()[["time", "event", "age"]], "time", "event", fit_options=LIFELINES_AT_MLE
    )
    assert res.table.loc["age", "hr"] == pytest.approx(
        ref.summary.loc["age", "exp(coef)"], rel=1e-8
    )


def test_cox_level_without_events_is_a_clear_error():
    df = _cox_frame()
    df.loc[df["histotype"] == "LPS", "event"] = 0
    with pytest.raises(CoxFitError, match="No events among patients with histotype = 'LPS'"):
        cox_hazard_ratios(df, "time", "event", ["histotype"])


def test_cox_single_level_and_too_few_events():
    df = _cox_frame()
    df["histotype"] = "UPS"
    with pytest.raises(CoxFitError, match="only one value"):
        cox_hazard_ratios(df, "time", "event", ["histotype"])
    df = _cox_frame()
    df["event"] = 0
    df.loc[0, "event"] = 1
    with pytest.raises(CoxFitError, match="at least 2 events"):
        cox_hazard_ratios(df, "time", "event", ["age"])


def test_cox_complete_separation_is_a_clear_error():
    # Every patient with x = 1 has an event before any patient with x = 0: the MLE is infinite.
    df = pd.DataFrame(
        {
            "time": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            "event": [1, 1, 1, 1, 1, 0, 1, 0, 1, 0],
            "x": [1.0, 1, 1, 1, 1, 0, 0, 0, 0, 0],
        }
    )
    with pytest.raises(CoxFitError):
        cox_hazard_ratios(df, "time", "event", ["x"])


def test_cox_bad_columns():
    df = _cox_frame()
    with pytest.raises(SurvivalInputError, match="not found"):
        cox_hazard_ratios(df, "time", "event", ["stage"])
    with pytest.raises(SurvivalInputError, match="not in the data"):
        cox_hazard_ratios(df, "time", "event", ["histotype"], reference="ASPS")
    df["const"] = 1.0
    with pytest.raises(CoxFitError, match="same value"):
        cox_hazard_ratios(df, "time", "event", ["const"])
