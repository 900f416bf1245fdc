"""Reading an upload into a grid of text cells: file type, size, encoding, delimiter, sheets.

Nothing here knows the cohort schema; `ingest` interprets the grid. Every failure a user can
cause raises `CohortReadError` with what happened and what to do.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import gc
import io
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from sarcoma import ingest_limits as limits
from sarcoma import vocab
from sarcoma.ingest_errors import CohortReadError

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # matches server.maxUploadSize in .streamlit/config.toml
SAMPLE_BYTES = 64 * 1024  # encoding and dialect are detected on a bounded sample, for speed
# clevercsv's detection is quadratic in the length of one line (a 64 KB line without a separator
# took 59 s): each line of the dialect sample is cut to this length.
SAMPLE_LINE_BYTES = 4096
DELIMITERS = (",", ";", "\t", "|")
EXCEL_EPOCH_1900 = dt.datetime(1899, 12, 30)  # serial 1 = 1900-01-01 with Lotus' leap-day bug

# Encodings a European centre's export plausibly uses when it is not UTF-8 (charset-normalizer
# picks among these; an unrestricted search mistakes short Norwegian text for cp1250 and so on).
LEGACY_ENCODINGS = ("cp1252", "cp1253", "latin_1")


@dataclass
class Grid:
    """One table as text cells, column by column, before any interpretation."""

    columns: list[pa.Array]  # pa.string(), no nulls: empty cells are ""
    n_rows: int
    first_row_number: int = 1  # spreadsheet row number of grid row 0
    file_format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    date_epoch: dt.datetime = EXCEL_EPOCH_1900
    notes: list[str] = field(default_factory=list)
    # Cells each row had in the file, before padding to the grid's width (None: every row had
    # len(columns), as Arrow guarantees). In a workbook, up to the row's last non-empty cell.
    cell_counts: np.ndarray | None = None

    @property
    def addressed(self) -> bool:
        """Workbook cells carry their column address, so a row's values cannot shift."""
        return self.file_format == "xlsx"

    def counts(self) -> np.ndarray:
        if self.cell_counts is None:
            return np.full(self.n_rows, len(self.columns), dtype=np.int32)
        return self.cell_counts

    def row(self, i: int) -> list[str]:
        return [str(c[i].as_py()) for c in self.columns]


@dataclass
class Upload:
    data: bytes
    name: str


def read_upload(source: Any, max_bytes: int | None = MAX_UPLOAD_BYTES) -> Upload:
    """Bytes and display name from a path, raw bytes or a file-like upload; enforce the size cap."""
    limit = _limit_message(max_bytes)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise CohortReadError(f"The file '{path}' does not exist or is not a file.")
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise CohortReadError(limit)
        return Upload(path.read_bytes(), path.name)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = ""
    elif hasattr(source, "getvalue"):
        data = bytes(source.getvalue())
        name = str(getattr(source, "name", "") or "")
    elif hasattr(source, "read"):
        # Read one byte past the cap so an oversized stream is refused without reading it all.
        data = source.read() if max_bytes is None else source.read(max_bytes + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
        name = str(getattr(source, "name", "") or "")
    else:
        raise CohortReadError(
            "This does not look like a file. Upload a CSV or Excel (.xlsx) file."
        )
    if max_bytes is not None and len(data) > max_bytes:
        raise CohortReadError(limit)
    return Upload(data, Path(name).name if name else "")


def _limit_message(max_bytes: int | None) -> str:
    size = f"{(max_bytes or 0) / 1024 / 1024:.0f} MB"
    return (
        f"The file is larger than {size}, the upload limit. Remove columns the analysis does not "
        "need (free-text notes, images) or split the cohort, and upload again."
    )


# --- File type ----------------------------------------------------------------------------------

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a bitmap image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip-compressed archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3", "a database file"),
    (b"{\\rtf", "a Rich Text (RTF) document"),
    (b"$FL2", "an SPSS data file (.sav)"),
    (b"$FL3", "an SPSS data file (.sav)"),
)
_SAVE_AS = "Open it in Excel (or SPSS) and save or export it as .xlsx or CSV, then upload that file."


