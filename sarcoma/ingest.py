"""Read a centre's cohort export (CSV or XLSX) into the canonical schema, with a quality report.

Public API:
    load_cohort(source, *, column_map=None, sheet=None) -> (cohort DataFrame, DataQualityReport)
    load_adverse_events(source, *, sheet=None, column_map=None, patient_ids=None)
        -> (AE DataFrame, DataQualityReport)
    template_csv() -> bytes;  data_dictionary_markdown() -> str
    CohortReadError (a ValueError): the file cannot be used; the message says what to do.

A workbook with a second sheet named like "Adverse events", "AE" or "Toxicity" has that table
read too: `report.adverse_events` (DataFrame) and `report.adverse_events_report`.

Survival rules (also in docs/data-dictionary.md):
  * PFS and OS come from `pfs_months` + `pfs_event` / `os_months` + `os_event` when both are
    present and valid for the row; otherwise from dates, months = days / 30.4375:
      PFS: event = earliest of progression and death (event 1); if neither, censored (0) at
           the last follow-up date.
      OS:  event = death (1); otherwise censored (0) at the last follow-up date.
  * Contradictory dates exclude the endpoint for that row: death before treatment start
    (PFS and OS), progression before start or after death (PFS), last follow-up before start
    (when it is the censoring date), an event column saying 0 while the event date is given.
  * A row missing one endpoint still counts for the others.

Response date (optional `response_date`, date of first CR/PR; starts DoR, ends TTR, used by the
landmark analysis): left blank when it contradicts the rest of the row (best response SD/PD/NE,
before treatment start, after death, progression or last follow-up) and reported, under DoR for
a responder (who leaves DoR and TTR) and under Response otherwise; a CR/PR without a date (when
the column has dates) is listed under DoR; a date without a best response is reported and kept.
None of these changes who counts for the response rate.

Duration of response and time to treatment failure (optional `treatment_end`) are derived by the
endpoint registry (sarcoma.endpoints) from the built cohort, so the report counts exactly what
the analyses use; they are in the report when the file records response dates / treatment end
dates. Their rules (treatment end before start or after death, on treatment with an end date,
a stopped treatment without an end date, ...) are the registry's reasons, one issue per patient.
"""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sarcoma import ingest_headers as headers
from sarcoma import ingest_limits as limits
from sarcoma import ingest_rows as rowcheck
from sarcoma import ingest_values as values
from sarcoma import schema, vocab
from sarcoma.endpoints import evaluate_endpoint
from sarcoma.ingest_read import (
    MAX_UPLOAD_BYTES,
    CohortReadError,
    Grid,
    choose_sheet,
    is_ae_sheet,
    open_workbook,
    read_sheet_grid,
    read_text_grid,
    read_upload,
    sniff_format,
)
from sarcoma.quality import DataQualityReport, IssueLog

__all__ = [
    "MAX_UPLOAD_BYTES",
    "CohortReadError",
    "DataQualityReport",
    "LABELS",
    "data_dictionary_markdown",
    "load_adverse_events",
    "load_cohort",
    "template_csv",
]

# Human names used in messages ("PFS time is negative (-2.0)").
LABELS: dict[str, str] = {
    "patient_id": "Patient ID", "center": "Centre", "sex": "Sex", "age": "Age",
    "disease_stage": "Disease stage", "histotype": "Histotype", "histotype_detail": "Histotype detail",
    "histotype_original": "Histotype as written", "primary_site": "Primary site",
    "met_lung": "Lung metastases", "met_liver": "Liver metastases", "met_other": "Other metastases",
    "n_met_sites": "Number of metastatic sites", "periop_chemo": "Perioperative chemotherapy",
    "primary_surgery": "Primary surgery", "prior_anthracycline": "Prior anthracycline",
    "prior_gemcitabine": "Prior gemcitabine", "prior_trabectedin": "Prior trabectedin",
    "prior_tki": "Prior TKI", "prior_other": "Other prior therapy", "prior_lines": "Prior lines",
    "line_of_therapy": "Line of therapy", "regimen": "Regimen", "regimen_class": "Regimen class",
    "treatment_start": "Treatment start date", "progression_date": "Progression date",
    "death_date": "Death date", "last_follow_up": "Last follow-up date", "pfs_months": "PFS time",
    "pfs_event": "PFS event", "os_months": "OS time", "os_event": "OS event",
    "best_response": "Best response", "best_pct_change": "Best % change",
    "response_date": "Response date",
    "on_treatment": "On treatment", "treatment_end": "Treatment end date",
    "discontinuation_reason": "Discontinuation reason",
    "any_ae": "Any AE", "max_ae_grade": "Maximum AE grade", "ae_delay": "AE delay",
    "ae_discontinuation": "AE discontinuation", "pdl1": "PD-L1", "tmb": "TMB", "msi": "MSI",
    "term": "AE term", "grade": "AE grade", "led_to_delay": "Led to delay",
    "led_to_discontinuation": "Led to discontinuation",
}
assert set(schema.COLUMN_NAMES) <= set(LABELS)

# Per-column parsing beyond the schema kind: (lo, hi, unit keys).
_NUMBER_RULES: dict[str, tuple[float | None, float | None, frozenset[str]]] = {
    "age": (0, 120, frozenset({"years", "year", "yrs", "yr", "y", "yo", "ar", "jahre", "ετων"})),
    "n_met_sites": (0, 30, frozenset()),
    "prior_lines": (0, 30, frozenset({"lines", "line", "prior"})),
    "line_of_therapy": (1, 31, frozenset()),
    "max_ae_grade": (0, 5, frozenset({"grade", "g"})),
    "pfs_months": (None, None, frozenset({"months", "month", "mo", "mos", "m", "mnd", "monate", "mois"})),
    "os_months": (None, None, frozenset({"months", "month", "mo", "mos", "m", "mnd", "monate", "mois"})),
    "best_pct_change": (-100, 10000, frozenset({"%"})),
    "tmb": (0, 10000, frozenset({"mutmb", "mutsmb", "mutationsmb", "mutationmb", "mb", "mutations"})),
    "grade": (1, 5, frozenset({"grade", "g"})),
}
_CATEGORY_RULES: dict[str, tuple[dict[str, str], tuple[str, ...], str | None]] = {
    "sex": (vocab.SEX_LOOKUP, schema.SEXES, None),
    "disease_stage": (vocab.STAGE_LOOKUP, schema.STAGES, None),
    "primary_site": (vocab.SITE_LOOKUP, schema.PRIMARY_SITES, "Other"),
    "discontinuation_reason": (vocab.DISCONTINUATION_LOOKUP, schema.DISCONTINUATION_REASONS, "Other"),
    "msi": (vocab.MSI_LOOKUP, ("High", "Low"), None),
    "best_response": (vocab.RESPONSE_LOOKUP, schema.BEST_RESPONSES, None),
    "regimen_class": (vocab.REGIMEN_CLASS_LOOKUP, schema.REGIMEN_CLASSES, None),
}
_ENDPOINT_COLUMNS = frozenset({"pfs_months", "pfs_event", "os_months", "os_event", "best_response"})
_DATE_COLUMNS = ("treatment_start", "progression_date", "death_date", "last_follow_up", "response_date", "treatment_end")
# Columns whose text the later steps quote in the issues table (all others are dropped early).
_QUOTED_LATER = frozenset(
    {"patient_id", "histotype", "line_of_therapy", "regimen_class", "regimen", *_DATE_COLUMNS,
     *_ENDPOINT_COLUMNS}
)
_UNEXPECTED = "The file could not be read because of an unexpected problem"
LARGE_TABLE_ROWS = 100_000  # from here on, memory is handed back eagerly (see _free_memory)
HEADER_SEARCH_ROWS = 10  # a title block above the header row is skipped if it is this short


# --- Public API -----------------------------------------------------------------------------------


