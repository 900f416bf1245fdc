"""Safety, discontinuation and biomarker tables: hand counts, the seed's numbers, missing data."""

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarcoma.ingest import load_adverse_events, load_cohort
from sarcoma.safety import (
    SafetyDataError,
    ae_by_term,
    ae_summary,
    biomarker_status,
    biomarker_summary,
    biomarker_table,
    discontinuation_table,
    msi_high,
    pdl1_positive,
)


def by_measure(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("measure")


# --------------------------------------------------------------------------- AE summary


def seed_safety_cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    """72 patients shaped after the seed's Toxicity paragraph, built by hand for this test.

    24 patients with an AE, 36 events; 5 grade 3-4 events in 5 patients; 7 delays; 6 AE
    discontinuations (the seed lists the events: encephalitis g3, colitis g3, memory impairment
    g3 delayed and stopped treatment; adrenal insufficiency g2, oral mucositis g2, diarrhoea g2
    and Cushing's syndrome g2 only delayed it; cellulitis-like skin disorder g2, pneumonitis g3
    and myositis g3 only stopped it).
    """
    ids = [f"S{i:02d}" for i in range(1, 73)]
    events = [
        # patient, term, grade, delay, discontinuation
        ("S01", "Immune-mediated encephalitis", 3, True, True),
        ("S02", "Colitis", 3, True, True),
        ("S03", "Memory impairment", 3, True, True),
        ("S04", "Adrenal insufficiency", 2, True, False),
        ("S05", "Oral mucositis", 2, True, False),
        ("S06", "Diarrhoea", 2, True, False),
        ("S07", "Cushing's syndrome", 2, True, False),
        ("S08", "Cellulitis-like skin disorder", 2, False, True),
        ("S09", "Pneumonitis", 3, False, True),
        ("S10", "Myositis", 3, False, True),
    ]
    # 14 more patients with one grade 1-2 event each (24 patients), then 12 extra events on
    # the first 12 AE patients (36 events).
    events += [(ids[i], "Fatigue", 1, False, False) for i in range(10, 24)]
    events += [(ids[i], "Rash", 2 if i % 2 else 1, False, False) for i in range(12)]
    ae = pd.DataFrame(events, columns=["patient_id", "term", "grade", "led_to_delay", "led_to_discontinuation"])
    worst = ae.groupby("patient_id")["grade"].max()
    cohort = pd.DataFrame({"patient_id": ids})
    cohort["max_ae_grade"] = cohort["patient_id"].map(worst).fillna(0).astype("Int64")
    cohort["any_ae"] = (cohort["max_ae_grade"] > 0).astype("boolean")
    cohort["ae_delay"] = cohort["patient_id"].isin(ae.loc[ae["led_to_delay"], "patient_id"]).astype("boolean")
    cohort["ae_discontinuation"] = cohort["patient_id"].isin(
        ae.loc[ae["led_to_discontinuation"], "patient_id"]
    ).astype("boolean")
    return cohort, ae


def test_ae_summary_reproduces_seed_toxicity_numbers():
    cohort, ae = seed_safety_cohort()
    table = by_measure(ae_summary(cohort, ae))
    # Seed: 24 (33.3%) any AE, 36 AEs, 5 grade 3-4 AEs in 5 patients, 7 (9.7%) delays,
    # 6 (8.3%) discontinuations for an AE; every percentage of all 72 treated patients.
    assert table.loc["Treated patients", "value"] == "72"
    assert table.loc["Patients with any AE", "value"] == "24 (33.3)"
    assert table.loc["AEs in total (all grades)", "value"] == "36"
    assert table.loc["Grade 3–4 AEs", "value"] == "5"
    assert table.loc["Patients with a grade 3–4 AE", "value"] == "5 (6.9)"
    assert table.loc["Patients with treatment delay due to toxicity", "value"] == "7 (9.7)"
    assert table.loc["Patients who discontinued for an AE", "value"] == "6 (8.3)"
    assert (table.loc[table["N"].notna(), "N"] == 72).all()
    assert (table["not_recorded"].fillna(0) == 0).all()
    # Without the AE table the patient-level rows are the same; event counts are unavailable.
    flags_only = by_measure(ae_summary(cohort))
    assert flags_only.loc["Patients with any AE", "value"] == "24 (33.3)"
    assert flags_only.loc["Patients with a grade 3–4 AE", "value"] == "5 (6.9)"
    assert flags_only.loc["AEs in total (all grades)", "value"] == "not available"
    assert "adverse-event table" in flags_only.loc["AEs in total (all grades)", "note"]


def small_safety_cohort() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
            "any_ae": pd.array([True, True, False, None, True, None], dtype="boolean"),
            "max_ae_grade": pd.array([3, 1, 0, None, None, 5], dtype="Int64"),
            "ae_delay": pd.array([True, False, None, None, None, False], dtype="boolean"),
            "ae_discontinuation": pd.array([True, False, None, None, False, True], dtype="boolean"),
        }
    )


