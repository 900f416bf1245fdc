"""Rows that are not trustworthy patients: ragged rows, repeated headers, totals, ID-only rows.

Each function returns a boolean mask over the data rows (below the header); `ingest` excludes
those rows from every analysis and lists each with its reason.

Ragged rows, the rule (what Excel, SPSS and R really write):

* A CSV row's cells are trusted when it has as many cells as the reference width, which is the
  header's cell count, or the count most data rows share when that is larger (a writer that
  ends every line with a separator, or a column whose header cell is missing: listed as an
  unnamed column). Excel writes every row of a sheet with the same number of separators, so
  its exports always match.
* A shorter row is trusted when every cell it lacks belongs to a column that is empty in the
  whole table: the writer dropped trailing empty cells ("a,b,c" under "a,b,c,,", or Excel
  leaving out a trailing column that nobody filled in). A row that lacks a cell of a column
  other rows fill may have lost a cell in the middle, with every later value moved left.
* A longer row is never trusted, even when its extra cells are empty: the last columns of a
  cohort file (PD-L1, TMB, MSI) are mostly blank, so a row with one unquoted separator inside a
  text cell ("Sarcoma, NOS") ends in exactly such an empty extra cell, with every value after
  the separator one column to the right. Writers that add separators add them to every line,
  and are accepted by the reference width above.
* In a workbook every cell carries its column address, so values cannot shift and a short row
  is just empty cells. A row with a value to the right of the header's last column (a value
  without a header) is treated like a long CSV row, unless more than half the rows have values
  in that column (its header cell is missing: an unnamed column).

Rows whose cells do not line up are excluded from every analysis rather than half-used: which
of their values are in the right column cannot be known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sarcoma import vocab
from sarcoma.ingest_headers import header_score, match_one
from sarcoma.ingest_values import is_missing, trimmed

# Fields of which a patient row has at least one (beside the ID): the required columns of
# ingest._check_required, and the best response (analysable on its own).
PATIENT_DATA_FIELDS: tuple[str, ...] = (
    "histotype", "prior_lines", "line_of_therapy", "regimen", "regimen_class",
    "treatment_start", "progression_date", "death_date", "last_follow_up",
    "pfs_months", "pfs_event", "os_months", "os_event", "best_response",
)

# Totals and summary lines under a table, as `vocab.words` writes them (lower case, no accents:
# 'Σύνολο' -> 'συνολο'). A cell that starts with one of these words is a summary, not an ID.
_SUMMARY_WORDS = (
    "total", "totals", "grand total", "subtotal", "sub total", "sum", "summe", "summa", "gesamt",
    "insgesamt", "gesamtzahl", "totalt", "i alt", "ialt", "totaal", "somme", "totale", "suma",
    "συνολο", "συνολα", "συνολικα", "count", "anzahl", "antall", "mean", "median", "average",
    "moyenne", "mittelwert", "gjennomsnitt", "μεσος ορος", "διαμεσος",
)
_SUMMARY = re.compile(r"^(?:" + "|".join(re.escape(w) for w in _SUMMARY_WORDS) + r")(?: |$)")
_N_EQUALS = re.compile(r"^\s*n\s*[=:]\s*\d+\s*$", re.IGNORECASE)  # "N = 72" (not an ID like "N-01")


def is_summary_text(text: str) -> bool:
    """'Total', 'Total: 72', 'Sum', 'N = 72', 'Gesamt', 'Σύνολο', 'Mean' ... (not 'N-01')."""
    return bool(_SUMMARY.match(vocab.words(text)) or _N_EQUALS.match(text))


def _blank(col: pa.Array) -> np.ndarray:
    if not len(col):
        return np.zeros(0, bool)
    is_blank = pc.or_(pc.equal(pc.utf8_length(col), 0), pc.utf8_is_space(col))
    return is_blank.to_numpy(zero_copy_only=False)


def column_blanks(columns: Sequence[pa.Array]) -> list[np.ndarray]:
    """Per column, which cells are empty or whitespace."""
    return [_blank(c) for c in columns]


# --- Ragged rows ----------------------------------------------------------------------------------


def reference_width(counts: np.ndarray, header_cells: int) -> int:
    """The header's cell count, or the count most rows share when larger (see module docstring)."""
    if not len(counts):
        return header_cells
    widths, freq = np.unique(counts, return_counts=True)
    common = int(widths[np.argmax(freq)])
    header_freq = int(freq[widths == header_cells].sum())
    return common if common > header_cells and int(freq.max()) > header_freq else header_cells