def load_cohort(
    source: Any,
    *,
    column_map: Mapping[str, str | None] | None = None,
    sheet: str | int | None = None,
    max_bytes: int | None = MAX_UPLOAD_BYTES,
) -> tuple[pd.DataFrame, DataQualityReport]:
    """Read a cohort export into the canonical schema and report every problem found.

    `source` is a path, raw bytes, or a file-like upload (BytesIO, Streamlit UploadedFile).
    CSV/TSV/TXT or XLSX, decided by content. `column_map` maps source headers to canonical
    names (None ignores a column); `sheet` picks the patient sheet (name or 0-based index,
    default: the first sheet not named like an AE sheet). `max_bytes=None` lifts the 50 MB
    upload cap (benchmarks only). Returns (cohort, report): the cohort has the canonical
    columns present plus `histotype_original`, derived `line_of_therapy`/`regimen_class` and
    `source_row` (spreadsheet row number, header = row 1). See the module docstring for the
    survival rules. Raises CohortReadError for anything the user must fix.
    """
    try:
        return _load_cohort(source, column_map, sheet, max_bytes)
    except CohortReadError:
        raise
    except MemoryError as exc:
        raise CohortReadError(
            "The file is too large to analyse on this machine. Remove unneeded columns or rows "
            "and upload again."
        ) from exc
    except Exception as exc:  # a bug must still reach the user as a readable message
        raise CohortReadError(
            f"{_UNEXPECTED} ({type(exc).__name__}). Check that the file is a cohort table "
            "exported from Excel or SPSS, or try the template; if it persists, report it."
        ) from exc


def load_adverse_events(
    source: Any,
    *,
    sheet: str | int | None = None,
    column_map: Mapping[str, str | None] | None = None,
    patient_ids: Any = None,
    max_bytes: int | None = MAX_UPLOAD_BYTES,
) -> tuple[pd.DataFrame, DataQualityReport]:
    """Read the optional adverse-event table (schema.AE_COLUMNS, one row per event).

    From a CSV, or from a workbook sheet (`sheet`, else the sheet named like "Adverse events",
    "AE" or "Toxicity", else the only sheet). With `patient_ids` (e.g. cohort["patient_id"]),
    events of patients not in the cohort are excluded and reported. The report has one
    endpoint, "AE": rows usable (patient ID and term present).
    """
    try:
        upload = read_upload(source, max_bytes)
        fmt = sniff_format(upload.data)
        sheets: list[str] = []
        if fmt == "xlsx":
            wb = open_workbook(upload.data)
            sheets = list(wb.sheetnames)
            name = choose_sheet(sheets, sheet, want_ae=True)
            if name is None:
                if len(sheets) != 1:
                    raise CohortReadError(
                        "The workbook has no sheet named like 'Adverse events', 'AE' or "
                        "'Toxicity'. Choose the sheet that holds the adverse events. Sheets: "
                        + ", ".join(f"'{n}'" for n in sheets) + "."
                    )
                name = sheets[0]
            grid = read_sheet_grid(wb, name, limits.CellBudget())
            wb.close()
        else:
            grid = read_text_grid(upload, max_rows=None if max_bytes is None else limits.MAX_ROWS)
        events, report = _read_ae_grid(grid, column_map, patient_ids)
        report.file_name = upload.name
        report.sheets = sheets
        return events, report
    except CohortReadError:
        raise
    except Exception as exc:
        raise CohortReadError(
            f"{_UNEXPECTED} in the adverse-event table ({type(exc).__name__}). Check the file "
            "or try the template."
        ) from exc


# --- Orchestration ----------------------------------------------------------------------------------


def _load_cohort(
    source: Any, column_map: Mapping[str, str | None] | None, sheet: str | int | None, max_bytes: int | None
) -> tuple[pd.DataFrame, DataQualityReport]:
    upload = read_upload(source, max_bytes)
    fmt = sniff_format(upload.data)
    ae_grid: Grid | None = None
    sheets: list[str] = []
    if fmt == "xlsx":
        wb = open_workbook(upload.data)
        budget = limits.CellBudget()  # shared by every sheet this upload reads
        sheets = list(wb.sheetnames)
        chosen = choose_sheet(sheets, sheet, want_ae=False)
        if chosen is None:
            raise CohortReadError("The workbook has no sheets. Upload the workbook with the patient table.")
        # Without an explicit choice, a first sheet with no table (instructions, a cover page)
        # is passed over for the next non-AE sheet that has one.
        candidates = [chosen] if sheet is not None else [
            n for n in sheets[sheets.index(chosen):] if not is_ae_sheet(n)
        ]
        first_error: _NoTableError | None = None
        for name in candidates:
            try:
                cohort, report = _read_patient_grid(read_sheet_grid(wb, name, budget), column_map)
            except _NoTableError as exc:
                first_error = first_error or exc
                continue
            if name != chosen:
                report.warnings.insert(0, f"The sheet '{chosen}' holds no patient table; read '{name}'.")
            break
        else:
            assert first_error is not None
            shown = ", ".join(f"'{n}'" for n in sheets)
            raise CohortReadError(
                f"{first_error} (Sheet '{candidates[0]}'; the workbook's sheets are {shown}: "
                "choose the one with the patient table.)"
            ) from first_error
        ae_name = choose_sheet(sheets, None, want_ae=True)
        if ae_name is not None and ae_name != name:
            ae_grid = read_sheet_grid(wb, ae_name, budget)
        wb.close()
    else:
        # Empties upload.data once parsed, to save memory. No row limit when the size limit is off.
        grid = read_text_grid(upload, max_rows=None if max_bytes is None else limits.MAX_ROWS)
        cohort, report = _read_patient_grid(grid, column_map)
    upload.data = b""
    report.file_name = upload.name
    report.sheets = sheets
    if ae_grid is not None:
        try:
            events, ae_report = _read_ae_grid(ae_grid, None, cohort["patient_id"])
        except CohortReadError as exc:
            report.warnings.append(f"The sheet '{ae_grid.sheet}' was not read as adverse events: {exc}")
        else:
            report.adverse_events = events
            report.adverse_events_report = ae_report
            report.warnings.append(
                f"Adverse events read from sheet '{ae_grid.sheet}': {ae_report.analysed['AE']} events"
                + (f", {ae_report.excluded['AE']} rows excluded" if ae_report.excluded["AE"] else "")
                + "."
            )
    return cohort, report


class _NoTableError(CohortReadError):
    """No table at all (empty, no recognisable header, no data rows): try another sheet."""


@dataclass
class _Table:
    """The data rows under the header, with the header matched to canonical names."""

    grid: Grid
    header: list[str]
    columns: list[pa.Array | None]  # None once a column's text has been dropped (see drop)
    source_rows: np.ndarray
    match: headers.HeaderMatch
    warnings: list[str] = field(default_factory=list)
    empty_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    cell_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # per data row
    header_cells: int = 0  # the header's cell count (in a workbook: up to its last named cell)
    column_blank: list[np.ndarray] = field(default_factory=list)  # per column, empty cells

    @property
    def n(self) -> int:
        return len(self.source_rows)

    def col(self, name: str) -> pa.Array | None:
        for i, mapped in self.match.mapping.items():
            if mapped == name:
                return self.columns[i]
        return None

    def need(self, name: str) -> pa.Array:
        """A column known to be present (checked before parsing)."""
        col = self.col(name)
        if col is None:
            raise AssertionError(f"column {name} is not available")
        return col

    def drop(self, name: str) -> None:
        """Forget a column's text once it is parsed and reported (to save memory)."""
        for i, mapped in self.match.mapping.items():
            if mapped == name:
                self.columns[i] = None

    def drop_unmatched(self) -> None:
        for i in range(len(self.columns)):
            if i not in self.match.mapping:
                self.columns[i] = None

    def source_header(self, name: str) -> str:
        for i, mapped in self.match.mapping.items():
            if mapped == name:
                return headers.describe(self.header, i)
        return name

    def raw(self, name: str, rows: np.ndarray) -> list[str]:
        col = self.col(name)
        if col is None or not len(rows):
            return [""] * len(rows)
        return values.trimmed(col.take(pa.array(rows, pa.int64()))).to_pylist()