def test_missing_flags_are_not_recorded_never_no():
    table = by_measure(ae_summary(small_safety_cohort()))
    # any AE: P1, P2, P5 yes; P6 has worst grade 5 -> yes; P3 no; P4 unknown.
    assert table.loc["Patients with any AE", ["n", "not_recorded"]].tolist() == [4, 1]
    assert table.loc["Patients with any AE", "value"] == "4 (66.7)"
    # Grade 3-4 from the worst grade: P1 yes; P2, P3 no; P4 (nothing known), P5 (AE of unknown
    # grade) and P6 (worst grade 5: may also have had a grade 3-4 AE) not recorded.
    assert table.loc["Patients with a grade 3–4 AE", ["n", "not_recorded"]].tolist() == [1, 3]
    assert table.loc["Patients with a grade 5 (fatal) AE", ["n", "not_recorded"]].tolist() == [1, 2]
    # Delay: P1 yes; P2, P6 no; P3 had no AE at all -> no; P4, P5 unknown.
    assert table.loc["Patients with treatment delay due to toxicity", ["n", "not_recorded"]].tolist() == [1, 2]
    # Discontinuation: P1, P6 yes; P2, P5 no; P3 no AE -> no; P4 unknown.
    assert table.loc["Patients who discontinued for an AE", ["n", "not_recorded"]].tolist() == [2, 1]
    assert table.loc["Patients who discontinued for an AE", "value"] == "2 (33.3)"


def test_ae_table_completes_and_overrides_patient_flags():
    cohort = small_safety_cohort()
    ae = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P5", "P6", "P6", "P3"],
            "term": ["Colitis", "Rash", "Pneumonitis", "Myocarditis", "Hepatitis", "Rash"],
            "grade": [3, 1, 2, 5, 3, 1],
            "led_to_delay": [True, False, None, False, False, False],
            "led_to_discontinuation": [True, False, False, True, False, False],
        }
    )
    table = by_measure(ae_summary(cohort, ae))
    # P3 was recorded with no AE but has an event: counted, and the note says so.
    assert table.loc["Patients with any AE", ["n", "not_recorded"]].tolist() == [5, 1]
    assert "1 patient(s) recorded with no AE" in table.loc["Patients with any AE", "note"]
    assert table.loc["AEs in total (all grades)", "n"] == 6
    assert table.loc["Grade 3–4 AEs", "n"] == 2
    # P1 (grade 3) and P6 (grade 3 besides the fatal grade 5) had grade 3-4 events; P5's only
    # event is grade 2; P4 remains unknown.
    assert table.loc["Patients with a grade 3–4 AE", ["n", "not_recorded"]].tolist() == [2, 1]
    # P5's only event has no delay recorded -> still unknown; P4 unknown.
    assert table.loc["Patients with treatment delay due to toxicity", ["n", "not_recorded"]].tolist() == [1, 2]


def test_flag_contradicted_by_worst_grade_is_counted_and_noted():
    cohort = pd.DataFrame({"any_ae": [False, False, True], "max_ae_grade": [2, 0, 1]})
    row = by_measure(ae_summary(cohort)).loc["Patients with any AE"]
    assert row["n"] == 2
    assert row["note"].startswith("1 patient(s) recorded with no AE have a worst AE grade")


