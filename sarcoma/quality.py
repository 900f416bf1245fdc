"""The data-quality report that comes with every ingested cohort (no UI code here).

Invariant, tested everywhere: for each endpoint, rows_read == analysed + excluded, and every
excluded row has at least one issue with `excludes=True` for that endpoint (or for "all"),
except the patients an endpoint does not apply to by definition (non-responders for duration of
response), which are counted per reason in `not_eligible` rather than listed one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

ISSUE_COLUMNS: tuple[str, ...] = (
    "source_row",  # spreadsheet row number (header = 1)
    "patient_id",  # as written ("" if missing)
    "endpoint",  # "PFS", "OS", "Response", "DoR", "TTF", "AE" or "all"
    "column",  # canonical column the problem is about
    "value",  # the cell as written
    "problem",  # plain words a clinician can act on
    "action",  # what the tool did about it
    "excludes",  # True if this problem removed the row from the endpoint (or the cohort)
)


@dataclass
class DataQualityReport:
    """What was read, what was analysed per endpoint, and every problem found, row by row.

    `issues` is a tidy DataFrame with ISSUE_COLUMNS. `adverse_events` holds the AE table when
    the workbook had an AE sheet (its own report is `adverse_events_report`).
    """

    rows_read: int
    analysed: dict[str, int]
    excluded: dict[str, int]
    issues: pd.DataFrame
    rows_excluded: int = 0  # whole rows removed from the cohort (empty, no ID, duplicate ID)
    # Per endpoint, patients it does not apply to, by reason ({"DoR": {"not a responder ...": 50}});
    # part of `excluded`, without an issue row each.
    not_eligible: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Unrecognised headers, at most ingest_limits.MAX_MAPPING_COLUMNS of them (one dropdown each
    # on the Data page); `unmatched_total` counts them all.
    unmatched_columns: list[str] = field(default_factory=list)
    unmatched_total: int | None = None
    column_mapping: dict[str, str] = field(default_factory=dict)  # source header -> canonical
    file_name: str = ""
    file_format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    adverse_events: pd.DataFrame | None = None
    adverse_events_report: DataQualityReport | None = None
    table: str = "patient"  # "patient" or "adverse-event": what one row is

    def invariant_problems(self) -> list[str]:
        """Violations of the counting invariant (empty when the report is consistent)."""
        problems = []
        issues = self.issues
        for endpoint in self.analysed:
            if self.analysed[endpoint] + self.excluded[endpoint] != self.rows_read:
                problems.append(f"{endpoint}: analysed + excluded != rows read")
            reasons = issues[issues["excludes"] & issues["endpoint"].isin([endpoint, "all"])]
            with_reason = reasons["source_row"].nunique() + sum(self.not_eligible.get(endpoint, {}).values())
            if with_reason != self.excluded[endpoint]:
                problems.append(
                    f"{endpoint}: {self.excluded[endpoint]} rows excluded but {with_reason} have a reason"
                )
        return problems

    def __post_init__(self) -> None:
        if self.unmatched_total is None:
            self.unmatched_total = len(self.unmatched_columns)

    @property
    def unmatched_not_shown(self) -> int:
        """Unrecognised headers left out of `unmatched_columns` (past the mapping-form cap)."""
        return int(self.unmatched_total or 0) - len(self.unmatched_columns)

    @property
    def endpoints(self) -> tuple[str, ...]:
        return tuple(self.analysed)

    def to_frame(self) -> pd.DataFrame:
        """The issues table, sorted by row, ready to show or export as CSV."""
        return self.issues.sort_values(["source_row", "endpoint"], kind="stable").reset_index(drop=True)

    def counts(self) -> pd.DataFrame:
        """One row per endpoint: rows read, analysed, excluded."""
        return pd.DataFrame(
            {
                "endpoint": list(self.analysed),
                "rows_read": [self.rows_read] * len(self.analysed),
                "analysed": list(self.analysed.values()),
                "excluded": [self.excluded[e] for e in self.analysed],
            }
        )

    def reasons(self, endpoint: str) -> pd.Series:
        """Excluded rows per problem kind for one endpoint (a row can have several reasons)."""
        rows = self.issues[self.issues["excludes"] & self.issues["endpoint"].isin([endpoint, "all"])]
        listed = rows.groupby("problem_kind")["source_row"].nunique()
        scope = pd.Series(self.not_eligible.get(endpoint, {}), dtype="int64")
        return pd.concat([scope, listed]).sort_values(ascending=False, kind="stable")

    def summary(self) -> str:
        """A few plain-language lines for the upload page."""
        what = self.file_format.upper()
        if self.sheet:
            what += f", sheet '{self.sheet}'"
        if self.encoding:
            what += f", {self.encoding}"
        if self.delimiter:
            what += f", separator {_DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}"
        if self.decimal:
            what += f", decimal '{self.decimal}'"
        lines = [f"Read {self.rows_read} {self.table} rows from {self.file_name or 'the file'} ({what})."]
        if self.rows_excluded:
            lines.append(f"{self.rows_excluded} rows were left out entirely (see the issues table).")
        for endpoint in self.analysed:
            excluded = self.excluded[endpoint]
            line = f"{endpoint}: {self.analysed[endpoint]} analysed, {excluded} excluded"
            if excluded:
                top = self.reasons(endpoint).head(3)
                line += " (" + "; ".join(f"{k}: {v}" for k, v in top.items()) + ")"
            lines.append(line + ".")
        if self.unmatched_columns:
            more = f" and {self.unmatched_not_shown:,} more" if self.unmatched_not_shown else ""
            lines.append("Columns not used: " + ", ".join(f"'{c}'" for c in self.unmatched_columns) + more + ".")
        lines.extend(self.warnings)
        return "\n".join(lines)


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class IssueLog:
    """Collects issues in vectorised batches (a million-row file can have many)."""

    def __init__(self, source_rows: np.ndarray, patient_ids: Callable[[np.ndarray], list[str]]) -> None:
        """`patient_ids(rows)` returns the IDs as written for row positions (looked up lazily)."""
        self._source_rows = np.asarray(source_rows, dtype=np.int64)
        self._ids = patient_ids
        self._parts: list[pd.DataFrame] = []

    def add(
        self,
        rows: np.ndarray | Sequence[int],
        *,
        endpoint: str,
        column: str,
        values: Sequence[str] | np.ndarray | str,
        problem: Sequence[str] | np.ndarray | str,
        kind: str,
        action: str,
        excludes: bool,
    ) -> None:
        """Record one problem for each row position in `rows` (positions in the read table)."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        self._parts.append(
            pd.DataFrame(
                {
                    "source_row": self._source_rows[rows],
                    "patient_id": np.asarray(self._ids(rows), dtype=object),
                    "endpoint": endpoint,
                    "column": column,
                    "value": _broadcast(values, len(rows)),
                    "problem": _broadcast(problem, len(rows)),
                    "action": action,
                    "excludes": excludes,
                    "problem_kind": kind,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        columns = [*ISSUE_COLUMNS, "problem_kind"]
        if not self._parts:
            empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
            empty["source_row"] = empty["source_row"].astype(np.int64)
            empty["excludes"] = empty["excludes"].astype(bool)
            return empty
        out = pd.concat(self._parts, ignore_index=True)[columns]
        return out.sort_values(["source_row"], kind="stable").reset_index(drop=True)


def _broadcast(value: Sequence[str] | np.ndarray | str, n: int) -> np.ndarray:
    if isinstance(value, str):
        return np.full(n, value, dtype=object)
    arr = np.asarray(value, dtype=object)
    if len(arr) != n:
        raise ValueError("issue values must match the rows")  # programming error, not user input
    return arr
