"""How the bundled synthetic sample compares with the seed paper's printed survival results.

The sample reproduces the paper's counts exactly (Tables 1-4, regimens, discontinuations,
toxicity, 46 PFS events and 37 deaths: tests/test_sample_data.py). Its survival times are
synthetic draws chosen to come close to the published medians and log-rank p-values, not equal
to them. This table says, number by number, which ones agree to the printed digit, so the
Data page can state it plainly instead of claiming the seed's numbers.
"""

from __future__ import annotations

import math

import pandas as pd

from sarcoma.formatting import decimal_text, p_value_text
from sarcoma.synthetic_search import PUBLISHED_MEDIANS, PUBLISHED_P, _FastSummary

# The paper prints "p < 0.001" for PFS by response; PUBLISHED_P stores 0.001 for the search.
PRINTED_P = {name: ("<0.001" if name == "PFS by response" else p_value_text(p)) for name, p in PUBLISHED_P.items() if p is not None}


def _median_text(value: float | None) -> str:
    return "not reached" if value is None or math.isinf(value) else decimal_text(value, 1)


def seed_comparison(cohort: pd.DataFrame) -> pd.DataFrame:
    """One row per printed survival result: the paper's value, the sample's (same method:
    Kaplan-Meier median, first time S(t) <= 0.5; log-rank p), and whether they agree to the
    printed digit; for p-values also whether the conclusion at 0.05 is the same."""
    medians, pvals, _ = _FastSummary(cohort)(cohort)
    rows = []
    for name, target in PUBLISHED_MEDIANS.items():
        paper, sample = _median_text(target), _median_text(medians[name])
        rows.append({"Result": f"Median {name} (months)", "Seed paper": paper, "Sample": sample,
                     "Same to the printed digit": paper == sample, "Same conclusion at 0.05": None})
    for name, printed in PRINTED_P.items():
        sample = p_value_text(pvals[name])
        rows.append({"Result": f"Log-rank p, {name}", "Seed paper": printed, "Sample": sample,
                     "Same to the printed digit": printed == sample,
                     "Same conclusion at 0.05": (PUBLISHED_P[name] < 0.05) == (pvals[name] < 0.05)})
    return pd.DataFrame(rows)


def seed_statement(table: pd.DataFrame) -> str:
    """The plain sentence the Data page prints above the table."""
    same = int(table["Same to the printed digit"].sum())
    tests = table["Same conclusion at 0.05"].dropna()
    return (
        "Counts match the seed paper exactly (Tables 1-4, regimens, discontinuations, toxicity, 46 PFS events, "
        f"37 deaths). Survival is synthetic and close, not equal: {same} of {len(table)} printed medians and "
        f"p-values agree to the printed digit, and {int(tests.sum())} of {len(tests)} log-rank tests reach the "
        "paper's conclusion at 0.05."
    )
