"""The sample cohort split into its 10 centres, each centre exporting its aggregate file, and the
files pooled: the seed study's tables come back, and every pooled number equals the patient-row
number of the whole cohort.

Seed numbers are re-typed from the paper (Kokkali et al., Acta Oncologica 2025; text in
/work/shared/seed/), as tests/test_sample_data.py does; the centre-stratified log-rank and the
per-centre Peto hazard ratios are pinned to R (tests/reference/out/survdiff.csv, written by
survdiff.R, and peto_centres.csv, written by peto.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sarcoma.characteristics import characteristics_table
from sarcoma.endpoints import endpoint_data
from sarcoma.federated import (
    DisclosureError,
    export_aggregates,
    peto_by_centre,
    pool,
    read_aggregates,
)
from sarcoma.ingest import load_cohort
from sarcoma.km_summary import survival_by_group
from sarcoma.survival import kaplan_meier, median_follow_up

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"
OUT = ROOT / "tests" / "reference" / "out"
REL = 1e-10  # R writes 15 significant digits


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    data, _ = load_cohort(SAMPLE)
    return data


@pytest.fixture(scope="module")
def pooled(cohort):
    files = [read_aggregates(export_aggregates(rows, centre=centre, min_cell=1, include_post_baseline=True), f"{centre}.json")
             for centre, rows in cohort.groupby("center")]
    assert len(files) == 10
    return pool(files)


def cell(table: pd.DataFrame, characteristic: str, level: str) -> str:
    start = table.index[table["Characteristic"] == characteristic][0]
    for i in range(start, len(table)):
        if i > start and table.at[i, "Characteristic"] != "":
            break
        if table.at[i, "level"] == level:
            return table.iloc[i, 2]
    raise KeyError((characteristic, level))


def test_table1_of_the_pool_is_the_seed_table1(pooled, cohort):
    table, notes = pooled.table1()
    assert table.columns[2] == "All (N = 72)"
    # Seed Table 1: male 44 / female 28; metastatic 63 / locally advanced 9; lung 39, liver 11,
    # other 41; perioperative chemotherapy 23, surgery 57; prior lines median 2 (0-8);
    # anthracycline 45, gemcitabine 22, trabectedin 18, TKI 18, other 37.
    expected = {
        ("Sex", "Male"): "44 (61.1)", ("Sex", "Female"): "28 (38.9)",
        ("Stage", "Metastatic"): "63 (87.5)", ("Stage", "Locally advanced"): "9 (12.5)",
        ("Histological subtype", "UPS"): "12 (16.7)", ("Histological subtype", "LMS"): "12 (16.7)",
        ("Histological subtype", "LPS"): "10 (13.9)", ("Histological subtype", "Angiosarcoma"): "7 (9.7)",
        ("Histological subtype", "Other"): "18 (25.0)",
        ("Site of primary tumour", "Extremities"): "23 (31.9)", ("Site of primary tumour", "Head and neck"): "10 (13.9)",
        ("Metastatic sites", "Lung"): "39 (54.2)", ("Metastatic sites", "Liver"): "11 (15.3)",
        ("Metastatic sites", "Other"): "41 (56.9)",
        ("Adjuvant/neoadjuvant chemotherapy", "Yes"): "23 (31.9)", ("Surgery of the primary tumour", "Yes"): "57 (79.2)",
        ("Number of prior lines of systemic therapy", "median (range)"): "2 (0–8)",
        ("Prior systemic therapies", "Anthracycline-based"): "45 (62.5)",
        ("Prior systemic therapies", "Trabectedin"): "18 (25.0)",
        ("Regimen class", "ICI monotherapy"): "43 (59.7)", ("Regimen class", "ICI + TKI"): "21 (29.2)",
        ("Regimen class", "Double ICI"): "5 (6.9)", ("Regimen class", "ICI + chemotherapy"): "3 (4.2)",
    }
    assert {k: cell(table, *k) for k in expected} == expected
    # Every row but age equals Table 1 from the patient rows; age is from 5-year bands: the
    # seed's 56 (16-94) lies in the band of the median and within the bands' range.
    rows = characteristics_table(cohort)
    age = "Age at ICI initiation (years)"
    same = table["Characteristic"] != age
    pd.testing.assert_frame_equal(table[same].reset_index(drop=True), rows[rows["Characteristic"] != age].reset_index(drop=True))
    value = cell(table, age, "median (range) from 5-year bands")
    median, span = value.split(" ", 1)
    assert 55 <= float(median) < 60 and span == "(15–95)"


def test_best_response_and_orr_of_the_pool_are_the_seed_table4(pooled):
    # Results: 64 assessable, CR 3 + PR 19, ORR 34.4%. Table 4 rows (CR, PR, SD, PD, N/A):
    # monotherapy 2/10/10/19/2, double ICI 0/2/2/1/0, ICI + TKI 1/6/5/3/6, chemotherapy 0/1/2/0/0.
    orr = pooled.objective_response(denominator="evaluable")
    assert (orr.n_cr, orr.n_pr, orr.n_evaluable, orr.n_responders) == (3, 19, 64, 22)
    assert orr.label == "ORR 34.4% (22/64 evaluable; 95% CI 22.9-47.3, Clopper-Pearson)"
    table, _ = pooled.response_table("regimen_class", denominator="all")
    counts = table[["CR", "PR", "SD", "PD", "NE"]]
    assert counts.loc["ICI monotherapy"].tolist() == [2, 10, 10, 19, 2]
    assert counts.loc["Double ICI"].tolist() == [0, 2, 2, 1, 0]
    assert counts.loc["ICI + TKI"].tolist() == [1, 6, 5, 3, 6]
    assert counts.loc["ICI + chemotherapy"].tolist() == [0, 1, 2, 0, 0]


def test_survival_of_the_pool_is_the_seed_survival(pooled, cohort):
    # Results: 46 PFS events, 37 deaths; median PFS 4.6, OS 18.8, follow-up 20.7 months. The
    # pooled curves are the patient-row curves exactly; the sample matches the paper as
    # test_sample_data.py checks (same tolerance).
    pfs, os_ = pooled.kaplan_meier("PFS"), pooled.kaplan_meier("OS")
    assert (pfs.n_events, os_.n_events) == (46, 37)
    row = survival_by_group(cohort, "PFS")
    np.testing.assert_array_equal(pfs.survival, row.curves["All patients"].survival)
    assert pfs.median_text() == row.curves["All patients"].median_text()
    assert abs(pfs.median - 4.6) <= 1.0 and abs(os_.median - 18.8) <= max(0.15 * 18.8, 1.0)
    follow = pooled.follow_up()
    assert follow.median == median_follow_up(cohort["os_months"], cohort["os_event"]).median
    assert abs(follow.median - 20.7) <= max(0.15 * 20.7, 1.0)
    # Line of therapy (PFS p = 0.027, OS p = 0.013 in the paper), best response (PFS p < 0.001)
    # and histotype (OS p = 0.002): significant unstratified, as in the paper.
    for endpoint, grouping, bound in (("PFS", "line_2", 0.05), ("OS", "line_2", 0.05), ("PFS", "responder", 0.001),
                                      ("OS", "histotype", 0.05)):
        res = pooled.logrank(endpoint, grouping, strata=None)
        page = survival_by_group(cohort, endpoint, grouping)
        assert res.statistic == page.test.statistic and res.p_value < bound


@pytest.mark.parametrize("endpoint", ["DoR", "TTF"])
def test_derived_endpoints_pool_to_the_patient_row_curves(pooled, cohort, endpoint):
    # DoR and TTF (issue 14) are endpoints of the registry: each centre derives them from its own
    # dates and shares only their life tables; the pool equals the Kaplan-Meier of all rows
    # (which tests/test_reference_response_dynamics.py pins to R).
    km = pooled.kaplan_meier(endpoint)
    data = endpoint_data(cohort, endpoint)
    ref = kaplan_meier(data["time"].to_numpy(float), data["event"].to_numpy(int))
    assert km.n == len(data) and km.n_events == int(data["event"].sum())
    for field in ("time", "survival", "std_err", "lower", "upper", "at_risk", "events", "censored"):
        np.testing.assert_array_equal(getattr(km, field), getattr(ref, field), err_msg=field)
    assert km.median_text() == ref.median_text()


@pytest.mark.parametrize(("endpoint", "grouping", "weights", "rho"),
                         [("PFS", "line_2", "logrank", 0), ("PFS", "line_2", "fh-rho1", 1), ("OS", "line_2", "logrank", 0),
                          ("OS", "histotype", "logrank", 0), ("OS", "histotype", "fh-rho1", 1)])
def test_centre_stratified_logrank_of_the_pool_equals_r_survdiff(pooled, endpoint, grouping, weights, rho):
    ref = pd.read_csv(OUT / "survdiff.csv")
    row = ref[(ref["dataset"] == "sample") & (ref["endpoint"] == endpoint) & (ref["grouping"] == grouping)
              & (ref["strata"] == "center") & (ref["rho"] == rho)].iloc[0]
    res = pooled.logrank(endpoint, grouping, strata="centre", weights=weights)
    assert res.stratified
    assert res.statistic == pytest.approx(row["chisq"], rel=REL)
    assert res.df == row["df"]
    assert res.p_value == pytest.approx(row["p"], rel=1e-8)


@pytest.mark.parametrize("endpoint", ["PFS", "OS"])
def test_per_centre_peto_hazard_ratios_q_and_i2_equal_r(pooled, endpoint):
    ref = pd.read_csv(OUT / "peto_centres.csv")
    ref = ref[ref["endpoint"] == endpoint].set_index("centre")
    het = peto_by_centre(pooled, endpoint, "line_2", "1-2", "≥3")
    for c in het.centres:
        r = ref.loc[c.centre]
        if np.isnan(r["o_minus_e"]):
            assert c.note  # R: only one group at that centre
            continue
        assert (c.o_minus_e, c.variance, c.hr, c.lower, c.upper) == pytest.approx(
            (r["o_minus_e"], r["variance"], r["hr"], r["lower"], r["upper"]), rel=REL)
    pooled_row = ref.loc["pooled"]
    assert (het.hr, het.lower, het.upper) == pytest.approx((pooled_row["hr"], pooled_row["lower"], pooled_row["upper"]), rel=REL)
    assert het.q == pytest.approx(pooled_row["q"], rel=REL) and het.df == pooled_row["df"]
    assert het.p_value == pytest.approx(pooled_row["p"], rel=1e-8) and het.i2 == pytest.approx(pooled_row["i2"], rel=REL)
    # The fixed-effect Peto pool is the centre-stratified log-rank's own estimate.
    strat = pooled.logrank(endpoint, "line_2", strata="centre")
    assert np.log(het.hr) == pytest.approx(strat.o_minus_e[1] / strat.variance[1, 1], rel=1e-12)


def test_default_protection_refuses_the_two_smallest_centres_and_keeps_the_overall_curves_exact(cohort):
    files, refused = [], []
    for centre, rows in cohort.groupby("center"):
        try:
            files.append(read_aggregates(export_aggregates(rows, centre=centre), f"{centre}.json"))
        except DisclosureError as exc:
            refused.append((centre, str(exc)))
    # Centres H (2 patients) and J (3) are below the default minimum cell size of 5.
    assert [c for c, _ in refused] == ["Centre H (synthetic)", "Centre J (synthetic)"]
    shared = cohort[~cohort["center"].isin([c for c, _ in refused])]
    pooled = pool(files)
    row = survival_by_group(shared, "OS")
    np.testing.assert_array_equal(pooled.kaplan_meier("OS").survival, row.curves["All patients"].survival)
    # By histotype, centres of 6 to 14 patients merge their small groups into "Other (small
    # groups)" or cannot split at all; each centre's note says which.
    notes = pooled.notes_for("PFS", "histotype")
    assert len(notes) >= len(files)
    assert all("counted in 'Other (small groups)'" in n or "not shared, because no split" in n for n in notes)
    assert {n.split(":")[0] for n in notes} == set(pooled.centres)
