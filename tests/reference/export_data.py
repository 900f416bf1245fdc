"""Write the Python-side datasets that the R reference scripts read (tests/reference/data/).

* sample_analysis.csv: the analysis-ready columns of the bundled sample cohort, exactly as
  `sarcoma.ingest.load_cohort` gives them (tests/test_reference_data.py checks they still do).
* sample_dates.csv: the bundled sample's dates and treatment status (ISO dates), from which
  response_dynamics.R derives duration of response, time to response and time to treatment
  failure on its own.
* cox_cohort.csv: 150 synthetic patients (line >= 3 and age raise the hazard, LPS lowers it;
  4 centres, 2 ages missing) for the multivariable and stratified Cox tests.
* crossing_hazards.csv: 200 synthetic patients whose hazards cross (Weibull shape 0.5 vs 3,
  similar medians, all events): proportional hazards clearly violated.

The synthetic sets are generated once from fixed seeds and committed, so a change in numpy's
random streams cannot silently change them. After re-running this script
(`python tests/reference/export_data.py`) run `make reference`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "sample_cohort.csv"
DATA = Path(__file__).resolve().parent / "data"
SAMPLE_COLUMNS = ["patient_id", "pfs_months", "pfs_event", "os_months", "os_event", "line_of_therapy", "age", "center"]


def sample_analysis() -> pd.DataFrame:
    """The columns the reference scripts use, exactly as load_cohort gives them."""
    from sarcoma.ingest import load_cohort

    cohort, _ = load_cohort(SAMPLE)
    return cohort[SAMPLE_COLUMNS].reset_index(drop=True)


DATE_COLUMNS = ["treatment_start", "response_date", "progression_date", "death_date", "last_follow_up", "treatment_end"]
DYNAMICS_COLUMNS = ["patient_id", "best_response", *DATE_COLUMNS, "on_treatment", "discontinuation_reason"]


def sample_dates() -> pd.DataFrame:
    """The sample's dates and treatment status, exactly as load_cohort reads them (ISO dates,
    blank when missing): R derives DoR, TTR and TTF from these on its own (response_dynamics.R)."""
    from sarcoma.ingest import load_cohort

    cohort, _ = load_cohort(SAMPLE)
    out = cohort[DYNAMICS_COLUMNS].reset_index(drop=True).copy()
    for col in DATE_COLUMNS:
        out[col] = out[col].dt.strftime("%Y-%m-%d")
    out["on_treatment"] = out["on_treatment"].map({True: "yes", False: "no"})
    return out.astype(object).where(out.notna(), "")


def cox_cohort(n: int = 150, seed: int = 4) -> pd.DataFrame:
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
            "pfs_months": np.minimum(pfs, cens).round(2),
            "pfs_event": (pfs <= cens).astype(int),
            "line_of_therapy": line,
            "histotype": histo,
            "age": age,
            "center": center,
        }
    )
    df.loc[[5, 9], "age"] = np.nan  # missing covariate: complete-case analysis
    return df


def crossing_hazards(n: int = 200, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    grp = np.repeat(["early", "late"], n // 2)
    t = np.where(grp == "early", 8 * rng.weibull(0.5, n), 8 * rng.weibull(3.0, n)).round(3) + 0.001
    return pd.DataFrame(
        {
            "patient_id": range(n),
            "pfs_months": t.round(3),
            "pfs_event": 1,
            "histotype": np.where(grp == "early", "UPS", "LMS"),
            "line_of_therapy": rng.integers(1, 5, n),
        }
    )


def main() -> None:
    # pandas writes the shortest text that reads back as the identical double (repr), in R too.
    for name, frame in (
        ("sample_analysis", sample_analysis()),
        ("sample_dates", sample_dates()),
        ("cox_cohort", cox_cohort()),
        ("crossing_hazards", crossing_hazards()),
    ):
        path = DATA / f"{name}.csv"
        frame.to_csv(path, index=False)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
