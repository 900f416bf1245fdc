"""Tests for sarcoma.response: ORR/DCR with Clopper-Pearson CIs, response tables and
association tests, each pinned to an independent reference (scipy, statsmodels, R output, the
seed paper, or a brute-force enumeration written here)."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from sarcoma.response import (
    CI_METHOD,
    AssociationResult,
    ResponseDataError,
    ResponseResult,
    association_test,
    fisher_freeman_halton_exact,
    fisher_freeman_halton_monte_carlo,
    objective_response,
    response_crosstab,
    response_table,
)

FAST = settings(max_examples=60, deadline=None)


def labels(cr=0, pr=0, sd=0, pd_=0, ne=0) -> list[str]:
    return ["CR"] * cr + ["PR"] * pr + ["SD"] * sd + ["PD"] * pd_ + ["NE"] * ne


def cohort(rows: dict[str, dict[str, int]], by: str) -> pd.DataFrame:
    """One row per patient from per-group best-response counts."""
    records = []
    for group, counts in rows.items():
        for label, k in counts.items():
            records += [{by: group, "best_response": label}] * k
    return pd.DataFrame(records)


# ----------------------------------------------------------------- Clopper-Pearson


@FAST
@given(
    data=st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    alpha=st.sampled_from([0.05, 0.10, 0.01]),
)
def test_clopper_pearson_matches_scipy_binomtest(data, alpha):
    k, n = data
    res = objective_response(labels(pr=k, pd_=n - k), alpha=alpha)
    # Reference: scipy's binomtest solves the exact binomial tail equations by root finding,
    # independently of the beta-quantile formula used in the module.
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=1 - alpha, method="exact")
    assert res.orr == k / n
    assert res.orr_lower == pytest.approx(ref.low, abs=1e-9)
    assert res.orr_upper == pytest.approx(ref.high, abs=1e-9)
    # Second reference: statsmodels' "beta" (Clopper-Pearson) interval.
    lo, hi = proportion_confint(k, n, alpha=alpha, method="beta")
    assert res.orr_lower == pytest.approx(0.0 if k == 0 else lo, abs=1e-9)
    assert res.orr_upper == pytest.approx(1.0 if k == n else hi, abs=1e-9)


@pytest.mark.parametrize("n", [1, 2, 7, 64, 500])
def test_clopper_pearson_boundaries_are_exactly_0_and_1(n):
    none = objective_response(labels(pd_=n))
    assert (none.orr, none.orr_lower) == (0.0, 0.0)
    assert 0 < none.orr_upper < 1
    # Hand check: for k = 0 the upper bound is 1 - (alpha/2)^(1/n).
    assert none.orr_upper == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-10)
    everyone = objective_response(labels(cr=n))
    assert (everyone.orr, everyone.orr_upper) == (1.0, 1.0)
    assert everyone.orr_lower == pytest.approx(0.025 ** (1 / n), rel=1e-10)


def test_clopper_pearson_matches_published_r_binom_test():
    # R's stats examples (Conover 1971, p. 97f): binom.test(682, 925) prints
    # "95 percent confidence interval: 0.7076683 0.7654066"
    # (r-source tests/Examples/stats-Ex.Rout.save).
    res = objective_response(labels(pr=682, pd_=243))
    assert res.orr_lower == pytest.approx(0.7076683, abs=5e-8)
    assert res.orr_upper == pytest.approx(0.7654066, abs=5e-8)


def test_seed_overall_orr_22_of_64_with_label():
    # Seed paper Table 4 total: 3 CR + 19 PR = 22 responders of 64 evaluable -> ORR 34.4%.
    # The CI is not printed in the paper; scipy.stats.binomtest(22, 64).proportion_ci("exact")
    # gives 0.229463-0.473023, i.e. 22.9%-47.3% (the task brief's "23.0" is a rounding slip:
    # 0.2295 rounds to 22.9).
    res = objective_response(labels(cr=3, pr=19, sd=19, pd_=23, ne=8))
    assert (res.n_responders, res.n_denominator, res.n_total) == (22, 64, 72)
    assert round(100 * res.orr, 1) == 34.4
    assert round(100 * res.orr_lower, 1) == 22.9
    assert round(100 * res.orr_upper, 1) == 47.3
    assert res.ci_method == CI_METHOD == "Clopper-Pearson exact"
    assert res.label == "ORR 34.4% (22/64 evaluable; 95% CI 22.9-47.3, Clopper-Pearson)"
    # DCR over the same denominator: (3 + 19 + 19) / 64, CI from scipy's binomtest.
    ref = stats.binomtest(41, 64).proportion_ci(method="exact")
    assert res.dcr == 41 / 64
    assert (res.dcr_lower, res.dcr_upper) == pytest.approx((ref.low, ref.high), abs=1e-9)
    assert res.dcr_label.startswith("DCR 64.1% (41/64 evaluable; 95% CI")


def test_denominator_all_is_stated_in_words():
    res = objective_response(labels(cr=2, pr=5, pd_=3, ne=2), denominator="all")
    assert (res.denominator, res.n_denominator) == ("all", 12)
    assert res.orr == 7 / 12
    assert "7/12 all treated" in res.label
    assert "all 12 treated patients" in res.describe()
    assert "non-responders" in res.describe()
    ev = objective_response(labels(cr=2, pr=5, pd_=3, ne=2))
    assert "7/10 evaluable" in ev.label
    assert "2 of 12 treated patients were not evaluable" in ev.describe()


def test_alpha_changes_confidence_level_in_label():
    res = objective_response(labels(pr=5, pd_=5), alpha=0.1)
    assert "90% CI" in res.label
    ref = stats.binomtest(5, 10).proportion_ci(confidence_level=0.9, method="exact")
    assert (res.orr_lower, res.orr_upper) == pytest.approx((ref.low, ref.high), abs=1e-9)


# ----------------------------------------------------------------- labels and edge cases


def test_missing_values_count_as_ne_and_are_reported():
    raw = ["CR", None, np.nan, pd.NA, "", "  ", "PD", "NE"]
    res = objective_response(pd.Series(raw, dtype=object))
    assert res.counts == {"CR": 1, "PR": 0, "SD": 0, "PD": 1, "NE": 6}
    assert (res.n_total, res.n_evaluable, res.n_missing) == (8, 2, 5)
    assert "5 missing best response(s) were counted as NE" in res.describe()
    # With all patients as denominator the missing ones are non-responders.
    assert objective_response(raw, denominator="all").orr == 1 / 8


def test_labels_ignore_case_and_spaces():
    res = objective_response([" cr", "Pr ", "sd", "PD", "ne"])
    assert res.counts == {"CR": 1, "PR": 1, "SD": 1, "PD": 1, "NE": 1}


@pytest.mark.parametrize("bad", ["MR", "uCR", "responder", 1, "N/A ok"])
def test_unknown_label_is_a_clear_error(bad):
    with pytest.raises(ResponseDataError, match="Unknown best-response label") as err:
        objective_response(["CR", bad, "PD"])
    assert "CR, PR, SD, PD, NE" in str(err.value)
    assert repr(bad) in str(err.value)
    assert isinstance(err.value, ValueError)


def test_all_ne_gives_nan_with_note_not_a_crash():
    res = objective_response(["NE", "NE", None])
    assert res.n_evaluable == 0 and res.n_denominator == 0
    for value in (res.orr, res.orr_lower, res.orr_upper, res.dcr, res.dcr_lower, res.dcr_upper):
        assert math.isnan(value)
    assert "cannot be computed" in res.note
    assert res.label == "ORR not estimable (0 evaluable patients)"
    # Over all treated patients the same cohort is a valid 0/3 with an exact CI.
    res_all = objective_response(["NE", "NE", None], denominator="all")
    assert (res_all.orr, res_all.orr_lower) == (0.0, 0.0)
    assert res_all.orr_upper == pytest.approx(1 - 0.025 ** (1 / 3))


def test_empty_input_gives_nan_with_note():
    for empty in ([], pd.Series([], dtype=object), ()):
        res = objective_response(empty)
        assert res.n_total == 0 and math.isnan(res.orr)
        assert res.note == "No patients: response rates cannot be computed."
        assert res.describe() == res.note
        assert res.to_frame().shape == (1, len(res.as_row()))


def test_single_category():
    only_pr = objective_response(["PR"] * 4)
    assert (only_pr.orr, only_pr.dcr, only_pr.orr_upper) == (1.0, 1.0, 1.0)
    only_sd = objective_response(["SD"] * 4)
    assert (only_sd.orr, only_sd.dcr) == (0.0, 1.0)
    single = objective_response(["PD"])
    assert (single.orr, single.orr_lower, single.orr_upper) == (0.0, 0.0, 0.975)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"denominator": "treated"}, "denominator must be"),
        ({"alpha": 0}, "alpha must be"),
        ({"alpha": 1.5}, "alpha must be"),
    ],
)
def test_bad_options_are_clear_errors(kwargs, match):
    with pytest.raises(ResponseDataError, match=match):
        objective_response(["CR"], **kwargs)


def test_a_single_string_or_table_is_rejected():
    with pytest.raises(ResponseDataError, match="not a single text"):
        objective_response("CR")
    with pytest.raises(ResponseDataError, match="single column"):
        objective_response(pd.DataFrame({"best_response": ["CR"]}))


def test_result_is_frozen_and_tabular():
    res = objective_response(labels(cr=1, pr=2, sd=3, pd_=4, ne=5))
    assert isinstance(res, ResponseResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.orr = 0.5  # type: ignore[misc]
    row = res.as_row()
    assert {k: row[k] for k in ("n", "CR", "PR", "SD", "PD", "NE", "evaluable")} == {
        "n": 15,
        "CR": 1,
        "PR": 2,
        "SD": 3,
        "PD": 4,
        "NE": 5,
        "evaluable": 10,
    }
    assert row["ORR"] == 3 / 10 and row["DCR"] == 6 / 10
    assert row["denominator"] == "evaluable" and row["n_denominator"] == 10
    frame = res.to_frame()
    assert list(frame.columns) == list(row)
    assert frame.loc[0, "ORR (CI)"] == res.label


# ----------------------------------------------------------------- seed paper reproductions

# Seed paper Table 4 (best response by ICI regimen), row counts CR, PR, SD, PD, N/A.
SEED_TABLE4 = {
    "ICI monotherapy": {"CR": 2, "PR": 10, "SD": 10, "PD": 19, "NE": 2},
    "Double ICI": {"CR": 0, "PR": 2, "SD": 2, "PD": 1, "NE": 0},
    "ICI + TKI": {"CR": 1, "PR": 6, "SD": 5, "PD": 3, "NE": 6},
    "ICI + chemotherapy": {"CR": 0, "PR": 1, "SD": 2, "PD": 0, "NE": 0},
}


def test_seed_table4_orr_by_regimen_over_evaluable():
    df = cohort(SEED_TABLE4, "regimen_class").sample(frac=1, random_state=3)  # order-free
    tab = response_table(df, "regimen_class")
    assert list(tab.index) == [*SEED_TABLE4, "Total"]  # schema order, Total last
    # Table 4 ORR column: 29.3, 40, 46.7, 33.3 (% of evaluable); total 22/64 = 34.4.
    orr = (100 * tab["ORR"]).round(1).tolist()
    assert orr == [29.3, 40.0, 46.7, 33.3, 34.4]
    assert tab["evaluable"].tolist() == [41, 5, 15, 3, 64]
    assert tab["n"].tolist() == [43, 5, 21, 3, 72]
    assert (tab["denominator"] == "evaluable").all()
    # The Total row is computed from the rows. The paper's printed total row says SD 18 and
    # PD 25 (65 patients, not 64), but its own rows sum to SD 10+2+5+2 = 19 and
    # PD 19+1+3+0 = 23; the running text repeats 18 SD (28.1%) and 25 PD (39.1%). It also
    # prints N/A 8 as "12.5%", which is 8/64, although N/A patients are outside the 64
    # evaluable (8/72 = 11.1%). We follow the row-level counts.
    total = tab.loc["Total"]
    assert (total["CR"], total["PR"], total["SD"], total["PD"], total["NE"]) == (3, 19, 19, 23, 8)
    assert total["ORR (CI)"] == "ORR 34.4% (22/64 evaluable; 95% CI 22.9-47.3, Clopper-Pearson)"
    assert total["DCR"] == 41 / 64  # not the 40/64 the printed SD total would give
    whole = objective_response(df["best_response"])
    assert whole.as_row() == tab.loc["Total"].to_dict()


# Seed paper Table 2: N, CR, PR per histotype (only responders are given per histotype).
SEED_TABLE2 = {
    "UPS": (12, 2, 5, 58.3),
    "LMS": (12, 0, 4, 33.3),
    "LPS": (10, 0, 3, 30.0),
    "Angiosarcoma": (7, 0, 2, 28.6),
    "Kaposi sarcoma": (4, 0, 1, 25.0),
    "Undifferentiated sarcoma": (3, 1, 0, 33.3),
    "ASPS": (3, 0, 1, 33.3),
    "Pleomorphic dermal sarcoma": (2, 0, 1, 50.0),
    "Dedifferentiated chondrosarcoma": (1, 0, 1, 100.0),
    "Myxofibrosarcoma": (3, 0, 1, 33.3),
}


def table2_cohort(split) -> pd.DataFrame:
    rows = {}
    for i, (hist, (n, cr, pr, _)) in enumerate(SEED_TABLE2.items()):
        rest = n - cr - pr
        # Table 2 does not say how the non-responders split into SD/PD/NE.
        sd, ne, missing = split(i, rest)
        rows[hist] = {"CR": cr, "PR": pr, "SD": sd, "NE": ne, "PD": rest - sd - ne - missing}
        rows[hist][None] = missing
    df = cohort(rows, "histotype")
    return df


def test_seed_table2_orr_by_histotype_over_all_patients():
    df = table2_cohort(lambda i, rest: (0, 0, 0))
    tab = response_table(df, "histotype", denominator="all")
    got = {h: round(100 * tab.loc[h, "ORR"], 1) for h in SEED_TABLE2}
    assert got == {h: v[3] for h, v in SEED_TABLE2.items()}
    assert tab.loc["UPS", "ORR (CI)"].startswith("ORR 58.3% (7/12 all treated; 95% CI")
    assert (tab["denominator"] == "all").all()
    # Table 2's 57 listed patients hold all 22 responders of Table 4 (3 CR + 19 PR).
    assert (tab.loc["Total", "CR"], tab.loc["Total", "PR"], tab.loc["Total", "n"]) == (3, 19, 57)
    # Sub-rows printed in Table 2: uLMS 1/5 = 20.0% and DDLPS 3/7 = 42.9%.
    assert round(100 * objective_response(labels(pr=1, pd_=4), denominator="all").orr, 1) == 20.0
    assert round(100 * objective_response(labels(pr=3, pd_=4), denominator="all").orr, 1) == 42.9


@FAST
@given(st.data())
def test_seed_table2_all_patient_orr_does_not_depend_on_non_responder_split(data):
    def split(i, rest):
        sd = data.draw(st.integers(0, rest))
        ne = data.draw(st.integers(0, rest - sd))
        return sd, ne, data.draw(st.integers(0, rest - sd - ne))

    tab = response_table(table2_cohort(split), "histotype", denominator="all")
    got = {h: round(100 * tab.loc[h, "ORR"], 1) for h in SEED_TABLE2}
    assert got == {h: v[3] for h, v in SEED_TABLE2.items()}


def test_seed_running_text_orr_by_regimen_and_p_064():
    """What reproduces the text "40% double ICI, 33.3% ICI+TKI, 27.3% monotherapy, p = 0.64"?

    Findings (from the Table 4 counts):
    * 40% = 2/5 under either denominator.
    * 33.3% = 7/21, i.e. ICI+TKI over ALL treated patients, whereas Table 4 prints 46.7%
      (7/15 evaluable): the text silently switches denominator.
    * 27.3% = 12/44, but monotherapy had 43 patients (41 evaluable): 12/43 = 27.9% and
      12/41 = 29.3%. No denominator in the paper gives 27.3%; it cannot be reproduced.
    * p = 0.64: Pearson chi-square on responders x 4 regimen classes gives 0.671 over
      evaluable patients and 0.932 over all patients (0.896 with the exact test); dropping the
      chemo combination or mono-vs-combination 2x2 tables give 0.39-0.81, none 0.64. The only
      reasonable table that gives 0.64 is the Fisher-Freeman-Halton exact test (SPSS
      Crosstabs "Exact") on the evaluable responders x regimen table: p = 0.635.
      The paper says "chi-square test"; we document 0.635 as the most plausible source.
    """
    assert round(100 * 2 / 5, 1) == 40.0
    assert round(100 * 7 / 21, 1) == 33.3 and round(100 * 7 / 15, 1) == 46.7
    assert round(100 * 12 / 44, 1) == 27.3
    assert {round(100 * 12 / d, 1) for d in (41, 43)} == {29.3, 27.9}

    df = cohort(SEED_TABLE4, "regimen_class")
    evaluable = response_crosstab(df, "regimen_class")
    assert evaluable.to_numpy().tolist() == [[12, 29], [2, 3], [7, 8], [1, 2]]
    res = association_test(evaluable)
    # References: scipy.stats.chi2_contingency for the chi-square; brute-force enumeration
    # (test below) validates the exact algorithm.
    assert res.chi2_p == pytest.approx(
        stats.chi2_contingency(evaluable.to_numpy(), correction=False).pvalue, rel=1e-12
    )
    assert round(res.chi2_p, 2) == 0.67
    assert res.exact_p == pytest.approx(brute_force_ffh(evaluable.to_numpy()), rel=1e-9)
    assert round(res.exact_p, 2) == 0.64
    assert "full enumeration" in res.method

    all_treated = response_crosstab(df, "regimen_class", denominator="all")
    assert all_treated.to_numpy().tolist() == [[12, 31], [2, 3], [7, 14], [1, 2]]
    res_all = association_test(all_treated)
    assert round(res_all.chi2_p, 3) == 0.932
    assert round(res_all.exact_p, 3) == 0.896


# ----------------------------------------------------------------- response_table


def test_response_table_missing_group_row_keeps_totals_consistent():
    df = pd.DataFrame(
        {
            "line_of_therapy": [1, 1, 2, 3, None, None],
            "best_response": ["CR", "PD", "PR", None, "SD", "NE"],
        }
    )
    tab = response_table(df, "line_of_therapy")
    assert list(tab.index) == [1.0, 2.0, 3.0, "(missing)", "Total"]
    assert tab.index.name == "line_of_therapy"
    assert tab.loc["(missing)", "n"] == 2
    assert tab.drop(index="Total")["n"].sum() == tab.loc["Total", "n"] == 6
    assert math.isnan(tab.loc[3.0, "ORR"])  # one patient, missing response -> 0 evaluable
    assert "cannot be computed" in tab.loc[3.0, "note"]


def test_response_table_keeps_categorical_order():
    df = pd.DataFrame(
        {
            "stage": pd.Categorical(["B", "A", "B"], categories=["B", "A", "C"]),
            "best_response": ["PR", "PD", "SD"],
        }
    )
    assert list(response_table(df, "stage").index) == ["B", "A", "Total"]


def test_response_table_reserved_group_name_and_empty_cohort():
    df = pd.DataFrame({"center": ["Total", "Athens"], "best_response": ["CR", "PD"]})
    with pytest.raises(ResponseDataError, match="group called 'Total'"):
        response_table(df, "center")
    empty = response_table(pd.DataFrame({"center": [], "best_response": []}), "center")
    assert list(empty.index) == ["Total"]
    assert empty.loc["Total", "n"] == 0 and math.isnan(empty.loc["Total", "ORR"])


def test_response_table_errors_are_plain():
    df = pd.DataFrame({"histotype": ["UPS"], "best_response": ["CR"]})
    with pytest.raises(ResponseDataError, match="no column 'regimen_class'"):
        response_table(df, "regimen_class")
    with pytest.raises(ResponseDataError, match="no column 'bor'"):
        response_table(df, "histotype", response_col="bor")
    with pytest.raises(ResponseDataError, match="denominator must be"):
        response_table(df, "histotype", denominator="itt")
    bad = pd.DataFrame({"histotype": ["UPS"], "best_response": ["CRR"]})
    with pytest.raises(ResponseDataError, match="Unknown best-response label"):
        response_table(bad, "histotype")


@FAST
@given(
    groups=st.lists(st.sampled_from(["A", "B", "C", None]), min_size=0, max_size=40),
    data=st.data(),
    denominator=st.sampled_from(["evaluable", "all"]),
)
def test_response_table_total_equals_whole_cohort(groups, data, denominator):
    responses = data.draw(
        st.lists(
            st.sampled_from(["CR", "PR", "SD", "PD", "NE", None]),
            min_size=len(groups),
            max_size=len(groups),
        )
    )
    df = pd.DataFrame({"g": groups, "best_response": responses}, dtype=object)
    tab = response_table(df, "g", denominator=denominator)
    whole = objective_response(df["best_response"], denominator=denominator)
    total = tab.loc["Total"].to_dict()
    expected = whole.as_row()
    for key in ("n", "CR", "PR", "SD", "PD", "NE", "evaluable", "n_denominator", "ORR (CI)"):
        assert total[key] == expected[key]
    counts = ["n", "CR", "PR", "SD", "PD", "NE"]
    assert (tab.drop(index="Total")[counts].sum() == tab.loc["Total", counts]).all()


# ----------------------------------------------------------------- association: chi-square


def random_tables(max_rows=4, max_cols=4, max_count=15):
    return st.tuples(st.integers(2, max_rows), st.integers(2, max_cols)).flatmap(
        lambda rc: st.lists(
            st.lists(st.integers(0, max_count), min_size=rc[1], max_size=rc[1]),
            min_size=rc[0],
            max_size=rc[0],
        )
    )


def has_full_margins(table) -> bool:
    t = np.asarray(table)
    return bool((t.sum(axis=0) > 0).all() and (t.sum(axis=1) > 0).all())


@FAST
@given(random_tables())
@example([[0, 1], [1, 0]])  # hypothesis found it: scipy's Monte-Carlo Fisher p came back as an array
def test_chi_square_matches_scipy(table):
    if not has_full_margins(table):
        return
    res = association_test(table, exact="monte-carlo", n_resamples=200)
    ref = stats.chi2_contingency(np.asarray(table), correction=False)
    assert res.chi2 == pytest.approx(ref.statistic, rel=1e-10)
    assert res.df == ref.dof
    assert res.chi2_p == pytest.approx(ref.pvalue, rel=1e-10)
    np.testing.assert_allclose(res.expected.to_numpy(), ref.expected_freq)
    if np.asarray(table).shape == (2, 2):
        yates = stats.chi2_contingency(np.asarray(table), correction=True)
        assert res.chi2_yates == pytest.approx(yates.statistic, rel=1e-10)
        assert res.chi2_yates_p == pytest.approx(yates.pvalue, rel=1e-10)
    else:
        assert res.chi2_yates is None and res.chi2_yates_p is None


def test_chi_square_matches_published_r_output():
    # R's chisq.test examples (Agresti 2007, p. 39), r-source tests/Examples/stats-Ex.Rout.save:
    # "X-squared = 30.0701, df = 2, p-value = 2.954e-07".
    party = pd.DataFrame(
        [[762, 327, 468], [484, 239, 477]],
        index=["F", "M"],
        columns=["Democrat", "Independent", "Republican"],
    )
    res = association_test(party)
    assert round(res.chi2, 4) == 30.0701
    assert res.df == 2
    assert res.chi2_p == pytest.approx(2.954e-07, rel=5e-4)
    assert res.expected.loc["F", "Democrat"] == pytest.approx(703.6714, abs=1e-4)
    assert res.expected_warning == "" and res.cochran_ok
    # Same file: chisq.test(matrix(c(12, 5, 7, 7), ncol = 2))$p.value is 0.4233054; R applies
    # the Yates correction to 2x2 tables by default, as SPSS's "Continuity Correction" row.
    res2 = association_test([[12, 7], [5, 7]])
    assert res2.chi2_yates_p == pytest.approx(0.4233054, abs=5e-8)
    assert res2.chi2_p < res2.chi2_yates_p


# ----------------------------------------------------------------- association: exact tests


@FAST
@given(random_tables(max_rows=2, max_cols=2, max_count=30))
def test_two_by_two_uses_fisher_exact(table):
    if not has_full_margins(table):
        return
    res = association_test(table)
    ref = stats.fisher_exact(table)
    assert res.exact_p == pytest.approx(ref.pvalue, rel=1e-12)
    assert res.odds_ratio == ref.statistic or (
        math.isinf(ref.statistic) and math.isinf(res.odds_ratio)
    )
    assert res.method == "Fisher's exact test (two-sided, 2x2)"
    # The r x c enumeration agrees with scipy's 2x2 algorithm too.
    assert fisher_freeman_halton_exact(table) == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-14)


def test_two_by_two_matches_published_r_fisher_test():
    # R's fisher.test examples (Fisher 1962, convictions of like-sex twins), r-source
    # tests/Examples/stats-Ex.Rout.save: two-sided "p-value = 0.0005367".
    convictions = [[2, 15], [10, 3]]
    assert association_test(convictions).exact_p == pytest.approx(0.0005367, abs=5e-8)
    assert fisher_freeman_halton_exact(convictions) == pytest.approx(0.0005367, abs=5e-8)


def brute_force_ffh(table) -> float:
    """Independent reference: list every table with the observed margins (itertools)."""
    t = [list(map(int, row)) for row in np.asarray(table)]
    rows = [sum(r) for r in t]
    cols = [sum(c) for c in zip(*t, strict=True)]
    n = sum(rows)

    def prob(m) -> float:
        # Multivariate hypergeometric: prod(R_i!) prod(C_j!) / (n! prod(n_ij!)).
        num = math.prod(math.factorial(x) for x in rows + cols)
        den = math.factorial(n) * math.prod(math.factorial(x) for r in m for x in r)
        return num / den

    def fill(i: int, remaining_cols: list[int]):
        if i == len(rows) - 1:
            yield [remaining_cols]
            return
        for row in itertools.product(*(range(c + 1) for c in remaining_cols)):
            if sum(row) == rows[i]:
                rest = [c - x for c, x in zip(remaining_cols, row, strict=True)]
                for tail in fill(i + 1, rest):
                    yield [list(row), *tail]

    p_obs = prob(t)
    return sum(p for m in fill(0, cols) if (p := prob(m)) <= p_obs * (1 + 1e-7))


@settings(max_examples=80, deadline=None)
@given(random_tables(max_rows=3, max_cols=4, max_count=5))
def test_exact_rxc_matches_brute_force_enumeration(table):
    if not has_full_margins(table):
        return
    assert fisher_freeman_halton_exact(table) == pytest.approx(
        brute_force_ffh(table), rel=1e-9, abs=1e-14
    )


def test_exact_rxc_brute_force_on_fixed_small_tables():
    for table in ([[1, 2, 0], [0, 1, 3]], [[3, 0, 1], [0, 2, 0], [1, 0, 2]], [[2, 2], [2, 2]]):
        assert fisher_freeman_halton_exact(table) == pytest.approx(
            brute_force_ffh(table), rel=1e-12
        )


JOB = [[1, 3, 10, 6], [2, 3, 10, 7], [1, 6, 14, 12], [0, 1, 9, 11]]


def test_exact_rxc_matches_r_fisher_test_job_satisfaction():
    # Agresti (2002, p. 57) job satisfaction x income, R's fisher.test example:
    # "fisher.test(Job) # 0.7827" (r-source src/library/stats/man/fisher.test.Rd), printed as
    # "p-value = 0.7827" in tests/Examples/stats-Ex.Rout.save.
    res = association_test(JOB)
    assert round(res.exact_p, 4) == 0.7827
    assert not res.monte_carlo and res.n_resamples is None and res.seed is None
    assert res.method.startswith("Fisher-Freeman-Halton exact test")
    # Invariant to transposition and to the order of rows and columns.
    job = np.array(JOB)
    assert fisher_freeman_halton_exact(job.T) == pytest.approx(res.exact_p, rel=1e-9)
    shuffled = job[[2, 0, 3, 1]][:, [1, 3, 0, 2]]
    assert fisher_freeman_halton_exact(shuffled) == pytest.approx(res.exact_p, rel=1e-9)


def test_monte_carlo_close_to_exact_within_its_standard_error():
    exact = fisher_freeman_halton_exact(JOB)
    res = association_test(JOB, exact="monte-carlo", n_resamples=20_000, seed=7)
    assert res.monte_carlo and res.n_resamples == 20_000 and res.seed == 7
    assert "Monte-Carlo" in res.method and "20,000" in res.method and "seed 7" in res.method
    assert "Monte-Carlo standard error" in res.describe()
    se = math.sqrt(exact * (1 - exact) / 20_000)
    assert abs(res.exact_p - exact) < 4 * se
    assert res.mc_standard_error == pytest.approx(se, rel=0.05)
    # R reports 0.7842 for fisher.test(Job, simulate.p.value = TRUE, B = 1e5).
    assert abs(res.exact_p - 0.7842) < 4 * se + 4 * math.sqrt(0.7842 * 0.2158 / 1e5)
    # Reproducible with the stated seed.
    assert fisher_freeman_halton_monte_carlo(JOB, n_resamples=20_000, seed=7) == res.exact_p


def test_exact_rxc_on_mehta_patel_table_agrees_with_monte_carlo():
    # The 5x7 sparse table of Mehta & Patel's JASA paper, used in R's fisher.test examples
    # (src/library/stats/man/fisher.test.Rd, no p-value printed there). Independent check:
    # scipy's Monte-Carlo Fisher test (random_table draws) within 4 standard errors.
    mp6 = [
        [1, 2, 2, 1, 1, 0, 1],
        [2, 0, 0, 2, 3, 0, 0],
        [0, 1, 1, 1, 2, 7, 3],
        [1, 1, 2, 0, 0, 0, 1],
        [0, 1, 1, 1, 1, 0, 0],
    ]
    exact = fisher_freeman_halton_exact(mp6)
    assert exact is not None
    mc = fisher_freeman_halton_monte_carlo(mp6, n_resamples=20_000, seed=5)
    assert abs(exact - mc) < 4 * math.sqrt(mc * (1 - mc) / 20_000)
    assert fisher_freeman_halton_exact(np.array(mp6).T) == pytest.approx(exact, rel=1e-9)


def test_too_large_for_enumeration_falls_back_to_monte_carlo():
    res = association_test(JOB, enumeration_limit=1_000, n_resamples=5_000, seed=11)
    assert res.monte_carlo
    assert "too many tables to enumerate" in res.method
    assert (res.n_resamples, res.seed) == (5_000, 11)
    assert abs(res.exact_p - 0.7827) < 4 * math.sqrt(0.7827 * 0.2173 / 5_000)
    assert fisher_freeman_halton_exact(JOB, enumeration_limit=1_000) is None
    with pytest.raises(ResponseDataError, match="too many possible arrangements"):
        association_test(JOB, exact="enumerate", enumeration_limit=1_000)


# ----------------------------------------------------------------- association: input checks


def test_expected_count_warning_follows_cochran_rule():
    table = [[12, 29], [2, 3], [7, 8], [1, 2]]  # seed Table 4, responders x regimen
    res = association_test(table)
    # Hand check: expected = row total x column total / 64, e.g. 3 x 22 / 64 = 1.03125.
    expected = stats.contingency.expected_freq(np.array(table))
    assert res.n_cells_expected_below_5 == int((expected < 5).sum()) == 4
    assert res.share_expected_below_5 == pytest.approx(0.5)
    assert res.any_expected_below_1 is False
    assert res.min_expected == pytest.approx(3 * 22 / 64)
    assert not res.cochran_ok
    assert res.expected_warning == (
        "4 of 8 cells (50%) have an expected count below 5 (minimum expected count 1.03). "
        "Cochran's rule (no expected count below 1, at most 20% below 5) is not met, so the "
        "chi-square p-value is unreliable: use the exact test's p-value."
    )
    assert res.expected_warning in res.describe()
    tiny = association_test([[1, 0], [0, 8]])  # expected count of the first cell: 1 x 1 / 9
    assert tiny.any_expected_below_1 and tiny.min_expected == pytest.approx(1 / 9)
    assert "at least one is below 1" in tiny.expected_warning
    big = association_test([[30, 20], [25, 25]])
    assert big.expected_warning == "" and big.cochran_ok
    # One cell of 6 below 5 (17%) meets the rule: noted, but no "unreliable" verdict.
    edge = association_test([[2, 10, 10], [10, 30, 30]])
    assert edge.n_cells_expected_below_5 == 1 and edge.cochran_ok
    assert edge.expected_warning.startswith("1 of 6 cells (17%)")
    assert "unreliable" not in edge.expected_warning


def test_zero_rows_and_columns_are_dropped_with_a_note():
    table = pd.DataFrame(
        [[3, 0, 4], [0, 0, 0], [5, 0, 1]],
        index=["mono", "chemo", "tki"],
        columns=["yes", "unused", "no"],
    )
    res = association_test(table)
    assert list(res.table.index) == ["mono", "tki"]
    assert list(res.table.columns) == ["yes", "no"]
    assert any("chemo" in n for n in res.notes) and any("unused" in n for n in res.notes)
    assert res.exact_p == pytest.approx(stats.fisher_exact([[3, 4], [5, 1]]).pvalue)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ([[3, 4]], "at least two groups"),
        ([[3], [4]], "at least two groups"),
        ([[3, 0], [4, 0]], "at least two groups"),
        ([[0, 0], [0, 0]], "at least two groups"),
        ([[1, -1], [2, 3]], "non-negative"),
        ([[1.5, 1], [2, 3]], "whole"),
        ([[1, np.nan], [2, 3]], "empty cells"),
        ([1, 2, 3], "two-dimensional"),
        ([[["a"]]], "grid of counts|two-dimensional"),
        ([], "empty|two-dimensional"),
    ],
)
def test_bad_tables_are_clear_errors(table, match):
    with pytest.raises(ResponseDataError, match=match):
        association_test(table)


def test_cohort_columns_can_be_cross_tabulated():
    df = pd.DataFrame(
        {
            "sex": ["Male", "Male", "Female", "Female", None, "Male"],
            "responder": ["yes", "no", "yes", "yes", "no", "no"],
        }
    )
    res = association_test(df, row="sex", col="responder")
    assert isinstance(res, AssociationResult)
    assert res.table.loc["Male"].tolist() == [2, 1]  # columns sorted: no, yes
    assert res.notes[0].startswith("1 patient(s) with a missing 'sex'")
    with pytest.raises(ResponseDataError, match="both row= and col="):
        association_test(df, row="sex")
    with pytest.raises(ResponseDataError, match="no column 'age'"):
        association_test(df, row="sex", col="age")


def test_response_crosstab_outcomes():
    df = cohort(SEED_TABLE4, "regimen_class")
    best = response_crosstab(df, "regimen_class", outcome="best_response")
    assert list(best.columns) == ["CR", "PR", "SD", "PD"]
    assert best.loc["ICI monotherapy"].tolist() == [2, 10, 10, 19]
    best_all = response_crosstab(df, "regimen_class", outcome="best_response", denominator="all")
    assert best_all["NE"].tolist() == [2, 0, 6, 0]
    dc = response_crosstab(df, "regimen_class", outcome="disease_control")
    assert dc.to_numpy().tolist() == [[22, 19], [4, 1], [12, 3], [3, 0]]
    with pytest.raises(ResponseDataError, match="outcome must be"):
        response_crosstab(df, "regimen_class", outcome="orr")
    # CR/PR/SD/PD x regimen (4x4, n = 64): exact enumeration is feasible; too many tables for
    # the brute-force reference, so check it against scipy's Monte-Carlo estimate instead.
    res = association_test(best)
    assert not res.monte_carlo
    mc = fisher_freeman_halton_monte_carlo(best.to_numpy(), n_resamples=20_000, seed=1)
    assert abs(res.exact_p - mc) < 4 * math.sqrt(mc * (1 - mc) / 20_000)


def test_exact_function_rejects_bad_counts_and_trivial_tables():
    with pytest.raises(ResponseDataError, match="non-negative"):
        fisher_freeman_halton_exact([[1, -2], [3, 4]])
    with pytest.raises(ResponseDataError, match="two-dimensional"):
        fisher_freeman_halton_exact([1, 2, 3])
    assert fisher_freeman_halton_exact([[0, 3], [0, 4]]) == 1.0  # one column left


def test_bad_association_options():
    with pytest.raises(ResponseDataError, match="exact must be"):
        association_test(JOB, exact="yes")
    with pytest.raises(ResponseDataError, match="n_resamples"):
        association_test(JOB, n_resamples=0)