def test_ae_table_alone_is_the_record():
    cohort = pd.DataFrame({"patient_id": ["A", "B", "C", "D"]})
    ae = pd.DataFrame({"patient_id": ["A", "A", "C"], "term": ["Rash", "Colitis", "Fatigue"], "grade": [1, 4, 2]})
    table = by_measure(ae_summary(cohort, ae))
    assert table.loc["Patients with any AE", ["n", "not_recorded"]].tolist() == [2, 0]
    assert table.loc["Patients with a grade 3–4 AE", ["n", "not_recorded"]].tolist() == [1, 0]
    # Delays are not in the AE table: unknown for A and C, logically "no" for B and D.
    assert table.loc["Patients with treatment delay due to toxicity", ["n", "not_recorded"]].tolist() == [0, 2]


def test_ae_input_errors():
    cohort = small_safety_cohort()
    with pytest.raises(SafetyDataError, match="not in the cohort: P9"):
        ae_summary(cohort, pd.DataFrame({"patient_id": ["P9"], "term": ["Rash"], "grade": [1]}))
    with pytest.raises(SafetyDataError, match="whole numbers 1-5.*6"):
        ae_summary(cohort, pd.DataFrame({"patient_id": ["P1"], "term": ["Rash"], "grade": [6]}))
    with pytest.raises(SafetyDataError, match="needs the column"):
        ae_summary(cohort, pd.DataFrame({"patient_id": ["P1"], "term": ["Rash"]}))
    with pytest.raises(SafetyDataError, match="no adverse-event data"):
        ae_summary(pd.DataFrame({"patient_id": ["P1"]}))
    with pytest.raises(SafetyDataError, match="max_ae_grade"):
        ae_summary(cohort.assign(max_ae_grade=["severe", 1, 0, None, None, 5]))
    with pytest.raises(SafetyDataError, match="more than one row"):
        ae_summary(cohort.assign(patient_id=["P1"] * 6))


# --------------------------------------------------------------------------- AE by term


def test_ae_by_term_counts_events_and_patients_by_grade():
    ae = pd.DataFrame(
        {
            "patient_id": ["A", "A", "B", "C", "C", "D", "D", "E"],
            "term": ["Rash", "rash ", "Rash", "Colitis", "Colitis", "Colitis", "Pneumonitis", "Myocarditis"],
            "grade": [1, 3, 2, 3, 2, 4, None, 5],
        }
    )
    table = ae_by_term(ae).set_index("Term")
    # Hand counts: Rash 3 events in 2 patients (A twice: grades 1 and 3; B grade 2).
    assert table.index.tolist() == ["Colitis", "Rash", "Myocarditis", "Pneumonitis"]
    assert table.loc["Rash"].to_dict() == {
        "Events (all grades)": 3, "Patients (all grades)": 2,
        "Grade 1–2 events": 2, "Grade 1–2 patients": 2,
        "Grade 3–4 events": 1, "Grade 3–4 patients": 1,
        "Grade 5 events": 0, "Grade 5 patients": 0,
        "Grade not recorded (events)": 0,
    }
    # Colitis: C grade 3 and 2, D grade 4 -> 3 events, 2 patients; grade 3-4: 2 events, 2 patients.
    assert table.loc["Colitis", ["Events (all grades)", "Patients (all grades)", "Grade 3–4 events", "Grade 3–4 patients"]].tolist() == [3, 2, 2, 2]
    assert table.loc["Myocarditis", "Grade 5 patients"] == 1
    assert table.loc["Pneumonitis", "Grade not recorded (events)"] == 1


# --------------------------------------------------------------------------- discontinuation


def seed_discontinuation_cohort() -> pd.DataFrame:
    # Seed, Clinical efficacy: 15 on treatment; of 57 discontinued, PD 43, toxicity 7, death 4,
    # completion 2, preference 1.
    reasons = [None] * 15 + ["Progression"] * 43 + ["Toxicity"] * 7 + ["Death"] * 4
    reasons += ["Treatment completed"] * 2 + ["Patient preference"]
    return pd.DataFrame(
        {
            "patient_id": [f"S{i}" for i in range(72)],
            "on_treatment": pd.array([True] * 15 + [False] * 57, dtype="boolean"),
            "discontinuation_reason": reasons,
        }
    )


