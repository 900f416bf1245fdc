"""The hostile-file corpus (issue 10): each file's exact outcome, no patient invented or lost.

Files are in tests/data/hostile, written by make_hostile.py from the synthetic sample; the big
ones (50 MB one-line CSV, 100,000 columns, zip bomb, ...) are generated here into tmp_path.
The reference for the rows that must survive is the clean sample read by the same ingest: a
damaged file's kept patients must equal their clean rows cell for cell (a differential check:
any shift would change them), and the rows in = analysed + excluded for every endpoint.
"""

from __future__ import annotations

import importlib.util
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sarcoma import ingest_limits
from sarcoma.ingest import CohortReadError, load_cohort
from tests.test_ingest_corpus import check_report

HOSTILE = Path(__file__).parent / "data" / "hostile"
SAMPLE = Path(__file__).parents[1] / "sample_data" / "sample_cohort.csv"


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_hostile", HOSTILE / "make_hostile.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


make = _load_generator()
CLEAN, CLEAN_REPORT = load_cohort(SAMPLE)


def load(name: str, **kwargs):
    cohort, report = load_cohort(HOSTILE / name, **kwargs)
    check_report(cohort, report)
    return cohort, report


def same_as_clean(cohort: pd.DataFrame, ids: list[str], *, drop: tuple[str, ...] = ()) -> None:
    """The kept patients are the clean sample's rows with these IDs, value for value."""
    assert cohort["patient_id"].tolist() == ids
    expected = CLEAN.set_index("patient_id").loc[ids].reset_index()
    columns = [c for c in CLEAN.columns if c not in ("source_row", *drop)]
    pd.testing.assert_frame_equal(cohort[columns].reset_index(drop=True), expected[columns])


def excluded(report, kind: str) -> pd.DataFrame:
    issues = report.issues
    return issues[issues["problem_kind"] == kind].reset_index(drop=True)


def ids(first: int, last: int) -> list[str]:
    return [f"SYN-{k:03d}" for k in range(first, last + 1)]


# --- The corpus is what the committed script writes --------------------------------------------------