def ragged_rows(
    counts: np.ndarray,
    header_cells: int,
    blank_rows: np.ndarray,
    column_blank: Sequence[np.ndarray],
    *,
    addressed: bool,
) -> tuple[np.ndarray, int]:
    """(mask of rows whose cells may not line up with the header, reference width)."""
    filled = ~blank_rows
    if addressed:
        stray = np.zeros(len(counts), dtype=bool)
        half = 0.5 * int(filled.sum())
        for j in range(header_cells, len(column_blank)):
            has = ~column_blank[j] & filled
            if int(has.sum()) <= half:
                stray |= has
        return stray, header_cells
    ref = reference_width(counts[filled], header_cells)
    off = filled & (counts != ref)
    # lacks_only_empty[c]: every column from c to the reference width is empty in every row.
    empty = np.array([bool(column_blank[j].all()) if j < len(column_blank) else True for j in range(ref)],
                     dtype=bool)
    lacks_only_empty = np.ones(ref + 1, dtype=bool)
    for c in range(ref - 1, -1, -1):
        lacks_only_empty[c] = lacks_only_empty[c + 1] and empty[c]
    short_ok = off & (counts < ref) & lacks_only_empty[np.minimum(counts, ref)]
    return off & ~short_ok, ref


def ragged_problem(count: int, header_cells: int, stray_column: str | None = None) -> str:
    text = f"{count} cells, header has {header_cells}: values may be shifted"
    if stray_column:
        text += f" (column {stray_column} holds a value but has no header)"
    return text


# --- Rows that are not patients ------------------------------------------------------------------


def repeated_header_rows(
    columns: Sequence[pa.Array], header: Sequence[str], id_column: int | None, lookup: Mapping[str, str]
) -> np.ndarray:
    """Rows that repeat the header: the same text under at least half of the named headers
    (two exports pasted one under the other), or an ID cell that is itself a patient-ID header
    ('Patient ID', 'patient_id') in a row where half the cells are known header names."""
    n = len(columns[0]) if columns else 0
    named = [j for j, h in enumerate(header) if h.strip() and j < len(columns)]
    need = max(2, (len(named) + 1) // 2)
    hits = np.zeros(n, dtype=np.int32)
    for j in named:
        same = pc.equal(pc.utf8_lower(trimmed(columns[j])), header[j].strip().lower())
        hits += same.to_numpy(zero_copy_only=False)
    repeated = hits >= need
    if id_column is not None and n:
        encoded = pc.dictionary_encode(trimmed(columns[id_column]))
        uniques = encoded.dictionary.to_pylist()
        header_like = np.array([match_one(u, lookup) == "patient_id" for u in uniques], dtype=bool)
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        for r in np.flatnonzero(header_like[codes] & ~repeated)[:1000]:
            cells = [str(c[int(r)].as_py()) for c in columns]
            repeated[r] = header_score(cells, lookup) >= need
    return repeated


def summary_rows(
    columns: Sequence[pa.Array], column_blank: Sequence[np.ndarray], id_column: int | None
) -> np.ndarray:
    """Totals and summary lines ('Total,72', 'N = 72', 'Σύνολο', 'Mean'): the patient-ID cell
    holds a summary word, or, when it is empty, the first filled cell of the row does."""
    n = len(columns[0]) if columns else 0
    first = np.full(n, -1, dtype=np.int64)
    for j, blank in enumerate(column_blank):
        first = np.where((first < 0) & ~blank, j, first)
    if id_column is not None:
        id_blank = column_blank[id_column]
        first = np.where(id_blank, first, id_column)
    out = np.zeros(n, dtype=bool)
    for j in np.unique(first[first >= 0]):
        rows = np.flatnonzero(first == j)
        cells = trimmed(columns[int(j)].take(pa.array(rows, pa.int64())))
        encoded = pc.dictionary_encode(cells)
        summary_u = np.array([is_summary_text(u) for u in encoded.dictionary.to_pylist()], dtype=bool)
        out[rows] = summary_u[encoded.indices.to_numpy(zero_copy_only=False)]
    return out


def missing_cells(col: pa.Array) -> np.ndarray:
    """Cells that are empty or a missing-value token ('NA', 'n/a', '-', 'Ν/Α')."""
    if not len(col):
        return np.zeros(0, bool)
    encoded = pc.dictionary_encode(trimmed(col))
    missing_u = np.array([is_missing(u) for u in encoded.dictionary.to_pylist()], dtype=bool)
    return missing_u[encoded.indices.to_numpy(zero_copy_only=False)]


def id_only_rows(id_present: np.ndarray, column: Callable[[str], pa.Array | None]) -> np.ndarray:
    """Rows with a patient ID but none of PATIENT_DATA_FIELDS filled in (a registration line,
    a numbered empty row): not a patient that any analysis can use."""
    present = [c for c in (column(name) for name in PATIENT_DATA_FIELDS) if c is not None]
    if not present:
        return np.zeros(len(id_present), dtype=bool)
    nothing = id_present.copy()
    for col in present:
        nothing &= missing_cells(col)
    return nothing