def sniff_format(data: bytes) -> str:
    """'xlsx' or 'csv', decided by content (magic bytes), not by the file name."""
    if not data or data.isspace():
        raise CohortReadError(
            "The file is empty. Export the patient table again from Excel or SPSS and upload it."
        )
    if data.startswith(_OLE2):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise CohortReadError(
                "The workbook is password-protected, so it cannot be read. In Excel choose "
                "File > Info > Protect Workbook > Encrypt with Password, clear the password, "
                "save, and upload again."
            )
        raise CohortReadError(
            "This is an old-style Office file (Excel 97-2003 .xls or similar), which this tool "
            f"does not read. {_SAVE_AS}"
        )
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            raise CohortReadError(f"This file is {what}, not a table. {_SAVE_AS}")
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<table")):
        raise CohortReadError(
            f"This file is a web page or XML file (some systems save those with an .xls name). "
            f"{_SAVE_AS}"
        )
    return "csv"


def _sniff_zip(data: bytes) -> str:
    limits.check_zip_entry_count(data)  # before zipfile reads the central directory
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" in names:
                limits.check_zip(zf)  # declared sizes and ratios, before openpyxl inflates
            mimetype = ""
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 1024:
                mimetype = zf.read("mimetype").decode("ascii", "replace")
    except CohortReadError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, RuntimeError) as exc:
        raise CohortReadError(
            f"The file looks like a damaged Excel workbook or ZIP archive. {_SAVE_AS}"
        ) from exc
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        raise CohortReadError(f"This is a Word document, not a table. {_SAVE_AS}")
    if "ppt/presentation.xml" in names:
        raise CohortReadError(f"This is a PowerPoint file, not a table. {_SAVE_AS}")
    if "opendocument.spreadsheet" in mimetype:
        raise CohortReadError(
            "This is a LibreOffice/OpenOffice spreadsheet (.ods). Save it as .xlsx or CSV "
            "and upload that file."
        )
    raise CohortReadError(
        f"This is a ZIP archive, not a spreadsheet. Unzip it and upload the .xlsx or CSV file "
        f"inside. {_SAVE_AS}"
    )


# --- Text files -----------------------------------------------------------------------------------


def decode_info(data: bytes) -> tuple[str, bytes]:
    """Detect the encoding; return (encoding name for the report, UTF-8 bytes without BOM).

    UTF-8 is checked exactly (incrementally, without building one huge string). Anything else
    is handed to charset-normalizer on a bounded sample of the lines that contain non-ASCII
    bytes, restricted to the legacy encodings European exports use.
    """
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        if _valid_utf8(body):
            return "utf-8-sig", body
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode Text" export: UTF-16 with BOM, tab-separated.
        try:
            utf8 = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise _binary_error() from exc
        _refuse_nul(utf8)
        return "utf-16", utf8
    _refuse_nul(data)
    if data.isascii():
        return "ascii", data
    if _valid_utf8(data):
        return "utf-8", data
    encoding = _detect_legacy(data)
    return encoding, data.decode(encoding).encode("utf-8")


def _binary_error(detail: str = "") -> CohortReadError:
    return CohortReadError(
        f"The file contains binary data, not text{detail}, so it is not a CSV file and not an "
        f"Excel workbook this tool can read. {_SAVE_AS}"
    )


def _refuse_nul(data: bytes) -> None:
    """One rule for the whole file: a NUL byte anywhere refuses it.

    No CSV export from Excel, SPSS or R contains a NUL. One means the file is binary, UTF-16
    without a byte-order mark, or damaged; stripping it would silently change a cell
    ('P1<NUL>2' becomes 'P12') of a file that may be damaged elsewhere too.
    """
    at = limits.first_nul(data)
    if at < 0:
        return
    head = data[:1024]
    if head.count(b"\x00") * 3 > len(head):  # every other byte NUL: UTF-16 text without a BOM
        raise CohortReadError(
            "The file looks like Unicode (UTF-16) text without a byte-order mark, which cannot be "
            "read reliably. In Excel choose File > Save As > 'CSV UTF-8', and upload that file."
        )
    raise _binary_error(f" (a NUL byte on line {limits.line_number_at(data, at):,})")


