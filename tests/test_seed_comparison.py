"""The Data page states plainly which of the seed's printed survival results the synthetic
sample reproduces; the sample's numbers are the core's, checked against lifelines."""

import math
from pathlib import Path

import pytest

from sarcoma.formatting import decimal_text, p_value_text
from sarcoma.ingest import load_cohort
from sarcoma.seed_comparison import seed_comparison, seed_statement
from sarcoma.synthetic_search import survival_summary

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "sample_cohort.csv"


@pytest.fixture(scope="module")
def table():
    cohort = load_cohort(SAMPLE)[0]
    return cohort, seed_comparison(cohort).set_index("Result")


def test_sample_numbers_are_lifelines_numbers(table):
    cohort, t = table
    medians, pvals = survival_summary(cohort)  # lifelines: KaplanMeierFitter, multivariate_logrank_test
    for name, m in medians.items():
        expected = "not reached" if math.isinf(m) else decimal_text(m, 1)
        assert t.loc[f"Median {name} (months)", "Sample"] == expected, name
    for name, p in pvals.items():
        if f"Log-rank p, {name}" in t.index:
            assert t.loc[f"Log-rank p, {name}", "Sample"] == p_value_text(p), name


def test_what_matches_and_what_does_not(table):
    _, t = table
    # Seed: median PFS 4.6 months; PFS by line 8.5 vs 2.9 months, p = 0.027 (Subgroup analysis).
    assert t.loc["Median PFS all (months)", ["Seed paper", "Sample", "Same to the printed digit"]].tolist() == ["4.6", "4.6", True]
    assert t.loc["Median PFS line 1-2 (months)", ["Seed paper", "Sample"]].tolist() == ["8.5", "8.7"]
    assert t.loc["Log-rank p, PFS by line", ["Seed paper", "Sample", "Same to the printed digit", "Same conclusion at 0.05"]].tolist() == [
        "0.027", "0.034", False, True]
    statement = seed_statement(t.reset_index())
    assert statement.startswith("Counts match the seed paper exactly")
    assert "close, not equal" in statement and "7 of 7 log-rank tests reach the paper's conclusion" in statement


def test_data_page_states_it():
    from streamlit.testing.v1 import AppTest

    from tests.rendered import rendered

    at = AppTest.from_file(str(SAMPLE.parent.parent / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    info = " ".join(rendered(i.value) for i in at.info)
    assert "synthetic" in info and "Counts match the seed paper exactly" in info and "close, not equal" in info
