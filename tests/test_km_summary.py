"""Survival by group (what the Survival page shows), pinned to lifelines and to hand counts."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test

from sarcoma.km_summary import format_p, number_at_risk, survival_by_group


def cohort(n=90, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "patient_id": [f"P{i:03d}" for i in range(n)],
            "pfs_months": rng.exponential(6, n).round(1),
            "pfs_event": rng.integers(0, 2, n),
            "os_months": rng.exponential(15, n).round(1),
            "os_event": rng.integers(0, 2, n),
            "line_of_therapy": rng.integers(1, 6, n),
            "histotype": rng.choice(["UPS", "LMS", "LPS"], n),
            "center": rng.choice(["A", "B", "C"], n),
        }
    )
    df.loc[[3, 7], "pfs_months"] = np.nan  # missing PFS: excluded from PFS only
    df.loc[11, "line_of_therapy"] = np.nan  # no line: excluded from the line comparison only
    return df


def test_format_p():
    assert format_p(0.0004) == "p < 0.001"
    assert format_p(0.02749) == "p = 0.027"
    assert format_p(float("nan")) == "p not computed"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=60), st.lists(st.floats(0, 40), min_size=1, max_size=8))
def test_number_at_risk_counts_patients_still_observed(times, ticks):
    # Hand definition: a patient is at risk at t when their follow-up time is >= t.
    t = np.array(times, float)
    expected = [int((t >= x).sum()) for x in ticks]
    assert number_at_risk(t, ticks).tolist() == expected


def test_groups_medians_and_test_match_lifelines():
    df = cohort()
    res = survival_by_group(df, "PFS", "histotype")
    usable = df.dropna(subset=["pfs_months"])
    for level, curve in res.curves.items():
        part = usable[usable["histotype"] == level]
        kmf = KaplanMeierFitter().fit(part["pfs_months"], part["pfs_event"])
        assert curve.n == len(part)
        assert curve.median == pytest.approx(kmf.median_survival_time_) or (
            math.isnan(curve.median) and math.isinf(kmf.median_survival_time_)
        )
    ref = multivariate_logrank_test(usable["pfs_months"], usable["histotype"], usable["pfs_event"])
    assert res.test.p_value == pytest.approx(ref.p_value, rel=1e-9)
    assert res.test.df == 2
    # No patient disappears: analysed + excluded = everyone in the subset.
    assert res.n_analysed + sum(e.n for e in res.excluded) == len(df)
    assert res.excluded[0].patient_ids == ("P003", "P007")


def test_line_grouping_two_levels_matches_lifelines_two_sample_test():
    df = cohort(seed=2)
    res = survival_by_group(df, "OS", "line_2")
    assert list(res.curves) == ["1-2", "≥3"]
    usable = df.dropna(subset=["line_of_therapy"])
    early = usable["line_of_therapy"] <= 2
    ref = logrank_test(
        usable.loc[early, "os_months"], usable.loc[~early, "os_months"],
        usable.loc[early, "os_event"], usable.loc[~early, "os_event"],
    )
    assert res.test.statistic == pytest.approx(ref.test_statistic, rel=1e-9)
    assert [e.n for e in res.excluded] == [1]
    assert "Line of therapy" in res.excluded[0].reason


def test_at_risk_table_starts_with_group_sizes():
    res = survival_by_group(cohort(), "OS", "histotype")
    assert res.at_risk[0.0].to_dict() == {k: c.n for k, c in res.curves.items()}


def test_rates_at_fixed_times_match_lifelines():
    df = cohort(seed=3)
    res = survival_by_group(df, "OS", None, rate_times=(6.0, 12.0))
    kmf = KaplanMeierFitter().fit(df["os_months"], df["os_event"])
    assert res.table.loc[0, "rate_12"] == pytest.approx(float(kmf.survival_function_at_times(12.0).iloc[0]))


def test_small_groups_are_flagged_in_the_test_label():
    df = cohort(n=40, seed=4)
    df.loc[:2, "histotype"] = "ASPS"
    res = survival_by_group(df, "PFS", "histotype", min_group_size=5)
    assert "ASPS" in res.small_groups
    assert "fewer than the minimum size: ASPS" in res.test_label()


def test_stratified_by_centre_is_said_and_single_centre_is_explained():
    df = cohort(seed=5)
    res = survival_by_group(df, "OS", "histotype", stratify_by_center=True)
    assert res.test.stratified and "stratified by centre" in res.test_label()
    df["center"] = "A"
    res = survival_by_group(df, "OS", "histotype", stratify_by_center=True)
    assert not res.test.stratified and "single centre" in res.test_note


def test_one_group_gives_a_note_not_an_error():
    df = cohort(seed=6)
    df["histotype"] = "UPS"
    res = survival_by_group(df, "OS", "histotype")
    assert res.test is None and "Only one group" in res.test_label()


def test_unknown_endpoint_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown endpoint"):
        survival_by_group(cohort(), "DFS")


def test_rate_after_everyone_progressed_is_zero_not_missing():
    # Hand example: five UPS patients all progress by 5 months, so PFS at 6 months is exactly
    # 0% (known), while the LMS patient is censored at 30 months and PFS at 36 is not estimable.
    df = pd.DataFrame({
        "patient_id": list("abcdef"), "pfs_months": [1, 2, 3, 4, 5, 30], "pfs_event": [1, 1, 1, 1, 1, 0],
        "histotype": ["UPS"] * 5 + ["LMS"],
    })
    res = survival_by_group(df, "PFS", "histotype", rate_times=(6.0, 36.0)).table.set_index("Group")
    assert res.loc["UPS", "6-month rate (95% CI)"] == "0.0%"
    assert res.loc["LMS", "36-month rate (95% CI)"] == "not estimable (beyond follow-up)"


def test_stratification_that_cannot_be_done_is_said_on_the_figure_label():
    df = cohort(seed=7)
    df.loc[0, "center"] = None
    res = survival_by_group(df, "OS", "histotype", stratify_by_center=True)
    assert "Not stratified" in res.test_label()


def test_display_table_shows_medians_and_fixed_time_rates():
    res = survival_by_group(cohort(seed=8), "OS", "histotype")
    assert list(res.display_table().columns) == [
        "Group", "n", "Events", "Median (95% CI), months",
        "6-month rate (95% CI)", "12-month rate (95% CI)", "24-month rate (95% CI)", "Small group",
    ]


def test_median_follow_up_is_reverse_km_on_os_whatever_endpoint_is_shown():
    df = cohort(seed=9)
    ref = KaplanMeierFitter().fit(df["os_months"], 1 - df["os_event"]).median_survival_time_  # lifelines reverse KM
    for endpoint in ("PFS", "OS"):
        res = survival_by_group(df, endpoint, "histotype")
        assert res.follow_up[0] == pytest.approx(ref)


def test_p_values_read_the_same_on_every_page():
    from sarcoma.characteristics import format_p as table1_p

    # 0.0275 is stored as 0.027499999...; SPSS and Table 1 print 0.028 (half up), so must we.
    assert format_p(0.0275) == "p = 0.028" and table1_p(0.0275) == "0.028"


def test_group_alone_in_its_centre_is_named_on_the_test_line():
    # Centre A: UPS vs LMS; centre B: only LPS. With centre strata LPS adds no comparison:
    # df = 1 = rank(V), and the figure's test line says why.
    df = pd.DataFrame({
        "patient_id": [f"P{i}" for i in range(12)],
        "os_months": [2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4], "os_event": [1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1],
        "histotype": ["UPS"] * 4 + ["LMS"] * 4 + ["LPS"] * 4, "center": ["A"] * 8 + ["B"] * 4,
    })
    res = survival_by_group(df, "OS", "histotype", stratify_by_center=True)
    assert res.test.df == 1 and res.test.no_comparison == ("LPS",)
    label = res.test_label()
    assert "df = 1" in label and "No comparison for LPS" in label and "stratified by centre" in label


def test_follow_up_line_states_its_ci_method():
    res = survival_by_group(cohort(seed=9), "PFS", "histotype")
    text = res.follow_up_text()
    assert text.startswith("Median follow-up (reverse Kaplan-Meier on overall survival; 95% CI by Brookmeyer-Crowley, log-log): ")
    # Follow-up is the selection's, from the start of ICI, whatever endpoint is shown (DoR too).
    assert text.endswith(f"{res.follow_up_km.median_text()} months, all {res.n_subset} patients of the selection, from the start of ICI")


def test_one_patient_group_median_ci_reads_not_estimable():
    # One LPS patient with the event: median = 5 (R), CI undefined (S = 0 has no SE; R: NA NA).
    df = pd.DataFrame({"patient_id": list("abcde"), "pfs_months": [1, 2, 3, 4, 5], "pfs_event": [1, 0, 1, 1, 1],
                       "histotype": ["UPS"] * 4 + ["LPS"]})
    table = survival_by_group(df, "PFS", "histotype").table.set_index("Group")
    assert table.loc["LPS", "Median (95% CI), months"] == "5.0 (not estimable)"


def test_caption_names_the_midpoint_rule_and_the_spss_interval():
    # Ten events at 1..10: S = 0.5 exactly from 5 to 6; R's median is 5.5, SPSS prints 5.
    df = pd.DataFrame({"patient_id": list("abcdefghij"), "pfs_months": range(1, 11), "pfs_event": [1] * 10})
    res = survival_by_group(df, "PFS")
    km = res.curves["All patients"]
    assert (km.median, km.median_first, km.median_rule) == (5.5, 5.0, "midpoint")
    assert "S(t) = 0.5 exactly from 5.0 months, so the median shown is the midpoint of that stretch, 5.5 (R's rule); SPSS and lifelines print 5.0." in res.methods_note()
    # A stretch shorter than the printed digit: both rules print the same number, and the note says so.
    short = pd.DataFrame({"patient_id": list("abcdefghij"), "pfs_months": [1, 2, 3, 4, 5.0, 5.04, 7, 8, 9, 10], "pfs_event": [1] * 10})
    km = survival_by_group(short, "PFS").curves["All patients"]
    assert (km.median, km.median_first) == (5.02, 5.0)
    assert ("S(t) = 0.5 exactly over a short stretch from 5.0 months; R's rule (its midpoint) and SPSS and lifelines "
            "(its start) both print 5.0.") in survival_by_group(short, "PFS").methods_note()
    spss = survival_by_group(df, "PFS", conf_type="spss")
    assert "SPSS's rule; R's survfit reports the Brookmeyer-Crowley interval instead" in spss.methods_note()
    # Without an exact 0.5 the caption does not mention the rule.
    assert "midpoint" not in survival_by_group(df.iloc[:9], "PFS").methods_note()


def test_both_peto_weightings_are_offered_and_named_by_software():
    from sarcoma.km_summary import TESTS

    assert TESTS["peto"] == "Peto-Peto (SAS/K&M)"
    assert TESTS["fh-rho1"] == "Fleming-Harrington ρ=1 (R survdiff rho=1)"
    res = survival_by_group(cohort(seed=1), "PFS", "histotype", test="fh-rho1")
    assert res.test.weights == "fh-rho1" and res.test_label().startswith("Fleming-Harrington ρ=1 (R survdiff rho=1): χ² = ")


def test_compare_by_centre_with_stratify_on_tests_the_centres_unstratified():
    """Stratifying by the compared variable leaves nothing to compare: the centres are compared
    unstratified and the label says why. Reference: lifelines' multivariate log-rank test."""
    from pathlib import Path

    from sarcoma.endpoints import endpoint_data
    from sarcoma.ingest import load_cohort
    from sarcoma.km_summary import BETWEEN_CENTRES_NOTE

    data, _ = load_cohort(Path(__file__).resolve().parent.parent / "sample_data" / "sample_cohort.csv")
    res = survival_by_group(data, "PFS", "center", stratify_by_center=True)
    assert res.test is not None and not res.test.stratified
    rows = endpoint_data(data, "PFS")
    ref = multivariate_logrank_test(rows["time"], data.loc[rows.index, "center"], rows["event"])
    assert res.test.statistic == pytest.approx(ref.test_statistic, rel=1e-9)
    assert res.test_label().splitlines()[1] == BETWEEN_CENTRES_NOTE
