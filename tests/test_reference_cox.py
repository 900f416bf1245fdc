"""Cox regression and the proportional-hazards test against R's golden values.

Expected values: tests/reference/out/coxph_coef.csv, coxph_model.csv and cox_zph.csv, written
by tests/reference/coxph.R (R 4.2.2, survival 3.5-3: coxph with Efron ties, summary(coxph),
cox.zph) on the models of tests/reference/coxph_models.csv and the data in
tests/reference/data/. Python reads the identical data files, so the only difference left is
floating-point arithmetic: everything must agree to 1e-8 relative (R itself writes 15 digits).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sarcoma.concordance import concordance
from sarcoma.cox import fit_cox, univariable_cox
from sarcoma.coxfit import fit_coxph
from sarcoma.coxzph import TRANSFORMS, cox_zph
from sarcoma.survival import cox_hazard_ratios

REF = Path(__file__).resolve().parent / "reference"
OUT = REF / "out"
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "sample_cohort.csv"
MODELS = pd.read_csv(REF / "coxph_models.csv", keep_default_na=False, dtype=str).set_index("model")
COEF = pd.read_csv(OUT / "coxph_coef.csv")
MODEL = pd.read_csv(OUT / "coxph_model.csv").set_index("model")
ZPH = pd.read_csv(OUT / "cox_zph.csv")
REL = 1e-8


def load(name: str) -> pd.DataFrame:
    """A reference data set with the columns coxph.R derives (line3, whole-month PFS)."""
    d = pd.read_csv(REF / "data" / f"{name}.csv")
    if "line_of_therapy" in d:
        d["line3"] = (d["line_of_therapy"] >= 3).astype(float)
    if name == "sample_analysis":
        d["pfs_whole_months"] = np.round(d["pfs_months"])  # R's round(): halves to even, as numpy
    return d


def spec(model: str) -> tuple[pd.DataFrame, list[str], dict[str, str], str | None]:
    m = MODELS.loc[model]
    d = load(m["data"])
    factors = dict(f.split("=") for f in m["factors"].split()) if m["factors"] else {}
    for col in factors:
        # Categorical, labelled as R prints the level ("1", not "1.0").
        d[col] = d[col].map(lambda v: v if isinstance(v, str) else (None if pd.isna(v) else f"{v:g}"))
    return d, m["covariates"].split(), factors, m["strata"] or None


def r_term(covariate: str, level: object | None) -> str:
    """R's coefficient name: the column, plus the level for a factor ("treat6-MP")."""
    return covariate if level is None else f"{covariate}{level}"


def close(actual, expected, rel=REL) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rel, atol=0)


RIGHT_CENSORED = [m for m in MODELS.index if not MODELS.loc[m, "start"]]
COUNTING = [m for m in MODELS.index if MODELS.loc[m, "start"]]


@pytest.mark.parametrize("model", RIGHT_CENSORED)
def test_cox_hazard_ratios_match_r_coxph(model):
    d, covs, factors, strata = spec(model)
    m = MODELS.loc[model]
    res = cox_hazard_ratios(d, m["time"], m["event"], covs, strata=strata, reference=factors or None)
    want = COEF[COEF["model"] == model].set_index("term")
    got = res.table.assign(term=[r_term(c, lv) for c, lv in zip(res.table["covariate"], res.table["level"], strict=True)]).set_index("term")
    assert list(got.index) == list(want.index)
    for ours, r in (("coef", "coef"), ("se", "se"), ("hr", "hr"), ("lower", "lower"), ("upper", "upper"), ("p_value", "p")):
        close(got[ours], want[r])
    ref = MODEL.loc[model]
    assert (res.n, res.n_events, res.fit.iterations) == (ref["n"], ref["nevent"], ref["iter"])
    close([res.fit.loglik_null, res.fit.loglik], [ref["loglik_null"], ref["loglik"]])
    lr, wald, score = res.tests
    assert (lr.name, wald.name, score.name) == ("Likelihood ratio test", "Wald test", "Score (log-rank) test")
    close([lr.statistic, wald.statistic, score.statistic], ref[["lr", "wald", "score"]])
    close([lr.p_value, wald.p_value, score.p_value], ref[["lr_p", "wald_p", "score_p"]])
    assert lr.df == wald.df == score.df == ref["lr_df"]
    close([res.concordance, res.concordance_se], ref[["concordance", "concordance_se"]])
    c = concordance(res.fit.time, res.fit.event, res.fit.linear_predictor, res.fit.strata)
    assert [c.concordant, c.discordant, c.tied_x, c.tied_y, c.tied_xy] == ref[
        ["concordant", "discordant", "tied_x", "tied_y", "tied_xy"]
    ].tolist()


