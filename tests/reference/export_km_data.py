"""Write the extra inputs of km.R and survdiff.R (run once; the CSVs are kept in git).

* data/sample_groups.csv: the grouping columns of the bundled sample (histotype, regimen class,
  sex) by patient_id, exactly as `sarcoma.ingest.load_cohort` reads them; joined in R and in the
  tests to data/sample_analysis.csv (written by export_sample.py, shared with coxph.R).
* data/lone_group.csv: a stratified design with a lone group: centre A uses regimens R1 and R2,
  centre B only R3 (issue 11). R's survdiff stops with "exactly singular" on it.
* data/km_edge.csv: small Kaplan-Meier edge cases (one patient with the event, one censored, a
  curve exactly at 0.5 over a flat, events at time zero, all censored).

Re-run (`python tests/reference/export_km_data.py`), then `make reference`, when ingest or the
sample changes; tests/test_reference_survival.py checks the sample columns still agree.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
GROUP_COLUMNS = ["patient_id", "histotype", "regimen_class", "sex"]


def sample_groups() -> pd.DataFrame:
    from sarcoma.ingest import load_cohort

    cohort, _ = load_cohort(ROOT / "sample_data" / "sample_cohort.csv")
    return cohort[GROUP_COLUMNS].reset_index(drop=True)


def lone_group() -> pd.DataFrame:
    """60 patients: centre A 20 on R1 and 20 on R2, centre B 20 on R3; times in months with
    ties (one decimal), about 70% events. Seeded, so the file is reproducible."""
    rng = np.random.default_rng(1)
    n = 60
    return pd.DataFrame(
        {
            "time": np.round(rng.exponential(10, n), 1),
            "status": (rng.random(n) < 0.7).astype(int),
            "regimen": ["R1"] * 20 + ["R2"] * 20 + ["R3"] * 20,
            "centre": ["A"] * 40 + ["B"] * 20,
        }
    )


def km_edge() -> pd.DataFrame:
    cases = {
        "single_event": ([5.0], [1]),
        "single_censored": ([5.0], [0]),
        "flat_at_half": (list(range(1, 11)), [1] * 10),
        "flat_at_half_end": ([1, 2, 3, 4], [1, 1, 0, 0]),
        "time_zero": ([0, 0, 0, 2, 5, 5, 7, 9], [1, 0, 1, 1, 0, 1, 1, 0]),
        "all_censored": ([3, 1, 2], [0, 0, 0]),
        "two_events_end": ([3, 5], [1, 1]),
    }
    rows = [(case, t, e) for case, (ts, es) in cases.items() for t, e in zip(ts, es, strict=True)]
    return pd.DataFrame(rows, columns=["case", "time", "status"])


def main() -> None:
    for name, frame in {"sample_groups": sample_groups(), "lone_group": lone_group(), "km_edge": km_edge()}.items():
        path = DATA / f"{name}.csv"
        frame.to_csv(path, index=False)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
