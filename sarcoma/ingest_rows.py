"""Rows that are not trustworthy patients: ragged rows, repeated headers, totals, ID-only rows.

Each function returns a boolean mask over the data rows (below the header); `ingest` excludes
those rows from every analysis and lists each with its reason.

Ragged rows, the rule (what Excel, SPSS and R really write). A CSV row's cells are trusted when:

* it has as many cells as the header. Excel writes every row of a sheet with the same number
  of separators ("a,b,c,," under "x,y,z,," when the used range is wider than the table), as
  do SPSS, R and pandas, so their exports always match;
* it is shorter, and most data rows are cut the same way: old Excel leaves out trailing
  columns that are empty in a whole block of rows, some writers leave out every row's trailing
  empty cells;
* it is longer, and every data row is longer by the same count: a writer that ends each line
  with a separator, or a column whose header cell is missing on every line.

Any other row is ragged, even when its missing or extra cells are empty. A row with an
unquoted separator inside a text cell ("Sarcoma, NOS") has one cell more, and because the last
columns of a cohort file (PD-L1, TMB, MSI) are mostly blank, that extra cell is usually empty,
with every value after the separator one column to the right; a naive export can do that to
most rows, which is why longer rows need every row to agree. A row that lost a cell in the
middle has one cell less, and what it lacks at the end looks exactly like a trailing empty cell
left out. Neither can be told from harmless trailing cells by looking at the row; only the
file's usual count can.

In a workbook every cell carries its column address, so values cannot shift and a short row is
just empty cells. A row with a value to the right of the header's last named column (a value
without a header) is ragged, unless more than half the rows have a value in that column (its
header cell is missing: it is listed as an unnamed column).

Ragged rows are excluded from every analysis, not half-used: which of their values sit in the
right column cannot be known. The price: a file whose rows are cut irregularly (a writer that
leaves out each row's own trailing empty cells) loses the rows not cut like most; each is
listed, and uploading the .xlsx instead avoids it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sarcoma.ingest_headers import header_score, match_one
from sarcoma.ingest_values import is_missing, trimmed

# Fields of which a patient row has at least one (beside the ID): the required columns of
# ingest._check_required, and the best response (analysable on its own).
PATIENT_DATA_FIELDS: tuple[str, ...] = (
    "histotype", "prior_lines", "line_of_therapy", "regimen", "regimen_class",
    "treatment_start", "progression_date", "death_date", "last_follow_up",
    "pfs_months", "pfs_event", "os_months", "os_event", "best_response",
)

# Totals and summary lines under a table (matched case- and accent-insensitively).
# A cell that is one of these words, alone or followed by a space, ':', '=' or '(' ('Total: 72',
# 'Total (n=72)'), is a summary, not an ID; joined by '-' or a digit ('SUM-001') it is an ID.
_SUMMARY_WORDS = (
    "total", "totals", "grand total", "subtotal", "sub total", "sum", "summe", "summa", "gesamt",
    "insgesamt", "gesamtzahl", "totalt", "i alt", "ialt", "totaal", "somme", "totale", "suma",
    "συνολο", "συνολα", "συνολικα", "count", "anzahl", "antall", "mean", "median", "average",
    "moyenne", "mittelwert", "gjennomsnitt", "μεσος ορος", "διαμεσος",
)


def _plain(text: str) -> str:
    """Case-folded (final 'ς' becomes 'σ'), without accents, trimmed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


_SUMMARY = re.compile(
    r"^(?:" + "|".join(re.escape(_plain(w)).replace(r"\ ", r"\s+") for w in _SUMMARY_WORDS) + r")(?:$|[\s:=(])"
)
_N_EQUALS = re.compile(r"^n\s*[=:]\s*\d+$")  # "N = 72" (not an ID like "N-01")