@pytest.mark.parametrize("model", RIGHT_CENSORED)
@pytest.mark.parametrize("transform", list(TRANSFORMS))
def test_cox_zph_matches_r(model, transform):
    d, covs, factors, strata = spec(model)
    m = MODELS.loc[model]
    res = cox_hazard_ratios(d, m["time"], m["event"], covs, strata=strata, reference=factors or None)
    # R's terms: one per covariate (a factor with k levels is one term on k - 1 df).
    zph = cox_zph(res.fit, res.terms, transform)
    want = ZPH[(ZPH["model"] == model) & (ZPH["transform"] == transform)].set_index("term")
    assert list(zph.table.index) == list(want.index)
    assert zph.table["df"].tolist() == want["df"].tolist()
    close(zph.table["chisq"], want["chisq"])
    close(zph.table["p"], want["p"])


@pytest.mark.parametrize("model", COUNTING)
def test_counting_process_fit_matches_r_coxph(model):
    # (start, stop] rows (Stanford heart transplant, transplant as a time-dependent covariate):
    # the path of the landmark page's time-dependent Cox model.
    d, covs, factors, _ = spec(model)
    m = MODELS.loc[model]
    x = np.column_stack([(d[c] != factors[c]).astype(float) if c in factors else d[c].astype(float) for c in covs])
    fit = fit_coxph(d[m["time"]], d[m["event"]], x, start=d[m["start"]])
    want = COEF[COEF["model"] == model]
    close(fit.coef, want["coef"])
    close(fit.se, want["se"])
    close(fit.wald_p, want["p"])
    ref = MODEL.loc[model]
    assert fit.iterations == ref["iter"]
    close([fit.loglik_null, fit.loglik], [ref["loglik_null"], ref["loglik"]])
    close([t.statistic for t in fit.model_tests()], ref[["lr", "wald", "score"]])


# --------------------------------------------------------------------------- public API, sample


@pytest.fixture(scope="module")
def cohort():
    from sarcoma.ingest import load_cohort

    return load_cohort(SAMPLE)[0]


PINNED = {
    # issue 11: R 4.2.2 / survival 3.5-3, cox.zph(coxph(Surv(pfs, event) ~ line3 + age, ...)).
    "sample_pfs": ((0.2761, 0.2057), 0.2511),
    "sample_pfs_center": ((0.6330, 0.1429), 0.3138),
    "sample_pfs_whole_months": ((0.0950, 0.0310), 0.0216),
}


@pytest.mark.parametrize("model", list(PINNED))
def test_fit_cox_on_the_sample_gives_rs_ph_test(cohort, model):
    data = cohort.assign(pfs_months=np.round(cohort["pfs_months"])) if "whole" in model else cohort
    m = fit_cox(data, "PFS", ["line_2", "age"], stratify_by_center="center" in model)
    terms, global_p = PINNED[model]
    line, age = "Line of therapy: ≥3 vs 1-2", "Age (per year)"
    assert m.table.loc[[line, age], "ph_p_value"].round(4).tolist() == list(terms)
    assert round(m.ph.global_test.p_value, 4) == global_p
    assert m.ph.time_transform == "km" and "Grambsch-Therneau" in m.ph.describe()
    # ...and to R's full precision, with every coefficient and test of summary(coxph).
    want = COEF[COEF["model"] == model].set_index("term")
    close(m.table.loc[[line, age], "coef"], want.loc[["line3", "age"], "coef"])
    close(m.table.loc[[line, age], "p_value"], want.loc[["line3", "age"], "p"])
    zph = ZPH[(ZPH["model"] == model) & (ZPH["transform"] == "km")].set_index("term")
    close(m.table.loc[[line, age], "ph_p_value"], zph.loc[["line3", "age"], "p"])
    close(m.ph.global_test.p_value, zph.loc["GLOBAL", "p"])
    ref = MODEL.loc[model]
    close([t.p_value for t in m.tests], ref[["lr_p", "wald_p", "score_p"]])


@pytest.mark.parametrize("transform", list(TRANSFORMS))
def test_fit_cox_transform_choice_is_rs(cohort, transform):
    m = fit_cox(cohort, "PFS", ["line_2", "age"], ph_transform=transform)
    zph = ZPH[(ZPH["model"] == "sample_pfs") & (ZPH["transform"] == transform)].set_index("term")
    close(m.ph.table["p_value"], zph.loc[["line3", "age"], "p"])
    assert m.ph.time_transform == transform
    assert f"Grambsch-Therneau, {transform}" in " ".join(m.display().columns)


