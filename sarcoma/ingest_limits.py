"""Limits that keep one upload from exhausting the server, checked before the work they bound.

Target: any file within the 50 MB upload limit is read or refused in under 10 s and under 1 GB
peak memory (bench/hostile.py measures it). Each limit is far above what a cohort table needs
and refuses with a plain message saying what to change:

* MAX_COLUMNS (500): a cohort table needs ~45 columns (the template has 43); research exports
  with every instrument can reach a few hundred. Counted from the separators of every line
  before the table is parsed (a 100,000-column file peaked at 3 GB when parsed).
* MAX_LINE_BYTES (1 MiB): one patient row is a few hundred characters, a few KB with notes.
  A one-line 50 MB file drove the server to ~8 GB.
* MAX_CELL_CHARS (131,072, the csv module's own field limit): a longer cell is almost always an
  opening quotation mark that is never closed, which swallows the rest of the file.
* Workbooks (.xlsx are ZIP archives of XML): the archive's central directory is read before
  openpyxl sees the file. At most MAX_ZIP_ENTRIES entries; no entry may inflate more than
  MAX_ZIP_RATIO times (Apache POI's ZipSecureFile refuses the same, 1:100); at most
  MAX_XLSX_XML_BYTES of XML in all, MAX_SHEET_XML_BYTES per sheet (openpyxl reads a whole sheet
  once just to open it when the sheet does not state its size, as Excel's own files do; 16 MB
  is 3-5 times the XML of MAX_SHEET_CELLS cells), MAX_SHARED_STRINGS_BYTES of
  shared text (openpyxl parses all of it on opening; 4 MB is ~10 times the text of a 5,000-
  patient cohort with notes, 14 MB took 30 s on a loaded machine). A 450 KB zip bomb (131 MB of
  XML) took 81 s and 0.9 GB before these checks.
* MAX_SHEET_CELLS (150,000 per workbook upload): openpyxl parses ~25-50k cells per second of
  processor time here, so this bounds a workbook to a few seconds (bench/hostile.py: the
  1,000,000-cell sheet is refused after 150,000). That is ~3,500 patients of 43 columns; a
  larger table is read far faster as CSV (the message says so).
* MAX_ROWS (200,000 rows of a text file): a centre's cohort has hundreds of patients, a pooled
  registry tens of thousands; 200,000 leaves room for the synthetic 100,000-patient load tests.
  A 50 MB file of 1.4 million minimal rows took 130 s and 1.3 GB before this limit. Trailing
  empty lines (an export of a sheet formatted down to row 1,048,576) are dropped first.
  `load_cohort(max_bytes=None)` lifts it with the size limit (benchmarks only).
* MAX_MAPPING_COLUMNS (40): the Data page draws one dropdown per unrecognised column; past 40
  the user is better served by renaming headers (errors and reports say how many more).
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterator

import numpy as np

from sarcoma.ingest_errors import CohortReadError

MAX_COLUMNS = 500
MAX_LINE_BYTES = 1024 * 1024
MAX_CELL_CHARS = 131_072
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_RATIO = 100
MAX_XLSX_XML_BYTES = 32 * 1024 * 1024
MAX_SHEET_XML_BYTES = 16 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 4 * 1024 * 1024
MAX_SHEET_CELLS = 150_000
MAX_MAPPING_COLUMNS = 40
MAX_ROWS = 200_000
# A line shorter than this cannot hold MAX_COLUMNS separators, so it is not counted.
_SHORT_LINE = MAX_COLUMNS - 1

_AS_CSV = "Save the patient table as CSV (File > Save As > CSV UTF-8), which is read much faster, and upload that."


class LimitExceeded(CohortReadError):
    """A file over one of the limits above; the message is for the user."""


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


# --- Text files ------------------------------------------------------------------------------------


def first_nul(data: bytes) -> int:
    """Position of the first NUL byte, or -1 (memchr speed: no copy)."""
    return data.find(b"\x00")


def line_number_at(data: bytes, position: int) -> int:
    """1-based physical line number of a byte position."""
    newline = b"\n" if b"\n" in data else b"\r"
    return data.count(newline, 0, position) + 1


def long_lines(data: bytes, min_bytes: int) -> Iterator[tuple[int, int, int]]:
    """(line number, start, end) of each physical line longer than `min_bytes`.

    Line breaks are LF, or CR for old Mac exports that have no LF. Found with numpy (one byte
    comparison over the file); only the long lines are visited in Python.
    """
    if len(data) <= min_bytes:
        return
    newline = 10 if b"\n" in data else 13
    breaks = np.flatnonzero(np.frombuffer(data, np.uint8) == newline)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(data)]))
    for i in np.flatnonzero(ends - starts > min_bytes):
        yield int(i) + 1, int(starts[i]), int(ends[i])


def check_lines(data: bytes, delimiter: str) -> None:
    """Refuse a text file with a line of too many cells or too many bytes, before parsing.

    Separators inside quoted cells are counted too (the count is a bound, not a parse): a line
    needs MAX_COLUMNS separators to be refused, which no real patient row has.
    """
    sep = delimiter.encode("utf-8")
    for number, start, end in long_lines(data, _SHORT_LINE):
        cells = data.count(sep, start, end) + 1
        if cells > MAX_COLUMNS and end - start <= MAX_LINE_BYTES and b'"' in data[start:end]:
            cells = _quoted_cells(data[start:end], delimiter)  # separators in quotes do not count
        if cells > MAX_COLUMNS:
            where = "The first line" if number == 1 else f"Line {number}"
            raise LimitExceeded(
                f"{where} of the file has {cells:,} cells; this tool reads at most {MAX_COLUMNS} "
                "columns (a cohort table needs about 45, see the template). Export only the "
                "columns the analysis needs and upload again."
            )
        if end - start > MAX_LINE_BYTES:
            raise LimitExceeded(
                f"Line {number} of the file is {mb(end - start)} long; one patient row is at most a "
                "few thousand characters. This is not a table with one patient per line: export "
                "the patient table again (CSV or .xlsx) and upload it."
            )


def _quoted_cells(line: bytes, delimiter: str) -> int:
    import csv

    try:
        row = next(csv.reader([line.decode("utf-8", "replace")], delimiter=delimiter), [])
    except csv.Error:
        return line.count(delimiter.encode("utf-8")) + 1
    return len(row)


def drop_trailing_blank_lines(data: bytes, delimiter: str) -> tuple[bytes, int]:
    """The file without its trailing lines of nothing but separators and spaces, and how many
    lines were dropped (the last line with content keeps its own line break)."""
    newline = b"\n" if b"\n" in data else b"\r"
    end = len(data.rstrip((delimiter + " \t\r\n").encode("utf-8")))
    cut = data.find(newline, end)
    if cut < 0 or cut + 1 == len(data):
        return data, 0
    return data[: cut + 1], data.count(newline, cut + 1) + (0 if data.endswith(newline) else 1)


def count_records(data: bytes) -> int:
    """Rows of a delimited text file, without parsing it: line breaks outside quotation marks.

    A line break is inside a quoted cell when an odd number of quotation marks precede it
    (a doubled "" inside a cell counts twice, so it keeps the parity). Counted in 4 MB steps
    with numpy, so a file of quotes costs no more memory than any other.
    """
    newline = 10 if b"\n" in data else 13
    buf = np.frombuffer(data, np.uint8)
    step = 4 * 1024 * 1024
    records, odd = 0, 0
    for start in range(0, len(buf), step):
        chunk = buf[start : start + step]
        quotes = np.cumsum(chunk == 34, dtype=np.int32)
        breaks = np.flatnonzero(chunk == newline)
        records += int(np.count_nonzero((quotes[breaks] + odd) % 2 == 0))
        odd = (odd + int(quotes[-1])) % 2
    return records + (0 if not data or data[-1] == newline else 1)


def too_many_rows(n: int, what: str = "rows") -> LimitExceeded:
    return LimitExceeded(
        f"The file has {n:,} {what}; this tool reads at most {MAX_ROWS:,} patient rows (a cohort "
        "table, even a pooled registry, has far fewer). If the rows below the table are empty, "
        "delete them in Excel and export again; otherwise split the file."
    )


def too_many_columns(n: int) -> LimitExceeded:
    return LimitExceeded(
        f"The table has {n:,} columns; this tool reads at most {MAX_COLUMNS} (a cohort table needs "
        "about 45, see the template). Export only the columns the analysis needs and upload again."
    )


def cell_too_long(where: str, chars: int | None = None) -> LimitExceeded:
    """A cell over MAX_CELL_CHARS; `where` says where ('row 5, column AR')."""
    size = f"{chars:,} characters" if chars else f"more than {MAX_CELL_CHARS:,} characters"
    return LimitExceeded(
        f"A cell ({where}) holds {size}; a cell of a cohort table holds at most "
        f"{MAX_CELL_CHARS:,}. This usually means a quotation mark (\") that is never closed, so "
        "the rest of the file was read as one cell: check the quotes in that row, or export the "
        "file again."
    )


# --- Workbooks ---------------------------------------------------------------------------------------

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22


def zip_entry_count(data: bytes) -> int | None:
    """Entries declared by the ZIP's end-of-central-directory record (None if not found).

    Read by hand so that a 50 MB central directory of a million entries is refused before
    `zipfile` builds a Python object for each (ZIP64 archives report 0xFFFF here: refused too).
    """
    tail_start = max(0, len(data) - _EOCD_SIZE - 0xFFFF)  # the record ends with a comment <= 64 KB
    at = data.rfind(_EOCD, tail_start)
    if at < 0 or at + _EOCD_SIZE > len(data):
        return None
    (total,) = struct.unpack_from("<H", data, at + 10)
    return int(total)


def check_zip(zf: zipfile.ZipFile) -> None:
    """Refuse archives whose declared sizes or compression ratios are out of bounds.

    `zipfile` stops inflating an entry at its declared size (a larger stream fails its CRC), so
    the declared sizes checked here bound what openpyxl can ever unpack.
    """
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _too_many_entries(len(infos))
    total = 0
    sheet = ("", 0)
    shared = 0
    for info in infos:
        size, packed = info.file_size, max(info.compress_size, 1)
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            total += size  # images and other binary parts are never opened in read-only mode
        if size > 1024 * 1024 and size / packed > MAX_ZIP_RATIO:
            raise LimitExceeded(
                f"The workbook is a compression bomb or badly damaged: '{info.filename}' would "
                f"unpack from {mb(info.compress_size)} to {mb(size)} ({size // packed:,} times; "
                f"spreadsheets compress about 5-20 times). {_AS_CSV}"
            )
        if info.filename.startswith("xl/worksheets/") and size > sheet[1]:
            sheet = (info.filename, size)
        if info.filename.endswith("sharedStrings.xml"):
            shared += size
    if total > MAX_XLSX_XML_BYTES:
        raise LimitExceeded(
            f"The workbook unpacks to {mb(total)} of tables and text; this tool reads workbooks up to "
            f"{mb(MAX_XLSX_XML_BYTES)}. {_AS_CSV}"
        )
    if sheet[1] > MAX_SHEET_XML_BYTES:
        raise LimitExceeded(
            f"One sheet of the workbook unpacks to {mb(sheet[1])}; this tool reads sheets up to "
            f"{mb(MAX_SHEET_XML_BYTES)}. {_AS_CSV}"
        )
    if shared > MAX_SHARED_STRINGS_BYTES:
        raise LimitExceeded(
            f"The workbook holds {mb(shared)} of text; this tool reads up to "
            f"{mb(MAX_SHARED_STRINGS_BYTES)}. Remove free-text columns the analysis does not need, "
            f"or: {_AS_CSV}"
        )


def _too_many_entries(n: int) -> LimitExceeded:
    parts = "65,535 or more" if n == 0xFFFF else f"{n:,}"  # 0xFFFF: a ZIP64 archive, count elsewhere
    return LimitExceeded(
        f"The file is a ZIP archive of {parts} parts; an Excel workbook has a few dozen. It is not a "
        "workbook this tool can read. " + _AS_CSV
    )


def check_zip_entry_count(data: bytes) -> None:
    n = zip_entry_count(data)
    if n is not None and (n > MAX_ZIP_ENTRIES or n == 0xFFFF):
        raise _too_many_entries(n)


class CellBudget:
    """Cells a workbook read may still parse (shared by every sheet of one upload)."""

    def __init__(self, cells: int | None = None) -> None:
        self.limit = MAX_SHEET_CELLS if cells is None else cells
        self.left = self.limit

    def spend(self, n: int, sheet: str) -> None:
        self.left -= max(n, 1)  # an empty row still costs parsing
        if self.left < 0:
            raise LimitExceeded(
                f"The sheet '{sheet}' has more than {self.limit:,} cells (rows x columns), more "
                f"than this tool reads from a workbook. {_AS_CSV} (CSV files are read up to 50 MB.)"
            )
