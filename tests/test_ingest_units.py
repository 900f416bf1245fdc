"""Unit tests of the ingest building blocks: tokens, numbers, dates, headers, labels, encodings."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from sarcoma import ingest, ingest_read, schema, vocab
from sarcoma.ingest import CohortReadError, load_cohort
from sarcoma.ingest_headers import PATIENT_LOOKUP, match_one, time_unit
from sarcoma.ingest_read import decode_info, detect_delimiter, sniff_format
from sarcoma.ingest_values import (
    INVALID,
    MISSING,
    OK,
    is_missing,
    number_from_text,
    parse_bool,
    parse_date,
    parse_event,
    parse_number,
)

EPOCH = dt.datetime(1899, 12, 30)


def col(*cells: str) -> pa.Array:
    return pa.array(list(cells), pa.string())


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


BASE = "patient_id,histotype,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event"

# --- Tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    ["", "  ", "NA", "N/A", "n/a", "n.a.", "NaN", "-", "--", "?", "unknown", "Unknown", "not available",
     "missing", "#N/A", "\u039d/\u0391", "\u0394/\u03a5", "άγνωστο", "Άγνωστο"],
)
def test_missing_value_spellings(token: str) -> None:
    assert is_missing(token)


def test_greek_na_is_greek_letters_and_not_latin() -> None:
    # The seed's Table 3 writes Ν/Α with GREEK CAPITAL NU (U+039D) and ALPHA (U+0391).
    assert [hex(ord(c)) for c in "\u039d/\u0391"] == ["0x39d", "0x2f", "0x391"]
    assert vocab.key("\u039d/\u0391") != vocab.key("N/A")
    assert is_missing("\u039d/\u0391") and is_missing("N/A")


@pytest.mark.parametrize("value", ["0", "12", "LMS", "no", "none of the above"])
def test_values_that_are_not_missing(value: str) -> None:
    assert not is_missing(value)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["yes", "Y", "1", "true", "TRUE", "ja", "ναι", "oui", "sì", "si", "x", "1.0"], True),
        (["no", "N", "0", "false", "nei", "nein", "όχι", "Όχι", "non", "0.0"], False),
    ],
)
def test_yes_no_spellings(cells: list[str], expected: bool) -> None:
    parsed = parse_bool(col(*cells))
    assert (parsed.status == OK).all()
    assert parsed.values.tolist() == [expected] * len(cells)


def test_yes_no_missing_and_invalid() -> None:
    parsed = parse_bool(col("yes", "N/A", "maybe", ""))
    assert parsed.status.tolist() == [OK, MISSING, INVALID, MISSING]
    assert parsed.problems == {2: "'maybe' is not yes/no"}
    assert parsed.values.tolist() == [True, pd.NA, pd.NA, pd.NA]


@pytest.mark.parametrize(
    ("words", "cells", "expected"),
    [
        (vocab.OS_EVENT_LOOKUP, ["Dead", "alive", "deceased", "censored", "1", "0", "yes", "død", "i live"],
         [1, 0, 1, 0, 1, 0, 1, 1, 0]),
        (vocab.PFS_EVENT_LOOKUP, ["progressed", "PD", "censored", "no progression", "dead", "0"],
         [1, 1, 0, 0, 1, 0]),
    ],
)
def test_event_words(words: dict[str, int], cells: list[str], expected: list[int]) -> None:
    parsed = parse_event(col(*cells), words)
    assert parsed.values.tolist() == expected


def test_event_not_zero_or_one_is_invalid() -> None:
    parsed = parse_event(col("2", "1"), vocab.OS_EVENT_LOOKUP)
    assert parsed.status.tolist() == [INVALID, OK]


# --- Numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "units", "value", "comma"),
    [
        ("4.6", (), 4.6, False),
        ("4,6", (), 4.6, True),
        ("1.234,5", (), 1234.5, True),
        ("1,234.5", (), 1234.5, False),
        ("\u22123", (), -3.0, False),  # Unicode minus from Word/Excel
        ("+2", (), 2.0, False),
        (",5", (), 0.5, True),
        ("56 years", {"years"}, 56.0, False),
        ("-35%", {"%"}, -35.0, False),
        ("38,8 mut/Mb", {"mutmb"}, 38.8, True),
        ("3rd line", (), 3.0, False),
        ("2nd", (), 2.0, False),
    ],
)
def test_number_from_text(text: str, units, value: float, comma: bool) -> None:
    assert number_from_text(text, units) == (OK, pytest.approx(value), None, comma)


@pytest.mark.parametrize("text", ["abc", "12 weeks", "<1", "inf", "1e999", "4.6.7.8x", "1-2"])
def test_number_from_text_rejects(text: str) -> None:
    status, value, problem, _ = number_from_text(text, {"months"})
    assert status == INVALID and value is None and problem == f"'{text}' is not a number"


def test_parse_number_fast_path_and_fallback_agree() -> None:
    clean = parse_number(col("1.5", "", "2"))
    dirty = parse_number(col("1,5", "NA", "2"))
    np.testing.assert_array_equal(clean.values, dirty.values)
    assert clean.status.tolist() == dirty.status.tolist() == [OK, MISSING, OK]
    assert dirty.extra["decimal_comma"] and not clean.extra["decimal_comma"]


def test_parse_number_range_and_integer_checks() -> None:
    parsed = parse_number(col("2", "2.5", "-1", "9"), integer=True, lo=0, hi=5)
    assert parsed.values.tolist() == [2, pd.NA, pd.NA, pd.NA]
    assert parsed.problems == {1: "'2.5' is not a whole number", 2: "'-1' is below 0", 3: "'9' is above 5"}


# --- Dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("04/03/2021", "2021-03-04"),
        ("04.03.2021", "2021-03-04"),
        ("04-03-2021", "2021-03-04"),
        ("4/3/21", "2021-03-04"),
        ("2021-03-04", "2021-03-04"),
        ("2021-03-04 00:00:00", "2021-03-04"),
        ("2021-03-04T12:30", "2021-03-04"),
        ("4-Mar-2021", "2021-03-04"),
        ("04 Mar 21", "2021-03-04"),
        ("March 4, 2021", "2021-03-04"),
        ("4. Mai 2021", "2021-05-04"),
        ("44259", "2021-03-04"),  # Excel: DATE(2021,3,4) = 44259
        ("44259.75", "2021-03-04"),  # a time of day is dropped
    ],
)
def test_date_formats(text: str, iso: str) -> None:
    parsed = parse_date(col(text), epoch=EPOCH)
    assert parsed.status.tolist() == [OK]
    assert str(parsed.values[0])[:10] == iso


@pytest.mark.parametrize("text", ["31/02/2021", "2021-13-01", "yesterday", "03/04/1905", "01/01/2199", "0"])
def test_invalid_or_implausible_dates(text: str) -> None:
    parsed = parse_date(col(text), epoch=EPOCH)
    assert parsed.status.tolist() == [INVALID]
    assert np.isnat(parsed.values[0])


def test_day_month_order() -> None:
    ambiguous = parse_date(col("03/04/2021"), epoch=EPOCH)
    assert str(ambiguous.values[0])[:10] == "2021-04-03"  # dd/mm by default
    us = parse_date(col("03/04/2021", "12/31/2021"), epoch=EPOCH)  # only mm/dd fits the 2nd
    assert [str(v)[:10] for v in us.values] == ["2021-03-04", "2021-12-31"]
    forced = parse_date(col("12/31/2021"), epoch=EPOCH, month_first=False)
    assert forced.status.tolist() == [INVALID]


def test_excel_1904_date_system() -> None:
    # Microsoft: a 1904-system serial is the 1900-system serial minus 1462.
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["patient_id", "histotype", "prior_lines", "regimen", "treatment_start", "last_follow_up"])
    ws.append(["M1", "UPS", 1, "nivolumab", 44197 - 1462, 44562 - 1462])
    buf = io.BytesIO()
    wb.save(buf)
    cohort, _ = load_cohort(buf.getvalue())
    assert cohort.loc[0, "treatment_start"] == pd.Timestamp("2021-01-01")
    assert cohort.loc[0, "os_months"] == pytest.approx(365 / 30.4375)


def test_workbook_cover_sheet_is_passed_over() -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Instructions"
    wb.active.append(["Fill in one row per patient."])
    data = wb.create_sheet("Data")
    data.append(BASE.split(","))
    data.append(["P1", "UPS", 1, "nivolumab", 4, 1, 9, 1])
    ae = wb.create_sheet("AEs")
    ae.append(["patient_id", "term", "grade"])
    ae.append(["P1", "Colitis", 3])
    buf = io.BytesIO()
    wb.save(buf)
    cohort, report = load_cohort(buf.getvalue())
    assert report.sheet == "Data" and cohort["patient_id"].tolist() == ["P1"]
    assert report.warnings[0] == "The sheet 'Instructions' holds no patient table; read 'Data'."
    assert report.adverse_events["term"].tolist() == ["Colitis"]
    with pytest.raises(CohortReadError, match="Sheet 'Instructions'.*'Instructions', 'Data', 'AEs'"):
        load_cohort(buf.getvalue(), sheet="Instructions")


# --- Headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Patient ID", "patient_id"), ("Pt", "patient_id"), ("ID", "patient_id"), ("PATIENT-ID", "patient_id"),
        ("Histology", "histotype"), ("Histotype", "histotype"), ("Subtype", "histotype"),
        ("PFS (months)", "pfs_months"), ("PFS_mo", "pfs_months"), ("Progression", "pfs_event"),
        ("PD event", "pfs_event"), ("OS months", "os_months"), ("Death", "os_event"), ("Status", "os_event"),
        ("Line of therapy", "line_of_therapy"), ("Prior lines", "prior_lines"), ("Regimen", "regimen"),
        ("Treatment", "regimen"), ("Best response", "best_response"), ("BOR", "best_response"),
        ("RECIST", "best_response"), ("Sex", "sex"), ("Gender", "sex"), ("Âge", "age"), ("Centre", "center"),
        ("Center", "center"), ("Primary site", "primary_site"), ("Death (1=yes, 0=no)", "os_event"),
        ("Lung metastases yes/no", "met_lung"), ("Date of death", "death_date"),
        ("Last follow-up", "last_follow_up"), ("PD-L1", "pdl1"), ("pfs_months", "pfs_months"),
    ],
)
def test_header_synonyms(header: str, name: str) -> None:
    assert match_one(header, PATIENT_LOOKUP) == name


@pytest.mark.parametrize("header", ["PFS censor", "ECOG", "Weight", "Notes", ""])
def test_headers_that_must_not_match(header: str) -> None:
    assert match_one(header, PATIENT_LOOKUP) is None


def test_time_units_from_headers() -> None:
    assert time_unit("PFS (days)") == pytest.approx((1 / 30.4375, "days"))
    assert time_unit("OS weeks")[1] == "weeks"
    assert time_unit("OS (years)") == (12.0, "years")
    assert time_unit("PFS (months)") == (1.0, "months")


def test_death_and_progression_headers_holding_dates_are_dates() -> None:
    text = (
        "patient_id,histotype,prior_lines,regimen,Start,Progression,Death,Last follow-up\n"
        "P1,UPS,1,nivolumab,01/02/2021,01/05/2021,01/09/2021,\n"
        "P2,LMS,1,nivolumab,01/02/2021,,,01/02/2022\n"
    )
    cohort, report = load_cohort(csv_bytes(text))
    assert report.column_mapping["Death"] == "death_date"
    assert report.column_mapping["Progression"] == "progression_date"
    assert cohort.loc[0, "pfs_months"] == pytest.approx(89 / 30.4375)  # 1 Feb -> 1 May 2021
    assert cohort.loc[0, "os_months"] == pytest.approx(212 / 30.4375)  # 1 Feb -> 1 Sep 2021


def test_site_holding_primary_sites_is_the_primary_site() -> None:
    text = BASE + ",Site\nP1,UPS,1,nivolumab,4,1,9,1,Extremity\nP2,LMS,1,nivolumab,4,1,9,1,Uterine\n"
    cohort, report = load_cohort(csv_bytes(text))
    assert report.column_mapping["Site"] == "primary_site"
    assert cohort["primary_site"].tolist() == ["Extremities", "Uterus"]


def test_two_columns_for_one_name_keep_the_first() -> None:
    text = "Patient ID,ID," + BASE.split(",", 1)[1] + "\nP1,7,UPS,1,nivolumab,4,1,9,1\n"
    cohort, report = load_cohort(csv_bytes(text))
    assert cohort["patient_id"].tolist() == ["P1"]
    assert report.unmatched_columns == ["ID"]
    assert any("Two columns look like 'patient_id'" in w for w in report.warnings)


# --- Labels ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "group", "detail"),
    [
        ("Undifferentiated pleomorphic sarcoma", "UPS", None),
        ("UPS", "UPS", None),
        ("leiomyosarcoma", "LMS", None),
        ("uterine LMS", "LMS", "uterine LMS"),
        ("uLMS", "LMS", "uterine LMS"),
        ("Uterine leiomyosarcoma", "LMS", "uterine LMS"),
        ("dedifferentiated liposarcoma", "LPS", "DDLPS"),
        ("DDLPS", "LPS", "DDLPS"),
        ("AS", "Angiosarcoma", None),
        ("angiosarcoma", "Angiosarcoma", None),
        ("Cutaneous angiosarcoma of the scalp", "Angiosarcoma", "Cutaneous angiosarcoma of the scalp"),
        ("Kaposi's sarcoma", "Kaposi sarcoma", None),
        ("Undifferentiated sarcoma", "Undifferentiated sarcoma", None),
        ("alveolar soft part sarcoma", "ASPS", None),
        ("MFS", "Myxofibrosarcoma", None),
        ("Pleomorphic liposarcoma", "LPS", "pleomorphic LPS"),
        # Table 1 footnote of the seed: all of these are "Other".
        ("chordoma", "Other", "chordoma"),
        ("epithelioid sarcoma", "Other", "epithelioid sarcoma"),
        ("fibrosarcoma", "Other", "fibrosarcoma"),
        ("pleomorphic dermal sarcoma", "Other", "pleomorphic dermal sarcoma"),
        ("rhabdomyosarcoma", "Other", "rhabdomyosarcoma"),
        ("clear cell sarcoma-like tumor of the gastrointestinal tract", "Other",
         "clear cell sarcoma-like tumor of the gastrointestinal tract"),
        ("dedifferentiated chondrosarcoma", "Other", "dedifferentiated chondrosarcoma"),
        ("desmoplastic small round cell tumor", "Other", "desmoplastic small round cell tumor"),
        ("fibromyxoid sarcoma", "Other", "fibromyxoid sarcoma"),
        ("intimal sarcoma of the heart", "Other", "intimal sarcoma of the heart"),
        ("malignant granular cell tumor", "Other", "malignant granular cell tumor"),
        ("malignant peripheral nerve sheath tumor", "Other", "malignant peripheral nerve sheath tumor"),
        ("synovial sarcoma", "Other", "synovial sarcoma"),
    ],
)
def test_histotype_labels(label: str, group: str, detail: str | None) -> None:
    assert vocab.classify_histotype(label) == (group, detail, True)


def test_unrecognised_histotype_is_other_and_warned() -> None:
    assert vocab.classify_histotype("Blastoma X") == ("Other", "Blastoma X", False)
    text = BASE + "\nP1,Blastoma X,1,nivolumab,4,1,9,1\nP2,Blastoma X,1,nivolumab,4,1,9,1\nP3,UPS,1,nivolumab,4,1,9,1\n"
    cohort, report = load_cohort(csv_bytes(text))
    assert cohort["histotype"].tolist() == ["Other", "Other", "UPS"]
    assert cohort["histotype_original"].tolist() == ["Blastoma X", "Blastoma X", "UPS"]
    assert "2 values in 'histotype' were not recognised and were grouped as Other: 'Blastoma X' (2)." in report.warnings


@pytest.mark.parametrize(
    ("regimen", "cls"),
    [
        # The seed's regimens (Results, "Patients' characteristics").
        ("pembrolizumab", "ICI monotherapy"),
        ("nivolumab", "ICI monotherapy"),
        ("pembrolizumab/axitinib", "ICI + TKI"),
        ("nivolumab/cabozantinib", "ICI + TKI"),
        ("nivolumab/sunitinib", "ICI + TKI"),
        ("atezolizumab/pazopanib", "ICI + TKI"),
        ("nivolumab/ipilimumab", "Double ICI"),
        ("atezolizumab/eribulin", "ICI + chemotherapy"),
        ("nivolumab/ifosfamide", "ICI + chemotherapy"),
        ("nivolumab/gemcitabine/docetaxel", "ICI + chemotherapy"),
        ("Pembro + Axi", "ICI + TKI"),
        ("Durvalumab and tremelimumab", "Double ICI"),
        ("Nivolumab plus relatlimab", "Double ICI"),
        ("Camrelizumab with famitinib", "ICI + TKI"),
        ("Pembrolizumab 200 mg q3w", "ICI monotherapy"),
    ],
)
def test_regimen_classes(regimen: str, cls: str) -> None:
    assert vocab.classify_regimen(regimen) == (cls, None)


@pytest.mark.parametrize("regimen", ["sunitinib", "pembrolizumab + RT", "nivolumab + axitinib + eribulin", "TBD"])
def test_regimens_that_are_not_guessed(regimen: str) -> None:
    cls, reason = vocab.classify_regimen(regimen)
    assert cls is None and reason


def test_given_regimen_class_that_disagrees_is_kept_and_reported() -> None:
    text = BASE + ",regimen_class\nP1,UPS,1,pembrolizumab + axitinib,4,1,9,1,ICI monotherapy\n"
    cohort, report = load_cohort(csv_bytes(text))
    assert cohort.loc[0, "regimen_class"] == "ICI monotherapy"
    assert report.issues["problem_kind"].tolist() == ["regimen class disagrees with regimen", "no response column"]


# --- Endpoint rules -------------------------------------------------------------------------------


def test_event_zero_with_a_death_date_excludes_os() -> None:
    text = (
        "patient_id,histotype,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event,death_date\n"
        "P1,UPS,1,nivolumab,4,1,9,0,01/06/2021\nP2,UPS,1,nivolumab,4,1,9,0,\n"
    )
    cohort, report = load_cohort(csv_bytes(text))
    assert cohort["os_months"].isna().tolist() == [True, False]
    assert cohort["pfs_months"].notna().all()  # PFS event 1 agrees with a death date
    os_issue = report.issues[(report.issues["endpoint"] == "OS")]
    assert os_issue["problem"].tolist() == ["OS event is 0 (censored) but an event date is given"]


def test_pfs_event_zero_with_a_death_date_excludes_pfs() -> None:
    # Death counts as a PFS event, so a censored PFS contradicts a death date.
    text = (
        "patient_id,histotype,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event,death_date\n"
        "P1,UPS,1,nivolumab,4,0,9,1,01/06/2021\n"
    )
    cohort, report = load_cohort(csv_bytes(text))
    assert np.isnan(cohort.loc[0, "pfs_months"]) and cohort.loc[0, "os_months"] == 9.0
    pfs_issue = report.issues[(report.issues["endpoint"] == "PFS")]
    assert pfs_issue["problem"].tolist() == ["PFS event is 0 (censored) but an event date is given"]


def test_pfs_longer_than_os_is_reported_but_kept() -> None:
    text = BASE + "\nP1,UPS,1,nivolumab,12,1,8,1\n"
    cohort, report = load_cohort(csv_bytes(text))
    assert cohort.loc[0, "pfs_months"] == 12.0
    row = report.issues[report.issues["problem_kind"] == "PFS longer than OS"]
    assert row["problem"].tolist() == ["PFS (12.0) is longer than OS (8.0) months"]
    assert not row["excludes"].any()


def test_months_missing_for_some_rows_are_filled_from_dates() -> None:
    text = BASE + ",treatment_start,last_follow_up\nP1,UPS,1,nivolumab,,,,,2021-01-01,2021-07-02\nP2,UPS,1,nivolumab,3,1,5,0,,\n"
    cohort, report = load_cohort(csv_bytes(text))
    assert cohort["os_months"].tolist() == [pytest.approx(182 / 30.4375), 5.0]
    assert cohort["pfs_event"].tolist() == [0, 1]
    assert report.analysed["OS"] == 2


def test_unreadable_death_date_does_not_turn_a_death_into_a_censoring() -> None:
    text = ("patient_id,histotype,prior_lines,regimen,treatment_start,death_date,last_follow_up\n"
            "P1,UPS,1,nivolumab,2021-01-01,31/02/2021,2021-12-01\n")
    cohort, report = load_cohort(csv_bytes(text))
    assert np.isnan(cohort.loc[0, "os_months"])
    kinds = set(report.issues["problem_kind"])
    assert {"Death date unreadable", "unreadable date"} <= kinds


def test_non_endpoint_values_are_blanked_not_excluding() -> None:
    text = BASE + ",age,sex\nP1,UPS,1,nivolumab,4,1,9,1,abc,X\n"
    cohort, report = load_cohort(csv_bytes(text))
    assert np.isnan(cohort.loc[0, "age"]) and pd.isna(cohort.loc[0, "sex"])
    rows = report.issues[report.issues["endpoint"] == "all"]
    assert set(rows["problem"]) == {"Age: 'abc' is not a number", "Sex: 'X' is not one of Male, Female"}
    assert not rows["excludes"].any()
    assert report.analysed["PFS"] == 1


def test_all_rows_unusable_is_an_error() -> None:
    with pytest.raises(CohortReadError, match="No patient rows could be used"):
        load_cohort(csv_bytes(BASE + "\n,UPS,1,nivolumab,4,1,9,1\n"))


# --- Reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("id;x\nP1;ναι\n", "cp1253", "cp1253"),
        ("id;x\nP1;Θεσσαλονίκη;όχι\n", "cp1253", "cp1253"),
        ("id;x\nP1;Genève\n", "cp1252", "cp1252"),
        ("id;x\nP1;Universitätsspital Zürich – Onkologie\n", "cp1252", "cp1252"),
        ("id;x\nP1;Tromsø\n", "latin-1", "cp1252"),  # same bytes in both
        ("id;x\nP1;Zürich\n", "utf-8", "utf-8"),
        ("\ufeffid;x\nP1;Zürich\n", "utf-8", "utf-8-sig"),
        ("id;x\nP1;x\n", "ascii", "ascii"),
    ],
)
def test_encoding_detection(text: str, encoding: str, expected: str) -> None:
    name, utf8 = decode_info(text.encode(encoding))
    assert name == expected
    assert utf8.decode("utf-8") == text.lstrip("\ufeff")


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("a,b,c\n1,2,3\n4,5,6\n", ","),
        ("a;b;c\n1,5;2,5;3\n4;5;6\n", ";"),
        ("a\tb\tc\n1,5\t2\t3\n", "\t"),
        ('a,b,c\n1,"4,6",x\n2,"5,1",y\n', ","),
        ("onlyone\nrow\n", ","),
    ],
)
def test_delimiter_detection(sample: str, delimiter: str) -> None:
    assert detect_delimiter(sample) == delimiter


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "Excel 97-2003"),
        (b"$FL2@(#) SPSS DATA FILE", "SPSS data file"),
        (b"<html><body><table><tr><td>1</td></tr></table>", "web page"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"   \n\t", "empty"),
    ],
)
def test_sniff_format_refuses(data: bytes, phrase: str) -> None:
    with pytest.raises(CohortReadError, match=phrase):
        sniff_format(data)


def test_read_only_file_like_and_non_file_sources() -> None:
    class ReadOnly:
        name = "x.csv"

        def read(self, n: int = -1) -> bytes:
            return csv_bytes(BASE + "\nP1,UPS,1,nivolumab,4,1,9,1\n")

    cohort, report = load_cohort(ReadOnly())
    assert len(cohort) == 1 and report.file_name == "x.csv"
    with pytest.raises(CohortReadError, match="does not look like a file"):
        load_cohort(12345)
    with pytest.raises(CohortReadError, match="does not exist"):
        load_cohort("/no/such/file.csv")


def test_unexpected_internal_errors_still_reach_the_user_as_cohort_read_error(monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("internal")

    monkeypatch.setattr(ingest, "read_text_grid", boom)
    with pytest.raises(CohortReadError, match="unexpected problem"):
        load_cohort(csv_bytes(BASE + "\nP1,UPS,1,nivolumab,4,1,9,1\n"))


def test_ragged_rows_are_read_by_the_tolerant_reader_and_left_out() -> None:
    # Until issue 10 the short and long rows were padded and analysed with shifted values.
    text = BASE + "\nP1,UPS,1,nivolumab,4,1,9,1\nP2,LMS,1,nivolumab,3,1\nP3,LPS,1,nivolumab,2,1,5,0,extra\n"
    cohort, report = load_cohort(csv_bytes(text))
    assert cohort["patient_id"].tolist() == ["P1"]
    ragged = report.issues[report.issues["problem_kind"] == "cells do not line up"]
    assert ragged["source_row"].tolist() == [3, 4]
    assert ragged["problem"].tolist() == ["6 cells, header has 8: values may be shifted",
                                          "9 cells, header has 8: values may be shifted"]
    assert set(ragged["endpoint"]) == {"all"} and ragged["excludes"].all()
    assert report.analysed == {"PFS": 1, "OS": 1, "Response": 0} and report.rows_read == 3
    assert report.invariant_problems() == []


def test_report_summary_and_frame() -> None:
    cohort, report = load_cohort(csv_bytes(BASE + ",best_response\nP2,UPS,1,nivolumab,-1,1,9,1,PR\nP1,UPS,1,nivolumab,4,1,9,1,NE\n"))
    text = report.summary()
    assert "Read 2 patient rows" in text
    assert "PFS: 1 analysed, 1 excluded (negative PFS time: 1)." in text
    assert "Response: 1 analysed, 1 excluded (not evaluable (NE): 1)." in text
    frame = report.to_frame()
    assert list(frame.columns[:8]) == ["source_row", "patient_id", "endpoint", "column", "value", "problem",
                                       "action", "excludes"]
    assert frame["source_row"].is_monotonic_increasing
    assert report.counts().to_dict("list") == {
        "endpoint": ["PFS", "OS", "Response"], "rows_read": [2, 2, 2], "analysed": [1, 2, 1], "excluded": [1, 0, 1]}


def test_schema_vocabularies_are_covered() -> None:
    for label in schema.HISTOTYPES:
        assert vocab.classify_histotype(label)[0] == label
    assert ingest_read.MAX_UPLOAD_BYTES == 50 * 1024 * 1024


# --- Response date --------------------------------------------------------------------------------

RESP_HEADER = ("patient_id,histotype,prior_lines,regimen,treatment_start,progression_date,death_date,"
               "last_follow_up,best_response,response_date")


def one_patient(best: str, response: str, *, progression: str = "", death: str = "",
                follow_up: str = "01/12/2021", start: str = "01/02/2021") -> tuple[pd.DataFrame, pd.DataFrame]:
    """A one-patient file with dates; returns (cohort, the issues about the response date)."""
    text = f"{RESP_HEADER}\nP1,UPS,1,nivolumab,{start},{progression},{death},{follow_up},{best},{response}\n"
    cohort, report = load_cohort(csv_bytes(text))
    assert report.invariant_problems() == []
    return cohort, report.issues[report.issues["column"] == "response_date"]


@pytest.mark.parametrize(
    "header",
    ["response_date", "Response date", "Date of response", "Date of first response", "Date of best response",
     "CR/PR date", "Date of CR/PR", "Response date (dd/mm/yyyy)", "First response date", "RESPONSE-DATE"],
)
def test_response_date_header_synonyms(header: str) -> None:
    assert match_one(header, PATIENT_LOOKUP) == "response_date"


def test_response_header_is_the_best_response_unless_it_holds_dates() -> None:
    assert match_one("Response", PATIENT_LOOKUP) == "best_response"
    text = ("patient_id,histotype,prior_lines,regimen,Start,Last follow-up,BOR,Response\n"
            "P1,UPS,1,nivolumab,01/02/2021,01/12/2021,PR,01/04/2021\n"
            "P2,UPS,1,nivolumab,01/02/2021,01/12/2021,SD,\n")
    cohort, report = load_cohort(csv_bytes(text))
    assert report.column_mapping["BOR"] == "best_response"
    assert report.column_mapping["Response"] == "response_date"
    assert cohort["response_date"].tolist()[0] == pd.Timestamp("2021-04-01")
    assert pd.isna(cohort["response_date"].tolist()[1]) and report.issues.empty


@pytest.mark.parametrize(
    ("text", "iso"),
    [("01/04/2021", "2021-04-01"), ("01.04.2021", "2021-04-01"), ("2021-04-01", "2021-04-01"),
     ("1-Apr-2021", "2021-04-01"), ("44287", "2021-04-01")],  # Excel: DATE(2021,4,1) = 44287
)
def test_response_date_is_read_like_the_other_dates(text: str, iso: str) -> None:
    cohort, issues = one_patient("PR", text)
    assert cohort.loc[0, "response_date"] == pd.Timestamp(iso) and issues.empty


def test_response_date_follows_the_files_month_first_order() -> None:
    # 03/25/2021 can only be month-first, so 05/04/2021 is 4 May, not 5 April.
    cohort, issues = one_patient("PR", "05/04/2021", start="03/25/2021", follow_up="12/01/2021")
    assert cohort.loc[0, "response_date"] == pd.Timestamp("2021-05-04") and issues.empty


def test_response_date_in_a_workbook_as_date_cell_or_serial() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(RESP_HEADER.split(","))
    ws.append(["P1", "UPS", 1, "nivolumab", dt.date(2021, 2, 1), None, None, dt.date(2021, 12, 1), "PR",
               dt.date(2021, 4, 1)])
    ws.append(["P2", "UPS", 1, "nivolumab", dt.date(2021, 2, 1), None, None, dt.date(2021, 12, 1), "CR", 44287])
    buf = io.BytesIO()
    wb.save(buf)
    cohort, report = load_cohort(buf.getvalue())
    assert cohort["response_date"].tolist() == [pd.Timestamp("2021-04-01")] * 2
    assert report.issues.empty


@pytest.mark.parametrize(
    ("best", "response", "dates", "kind"),
    [
        # Consistent: on the start day, and on the day of progression (not after it).
        ("PR", "01/02/2021", {}, None),
        ("CR", "01/05/2021", {"progression": "01/05/2021"}, None),
        ("PR", "01/04/2021", {"death": "01/06/2021", "follow_up": ""}, None),
        # Contradictions: left blank; a responder's under DoR (it leaves DoR and TTR), a
        # non-responder's under Response.
        ("SD", "01/04/2021", {}, "response date for a non-responder"),
        ("PD", "01/04/2021", {}, "response date for a non-responder"),
        ("NE", "01/04/2021", {}, "response date for a non-responder"),
        ("PR", "31/01/2021", {}, "response before treatment start"),
        ("PR", "02/06/2021", {"death": "01/06/2021", "follow_up": ""}, "response after death"),
        ("CR", "02/05/2021", {"progression": "01/05/2021"}, "response after progression"),
        ("PR", "02/12/2021", {}, "response after last follow-up"),
        # The first reason only: an SD with a date after death is reported as a non-responder.
        ("SD", "02/06/2021", {"death": "01/06/2021", "follow_up": ""}, "response date for a non-responder"),
    ],
)
def test_response_date_rules(best: str, response: str, dates: dict, kind: str | None) -> None:
    cohort, issues = one_patient(best, response, **dates)
    if kind is None:
        assert issues.empty
        assert cohort.loc[0, "response_date"] == pd.Timestamp(dt.datetime.strptime(response, "%d/%m/%Y"))
        return
    assert issues["problem_kind"].tolist() == [kind]
    if best in ("CR", "PR"):  # since issue 14 (duration of response): the responder leaves DoR
        assert issues["endpoint"].tolist() == ["DoR"] and issues["excludes"].all()
        assert issues["action"].iat[0].endswith("excluded from DoR and TTR")
    else:
        assert issues["endpoint"].tolist() == ["Response"] and not issues["excludes"].any()
    assert issues["value"].tolist() == [response]
    assert "left blank" in issues["action"].iat[0]
    assert pd.isna(cohort.loc[0, "response_date"])


def test_non_responder_message_names_the_best_response() -> None:
    _, issues = one_patient("PD", "01/04/2021")
    assert issues["problem"].tolist() == [
        "a response date is given but the best response is PD; a response date belongs to a CR or PR"]


@pytest.mark.parametrize("best", ["", "XYZ"])
def test_response_date_without_a_best_response_is_kept_and_reported(best: str) -> None:
    cohort, issues = one_patient(best, "01/04/2021")
    assert cohort.loc[0, "response_date"] == pd.Timestamp("2021-04-01")
    assert issues["problem_kind"].tolist() == ["response date without best response"]
    assert issues["action"].iat[0].startswith("kept")


def test_unreadable_response_date_is_reported_under_response() -> None:
    cohort, issues = one_patient("PR", "31/02/2021")
    assert pd.isna(cohort.loc[0, "response_date"])
    assert issues[["endpoint", "problem"]].values.tolist() == [
        ["Response", "Response date: '31/02/2021' is not a valid date"]]


def test_responder_without_a_date_is_reported_only_when_the_column_has_dates() -> None:
    # An empty column says nothing (the centre does not record response dates) ...
    text = f"{RESP_HEADER}\nP1,UPS,1,nivolumab,01/02/2021,,,01/12/2021,PR,\n"
    cohort, report = load_cohort(csv_bytes(text))
    assert report.issues.empty and cohort["response_date"].isna().all()
    # ... but among recorded dates, a CR/PR without one is worth a look (kept, not excluding).
    text += "P2,UPS,1,nivolumab,01/02/2021,,,01/12/2021,CR,01/04/2021\n"
    cohort, report = load_cohort(csv_bytes(text))
    row = report.issues.set_index("patient_id").loc["P1"]
    assert row["problem"] == "best response is PR but the response date is missing"
    # Listed under DoR, which it leaves (issue 14); counted in the response rate.
    assert row["endpoint"] == "DoR" and row["excludes"] and "excluded from DoR and TTR" in row["action"]
    assert report.analysed["Response"] == 2  # the response rate is unchanged
    assert report.analysed["DoR"] == 1 and report.invariant_problems() == []


def test_response_dates_do_not_change_the_response_rate_or_survival() -> None:
    without = ("patient_id,histotype,prior_lines,regimen,treatment_start,last_follow_up,best_response\n"
               "P1,UPS,1,nivolumab,01/02/2021,01/12/2021,PR\nP2,UPS,1,nivolumab,01/02/2021,01/12/2021,SD\n")
    lines = without.splitlines()
    with_dates = "\n".join([lines[0] + ",response_date", lines[1] + ",31/01/2021", lines[2] + ",01/04/2021"]) + "\n"
    a, ra = load_cohort(csv_bytes(without))
    b, rb = load_cohort(csv_bytes(with_dates))
    # The file with response dates also reports DoR (issue 14); the other endpoints are unchanged.
    assert {k: v for k, v in rb.analysed.items() if k != "DoR"} == ra.analysed
    assert {k: v for k, v in rb.excluded.items() if k != "DoR"} == ra.excluded
    pd.testing.assert_frame_equal(a, b.drop(columns="response_date"))
    assert b["response_date"].isna().all()  # both contradicted: before start, and an SD