def test_discontinuation_table_reproduces_seed_percentages():
    table = discontinuation_table(seed_discontinuation_cohort()).set_index("item")
    assert table.loc["Still on treatment", "value"] == "15 (20.8)"
    assert table.loc["Discontinued", "value"] == "57 (79.2)"
    assert table.loc["Progression", "value"] == "43 (59.7)"
    assert table.loc["Toxicity", "value"] == "7 (9.7)"
    assert table.loc["Death", "value"] == "4 (5.6)"
    assert table.loc["Treatment completed", "value"] == "2 (2.8)"
    assert table.loc["Patient preference", "value"] == "1 (1.4)"
    assert table.loc["Other", "value"] == "0 (0.0)"
    assert table.loc["Not recorded", "value"] == "0 (0.0)"
    assert (table["N"] == 72).all()
    assert "Status not recorded" not in table.index


def test_discontinuation_missing_handling():
    cohort = pd.DataFrame(
        {
            "on_treatment": pd.array([True, False, None, None, False, True], dtype="boolean"),
            "discontinuation_reason": [None, None, "progression", None, "Toxicity", "Death"],
        }
    )
    table = discontinuation_table(cohort).set_index("item")
    # Row 3: unknown flag but a reason -> discontinued; row 4: nothing known; row 2: stopped, no
    # reason -> "Not recorded"; row 6: on treatment with a reason -> flagged in the note.
    assert table.loc["Still on treatment", "n"] == 2
    assert "1 of them also have a discontinuation reason" in table.loc["Still on treatment", "note"]
    assert table.loc["Discontinued", "value"] == "3 (50.0)"
    assert table.loc["Status not recorded", "value"] == "1 (16.7)"
    assert table.loc["Progression", "n"] == 1
    assert table.loc["Not recorded", "n"] == 1
    assert table.loc["Death", "n"] == 0


def test_discontinuation_errors():
    with pytest.raises(SafetyDataError, match="Unknown discontinuation reason.*'bored'"):
        discontinuation_table(pd.DataFrame({"discontinuation_reason": ["bored", None]}))
    with pytest.raises(SafetyDataError, match="needs an on_treatment column"):
        discontinuation_table(pd.DataFrame({"patient_id": ["A"]}))


# --------------------------------------------------------------------------- biomarkers


# Seed Table 3 (responders): best response, PD-L1, TMB (mut/Mb), MSI, histological subtype, as
# printed (including the Greek "Ν/Α" of row 2 and the "NA" of rows 11-12).
SEED_TABLE3 = [
    ("CR", "N/A", None, "High", "Undifferentiated sarcoma"),
    ("CR", "Ν/Α", None, "Ν/Α", "UPS"),
    ("CR", "N/A", None, None, "UPS"),
    ("PR", None, None, None, "DDLPS"),
    ("PR", None, None, None, "UPS"),
    ("PR", None, None, None, "AS"),
    ("PR", "20%", None, None, "UPS"),
    ("PR", None, None, None, "LMS"),
    ("PR", None, 8.9, None, "AS"),
    ("PR", ">95%", 38.8, None, "Pleomorphic dermal sarcoma"),
    ("PR", "NA", None, None, "DDLPS"),
    ("PR", "NA", 1.4, None, "Dedifferentiated chondrosarcoma"),
    ("PR", None, None, None, "UPS"),
    ("PR", "TC < 1%, IC = 1%", 13.4, "low", "DDLPS"),
    ("PR", None, 0.0, "low", "ASPS"),
    ("PR", None, None, None, "MFS"),
    ("PR", None, None, "high", "LMS"),
    ("PR", None, None, None, "UPS"),
    ("PR", None, None, None, "LMS"),
    ("PR", None, None, None, "UPS"),
    ("PR", None, None, None, "Kaposi sarcoma"),
    ("PR", "0%", None, "low", "LMS"),
]