def test_committed_corpus_is_what_make_hostile_writes(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(make, "HERE", tmp_path)
    make.main()
    committed = sorted(p.name for p in HOSTILE.iterdir() if p.suffix != ".py")
    assert sorted(p.name for p in tmp_path.iterdir()) == committed
    for name in committed:
        if name.endswith(".csv"):
            assert (tmp_path / name).read_bytes() == (HOSTILE / name).read_bytes(), name
        else:  # workbooks: same cells (zip timestamps may differ)
            a, _ = load_cohort(tmp_path / name)
            b, _ = load_cohort(HOSTILE / name)
            pd.testing.assert_frame_equal(a, b)


# --- Rows whose cells do not line up ----------------------------------------------------------------


def test_longer_rows_are_excluded_even_when_the_extra_cell_is_empty() -> None:
    cohort, report = load("ragged_long.csv")
    same_as_clean(cohort, [i for i in ids(1, 20) if i not in ("SYN-006", "SYN-010")])
    rows = excluded(report, "cells do not line up")
    assert rows["source_row"].tolist() == [7, 11]
    assert rows["patient_id"].tolist() == ["SYN-006", "SYN-010"]
    assert rows["problem"].tolist() == ["46 cells, header has 45: values may be shifted"] * 2  # the sample has 45 columns
    assert (rows["endpoint"] == "all").all() and rows["excludes"].all()
    assert rows["action"].str.startswith("row excluded from every analysis").all()
    assert report.rows_read == 20 and report.analysed["PFS"] == report.analysed["OS"] == 18
    # + SYN-003, SYN-009 are NE; DoR: the 2 rows and the 13 non-responders of the 18 kept.
    assert report.excluded == {"PFS": 2, "OS": 2, "Response": 4, "DoR": 15, "TTF": 2}
    assert ("2 rows (7, 11) do not have as many cells as the header, so their values may be shifted "
            "into the wrong columns; they were left out of every analysis (see the issues table).") in report.warnings


def test_shorter_rows_are_excluded() -> None:
    cohort, report = load("ragged_short.csv")
    same_as_clean(cohort, [i for i in ids(1, 20) if i not in ("SYN-004", "SYN-009")])
    rows = excluded(report, "cells do not line up")
    assert rows["source_row"].tolist() == [5, 10]
    assert rows["problem"].tolist() == ["44 cells, header has 45: values may be shifted"] * 2


def test_a_separator_at_the_end_of_every_line_is_harmless() -> None:
    cohort, report = load("trailing_separators.csv")
    same_as_clean(cohort, ids(1, 20))
    assert excluded(report, "cells do not line up").empty
    assert report.unmatched_columns == []  # the two empty trailing columns are not offered for mapping


def test_blocks_of_rows_without_their_empty_trailing_cells_are_harmless() -> None:
    cohort, report = load("excel_blocks.csv")
    same_as_clean(cohort.iloc[:16], ids(1, 16))
    same_as_clean(cohort.iloc[16:], ids(17, 36), drop=("pdl1", "tmb", "msi"))
    assert cohort.iloc[16:][["pdl1", "tmb", "msi"]].isna().all().all()
    assert excluded(report, "cells do not line up").empty


def test_workbook_rows_with_a_value_beyond_the_header_are_excluded() -> None:
    cohort, report = load("ragged.xlsx")
    kept = [i for i in ids(1, 20) if i not in ("SYN-005", "SYN-008")]
    same_as_clean(cohort.drop(index=cohort.index[cohort["patient_id"] == "SYN-011"]),
                  [i for i in kept if i != "SYN-011"])
    rows = excluded(report, "cells do not line up")
    assert rows["source_row"].tolist() == [6, 9]
    assert rows["problem"].tolist() == [
        "46 cells, header has 45: values may be shifted (column AT holds a value but has no header)",
        "48 cells, header has 45: values may be shifted (column AV holds a value but has no header)",
    ]
    # A workbook row that simply ends early is empty cells, not a shifted row.
    short = cohort[cohort["patient_id"] == "SYN-011"].iloc[0]
    assert short["age"] == CLEAN.set_index("patient_id").loc["SYN-011", "age"]
    assert pd.isna(short["max_ae_grade"]) and pd.isna(short["msi"])


def test_an_unclosed_quote_that_swallows_rows_is_refused() -> None:
    with pytest.raises(CohortReadError) as err:
        load_cohort(HOSTILE / "unclosed_quote.csv")
    assert str(err.value).startswith('A quotation mark (") in row 6, column G, is never closed')


@pytest.mark.parametrize("times", [1, 2, 3])
def test_a_header_row_repeated_by_a_writer_is_not_needed_for_rows_to_line_up(times: int) -> None:
    # Uniform longer rows: every line has `times` extra trailing separators.
    header, rows = make.sample()
    body = ",".join(header) + "\n" + "".join(make.csv_text([r]).rstrip("\n") + "," * times + "\n" for r in rows[:10])
    cohort, report = load_cohort(body.encode())
    same_as_clean(cohort, ids(1, 10))


# --- Rows that are not patients ----------------------------------------------------------------------


def test_a_cohort_of_72_with_totals_lines_reads_as_72() -> None:
    cohort, report = load("footer_totals.csv")
    pd.testing.assert_frame_equal(cohort.drop(columns="source_row"), CLEAN.drop(columns="source_row"))
    assert report.rows_read == 76 and len(cohort) == 72
    assert report.analysed == CLEAN_REPORT.analysed
    assert report.excluded == {k: v + 4 for k, v in CLEAN_REPORT.excluded.items()}
    rows = excluded(report, "totals row")
    assert rows["source_row"].tolist() == [74, 75, 76, 77]
    assert rows["patient_id"].tolist() == ["Total", "Σύνολο", "Mean", ""]
    assert (rows["action"] == "row not read as a patient").all() and rows["excludes"].all()


def test_repeated_header_rows_are_not_patients() -> None:
    cohort, report = load("repeated_header.csv")
    same_as_clean(cohort, ids(1, 24))
    rows = excluded(report, "repeated header row")
    assert rows["source_row"].tolist() == [12, 23]
    assert rows["patient_id"].tolist() == ["patient_id", "Patient ID"]
    # Nothing from the header rows leaks into the value warnings ('histotype' as a histotype).
    assert not any("grouped as Other" in w for w in report.warnings)


def test_rows_with_only_a_patient_id_are_not_patients() -> None:
    cohort, report = load("id_only_rows.csv")
    same_as_clean(cohort, ids(1, 20))
    rows = excluded(report, "patient ID only")
    assert rows[["source_row", "patient_id"]].values.tolist() == [[22, "SYN-101"], [23, "SYN-102"]]


@pytest.mark.parametrize(
    ("text", "summary"),
    [("Total", True), ("TOTAL: 72", True), ("Total (n=72)", True), ("Sum", True), ("N = 72", True),
     ("n=72", True), ("Gesamt", True), ("Σύνολο", True), ("ΣΥΝΟΛΟ", True), ("Totalt", True),
     ("Grand total", True), ("Median", True), ("I alt", True),
     ("Σύνολα:", True), ("Sub-total", False), ("Μέσος όρος", True),
     ("N-01", False), ("N 01", False), ("SYN-001", False), ("Totality-3", False), ("Summer-1", False),
     ("SUM-001", False), ("Count_7", False), ("MEAN01", False), ("P1", False), ("", False)],
)
def test_summary_words(text: str, summary: bool) -> None:
    from sarcoma.ingest_rows import is_summary_text

    assert is_summary_text(text) is summary


# --- NUL bytes: one rule for the whole file ------------------------------------------------------------


@pytest.mark.parametrize(("name", "line"), [("nul_early.csv", 2), ("nul_late.csv", 289)])
def test_a_nul_byte_anywhere_refuses_the_file(name: str, line: int) -> None:
    data = (HOSTILE / name).read_bytes()
    assert data.index(b"\x00") > (0 if line == 2 else 64 * 1024)
    with pytest.raises(CohortReadError) as err:
        load_cohort(data)
    assert str(err.value).startswith(f"The file contains binary data, not text (a NUL byte on line {line}),")


def test_nul_in_utf16_text_and_utf16_without_bom() -> None:
    text = (HOSTILE / "nul_early.csv").read_bytes().decode("utf-8")
    with pytest.raises(CohortReadError, match="NUL byte on line 2"):
        load_cohort("\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    clean = SAMPLE.read_text(encoding="utf-8")
    with pytest.raises(CohortReadError, match="UTF-16.*without a byte-order mark"):
        load_cohort(clean.encode("utf-16-le"))


# --- Text for a renderer passes through unchanged ------------------------------------------------------


def test_payload_text_passes_through_ingest_unchanged() -> None:
    header, rows = make.payload_rows()
    col = {h: j for j, h in enumerate(header)}

    class Upload(io.BytesIO):
        name = make.HOSTILE_FILE_NAME

    cohort, report = load_cohort(Upload((HOSTILE / "payload.csv").read_bytes()))
    check_report(cohort, report)
    assert len(cohort) == 24 and report.analysed["PFS"] == 24
    for name in ("patient_id", "center", "histotype_detail", "histotype_original", "regimen"):
        assert cohort[name].tolist() == [r[col[name]] for r in rows], name
    assert report.unmatched_columns == list(make.PAYLOAD_HEADERS)
    assert report.file_name == make.HOSTILE_FILE_NAME
    assert set(cohort["center"]) == set(make.PAYLOAD_CENTRES)
    assert make.BEACON in cohort["center"].tolist()


def test_payload_text_is_quoted_unchanged_in_issues_and_errors() -> None:
    header, rows = make.payload_rows()
    age = header.index("age")
    rows = [r[:] for r in rows]
    rows[2][age] = "**bold** $x$"
    cohort, report = load_cohort(make.csv_text([header, *rows]).encode())
    bad = report.issues[report.issues["column"] == "age"]
    assert bad["value"].tolist() == ["**bold** $x$"]
    assert bad["patient_id"].tolist() == ["P03"]
    with pytest.raises(CohortReadError) as err:
        load_cohort(f"{make.BEACON},<b>x</b>\n1,2\n".encode())
    assert f"'{make.BEACON}'" in str(err.value) and "'<b>x</b>'" in str(err.value)


def test_payload_workbook_keeps_sheet_name_and_text() -> None:
    cohort, report = load("payload.xlsx")
    header, rows = make.payload_rows()
    assert report.sheet == "$x$ <i>pts<i> _y_"
    assert cohort["center"].tolist() == [r[header.index("center")] for r in rows]
    assert report.unmatched_columns == list(make.PAYLOAD_HEADERS)


# --- Cohorts outside the sample's ranges ----------------------------------------------------------------


@pytest.mark.parametrize(("name", "n", "lo", "hi"), [("paediatric.csv", 24, 2, 15), ("aya.csv", 30, 10, 49)])
def test_age_cohorts_are_read_whole(name: str, n: int, lo: int, hi: int) -> None:
    cohort, report = load(name)
    assert len(cohort) == n and cohort["age"].min() == lo and cohort["age"].max() == hi
    assert report.analysed["PFS"] == report.analysed["OS"] == n
    assert report.issues["excludes"].sum() == report.excluded["Response"]  # only NE responses


def test_zero_follow_up_cohort_is_read_whole() -> None:
    cohort, report = load("zero_follow_up.csv")
    assert len(cohort) == 20 and report.analysed["PFS"] == report.analysed["OS"] == 20
    assert cohort["pfs_months"].max() <= 0.5 and cohort["os_months"].max() <= 0.5
    assert (cohort["pfs_months"] == 0).sum() >= 3
    assert (cohort["pfs_months"] <= cohort["os_months"]).all()


# --- Resource limits: refused before parsing, with a plain message ---------------------------------------


def test_50mb_one_line_csv_is_refused_by_its_cell_count(tmp_path) -> None:
    path = make.big_one_line_csv(tmp_path)
    assert path.stat().st_size <= 50 * 1024 * 1024
    with pytest.raises(CohortReadError) as err:
        load_cohort(path)
    assert str(err.value).startswith("The first line of the file has 26,213,889 cells; this tool reads at most 500 columns")


def test_50mb_one_line_without_separators_is_refused_by_its_length(tmp_path) -> None:
    path = make.big_one_line_csv(tmp_path, separators=False)
    with pytest.raises(CohortReadError) as err:
        load_cohort(path)
    assert str(err.value).startswith("Line 1 of the file is 50.0 MB long;")


def test_100k_column_csv_is_refused_by_its_first_line(tmp_path) -> None:
    with pytest.raises(CohortReadError) as err:
        load_cohort(make.big_wide_csv(tmp_path))
    assert str(err.value).startswith("The first line of the file has 100,000 cells; this tool reads at most 500 columns")


def test_column_limit_is_500(tmp_path) -> None:
    with pytest.raises(CohortReadError, match="has 501 cells"):
        load_cohort(make.wide_sample_csv(tmp_path, 501 - 45))
    cohort, report = load_cohort(make.wide_sample_csv(tmp_path, 500 - 45))
    pd.testing.assert_frame_equal(cohort, CLEAN)


def test_unrecognised_columns_are_capped_for_the_mapping_form(tmp_path) -> None:
    cohort, report = load_cohort(make.wide_sample_csv(tmp_path, 450))
    assert report.unmatched_columns == [f"extra {k}" for k in range(1, 41)]
    assert report.unmatched_total == 450 and report.unmatched_not_shown == 410
    assert "'extra 40' and 410 more." in report.summary()


def test_missing_columns_error_caps_the_mapping_candidates_likeliest_first() -> None:
    header = ["Patient", "Histology", *(f"note {k}" for k in range(100)), "Therapy given", "Line"]
    body = ",".join(header) + "\n" + ",".join(["P1", "UPS", *[""] * 100, "nivolumab", "1"]) + "\n"
    with pytest.raises(CohortReadError) as err:
        load_cohort(body.encode())
    exc = err.value
    assert exc.unmatched_total == 101 and len(exc.unmatched_columns) == ingest_limits.MAX_MAPPING_COLUMNS == 40
    assert exc.unmatched_not_shown == 61
    assert exc.unmatched_columns[0] == "Therapy given"  # suggested for 'regimen', so shown first
    assert exc.unmatched_columns[1:] == tuple(f"note {k}" for k in range(39))
    assert "and 81 more." in str(exc)


def test_a_cell_that_swallows_megabytes_is_refused(tmp_path) -> None:
    with pytest.raises(CohortReadError) as err:
        load_cohort(make.big_quoted_cell_csv(tmp_path))
    text = str(err.value)
    # 10 MB of notes over many lines in one quoted cell of row 5 (line 5 of the file).
    assert text.startswith("A cell (in the row that starts on line 5) holds more than 131,072 characters;")
    assert "a quotation mark" in text


@pytest.fixture
def no_openpyxl(monkeypatch):
    """Fail the test if openpyxl is asked to open the workbook (the check must come first)."""
    import openpyxl

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl was reached")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_zip_bomb_is_refused_from_the_central_directory(tmp_path, no_openpyxl) -> None:
    path = make.big_zip_bomb_xlsx(tmp_path)
    assert path.stat().st_size < 1024 * 1024
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size >= 130 * 1024 * 1024
    with pytest.raises(CohortReadError) as err:
        load_cohort(path)
    assert str(err.value).startswith("The workbook is a compression bomb or badly damaged: "
                                      "'xl/worksheets/sheet1.xml' would unpack from")


def test_a_zip_of_many_parts_is_refused_before_zipfile_reads_it(tmp_path, monkeypatch) -> None:
    path = make.big_many_entries_zip(tmp_path, entries=20_000)
    monkeypatch.setattr(zipfile, "ZipFile", None)  # any use would fail with a TypeError
    with pytest.raises(CohortReadError) as err:
        load_cohort(path)
    assert str(err.value).startswith("The file is a ZIP archive of 20,001 parts;")


def test_workbook_limits_on_declared_sizes(tmp_path, monkeypatch, no_openpyxl) -> None:
    path = make.big_cell_bomb_xlsx(tmp_path, cells=40_000)
    with zipfile.ZipFile(path) as zf:
        size = zf.getinfo("xl/worksheets/sheet1.xml").file_size
    monkeypatch.setattr(ingest_limits, "MAX_SHEET_XML_BYTES", size - 1)
    with pytest.raises(CohortReadError, match="One sheet of the workbook unpacks to"):
        load_cohort(path)
    monkeypatch.setattr(ingest_limits, "MAX_XLSX_XML_BYTES", size - 1)
    with pytest.raises(CohortReadError, match="The workbook unpacks to"):
        load_cohort(path)


def test_shared_text_limit(tmp_path, monkeypatch, no_openpyxl) -> None:
    path = make.big_shared_strings_xlsx(tmp_path, text_bytes=100_000)
    with zipfile.ZipFile(path) as zf:
        size = zf.getinfo("xl/sharedStrings.xml").file_size
    assert size <= 100_000 + 200
    monkeypatch.setattr(ingest_limits, "MAX_SHARED_STRINGS_BYTES", size - 1)
    with pytest.raises(CohortReadError, match=r"^The workbook holds 0.1 MB of text; this tool reads up to 0.1 MB"):
        load_cohort(path)


def test_cell_budget_stops_reading_a_sheet(tmp_path, monkeypatch) -> None:
    path = make.big_cell_bomb_xlsx(tmp_path, cells=40_000)
    monkeypatch.setattr(ingest_limits, "MAX_SHEET_CELLS", 10_000)
    with pytest.raises(CohortReadError) as err:
        load_cohort(path)
    assert str(err.value).startswith("The sheet 'patients' has more than 10,000 cells (rows x columns)")


def test_a_value_in_the_last_excel_column_is_refused(tmp_path) -> None:
    with pytest.raises(CohortReadError) as err:
        load_cohort(make.big_far_column_xlsx(tmp_path))
    assert str(err.value).startswith("The sheet 'patients' has a value in column XFD (row 2); "
                                      "this tool reads at most 500 columns")


def test_limits_hold_for_uploads_of_every_kind(tmp_path) -> None:
    # The same refusal from bytes and from a Streamlit-like upload as from a path.
    data = make.big_wide_csv(tmp_path, columns=2_000).read_bytes()

    class Upload(io.BytesIO):
        name = "wide.csv"

    for source in (data, Upload(data)):
        with pytest.raises(CohortReadError, match="has 2,000 cells"):
            load_cohort(source)
    assert np.isfinite(ingest_limits.MAX_COLUMNS)


# --- Property: a damaged row is never analysed with shifted values ----------------------------------------

DAMAGE = st.lists(
    st.tuples(st.integers(0, 14), st.sampled_from(["insert", "delete", "append"]), st.integers(1, 42)),
    max_size=7, unique_by=lambda t: t[0],
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damage=DAMAGE)
def test_rows_with_a_cell_too_many_or_too_few_are_never_analysed(damage) -> None:
    # Fewer than half the rows damaged, one cell added or lost each: every damaged row is left
    # out with its reason, every other row is exactly its clean self.
    header, rows = make.sample()
    rows = [r[:] for r in rows[:15]]
    for i, op, k in damage:
        if op == "insert":
            rows[i].insert(k, "")
        elif op == "delete":
            del rows[i][k]
        else:
            rows[i].append("")
    cohort, report = load_cohort(make.csv_text([header, *rows]).encode())
    check_report(cohort, report)
    hit = {f"SYN-{i + 1:03d}" for i, _, _ in damage}
    same_as_clean(cohort, [i for i in ids(1, 15) if i not in hit])
    ragged = excluded(report, "cells do not line up")
    assert sorted(ragged["patient_id"]) == sorted(hit)


# --- Row limit ---------------------------------------------------------------------------------------------


def test_50mb_of_minimal_rows_is_refused_before_parsing(tmp_path, monkeypatch) -> None:
    import pyarrow.csv as pacsv

    monkeypatch.setattr(pacsv, "read_csv", None)  # parsing would fail with a TypeError
    with pytest.raises(CohortReadError) as err:
        load_cohort(make.big_tiny_rows_csv(tmp_path))
    assert str(err.value).startswith("The file has 1,4")
    assert "this tool reads at most 200,000 patient rows" in str(err.value)


def test_row_limit_counts_records_not_lines(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(ingest_limits, "MAX_ROWS", 100)
    header = "patient_id,histotype,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event,notes\n"
    lines = [f'P{k},UPS,1,nivolumab,4,1,9,0,"line 1\nline 2\nline 3"\n' for k in range(80)]
    rows = "".join(lines)
    cohort, report = load_cohort((header + rows).encode())  # 241 lines, 81 records
    assert len(cohort) == 80
    with pytest.raises(CohortReadError, match=r"^The file has 121 rows; this tool reads at most 100 patient rows"):
        load_cohort((header + rows + "".join(lines[:40])).encode())
    big = (header + rows * 3).encode()
    assert len(load_cohort(big, max_bytes=None)[0]) == 80  # duplicates excluded, but read: no limit


def test_trailing_empty_lines_do_not_count_against_the_row_limit(monkeypatch) -> None:
    monkeypatch.setattr(ingest_limits, "MAX_ROWS", 100)
    header, rows = make.sample()
    body = make.csv_text([header, *rows[:5]]) + ("," * 42 + "\n") * 3000
    cohort, report = load_cohort(body.encode())
    same_as_clean(cohort, ids(1, 5))
    assert "3,000 empty lines at the end of the file were ignored." in report.warnings


# --- The adverse-event table gets the same row checks ------------------------------------------------------


def test_adverse_event_table_excludes_totals_repeated_headers_and_ragged_rows() -> None:
    from sarcoma.ingest import load_adverse_events

    text = (Path(__file__).parents[1] / "sample_data" / "sample_adverse_events.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    header, body = lines[0], lines[1:]
    damaged = [header, *body[:10], header, *body[10:20], body[20] + ",", *body[21:], "Total,36"]
    events, report = load_adverse_events("\n".join(damaged).encode())
    clean, _ = load_adverse_events(text.encode())
    expected = clean.drop(index=20).reset_index(drop=True)
    pd.testing.assert_frame_equal(events.drop(columns="source_row"), expected.drop(columns="source_row"))
    kinds = report.issues.set_index("source_row")["problem_kind"].to_dict()
    assert kinds == {12: "repeated header row", 23: "cells do not line up", 39: "totals row"}
    assert report.rows_read == 38 and report.analysed["AE"] == 35
    assert report.invariant_problems() == []


def test_pictures_in_a_workbook_do_not_count_against_its_size_limit(tmp_path, monkeypatch) -> None:
    # A workbook with a 2 MB picture part (openpyxl never opens it in read-only mode) is read
    # even when the XML limit is below the picture's size.
    source = (Path(__file__).parents[1] / "sample_data" / "sample_cohort.xlsx").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr("xl/media/image1.png", np.random.default_rng(0).bytes(2 * 1024 * 1024))
    monkeypatch.setattr(ingest_limits, "MAX_XLSX_XML_BYTES", 1024 * 1024)
    cohort, _ = load_cohort(out.getvalue())
    assert len(cohort) == 72
