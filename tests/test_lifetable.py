"""Life tables: counts against a hand (pandas groupby) count, estimators from tables against the
patient-row estimators (exactly), and pooling of centre tables (exactly the pooled table).

The row estimators themselves are pinned to R (test_reference_survival.py) and lifelines /
statsmodels (test_survival_properties.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sarcoma.km_summary import number_at_risk
from sarcoma.lifetable import (
    ALL,
    EndpointSort,
    LifeTable,
    km_from_table,
    life_table,
    logrank_from_table,
    pairwise_from_table,
)
from sarcoma.survival import (
    SurvivalInputError,
    kaplan_meier,
    logrank_test,
    logrank_trend,
    median_follow_up,
    pairwise_logrank,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KM_FIELDS = ("time", "survival", "std_err", "lower", "upper", "at_risk", "events", "censored")
WEIGHTS = ["logrank", "breslow", "tarone-ware", "peto", "fh-rho1"]


@st.composite
def cohorts(draw, max_n: int = 60):
    """(time, event, group labels, centre labels): integer times with ties and zeros."""
    n = draw(st.integers(1, max_n))
    maxt = draw(st.sampled_from([3, 12, 500]))
    time = np.array(draw(st.lists(st.integers(0, maxt), min_size=n, max_size=n)), dtype=float)
    threshold = draw(st.integers(0, 9))
    event = (np.array(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))) >= threshold).astype(int)
    group = np.array(["A", "B", "C"])[np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))]
    centre = np.array(["X", "Y"])[np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))]
    return time, event, group, centre


def _assert_same_km(a, b):
    for field in KM_FIELDS:
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    for field in ("n", "n_events", "median", "median_lower", "median_upper", "median_first",
                  "median_lower_missing", "median_upper_missing", "median_se"):
        x, y = getattr(a, field), getattr(b, field)
        assert x == y or (x != x and y != y), field


@SETTINGS
@given(cohorts())
def test_counts_match_a_groupby_count(data):
    time, event, group, centre = data
    table = life_table(time, event, group, strata=centre)
    frame = table.to_frame()
    ref = (
        pd.DataFrame({"stratum": centre, "group": group, "time": time, "events": event, "censored": 1 - event})
        .groupby(["stratum", "group", "time"], as_index=False)[["events", "censored"]].sum()
    )
    # At risk by its definition: patients of the same stratum and group with time >= t.
    ref["at_risk"] = [int(((centre == s) & (group == g) & (time >= t)).sum()) for s, g, t in ref[["stratum", "group", "time"]].to_numpy()]
    pd.testing.assert_frame_equal(frame[["stratum", "group", "time", "events", "censored", "at_risk"]],
                                  ref[["stratum", "group", "time", "events", "censored", "at_risk"]], check_dtype=False)


@SETTINGS
@given(cohorts(), st.sampled_from(["log-log", "log", "plain", "spss"]))
def test_km_of_each_group_from_the_table_equals_km_on_its_rows_exactly(data, conf_type):
    time, event, group, _ = data
    curves = km_from_table(life_table(time, event, group), conf_type=conf_type)
    assert list(curves) == sorted(set(group))
    for label, km in curves.items():
        m = group == label
        _assert_same_km(km, kaplan_meier(time[m], event[m], conf_type=conf_type))


@SETTINGS
@given(cohorts())
def test_stratified_table_gives_one_curve_per_centre_and_group(data):
    time, event, group, centre = data
    curves = km_from_table(life_table(time, event, group, strata=centre))
    for (c, g), km in curves.items():
        m = (centre == c) & (group == g)
        _assert_same_km(km, kaplan_meier(time[m], event[m]))
    assert sum(km.n for km in curves.values()) == time.size


@SETTINGS
@given(cohorts())
def test_reverse_km_follow_up_and_at_risk_table_from_the_table(data):
    time, event, group, _ = data
    table = life_table(time, event)
    (fu,) = km_from_table(table.reversed()).values()
    _assert_same_km(fu, median_follow_up(time, event))
    grouped = life_table(time, event, group)
    ticks = [0.0, 1.0, 2.5, 10.0, 400.0]
    at_risk = grouped.at_risk_at(ticks)
    for label in grouped.groups:
        np.testing.assert_array_equal(at_risk.loc[label].to_numpy(), number_at_risk(time[group == label], ticks))


@SETTINGS
@given(cohorts(), st.sampled_from(WEIGHTS), st.booleans())
def test_logrank_family_from_table_equals_patient_row_functions(data, weights, stratified):
    time, event, group, centre = data
    strata = centre if stratified else None
    assume(np.unique(group).size >= 2 and event.any())
    table = life_table(time, event, group, strata=strata)
    try:
        row = logrank_test(time, event, group, strata=strata, weights=weights)
    except SurvivalInputError as exc:
        with pytest.raises(SurvivalInputError, match=str(exc)[:20]):
            logrank_from_table(table, weights=weights)
        return
    tab = logrank_from_table(table, weights=weights)
    assert (tab.statistic, tab.df, tab.p_value, tab.no_comparison) == (row.statistic, row.df, row.p_value, row.no_comparison)
    np.testing.assert_array_equal(tab.variance, row.variance)
    try:
        trend = logrank_trend(time, event, group, strata=strata, weights=weights)
    except SurvivalInputError:
        return
    assert logrank_from_table(table, weights=weights, scores=[1, 2, 3][: table.groups.size]).statistic == trend.statistic
    pd.testing.assert_frame_equal(pairwise_from_table(table, weights=weights), pairwise_logrank(time, event, group, strata=strata, weights=weights))


@SETTINGS
@given(cohorts(), st.sampled_from(WEIGHTS))
def test_centre_tables_merge_into_the_pooled_table_exactly(data, weights):
    # What a federated analysis does: each centre shares its table; their sum is the pooled one.
    time, event, group, centre = data
    parts = [life_table(time[centre == c], event[centre == c], group[centre == c]) for c in np.unique(centre)]
    merged = LifeTable.merge(parts)
    pooled = life_table(time, event, group)
    pd.testing.assert_frame_equal(merged.to_frame(), pooled.to_frame())
    for label, km in km_from_table(merged).items():
        _assert_same_km(km, km_from_table(pooled)[label])
    # Each centre as a stratum: the centre-stratified test of the pooled patients.
    stratified = LifeTable.merge([p.with_stratum(c) for p, c in zip(parts, np.unique(centre), strict=True)])
    pd.testing.assert_frame_equal(stratified.to_frame(), life_table(time, event, group, strata=centre).to_frame())
    if np.unique(group).size >= 2 and event.any():
        try:
            ref = logrank_test(time, event, group, strata=centre, weights=weights)
        except SurvivalInputError:
            return
        res = logrank_from_table(stratified, weights=weights)
        assert (res.statistic, res.df) == (ref.statistic, ref.df)


@SETTINGS
@given(cohorts())
def test_a_shared_table_reads_back_unchanged(data):
    time, event, group, centre = data
    table = life_table(time, event, group, strata=centre)
    back = LifeTable.from_frame(table.to_frame())
    pd.testing.assert_frame_equal(back.to_frame(), table.to_frame())
    # At risk is recomputed from the counts: a wrong column cannot slip in.
    frame = table.to_frame()
    frame["at_risk"] = 999
    pd.testing.assert_frame_equal(LifeTable.from_frame(frame).to_frame(), table.to_frame())


def test_one_sort_serves_every_grouping():
    # The subgroup table's path: one EndpointSort, then a table per grouping from codes alone.
    rng = np.random.default_rng(0)
    time = rng.exponential(10, 200).round(1)
    event = rng.integers(0, 2, 200)
    sort = EndpointSort.from_arrays(time, event)
    for k in (2, 3, 7):
        codes = rng.integers(-1, k, 200)  # -1: group not recorded, left out
        table = sort.table(codes, [f"g{i}" for i in range(k)])
        keep = codes >= 0
        ref = life_table(time[keep], event[keep], np.array([f"g{i}" for i in range(k)])[codes[keep]])
        pd.testing.assert_frame_equal(table.to_frame(), ref.to_frame())


def test_unstratified_table_has_one_unnamed_stratum_and_pooled_curve():
    table = life_table([1, 2, 2, 3], [1, 0, 1, 1], ["a", "b", "a", "b"])
    assert list(table.strata) == [None] and not table.stratified
    (all_patients,) = km_from_table(table.pooled()).values()
    _assert_same_km(all_patients, kaplan_meier([1, 2, 2, 3], [1, 0, 1, 1]))
    assert list(km_from_table(life_table([1, 2], [1, 1]))) == [ALL]


def test_bad_shared_tables_are_explained():
    with pytest.raises(SurvivalInputError, match="columns"):
        LifeTable.from_frame(pd.DataFrame({"group": ["a"], "time": [1.0]}))
    with pytest.raises(SurvivalInputError, match="whole numbers"):
        LifeTable.from_frame(pd.DataFrame({"group": ["a"], "time": [1.0], "events": [0.5], "censored": [0]}))
    with pytest.raises(SurvivalInputError, match="zero or positive"):
        LifeTable.from_frame(pd.DataFrame({"group": ["a"], "time": [-1.0], "events": [1], "censored": [0]}))
    with pytest.raises(SurvivalInputError, match="Nothing to merge"):
        LifeTable.merge([])
    with pytest.raises(SurvivalInputError, match="missing"):
        life_table([1, 2], [1, 0], ["a", None])
