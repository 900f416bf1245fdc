"""The synthetic sample cohort in sample_data/ against the seed paper's published numbers.

Seed paper: Kokkali et al., "Immune checkpoint inhibitors in advanced sarcomas: a pooled
retrospective analysis", Acta Oncologica 2025 (doi 10.2340/1651-226X.2025.43135); text in
/work/shared/seed/000_9264d1025e17d674.txt. Every expected number below is re-typed from the
paper (table or sentence cited at each group), not taken from the generator. The files are read
with the project's own reader, `sarcoma.ingest.load_cohort`, exactly as the app reads them;
survival statistics are computed with lifelines.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from scipy.stats import chi2_contingency

from sarcoma import schema
from sarcoma.ingest import load_adverse_events, load_cohort
from sarcoma.synthetic import build_seed_cohort, seed_cohort_csv_text

DATA = Path(__file__).resolve().parent.parent / "sample_data"
CSV = DATA / "sample_cohort.csv"
XLSX = DATA / "sample_cohort.xlsx"
AE_CSV = DATA / "sample_adverse_events.csv"


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    df, report = load_cohort(CSV)
    # The reader takes every row for PFS and OS; only the 8 NE patients leave the response analysis.
    assert report.rows_read == 72 and report.rows_excluded == 0
    # DoR and TTF (issue 14): the 50 non-responders are outside DoR's scope; every patient has a TTF.
    assert report.excluded == {"PFS": 0, "OS": 0, "Response": 8, "DoR": 50, "TTF": 0}
    assert report.not_eligible == {"DoR": {"not a responder (best response not CR or PR)": 50}}
    assert report.unmatched_columns == [] and report.invariant_problems() == []
    return df.drop(columns="source_row")


@pytest.fixture(scope="module")
def ae() -> pd.DataFrame:
    events, report = load_adverse_events(AE_CSV, patient_ids=load_cohort(CSV)[0]["patient_id"])
    assert report.excluded == {"AE": 0}
    return events.drop(columns="source_row")


def counts(series: pd.Series) -> dict:
    return {k: int(v) for k, v in series.value_counts().items()}


def n_true(series: pd.Series) -> int:
    return int(series.astype(bool).sum())


# --------------------------------------------------------------------------- file format


def test_file_uses_exactly_the_canonical_columns_and_vocabularies(cohort):
    raw = pd.read_csv(CSV)
    # Every canonical column. Since issue 14 that includes the response and treatment end dates,
    # which the paper does not give: drawn consistently with it (test_response_and_treatment_end_dates).
    assert list(raw.columns) == list(schema.COLUMN_NAMES)
    assert raw["patient_id"].is_unique and raw["patient_id"].str.fullmatch(r"SYN-\d{3}").all()
    # Clearly synthetic: every centre says so; 10 centres as in the seed (Methods).
    assert raw["center"].str.endswith("(synthetic)").all() and raw["center"].nunique() == 10
    for col in schema.COLUMNS:
        if col.allowed:
            assert set(cohort[col.name].dropna()) <= set(col.allowed), col.name
    # Nothing the reader had to guess: the parsed values equal the raw ones.
    assert (cohort["histotype"].to_numpy() == raw["histotype"].to_numpy()).all()
    assert (cohort["regimen_class"].to_numpy() == raw["regimen_class"].to_numpy()).all()


def test_committed_files_are_exactly_what_the_frozen_search_regenerates():
    cohort_text, ae_text = seed_cohort_csv_text()
    assert CSV.read_text(encoding="utf-8") == cohort_text
    assert AE_CSV.read_text(encoding="utf-8") == ae_text


def test_xlsx_twin_holds_the_same_patients_and_events(cohort, ae):
    xl, report = load_cohort(XLSX)
    assert report.sheets == ["patients", "adverse_events"]
    pd.testing.assert_frame_equal(xl.drop(columns="source_row"), cohort)
    events = report.adverse_events.drop(columns="source_row")
    pd.testing.assert_frame_equal(events.reset_index(drop=True), ae.reset_index(drop=True))


def test_build_seed_cohort_returns_the_file_contents(cohort):
    patients, events = build_seed_cohort()
    assert list(patients.columns) == list(schema.COLUMN_NAMES)
    assert list(events.columns) == [c.name for c in schema.AE_COLUMNS]
    np.testing.assert_allclose(patients["os_months"], cohort["os_months"].astype(float))
    assert (patients["patient_id"].to_numpy() == cohort["patient_id"].to_numpy()).all()


# --------------------------------------------------------------------------- Table 1


def test_table1_demographics_and_stage(cohort):
    # Table 1: male 44 / female 28; age median 56 (16-94); metastatic 63 / locally advanced 9.
    assert counts(cohort["sex"]) == {"Male": 44, "Female": 28}
    age = cohort["age"].astype(float)
    assert (age.median(), age.min(), age.max()) == (56, 16, 94)
    assert counts(cohort["disease_stage"]) == {"Metastatic": 63, "Locally advanced": 9}


def test_table1_histotypes_and_footnote(cohort):
    # Table 1: UPS 12, LMS 12 (uLMS 5), LPS 10 (DDLPS 7), AS 7, Kaposi 4, undifferentiated
    # sarcoma 3, ASPS 3, MFS 3, other 18; footnote 1 lists the 18 "other" histotypes.
    assert counts(cohort["histotype"]) == {
        "UPS": 12, "LMS": 12, "LPS": 10, "Angiosarcoma": 7, "Other": 18, "Kaposi sarcoma": 4,
        "Undifferentiated sarcoma": 3, "ASPS": 3, "Myxofibrosarcoma": 3,
    }
    detail = cohort["histotype_detail"]
    assert n_true((cohort["histotype"] == "LMS") & (detail == "uterine LMS")) == 5
    assert n_true((cohort["histotype"] == "LPS") & (detail == "DDLPS")) == 7
    assert counts(detail[cohort["histotype"] == "Other"]) == {
        "Chordoma": 2, "Epithelioid sarcoma": 2, "Fibrosarcoma": 2, "Pleomorphic dermal sarcoma": 2,
        "Rhabdomyosarcoma": 2, "Clear cell sarcoma-like tumour of the GI tract": 1,
        "Dedifferentiated chondrosarcoma": 1, "Desmoplastic small round cell tumour": 1,
        "Fibromyxoid sarcoma": 1, "Intimal sarcoma of the heart": 1, "Malignant granular cell tumour": 1,
        "MPNST": 1, "Synovial sarcoma": 1,
    }
    # Results: three bone sarcomas (two chordomas, one dedifferentiated chondrosarcoma).
    assert n_true(detail.isin(["Chordoma", "Dedifferentiated chondrosarcoma"])) == 3


def test_table1_primary_sites(cohort):
    # Table 1: extremities 23, trunk 18, retroperitoneum 14, head and neck 10, uterus 6, spermatic
    # cord 1. (The Discussion's "head and neck (15.3%)" would be 11; the table's 10 is followed.)
    assert counts(cohort["primary_site"]) == {
        "Extremities": 23, "Trunk": 18, "Retroperitoneum": 14, "Head and neck": 10, "Uterus": 6,
        "Spermatic cord": 1,
    }
    assert (cohort.loc[cohort["primary_site"] == "Uterus", "sex"] == "Female").all()
    assert (cohort.loc[cohort["histotype_detail"] == "uterine LMS", "primary_site"] == "Uterus").all()


def test_table1_metastatic_sites(cohort):
    # Table 1: lung 39, liver 11, other 41; number of metastatic sites median 2 (range 1-4). The
    # range starts at 1, so it is among the 63 metastatic patients; the 9 locally advanced have
    # no metastases and n_met_sites 0 (over all 72 the median would be 1).
    assert n_true(cohort["met_lung"]) == 39
    assert n_true(cohort["met_liver"]) == 11
    assert n_true(cohort["met_other"]) == 41
    metastatic = cohort["disease_stage"] == "Metastatic"
    n_sites = cohort.loc[metastatic, "n_met_sites"].astype(int)
    assert (n_sites.median(), n_sites.min(), n_sites.max()) == (2, 1, 4)
    local = cohort[~metastatic]
    assert (local["n_met_sites"] == 0).all()
    assert not local[["met_lung", "met_liver", "met_other"]].astype(bool).any().any()
    # "Other" may hold several sites (bone, nodes, ...), so sites >= flags.
    flags = cohort.loc[metastatic, ["met_lung", "met_liver", "met_other"]].astype(int).sum(axis=1)
    assert (flags >= 1).all() and (n_sites >= flags).all()


def test_table1_treatment_history(cohort):
    # Table 1: perioperative chemotherapy 23, surgery of the primary 57, prior lines median 2
    # (0-8), prior anthracycline 45, gemcitabine 22, trabectedin 18, TKI 18, other 37.
    assert n_true(cohort["periop_chemo"]) == 23
    assert n_true(cohort["primary_surgery"]) == 57
    assert not (cohort["periop_chemo"].astype(bool) & ~cohort["primary_surgery"].astype(bool)).any()
    prior = cohort["prior_lines"].astype(int)
    assert (prior.median(), prior.min(), prior.max()) == (2, 0, 8)
    # Discussion: 38.9% (28 of 72) had ICI as first or second line.
    assert int((prior <= 1).sum()) == 28 and int((prior >= 2).sum()) == 44
    assert (cohort["line_of_therapy"] == prior + 1).all()
    classes = ["prior_anthracycline", "prior_gemcitabine", "prior_trabectedin", "prior_tki", "prior_other"]
    assert {c: n_true(cohort[c]) for c in classes} == {
        "prior_anthracycline": 45, "prior_gemcitabine": 22, "prior_trabectedin": 18, "prior_tki": 18,
        "prior_other": 37,
    }
    n_classes = cohort[classes].astype(int).sum(axis=1)
    assert (n_classes <= prior).all() and (n_classes[prior > 0] >= 1).all()


# --------------------------------------------------------------------------- regimens, Table 4


def test_regimens(cohort):
    # Results ("Patients' characteristics"): monotherapy 43 (pembrolizumab 27, nivolumab 15),
    # ICI + TKI 21 (pembrolizumab/axitinib 12, nivolumab/cabozantinib 7, nivolumab/sunitinib 1,
    # atezolizumab/pazopanib 1), double ICI 5 (nivolumab/ipilimumab), ICI + chemotherapy 3.
    # The paper names only 42 monotherapy agents for 43 patients; the 43rd is atezolizumab here
    # (the Methods list atezolizumab among the ICIs used; it is the ICI approved for ASPS).
    assert counts(cohort["regimen_class"]) == {
        "ICI monotherapy": 43, "ICI + TKI": 21, "Double ICI": 5, "ICI + chemotherapy": 3,
    }
    assert counts(cohort["regimen"]) == {
        "pembrolizumab": 27, "nivolumab": 15, "pembrolizumab + axitinib": 12,
        "nivolumab + cabozantinib": 7, "nivolumab + ipilimumab": 5, "atezolizumab": 1,
        "nivolumab + sunitinib": 1, "atezolizumab + pazopanib": 1, "atezolizumab + eribulin": 1,
        "nivolumab + ifosfamide": 1, "nivolumab + gemcitabine + docetaxel": 1,
    }
    assert cohort.loc[cohort["regimen"] == "atezolizumab", "histotype"].tolist() == ["ASPS"]


def test_table4_best_response_by_regimen_class(cohort):
    # Table 4 rows (CR, PR, SD, PD, N/A): monotherapy 2/10/10/19/2, double ICI 0/2/2/1/0,
    # TKI combination 1/6/5/3/6, chemotherapy combination 0/1/2/0/0. The rows add up to SD 19 and
    # PD 23, but the printed total row and the Results text say SD 18 (28.1%) and PD 25 (39.1%),
    # which with CR 3 + PR 19 makes 65, not the 64 evaluable: the paper contradicts itself and
    # the rows are followed here.
    tab = pd.crosstab(cohort["regimen_class"], cohort["best_response"])
    tab = tab.reindex(columns=list(schema.BEST_RESPONSES), fill_value=0)
    assert tab.loc["ICI monotherapy"].tolist() == [2, 10, 10, 19, 2]
    assert tab.loc["Double ICI"].tolist() == [0, 2, 2, 1, 0]
    assert tab.loc["ICI + TKI"].tolist() == [1, 6, 5, 3, 6]
    assert tab.loc["ICI + chemotherapy"].tolist() == [0, 1, 2, 0, 0]
    assert counts(cohort["best_response"]) == {"PD": 23, "PR": 19, "SD": 19, "NE": 8, "CR": 3}
    # Results: 64 assessable patients, 3 CR + 19 PR, ORR 34.4%.
    evaluable = cohort["best_response"].isin(["CR", "PR", "SD", "PD"])
    assert int(evaluable.sum()) == 64
    assert round(100 * n_true(cohort["best_response"].isin(["CR", "PR"])) / 64, 1) == 34.4


def test_orr_by_regimen_is_not_significant(cohort):
    # Results: "the difference in ORR was not statistically significant (p = 0.64)" (chi-square).
    # On Table 4's rows (responders vs SD/PD among the 64 evaluable) scipy gives p = 0.671; the
    # 0.03 gap is expected since the paper's own ORR percentages disagree with its Table 4.
    ev = cohort[cohort["best_response"].isin(["CR", "PR", "SD", "PD"])]
    tab = pd.crosstab(ev["regimen_class"], ev["best_response"].isin(["CR", "PR"]))
    p = chi2_contingency(tab.to_numpy()).pvalue
    assert p == pytest.approx(0.671, abs=0.001)
    assert abs(p - 0.64) < 0.05


# --------------------------------------------------------------------------- Tables 2 and 3


def table3_label(row: pd.Series) -> str:
    """The histotype as Table 3 writes it."""
    if row["histotype"] == "Other":
        return row["histotype_detail"]
    if row["histotype_detail"] == "DDLPS":
        return "DDLPS"
    return {"Angiosarcoma": "AS", "Myxofibrosarcoma": "MFS"}.get(row["histotype"], row["histotype"])


def test_table2_responders_by_histotype(cohort):
    # Table 2: UPS CR 2 PR 5; LMS PR 4 (uLMS PR 1); LPS PR 3 (DDLPS PR 3); AS PR 2; Kaposi PR 1;
    # undifferentiated sarcoma CR 1; ASPS PR 1; pleomorphic dermal sarcoma PR 1; dedifferentiated
    # chondrosarcoma PR 1; MFS PR 1. Everyone else (e.g. both chordomas, Discussion) did not respond.
    resp = cohort[cohort["best_response"].isin(["CR", "PR"])]
    got = Counter(zip(resp["histotype"], resp["best_response"], strict=True))
    assert got == Counter({
        ("UPS", "CR"): 2, ("UPS", "PR"): 5, ("LMS", "PR"): 4, ("LPS", "PR"): 3,
        ("Angiosarcoma", "PR"): 2, ("Kaposi sarcoma", "PR"): 1, ("Undifferentiated sarcoma", "CR"): 1,
        ("ASPS", "PR"): 1, ("Myxofibrosarcoma", "PR"): 1, ("Other", "PR"): 2,
    })
    assert counts(resp.loc[resp["histotype"] == "Other", "histotype_detail"]) == {
        "Pleomorphic dermal sarcoma": 1, "Dedifferentiated chondrosarcoma": 1,
    }
    assert counts(resp["histotype_detail"].where(resp["histotype"].isin(["LMS", "LPS"])).dropna()) == {
        "non-uterine LMS": 3, "DDLPS": 3, "uterine LMS": 1,
    }


# Table 3, row by row: best response, PD-L1, TMB (mut/Mb), MSI, histotype (N/A -> None).
TABLE3 = [
    ("CR", None, None, "High", "Undifferentiated sarcoma"),
    ("CR", None, None, None, "UPS"),
    ("CR", None, None, None, "UPS"),
    ("PR", None, None, None, "DDLPS"),
    ("PR", None, None, None, "UPS"),
    ("PR", None, None, None, "AS"),
    ("PR", "20%", None, None, "UPS"),
    ("PR", None, None, None, "LMS"),
    ("PR", None, 8.9, None, "AS"),
    ("PR", ">95%", 38.8, None, "Pleomorphic dermal sarcoma"),
    ("PR", None, None, None, "DDLPS"),
    ("PR", None, 1.4, None, "Dedifferentiated chondrosarcoma"),
    ("PR", None, None, None, "UPS"),
    ("PR", "TC <1%, IC = 1%", 13.4, "Low", "DDLPS"),
    ("PR", None, 0.0, "Low", "ASPS"),
    ("PR", None, None, None, "MFS"),
    ("PR", None, None, "High", "LMS"),
    ("PR", None, None, None, "UPS"),
    ("PR", None, None, None, "LMS"),
    ("PR", None, None, None, "UPS"),
    ("PR", None, None, None, "Kaposi sarcoma"),
    ("PR", "0%", None, "Low", "LMS"),
]


def _none(value: object) -> object:
    return None if pd.isna(value) else value


def test_table3_biomarkers_of_the_22_responders(cohort):
    resp = cohort[cohort["best_response"].isin(["CR", "PR"])]
    got = Counter(
        (r["best_response"], _none(r["pdl1"]), _none(r["tmb"]), _none(r["msi"]), table3_label(r))
        for _, r in resp.iterrows()
    )
    assert got == Counter(TABLE3)


def pdl1_at_least_1pct(text: object) -> bool | None:
    """Independent reading of the PD-L1 strings used here: positive if any score is >= 1%."""
    if not isinstance(text, str):
        return None
    scores = re.findall(r"(<|>|=)?\s*(\d+(?:\.\d+)?)\s*%", text)
    if not scores:
        raise AssertionError(f"unreadable PD-L1 {text!r}")
    return any(float(v) >= 1 and cmp != "<" for cmp, v in scores)


def test_biomarker_counts_in_the_text(cohort):
    # Results: "For 24 patients there were available biomarkers ... Only two tumors were MSI-high,
    # 11 were positive for PD-L1 (>= 1%) and six had TMB > 10 mutations/Mb in 17 patients in total
    # (two of them were positive for two immunotherapy biomarkers)." Both readings of "17" hold:
    # 17 patients had TMB measured, and 2 + 11 + 6 - 2 = 17 patients were positive for at least
    # one biomarker. Table 3's "TC < 1%, IC = 1%" is counted as PD-L1 >= 1% (immune cells 1%),
    # which makes Table 3's rows 10 and 14 the two double positives.
    has_any = cohort[["pdl1", "tmb", "msi"]].notna().any(axis=1)
    assert int(has_any.sum()) == 24
    msi_high = cohort["msi"] == "High"
    pdl1_pos = cohort["pdl1"].map(lambda v: pdl1_at_least_1pct(v) is True).astype(bool)
    tmb_high = cohort["tmb"].astype(float) > 10
    assert n_true(msi_high) == 2 and n_true(pdl1_pos) == 11 and n_true(tmb_high) == 6
    assert int(cohort["tmb"].notna().sum()) == 17
    n_positive = msi_high.astype(int) + pdl1_pos.astype(int) + tmb_high.astype(int)
    assert int((n_positive >= 1).sum()) == 17 and int((n_positive == 2).sum()) == 2
    # "Biomarker data were available for eight responders and five of them were positive": Table 3
    # itself shows a result for nine responders (rows 1, 7, 9, 10, 12, 14, 15, 17, 22); the table
    # is followed. Five of them are positive, as the text says.
    resp = cohort["best_response"].isin(["CR", "PR"])
    assert int((has_any & resp).sum()) == 9
    assert int(((n_positive >= 1) & resp).sum()) == 5


# --------------------------------------------------------------------------- discontinuation


def test_treatment_status_and_discontinuation(cohort):
    # Results: 15 still on ICI; 57 stopped: progression 43, toxicity 7, death 4, treatment
    # completed 2, patient's preference 1.
    on = cohort["on_treatment"].astype(bool)
    assert int(on.sum()) == 15
    assert cohort.loc[on, "discontinuation_reason"].isna().all()
    assert counts(cohort.loc[~on, "discontinuation_reason"]) == {
        "Progression": 43, "Toxicity": 7, "Death": 4, "Treatment completed": 2, "Patient preference": 1,
    }
    # Patients still on ICI have neither progressed nor died; those who stopped for death died.
    assert (cohort.loc[on, ["pfs_event", "os_event"]] == 0).all().all()
    died = cohort["discontinuation_reason"] == "Death"
    assert (cohort.loc[died, ["pfs_event", "os_event"]] == 1).all().all()
    assert (cohort.loc[died, "pfs_months"] == cohort.loc[died, "os_months"]).all()


def test_response_and_treatment_end_dates(cohort):
    # Not in the paper (invented, see sample_data/README.md), but consistent with what it says:
    # the 22 responders (CR 3 + PR 19) have a date of first response, nobody else does ...
    responder = cohort["best_response"].isin(["CR", "PR"])
    assert cohort["response_date"].notna().tolist() == responder.tolist()
    start, resp = cohort["treatment_start"], cohort["response_date"]
    end_pfs = cohort["progression_date"].fillna(cohort["death_date"]).fillna(cohort["last_follow_up"])
    assert ((resp - start).dt.days[responder] >= 42).all()  # not before the first scan at 6 weeks
    assert ((end_pfs - resp).dt.days[responder] >= 14).all()  # well before progression
    # ... and the 57 who stopped (progression 43, toxicity 7, death 4, completed 2, preference 1)
    # have a treatment end date, the 15 still on treatment none.
    on = cohort["on_treatment"].astype(bool)
    assert cohort["treatment_end"].isna().tolist() == on.tolist()
    end = cohort["treatment_end"]
    assert (end[~on] >= start[~on]).all() and (end[~on] <= cohort["last_follow_up"][~on]).all()
    reason = cohort["discontinuation_reason"]
    assert (end[reason == "Death"] == cohort["death_date"][reason == "Death"]).all()  # died on treatment
    radiological = (reason == "Progression") & cohort["progression_date"].notna()
    gap = (cohort["progression_date"] - end).dt.days[radiological]
    assert gap.between(0, 21).all()  # the last dose at, or up to three weeks before, the progression scan
    completed = (end - start).dt.days[reason == "Treatment completed"]
    assert completed.between(710, 750).all()  # two years of ICI
    assert ((end <= cohort["death_date"]) | cohort["death_date"].isna()).all()


# --------------------------------------------------------------------------- toxicity


DELAY_EVENTS = {  # Results, Toxicity: the seven delays (Cushing's grade not given: 2 here)
    "Adrenal insufficiency": 2, "Immune-mediated encephalitis (suspected)": 3, "Oral mucositis": 2,
    "Colitis": 3, "Memory impairment": 3, "Diarrhoea": 2, "Cushing's syndrome": 2,
}
DISCONTINUATION_EVENTS = {  # Results, Toxicity: the six permanent discontinuations
    "Immune-mediated encephalitis (suspected)": 3, "Cellulitis-like skin disorder (suspected)": 2,
    "Colitis": 3, "Memory impairment": 3, "Pneumonitis": 3, "Myositis": 3,
}


def test_adverse_event_table_matches_the_toxicity_text(ae):
    # Results, Toxicity: 24 patients with at least one AE, 36 AEs in total, five grade 3-4 AEs
    # in five patients; seven patients delayed and six discontinued for an AE.
    assert len(ae) == 36 and ae["patient_id"].nunique() == 24
    severe = ae[ae["grade"] >= 3]
    assert len(severe) == 5 and severe["patient_id"].nunique() == 5
    delays = ae[ae["led_to_delay"].astype(bool)]
    assert delays["patient_id"].nunique() == 7
    assert dict(zip(delays["term"], delays["grade"].astype(int), strict=True)) == DELAY_EVENTS
    stops = ae[ae["led_to_discontinuation"].astype(bool)]
    assert stops["patient_id"].nunique() == 6
    assert dict(zip(stops["term"], stops["grade"].astype(int), strict=True)) == DISCONTINUATION_EVENTS
    # The grade 3 events named in the text are exactly the five grade 3-4 AEs: encephalitis,
    # colitis and memory impairment each delayed and then stopped ICI (one event each).
    assert set(severe["term"]) == {t for t, g in DISCONTINUATION_EVENTS.items() if g == 3}
    assert len(delays) + len(stops) - 3 == len(ae[ae["led_to_delay"].astype(bool) | ae["led_to_discontinuation"].astype(bool)])
    assert (ae["grade"].between(1, 5)).all()
    # No patient has the same term twice.
    assert not ae.duplicated(["patient_id", "term"]).any()


def test_patient_ae_flags_agree_with_the_event_table(cohort, ae):
    per = ae.assign(grade=ae["grade"].astype(int)).groupby("patient_id").agg(
        max_grade=("grade", "max"), delay=("led_to_delay", "any"), stop=("led_to_discontinuation", "any")
    )
    c = cohort.set_index("patient_id")
    assert set(per.index) <= set(c.index)
    per = per.reindex(c.index)
    assert (c["any_ae"].astype(bool) == per["max_grade"].notna()).all()
    assert (c["max_ae_grade"].astype(int) == per["max_grade"].fillna(0).astype(int)).all()
    assert (c["ae_delay"].astype(bool) == per["delay"].fillna(False).astype(bool)).all()
    assert (c["ae_discontinuation"].astype(bool) == per["stop"].fillna(False).astype(bool)).all()
    # Patient-level totals (Results, Toxicity and Discontinuation): any AE 24 (33.3%), delay 7,
    # AE discontinuation 6 (8.3%); the 7 toxicity stops are those 6 plus the secondary AML
    # (anthracycline-related, so not an ICI adverse event and not in the AE table).
    assert n_true(c["any_ae"]) == 24 and n_true(c["ae_delay"]) == 7 and n_true(c["ae_discontinuation"]) == 6
    tox = c["discontinuation_reason"] == "Toxicity"
    assert int(tox.sum()) == 7
    assert n_true(c.loc[tox, "ae_discontinuation"]) == 6
    aml = c[tox & ~c["ae_discontinuation"].astype(bool)]
    assert len(aml) == 1 and bool(aml["prior_anthracycline"].iat[0])
    assert n_true(c["ae_discontinuation"] & ~tox) == 0


# --------------------------------------------------------------------------- survival data


def test_survival_events_and_consistency(cohort):
    # Results: 46 patients had PD (PFS events) and 37 died.
    assert int(cohort["pfs_event"].sum()) == 46
    assert int(cohort["os_event"].sum()) == 37
    assert (cohort["pfs_months"] <= cohort["os_months"]).all()
    assert (cohort["pfs_event"] >= cohort["os_event"]).all()
    # 43 progression stops + 4 deaths on treatment would be 47 PFS events; the paper reports 46,
    # so one "progression" stop is clinical deterioration before any scan (best response NE),
    # never radiologically confirmed, alive when last seen: censored for PFS.
    prog = cohort["discontinuation_reason"] == "Progression"
    clinical = cohort[prog & (cohort["pfs_event"] == 0)]
    assert len(clinical) == 1
    assert clinical["best_response"].iat[0] == "NE" and clinical["os_event"].iat[0] == 0
    assert cohort.loc[prog, "progression_date"].notna().sum() == 42


def test_dates_agree_with_the_months_columns(cohort):
    start = cohort["treatment_start"]
    assert start.min() >= pd.Timestamp("2018-05-01") and start.max() <= pd.Timestamp("2024-06-30")
    end_os = cohort["death_date"].fillna(cohort["last_follow_up"])
    end_pfs = cohort["progression_date"].fillna(cohort["death_date"]).fillna(cohort["last_follow_up"])
    # Months are days / 30.4375 rounded to 2 decimals.
    for months, end in (("os_months", end_os), ("pfs_months", end_pfs)):
        days = (end - start).dt.days
        assert (abs(days / schema.DAYS_PER_MONTH - cohort[months]) <= 0.005 + 1e-9).all(), months
    assert ((cohort["os_event"] == 1) == cohort["death_date"].notna()).all()
    assert (cohort["death_date"].isna() | (cohort["death_date"] == cohort["last_follow_up"])).all()


def test_best_percentage_change_follows_recist(cohort):
    # RECIST 1.1: CR = disappearance (-100 %), PR >= 30 % decrease, PD >= 20 % increase,
    # SD in between; NE has no measurement.
    br, pct = cohort["best_response"], cohort["best_pct_change"].astype(float)
    assert (pct[br == "CR"] == -100).all()
    assert pct[br == "PR"].between(-99.9, -30).all()
    assert ((pct[br == "SD"] > -30) & (pct[br == "SD"] < 20)).all()
    assert (pct[br == "PD"] >= 20).all()
    assert pct[br == "NE"].isna().all() and pct[br != "NE"].notna().all()


# --------------------------------------------------------------------------- KM and log-rank


def km_median(df: pd.DataFrame, endpoint: str, reverse: bool = False) -> float:
    t, e = (f"{endpoint}_months", f"{endpoint}_event")
    event = df[e].astype(int)
    return KaplanMeierFitter().fit(df[t].astype(float), 1 - event if reverse else event).median_survival_time_


def logrank_p(df: pd.DataFrame, endpoint: str, groups: pd.Series) -> float:
    keep = groups.notna()
    t, e = (f"{endpoint}_months", f"{endpoint}_event")
    return multivariate_logrank_test(
        df.loc[keep, t].astype(float), groups[keep].astype(str), df.loc[keep, e].astype(int)
    ).p_value


def groups(df: pd.DataFrame) -> dict[str, pd.Series]:
    br = df["best_response"]
    return {
        "line": pd.Series(np.where(df["prior_lines"] <= 1, "1st/2nd", ">=3rd"), index=df.index),
        # Responders CR/PR vs non-responders SD/PD; NE in neither (as the app's grouping does).
        "response": pd.Series(np.where(br.isin(["CR", "PR"]), "R", np.where(br.isin(["SD", "PD"]), "NR", None)), index=df.index),
        "head_neck": df["primary_site"] == "Head and neck",
        "ae": df["any_ae"].astype(bool),
        "histotype": df["histotype"],
    }


# Tolerance for a KM median against the published one: 15 % of the published value or
# 1.0 month, whichever is larger (the sample is one draw of 72 patients; medians of small
# subgroups move in jumps from one event time to the next).
def close(ours: float, published: float) -> bool:
    return abs(ours - published) <= max(0.15 * published, 1.0)


def test_km_medians_are_close_to_the_published_ones(cohort):
    c, g = cohort, groups(cohort)
    sub = lambda mask: c[mask.fillna(False).to_numpy(dtype=bool)]  # noqa: E731
    ours = {
        # Results, "Clinical efficacy": median PFS 4.6, OS 18.8, follow-up 20.7 months.
        "PFS": km_median(c, "pfs"),
        "OS": km_median(c, "os"),
        "follow-up (reverse KM)": km_median(c, "os", reverse=True),
        # "Subgroup analysis": line 1st/2nd vs >=3rd PFS 8.5 vs 2.9, OS 49.2 vs 7.8; responders vs
        # non-responders PFS 30.6 vs 2.5, OS not reached vs 6.4; head and neck vs other PFS 15.9
        # vs 4.5; AE vs no AE PFS 15.9 vs 2.9; OS LPS 49.2, LMS 18.8, UPS 7.0, AS 5.4.
        "PFS line 1-2": km_median(sub(g["line"] == "1st/2nd"), "pfs"),
        "PFS line >=3": km_median(sub(g["line"] == ">=3rd"), "pfs"),
        "OS line 1-2": km_median(sub(g["line"] == "1st/2nd"), "os"),
        "OS line >=3": km_median(sub(g["line"] == ">=3rd"), "os"),
        "PFS responders": km_median(sub(g["response"] == "R"), "pfs"),
        "PFS non-responders": km_median(sub(g["response"] == "NR"), "pfs"),
        "OS non-responders": km_median(sub(g["response"] == "NR"), "os"),
        "PFS head and neck": km_median(sub(g["head_neck"]), "pfs"),
        "PFS other sites": km_median(sub(~g["head_neck"]), "pfs"),
        "PFS any AE": km_median(sub(g["ae"]), "pfs"),
        "PFS no AE": km_median(sub(~g["ae"]), "pfs"),
        "OS LPS": km_median(sub(c["histotype"] == "LPS"), "os"),
        "OS LMS": km_median(sub(c["histotype"] == "LMS"), "os"),
        "OS UPS": km_median(sub(c["histotype"] == "UPS"), "os"),
        "OS AS": km_median(sub(c["histotype"] == "Angiosarcoma"), "os"),
    }
    published = {
        "PFS": 4.6, "OS": 18.8, "follow-up (reverse KM)": 20.7, "PFS line 1-2": 8.5,
        "PFS line >=3": 2.9, "OS line 1-2": 49.2, "OS line >=3": 7.8, "PFS responders": 30.6,
        "PFS non-responders": 2.5, "OS non-responders": 6.4, "PFS head and neck": 15.9,
        "PFS other sites": 4.5, "PFS any AE": 15.9, "PFS no AE": 2.9, "OS LPS": 49.2,
        "OS LMS": 18.8, "OS UPS": 7.0, "OS AS": 5.4,
    }
    far = {k: (round(ours[k], 2), v) for k, v in published.items() if not close(ours[k], v)}
    assert far == {}
    # OS of responders: "not reached".
    assert np.isinf(km_median(sub(g["response"] == "R"), "os"))
    # PFS <= OS medians within every subgroup, as in the paper.
    assert ours["PFS line 1-2"] <= ours["OS line 1-2"] and ours["PFS"] <= ours["OS"]


def test_logrank_directions_match_the_paper(cohort):
    c, g = cohort, groups(cohort)
    p = {
        # Significant in the paper (log-rank, alpha 0.05): line PFS p = 0.027, OS p = 0.013;
        # best response PFS p < 0.001, OS p = 0.002; histotype OS p = 0.002.
        "PFS line": logrank_p(c, "pfs", g["line"]),
        "OS line": logrank_p(c, "os", g["line"]),
        "PFS response": logrank_p(c, "pfs", g["response"]),
        "OS response": logrank_p(c, "os", g["response"]),
        "OS histotype": logrank_p(c, "os", g["histotype"]),
    }
    assert {k: v for k, v in p.items() if v >= 0.05} == {}
    assert p["PFS response"] < 0.001
    # Not significant in the paper: head and neck PFS p = 0.110, AE PFS p = 0.464, and "only line
    # of therapy and best response" mattered for PFS, plus histotype for OS: sex, stage,
    # number of metastatic sites, primary site, histotype (PFS) and regimen did not.
    ns = {
        "PFS head and neck": logrank_p(c, "pfs", g["head_neck"]),
        "PFS AE": logrank_p(c, "pfs", g["ae"]),
        "PFS histotype": logrank_p(c, "pfs", g["histotype"]),
    }
    n_sites = pd.Series(np.where(c["n_met_sites"] >= 2, ">=2", "0-1"), index=c.index)
    for name, col in (("sex", c["sex"]), ("stage", c["disease_stage"]), ("metastatic sites", n_sites),
                      ("primary site", c["primary_site"]), ("regimen class", c["regimen_class"])):
        ns[f"PFS {name}"] = logrank_p(c, "pfs", col)
        ns[f"OS {name}"] = logrank_p(c, "os", col)
    assert {k: round(v, 4) for k, v in ns.items() if v < 0.05} == {}