def _prepare(
    grid: Grid,
    lookup: Mapping[str, str],
    valid: tuple[str, ...],
    column_map: Mapping[str, str | None] | None,
    *,
    what: str,
) -> _Table:
    """Find the header row, drop trailing empty rows and columns, match the headers."""
    if grid.n_rows == 0 or not grid.columns:
        raise _NoTableError(f"The {what} is empty. Export it again and upload it.")
    manual = {vocab.key(k) for k in (column_map or {})}
    scores = []
    for i in range(min(HEADER_SEARCH_ROWS, grid.n_rows)):
        cells = grid.row(i)
        score = headers.header_score(cells, lookup) + sum(1 for c in cells if c.strip() and vocab.key(c) in manual)
        scores.append(score)
    best = int(np.argmax(scores))
    if scores[best] == 0:
        first = [c for c in grid.row(0) if c.strip()][:8]
        shown = ", ".join(f"'{c[:40]}'" for c in first) or "(nothing)"
        raise _NoTableError(
            f"None of the column headers in the {what} were recognised (first row: {shown}). "
            "The first row should hold column names such as 'Patient ID', 'Histology', "
            "'PFS (months)'. Rename the headers, map them by hand, or start from the template."
        )
    warnings: list[str] = list(grid.notes)
    if best > 0:
        warnings.append(
            f"Rows {grid.first_row_number}-{grid.first_row_number + best - 1} above the header "
            f"row (row {grid.first_row_number + best}) were skipped."
        )
    header = grid.row(best)
    counts = grid.counts()
    data_cols = [c.slice(best + 1) for c in grid.columns]
    n = grid.n_rows - best - 1
    column_blank = rowcheck.column_blanks(data_cols)
    blank = np.ones(n, dtype=bool)
    for is_blank in column_blank:
        blank &= is_blank
    nonblank = np.flatnonzero(~blank)
    last = int(nonblank[-1]) + 1 if len(nonblank) else 0
    if last < n:
        trailing = n - last
        if last:
            warnings.append(f"{trailing} empty rows at the end of the {what} were ignored.")
        data_cols = [c.slice(0, last) for c in data_cols]
        column_blank = [b[:last] for b in column_blank]
        blank = blank[:last]
        n = last
    if n == 0:
        raise _NoTableError(
            f"The {what} has a header row but no data rows. Check that you exported the whole "
            "table (not only the header) and upload it again."
        )
    col_empty = [bool(b.all()) for b in column_blank]
    empty_columns = {i for i, h in enumerate(header) if not h.strip() and col_empty[i]}
    dates, sites = _content_hints(data_cols, header, lookup)
    try:
        match = headers.match_headers(
            header,
            lookup=lookup,
            valid_names=valid,
            column_map=column_map,
            looks_like_dates=dates,
            looks_like_sites=sites,
            empty_columns=empty_columns,
        )
    except ValueError as exc:
        raise CohortReadError(str(exc)) from exc
    first_data_row = grid.first_row_number + best + 1
    source_rows = np.arange(first_data_row, first_data_row + n, dtype=np.int64)
    table = _Table(grid=grid, header=header, columns=data_cols, source_rows=source_rows, match=match)
    table.warnings = warnings + match.warnings
    table.empty_rows = blank
    table.cell_counts = counts[best + 1 : best + 1 + n]
    table.header_cells = int(counts[best])
    table.column_blank = column_blank
    return table


_DECIDED_BY_CONTENT = frozenset({"pfs_event", "os_event", "best_response", "primary_site"})


def _content_hints(
    columns: list[pa.Array], header: list[str], lookup: Mapping[str, str]
) -> tuple[dict[int, bool], dict[int, bool]]:
    """Per column, from the first 200 filled cells: mostly dates? mostly primary-site words?

    Only for the headers whose meaning depends on content (see ingest_headers), so a wide
    file does not pay for sampling hundreds of columns.
    """
    dates: dict[int, bool] = {}
    sites: dict[int, bool] = {}
    for i, c in enumerate(columns):
        if i >= len(header) or headers.match_one(header[i], lookup) not in _DECIDED_BY_CONTENT:
            continue
        sample = [s for s in values.trimmed(c.slice(0, 500)).to_pylist() if not values.is_missing(s)][:200]
        if not sample:
            sites[i] = True
            continue
        forms = [values.date_form(s) for s in sample]
        dates[i] = sum(1 for f in forms if f is not None and f[0] != "serial") >= 0.8 * len(sample)
        site_hits = sum(1 for s in sample if vocab.SITE_LOOKUP.get(vocab.key(s), "Other") != "Other")
        sites[i] = site_hits >= 0.5 * len(sample)
    return dates, sites


@dataclass
class _Untrusted:
    """Rows to leave out of every analysis, with the words for the issues table and the report."""

    mask: np.ndarray
    kind: str
    problem: Any  # text, or rows -> texts
    action: str
    report: str  # "{n} rows ({rows}) ..." for the report's warnings

    def summary(self, source_rows: np.ndarray) -> str:
        shown = ", ".join(str(r) for r in source_rows[:10])
        if len(source_rows) > 10:
            shown += f" and {len(source_rows) - 10} more"
        noun = "row" if len(source_rows) == 1 else "rows"
        return self.report.format(n=f"{len(source_rows)} {noun}", rows=shown)


_NOT_A_PATIENT = "row not read as a patient"


def _untrusted_rows(table: _Table, *, id_present: np.ndarray | None) -> list[_Untrusted]:
    """Repeated headers, totals lines, ID-only rows (patient table only: `id_present` given)
    and ragged rows, in that order of precedence (see ingest_rows for the rules)."""
    id_col = next((i for i, m in table.match.mapping.items() if m == "patient_id"), None)
    lookup = headers.PATIENT_LOOKUP if id_present is not None else headers.AE_LOOKUP
    found = [
        _Untrusted(
            rowcheck.repeated_header_rows(table.columns, table.header, id_col, lookup),
            "repeated header row", "the row repeats the column headers", _NOT_A_PATIENT,
            "{n} ({rows}) repeat the header row, as when two exports are pasted together; "
            "they were not read as patients.",
        ),
        _Untrusted(
            rowcheck.summary_rows(table.columns, table.column_blank, id_col),
            "totals row", "the row is a total or summary line ('Total', 'Sum', 'N =' ...)", _NOT_A_PATIENT,
            "{n} ({rows}) look like totals or summary lines under the table; they were not read "
            "as patients.",
        ),
    ]
    if id_present is not None:
        found.append(_Untrusted(
            rowcheck.id_only_rows(id_present, table.col),
            "patient ID only", "the row has a patient ID but no histotype, regimen, survival or "
            "response data", _NOT_A_PATIENT + "; fill in the row to include it",
            "{n} ({rows}) have a patient ID and nothing else the analysis uses; they were not "
            "read as patients.",
        ))
    ragged = rowcheck.ragged_rows(table.cell_counts, table.header_cells, table.empty_rows,
                                     table.column_blank, addressed=table.grid.addressed)

    def ragged_problems(rows: np.ndarray) -> list[str]:
        return [rowcheck.ragged_problem(int(table.cell_counts[r]), table.header_cells,
                                        _stray_column(table, int(r))) for r in rows]

    found.append(_Untrusted(
        ragged, "cells do not line up", ragged_problems,
        "row excluded from every analysis: its values cannot be trusted; check the row (a "
        "separator inside a text cell without quotes, or a missing or extra cell) and upload again",
        "{n} ({rows}) do not have as many cells as the header, so their values may be shifted "
        "into the wrong columns; they were left out of every analysis (see the issues table).",
    ))
    return found


def _unmatched_for_report(table: _Table) -> list[str]:
    """Unrecognised headers, capped for the mapping form (ingest_limits.MAX_MAPPING_COLUMNS)."""
    return [headers.describe(table.header, i) for i in table.match.unmatched[: limits.MAX_MAPPING_COLUMNS]]


def _stray_column(table: _Table, row: int) -> str | None:
    """In a workbook, the first column right of the header holding a value in this row."""
    if not table.grid.addressed:
        return None
    for j in range(table.header_cells, len(table.column_blank)):
        if not table.column_blank[j][row]:
            return headers.column_letter(j)
    return None