def seed_table3_cohort() -> pd.DataFrame:
    rows = pd.DataFrame(SEED_TABLE3, columns=["best_response", "pdl1", "tmb", "msi", "histotype_detail"])
    # Shuffle the rows and add two non-responders so ordering and filtering are exercised.
    rows["patient_id"] = [f"R{i}" for i in range(1, 23)]
    extra = pd.DataFrame(
        {"best_response": ["PD", "SD"], "pdl1": ["5%", None], "tmb": [12.0, None], "msi": [None, "Low"],
         "histotype_detail": [None, None], "patient_id": ["N1", "N2"]}
    )
    cohort = pd.concat([rows, extra], ignore_index=True).sample(frac=1.0, random_state=3).reset_index(drop=True)
    cohort["histotype"] = "Other"
    return cohort


def test_biomarker_table_in_seed_table3_shape():
    table = biomarker_table(seed_table3_cohort())
    assert list(table.columns) == ["No.", "Patient", "Best response", "PD-L1 value", "TMB value", "MSI", "Histological subtype"]
    assert table["No."].tolist() == list(range(1, 23))
    # CR first, then PR, each by patient number (R2 before R10).
    assert table["Patient"].tolist() == [f"R{i}" for i in range(1, 23)]
    assert table["Best response"].tolist() == ["CR"] * 3 + ["PR"] * 19
    by_id = table.set_index("Patient")
    assert by_id.loc["R2", ["PD-L1 value", "TMB value", "MSI"]].tolist() == ["N/A", "N/A", "N/A"]  # Greek Ν/Α
    assert by_id.loc["R10", ["PD-L1 value", "TMB value"]].tolist() == [">95%", "38.8 mut/Mb"]
    assert by_id.loc["R14", ["PD-L1 value", "TMB value", "MSI"]].tolist() == ["TC < 1%, IC = 1%", "13.4 mut/Mb", "Low"]
    assert by_id.loc["R15", "TMB value"] == "0 mut/Mb"
    assert by_id.loc["R1", "MSI"] == "High"
    assert by_id.loc["R12", ["PD-L1 value", "Histological subtype"]].tolist() == ["N/A", "Dedifferentiated chondrosarcoma"]
    # Table 3 rows 1, 7, 9, 10, 12, 14, 15, 17 and 22 have a value: nine responders, although
    # the seed's text says eight (the table is what we reproduce).
    has_any = (table[["PD-L1 value", "TMB value", "MSI"]] != "N/A").any(axis=1)
    assert int(has_any.sum()) == 9


def test_biomarker_table_all_patients_and_histotype_fallback():
    cohort = seed_table3_cohort()
    table = biomarker_table(cohort, responders_only=False)
    assert len(table) == 24
    assert table["Best response"].tolist()[-2:] == ["SD", "PD"]
    assert table.set_index("Patient").loc["N1", "Histological subtype"] == "Other"
    with pytest.raises(SafetyDataError, match="best_response"):
        biomarker_table(cohort.drop(columns="best_response"))


def test_biomarker_summary_counts_with_denominators():
    table = by_measure(biomarker_summary(seed_table3_cohort()))
    # Hand counts over the 24 patients: any result 9 responders + N1 + N2 = 11.
    assert table.loc["Patients with any biomarker result (PD-L1, TMB or MSI)", ["n", "N"]].tolist() == [11, 24]
    # MSI results (Greek Ν/Α is missing): R1 high, R14 low, R15 low, R17 high, R22 low, N2 low.
    assert table.loc["MSI-high", ["n", "N", "value"]].tolist() == [2, 6, "2 (33.3)"]
    # PD-L1 results: 20% +, >95% +, TC<1%/IC=1% +, 0% -, N1 5% + -> 4 of 5.
    pdl1 = table.loc["PD-L1 positive (≥1% of tumour or immune cells)"]
    assert [pdl1["n"], pdl1["N"], pdl1["not_interpretable"]] == [4, 5, 0]
    # TMB results: 8.9, 38.8, 1.4, 13.4, 0, N1 12.0 -> > 10 in 3 of 6.
    assert table.loc["TMB > 10 mut/Mb", ["n", "N"]].tolist() == [3, 6]
    # Positive for >= 1: R1, R7, R10, R14, R17, N1 = 6; >= 2: R10 (PD-L1 + TMB), R14, N1 = 3.
    assert table.loc["Positive for ≥1 biomarker", ["n", "N"]].tolist() == [6, 11]
    assert table.loc["Positive for ≥2 biomarkers", ["n", "N"]].tolist() == [3, 11]
    assert table.loc["MSI-high", "denominator"] == "patients with an MSI result"