# A superset of the summary words in RE2 syntax, run by Arrow over a column's distinct values so
# that only the few candidates reach `is_summary_text` (a million distinct IDs cost no Python).
_SUMMARY_PREFILTER = (
    r"(?i)^\W*(grand|sub|total|sum|gesamt|insgesamt|i\s*alt|ialt|totaal|somme|suma|count|anzahl|"
    r"antall|mean|median|average|moyenne|mittelwert|gjennomsnitt|σ[υύ]νολ|μ[εέ]σος|δι[αά]μεσ|n\s*[=:])"
)
# Missing-value tokens and header words are short and hold no digit (as in parse_text).
_NO_DIGIT_SHORT = 40


def is_summary_text(text: str) -> bool:
    """'Total', 'Total: 72', 'Sum', 'N = 72', 'Gesamt', 'Σύνολο', 'Mean' ... (not 'N-01', 'SUM-001')."""
    plain = _plain(text)
    return bool(_SUMMARY.match(plain) or _N_EQUALS.match(plain))


def _blank(col: pa.Array) -> np.ndarray:
    if not len(col):
        return np.zeros(0, bool)
    is_blank = pc.or_(pc.equal(pc.utf8_length(col), 0), pc.utf8_is_space(col))
    return is_blank.to_numpy(zero_copy_only=False)


def column_blanks(columns: Sequence[pa.Array]) -> list[np.ndarray]:
    """Per column, which cells are empty or whitespace."""
    return [_blank(c) for c in columns]


# --- Ragged rows ----------------------------------------------------------------------------------


def ragged_rows(
    counts: np.ndarray,
    header_cells: int,
    blank_rows: np.ndarray,
    column_blank: Sequence[np.ndarray],
    *,
    addressed: bool,
) -> np.ndarray:
    """Rows whose cells may not line up with the header (see the module docstring)."""
    filled = ~blank_rows
    if addressed:
        stray = np.zeros(len(counts), dtype=bool)
        half = 0.5 * int(filled.sum())
        for j in range(header_cells, len(column_blank)):
            has = ~column_blank[j] & filled
            if int(has.sum()) <= half:
                stray |= has
        return stray
    data = counts[filled]
    if not len(data):
        return np.zeros(len(counts), dtype=bool)
    widths, freq = np.unique(data, return_counts=True)
    trusted = {header_cells}
    if len(widths) == 1:
        trusted.add(int(widths[0]))  # every row alike: trailing separators, or a header short of a cell
    most = int(freq.max())
    if int(freq[widths == header_cells].sum()) < most:
        common = int(widths[np.argmax(freq)])
        if common < header_cells:
            trusted.add(common)  # rows cut alike: trailing empty cells left out
    return filled & ~np.isin(counts, list(trusted))


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
        header_like = _check_distinct(encoded.dictionary, _short_without_digit(encoded.dictionary),
                                      lambda u: match_one(u, lookup) == "patient_id")
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
        maybe = pc.match_substring_regex(encoded.dictionary, _SUMMARY_PREFILTER)
        summary_u = _check_distinct(encoded.dictionary, maybe.to_numpy(zero_copy_only=False), is_summary_text)
        out[rows] = summary_u[encoded.indices.to_numpy(zero_copy_only=False)]
    return out


def missing_cells(col: pa.Array) -> np.ndarray:
    """Cells that are empty or a missing-value token ('NA', 'n/a', '-', 'Ν/Α')."""
    if not len(col):
        return np.zeros(0, bool)
    encoded = pc.dictionary_encode(trimmed(col))
    missing_u = _check_distinct(encoded.dictionary, _short_without_digit(encoded.dictionary), is_missing)
    return missing_u[encoded.indices.to_numpy(zero_copy_only=False)]


def _short_without_digit(dictionary: pa.Array) -> np.ndarray:
    return pc.and_(
        pc.less_equal(pc.utf8_length(dictionary), _NO_DIGIT_SHORT),
        pc.invert(pc.match_substring_regex(dictionary, r"\d")),
    ).to_numpy(zero_copy_only=False)


def _check_distinct(dictionary: pa.Array, candidates: np.ndarray, test: Callable[[str], bool]) -> np.ndarray:
    """`test` on the candidate distinct values only; False for the others."""
    out = np.zeros(len(dictionary), dtype=bool)
    for i in np.flatnonzero(candidates):
        out[i] = test(dictionary[int(i)].as_py())
    return out


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
