"""Subgroup table: per-variable tests pinned to lifelines, adjustments to statsmodels."""

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from statsmodels.stats.multitest import multipletests

from sarcoma.subgroups import POST_BASELINE_NOTE, subgroup_table


def cohort(n=120, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "patient_id": [f"S{i}" for i in range(n)],
            "pfs_months": rng.exponential(6, n).round(2),
            "pfs_event": rng.integers(0, 2, n),
            "os_months": rng.exponential(14, n).round(2),
            "os_event": rng.integers(0, 2, n),
            "histotype": rng.choice(["UPS", "LMS", "LPS", "ASPS"], n, p=[0.4, 0.3, 0.27, 0.03]),
            "sex": rng.choice(["Male", "Female"], n),
            "line_of_therapy": rng.integers(1, 6, n),
            "best_response": rng.choice(["CR", "PR", "SD", "PD", "NE"], n),
        }
    )


def test_p_values_and_medians_match_lifelines_and_adjustment_matches_statsmodels():
    df = cohort()
    table = subgroup_table(df, groupings=["histotype", "sex", "line_2"], adjust="holm")
    assert table.n_tests == 6  # 3 variables x 2 endpoints
    raw = []
    for endpoint, (t, e) in {"PFS": ("pfs_months", "pfs_event"), "OS": ("os_months", "os_event")}.items():
        for var, labels in {
            "histotype": df["histotype"],
            "sex": df["sex"],
            "line_2": np.where(df["line_of_therapy"] <= 2, "1-2", "≥3"),
        }.items():
            ref = multivariate_logrank_test(df[t], labels, df[e])
            row = table.tests[(table.tests["endpoint"] == endpoint) & (table.tests["variable"] == var)].iloc[0]
            assert row["p_value"] == pytest.approx(ref.p_value, rel=1e-9)
            raw.append(row["p_value"])
        ups = df[df["histotype"] == "UPS"]
        kmf = KaplanMeierFitter().fit(ups[t], ups[e])
        mine = table.rows[(table.rows["endpoint"] == endpoint) & (table.rows["level"] == "UPS")].iloc[0]
        assert mine["median"] == pytest.approx(kmf.median_survival_time_)
        assert mine["n"] == len(ups)
    expected = multipletests(table.tests["p_value"], method="holm")[1]
    np.testing.assert_allclose(table.tests["p_adjusted"], expected, rtol=1e-12)
    bh = subgroup_table(df, groupings=["histotype", "sex", "line_2"], adjust="bh")
    np.testing.assert_allclose(bh.tests["p_adjusted"], multipletests(bh.tests["p_value"], method="fdr_bh")[1], rtol=1e-12)


def test_small_groups_and_post_baseline_groupings_are_flagged():
    df = cohort(seed=1)
    table = subgroup_table(df, groupings=["histotype", "responder"], endpoints=("PFS",), min_group_size=5)
    histo = table.tests.set_index("variable").loc["histotype"]
    assert "ASPS" in histo["note"] and "p-value unreliable" in histo["note"]
    assert table.rows.set_index("level").loc["ASPS", "small"]
    assert POST_BASELINE_NOTE.rstrip(".") in table.tests.set_index("variable").loc["responder", "note"]  # notes joined with "; "
    shown = table.display()
    # The p-value is printed once per variable, on its first row.
    assert (shown["p"] != "").sum() == 2


def test_every_patient_is_in_a_row_or_not_recorded():
    df = cohort(seed=2)
    df.loc[:9, "sex"] = None
    table = subgroup_table(df, groupings=["sex"], endpoints=("OS",))
    assert table.rows["n"].sum() == len(df) - 10
    assert "10 patient(s) not in this comparison: Sex not recorded" in table.tests["note"].iloc[0]


def test_every_p_has_its_test_named_next_to_it_with_n_and_events_per_level():
    df = cohort(seed=3)
    table = subgroup_table(df, groupings=["histotype", "sex"], test="breslow")
    shown = table.display()
    with_p = shown[shown["p"] != ""]
    assert len(with_p) == 4
    for _, row in with_p.iterrows():
        test = table.tests[(table.tests["endpoint"] == row["Endpoint"]) & (table.tests["variable_label"] == row["Variable"])].iloc[0]
        assert row["Test"] == f"Breslow (generalised Wilcoxon) χ² = {test['statistic']:.2f}, df = {int(test['df'])}"
    assert (shown["Test"] == "").sum() == len(shown) - 4
    assert {"n", "Events"} <= set(shown.columns)


@pytest.mark.parametrize("test", ["logrank", "peto", "fh-rho1", "trend"])
def test_table_is_what_the_survival_page_shows_for_each_grouping(test):
    # One sort per endpoint and life tables must give exactly the per-grouping numbers of
    # survival_by_group (medians, CIs, n, events, statistic, df, p, notes).
    from sarcoma.km_summary import survival_by_group

    df = cohort(seed=5)
    df.loc[:4, "pfs_months"] = np.nan
    df.loc[5:7, "sex"] = None
    table = subgroup_table(df, test=test)
    for (endpoint, key), rows in table.rows.groupby(["endpoint", "variable"], sort=False):
        page = survival_by_group(df, endpoint, key, test=test, rate_times=(), follow_up=False)
        assert rows["level"].tolist() == list(page.curves)
        for row, km in zip(rows.itertuples(), page.curves.values(), strict=True):
            assert (row.n, row.events, row.median_text) == (km.n, km.n_events, km.median_text())
            np.testing.assert_array_equal([row.median, row.median_lower, row.median_upper], [km.median, km.median_lower, km.median_upper])
        t = table.tests[(table.tests["endpoint"] == endpoint) & (table.tests["variable"] == key)].iloc[0]
        if page.test is None:
            assert np.isnan(t["p_value"])
        else:
            assert (t["statistic"], t["df"], t["p_value"]) == (page.test.statistic, page.test.df, page.test.p_value)
        if page.test_note:
            assert page.test_note.rstrip(".") in t["note"]
        for ex in page.excluded:
            assert f"{ex.n} patient(s) not in this comparison: {ex.reason}" in t["note"]