def test_uninterpretable_pdl1_is_reported_not_guessed():
    cohort = pd.DataFrame({"pdl1": ["20%", "<5%", "equivocal", "0.2", None, "negative"], "tmb": [None] * 6})
    row = by_measure(biomarker_summary(cohort)).loc["PD-L1 positive (≥1% of tumour or immune cells)"]
    assert [row["n"], row["N"], row["not_interpretable"]] == [1, 2, 3]
    status = biomarker_status(cohort)
    assert status["pdl1_tested"].tolist() == [True, True, True, True, False, True]


def test_tmb_text_with_unit_and_unreadable_tmb():
    cohort = pd.DataFrame({"tmb": ["13.4 mut/Mb", "8", "high", None]})
    status = biomarker_status(cohort)
    assert status["tmb_high"].tolist() == [True, False, pd.NA, pd.NA]
    assert status["tmb_tested"].tolist() == [True, True, True, False]
    row = by_measure(biomarker_summary(cohort)).loc["TMB > 10 mut/Mb"]
    assert [row["n"], row["N"], row["not_interpretable"]] == [1, 2, 1]


# --------------------------------------------------------------------------- parsers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20%", True),
        (">95%", True),
        ("0%", False),
        ("1%", True),
        ("0.5%", False),
        ("<1%", False),
        ("TC < 1%, IC = 1%", True),  # immune-cell score reaches 1 %: positive (module rule)
        ("TC <1%, IC <1%", False),
        ("TC0 IC1", True),
        ("TPS 50%", True),
        ("TPS 1-49%", True),
        ("TPS 0-0.5%", False),
        ("CPS 5", True),
        ("positive", True),
        ("Negative", False),
        ("negative (0%)", False),
        ("positive, 20%", True),
        ("PD-L1 (22C3): 30%", True),
        ("PD-L1 22C3 <1%", False),
        ("1,5%", True),
        ("<5%", None),  # could be 0 % or 4 %
        (">0%", None),
        ("0.2", None),  # bare number: could be an Excel fraction of 20 %
        ("1+", None),
        ("negative, 5%", None),  # word and number disagree
        ("positive and negative", None),
        ("not done", None),
        ("equivocal", None),
        ("20%?", None),
        ("150%", None),
        ("N/A", None),
        ("Ν/Α", None),
        ("", None),
        (None, None),
        (float("nan"), None),
        (0.2, None),
    ],
)
def test_pdl1_positive_cases(text, expected):
    assert pdl1_positive(text) is expected


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_pdl1_positive_never_raises(text):
    assert pdl1_positive(text) in (True, False, None)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 100), st.integers(0, 100), st.sampled_from(["", " ", "  "]))
def test_pdl1_percentages_follow_the_one_percent_rule(tc, ic, space):
    assert pdl1_positive(f"{tc}%") is (tc >= 1)
    assert pdl1_positive(f"TC{space}{tc}%, IC{space}={space}{ic}%") is (tc >= 1 or ic >= 1)
    assert pdl1_positive(f"PD-L1{space}{tc}{space}%") is (tc >= 1)


@settings(max_examples=50, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.none())
def test_pdl1_non_text_is_not_interpretable(x, i, n):
    assert pdl1_positive(x) is None and pdl1_positive(i) is None and pdl1_positive(n) is None


def test_msi_parser():
    assert [msi_high(v) for v in ["High", "high", "MSI-H", "Low", "MSS", "low", "Ν/Α", None, "weird"]] == [
        True, True, True, False, False, False, None, None, None,
    ]


