"""Cox models with guard-rails, pinned to lifelines CoxPHFitter fitted directly (run to the
maximum) and to statsmodels PHReg; the PH test to R's cox.zph (golden values in
tests/reference/out/cox_zph.csv, written by tests/reference/coxph.R)."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from statsmodels.duration.hazard_regression import PHReg

from sarcoma.cox import (
    EPV_MIN,
    covariate_options,
    events_per_parameter,
    fit_cox,
    univariable_cox,
)
from sarcoma.survival import CoxFitError, SurvivalInputError

REF = Path(__file__).resolve().parent / "reference"
# lifelines' default Newton-Raphson (0.95 steps, loose stop) ends short of the maximum; with
# full steps and a tight tolerance it reaches R's coxph maximum, so it stays an oracle.
LIFELINES_AT_MLE = {"step_size": 1.0, "precision": 1e-20, "r_precision": 1e-15}


def r_zph(model: str, transform: str = "km") -> pd.DataFrame:
    """R's cox.zph table for a model of tests/reference/coxph_models.csv."""
    z = pd.read_csv(REF / "out" / "cox_zph.csv")
    return z[(z["model"] == model) & (z["transform"] == transform)].set_index("term")


def cohort(n=150, seed=4):
    rng = np.random.default_rng(seed)
    line = rng.integers(1, 6, n)
    histo = rng.choice(["UPS", "LMS", "LPS"], n, p=[0.4, 0.35, 0.25])
    age = rng.normal(55, 12, n).round()
    center = rng.choice(["A", "B", "C", "D"], n)
    lin = 0.5 * (line >= 3) + 0.02 * (age - 55) + np.where(histo == "LPS", -0.6, 0.0)
    pfs = rng.exponential(6 * np.exp(-lin)).round(2) + 0.01
    cens = rng.uniform(3, 30, n).round(2)
    df = pd.DataFrame(
        {
            "patient_id": [f"C{i:03d}" for i in range(n)],
            "pfs_months": np.minimum(pfs, cens),
            "pfs_event": (pfs <= cens).astype(int),
            "os_months": np.minimum(pfs * 2.5, 40.0),
            "os_event": (pfs * 2.5 <= 40).astype(int),
            "line_of_therapy": line,
            "histotype": histo,
            "age": age,
            "center": center,
            "best_response": rng.choice(["CR", "PR", "SD", "PD"], n),
        }
    )
    df.loc[[5, 9], "age"] = np.nan  # missing covariate: complete-case analysis
    return df


def design(df):
    """Dummy coding by hand: line >= 3 vs 1-2, LMS and LPS vs UPS, age per year."""
    d = pd.DataFrame(
        {
            "T": df["pfs_months"],
            "E": df["pfs_event"],
            "line3": (df["line_of_therapy"] >= 3).astype(float),
            "age": df["age"],
            "LMS": (df["histotype"] == "LMS").astype(float),
            "LPS": (df["histotype"] == "LPS").astype(float),
            "center": df["center"],
        }
    )
    return d.dropna()


def test_multivariable_matches_lifelines_and_statsmodels():
    df = cohort()
    m = fit_cox(df, "PFS", ["line_2", "age", "histotype"], references={"histotype": "UPS"})
    d = design(df)
    cph = CoxPHFitter().fit(d.drop(columns="center"), "T", "E", fit_options=LIFELINES_AT_MLE)
    terms = {
        "Line of therapy: ≥3 vs 1-2": "line3",
        "Age (per year)": "age",
        "Histotype: LMS vs UPS": "LMS",
        "Histotype: LPS vs UPS": "LPS",
    }
    assert set(m.table.index) == set(terms)
    for term, col in terms.items():
        assert m.table.loc[term, "hr"] == pytest.approx(cph.hazard_ratios_[col], rel=1e-9)
        assert m.table.loc[term, "p_value"] == pytest.approx(cph.summary.loc[col, "p"], rel=1e-8)
        assert m.table.loc[term, "lower"] == pytest.approx(cph.summary.loc[col, "exp(coef) lower 95%"], rel=1e-9)
    # Second reference: statsmodels PHReg with Efron ties.
    cols = list(terms.values())
    ph = PHReg(d["T"], d[cols], status=d["E"], ties="efron").fit()
    for term, col in terms.items():
        assert m.table.loc[term, "hr"] == pytest.approx(math.exp(ph.params[cols.index(col)]), rel=1e-4)
    assert (m.n, m.n_excluded, m.n_events) == (len(d), 2, int(d["E"].sum()))
    assert m.n_parameters == 4 and m.epv == pytest.approx(m.n_events / 4)
    assert not m.stratified_by_center