def test_univariable_rows_are_rs_single_covariate_models(cohort):
    uni = univariable_cox(cohort, "PFS", ["line_2", "age"]).set_index("label")
    for label, model, term in (("Line of therapy: ≥3 vs 1-2", "sample_pfs_line3", "line3"), ("Age (per year)", "sample_pfs_age", "age")):
        row, ref = uni.loc[label], MODEL.loc[model]
        want = COEF[COEF["model"] == model].set_index("term").loc[term]
        close(row[["coef", "se", "hr", "lower", "upper", "p_value"]], want[["coef", "se", "hr", "lower", "upper", "p"]])
        close(row[["lr_statistic", "score_statistic", "lr_p_value", "score_p_value"]], ref[["lr", "score", "lr_p", "score_p"]])
        close(row[["concordance", "concordance_se"]], ref[["concordance", "concordance_se"]])
        assert row["df"] == 1 and (row["n"], row["n_events"]) == (ref["n"], ref["nevent"])


def test_coefficients_sit_at_the_maximum_not_where_lifelines_stopped():
    # The example: lifelines stopped at -0.111671 where R's maximum is -0.111791. Our
    # fit must sit at the maximum: the Newton step left there is zero to rounding.
    d = load("cox_cohort")
    res = cox_hazard_ratios(d, "pfs_months", "pfs_event", ["line3", "age"])
    fit = res.fit
    _, score, imat = fit.risk_sets.derivatives(fit.x, fit.coef)
    newton_step = np.linalg.solve(imat, score)
    assert np.abs(newton_step).max() < 1e-8 * max(1.0, float(np.abs(fit.coef).max()))
    assert not math.isnan(res.concordance)


def test_ph_test_not_computable_where_r_stops():
    # R 4.2.2 / survival 3.5-3: cox.zph(coxph(Surv(time, event) ~ line3 + age, d)) on these 8
    # patients (event times 2, 4, 6; one patient left at 6) stops with "system is
    # computationally singular: reciprocal condition number = 7.14191e-21"; with the identity
    # transform "exactly singular". The model itself fits (R: line3 2.49194214, age -0.06906343).
    d = pd.DataFrame(
        {"pfs_months": [4, 2, 2, 2, 6, 2, 2, 4.0], "pfs_event": 1, "line_of_therapy": [1, 1, 3, 3, 1, 1, 1, 1],
         "age": [71, 36, 78, 72, 71, 66, 41, 65.0]}
    )
    m = fit_cox(d, "PFS", ["line_2", "age"])
    close(m.table["coef"], [2.49194214, -0.06906343], rel=5e-8)
    assert m.ph is None and np.isnan(m.table["ph_p_value"]).all()
    assert any(n.startswith("Proportional-hazards test not computed: too few distinct event times") for n in m.notes)
    assert m.display()["PH test p"].eq("not computed").all()


def test_near_equal_times_are_tied_as_r_timefix():
    # R 4.2.2 / survival 3.5-3 (coxph's default timefix = aeqSurv):
    #   d <- data.frame(time = c(0.1 + 0.2, 0.3, 0.5, 0.7, 0.3 + 1e-12, 1, 1.2, 2),
    #                   event = c(1, 1, 1, 0, 1, 1, 0, 1), x = c(1, 0, 1, 0, 0, 1, 1, 0))
    #   coef(coxph(Surv(time, event) ~ x, d))    0.128660207113551  (three tied deaths at 0.3)
    #   cox.zph(fit)$table["x", "p"]             0.210791623578274
    #   fit$concordance: 5 concordant, 6 discordant, 10 tied.x, 2 tied.y, 1 tied.xy
    d = pd.DataFrame(
        {"time": [0.1 + 0.2, 0.3, 0.5, 0.7, 0.3 + 1e-12, 1, 1.2, 2], "event": [1, 1, 1, 0, 1, 1, 0, 1],
         "x": [1, 0, 1, 0, 0, 1, 1, 0.0]}
    )
    res = cox_hazard_ratios(d, "time", "event", ["x"])
    close(res.table["coef"], [0.128660207113551])
    close(cox_zph(res.fit, res.terms).table.loc["x", "p"], 0.210791623578274)
    c = concordance(res.fit.time, res.fit.event, res.fit.linear_predictor)
    assert (c.concordant, c.discordant, c.tied_x, c.tied_y, c.tied_xy) == (5, 6, 10, 2, 1)
    # Without the fix the three deaths at "0.3" are not tied and the estimate moves.
    assert fit_coxph(d["time"], d["event"], d[["x"]], timefix=False).coef[0] != pytest.approx(0.128660207113551, rel=1e-3)