def test_missing_values_in_tmb_and_numbers():
    cohort = pd.DataFrame({"tmb": [np.nan, 10.0, 10.1]})
    # The seed counts TMB strictly above 10 mut/Mb.
    assert biomarker_status(cohort)["tmb_high"].tolist() == [pd.NA, False, True]


# --------------------------------------------------------------------------- sample cohort


SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"


@pytest.fixture(scope="module")
def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    cohort, _ = load_cohort(SAMPLE_DIR / "sample_cohort.csv")
    events, _ = load_adverse_events(SAMPLE_DIR / "sample_adverse_events.csv", patient_ids=cohort["patient_id"])
    return cohort, events


def test_sample_cohort_reproduces_seed_toxicity(sample):
    cohort, events = sample
    table = by_measure(ae_summary(cohort, events))
    # Seed, Toxicity: 24 (33.3%) with an AE, 36 AEs, five grade 3-4 AEs in five patients,
    # 7 (9.7%) delays, 6 (8.3%) discontinuations for an AE.
    assert table.loc["Patients with any AE", "value"] == "24 (33.3)"
    assert table.loc["AEs in total (all grades)", "value"] == "36"
    assert table.loc["Grade 3–4 AEs", "value"] == "5"
    assert table.loc["Patients with a grade 3–4 AE", "n"] == 5
    assert table.loc["Patients with treatment delay due to toxicity", "value"] == "7 (9.7)"
    assert table.loc["Patients who discontinued for an AE", "value"] == "6 (8.3)"
    assert ae_by_term(events)["Events (all grades)"].sum() == 36


def test_sample_cohort_reproduces_seed_discontinuation(sample):
    table = discontinuation_table(sample[0]).set_index("item")["value"]
    # Seed, Clinical efficacy: on treatment 15 (20.8%); PD 43 (59.7%), toxicity 7 (9.7%),
    # death 4 (5.6%), completion 2 (2.8%), preference 1 (1.4%).
    assert table[["Still on treatment", "Progression", "Toxicity", "Death", "Treatment completed", "Patient preference"]].tolist() == [
        "15 (20.8)", "43 (59.7)", "7 (9.7)", "4 (5.6)", "2 (2.8)", "1 (1.4)",
    ]


def test_sample_cohort_reproduces_seed_biomarker_counts(sample):
    table = by_measure(biomarker_summary(sample[0]))
    # Seed, Clinical efficacy: biomarkers available for 24 patients; two MSI-high, 11 PD-L1
    # positive (>= 1%), six TMB > 10 mut/Mb, 17 patients positive in total, two of them for two.
    assert table.loc["Patients with any biomarker result (PD-L1, TMB or MSI)", "n"] == 24
    assert table.loc["MSI-high", "n"] == 2
    assert table.loc["PD-L1 positive (≥1% of tumour or immune cells)", "n"] == 11
    assert table.loc["TMB > 10 mut/Mb", "n"] == 6
    assert table.loc["Positive for ≥1 biomarker", "n"] == 17
    assert table.loc["Positive for ≥2 biomarkers", "n"] == 2


def _seed_row(best, pdl1, tmb, msi) -> tuple:
    """A Table 3 row as our listing prints it (N/A spellings unified, spaces in PD-L1 ignored)."""
    na = {None, "N/A", "NA", "Ν/Α"}
    return (
        best,
        "N/A" if pdl1 in na else pdl1.replace(" ", ""),
        "N/A" if tmb is None else f"{tmb:g} mut/Mb",
        "N/A" if msi in na else msi.capitalize(),
    )


def test_sample_cohort_responders_match_seed_table3(sample):
    table = biomarker_table(sample[0])
    got = Counter(
        (r["Best response"], r["PD-L1 value"].replace(" ", ""), r["TMB value"], r["MSI"]) for _, r in table.iterrows()
    )
    expected = Counter(_seed_row(*row[:4]) for row in SEED_TABLE3)
    assert got == expected
    assert table["Best response"].tolist() == ["CR"] * 3 + ["PR"] * 19