def test_stratified_by_center_matches_lifelines_strata_and_statsmodels_and_r_zph():
    # The cohort as saved for R (tests/reference/data/cox_cohort.csv, same generator as cohort()).
    df = pd.read_csv(REF / "data" / "cox_cohort.csv")
    m = fit_cox(df, "PFS", ["line_2", "age"], stratify_by_center=True)
    d = design(df)[["T", "E", "line3", "age", "center"]]
    cph = CoxPHFitter().fit(d, "T", "E", strata=["center"], fit_options=LIFELINES_AT_MLE)
    assert m.stratified_by_center
    assert m.table.loc["Line of therapy: ≥3 vs 1-2", "hr"] == pytest.approx(cph.hazard_ratios_["line3"], rel=1e-9)
    assert m.table.loc["Age (per year)", "hr"] == pytest.approx(cph.hazard_ratios_["age"], rel=1e-9)
    ph = PHReg(d["T"], d[["line3", "age"]], status=d["E"], strata=d["center"], ties="efron").fit()
    assert m.table.loc["Line of therapy: ≥3 vs 1-2", "hr"] == pytest.approx(math.exp(ph.params[0]), rel=1e-4)
    # PH test of the stratified model: R's cox.zph(coxph(... + strata(center))), km transform.
    # (This used to be lifelines' proportional_hazard_test with the rank transform, which ranks
    # the times of the data sorted by centre, then time, and ranks tied times in row order.)
    ref = r_zph("cox_cohort_center")
    assert m.table.loc["Age (per year)", "ph_p_value"] == pytest.approx(ref.loc["age", "p"], rel=1e-8)
    assert m.table.loc["Line of therapy: ≥3 vs 1-2", "ph_p_value"] == pytest.approx(ref.loc["line3", "p"], rel=1e-8)
    assert m.ph.global_test.p_value == pytest.approx(ref.loc["GLOBAL", "p"], rel=1e-8)
    assert m.ph.global_test.df == 2


def test_ph_check_matches_r_and_explains_violations():
    # Crossing hazards: group "early" has a falling hazard (Weibull shape 0.5), "late" a rising one
    # (shape 3) with a similar median -> proportional hazards clearly violated. The data as saved
    # for R: tests/reference/data/crossing_hazards.csv (tests/reference/export_data.py).
    df = pd.read_csv(REF / "data" / "crossing_hazards.csv")
    m = fit_cox(df, "PFS", ["histotype", "line_2"], references={"histotype": "UPS"})
    ref = r_zph("crossing_hazards")
    term = "Histotype: LMS vs UPS"
    assert m.ph.table.loc[term, "p_value"] == pytest.approx(ref.loc["histotype", "p"], rel=1e-8)
    assert m.ph.table.loc[term, "statistic"] == pytest.approx(ref.loc["histotype", "chisq"], rel=1e-8)
    assert m.ph.table.loc[term, "p_value"] < 0.05
    assert term in m.ph.violations
    assert "seems to change over follow-up" in m.table.loc[term, "note"]
    assert "Grambsch-Therneau test, km transform, p < 0.001" in m.table.loc[term, "note"]
    assert "RMST" in m.ph.notes()[0]
    assert m.table.loc[term, "ph_note"] == m.ph.table.loc[term, "note"] != ""
    uni = univariable_cox(df, "PFS", ["histotype"], references={"histotype": "UPS"})
    assert uni["ph_note"].iloc[0].startswith(term) and uni["ph_p_value"].iloc[0] < 0.05
    line_p = m.ph.table.loc["Line of therapy: ≥3 vs 1-2", "p_value"]
    assert line_p == pytest.approx(ref.loc["line3", "p"], rel=1e-8)
    assert (line_p >= 0.05) == ("Line of therapy: ≥3 vs 1-2" not in m.ph.violations)


def test_ph_test_of_a_factor_is_one_term_on_k_minus_1_df_as_r():
    # R's cox.zph(fit) tests a factor as one term: histotype (3 levels) on 2 df.
    df = pd.read_csv(REF / "data" / "cox_cohort.csv")
    m = fit_cox(df, "PFS", ["line_2", "age", "histotype"], references={"histotype": "UPS"})
    ref = r_zph("cox_cohort_multi")
    assert m.ph.table.loc["Histotype", "df"] == 2
    assert m.ph.table.loc["Histotype", "p_value"] == pytest.approx(ref.loc["histotype", "p"], rel=1e-8)
    rows = m.table[m.table["covariate"] == "Histotype"]
    assert len(rows) == 2 and (rows["ph_p_value"] == m.ph.table.loc["Histotype", "p_value"]).all()
    assert m.ph.global_test.df == 4
    assert m.ph.global_test.p_value == pytest.approx(ref.loc["GLOBAL", "p"], rel=1e-8)


def test_events_per_parameter_warning_counts():
    # 46 events, 10 parameters: 4.6 per parameter (the seed study's PFS events with 10 terms).
    epv, warn = events_per_parameter(46, 10)
    assert epv == pytest.approx(4.6)
    assert warn.startswith("Only 46 events for 10 estimated parameters (4.6 events per parameter")
    assert events_per_parameter(50, 5) == (10.0, None)
    assert EPV_MIN == 10
    df = cohort(n=40, seed=1)
    m = fit_cox(df, "PFS", ["line_2", "age", "histotype", "center"])
    assert m.n_parameters == 1 + 1 + 2 + 3
    assert m.epv_warning is not None and f"Only {m.n_events} events for 7 estimated parameters" in m.epv_warning


