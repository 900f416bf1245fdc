"""Write the analysis-ready columns of the bundled sample cohort for the R reference scripts.

R reads tests/reference/data/sample_analysis.csv; Python reads the sample through
`sarcoma.ingest.load_cohort`. tests/test_reference_data.py checks both still agree, so a change
to ingest or to the sample shows up as a failing test, and this script is re-run
(`python tests/reference/export_sample.py`) followed by `make reference`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"
OUT = Path(__file__).resolve().parent / "data" / "sample_analysis.csv"
COLUMNS = ["patient_id", "pfs_months", "pfs_event", "os_months", "os_event", "line_of_therapy", "age", "center"]


def analysis_columns() -> pd.DataFrame:
    """The columns the reference scripts use, exactly as load_cohort gives them."""
    from sarcoma.ingest import load_cohort

    cohort, _ = load_cohort(SAMPLE)
    return cohort[COLUMNS].reset_index(drop=True)


def main() -> None:
    # pandas writes the shortest text that reads back as the identical double (repr), in R too.
    analysis_columns().to_csv(OUT, index=False)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
