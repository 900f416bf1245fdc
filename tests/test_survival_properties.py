"""Property-based comparisons of sarcoma.survival with lifelines and statsmodels.

Random cohorts use integer times 0..maxt (forcing ties and zero times) and censoring up to
about 90%. Documented, deliberate differences from lifelines (the R `survival` conventions we
follow instead) are handled explicitly in the oracles below:
  * where S(t) = 0, R leaves the SE and band undefined (NaN); lifelines reports 0;
  * a "not reached" median or limit is NaN here, inf in lifelines;
  * a survival curve exactly at 0.5 over a flat stretch: R (and we) take the midpoint,
    lifelines the start of the flat;
  * lifelines finds band crossings with a binary search that assumes a monotone band; bands
    can go up at late, small risk sets, where we (like R's documentation) take the first time
    the band is <= 0.5.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test as ll_logrank_test
from lifelines.statistics import multivariate_logrank_test, pairwise_logrank_test
from lifelines.utils import median_survival_times
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight, survdiff
from statsmodels.stats.multitest import multipletests

from sarcoma.survival import (
    SurvivalInputError,
    adjust_pvalues,
    kaplan_meier,
    logrank_test,
    logrank_trend,
    pairwise_logrank,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Z95 = stats.norm.ppf(0.975)
# lifelines name for each of our weightings
LL_WEIGHTS = {"logrank": None, "breslow": "wilcoxon", "tarone-ware": "tarone-ware", "peto": "peto"}
SM_WEIGHTS = {"logrank": None, "breslow": "gb", "tarone-ware": "tw"}


@st.composite
def cohorts(draw, min_n: int = 1, max_n: int = 60, n_groups: int = 0, n_strata: int = 0):
    """(time, event, group, stratum) with integer times, ties, zeros and heavy censoring."""
    n = draw(st.integers(min_n, max_n))
    maxt = draw(st.sampled_from([3, 12, 40, 500]))
    time = np.array(draw(st.lists(st.integers(0, maxt), min_size=n, max_size=n)), dtype=float)
    # Censoring fraction roughly threshold/10, from 0% to 90%.
    threshold = draw(st.integers(0, 9))
    u = np.array(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n)))
    event = (u >= threshold).astype(int)
    group = (
        np.array(draw(st.lists(st.integers(0, n_groups - 1), min_size=n, max_size=n)))
        if n_groups
        else None
    )
    stratum = (
        np.array(draw(st.lists(st.integers(0, n_strata - 1), min_size=n, max_size=n)))
        if n_strata
        else None
    )
    return time, event, group, stratum


def _comparable(time, event, group, stratum=None) -> bool:
    """Two groups are at risk together at an informative event time of some stratum (events
    there, but not everyone at risk has one: otherwise the hypergeometric variance is 0 and
    there is nothing to test). Written as loops, independently of the vectorised code."""
    stratum = np.zeros(time.size) if stratum is None else stratum
    for s in np.unique(stratum):
        m = stratum == s
        for t in np.unique(time[m][event[m] == 1]):
            risk = m & (time >= t)
            d = int((risk & (time == t) & (event == 1)).sum())
            if d < risk.sum() and np.unique(group[risk]).size >= 2:
                return True
    return False


def _nan_to_inf(x: float) -> float:
    return math.inf if math.isnan(x) else x


def _first_at_or_below_half(times: np.ndarray, band: np.ndarray) -> float:
    hit = np.flatnonzero(band <= 0.5)
    return float(times[hit[0]]) if hit.size else math.inf


# --------------------------------------------------------------------------- Kaplan-Meier


@SETTINGS
@given(cohorts())
def test_km_table_and_loglog_band_match_lifelines(data):
    time, event, _, _ = data
    km = kaplan_meier(time, event)
    kmf = KaplanMeierFitter().fit(time, event)
    table = kmf.event_table
    np.testing.assert_array_equal(km.time, table.index.to_numpy())
    np.testing.assert_array_equal(km.at_risk, table["at_risk"].to_numpy())
    np.testing.assert_array_equal(km.events, table["observed"].to_numpy())
    np.testing.assert_array_equal(km.censored, table["censored"].to_numpy())
    s_ll = kmf.survival_function_["KM_estimate"].to_numpy()
    np.testing.assert_allclose(km.survival, s_ll, rtol=1e-10, atol=1e-12)
    ci = kmf.confidence_interval_.to_numpy()
    pos = s_ll > 0
    np.testing.assert_allclose(km.lower[pos], ci[pos, 0], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(km.upper[pos], ci[pos, 1], rtol=1e-8, atol=1e-12)
    # S = 0: undefined here (R), 0 in lifelines.
    assert np.isnan(km.lower[~pos]).all() and np.isnan(km.upper[~pos]).all()
    assert km.n == time.size and km.n_events == int(event.sum())


@SETTINGS
@given(cohorts())
def test_km_median_and_loglog_median_ci_match_lifelines(data):
    time, event, _, _ = data
    km = kaplan_meier(time, event)
    kmf = KaplanMeierFitter().fit(time, event)
    s_ll = kmf.survival_function_["KM_estimate"]
    if not np.isclose(s_ll.to_numpy(), 0.5, rtol=0, atol=1e-9).any():
        assert _nan_to_inf(km.median) == kmf.median_survival_time_
    # Oracle for the limits: lifelines' band with R's NaN at S = 0, crossing found by
    # lifelines' own median_survival_times when the band is monotone.
    band = kmf.confidence_interval_[s_ll.to_numpy() > 0]
    expected = []
    for col in band.columns:
        values = band[col].to_numpy()
        if values.size and np.all(np.diff(values) <= 0):
            expected.append(float(median_survival_times(band[[col]])))
        else:
            expected.append(_first_at_or_below_half(band.index.to_numpy(), values))
    assert _nan_to_inf(km.median_lower) == expected[0]
    assert _nan_to_inf(km.median_upper) == expected[1]


@SETTINGS
@given(cohorts(min_n=2))
def test_km_greenwood_log_and_plain_bands_match_statsmodels(data):
    time, event, _, _ = data
    assume(event.any())
    sf = SurvfuncRight(time, event)
    log = kaplan_meier(time, event, conf_type="log")
    plain = kaplan_meier(time, event, conf_type="plain")
    rows = np.searchsorted(log.time, sf.surv_times)
    np.testing.assert_allclose(log.survival[rows], sf.surv_prob, rtol=1e-10, atol=1e-12)
    ok = sf.surv_prob > 0
    se = sf.surv_prob_se[ok]
    s = sf.surv_prob[ok]
    np.testing.assert_allclose(log.std_err[rows][ok], se, rtol=1e-8)
    # R survfit conf.type="log": S * exp(-/+ z * SE/S), upper capped at 1.
    np.testing.assert_allclose(log.lower[rows][ok], s * np.exp(-Z95 * se / s), rtol=1e-8)
    np.testing.assert_allclose(
        log.upper[rows][ok], np.minimum(s * np.exp(Z95 * se / s), 1), rtol=1e-8
    )
    np.testing.assert_allclose(plain.lower[rows][ok], np.clip(s - Z95 * se, 0, 1), atol=1e-12)
    np.testing.assert_allclose(plain.upper[rows][ok], np.clip(s + Z95 * se, 0, 1), atol=1e-12)


@SETTINGS
@given(cohorts(min_n=1))
def test_km_median_without_censoring_is_sample_median(data):
    # With no censoring R's median rule reduces to the ordinary sample median.
    time, _, _, _ = data
    km = kaplan_meier(time, np.ones_like(time))
    assert km.median == pytest.approx(float(np.median(time)))


@SETTINGS
@given(cohorts(min_n=2))
def test_km_spss_median_interval_matches_collett_definition(data):
    time, event, _, _ = data
    km = kaplan_meier(time, event, conf_type="spss")
    # Reference built directly from Collett's definition with lifelines' KM and statsmodels'
    # Greenwood SE, scanning event times one by one.
    kmf = KaplanMeierFitter().fit(time, event)
    median = km.median
    if math.isnan(median):
        assert math.isnan(km.median_lower) and math.isnan(km.median_upper)
        return
    ev_times = [0.0] + sorted(set(time[event == 1].tolist()))
    surv = [float(kmf.survival_function_at_times(t).iloc[0]) for t in ev_times]
    surv[0] = 1.0
    u = l_ = None
    for t, s in zip(ev_times, surv, strict=True):
        # exact arithmetic intent: S = 0.55 or 0.45 up to rounding counts as on the boundary
        if s >= 0.55 - 1e-9:
            u = (t, s)
        if s <= 0.45 + 1e-9 and l_ is None:
            l_ = (t, s)
    if l_ is None:
        assert math.isnan(km.median_se)
        return
    sf = SurvfuncRight(time, event)
    j = np.searchsorted(sf.surv_times, median, side="right") - 1
    se_s = sf.surv_prob_se[j]
    if np.isnan(se_s) or l_[0] == u[0]:  # S(t50) = 0, or all of it at t = 0: not estimable
        assert math.isnan(km.median_se) and math.isnan(km.median_lower)
        return
    density = (u[1] - l_[1]) / (l_[0] - u[0])
    assert km.median_se == pytest.approx(se_s / density, rel=1e-8)
    assert km.median_lower == pytest.approx(median - Z95 * se_s / density, rel=1e-8, abs=1e-9)
    assert km.median_upper == pytest.approx(median + Z95 * se_s / density, rel=1e-8, abs=1e-9)


# --------------------------------------------------------------------------- log-rank


@SETTINGS
@given(cohorts(min_n=2, n_groups=4), st.sampled_from(list(LL_WEIGHTS)))
def test_logrank_k_groups_matches_lifelines(data, weights):
    time, event, group, _ = data
    assume(np.unique(group).size >= 2 and event.any())
    ref = multivariate_logrank_test(time, group, event, weightings=LL_WEIGHTS[weights])
    if not _comparable(time, event, group):
        # Nobody else is ever at risk with the group that has the events: nothing to compare
        # (lifelines returns a statistic of 0); we say so instead.
        assert ref.test_statistic == pytest.approx(0, abs=1e-12)
        with pytest.raises(SurvivalInputError, match="Only one group"):
            logrank_test(time, event, group, weights=weights)
        return
    ours = logrank_test(time, event, group, weights=weights)
    assert ours.statistic == pytest.approx(ref.test_statistic, rel=1e-7, abs=1e-9)
    if (ours.expected > 0).all():  # survdiff drops never-at-risk groups; lifelines keeps df
        assert ours.df == ref.degrees_of_freedom
        assert ours.p_value == pytest.approx(ref.p_value, rel=1e-6, abs=1e-12)
    # Observed/expected are the unweighted counts, and O - E sums to zero.
    assert ours.observed.sum() == event.sum()
    assert ours.expected.sum() == pytest.approx(event.sum())
    np.testing.assert_array_equal(ours.n, np.bincount(np.unique(group, return_inverse=True)[1]))


@SETTINGS
@given(cohorts(min_n=2, n_groups=2), st.sampled_from(list(LL_WEIGHTS)))
def test_logrank_two_groups_matches_lifelines_two_sample(data, weights):
    time, event, group, _ = data
    assume(np.unique(group).size == 2 and _comparable(time, event, group))
    a, b = group == 0, group == 1
    ours = logrank_test(time, event, np.where(a, "A", "B"), weights=weights)
    ref = ll_logrank_test(time[a], time[b], event[a], event[b], weightings=LL_WEIGHTS[weights])
    assert ours.statistic == pytest.approx(ref.test_statistic, rel=1e-7, abs=1e-9)
    assert ours.p_value == pytest.approx(ref.p_value, rel=1e-6, abs=1e-12)


@SETTINGS
@given(cohorts(min_n=4, n_groups=3, n_strata=3), st.sampled_from(list(SM_WEIGHTS)))
@example((np.array([0.0, 0.0, 0.0, 1.0]), np.array([1, 1, 1, 1]), np.array([0, 1, 1, 2]), np.array([0, 2, 2, 2])), "logrank")
def test_stratified_logrank_matches_statsmodels(data, weights):
    time, event, group, stratum = data
    assume(np.unique(group).size == 3 and _comparable(time, event, group, stratum))
    ours = logrank_test(time, event, group, strata=stratum, weights=weights)
    assume((ours.expected > 0).all())
    try:
        chisq, pvalue = survdiff(
            time, event, group, strata=stratum, weight_type=SM_WEIGHTS[weights]
        )
    except np.linalg.LinAlgError:  # statsmodels solves; singular V has no reference value
        assume(False)
    assert ours.stratified
    assert ours.statistic == pytest.approx(chisq, rel=1e-6, abs=1e-9)
    if ours.df < 2:
        # A group alone at risk in every stratum it is in adds expected events but no variance:
        # df is the rank of V (SAS; issue 11), statsmodels counts groups - 1. Hypothesis found
        # time (0, 0, 0, 1), group (0, 1, 1, 2), stratum (0, 2, 2, 2): chi2 = 1 on 1 df, p = 0.157.
        assert ours.df == 1
        pvalue = stats.chi2.sf(chisq, 1)
    assert ours.p_value == pytest.approx(pvalue, rel=1e-6, abs=1e-12)


@SETTINGS
@given(cohorts(min_n=4, n_groups=3, n_strata=3), st.sampled_from(list(LL_WEIGHTS)))
def test_stratified_parts_are_sums_of_per_stratum_tests(data, weights):
    # Covers the Peto weights under strata (no library computes stratified Peto-Peto):
    # each stratum's unstratified parts are pinned to lifelines above, and the stratified
    # O - E and covariance must be their sums with the Peto weight restarted per stratum.
    time, event, group, stratum = data
    assume(np.unique(group).size == 3 and _comparable(time, event, group, stratum))
    ours = logrank_test(time, event, group, strata=stratum, weights=weights)
    ome = np.zeros(3)
    var = np.zeros((3, 3))
    for s in np.unique(stratum):
        m = stratum == s
        if not _comparable(time[m], event[m], group[m]):
            continue  # one group at risk only: its O - E and variance terms are all zero
        part = logrank_test(time[m], event[m], group[m], weights=weights)
        idx = np.searchsorted([0, 1, 2], part.groups)
        ome[idx] += part.o_minus_e
        var[np.ix_(idx, idx)] += part.variance
    np.testing.assert_allclose(ours.o_minus_e, ome, atol=1e-9)
    np.testing.assert_allclose(ours.variance, var, atol=1e-9)


# --------------------------------------------------------------------------- trend and pairwise


@SETTINGS
@given(
    st.integers(8, 60),
    st.integers(0, 2**31),
    st.lists(st.floats(-3, 3, allow_nan=False), min_size=3, max_size=3),
)
def test_trend_equals_cox_score_test_without_ties(n, seed, scores):
    # Without tied times the log-rank trend statistic is the Cox score test for the group
    # score as a single covariate (statsmodels PHReg: U(0)^2 / I(0)).
    rng = np.random.default_rng(seed)
    time = rng.exponential(size=n)
    event = (rng.random(n) < 0.7).astype(int)
    group = rng.integers(0, 3, n)
    assume(event.any() and np.unique(group).size == 3 and np.ptp(scores) > 1e-3)
    x = np.asarray(scores)[group][:, None]
    model = PHReg(time, x, status=event, ties="breslow")
    u = model.score(np.zeros(1))[0]
    info = -model.hessian(np.zeros(1))[0, 0]
    assume(info > 1e-10)  # differently scored groups are at risk together at some event
    ours = logrank_trend(time, event, group, scores=scores)
    assert ours.statistic == pytest.approx(u * u / info, rel=1e-7)
    assert ours.p_value == pytest.approx(stats.chi2.sf(u * u / info, 1), rel=1e-6, abs=1e-12)


@SETTINGS
@given(cohorts(min_n=2, n_groups=2))
def test_trend_with_two_groups_is_the_logrank(data):
    time, event, group, _ = data
    assume(np.unique(group).size == 2 and _comparable(time, event, group))
    a, b = group == 0, group == 1
    ref = ll_logrank_test(time[a], time[b], event[a], event[b])
    assume(ref.test_statistic > 1e-12)
    assert logrank_trend(time, event, group).statistic == pytest.approx(
        ref.test_statistic, rel=1e-7
    )


@SETTINGS
@given(cohorts(min_n=6, max_n=80, n_groups=4), st.sampled_from(["holm", "bh", "none"]))
def test_pairwise_matches_lifelines_and_multipletests(data, adjust):
    time, event, group, _ = data
    labels = np.array(["L1", "L2", "L3", "L4"])[group]
    assume(np.unique(labels).size >= 2)
    for a, b in itertools.combinations(np.unique(labels), 2):
        m = (labels == a) | (labels == b)
        # every pair needs two groups at risk at an event time to have a reference value
        assume(_comparable(time[m], event[m], labels[m]))
    out = pairwise_logrank(time, event, labels, adjust=adjust)
    assert out["p_value"].notna().all()
    ref = pairwise_logrank_test(time, labels, event).summary
    for _, row in out.iterrows():
        r = ref.loc[(row["group_a"], row["group_b"])]
        assert row["statistic"] == pytest.approx(r["test_statistic"], rel=1e-7, abs=1e-9)
        assert row["p_value"] == pytest.approx(r["p"], rel=1e-6, abs=1e-12)
    method = {"holm": "holm", "bh": "fdr_bh"}.get(adjust)
    expected = out["p_value"] if method is None else multipletests(out["p_value"], method=method)[1]
    np.testing.assert_allclose(out["p_adjusted"], expected, rtol=1e-12)
    assert (out["adjust"] == adjust).all()


@SETTINGS
@given(
    st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), min_size=0, max_size=30),
    st.sampled_from(["holm", "bh", "none"]),
)
def test_adjust_pvalues_matches_multipletests(p, method):
    # NaN p-values stay NaN and are not counted, like R's p.adjust.
    p = np.asarray(p, dtype=float)
    ours = adjust_pvalues(p, method)
    ok = ~np.isnan(p)
    assert np.isnan(ours[~ok]).all()
    if ok.any():
        expected = (
            p[ok]
            if method == "none"
            else multipletests(p[ok], method={"holm": "holm", "bh": "fdr_bh"}[method])[1]
        )
        np.testing.assert_allclose(ours[ok], expected, rtol=1e-12, atol=1e-15)


def test_adjust_pvalues_fixed_example_and_errors():
    # Checked against statsmodels multipletests (holm / fdr_bh) on a fixed vector.
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.2, 0.04])
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), multipletests(p, method="holm")[1])
    np.testing.assert_allclose(adjust_pvalues(p, "fdr_bh"), multipletests(p, method="fdr_bh")[1])
    with pytest.raises(SurvivalInputError, match="adjustment"):
        adjust_pvalues(p, "bonferroni")
    with pytest.raises(SurvivalInputError, match="between 0 and 1"):
        adjust_pvalues([0.5, 1.5])


# --------------------------------------------------------------------------- rank of V, row order


def _naive_parts(time, event, group, stratum, weights):
    """O - E and V by loops over strata and event times (the textbook definition), with the
    weights written out per time: independent of the vectorised code."""
    labels = np.unique(group)
    k = labels.size
    ome, var = np.zeros(k), np.zeros((k, k))
    stratum = np.zeros(time.size) if stratum is None else stratum
    for s in np.unique(stratum):
        m = stratum == s
        s_km, s_peto = 1.0, 1.0  # pooled KM and Peto-Peto survival within the stratum
        for t in np.unique(time[m][event[m] == 1]):
            risk = m & (time >= t)
            n = risk.sum()
            d = (risk & (time == t) & (event == 1)).sum()
            n_g = np.array([(risk & (group == lab)).sum() for lab in labels], dtype=float)
            d_g = np.array([(risk & (time == t) & (event == 1) & (group == lab)).sum() for lab in labels], dtype=float)
            s_peto_t = s_peto * (1 - d / (n + 1))
            w = {"logrank": 1.0, "breslow": n, "tarone-ware": math.sqrt(n), "peto": s_peto_t, "fh-rho1": s_km}[weights]
            f = n_g / n
            ome += w * (d_g - f * d)
            if n > 1:
                var += w * w * d * (n - d) / (n - 1) * (np.diag(f) - np.outer(f, f))
            s_km *= 1 - d / n
            s_peto = s_peto_t
    return labels, ome, var


def _structural_rank(time, event, group, stratum) -> int:
    """k minus the number of connected sets of groups, two groups being joined when they are at
    risk together at an event time where not everyone at risk has the event (union-find)."""
    labels = list(np.unique(group))
    parent = {g: g for g in labels}

    def find(g):
        while parent[g] != g:
            g = parent[g]
        return g

    stratum = np.zeros(time.size) if stratum is None else stratum
    for s in np.unique(stratum):
        m = stratum == s
        for t in np.unique(time[m][event[m] == 1]):
            risk = m & (time >= t)
            d = (risk & (time == t) & (event == 1)).sum()
            if d < risk.sum():
                present = list(np.unique(group[risk]))
                for g in present[1:]:
                    parent[find(g)] = find(present[0])
    return len(labels) - len({find(g) for g in labels})


ALL_WEIGHTS = ["logrank", "breslow", "tarone-ware", "peto", "fh-rho1"]


@SETTINGS
@given(cohorts(min_n=2, n_groups=4, n_strata=3), st.sampled_from(ALL_WEIGHTS), st.booleans())
def test_df_is_rank_of_v_and_statistic_is_the_generalised_inverse(data, weights, stratified):
    time, event, group, stratum = data
    stratum = stratum if stratified else None
    assume(np.unique(group).size >= 2 and event.any())
    rank = _structural_rank(time, event, group, stratum)
    if rank == 0:
        with pytest.raises(SurvivalInputError, match="Only one group"):
            logrank_test(time, event, group, strata=stratum, weights=weights)
        return
    ours = logrank_test(time, event, group, strata=stratum, weights=weights)
    labels, ome, var = _naive_parts(time, event, group, stratum, weights)
    assert ours.df == rank == np.linalg.matrix_rank(var, tol=1e-9 * max(np.abs(var).max(), 1e-300))
    np.testing.assert_allclose(ours.o_minus_e, ome, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.variance, var, rtol=1e-9, atol=1e-9)
    expected = float(ome @ np.linalg.pinv(var, rcond=1e-9, hermitian=True) @ ome)
    assert ours.statistic == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert ours.p_value == pytest.approx(stats.chi2.sf(expected, rank), rel=1e-6, abs=1e-12)
    # Groups named as contributing no comparison are exactly those with no variance.
    silent = tuple(labels[np.isclose(np.diag(var), 0, atol=1e-12)].tolist())
    assert ours.no_comparison == silent


@SETTINGS
@given(cohorts(min_n=3, n_groups=3, n_strata=2), st.sampled_from(ALL_WEIGHTS), st.randoms(use_true_random=False))
def test_every_statistic_is_invariant_to_row_order(data, weights, rnd):
    time, event, group, stratum = data
    perm = np.array(rnd.sample(range(time.size), time.size))
    labels = np.array(["A", "B", "C"])[group]
    for conf_type in ("log-log", "log", "plain", "spss"):
        a = kaplan_meier(time, event, conf_type=conf_type)
        b = kaplan_meier(time[perm], event[perm], conf_type=conf_type)
        for field in ("survival", "std_err", "lower", "upper", "at_risk", "events", "censored"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        assert a.median_text() == b.median_text()
        np.testing.assert_array_equal([a.median, a.median_lower, a.median_upper], [b.median, b.median_lower, b.median_upper])
    if np.unique(labels).size < 2 or not event.any() or _structural_rank(time, event, labels, stratum) == 0:
        return
    for strata in (None, stratum):
        a = logrank_test(time, event, labels, strata=strata, weights=weights)
        b = logrank_test(time[perm], event[perm], labels[perm], strata=None if strata is None else strata[perm], weights=weights)
        assert (a.df, a.no_comparison) == (b.df, b.no_comparison)
        assert a.statistic == pytest.approx(b.statistic, rel=1e-12, abs=1e-12)
        assert a.p_value == pytest.approx(b.p_value, rel=1e-12, abs=1e-15)
        try:
            ta = logrank_trend(time, event, labels, strata=strata, weights=weights)
        except SurvivalInputError:
            continue
        tb = logrank_trend(time[perm], event[perm], labels[perm], strata=None if strata is None else strata[perm], weights=weights)
        assert ta.statistic == pytest.approx(tb.statistic, rel=1e-12, abs=1e-12)
    pa = pairwise_logrank(time, event, labels, weights=weights)
    pb = pairwise_logrank(time[perm], event[perm], labels[perm], weights=weights)
    np.testing.assert_allclose(pa["p_value"], pb["p_value"], rtol=1e-12, atol=1e-15)


def test_lone_group_example_of_issue_11():
    # Centre A: R1 vs R2; centre B: R3 only. V has rank 1, so df = 1 (the old code said 2).
    time = np.array([2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4], dtype=float)
    event = np.array([1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1])
    regimen = np.array(["R1"] * 4 + ["R2"] * 4 + ["R3"] * 4)
    centre = np.array(["A"] * 8 + ["B"] * 4)
    full = logrank_test(time, event, regimen, strata=centre)
    only_a = logrank_test(time[:8], event[:8], regimen[:8])
    assert full.df == 1 and full.no_comparison == ("R3",)
    assert full.statistic == pytest.approx(only_a.statistic, rel=1e-12)
    assert full.p_value == pytest.approx(only_a.p_value, rel=1e-12)