def test_reference_level_is_chosen_by_the_user():
    df = cohort()
    a = fit_cox(df, "PFS", ["histotype"], references={"histotype": "UPS"}, check_ph=False)
    b = fit_cox(df, "PFS", ["histotype"], references={"histotype": "LPS"}, check_ph=False)
    # HR(LPS vs UPS) = 1 / HR(UPS vs LPS): same model, other reference.
    assert a.table.loc["Histotype: LPS vs UPS", "hr"] == pytest.approx(1 / b.table.loc["Histotype: UPS vs LPS", "hr"], rel=1e-6)
    assert a.table.loc["Histotype: LPS vs UPS", "p_value"] == pytest.approx(b.table.loc["Histotype: UPS vs LPS", "p_value"], rel=1e-5)
    # Default reference: the largest group (display order of sarcoma.groupings).
    default = fit_cox(df, "PFS", ["histotype"], check_ph=False)
    largest = df["histotype"].value_counts().index[0]
    assert set(default.result.references.values()) == {largest}


def test_small_groups_and_post_baseline_covariates_are_flagged():
    df = cohort()
    df.loc[df.index[:4], "histotype"] = "ASPS"  # 4 patients: below the minimum of 5
    df.loc[df.index[:4], "pfs_event"] = 1
    m = fit_cox(df, "PFS", ["histotype", "responder"], references={"histotype": "UPS"}, check_ph=False)
    assert m.table.loc["Histotype: ASPS vs UPS", "small"]
    assert "below 5 patients" in m.table.loc["Histotype: ASPS vs UPS", "note"]
    assert not m.table.loc["Histotype: LMS vs UPS", "small"]
    term = "Best response: Responder (CR/PR) vs Non-responder (SD/PD)"
    assert "guarantee-time bias" in m.table.loc[term, "note"]
    shown = m.display()
    assert list(shown.columns) == ["Term", "n (events)", "Reference n (events)", "HR (95% CI)", "p (Wald)", "PH test p", "Note"]
    asps = shown.set_index("Term").loc["Histotype: ASPS vs UPS"]
    ups = df["histotype"] == "UPS"
    assert asps["n (events)"] == "4 (4)"
    assert asps["Reference n (events)"] == f"{int(ups.sum())} ({int(df.loc[ups, 'pfs_event'].sum())})"
    forest = m.forest_table()
    assert forest["small"].tolist() == m.table["small"].tolist()
    assert forest["label"].iloc[0].endswith("(n=4)")


def test_univariable_rows_match_single_models_and_failures_are_explained():
    df = cohort()
    df["tmb"] = np.nan
    df.loc[df.index[:30], "tmb"] = np.linspace(1, 20, 30)
    table = univariable_cox(df, "PFS", ["line_2", "age", "tmb", "histotype", "sex"], references={"histotype": "UPS"})
    d = design(df)
    cph = CoxPHFitter().fit(pd.DataFrame({"T": df["pfs_months"], "E": df["pfs_event"], "x": (df["line_of_therapy"] >= 3).astype(float)}), "T", "E", fit_options=LIFELINES_AT_MLE)
    row = table.set_index("label").loc["Line of therapy: ≥3 vs 1-2"]
    assert row["hr"] == pytest.approx(cph.hazard_ratios_["x"], rel=1e-6)
    assert row["n"] == len(df)  # univariable: only its own missing values count
    assert table.set_index("label").loc["Age (per year)", "n"] == len(d)
    assert table.set_index("label").loc["TMB (per mutation/Mb)", "n"] == 30
    assert len(table[table["covariate"] == "histotype"]) == 2
    # Sex is not recorded: one row with the reason, no numbers.
    sex = table[table["covariate"] == "sex"].iloc[0]
    assert math.isnan(sex["hr"]) and sex["note"] == "'Sex' is not recorded for any patient in this selection."
    # A level without events cannot be estimated: explained, not a crash.
    df2 = df.copy()
    df2.loc[df2["histotype"] == "LPS", "pfs_event"] = 0
    bad = univariable_cox(df2, "PFS", ["histotype"])
    assert math.isnan(bad["hr"].iloc[0]) and "No events among patients with" in bad["note"].iloc[0]


def test_bad_requests_are_explained():
    df = cohort()
    with pytest.raises(SurvivalInputError, match="at least one covariate"):
        fit_cox(df, "PFS", [])
    with pytest.raises(SurvivalInputError, match="Unknown covariate 'shoe_size'"):
        fit_cox(df, "PFS", ["shoe_size"])
    with pytest.raises(SurvivalInputError, match="both a covariate and the stratification"):
        fit_cox(df, "PFS", ["center"], stratify_by_center=True)
    with pytest.raises(CoxFitError, match="at least 2 events"):
        fit_cox(df.assign(pfs_event=0), "PFS", ["line_2"])
    single = fit_cox(df.assign(center="A"), "PFS", ["line_2"], stratify_by_center=True, check_ph=False)
    assert not single.stratified_by_center and "single centre" in single.notes[0]


def test_covariate_options_lists_groupings_and_numeric_columns():
    opts = covariate_options(cohort())
    assert opts["line_2"].startswith("Line of therapy") and opts["age"] == "Age (per year)"
    assert "tmb" not in opts  # column absent