def _valid_utf8(data: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    step = 1 << 20
    try:
        for start in range(0, len(view), step):
            decoder.decode(view[start : start + step], final=start + step >= len(view))
    except UnicodeDecodeError:
        return False
    return True


def _detect_legacy(data: bytes) -> str:
    from charset_normalizer import from_bytes

    sample = _non_ascii_lines(data)
    scores = {m.encoding: (m.chaos, -m.coherence) for m in from_bytes(sample, cp_isolation=list(LEGACY_ENCODINGS))}
    # Every legacy encoding that reads the file is a candidate, also one charset-normalizer left
    # out of its matches (on a one-row file it may offer cp1252 alone for Greek 'Αθήνα').
    decodable = [e for e in dict.fromkeys([*scores, *LEGACY_ENCODINGS]) if _decodes(data, e)]
    if not decodable:
        raise _binary_error()
    # charset-normalizer's mess score misjudges short samples (one Greek word among Latin
    # cells scores better as cp1252 'ÁèÞíá'): implausible words decide first, its score second
    # (an encoding it did not score comes after those it did).
    return min(decodable, key=lambda e: (_oddness(sample.decode(e, "replace")), *scores.get(e, (math.inf, 0.0))))


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.decode(data, encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _non_ascii_lines(data: bytes) -> bytes:
    """Up to SAMPLE_BYTES of the lines holding non-ASCII bytes (the only informative ones).

    Jumps from one non-ASCII byte to the next (regex search, not a loop over every line), and
    cuts each line to SAMPLE_LINE_BYTES, so one huge line cannot make the sample huge.
    """
    out: list[bytes] = []
    size = 0
    newline = b"\n" if b"\n" in data else b"\r"
    start = 0
    while size < SAMPLE_BYTES:
        found = _NON_ASCII.search(data, start)
        if found is None:
            break
        line_start = data.rfind(newline, 0, found.start()) + 1
        end = data.find(newline, found.start())
        end = len(data) if end < 0 else end + 1
        line = data[line_start : min(end, line_start + SAMPLE_LINE_BYTES)]
        out.append(line)
        size += len(line)
        start = end
    return b"".join(out)


_WORD = re.compile(r"[^\W\d_]+")
_COMMON_SYMBOLS = frozenset("°€£±–—’‘“”«»…•µ²³½¼")


def _oddness(text: str) -> int:
    """Implausible text: Greek and Latin letters in one word ('Zόrich'), stray symbols ('÷'),
    or Latin words made mostly of accented letters ('íáé' is Greek 'ναι' misread)."""
    odd = sum(
        1 for ch in text
        if ord(ch) >= 128 and not ch.isalpha() and not ch.isspace() and ch not in _COMMON_SYMBOLS
    )
    for word in _WORD.findall(text):
        greek = sum(1 for ch in word if unicodedata.name(ch, "").startswith("GREEK"))
        accented = sum(1 for ch in word if ord(ch) >= 128) - greek
        mixed = 0 < greek < len(word)
        mostly_accented = not greek and accented >= 2 and 2 * accented > len(word)
        odd += mixed or mostly_accented
    return odd


def detect_delimiter(text_sample: str) -> str:
    """Delimiter among comma, semicolon, tab and pipe, by clevercsv's data-consistency measure."""
    import clevercsv

    lines = [line[:SAMPLE_LINE_BYTES] for line in text_sample.splitlines()[:50]]
    sample = "\n".join(lines)
    try:
        dialect = clevercsv.Detector().detect(sample, delimiters=list(DELIMITERS))
    except Exception:  # clevercsv may fail on pathological text; fall back to counting
        dialect = None
    if dialect is not None and dialect.delimiter in DELIMITERS:
        return dialect.delimiter
    counts = {d: sample.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_text_grid(upload: Upload, *, max_rows: int | None = limits.MAX_ROWS) -> Grid:
    """Parse a delimited text file into a Grid (every record, header included, as text).

    Takes the Upload and empties it: the raw bytes are dropped as soon as Arrow has parsed
    them, so a large file is never held three times (bytes, table, columns). Lines of too
    many cells or bytes are refused before anything is parsed (`ingest_limits.check_lines`).
    """
    data, upload.data = upload.data, b""
    encoding, utf8 = decode_info(data)
    del data
    head = utf8[:SAMPLE_BYTES].decode("utf-8", "ignore")
    delimiter = detect_delimiter(head)
    limits.check_lines(utf8, delimiter)
    notes = []
    if max_rows is not None and limits.count_records(utf8) > max_rows + _HEADER_ROOM:
        utf8, dropped = limits.drop_trailing_blank_lines(utf8, delimiter)
        if dropped:
            notes.append(f"{dropped:,} empty lines at the end of the file were ignored.")
        records = limits.count_records(utf8)
        if records > max_rows + _HEADER_ROOM:
            raise limits.too_many_rows(records)
    quoted = b'"' in utf8
    table = _read_with_arrow(utf8, head, delimiter)
    if table is None:
        grid = _read_with_csv_module(utf8, delimiter)
    else:
        del utf8
        # One contiguous array per column, dropping the table column by column as we go (this
        # frame holds the only reference, so each column's chunks are freed once combined).
        n_rows, columns = table.num_rows, []
        while table.num_columns:
            columns.append(table.column(0).combine_chunks())
            table = table.remove_column(0)
        del table
        if n_rows >= 100_000:
            # Arrow's Python buffer wrapper keeps the input bytes in a reference cycle: collect
            # it now, and hand the parser's scratch memory back, rather than at some later point.
            gc.collect()
            pa.default_memory_pool().release_unused()
        grid = Grid(columns=columns, n_rows=n_rows)
    if max_rows is not None and grid.n_rows > max_rows + _HEADER_ROOM:
        raise limits.too_many_rows(grid.n_rows)
    _check_cells(grid, delimiter, quoted=quoted)
    grid.notes.extend(notes)
    grid.encoding = encoding
    grid.delimiter = delimiter
    return grid


def _check_cells(grid: Grid, delimiter: str, *, quoted: bool) -> None:
    """Refuse a cell longer than MAX_CELL_CHARS (Arrow has no field-size limit of its own), or
    one that swallowed whole rows: a quotation mark that is never closed turns the lines after
    it into one cell, and those patients would silently vanish from the count. Only a file with
    quotation marks can have a cell with a line break in it."""
    import pyarrow.compute as pc

    width = len(grid.columns)
    for j, col in enumerate(grid.columns):
        if not len(col):
            continue
        size = pc.binary_length(col)  # bytes >= characters: read off the offsets, no decoding
        if (pc.max(size).as_py() or 0) > limits.MAX_CELL_CHARS:
            chars = pc.utf8_length(col).to_numpy(zero_copy_only=False)
            row = int(np.argmax(chars))
            if chars[row] > limits.MAX_CELL_CHARS:
                where = f"row {grid.first_row_number + row}, column {_column_letter(j)}"
                raise limits.cell_too_long(where, int(chars[row]))
        if not quoted or width < 3:
            continue
        multiline = pc.or_(pc.match_substring(col, "\n"), pc.match_substring(col, "\r"))
        for row in np.flatnonzero(multiline.to_numpy(zero_copy_only=False))[:1000]:
            cell = col[int(row)].as_py()
            if cell.count(delimiter) >= width - 1:
                raise CohortReadError(
                    f"A quotation mark (\") in row {grid.first_row_number + int(row)}, column "
                    f"{_column_letter(j)}, is never closed, so the lines after it were read as one "
                    "cell and their patients would be lost. Remove or close that quotation mark "
                    "and upload again."
                )


def _column_letter(index: int) -> str:
    from sarcoma.ingest_headers import column_letter

    return column_letter(index)


def _read_with_arrow(utf8: bytes, head: str, delimiter: str) -> pa.Table | None:
    """Fast path: pyarrow's CSV reader, every column as text. None unless every row has as
    many cells as the first (then each row's count is that width, so none is recorded)."""
    try:
        first = next(csv.reader(io.StringIO(head), delimiter=delimiter), None)
    except csv.Error:
        return None
    if not first:
        return None
    n = len(first)
    try:
        table = pacsv.read_csv(
            pa.py_buffer(utf8),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                # A line break can only sit inside a quoted cell; without quotes Arrow may
                # split the file into blocks and parse them in parallel.
                newlines_in_values=b'"' in utf8,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(n)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError):
        return None
    if table.num_columns > limits.MAX_COLUMNS:  # one record over several lines (quoted breaks)
        raise limits.too_many_columns(table.num_columns)
    return table if table.num_columns == n else None


_HEADER_ROOM = 11  # a header row and up to 10 title rows above it do not count as patient rows
_CHUNK_CELLS = 250_000  # cells held as Python strings at a time before moving them to Arrow


def _read_with_csv_module(utf8: bytes, delimiter: str) -> Grid:
    """Tolerant path for ragged files (title rows, short or long rows): Python's csv module.

    Records each row's cell count (the ingest decides which rows to trust, see
    `ingest_rows.ragged_rows`) and pads short rows with empty cells to the widest row. Rows are
    moved into Arrow arrays every _CHUNK_CELLS cells, so Python strings never hold the file.
    """
    reader = csv.reader(_text_lines(utf8), delimiter=delimiter, strict=False)
    chunks: list[list[pa.Array]] = []
    chunk_rows: list[int] = []
    counts: list[int] = []
    rows: list[list[str]] = []
    cells = 0

    def flush() -> None:
        width = max((len(r) for r in rows), default=0)
        chunks.append(
            [pa.array([r[j] if j < len(r) else "" for r in rows], pa.string()) for j in range(width)]
        )
        chunk_rows.append(len(rows))
        rows.clear()

    last_line = 0  # physical line on which the last complete row ended
    try:
        for row in reader:
            last_line = reader.line_num
            if len(row) > limits.MAX_COLUMNS:
                raise limits.too_many_columns(len(row))
            counts.append(len(row))
            rows.append(row)
            cells += len(row) + 1
            if cells >= _CHUNK_CELLS:
                flush()
                cells = 0
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise limits.cell_too_long(f"in the row that starts on line {last_line + 1:,}") from exc
        raise CohortReadError(
            f"The file could not be read as a table ({exc}, line {reader.line_num}). Check that "
            "it is a CSV export and upload it again."
        ) from exc
    if rows or not chunks:
        flush()
    width = max((len(c) for c in chunks), default=0)
    columns = []
    for j in range(width):
        parts = [c[j] if j < len(c) else pa.array([""] * n, pa.string()) for c, n in zip(chunks, chunk_rows, strict=True)]
        columns.append(pa.concat_arrays(parts) if len(parts) > 1 else parts[0])
        for c in chunks:  # free each chunk's column once it is concatenated
            if j < len(c):
                c[j] = pa.array([], pa.string())
    return Grid(columns=columns, n_rows=len(counts), cell_counts=np.asarray(counts, dtype=np.int32))


def _text_lines(utf8: bytes) -> Iterator[str]:
    """The file's lines, decoded one at a time (CR-only line breaks of old Mac exports too)."""
    newline = b"\n" if b"\n" in utf8 else b"\r"
    start = 0
    while start < len(utf8):
        end = utf8.find(newline, start)
        end = len(utf8) if end < 0 else end + 1
        line = utf8[start:end].decode("utf-8")
        if newline == b"\r" and line.endswith("\r"):
            line = line[:-1] + "\n"  # the csv module wants "\n" or "\r\n" line ends
        yield line
        start = end


# --- Workbooks ------------------------------------------------------------------------------------

AE_SHEET_WORDS = ("adverse", "toxic", "safety", "sideeffect", "irae")
AE_SHEET_KEYS = frozenset({"ae", "aes", "tox", "toxicity", "toxicities", "adverseevents", "trae"})


def is_ae_sheet(name: str) -> bool:
    """Sheet names like 'Adverse events', 'AE', 'AEs', 'Toxicity' hold the AE table."""
    k = vocab.key(name)
    return k in AE_SHEET_KEYS or any(w in k for w in AE_SHEET_WORDS)


def open_workbook(data: bytes) -> Any:
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise CohortReadError(
            f"The Excel workbook could not be opened; it may be damaged. {_SAVE_AS}"
        ) from exc


def choose_sheet(names: list[str], sheet: str | int | None, *, want_ae: bool) -> str | None:
    """Pick the patient sheet (first non-AE sheet) or the AE sheet; honour an explicit choice."""
    if sheet is not None:
        if isinstance(sheet, int) and not isinstance(sheet, bool):
            if 0 <= sheet < len(names):
                return names[sheet]
        elif str(sheet) in names:
            return str(sheet)
        else:
            by_key = [n for n in names if vocab.key(n) == vocab.key(str(sheet))]
            if by_key:
                return by_key[0]
        raise CohortReadError(
            f"The workbook has no sheet '{sheet}'. Its sheets are: "
            + ", ".join(f"'{n}'" for n in names)
            + "."
        )
    if want_ae:
        return next((n for n in names if is_ae_sheet(n)), None)
    return next((n for n in names if not is_ae_sheet(n)), names[0] if names else None)


def read_sheet_grid(workbook: Any, name: str, budget: limits.CellBudget | None = None) -> Grid:
    """One worksheet as a Grid of text cells (dates as ISO text, percent cells as 'n%').

    Every cell parsed is charged to `budget` (one per workbook upload), so a sheet of millions
    of cells is refused after MAX_SHEET_CELLS instead of read for minutes. Trailing empty cells
    of a row (formatting only) are dropped; each row's count is up to its last non-empty cell.
    """
    budget = budget if budget is not None else limits.CellBudget()
    ws = workbook[name]
    with contextlib.suppress(AttributeError):
        ws.reset_dimensions()  # stored dimensions can be wrong in files not written by Excel
    rows: list[list[str]] = []
    try:
        for row in ws.iter_rows():
            budget.spend(len(row), name)
            cells = [_cell_text(c) for c in row]
            while cells and not cells[-1]:
                cells.pop()
            if len(cells) > limits.MAX_COLUMNS:
                raise limits.LimitExceeded(
                    f"The sheet '{name}' has a value in column {_column_letter(len(cells) - 1)} "
                    f"(row {len(rows) + 1}); this tool reads at most {limits.MAX_COLUMNS} columns "
                    "(a cohort table needs about 45). Delete what lies beyond the table, or copy "
                    "the patient table to a new workbook, and upload again."
                )
            rows.append(cells)
    except CohortReadError:
        raise
    except Exception as exc:
        raise CohortReadError(
            f"The sheet '{name}' could not be read; the workbook may be damaged. {_SAVE_AS}"
        ) from exc
    counts = np.fromiter((len(r) for r in rows), dtype=np.int32, count=len(rows))
    width = int(counts.max()) if len(rows) else 0
    columns = [pa.array([r[j] if j < len(r) else "" for r in rows], pa.string()) for j in range(width)]
    epoch = getattr(workbook, "epoch", EXCEL_EPOCH_1900)
    return Grid(columns=columns, n_rows=len(rows), file_format="xlsx", sheet=name, date_epoch=epoch,
                cell_counts=counts)


def _cell_text(cell: Any) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        fmt = str(getattr(cell, "number_format", "") or "")
        if "%" in fmt:
            # A cell showing "35%" holds 0.35; keep what the clinician sees.
            return f"{value * 100:.10g}%"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
