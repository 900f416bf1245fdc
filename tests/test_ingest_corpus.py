"""The ingest corpus: one small file per quirk of real exports, each with its parsed values checked.

Expected values are read off the fixture files themselves (tests/data/ingest, written by
make_fixtures.py); months derived from dates are hand-calculated here as days / 30.4375
(schema.DAYS_PER_MONTH, 365.25 / 12) with Python's datetime, independently of the ingest code.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sarcoma import schema
from sarcoma.endpoints import REGISTRY, endpoint_data
from sarcoma.ingest import CohortReadError, load_adverse_events, load_cohort

DATA = Path(__file__).parent / "data" / "ingest"


def months(start: str, end: str) -> float:
    """Hand calculation: whole days between ISO dates / 30.4375."""
    return (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days / 30.4375


def check_report(cohort: pd.DataFrame, report) -> None:
    """The counting invariant, checked against the cohort as well as the issues table."""
    assert report.invariant_problems() == []
    issues = report.issues
    columns = {"PFS": ("pfs_months", "pfs_event"), "OS": ("os_months", "os_event")}
    for endpoint in report.analysed:
        assert report.analysed[endpoint] + report.excluded[endpoint] == report.rows_read
        reasons = issues[issues["excludes"] & issues["endpoint"].isin([endpoint, "all"])]
        if endpoint in columns:
            t, e = columns[endpoint]
            ok = cohort[t].notna() & cohort[e].notna()
            analysed_rows = set(cohort.loc[ok, "source_row"])
        elif endpoint == "Response":
            analysed_rows = set(cohort.loc[cohort["best_response"].isin(schema.EVALUABLE_RESPONSES), "source_row"]) \
                if "best_response" in cohort else set()
        elif endpoint in REGISTRY:  # derived from dates (DoR, TTF): the report counts what the analysis uses
            analysed_rows = set(cohort.loc[endpoint_data(cohort, endpoint).index, "source_row"])
        else:
            analysed_rows = set(cohort["source_row"])
        assert len(analysed_rows) == report.analysed[endpoint]
        assert analysed_rows.isdisjoint(set(reasons["source_row"]))
    assert report.rows_read - report.rows_excluded == len(cohort)
    assert cohort["source_row"].is_unique


def load(name: str, **kwargs):
    cohort, report = load_cohort(DATA / name, **kwargs)
    check_report(cohort, report)
    return cohort, report


def issue(report, pid: str, endpoint: str | None = None) -> pd.DataFrame:
    rows = report.issues[report.issues["patient_id"] == pid]
    return rows if endpoint is None else rows[rows["endpoint"] == endpoint]


def test_corpus_has_at_least_20_files() -> None:
    files = [p for p in DATA.iterdir() if p.suffix != ".py"]
    assert len(files) >= 20


# --- Encodings, delimiters, decimals ------------------------------------------------------------


def test_swiss_semicolon_decimal_comma_cp1252() -> None:
    cohort, report = load("ch_semicolon_cp1252.csv")
    assert (report.encoding, report.delimiter, report.decimal) == ("cp1252", ";", ",")
    assert list(cohort["patient_id"]) == ["CH-01", "CH-02", "CH-03", "CH-04"]
    assert list(cohort["center"]) == ["Genève HUG", "Zürich USZ", "Lausanne CHUV", "Genève HUG"]
    assert cohort["pfs_months"].tolist() == [4.6, 30.6, 2.9, 15.9]
    assert cohort["os_months"].tolist() == [18.8, 49.2, 7.8, 20.7]
    assert cohort["pfs_event"].tolist() == [1, 0, 1, 0]
    assert cohort["age"].tolist() == [61.0, 47.5, 72.0, 55.0]
    assert cohort["best_pct_change"].tolist() == [12.5, -45.0, -10.0, -100.0]
    assert list(cohort["sex"]) == ["Male", "Female", "Female", "Male"]
    assert list(cohort["histotype"]) == ["LMS", "LPS", "UPS", "Angiosarcoma"]
    assert cohort.loc[1, "histotype_detail"] == "DDLPS"
    assert cohort.loc[1, "histotype_original"] == "Liposarcome dédifférencié"
    assert list(cohort["regimen_class"]) == ["ICI monotherapy", "Double ICI", "ICI + TKI", "ICI + TKI"]
    assert list(cohort["treatment_start"].dt.strftime("%Y-%m-%d")) == [
        "2020-03-12", "2019-11-05", "2021-02-28", "2022-07-01"]
    assert list(cohort["line_of_therapy"]) == [3, 2, 4, 1]
    assert report.analysed == {"PFS": 4, "OS": 4, "Response": 4}
    assert report.issues.empty


def test_greek_cp1253_with_greek_missing_tokens() -> None:
    cohort, report = load("gr_cp1253.csv")
    assert report.encoding == "cp1253"
    assert list(cohort["center"])[:2] == ["Αθήνα - Ιατρικό Κέντρο", "Θεσσαλονίκη"]
    assert list(cohort["sex"]) == ["Male", "Female", "Female", "Male"]
    assert cohort["met_lung"].tolist() == [True, False, pd.NA, True]
    assert cohort["met_liver"].tolist() == [False, True, False, True]
    assert cohort["histotype"].tolist() == ["UPS", "LMS", "Angiosarcoma", "Kaposi sarcoma"]
    assert cohort.loc[1, "histotype_original"] == "Λειομυοσάρκωμα"
    # Ν/Α (Greek capitals), Δ/Υ and άγνωστο are missing values.
    assert cohort["pdl1"].isna().tolist() == [True, False, False, True]
    assert cohort.loc[1, "pdl1"] == "20%"
    assert cohort.loc[2, "pdl1"] == ">95%"
    assert np.isnan(cohort.loc[0, "tmb"]) and cohort.loc[2, "tmb"] == 38.8
    assert cohort["msi"].isna().tolist() == [True, False, True, False]
    assert cohort.loc[3, "msi"] == "High" and cohort.loc[1, "msi"] == "Low"
    # GR-04 has no PFS but still counts for OS.
    assert report.analysed == {"PFS": 3, "OS": 4, "Response": 3}
    assert np.isnan(cohort.loc[3, "pfs_months"]) and cohort.loc[3, "os_months"] == 22.0
    gr4 = issue(report, "GR-04", "PFS")
    assert set(gr4["problem"]) == {"PFS time is missing", "PFS event is missing"}
    assert list(issue(report, "GR-04", "Response")["value"]) == ["Δ/Υ"]


def test_excel_utf8_bom_quoted_cells_and_line_breaks() -> None:
    cohort, report = load("uk_excel_utf8_bom.csv")
    assert (report.encoding, report.delimiter) == ("utf-8-sig", ",")
    assert list(cohort["patient_id"]) == ["RM-001", "RM-002", "RM-003", "RM-004"]
    # The multi-line cell is one record: RM-002 is spreadsheet row 3, not line 4.
    assert list(cohort["source_row"]) == [2, 3, 4, 5]
    assert cohort.loc[0, "pdl1"].replace("\r\n", "\n") == "TC <1%,\nIC = 1%"
    assert cohort["histotype"].tolist() == ["UPS", "Undifferentiated sarcoma", "ASPS", "LMS"]
    assert cohort.loc[1, "histotype_detail"] == "Sarcoma, undifferentiated round cell"
    assert cohort.loc[3, "histotype_detail"] == "uterine LMS"
    assert cohort["os_event"].tolist() == [1, 0, 0, 1]  # Dead / Alive
    assert cohort["pfs_event"].tolist() == [1, 1, 0, 1]  # 1 / Yes / No / 1
    assert cohort["pdl1"].isna().tolist() == [False, False, True, True]
    assert list(cohort["regimen_class"]) == ["ICI monotherapy", "Double ICI", "ICI monotherapy", "ICI + TKI"]


def test_tab_separated_with_na() -> None:
    cohort, report = load("tab_separated.tsv")
    assert report.delimiter == "\t"
    assert cohort["pfs_months"].tolist()[::2] == [4.2, 24.0]
    assert np.isnan(cohort.loc[1, "pfs_months"]) and np.isnan(cohort.loc[1, "age"])
    assert cohort["histotype"].tolist() == ["LMS", "Myxofibrosarcoma", "ASPS"]
    assert report.analysed == {"PFS": 2, "OS": 3, "Response": 3}


def test_norwegian_latin1_ja_nei() -> None:
    cohort, report = load("no_latin1_ja_nei.csv")
    assert report.encoding in ("cp1252", "latin_1")  # identical for these characters
    assert cohort.loc[0, "center"] == "Tromsø UNN"
    assert cohort["met_lung"].tolist() == [True, False, True]
    assert cohort["met_liver"].tolist() == [False, False, True]
    assert cohort["primary_surgery"].tolist() == [True, True, False]
    assert cohort["pfs_event"].tolist() == [1, 0, 1]  # ja / nei
    assert cohort["os_event"].tolist() == [1, 0, 1]  # død / i live
    assert cohort["pfs_months"].tolist() == [6.4, 11.2, 2.1]
    assert list(cohort["treatment_start"].dt.strftime("%d.%m.%Y")) == ["03.05.2021", "17.08.2020", "09.01.2022"]
    assert cohort["histotype"].tolist() == ["LMS", "Myxofibrosarcoma", "Angiosarcoma"]
    # "og" is Norwegian "and"; "aksitinib" the Norwegian spelling of axitinib.
    assert cohort.loc[2, "regimen_class"] == "ICI + TKI"


def test_utf16_unicode_text_export() -> None:
    cohort, report = load("utf16_unicode_text.txt")
    assert (report.encoding, report.delimiter) == ("utf-16", "\t")
    assert cohort["histotype_original"].tolist() == ["Léiomyosarcome", "Αγγειοσάρκωμα"]
    assert cohort["histotype"].tolist() == ["LMS", "Angiosarcoma"]
    assert cohort["pfs_months"].tolist() == [4.6, 2.0]


# --- Dates ---------------------------------------------------------------------------------------


def test_dates_only_derives_pfs_and_os() -> None:
    cohort, report = load("dates_only.csv")
    by = cohort.set_index("patient_id")
    # D1: progression 2021-06-15, alive at 2022-01-10.
    assert by.loc["D1", "pfs_months"] == pytest.approx(months("2021-03-01", "2021-06-15"))
    assert by.loc["D1", "pfs_event"] == 1
    assert by.loc["D1", "os_months"] == pytest.approx(months("2021-03-01", "2022-01-10"))
    assert by.loc["D1", "os_event"] == 0
    # D2: death without recorded progression is a PFS event at death.
    assert by.loc["D2", "pfs_months"] == pytest.approx(months("2020-01-15", "2020-09-30"))
    assert (by.loc["D2", "pfs_event"], by.loc["D2", "os_event"]) == (1, 1)
    # D3: progression before death; last follow-up is ignored once there is an event.
    assert by.loc["D3", "pfs_months"] == pytest.approx(months("2019-05-20", "2019-08-01"))
    assert by.loc["D3", "os_months"] == pytest.approx(months("2019-05-20", "2020-02-03"))
    # D4: no event: censored at last follow-up for both.
    assert by.loc["D4", "pfs_months"] == pytest.approx(365 / 30.4375)
    assert (by.loc["D4", "pfs_event"], by.loc["D4", "os_event"]) == (0, 0)
    # D5 has no start date, D6 nothing to censor at: excluded from both, still in the cohort.
    assert by.loc[["D5", "D6"], "pfs_months"].isna().all()
    assert report.analysed["PFS"] == 4 and report.analysed["OS"] == 4
    assert set(issue(report, "D5", "PFS")["problem_kind"]) == {"no treatment start date"}
    assert set(issue(report, "D6", "OS")["problem_kind"]) == {"no follow-up date"}
    assert any("derived from the dates for 4 patients" in w for w in report.warnings)


def test_excel_serial_dates_in_xlsx() -> None:
    cohort, report = load("excel_serial_dates.xlsx")
    assert report.file_format == "xlsx" and report.sheet == "Patients"
    # Excel's DATE(2021,1,1) = 44197 (1900 date system); 44287 = 2021-04-01; 44562 = 2022-01-01.
    assert list(cohort["treatment_start"].dt.strftime("%Y-%m-%d")) == ["2021-01-01", "2021-01-01", "2021-06-01"]
    assert cohort.loc[0, "progression_date"] == pd.Timestamp("2021-04-01")
    assert cohort.loc[0, "last_follow_up"] == pd.Timestamp("2022-01-01")
    assert cohort.loc[1, "death_date"] == pd.Timestamp("2021-06-01")  # 44348
    assert cohort.loc[0, "pfs_months"] == pytest.approx(months("2021-01-01", "2021-04-01"))
    assert cohort.loc[0, "os_months"] == pytest.approx(months("2021-01-01", "2022-01-01"))
    assert cohort.loc[1, "os_months"] == pytest.approx(months("2021-01-01", "2021-06-01"))
    assert cohort.loc[2, "os_months"] == pytest.approx(months("2021-06-01", "2022-06-01"))  # 44713
    assert cohort.loc[2, "histotype"] == "LPS" and cohort.loc[2, "histotype_detail"] == "DDLPS"


def test_month_first_dates_are_read_month_first_for_the_whole_file() -> None:
    cohort, report = load("us_month_first.csv")
    # 07/04/2021 alone is ambiguous; the file's 03/25/2021 and 12/31/2021 settle it: 4 July.
    assert cohort.loc[0, "progression_date"] == pd.Timestamp("2021-07-04")
    assert cohort.loc[0, "pfs_months"] == pytest.approx(months("2021-03-25", "2021-07-04"))
    assert cohort.loc[1, "treatment_start"] == pd.Timestamp("2021-01-05")
    assert cohort.loc[1, "os_months"] == pytest.approx(months("2021-01-05", "2022-02-14"))
    assert any("month-first" in w for w in report.warnings)


def test_title_block_percent_cells_and_booleans_in_xlsx() -> None:
    cohort, report = load("title_block.xlsx")
    assert list(cohort["source_row"]) == [4, 5]  # header on row 3 below a title
    assert any("above the header" in w for w in report.warnings)
    assert cohort["best_pct_change"].tolist() == [-35.0, 12.0]  # cells showing -35%, 12%
    assert cohort["on_treatment"].tolist() == [True, False]
    assert cohort["treatment_start"].tolist() == [pd.Timestamp("2021-03-04"), pd.Timestamp("2020-12-24")]


# --- Headers --------------------------------------------------------------------------------------


def test_synonym_headers_and_site_as_centre() -> None:
    cohort, report = load("synonym_headers.csv")
    assert report.column_mapping == {
        "Pt": "patient_id", "Site": "center", "Gender": "sex", "Age at ICI start": "age",
        "Histotype": "histotype", "Subtype": "histotype_detail", "Line of therapy": "line_of_therapy",
        "ICI regimen": "regimen", "Regimen type": "regimen_class", "PFS_mo": "pfs_months",
        "PD event": "pfs_event", "OS mo": "os_months", "Vital status": "os_event",
        "RECIST": "best_response", "Lung mets (y/n)": "met_lung", "Primary tumour site": "primary_site",
    }
    assert report.unmatched_columns == []
    assert list(cohort["center"]) == ["Athens", "Oslo", "London"]
    assert list(cohort["primary_site"]) == ["Retroperitoneum", "Uterus", "Trunk"]
    assert list(cohort["prior_lines"]) == [2, 0, 1]  # line of therapy - 1
    assert list(cohort["histotype_detail"]) == ["DDLPS", "uterine", "Chordoma"]
    assert cohort["met_lung"].tolist() == [True, False, False]


def test_extra_unrecognised_columns_are_listed() -> None:
    cohort, report = load("extra_columns.csv")
    assert report.unmatched_columns == ["ECOG", "Notes", "Weight (kg)", "(unnamed column L)"]
    assert "ECOG" not in cohort.columns and len(cohort) == 2
    assert cohort["pfs_months"].tolist() == [4.0, 3.0]


def test_column_map_by_hand_makes_unmatched_headers_usable() -> None:
    with pytest.raises(CohortReadError) as err:
        load_cohort(DATA / "no_latin1_ja_nei.csv", column_map={"Pasient": "not_a_column"})
    assert "not_a_column" in str(err.value)
    cohort, report = load("extra_columns.csv", column_map={"ECOG": None, "Weight (kg)": "age"})
    assert cohort["age"].tolist() == [70.0, 62.0]
    assert "ECOG" not in report.unmatched_columns and "Weight (kg)" not in report.unmatched_columns
    with pytest.raises(CohortReadError, match="no column headed 'Nope'"):
        load_cohort(DATA / "extra_columns.csv", column_map={"Nope": "age"})


def test_missing_required_columns_are_listed_with_candidates() -> None:
    with pytest.raises(CohortReadError) as err:
        load_cohort(DATA / "missing_required.csv")
    text = str(err.value)
    assert "PFS time and event" in text and "OS time and event" in text
    assert "'PFS censor'" in text and "'Survival status text'" in text
    assert "histotype" not in text.split("Columns that were")[0]  # Histology was matched


def test_pfs_in_days_is_converted_to_months() -> None:
    cohort, report = load("pfs_in_days.csv")
    assert cohort["pfs_months"].tolist() == pytest.approx([140 / 30.4375, 1.0])
    assert cohort["os_months"].tolist() == pytest.approx([472 / 30.4375, 12.0])
    assert sum("converted to months" in w for w in report.warnings) == 2


# --- Rows and endpoints --------------------------------------------------------------------------


def test_duplicate_ids_keep_the_first_and_missing_id_is_excluded() -> None:
    cohort, report = load("duplicate_ids.csv")
    assert list(cohort["patient_id"]) == ["P1", "P2", "P3"]
    assert cohort["pfs_months"].tolist() == [4.0, 3.0, 7.5]  # the first P1, not the second
    assert report.rows_read == 6 and report.rows_excluded == 3
    whole = report.issues[report.issues["endpoint"] == "all"].set_index("source_row")
    assert whole.loc[4, "problem"] == "patient ID 'P1' is also in row 2"
    assert whole.loc[6, "problem"] == "patient ID 'P2' is also in row 3"  # ' P2 ' after trimming
    assert whole.loc[7, "problem"] == "patient ID is missing"
    assert report.analysed["PFS"] == 3 and report.excluded["PFS"] == 3


def test_negative_and_unreadable_times_exclude_only_that_endpoint() -> None:
    cohort, report = load("negative_time.csv")
    by = cohort.set_index("patient_id")
    assert by["pfs_months"].isna().tolist() == [True, True, True, False, False]
    assert by["os_months"].isna().tolist() == [False, False, False, True, False]
    assert issue(report, "N1", "PFS")["problem"].tolist() == ["PFS time is negative (-2.0)"]
    assert issue(report, "N2", "PFS")["problem"].tolist() == ["PFS time: 'abc' is not a number"]
    assert issue(report, "N3", "PFS")["value"].tolist() == ["2"]
    assert issue(report, "N4", "OS")["problem"].tolist() == ["OS time is negative (-1.0)"]
    assert report.analysed == {"PFS": 2, "OS": 4, "Response": 0}
    assert by.loc["N1", "os_months"] == 8.0  # a patient missing PFS still counts for OS


def test_death_before_start_excludes_pfs_and_os() -> None:
    cohort, report = load("death_before_start.csv")
    b1 = issue(report, "B1")
    assert set(b1.loc[b1["endpoint"].isin(["PFS", "OS"]), "endpoint"]) == {"PFS", "OS"}
    assert set(b1.loc[b1["endpoint"] == "OS", "problem"]) == {"death date is before treatment start"}
    assert b1.loc[b1["endpoint"] == "OS", "value"].tolist() == ["01/04/2021"]
    assert np.isnan(cohort.loc[0, "os_months"])
    assert cohort.loc[1, "pfs_months"] == pytest.approx(months("2021-05-01", "2021-08-01"))
    assert cohort.loc[1, "os_months"] == pytest.approx(months("2021-05-01", "2021-12-01"))
    assert report.analysed["PFS"] == 1 and report.analysed["OS"] == 1


def test_progression_after_death_excludes_pfs_only() -> None:
    cohort, report = load("progression_after_death.csv")
    assert issue(report, "A1", "PFS")["problem"].tolist() == ["progression date is after the death date"]
    assert np.isnan(cohort.loc[0, "pfs_months"])
    assert cohort.loc[0, "os_months"] == pytest.approx(months("2021-01-01", "2021-07-01"))
    assert cohort.loc[0, "os_event"] == 1
    assert cohort.loc[1, "pfs_months"] == pytest.approx(months("2021-01-01", "2021-03-01"))
    assert report.analysed == {"PFS": 1, "OS": 2, "Response": 0}


def test_unknown_and_not_evaluable_responses() -> None:
    cohort, report = load("unknown_response.csv")
    assert cohort["best_response"].fillna("-").tolist() == ["CR", "PR", "-", "-", "NE", "-", "-", "SD", "PD"]
    assert report.analysed["Response"] == 4 and report.excluded["Response"] == 5
    kinds = report.issues.set_index("patient_id")["problem_kind"]
    assert kinds["R3"] == kinds["R4"] == "unknown best response"
    assert kinds["R5"] == "not evaluable (NE)"
    assert kinds["R6"] == kinds["R7"] == "response missing"
    assert report.analysed["PFS"] == 9  # response problems do not touch survival


def test_response_dates_are_checked_against_best_response_and_the_other_dates() -> None:
    cohort, report = load("response_dates.csv")
    assert report.column_mapping["Date of first response"] == "response_date"
    by = cohort.set_index("patient_id")
    # Kept as written: ISO in an otherwise dd/mm/yyyy file, and the Excel serial 44375
    # (44197 = 2021-01-01 in the 1900 system, + 178 days = 2021-06-28).
    assert by.loc["RD1", "response_date"] == pd.Timestamp("2021-04-12")
    assert by.loc["RD2", "response_date"] == pd.Timestamp("2021-06-28")
    assert by.loc["RD8", "response_date"] == pd.Timestamp("2021-04-01")  # no best response: kept
    # Everything else is blank: contradicted (left blank), unreadable or never given.
    assert by["response_date"].notna().sum() == 3
    assert cohort["response_date"].dtype == "datetime64[ns]"
    issues = report.issues[report.issues["column"] == "response_date"]
    # Since issue 14 a responder's response-date problem takes them out of DoR (and TTR): listed
    # under DoR, excluding; the others stay under Response, not excluding. RD10's unreadable
    # date is listed as unreadable (Response) and, once, for DoR.
    dor = issues[issues["endpoint"] == "DoR"].set_index("patient_id")
    assert dor["excludes"].all() and sorted(dor.index) == ["RD10", "RD11", "RD4", "RD5", "RD6", "RD7"]
    assert dor.loc["RD10", "problem"] == "responder (CR or PR) without a usable response date"
    resp = issues[~((issues["endpoint"] == "DoR") & (issues["patient_id"] == "RD10"))].set_index("patient_id")
    assert not resp.loc[["RD3", "RD8", "RD10", "RD12"], "excludes"].any()
    assert resp["problem_kind"].to_dict() == {
        "RD3": "response date for a non-responder",  # SD
        "RD4": "response before treatment start",  # 15/01 < 01/02/2021
        "RD5": "response after death",  # 15/06 > death 01/06/2021
        "RD6": "response after progression",  # 20/05 > progression 01/05/2021
        "RD7": "responder without response date",  # PR, blank date
        "RD8": "response date without best response",
        "RD10": "Response date unreadable",  # 31 February
        "RD11": "response after last follow-up",  # 15/03 > last seen 01/03/2021
        "RD12": "response date for a non-responder",  # NE
    }
    assert resp.loc["RD3", "problem"].startswith("a response date is given but the best response is SD")
    assert resp.loc["RD3", "value"] == "01/04/2021"
    assert "left blank" in resp.loc["RD4", "action"] and "kept" in resp.loc["RD8", "action"]
    # The response rate only reads the best response: RD8 (missing) and RD12 (NE) are out.
    assert report.analysed["Response"] == 10 and report.excluded["Response"] == 2
    assert report.analysed["PFS"] == report.analysed["OS"] == 12  # survival is untouched
    assert by.loc["RD5", "pfs_months"] == pytest.approx(months("2021-02-01", "2021-06-01"))
    # DoR: the two responders with a usable date (RD1 progressed, RD2 censored at last follow-up);
    # the four non-responders are out of its scope, counted but not listed one by one.
    assert report.analysed["DoR"] == 2 and report.not_eligible["DoR"] == {"not a responder (best response not CR or PR)": 4}
    dor_data = endpoint_data(cohort, "DoR").set_axis(cohort.loc[endpoint_data(cohort, "DoR").index, "patient_id"])
    assert dor_data.loc["RD1"].tolist() == [pytest.approx(months("2021-04-12", "2021-09-15")), 1]
    assert dor_data.loc["RD2"].tolist() == [pytest.approx(months("2021-06-28", "2022-02-01")), 0]


def test_trailing_and_inner_empty_rows() -> None:
    cohort, report = load("trailing_empty_rows.csv")
    assert list(cohort["patient_id"]) == ["T1", "T2"]
    assert list(cohort["source_row"]) == [2, 4]
    assert report.rows_read == 3  # the inner empty row is read and excluded, trailing ones ignored
    assert report.issues.loc[report.issues["endpoint"] == "all", "problem"].tolist() == ["the row is empty"]
    assert any("3 empty rows at the end" in w for w in report.warnings)
    assert cohort["os_months"].tolist() == [9.0, 6.0]


def test_x_marks_mean_yes_and_blank_means_no() -> None:
    cohort, report = load("x_marks.csv")
    assert cohort["met_lung"].tolist() == [True, False, True]
    assert cohort["met_liver"].tolist() == [False, True, False]
    # A yes/no column: blank stays missing.
    assert cohort["prior_tki"].tolist() == [True, pd.NA, False]
    assert cohort["met_lung"].dtype == "boolean"


def test_regimen_classes_are_derived_or_reported() -> None:
    cohort, report = load("regimens.csv")
    assert cohort["regimen_class"].tolist()[:5] == [
        "ICI monotherapy", "Double ICI", "ICI + TKI", "ICI + chemotherapy", "ICI + chemotherapy"]
    assert cohort["regimen_class"].tolist()[8] == "ICI monotherapy"  # Keytruda
    assert cohort["regimen_class"].isna().tolist()[5:8] == [True, True, True]
    reported = report.issues[report.issues["column"] == "regimen"].set_index("patient_id")["problem"]
    assert "'radiotherapy'" in reported["G6"]
    assert "no recognised immune checkpoint inhibitor" in reported["G7"]
    assert "does not fit" in reported["G8"]
    assert not report.issues["excludes"][report.issues["column"] == "regimen"].any()


def test_line_of_therapy_and_prior_lines() -> None:
    cohort, report = load("line_mismatch.csv")
    assert cohort["prior_lines"].tolist() == [1, pd.NA, 2, 2]
    assert cohort["line_of_therapy"].tolist() == [2, pd.NA, 3, 3]  # '3rd line' read as 3
    assert cohort["line_of_therapy"].dtype == "Int64"
    problem = issue(report, "L2", "all")["problem"].tolist()
    assert problem == ["line of therapy (3) is not prior lines (1) + 1"]


# --- Workbooks ------------------------------------------------------------------------------------


def test_workbook_with_adverse_event_sheet() -> None:
    cohort, report = load("two_sheets.xlsx")
    assert report.sheets == ["Patients", "Adverse events"] and report.sheet == "Patients"
    assert cohort["pfs_months"].tolist() == [4.6, 2.9, 15.9]
    assert cohort["any_ae"].tolist() == [True, True, False]
    ae = report.adverse_events
    ae_report = report.adverse_events_report
    assert ae_report.invariant_problems() == []
    assert ae["term"].tolist() == ["Colitis", "Fatigue", "Hypothyroidism", "Myositis"]
    assert ae["grade"].tolist() == [3, 1, 2, pd.NA]  # grade 7 is left blank
    assert ae["led_to_discontinuation"].tolist() == [True, False, False, True]
    assert ae_report.rows_read == 5 and ae_report.analysed == {"AE": 4}
    p7 = ae_report.issues[ae_report.issues["patient_id"] == "P7"]
    assert p7["problem"].tolist() == ["this patient ID is not in the patient table"]
    grade = ae_report.issues[ae_report.issues["column"] == "grade"]
    assert grade["problem"].tolist() == ["AE grade: '7' is above 5"]


def test_choosing_the_sheet_by_name_or_index() -> None:
    cohort, report = load_cohort(DATA / "two_sheets.xlsx", sheet=0)
    assert report.sheet == "Patients"
    with pytest.raises(CohortReadError, match="no sheet 'Sheet9'.*'Patients', 'Adverse events'"):
        load_cohort(DATA / "two_sheets.xlsx", sheet="Sheet9")


def test_separate_adverse_event_csv() -> None:
    events, report = load_adverse_events(DATA / "ae_separate.csv", patient_ids=["P1", "P2", "P3"])
    assert report.invariant_problems() == []
    assert events["patient_id"].tolist() == ["P1", "P1", "P2", "P3"]
    assert events["grade"].tolist() == [3, 1, 3, pd.NA]  # 'G3' is grade 3; 7 is out of range
    assert events["led_to_delay"].tolist() == [True, False, False, False]
    assert report.analysed == {"AE": 4} and report.excluded == {"AE": 2}
    kinds = set(report.issues.loc[report.issues["excludes"], "problem_kind"])
    assert kinds == {"unknown patient", "no AE term"}


def test_adverse_events_from_the_workbook_sheet() -> None:
    events, report = load_adverse_events(DATA / "two_sheets.xlsx")
    assert report.sheet == "Adverse events"
    assert len(events) == 5  # without patient_ids, P7 is kept


# --- Files that must be refused ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("empty.csv", "The file is empty"),
        ("header_only.csv", "header row but no data rows"),
        ("pdf_renamed.csv", "PDF document"),
        ("png_renamed.csv", "PNG image"),
        ("zip_renamed.csv", "ZIP archive"),
        ("encrypted.xlsx", "password-protected"),
        ("old_excel.xls", "Excel 97-2003"),
        ("binary_garbage.csv", "binary data"),
        ("no_recognisable_columns.csv", "None of the column headers"),
    ],
)
def test_bad_files_raise_a_plain_message(name: str, phrase: str) -> None:
    with pytest.raises(CohortReadError) as err:
        load_cohort(DATA / name)
    assert phrase in str(err.value)
    assert isinstance(err.value, ValueError)


def test_oversized_upload_is_refused_before_reading() -> None:
    data = (DATA / "tab_separated.tsv").read_bytes()
    with pytest.raises(CohortReadError, match="larger than"):
        load_cohort(data, max_bytes=len(data) - 1)

    class Upload(io.BytesIO):
        name = "big.csv"

    with pytest.raises(CohortReadError, match="upload limit"):
        load_cohort(Upload(data), max_bytes=100)


def test_sources_path_bytes_and_uploads_agree() -> None:
    path = DATA / "ch_semicolon_cp1252.csv"
    from_path, _ = load_cohort(str(path))
    from_bytes, _ = load_cohort(path.read_bytes())

    class UploadedFile(io.BytesIO):  # what Streamlit hands over: .name and .getvalue()
        name = "export.csv"

    from_upload, report = load_cohort(UploadedFile(path.read_bytes()))
    pd.testing.assert_frame_equal(from_path, from_bytes)
    pd.testing.assert_frame_equal(from_path, from_upload)
    assert report.file_name == "export.csv"


def test_content_decides_the_type_not_the_extension() -> None:
    # An XLSX uploaded with a .csv name is still read as a workbook.
    data = (DATA / "two_sheets.xlsx").read_bytes()

    class Misnamed(io.BytesIO):
        name = "cohort.csv"

    cohort, report = load_cohort(Misnamed(data))
    assert report.file_format == "xlsx" and len(cohort) == 3


def test_output_dtypes_follow_the_contract() -> None:
    cohort, _ = load("ch_semicolon_cp1252.csv")
    assert cohort["pfs_months"].dtype == np.float64 and cohort["age"].dtype == np.float64
    assert cohort["pfs_event"].dtype == "Int64" and cohort["prior_lines"].dtype == "Int64"
    assert cohort["treatment_start"].dtype == "datetime64[ns]"
    assert pd.api.types.is_string_dtype(cohort["histotype"])
    assert cohort["source_row"].dtype == np.int64
    expected_order = [c for c in schema.COLUMN_NAMES if c in cohort.columns]
    assert list(cohort.columns) == [*expected_order, "source_row"]