def _check_required(table: _Table) -> None:
    have = set(table.match.mapping.values())
    dates_pfs = "treatment_start" in have and bool(have & {"progression_date", "death_date", "last_follow_up"})
    dates_os = "treatment_start" in have and bool(have & {"death_date", "last_follow_up"})
    missing: list[tuple[str, str]] = []
    if "patient_id" not in have:
        missing.append(("patient_id", "patient ID (patient_id)"))
    if "histotype" not in have:
        missing.append(("histotype", "histotype (histotype)"))
    if not have & {"prior_lines", "line_of_therapy"}:
        missing.append(("prior_lines", "prior lines of therapy (prior_lines) or line of therapy"))
    if not have & {"regimen", "regimen_class"}:
        missing.append(("regimen", "ICI regimen (regimen) or regimen class (regimen_class)"))
    for endpoint, t_col, e_col, date_ok in (
        ("PFS", "pfs_months", "pfs_event", dates_pfs),
        ("OS", "os_months", "os_event", dates_os),
    ):
        if not ({t_col, e_col} <= have or date_ok):
            absent = [c for c in (t_col, e_col) if c not in have]
            missing.append(
                (absent[0], f"{endpoint} time and event ({', '.join(absent)} missing), or the dates "
                 "to derive them (treatment_start plus progression/death/last follow-up dates)")
            )
    if not missing:
        return
    unmatched = table.match.unmatched
    hints = {name: headers.suggestions(name, table.header, unmatched) for name, _ in missing}
    lines = ["Some columns the analysis needs were not found:"]
    for name, text in missing:
        hint = hints[name]
        lines.append(f"- {text}" + (f"; maybe {', '.join(repr(h) for h in hint)}?" if hint else ""))
    if unmatched:
        shown = [headers.describe(table.header, i) for i in unmatched[:20]]
        more = f" and {len(unmatched) - 20:,} more" if len(unmatched) > 20 else ""
        lines.append("Columns that were not recognised: " + ", ".join(f"'{u}'" for u in shown) + more + ".")
    lines.append("Rename the headers or map the columns by hand, or start from the template.")
    # The mapping form gets the likeliest candidates first, then the rest in file order.
    suggested = {h for hint in hints.values() for h in hint}
    order = sorted(unmatched, key=lambda i: headers.describe(table.header, i) not in suggested)
    raise CohortReadError(
        "\n".join(lines),
        missing_columns=tuple(name for name, _ in missing),
        unmatched_columns=tuple(table.header[i] for i in order[: limits.MAX_MAPPING_COLUMNS]),
        unmatched_total=len(unmatched),
    )


def _read_patient_grid(
    grid: Grid, column_map: Mapping[str, str | None] | None
) -> tuple[pd.DataFrame, DataQualityReport]:
    table = _prepare(grid, headers.PATIENT_LOOKUP, schema.COLUMN_NAMES, column_map, what="patient table")
    _check_required(table)
    builder = _CohortBuilder(table)
    return builder.build()


# --- The cohort ---------------------------------------------------------------------------------------


