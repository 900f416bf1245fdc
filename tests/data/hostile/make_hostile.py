"""Writes the hostile-file corpus (run: python tests/data/hostile/make_hostile.py).

Small files are committed next to this script; each imitates one way a file can corrupt,
invent or drop a patient, or carry text meant for a renderer (tests/test_ingest_hostile.py pins
the outcome of each). Files too big to commit (the 50 MB one-line CSV, the 100,000-column
file, the zip bomb, ...) are written at test or benchmark time by the `big_*` functions below
into a temporary folder. Patients are the synthetic sample's (sample_data/sample_cohort.csv,
invented) or derived from it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
SAMPLE = HERE.parents[2] / "sample_data" / "sample_cohort.csv"
FIXED_TIME = dt.datetime(2024, 11, 1, 9, 0, 0)
MB = 1024 * 1024

# Text a renderer must escape: markdown image (an outside fetch), link, HTML, LaTeX, colour,
# spreadsheet formula. Ingest passes it through unchanged.
BEACON = "![x](http://127.0.0.1:9/beacon.png)"
PAYLOADS: tuple[str, ...] = (
    BEACON,
    '<a href="http://evil">UPS</a>',
    "**bold**",
    "$\\LaTeX$",
    ":red[x]",
    '=HYPERLINK("http://evil","click")',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[link](javascript:alert(1))",
)
# A file name as a browser may send it (no '/', which no file name holds).
HOSTILE_FILE_NAME = "![x](http:127.0.0.1:9\\beacon.png) <img src=x onerror=alert(1)> **bold** $\\LaTeX$ :red[x] =1+1.csv"
PAYLOAD_HEADERS: tuple[str, ...] = (
    "![h](http://127.0.0.1:9/header.png)",
    "<script>alert('header')</script>",
    "**Notes** $x$ :red[h] =SUM(1)",
)
PAYLOAD_CENTRES: tuple[str, ...] = (BEACON, '<a href="http://evil">Centre B</a>', "$\\LaTeX$ :red[x] **bold**")


def sample() -> tuple[list[str], list[list[str]]]:
    """Header and the 72 rows of the synthetic sample cohort, as text cells."""
    with SAMPLE.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def write(name: str, body: str | bytes, folder: Path | None = None) -> Path:
    path = (HERE if folder is None else folder) / name
    path.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)
    return path


def save(wb: openpyxl.Workbook, name: str) -> None:
    wb.properties.created = FIXED_TIME  # keep rebuilt files byte-stable
    wb.properties.modified = FIXED_TIME
    wb.save(HERE / name)


def _col(header: list[str], name: str) -> int:
    return header.index(name)


def _with_raw(header: list[str], row: list[str], column: str, raw: str) -> str:
    """The row as a CSV line, with `raw` written into `column` exactly as given (unquoted)."""
    cells = row[:]
    cells[_col(header, column)] = "\x01"
    return csv_text([cells]).rstrip("\n").replace("\x01", raw)


# --- Rows whose cells do not line up ------------------------------------------------------------


def ragged_long() -> None:
    # Row 7 (patient SYN-006): "Sarcoma, NOS" written without quotes, so its row has 46 cells
    # and every value after it is one column to the right. Row 11 (SYN-010) ends with one extra
    # separator: 46 cells, the extra one empty (still not trusted, see ingest_rows).
    header, rows = sample()
    rows = [r[:] for r in rows[:20]]
    lines = [",".join(header)] + [csv_text([r]).rstrip("\n") for r in rows]
    lines[6] = _with_raw(header, rows[5], "histotype_detail", "Sarcoma, NOS")
    lines[10] = lines[10] + ","
    write("ragged_long.csv", "\n".join(lines) + "\n")


def ragged_short() -> None:
    # Row 5 (SYN-004) lost its sex cell (44 cells: every later value one column to the left);
    # row 10 (SYN-009) lost its last cell (44 cells). Both look alike and both are left out.
    header, rows = sample()
    rows = [r[:] for r in rows[:20]]
    sex = _col(header, "sex")
    rows[3] = rows[3][:sex] + rows[3][sex + 1 :]
    rows[8] = rows[8][:-1]
    write("ragged_short.csv", csv_text([header, *rows]))


def trailing_separators() -> None:
    # A writer that ends every data line with two separators: 47 cells under a 45-cell header.
    header, rows = sample()
    body = ",".join(header) + "\n" + "".join(csv_text([r]).rstrip("\n") + ",,\n" for r in rows[:20])
    write("trailing_separators.csv", body)


def excel_blocks() -> None:
    # Old Excel leaves out trailing columns that are empty in a whole block of rows: the first
    # 16 rows keep all 45 cells; in the next 20 PD-L1, TMB and MSI are blank (cleared here),
    # so those rows end after column AP.
    header, rows = sample()
    rows = [r[:] for r in rows[:36]]
    for r in rows[16:]:
        del r[-3:]
    write("excel_blocks.csv", csv_text([header, *rows]))


def ragged_workbook() -> None:
    # Row 6 (SYN-005) was pasted one cell to the right from column B: its MSI value lands in
    # column AT, which has no header. Row 9 (SYN-008) has a note in column AV. Row 12 (SYN-011)
    # has its last 8 cells empty: in a workbook that is just empty cells.
    header, rows = sample()
    rows = [r[:] for r in rows[:20]]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "patients"
    ws.append(header)
    for i, r in enumerate(rows):
        if i == 4:
            r[-1] = "Low"
            r = [r[0], "", *r[1:]]
        if i == 10:
            r = r[:-8] + [""] * 8
        ws.append([c if c != "" else None for c in r])
    ws.cell(row=9, column=len(header) + 3, value="see letter")  # two columns past the header
    save(wb, "ragged.xlsx")


def unclosed_quote() -> None:
    # Row 6 opens a quotation mark in histotype_detail and never closes it: the lines below would
    # become one cell, and their patients would disappear.
    header, rows = sample()
    lines = [",".join(header)] + [csv_text([r]).rstrip("\n") for r in rows[:20]]
    lines[5] = _with_raw(header, rows[4], "histotype_detail", '"Sarcoma')
    write("unclosed_quote.csv", "\n".join(lines) + "\n")


# --- Rows that are not patients -------------------------------------------------------------------


def footer_totals() -> None:
    # The 72 patients, then the totals lines a spreadsheet user adds under a table.
    header, rows = sample()
    body = csv_text([header, *rows]) + "Total,72\nΣύνολο,72\nMean,,,56.4\n,,,,N = 72\n"
    write("footer_totals.csv", body)


def repeated_header() -> None:
    # Two exports pasted one under the other (header repeated as written), then a third block
    # under a header spelled another way.
    header, rows = sample()
    other = ["Patient ID", "Centre", "Sex", "Age", "Stage", "Histology", *header[6:]]
    write("repeated_header.csv", csv_text([header, *rows[:10], header, *rows[10:20], other, *rows[20:24]]))


def id_only_rows() -> None:
    # A registration line (ID, centre, sex, age only) and a numbered empty row.
    header, rows = sample()
    registered = ["SYN-101", "Centre A (synthetic)", "Female", "61"] + [""] * (len(header) - 4)
    numbered = ["SYN-102"] + [""] * (len(header) - 1)
    write("id_only_rows.csv", csv_text([header, *rows[:20], registered, numbered]))


# --- NUL bytes ------------------------------------------------------------------------------------------


def nul_bytes() -> None:
    # One NUL in the second line, and one in the last line of a file well past the 64 KB
    # that used to be the only part checked.
    header, rows = sample()
    body = csv_text([header, *rows[:20]]).encode("utf-8")
    at = body.index(b"SYN-001") + 3
    write("nul_early.csv", body[:at] + b"\x00" + body[at:])
    many = [header]
    for k in range(4):
        many += [[f"{r[0]}-{k}", *r[1:]] for r in rows]
    body = csv_text(many).encode("utf-8")
    assert len(body) > 80 * 1024
    at = body.rindex(b"SYN-072-3") + 4
    write("nul_late.csv", body[:at] + b"\x00" + body[at:])


# --- Text for a renderer -------------------------------------------------------------------------------


def payload_rows() -> tuple[list[str], list[list[str]]]:
    """24 sample patients whose text cells and three extra headers carry PAYLOADS."""
    header, rows = sample()
    rows = [r[:] for r in rows[:24]]
    idx = {name: _col(header, name) for name in header}
    for i, r in enumerate(rows):
        p = PAYLOADS[i % len(PAYLOADS)]
        r[idx["patient_id"]] = f"P{i + 1:02d} {p}" if i % 3 == 0 else f"P{i + 1:02d}"
        r[idx["center"]] = PAYLOAD_CENTRES[i % 3]
        r[idx["histotype"]] = '<a href="http://evil">UPS</a>' if i % 4 == 0 else r[idx["histotype"]]
        r[idx["histotype_detail"]] = f"{r[idx['histotype_detail']]} {p}"
        r[idx["histotype_original"]] = p
        r[idx["regimen"]] = f"{r[idx['regimen']]} {PAYLOADS[(i + 3) % len(PAYLOADS)]}"
        r.extend([PAYLOADS[(i + k) % len(PAYLOADS)] for k in range(len(PAYLOAD_HEADERS))])
    return [*header, *PAYLOAD_HEADERS], rows


def payload_files() -> None:
    header, rows = payload_rows()
    write("payload.csv", csv_text([header, *rows]))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "$x$ <i>pts<i> _y_"  # Excel forbids : \ / ? * [ ] in sheet names
    ws.append(header)
    for r in rows:
        ws.append([c if c != "" else None for c in r])
    save(wb, "payload.xlsx")


# --- Cohorts outside the sample's ranges ------------------------------------------------------------


def _with_ages(rows: list[list[str]], ages: list[int], prefix: str, centre: str, age_col: int) -> list[list[str]]:
    out = []
    for i, (r, age) in enumerate(zip(rows, ages, strict=False)):
        r = r[:]
        r[0] = f"{prefix}-{i + 1:03d}"
        r[1] = centre
        r[age_col] = str(age)
        out.append(r)
    return out


def age_cohorts() -> None:
    # Paediatric (ages 2-15) and adolescent/young adult (10-49): all ages outside or straddling
    # the sample's 16-95, for the filters-reset-on-new-data walk.
    header, rows = sample()
    age = _col(header, "age")
    paediatric = [2 + (i * 13) // 23 for i in range(24)]  # 2 ... 15
    aya = [10 + (i * 39) // 29 for i in range(30)]  # 10 ... 49
    write("paediatric.csv", csv_text([header, *_with_ages(rows[:24], paediatric, "PED", "Centre P (synthetic)", age)]))
    write("aya.csv", csv_text([header, *_with_ages(rows[24:54], aya, "AYA", "Centre Y (synthetic)", age)]))


def zero_follow_up() -> None:
    # Every PFS and OS time <= 0.5 months (a centre that just started): dates beyond the start
    # are blank so the months are the only follow-up.
    header, rows = sample()
    idx = {name: _col(header, name) for name in header}
    times = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    out = []
    for i, r in enumerate(rows[:20]):
        r = r[:]
        r[0] = f"ZF-{i + 1:03d}"
        pfs = times[i % len(times)]
        os_ = max(pfs, times[(i + 2) % len(times)])
        r[idx["pfs_months"]], r[idx["os_months"]] = f"{pfs:.1f}", f"{os_:.1f}"
        died = i % 5 == 0
        if died:  # death ends PFS too
            pfs = os_
        r[idx["pfs_months"]] = f"{pfs:.1f}"
        r[idx["pfs_event"]] = "1" if died or i % 3 == 0 else "0"
        r[idx["os_event"]] = "1" if died else "0"
        for name in ("progression_date", "death_date", "last_follow_up"):
            r[idx[name]] = ""
        out.append(r)
    write("zero_follow_up.csv", csv_text([header, *out]))


# --- Big files: written at test or benchmark time, never committed --------------------------------------


def big_one_line_csv(folder: Path, size: int = 50 * MB - 1024, *, separators: bool = True) -> Path:
    """One line of `size` bytes: 'a,' repeated (25 million cells), or one cell of 'x'."""
    unit = b"a," if separators else b"x"
    return write("one_line.csv" if separators else "one_line_no_separator.csv", unit * (size // len(unit)), folder)


def big_wide_csv(folder: Path, columns: int = 100_000, rows: int = 3) -> Path:
    """A header of `columns` names and a few rows (the 3 GB peak of issue 10)."""
    header = ",".join(f"c{j}" for j in range(columns))
    row = ",".join("1" for _ in range(columns))
    return write(f"wide_{columns}.csv", header + "\n" + "\n".join([row] * rows) + "\n", folder)


def wide_sample_csv(folder: Path, extra: int) -> Path:
    """The sample with `extra` unrecognised columns appended (header 'extra 1' ...)."""
    header, rows = sample()
    body = csv_text([[*header, *(f"extra {k + 1}" for k in range(extra))]] +
                    [[*r, *("" for _ in range(extra))] for r in rows])
    return write(f"sample_plus_{extra}.csv", body, folder)


def big_line_flood_csv(folder: Path, size: int = 50 * MB - 1024) -> Path:
    """The sample's header, then ~1.2 million rows of separators only (45 empty cells each)."""
    header, _ = sample()
    line = b"," * (len(header) - 1) + b"\n"
    head = (",".join(header) + "\n").encode()
    return write("separator_flood.csv", head + line * ((size - len(head)) // len(line)), folder)


def big_tiny_rows_csv(folder: Path, size: int = 50 * MB - 1024) -> Path:
    """~1.9 million minimal valid patients (8 columns): the most rows a 50 MB upload can hold."""
    buf = io.StringIO()
    buf.write("patient_id,histotype,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event\n")
    k = 0
    while buf.tell() < size - 64:
        buf.write(f"P{k},UPS,1,nivolumab,4.2,1,9.5,0\n")
        k += 1
    return write("tiny_rows.csv", buf.getvalue(), folder)


def big_sample_csv(folder: Path, size: int = 50 * MB - 1024) -> Path:
    """The sample's patients repeated (new IDs) up to `size`: a legitimate file at the limit."""
    header, rows = sample()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    k = 0
    while buf.tell() < size - 2048:
        r = rows[k % len(rows)]
        writer.writerow([f"{r[0]}-{k}", *r[1:]])
        k += 1
    return write("sample_50mb.csv", buf.getvalue(), folder)


def big_quoted_cell_csv(folder: Path, cell_chars: int = 10 * MB) -> Path:
    """A quoted cell of `cell_chars` characters in multi-line notes (past the cell limit)."""
    header, rows = sample()
    note = "\n".join(["a long note"] * (cell_chars // 12))
    return write("huge_cell.csv", csv_text([[*header, "Notes"], *([*r, note if i == 3 else ""] for i, r in enumerate(rows))]), folder)


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="patients" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
_SHEET_TAIL = "</sheetData></worksheet>"


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header_row() -> str:
    header, _ = sample()
    from openpyxl.utils import get_column_letter

    return '<row r="1">' + "".join(_inline(f"{get_column_letter(j + 1)}1", h) for j, h in enumerate(header)) + "</row>"


_SHARED_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_SHARED_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/>'
)


def write_xlsx(path: Path, rows_xml: Callable[[], object], shared_strings: list[str] | None = None) -> Path:
    """A minimal workbook whose one sheet is the sample's header then the XML pieces of
    `rows_xml()`, streamed into the archive (a 131 MB sheet never sits in memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        types, rels = _CONTENT_TYPES, _WORKBOOK_RELS
        if shared_strings is not None:
            types = types.replace("</Types>", _SHARED_TYPE + "</Types>")
            rels = rels.replace("</Relationships>", _SHARED_REL + "</Relationships>")
            with zf.open("xl/sharedStrings.xml", "w") as part:
                part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                for text in shared_strings:
                    part.write(f"<si><t>{text}</t></si>".encode())
                part.write(b"</sst>")
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write((_SHEET_HEAD + _header_row()).encode())
            for piece in rows_xml():  # type: ignore[attr-defined]
                sheet.write(piece.encode() if isinstance(piece, str) else piece)
            sheet.write(_SHEET_TAIL.encode())
    return path


def big_zip_bomb_xlsx(folder: Path, xml_bytes: int = 131 * MB) -> Path:
    """A workbook of ~130 KB whose sheet unpacks to `xml_bytes` of identical rows (issue 10's
    450 KB bomb unpacked to 131 MB and took 81 s and 0.9 GB)."""
    row = "<row>" + "".join('<c t="n"><v>1</v></c>' for _ in range(40)) + "</row>"
    block = (row * 1000).encode()

    def pieces():
        for _ in range(xml_bytes // len(block)):
            yield block

    return write_xlsx(folder / "zip_bomb.xlsx", pieces)


def big_cell_bomb_xlsx(folder: Path, cells: int = 580_000, seed: int = 1) -> Path:
    """A sheet of `cells` varied numbers without a stated size (so openpyxl scans it all to
    open it): compresses like real data (under the ratio limit), stays under the sheet-size
    limit (~15.5 MB of XML), and holds four times the cells a workbook read may parse."""
    rng = random.Random(seed)

    def pieces():
        per_row = 40
        for _ in range(cells // per_row):
            yield "<row>" + "".join(f'<c t="n"><v>{rng.random():.6f}</v></c>' for _ in range(per_row)) + "</row>"

    return write_xlsx(folder / f"cell_bomb_{cells}.xlsx", pieces)


def big_shared_strings_xlsx(folder: Path, text_bytes: int = 4 * MB - 4096, seed: int = 2) -> Path:
    """A workbook whose shared-text part is just under the limit, of distinct random strings
    (openpyxl reads all of it when it opens the workbook), and a sheet of 72 patients."""
    rng = random.Random(seed)
    strings, size = [], 0
    while size < text_bytes:
        text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(20))
        strings.append(text)
        size += len(text) + 16  # <si><t></t></si>
    _, rows = sample()

    def pieces():
        for k, r in enumerate(rows):
            yield f'<row r="{k + 2}">' + _inline(f"A{k + 2}", r[0]) + f'<c r="B{k + 2}" t="s"><v>{k}</v></c></row>'

    return write_xlsx(folder / "shared_strings.xlsx", pieces, strings)


def big_far_column_xlsx(folder: Path) -> Path:
    """The sample's header and one patient with a value in the last column Excel has (XFD)."""
    _, rows = sample()

    def pieces():
        yield '<row r="2">' + _inline("A2", rows[0][0]) + _inline("XFD2", "stray") + "</row>"

    return write_xlsx(folder / "far_column.xlsx", pieces)


def big_many_entries_zip(folder: Path, entries: int = 200_000) -> Path:
    """An .xlsx-named ZIP with a workbook part and `entries` empty parts (a huge directory)."""
    path = folder / "many_entries.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        for k in range(entries):
            zf.writestr(f"x/{k}", b"")
    return path


def main() -> None:
    for make in (
        ragged_long, ragged_short, trailing_separators, excel_blocks, ragged_workbook, unclosed_quote,
        footer_totals, repeated_header, id_only_rows, nul_bytes, payload_files, age_cohorts,
        zero_follow_up,
    ):
        make()


if __name__ == "__main__":
    main()
