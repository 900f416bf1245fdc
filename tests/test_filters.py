"""Filters and grouping variables: every patient removed is counted, labels are stable."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sarcoma.filters import (
    FilterState,
    apply_filters,
    filter_options,
    fit_age_range,
    fit_filters,
    histotype_display,
)
from sarcoma.groupings import level_order, line_group, make_groupings, responder


def small_cohort() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(8)],
            "histotype": ["UPS", "UPS", "LMS", "LMS", "ASPS", "Other", "UPS", "LMS"],
            "line_of_therapy": [1, 2, 3, 5, 1, None, 4, 2],
            "regimen_class": ["ICI monotherapy"] * 4 + ["ICI + TKI"] * 4,
            "sex": ["Male", "Female", None, "Male", "Female", "Male", "Male", "Female"],
            "age": [30, 45, 60, np.nan, 70, 55, 80, 16],
            "best_response": ["CR", "PR", "SD", "PD", "NE", None, "PD", "PR"],
            "any_ae": pd.array([True, False, None, True, False, False, True, False], dtype="boolean"),
        }
    )


def test_line_group_three_levels_and_two_levels():
    lines = pd.Series([1, 2, 3, 8, None])
    assert line_group(lines, 3).tolist() == ["1", "2", "≥3", "≥3", None]
    assert line_group(lines, 3, split_below=False).tolist() == ["1-2", "1-2", "≥3", "≥3", None]
    assert line_group(lines, 2, split_below=False).tolist() == ["1", "≥2", "≥2", "≥2", None]


def test_responder_keeps_not_evaluable_missing():
    br = pd.Series(["CR", "PR", "SD", "PD", "NE", None])
    assert responder(br).tolist() == [
        "Responder (CR/PR)", "Responder (CR/PR)", "Non-responder (SD/PD)", "Non-responder (SD/PD)", None, None,
    ]


def test_no_filter_keeps_everyone():
    result = apply_filters(small_cohort(), FilterState())
    assert result.n == result.n_total == 8
    assert result.steps == ()
    assert result.headline() == "n = 8 of 8 patients"


def test_histotype_and_line_filters_count_removals():
    state = FilterState(histotypes=("UPS", "LMS"), lines=("1", "2"))
    result = apply_filters(small_cohort(), state)
    # UPS/LMS: P0,P1,P2,P3,P6,P7 (6); of these line 1 or 2: P0,P1,P7.
    assert result.subset["patient_id"].tolist() == ["P0", "P1", "P7"]
    assert [s.removed for s in result.steps] == [2, 3]
    assert sum(s.removed for s in result.steps) + result.n == result.n_total


def test_missing_values_removed_by_a_filter_are_reported():
    result = apply_filters(small_cohort(), FilterState(sexes=("Male",)))
    (step,) = result.steps
    assert step.removed == 4 and step.removed_missing == 1
    assert "1 with no value recorded" in result.describe()[0]


def test_age_range_is_inclusive_and_missing_age_counted():
    result = apply_filters(small_cohort(), FilterState(age_min=30, age_max=60))
    assert result.subset["patient_id"].tolist() == ["P0", "P1", "P2", "P5"]
    assert result.steps[0].removed_missing == 1


def test_fold_rare_histotypes_into_other():
    folded = histotype_display(small_cohort(), fold_rare_below=2)
    assert folded.tolist() == ["UPS", "UPS", "LMS", "LMS", "Other", "Other", "UPS", "LMS"]
    result = apply_filters(small_cohort(), FilterState(histotypes=("Other",), fold_rare_below=2))
    assert result.subset["patient_id"].tolist() == ["P4", "P5"]


def test_filter_options_ordered_by_frequency():
    opts = filter_options(small_cohort())
    assert opts["histotypes"] == ["LMS", "UPS", "ASPS", "Other"]
    assert opts["lines"] == ["1", "2", "≥3"]


def test_level_order_natural_for_ordered_groupings():
    g = make_groupings()["line"]
    labels = g.make(small_cohort())
    assert level_order(labels, g) == ["1", "2", "≥3"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["UPS", "LMS", "LPS", "Other"]), min_size=1, max_size=40),
    st.sets(st.sampled_from(["UPS", "LMS", "LPS", "Other"])),
    st.sets(st.sampled_from(["1", "2", "≥3"])),
    st.data(),
)
def test_no_patient_disappears(histos, chosen_histos, chosen_lines, data):
    n = len(histos)
    lines = data.draw(st.lists(st.one_of(st.none(), st.integers(1, 6)), min_size=n, max_size=n))
    cohort = pd.DataFrame({"patient_id": range(n), "histotype": histos, "line_of_therapy": lines})
    result = apply_filters(cohort, FilterState(histotypes=tuple(chosen_histos), lines=tuple(chosen_lines)))
    assert result.n + sum(s.removed for s in result.steps) == n
    if chosen_histos:
        assert set(result.subset["histotype"]) <= chosen_histos


def test_folded_histotypes_are_grouped_as_the_filter_shows_them():
    from sarcoma.groupings import make_groupings

    result = apply_filters(small_cohort(), FilterState(fold_rare_below=2))
    labels = make_groupings()["histotype"].make(result.subset)
    assert labels.tolist() == ["UPS", "UPS", "LMS", "LMS", "Other", "Other", "UPS", "LMS"]


# ---------------------------------------------------------------- fitting filters to new data

_VALUES = st.lists(st.sampled_from(["UPS", "LMS", "ASPS", "AS", "Other"]), unique=True, max_size=4)


@given(chosen=_VALUES, available=_VALUES)
def test_fit_filters_keeps_only_available_values_and_says_what_it_dropped(chosen, available):
    fit = fit_filters(FilterState(histotypes=tuple(chosen)), {"histotypes": available})
    assert set(fit.state.histotypes) == set(chosen) & set(available)
    assert list(fit.state.histotypes) == [v for v in chosen if v in available]  # order kept
    dropped = [v for v in chosen if v not in available]
    assert len(fit.notices) == (1 if dropped else 0)
    if dropped:
        assert ", ".join(dropped) in fit.notices[0]
        assert ("filter was removed" in fit.notices[0]) == (not fit.state.histotypes)


def test_fit_filters_leaves_unfiltered_variables_and_display_options_alone():
    state = FilterState(lines=("≥3",), line_cut=4, fold_rare_below=3)
    fit = fit_filters(state, {"lines": ["1", "2", "3", "≥4"]})
    assert fit.state == FilterState(line_cut=4, fold_rare_below=3)
    assert fit.notices == ("Line of therapy: ≥3 is not in this data, so the line of therapy filter was removed (all patients).",)


def test_fit_age_range_cases():
    # The previous file's full range was no filter: the new full range, silently.
    assert fit_age_range((16, 96), (2, 16), (16, 96)) == ((2, 16), None)
    assert fit_age_range(None, (2, 16), None) == ((2, 16), None)
    # A narrowed range that overlaps: clipped, which selects the same patients.
    assert fit_age_range((40, 60), (10, 50), (16, 96)) == ((40, 50), None)
    assert fit_age_range((20, 30), (10, 50), (16, 96)) == ((20, 30), None)
    # Outside the new ages: it would select nobody; reset and said.
    new, notice = fit_age_range((40, 60), (2, 16), (16, 96))
    assert new == (2, 16)
    assert notice == "Age: 40 to 60 years is outside this data's ages (2 to 16), so the age filter was removed (all patients)."