class _CohortBuilder:
    """Parses every matched column, applies the row and endpoint rules, builds the report."""

    def __init__(self, table: _Table) -> None:
        self.t = table
        self.n = table.n
        self.out: dict[str, Any] = {}
        self.parsed: dict[str, values.Parsed] = {}
        self.warnings: list[str] = list(table.warnings)
        self.log = IssueLog(table.source_rows, lambda rows: table.raw("patient_id", rows))
        self.kept = np.ones(self.n, dtype=bool)
        self.decimal_comma = False
        self.not_eligible: dict[str, dict[str, int]] = {}
        self.dor_reported = np.zeros(self.n, dtype=bool)  # rows whose DoR problem a rule already listed

    # Columns ------------------------------------------------------------------------------------

    def parse_all(self) -> None:
        """Parse every matched column; patient IDs first so the row exclusions are known.

        Each column's unreadable values are reported as soon as it is parsed, and its text is
        then dropped unless the later steps quote it, so the file's text and the parsed
        columns are never all in memory together.
        """
        self.month_first = self._date_order()
        self._parse_column("patient_id")
        self.exclude_rows()
        if not self.kept.any():
            reasons = self.log.frame()["problem_kind"].value_counts()
            listed = "; ".join(f"{k}: {v}" for k, v in reasons.items())
            raise CohortReadError(
                f"No patient rows could be used: all {self.n} rows were left out ({listed}). "
                "Check the patient ID column and upload again."
            )
        for i, name in enumerate(schema.COLUMN_NAMES):
            if name != "patient_id" and self.t.col(name) is not None:
                self._parse_column(name)
                self._log_value_problems(name)
                if name not in _QUOTED_LATER:
                    self.t.drop(name)
            if i % 10 == 9:
                self._free_memory()
        self.t.drop_unmatched()
        self._free_memory()

    def _free_memory(self) -> None:
        """Collect pandas' reference cycles and return Arrow's free pages to the OS.

        Temporary Series/DataFrames sit in reference cycles and keep their buffers until the
        cycle collector runs, which a run with few Python objects rarely triggers. Only worth
        its ~30 ms on large files.
        """
        if self.n >= LARGE_TABLE_ROWS:
            gc.collect()
            pa.default_memory_pool().release_unused()

    def _parse_column(self, name: str) -> None:
        parsed = self._parse(name, self.t.need(name))
        self.parsed[name] = parsed
        for note in parsed.notes:
            self.warnings.append(f"'{self.t.source_header(name)}': {note}.")
        grouped = parsed.extra.get("grouped")
        if grouped and not self.kept.all():
            grouped = self._kept_counts(name, grouped)
        if grouped:
            total = sum(grouped.values())
            listed = ", ".join(f"'{k}' ({v})" for k, v in sorted(grouped.items(), key=lambda kv: -kv[1])[:8])
            self.warnings.append(
                f"{total} values in '{self.t.source_header(name)}' were not recognised and were "
                f"grouped as Other: {listed}."
            )
        self.decimal_comma |= bool(parsed.extra.get("decimal_comma"))

    def _kept_counts(self, name: str, grouped: dict[str, int]) -> dict[str, int]:
        """Counts of grouped values among the rows still in the cohort (not in excluded rows)."""
        kept_text = values.trimmed(self.t.need(name)).filter(pa.array(self.kept))
        counts = pc.value_counts(kept_text).to_pylist()
        return {c["values"]: c["counts"] for c in counts if c["values"] in grouped}

    def _date_order(self) -> bool:
        """Day/month order for the whole file: one centre writes all its dates one way."""
        cols = [(c, self.t.col(c)) for c in _DATE_COLUMNS if self.t.col(c) is not None]
        evidence = [values.date_order_evidence(self.t.need(c)) for c, _ in cols]
        month_first = any(m for _, m in evidence) and not any(d for d, _ in evidence)
        if month_first:
            names = ", ".join(f"'{self.t.source_header(c)}'" for c, _ in cols)
            self.warnings.append(
                f"Dates in {names} are written month-first (mm/dd/yyyy), so all dates were read "
                "that way."
            )
        return month_first

    def _parse(self, name: str, col: pa.Array) -> values.Parsed:
        kind = schema.BY_NAME[name].kind
        if name == "histotype":
            return values.parse_histotype(col)
        if name in _CATEGORY_RULES:
            lookup, allowed, other = _CATEGORY_RULES[name]
            return values.parse_category(col, lookup, allowed=allowed, other=other)
        if kind in ("str", "category"):
            return values.parse_text(col)
        if kind in ("int", "float"):
            lo, hi, units = _NUMBER_RULES.get(name, (None, None, frozenset()))
            parsed = values.parse_number(col, integer=kind == "int", units=units, lo=lo, hi=hi)
            if name in ("pfs_months", "os_months"):
                factor, unit = headers.time_unit(self.t.source_header(name))
                if factor != 1.0:
                    parsed.values = parsed.values * factor
                    self.warnings.append(
                        f"'{self.t.source_header(name)}' is in {unit}; converted to months "
                        f"(1 month = {schema.DAYS_PER_MONTH} days)."
                    )
            return parsed
        if kind == "bool":
            return values.parse_bool(col)
        if kind == "event":
            words = vocab.PFS_EVENT_LOOKUP if name == "pfs_event" else vocab.OS_EVENT_LOOKUP
            return values.parse_event(col, words)
        if kind == "date":
            return values.parse_date(col, epoch=self.t.grid.date_epoch, month_first=self.month_first)
        raise AssertionError(f"unknown kind {kind}")

    # Rows -------------------------------------------------------------------------------------------

    def exclude_rows(self) -> None:
        """Rows that are not patients or cannot be trusted leave the cohort, one reason each:
        empty, a repeated header, a totals line, an ID without data, cells that do not line up
        with the header (see ingest_rows), no ID, a duplicate ID."""
        empty = self.t.empty_rows
        self._drop(np.flatnonzero(empty), "patient_id", "the row is empty", "empty row", "row skipped")
        pid = self.parsed["patient_id"]
        for found in _untrusted_rows(self.t, id_present=pid.status == values.OK):
            rows = np.flatnonzero(found.mask & self.kept)
            problems = found.problem(rows) if callable(found.problem) else found.problem
            self._drop(rows, "patient_id", problems, found.kind, found.action)
            if len(rows):
                self.warnings.append(found.summary(self.t.source_rows[rows]))
        no_id = np.flatnonzero(self.kept & (pid.status != values.OK))
        self._drop(no_id, "patient_id", "patient ID is missing", "no patient ID",
                   "row excluded: add the patient ID to include it")
        # Duplicates are found on dictionary codes of the trimmed IDs (fast for a million rows).
        codes = pc.dictionary_encode(values.trimmed(self.t.need("patient_id"))).indices
        codes = codes.to_numpy(zero_copy_only=False)
        candidates = np.flatnonzero(self.kept)
        seen = pd.Series(codes[candidates])
        later_mask = seen.duplicated(keep="first").to_numpy()
        if later_mask.any():
            first = pd.Series(self.t.source_rows[candidates[~later_mask]], index=seen[~later_mask].to_numpy())
            later = candidates[later_mask]
            first_rows = first.loc[codes[later]].to_numpy()
            ids = self.t.raw("patient_id", later)
            problems = [
                f"patient ID '{i}' is also in row {f}" for i, f in zip(ids, first_rows, strict=True)
            ]
            self._drop(later, "patient_id", problems, "duplicate patient ID",
                       "row excluded; the first row with this ID is kept")

    def _drop(self, rows: np.ndarray, column: str, problem: Any, kind: str, action: str) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        self.log.add(rows, endpoint="all", column=column, values=self.t.raw(column, rows),
                     problem=problem, kind=kind, action=action, excludes=True)
        self.kept[rows] = False

    def _log_value_problems(self, name: str) -> None:
        """Unreadable values outside the endpoints: left blank, reported, row kept."""
        parsed = self.parsed[name]
        if name in _ENDPOINT_COLUMNS or not parsed.problems:
            return
        rows = np.array([r for r in parsed.problems if self.kept[r]], dtype=np.int64)
        label = LABELS[name]
        # The response date only matters to response analyses: listed with their other issues.
        endpoint = "Response" if name == "response_date" else "all"
        self.log.add(rows, endpoint=endpoint, column=name, values=self.t.raw(name, rows),
                     problem=[f"{label}: {parsed.problems[int(r)]}" for r in rows],
                     kind=f"{label} unreadable", action="left blank", excludes=False)

    # Derived columns -----------------------------------------------------------------------------------

    def histotype(self) -> None:
        parsed = self.parsed["histotype"]
        self.out["histotype"] = parsed.values
        detail = parsed.extra["detail"]
        given_detail = self.parsed.get("histotype_detail")
        if given_detail is not None:
            detail = pd.Series(given_detail.values).fillna(pd.Series(detail)).array
        self.out["histotype_detail"] = detail
        given_original = self.parsed.get("histotype_original")
        self.out["histotype_original"] = given_original.values if given_original else parsed.extra["original"]
        rows = np.flatnonzero(self.kept & (parsed.status == values.MISSING))
        self.log.add(rows, endpoint="all", column="histotype", values=self.t.raw("histotype", rows),
                     problem="histotype is missing", kind="histotype missing",
                     action="left blank; the patient is not in histotype comparisons", excludes=False)

    def lines(self) -> None:
        prior = self._int("prior_lines")
        line = self._int("line_of_therapy")
        both = ~np.isnan(prior) & ~np.isnan(line)
        clash = np.flatnonzero(both & (line != prior + 1) & self.kept)
        if len(clash):
            problems = [f"line of therapy ({line[r]:g}) is not prior lines ({prior[r]:g}) + 1" for r in clash]
            self.log.add(clash, endpoint="all", column="line_of_therapy",
                         values=self.t.raw("line_of_therapy", clash), problem=problems,
                         kind="line and prior lines disagree",
                         action="both left blank; correct one of them", excludes=False)
            prior[clash] = np.nan
            line[clash] = np.nan
        prior = np.where(np.isnan(prior), line - 1, prior)
        line = np.where(np.isnan(line), prior + 1, line)
        self.out["prior_lines"] = values.int_array(prior)
        self.out["line_of_therapy"] = values.int_array(line)

    def _int(self, name: str) -> np.ndarray:
        parsed = self.parsed.get(name)
        if parsed is None:
            return np.full(self.n, np.nan)
        return parsed.values.to_numpy(dtype=float, na_value=np.nan)

    def regimen(self) -> None:
        """regimen_class as written, else derived from the regimen (see vocab.classify_regimen)."""
        classes = schema.REGIMEN_CLASSES
        given = self.parsed.get("regimen_class")
        reg = self.parsed.get("regimen")
        cls = given.extra["index"].copy() if given is not None else np.full(self.n, -1, np.int8)
        if given is not None:
            bad = np.flatnonzero(given.invalid & self.kept)
            self.log.add(bad, endpoint="all", column="regimen_class", values=self.t.raw("regimen_class", bad),
                         problem=[f"Regimen class: {given.problems[int(r)]}" for r in bad],
                         kind="regimen class unreadable",
                         action="derived from the regimen where possible", excludes=False)
        if reg is not None:
            # Classified once per distinct regimen text, then spread over the rows by code.
            codes, uniques = values.encode(self.t.need("regimen"))
            derived_u = [vocab.classify_regimen(u) for u in uniques]
            d_index_u = np.array([classes.index(c) if c else -1 for c, _ in derived_u], dtype=np.int8)
            d_idx = d_index_u[codes] if len(codes) else np.zeros(0, np.int8)
            fill = (cls < 0) & (d_idx >= 0)
            disagree = np.flatnonzero(self.kept & (cls >= 0) & (d_idx >= 0) & (cls != d_idx))
            if len(disagree):
                texts = self.t.raw("regimen", disagree)
                self.log.add(disagree, endpoint="all", column="regimen_class",
                             values=self.t.raw("regimen_class", disagree),
                             problem=[f"regimen class '{classes[cls[r]]}' does not match the regimen "
                                      f"'{t}' ({classes[d_idx[r]]})" for r, t in zip(disagree, texts, strict=True)],
                             kind="regimen class disagrees with regimen",
                             action="kept the class as written; please check", excludes=False)
            cls = np.where(fill, d_idx, cls)
            unknown = np.flatnonzero(self.kept & (cls < 0) & (reg.status == values.OK))
            if len(unknown):
                self.log.add(unknown, endpoint="all", column="regimen", values=self.t.raw("regimen", unknown),
                             problem=[str(derived_u[codes[r]][1]) for r in unknown], kind="regimen not recognised",
                             action="regimen class left blank; set it in the file or map it", excludes=False)
                self.warnings.append(
                    f"{len(unknown)} regimens could not be classed (ICI monotherapy, double ICI, "
                    "ICI + TKI, ICI + chemotherapy); see the issues table."
                )
        no_regimen = np.ones(self.n, bool) if reg is None else reg.status != values.OK
        missing = np.flatnonzero(self.kept & (cls < 0) & no_regimen)
        self.log.add(missing, endpoint="all", column="regimen", values=self.t.raw("regimen", missing),
                     problem="regimen and regimen class are missing", kind="regimen missing",
                     action="left blank", excludes=False)
        self.out["regimen_class"] = _labels(classes, cls)

    # Endpoints ------------------------------------------------------------------------------------------

    def survival(self) -> dict[str, np.ndarray]:
        dates = {c: self._date(c) for c in _DATE_COLUMNS}
        start = dates["treatment_start"]
        prog, death, lfu = dates["progression_date"], dates["death_date"], dates["last_follow_up"]
        has = {c: c in self.parsed for c in _DATE_COLUMNS}
        analysed: dict[str, np.ndarray] = {}
        for endpoint, t_col, e_col in (("PFS", "pfs_months", "pfs_event"), ("OS", "os_months", "os_event")):
            event_dates = [prog, death] if endpoint == "PFS" else [death]
            event_cols = ["progression_date", "death_date"] if endpoint == "PFS" else ["death_date"]
            ev_date = _earliest(event_dates)
            contra = np.zeros(self.n, dtype=bool)

            def flag(mask: np.ndarray, column: str, problem: str, kind: str, *, _ep: str = endpoint,
                     _contra: np.ndarray = contra) -> None:
                rows = np.flatnonzero(mask & self.kept)
                self.log.add(rows, endpoint=_ep, column=column, values=self.t.raw(column, rows),
                             problem=problem, kind=kind, action=f"excluded from {_ep}; correct the dates",
                             excludes=True)
                _contra[rows] = True

            flag(_lt(death, start), "death_date", "death date is before treatment start",
                 "death before treatment start")
            if endpoint == "PFS":
                flag(_lt(prog, start), "progression_date", "progression date is before treatment start",
                     "progression before treatment start")
                flag(_lt(death, prog), "progression_date", "progression date is after the death date",
                     "progression after death")
            flag(np.isnat(ev_date) & _lt(lfu, start), "last_follow_up",
                 "last follow-up date is before treatment start", "follow-up before treatment start")
            given_e = self.parsed.get(e_col)
            if given_e is not None and any(has[c] for c in event_cols):
                e_vals = given_e.values.to_numpy(dtype=float, na_value=np.nan)
                flag((e_vals == 0) & ~np.isnat(ev_date), e_col,
                     f"{endpoint} event is 0 (censored) but an event date is given",
                     "event 0 with an event date")

            # Pair written in the file.
            t_parsed, e_parsed = self.parsed.get(t_col), self.parsed.get(e_col)
            t = t_parsed.values.astype(float) if t_parsed is not None else np.full(self.n, np.nan)
            e = (e_parsed.values.to_numpy(dtype=float, na_value=np.nan)
                 if e_parsed is not None else np.full(self.n, np.nan))
            months_ok = ~np.isnan(t) & (t >= 0) & ~np.isnan(e)

            # Pair derived from dates; unusable if any relevant date cell was unreadable.
            unreadable = np.zeros(self.n, dtype=bool)
            for c in ["treatment_start", *event_cols, "last_follow_up"]:
                if c in self.parsed:
                    unreadable |= self.parsed[c].invalid
            end = np.where(np.isnat(ev_date), lfu, ev_date)
            d_t = (end - start) / np.timedelta64(1, "D") / schema.DAYS_PER_MONTH
            d_e = np.where(np.isnat(ev_date), 0.0, 1.0)
            dates_ok = ~np.isnan(d_t) & (d_t >= 0) & ~unreadable

            use_months = months_ok & ~contra
            use_dates = ~months_ok & dates_ok & ~contra
            ok = (use_months | use_dates) & self.kept
            final_t = np.where(use_months, t, np.where(use_dates, d_t, np.nan))
            final_e = np.where(use_months, e, np.where(use_dates, d_e, np.nan))
            final_t[~ok] = np.nan
            final_e[~ok] = np.nan
            self.out[t_col] = final_t
            self.out[e_col] = values.int_array(final_e)
            self._explain(endpoint, t_col, e_col, t, e, t_parsed, e_parsed,
                          self.kept & ~ok & ~contra, dates_ok, unreadable, start, end)
            derived = int((use_dates & ok).sum())
            if derived and t_parsed is not None:
                self.warnings.append(f"{endpoint} was derived from the dates for {derived} patients "
                                     f"whose {LABELS[t_col]} or {LABELS[e_col]} was missing.")
            elif derived:
                self.warnings.append(f"{endpoint} was derived from the dates for {derived} patients.")
            analysed[endpoint] = ok
        if "pfs_months" in self.out and "os_months" in self.out:
            longer = np.flatnonzero(self.out["pfs_months"] > self.out["os_months"] + 1e-6)
            self.log.add(longer, endpoint="PFS", column="pfs_months", values=self.t.raw("pfs_months", longer),
                         problem=[f"PFS ({self.out['pfs_months'][r]:.1f}) is longer than OS "
                                  f"({self.out['os_months'][r]:.1f}) months" for r in longer],
                         kind="PFS longer than OS", action="kept; please check", excludes=False)
        return analysed

    def _explain(self, endpoint: str, t_col: str, e_col: str, t: np.ndarray, e: np.ndarray,
                 t_parsed: values.Parsed | None, e_parsed: values.Parsed | None, excluded: np.ndarray,
                 dates_ok: np.ndarray, unreadable: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
        """Log at least one reason for every row excluded from the endpoint."""
        reasons = np.zeros(self.n, dtype=bool)
        action = f"excluded from {endpoint}"
        t_label, e_label = LABELS[t_col], LABELS[e_col]

        def add(mask: np.ndarray, column: str, problem: Any, kind: str) -> None:
            rows = np.flatnonzero(mask)
            if callable(problem):
                problem = [problem(r) for r in rows]
            self.log.add(rows, endpoint=endpoint, column=column, values=self.t.raw(column, rows),
                         problem=problem, kind=kind, action=action, excludes=True)
            reasons[rows] = True

        if t_parsed is not None:
            add(excluded & (t_parsed.status == values.MISSING), t_col, f"{t_label} is missing",
                f"{endpoint} time missing")
            add(excluded & t_parsed.invalid, t_col, lambda r: f"{t_label}: {t_parsed.problems[int(r)]}",
                f"{endpoint} time not a number")
            add(excluded & (t < 0), t_col, lambda r: f"{t_label} is negative ({t[r]:.1f})",
                f"negative {endpoint} time")
        if e_parsed is not None:
            add(excluded & (e_parsed.status == values.MISSING), e_col, f"{e_label} is missing",
                f"{endpoint} event missing")
            add(excluded & e_parsed.invalid, e_col, lambda r: f"{e_label}: {e_parsed.problems[int(r)]}",
                f"{endpoint} event not 0/1")
        if "treatment_start" in self.parsed:
            start_missing = np.isnat(start) & ~unreadable
            add(excluded & start_missing & ~reasons, "treatment_start",
                f"no {t_label}/{e_label} and no treatment start date to derive them",
                "no treatment start date")
            add(excluded & unreadable & ~reasons, "treatment_start",
                f"a date needed for {endpoint} could not be read (see the other issues of this row)",
                "unreadable date")
            add(excluded & ~start_missing & np.isnat(end) & ~reasons, "last_follow_up",
                f"no event date and no last follow-up date to censor {endpoint} at",
                "no follow-up date")
        add(excluded & ~reasons, t_col, f"no usable {t_label} or {e_label}", f"{endpoint} missing")

    def _date(self, name: str) -> np.ndarray:
        parsed = self.parsed.get(name)
        if parsed is None:
            return np.full(self.n, np.datetime64("NaT"), dtype="datetime64[ns]")
        return parsed.values

    def response(self) -> np.ndarray:
        parsed = self.parsed.get("best_response")
        action = "not counted in the response rate"
        if parsed is None:
            rows = np.flatnonzero(self.kept)
            self.log.add(rows, endpoint="Response", column="best_response", values="",
                         problem="the file has no best-response column", kind="no response column",
                         action=action, excludes=True)
            return np.zeros(self.n, dtype=bool)
        index = parsed.extra["index"]
        order = list(schema.BEST_RESPONSES)
        evaluable = np.isin(index, [order.index(r) for r in schema.EVALUABLE_RESPONSES]) & self.kept
        for mask, problem, kind in (
            (index == order.index("NE"), "best response is NE (not evaluable)", "not evaluable (NE)"),
            (parsed.status == values.MISSING, "best response is missing", "response missing"),
        ):
            rows = np.flatnonzero(mask & self.kept)
            self.log.add(rows, endpoint="Response", column="best_response",
                         values=self.t.raw("best_response", rows), problem=problem, kind=kind,
                         action=action, excludes=True)
        rows = np.flatnonzero(parsed.invalid & self.kept)
        self.log.add(rows, endpoint="Response", column="best_response",
                     values=self.t.raw("best_response", rows),
                     problem=[f"Best response: {parsed.problems[int(r)]}" for r in rows],
                     kind="unknown best response", action=action, excludes=True)
        self.out["best_response"] = parsed.values
        return evaluable

    def response_dates(self) -> None:
        """Check the optional date of first CR/PR against the best response and the other dates.

        A contradictory date is left blank rather than guessed at: DoR, TTR and the landmark
        analysis then treat that responder as having no usable date (and say so) instead of
        measuring from a typo. One reason per row, the first that applies. When the file records
        response dates, a responder's problem is listed under DoR (it leaves DoR and TTR);
        a non-responder's under Response. Nothing here changes who counts for the response rate,
        which only reads the best response.
        """
        parsed = self.parsed.get("response_date")
        if parsed is None:
            return
        resp = parsed.values.copy()
        given = ~np.isnat(resp) & self.kept
        reported = np.zeros(self.n, dtype=bool)
        blank = np.zeros(self.n, dtype=bool)
        best = self.parsed.get("best_response")
        order = list(schema.BEST_RESPONSES)
        index = best.extra["index"] if best is not None else np.full(self.n, -1)
        responder = np.isin(index, [order.index("CR"), order.index("PR")]) & self.kept
        # DoR is analysed only when the centre records response dates at all (see derived_endpoints).
        dor = responder if given.any() else np.zeros(self.n, dtype=bool)

        def add(mask: np.ndarray, problem: Any, kind: str, action: str, *, blanks: bool) -> None:
            rows = np.flatnonzero(mask & ~reported)
            texts = [problem(r) for r in rows] if callable(problem) else np.full(len(rows), problem, dtype=object)
            texts = np.asarray(texts, dtype=object)
            for part, endpoint, excludes, what in ((~dor[rows], "Response", False, action),
                                                  (dor[rows], "DoR", True, f"{action}; excluded from DoR and TTR")):
                self.log.add(rows[part], endpoint=endpoint, column="response_date",
                             values=self.t.raw("response_date", rows[part]), problem=texts[part], kind=kind,
                             action=what, excludes=excludes)
            reported[rows] = True
            blank[rows] = blanks

        left_blank = "response date left blank (not used); correct the dates"
        if best is not None:
            non_responder = np.isin(index, [order.index(r) for r in ("SD", "PD", "NE")])
            add(given & non_responder,
                lambda r: f"a response date is given but the best response is {order[index[r]]}; "
                          "a response date belongs to a CR or PR",
                "response date for a non-responder",
                "response date left blank (not used); correct the best response or the date",
                blanks=True)
        start = self._date("treatment_start")
        add(given & _lt(resp, start), "response date is before treatment start",
            "response before treatment start", left_blank, blanks=True)
        for name, label in (("death_date", "death date"), ("progression_date", "progression date"),
                            ("last_follow_up", "last follow-up date")):
            add(given & _lt(self._date(name), resp), f"response date is after the {label}",
                f"response after {label.removesuffix(' date')}", left_blank, blanks=True)
        if best is not None:
            no_best = best.status != values.OK
            add(given & no_best,
                "a response date is given but the best response is missing or unreadable",
                "response date without best response",
                "kept; add the best response (CR or PR) to use it", blanks=False)
            # Only when the centre records response dates at all: an empty column says nothing.
            if given.any():
                add(responder & np.isnat(resp) & ~parsed.invalid,
                    lambda r: f"best response is {order[index[r]]} but the response date is missing",
                    "responder without response date",
                    "counted in the response rate; left out of landmark analyses by response date", blanks=False)
        resp[blank] = np.datetime64("NaT")
        self.out["response_date"] = resp
        self.dor_reported = dor & reported

    def derived_endpoints(self, cohort: pd.DataFrame) -> dict[str, np.ndarray]:
        """DoR and TTF, counted exactly as the analyses count them (the endpoint registry on the
        built cohort), when the file records their dates (a response date, a treatment end date).

        Every eligible patient left out gets the registry's reason as an issue, unless a rule
        already listed the row's problem under the endpoint; patients the endpoint does not apply
        to (non-responders for DoR) are counted under `not_eligible`, not listed one by one."""
        analysed: dict[str, np.ndarray] = {}
        positions = np.flatnonzero(self.kept)
        already = {"DoR": self.dor_reported, "TTF": np.zeros(self.n, dtype=bool)}
        for key, column in (("DoR", "response_date"), ("TTF", "treatment_end")):
            parsed = self.parsed.get(column)
            if parsed is None or not (~np.isnat(parsed.values) & self.kept).any():
                continue
            table = evaluate_endpoint(cohort, key)
            ok = np.zeros(self.n, dtype=bool)
            ok[positions] = table["reason"].isna().to_numpy()
            eligible = np.zeros(self.n, dtype=bool)
            eligible[positions] = table["eligible"].to_numpy(bool)
            todo = np.flatnonzero(eligible & ~ok & ~already[key])
            if len(todo):
                found = table.iloc[np.searchsorted(positions, todo)][["reason", "reason_column", "reason_kind"]].astype(object)
                groups = pd.Series(np.arange(len(todo))).groupby(
                    [found["reason_column"].fillna("").to_numpy(), found["reason_kind"].to_numpy()], sort=False)
                for (col, kind), idx in groups:
                    rows = todo[idx.to_numpy()]
                    also = " and TTR" if key == "DoR" and col == "response_date" else ""
                    self.log.add(rows, endpoint=key, column=col, values=self.t.raw(col, rows) if col else "",
                                 problem=found["reason"].to_numpy()[idx.to_numpy()], kind=kind,
                                 action=f"excluded from {key}{also}", excludes=True)
            out_of_scope = table.loc[~table["eligible"], "reason"].value_counts(sort=False)
            if out_of_scope.any():
                self.not_eligible[key] = {str(k): int(v) for k, v in out_of_scope.items() if v}
            del table
            analysed[key] = ok
        return analysed

    # Assembly ----------------------------------------------------------------------------------------

    def build(self) -> tuple[pd.DataFrame, DataQualityReport]:
        self.parse_all()
        self.histotype()
        self.lines()
        self.regimen()
        self._free_memory()
        analysed = self.survival()
        analysed["Response"] = self.response()
        self.response_dates()
        self._free_memory()
        cohort = self._frame()
        analysed.update(self.derived_endpoints(cohort))
        issues = self.log.frame()
        report = DataQualityReport(
            rows_read=self.n,
            analysed={k: int(v.sum()) for k, v in analysed.items()},
            excluded={k: int(self.n - v.sum()) for k, v in analysed.items()},
            not_eligible=self.not_eligible,
            issues=issues,
            rows_excluded=int((~self.kept).sum()),
            warnings=self.warnings,
            unmatched_columns=_unmatched_for_report(self.t),
            unmatched_total=len(self.t.match.unmatched),
            column_mapping={headers.describe(self.t.header, i): c for i, c in self.t.match.mapping.items()},
            file_format=self.t.grid.file_format,
            encoding=self.t.grid.encoding,
            delimiter=self.t.grid.delimiter,
            decimal="," if self.decimal_comma else ("." if self.t.grid.file_format == "csv" else None),
            sheet=self.t.grid.sheet,
        )
        return cohort, report

    def _frame(self) -> pd.DataFrame:
        data: dict[str, Any] = {}
        for name in schema.COLUMN_NAMES:
            if name in self.out:
                data[name] = self.out[name]
            elif name in self.parsed:
                data[name] = self.parsed[name].values
        data["source_row"] = self.t.source_rows
        frame = pd.DataFrame(data, copy=False)  # no block consolidation: no second copy
        if not self.kept.all():  # a copy of every column, so only when rows were dropped
            frame = frame.loc[self.kept].reset_index(drop=True)
        for name in ("pfs_months", "os_months", "age", "best_pct_change", "tmb"):
            if name in frame:
                frame[name] = frame[name].astype("float64")
        return frame


def _labels(labels: tuple[str, ...], index: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Text column from positions in `labels` (-1 = missing), built in Arrow."""
    taken = pa.array(labels, pa.string()).take(pa.array(index.astype(np.int32), mask=index < 0))
    return values.STR_DTYPE.construct_array_type()(pa.chunked_array([taken]))


def _earliest(dates: list[np.ndarray]) -> np.ndarray:
    out = dates[0].copy()
    for d in dates[1:]:
        out = np.where(np.isnat(out) | (~np.isnat(d) & (d < out)), d, out)
    return out


def _lt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a < b where both dates are known."""
    return ~np.isnat(a) & ~np.isnat(b) & (a < b)


# --- Adverse events ------------------------------------------------------------------------------------


def _read_ae_grid(
    grid: Grid, column_map: Mapping[str, str | None] | None, patient_ids: Any
) -> tuple[pd.DataFrame, DataQualityReport]:
    names = tuple(c.name for c in schema.AE_COLUMNS)
    table = _prepare(grid, headers.AE_LOOKUP, names, column_map, what="adverse-event table")
    have = set(table.match.mapping.values())
    missing = [c.name for c in schema.AE_COLUMNS if c.required and c.name not in have]
    if missing:
        unmatched = ", ".join(f"'{headers.describe(table.header, i)}'" for i in table.match.unmatched)
        raise CohortReadError(
            "The adverse-event table needs the columns " + ", ".join(missing) + " (patient ID, "
            "AE term, CTCAE grade)." + (f" Columns not recognised: {unmatched}." if unmatched else "")
        )
    ids = values.trimmed(table.need("patient_id")).to_pylist()
    log = IssueLog(table.source_rows, lambda rows: [ids[r] for r in rows])
    parsed = {
        "patient_id": values.parse_text(table.need("patient_id")),
        "term": values.parse_text(table.need("term")),
        "grade": values.parse_number(table.need("grade"), integer=True, lo=1, hi=5,
                                     units=_NUMBER_RULES["grade"][2]),
    }
    for name in ("led_to_delay", "led_to_discontinuation"):
        col = table.col(name)
        if col is not None:
            parsed[name] = values.parse_bool(col)
    n = table.n
    kept = ~table.empty_rows
    log.add(np.flatnonzero(table.empty_rows), endpoint="all", column="patient_id", values="",
            problem="the row is empty", kind="empty row", action="row skipped", excludes=True)
    for found in _untrusted_rows(table, id_present=None):
        rows = np.flatnonzero(found.mask & kept)
        log.add(rows, endpoint="all", column="patient_id", values=[ids[r] for r in rows],
                problem=found.problem(rows) if callable(found.problem) else found.problem,
                kind=found.kind, action=found.action.replace("a patient", "an adverse event"),
                excludes=True)
        kept[rows] = False
        if len(rows):
            table.warnings.append(found.summary(table.source_rows[rows]).replace("patients", "adverse events"))
    for name, problem, kind in (("patient_id", "patient ID is missing", "no patient ID"),
                                ("term", "AE term is missing", "no AE term")):
        rows = np.flatnonzero(kept & (parsed[name].status != values.OK))
        log.add(rows, endpoint="all", column=name, values=[ids[r] if name == "patient_id" else "" for r in rows],
                problem=problem, kind=kind, action="row excluded", excludes=True)
        kept[rows] = False
    if patient_ids is not None:
        known = {str(v).strip() for v in pd.Series(patient_ids).dropna()}
        pid = np.asarray(parsed["patient_id"].values, dtype=object)
        rows = np.flatnonzero(kept & ~np.isin(pid, list(known)))
        log.add(rows, endpoint="all", column="patient_id", values=[ids[r] for r in rows],
                problem="this patient ID is not in the patient table", kind="unknown patient",
                action="row excluded", excludes=True)
        kept[rows] = False
    for name, p in parsed.items():
        if name in ("patient_id", "term") or not p.problems:
            continue
        rows = np.array([r for r in p.problems if kept[r]], dtype=np.int64)
        log.add(rows, endpoint="AE", column=name, values=table.raw(name, rows),
                problem=[f"{LABELS[name]}: {p.problems[int(r)]}" for r in rows],
                kind=f"{LABELS[name]} unreadable", action="left blank", excludes=False)
    frame = pd.DataFrame({name: p.values for name, p in parsed.items()})
    frame["source_row"] = table.source_rows
    frame = frame.loc[kept].reset_index(drop=True)
    report = DataQualityReport(
        rows_read=n,
        analysed={"AE": int(kept.sum())},
        excluded={"AE": int(n - kept.sum())},
        issues=log.frame(),
        rows_excluded=int(n - kept.sum()),
        warnings=table.warnings,
        unmatched_columns=_unmatched_for_report(table),
        unmatched_total=len(table.match.unmatched),
        column_mapping={headers.describe(table.header, i): c for i, c in table.match.mapping.items()},
        file_format=grid.file_format,
        encoding=grid.encoding,
        delimiter=grid.delimiter,
        sheet=grid.sheet,
        table="adverse-event",
    )
    return frame, report


# --- Template and data dictionary ------------------------------------------------------------------------

TEMPLATE_EXAMPLE: dict[str, str] = {
    "patient_id": "P001",
    "center": "Centre A",
    "sex": "Female",
    "age": "56",
    "disease_stage": "Metastatic",
    "histotype": "LMS",
    "histotype_detail": "uterine LMS",
    "primary_site": "Uterus",
    "met_lung": "yes",
    "met_liver": "no",
    "met_other": "no",
    "n_met_sites": "1",
    "periop_chemo": "no",
    "primary_surgery": "yes",
    "prior_anthracycline": "yes",
    "prior_gemcitabine": "yes",
    "prior_trabectedin": "no",
    "prior_tki": "no",
    "prior_other": "no",
    "prior_lines": "2",
    "line_of_therapy": "3",
    "regimen": "pembrolizumab + axitinib",
    "regimen_class": "ICI + TKI",
    "treatment_start": "2021-03-15",
    "progression_date": "2021-08-02",
    "death_date": "",
    "last_follow_up": "2022-06-30",
    "pfs_months": "4.6",
    "pfs_event": "1",
    "os_months": "15.5",
    "os_event": "0",
    "best_response": "PR",
    "best_pct_change": "-42",
    "response_date": "2021-05-10",
    "on_treatment": "no",
    "treatment_end": "2021-08-02",
    "discontinuation_reason": "Progression",
    "any_ae": "yes",
    "max_ae_grade": "2",
    "ae_delay": "yes",
    "ae_discontinuation": "no",
    "pdl1": "20%",
    "tmb": "8.9",
    "msi": "Low",
}
TEMPLATE_COLUMNS: tuple[str, ...] = tuple(c for c in schema.COLUMN_NAMES if c != "histotype_original")


def template_csv() -> bytes:
    """Header row of the canonical columns plus one example patient (UTF-8, comma, ISO dates)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerow([TEMPLATE_EXAMPLE[c] for c in TEMPLATE_COLUMNS])
    return buf.getvalue().encode("utf-8")


def data_dictionary_markdown() -> str:
    """docs/data-dictionary.md, generated from schema.COLUMNS and the ingest vocabularies."""
    from sarcoma.ingest_docs import render_data_dictionary

    return render_data_dictionary()
