"""One shape for every test's result: `summary`, a table with one row per test and the columns
test, statistic, df, p_value (as lifelines' StatisticalResult.summary gives them), so a page,
the report or a user's script reads any test the same way."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

SUMMARY_COLUMNS: tuple[str, ...] = ("test", "statistic", "df", "p_value")


def test_summary(rows: Sequence[tuple[str, float, float, float]]) -> pd.DataFrame:
    """(test name, statistic, df, p) rows as the summary table; NaN where a test has none."""
    return pd.DataFrame(list(rows), columns=list(SUMMARY_COLUMNS)).set_index("test")
