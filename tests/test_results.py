"""Every test result reads the same way: `summary` with test, statistic, df, p_value."""

import numpy as np
import pandas as pd
from lifelines.statistics import multivariate_logrank_test
from scipy import stats

from sarcoma.response import association_test
from sarcoma.results import SUMMARY_COLUMNS
from sarcoma.survival import logrank_test


def test_logrank_summary_is_the_test_and_lifelines():
    rng = np.random.default_rng(3)
    t, e, g = rng.exponential(10, 60), rng.integers(0, 2, 60), rng.integers(0, 3, 60)
    res = logrank_test(t, e, g)
    row = res.summary.loc["log-rank"]
    assert list(res.summary.reset_index().columns) == list(SUMMARY_COLUMNS)
    oracle = multivariate_logrank_test(t, g, e)  # lifelines, independent implementation
    assert np.isclose(row["statistic"], oracle.test_statistic) and np.isclose(row["p_value"], oracle.p_value)
    assert row["df"] == 2


def test_association_summary_lists_both_tests():
    table = pd.DataFrame([[12, 29], [10, 13]], index=["mono", "combo"], columns=["responder", "not"])
    res = association_test(table)
    summary = res.summary
    assert list(summary.index) == ["Pearson chi-square", "Pearson chi-square, Yates continuity correction", res.method]
    chi2, p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)  # scipy oracle
    assert np.isclose(summary.loc["Pearson chi-square", "statistic"], chi2) and summary.loc["Pearson chi-square", "df"] == dof
    assert np.isclose(summary.loc[res.method, "p_value"], stats.fisher_exact(table.to_numpy())[1])
