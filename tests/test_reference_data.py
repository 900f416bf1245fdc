"""The golden-value folder stays consistent with the code that reads it.

tests/reference/data/sample_analysis.csv is what the R scripts read for the sample cohort;
Python reads the sample through `sarcoma.ingest.load_cohort`. If ingest or the sample changes,
this test fails: re-run `python tests/reference/export_data.py` and `make reference`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REF = Path(__file__).resolve().parent / "reference"


def test_sample_analysis_csv_is_what_load_cohort_gives():
    from tests.reference.export_data import SAMPLE_COLUMNS, sample_analysis

    saved = pd.read_csv(REF / "data" / "sample_analysis.csv")
    fresh = sample_analysis()
    assert list(saved.columns) == SAMPLE_COLUMNS
    # Same doubles, not just close: R must see exactly the numbers Python analyses.
    for col in ("pfs_months", "os_months", "age"):
        assert saved[col].to_numpy().tolist() == fresh[col].astype(float).to_numpy().tolist(), col
    for col in ("pfs_event", "os_event", "line_of_therapy"):
        assert saved[col].tolist() == fresh[col].astype(int).tolist(), col
    assert saved["center"].tolist() == fresh["center"].astype(str).tolist()
    assert saved["patient_id"].tolist() == fresh["patient_id"].astype(str).tolist()


def test_every_golden_output_records_the_r_version():
    outputs = sorted((REF / "out").glob("*.csv"))
    assert {p.name for p in outputs} >= {
        "coxph_coef.csv", "coxph_model.csv", "cox_zph.csv", "fisher.csv", "binom.csv", "rmst.csv", "rmst_difference.csv",
        "response_dynamics.csv", "response_dynamics_patients.csv",
    }
    for path in outputs:
        frame = pd.read_csv(path)
        assert "r_version" in frame.columns and frame["r_version"].notna().all(), path.name
        assert len(frame) > 0, path.name
