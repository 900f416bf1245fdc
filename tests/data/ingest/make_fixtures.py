"""Writes the ingest test corpus (run: python tests/data/ingest/make_fixtures.py).

The files are committed; this script documents how the binary ones were made and lets them be
rebuilt. Each file imitates one quirk of real exports (see tests/test_ingest_corpus.py). All
patients are invented.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
FIXED_TIME = dt.datetime(2024, 11, 1, 9, 0, 0)


def text(name: str, body: str, encoding: str = "utf-8", newline: str = "\n") -> None:
    (HERE / name).write_bytes(body.replace("\n", newline).encode(encoding))


def save(wb: openpyxl.Workbook, name: str) -> None:
    wb.properties.created = FIXED_TIME  # keep rebuilt files byte-stable
    wb.properties.modified = FIXED_TIME
    wb.save(HERE / name)


# --- Text exports -----------------------------------------------------------------------------------


def swiss_semicolon_cp1252() -> None:
    # Excel "CSV (semicolon)" on a French/German-Swiss Windows: cp1252, CRLF, decimal comma.
    text(
        "ch_semicolon_cp1252.csv",
        "Patient ID;Centre;Sex;Age;Histology;Primary site;Prior lines;Regimen;Start date;"
        "PFS (months);Progression;OS (months);Death;Best response;Best % change\n"
        "CH-01;Genève HUG;M;61;Leiomyosarcome;Uterus;2;Pembrolizumab;12/03/2020;4,6;1;18,8;1;PD;12,5\n"
        "CH-02;Zürich USZ;F;47,5;Liposarcome dédifférencié;Retroperitoneum;1;Nivolumab / Ipilimumab;"
        "05/11/2019;30,6;0;49,2;0;PR;-45,0\n"
        "CH-03;Lausanne CHUV;F;72;UPS;Extremities;3;Pembrolizumab + Axitinib;28/02/2021;2,9;1;7,8;1;SD;-10\n"
        "CH-04;Genève HUG;M;55;Angiosarcome;Head and neck;0;Atezolizumab/Pazopanib;01/07/2022;15,9;0;"
        "20,7;0;CR;-100\n",
        encoding="cp1252",
        newline="\r\n",
    )


def greek_cp1253() -> None:
    # Greek Windows export: cp1253, semicolons, decimal comma, Ν/Α written in Greek capitals.
    text(
        "gr_cp1253.csv",
        "ID;Centre;Sex;Age;Histology;Lung metastases;Liver metastases;Prior lines;Regimen;"
        "PFS (months);PFS event;OS (months);OS event;Best response;PD-L1;TMB;MSI\n"
        "GR-01;Αθήνα - Ιατρικό Κέντρο;Άνδρας;58;UPS;ναι;όχι;2;Pembrolizumab;5,1;1;12,4;1;CR;"
        "Ν/Α;Ν/Α;Ν/Α\n"
        "GR-02;Θεσσαλονίκη;Γυναίκα;44;Λειομυοσάρκωμα;όχι;ναι;1;Nivolumab;3,2;1;8,0;0;PD;20%;Ν/Α;low\n"
        "GR-03;Αθήνα - Ιατρικό Κέντρο;Γυναίκα;66;AS;Ν/Α;όχι;4;Pembrolizumab + Axitinib;8,9;0;8,9;0;PR;"
        ">95%;38,8 mut/Mb;Ν/Α\n"
        "GR-04;Πάτρα;Άνδρας;39;Kaposi sarcoma;ναι;ναι;0;Nivolumab;Ν/Α;Ν/Α;22,0;0;Δ/Υ;άγνωστο;Ν/Α;High\n",
        encoding="cp1253",
        newline="\r\n",
    )


def uk_utf8_bom() -> None:
    # Excel "CSV UTF-8": BOM, commas, CRLF, a quoted cell with a comma and one with a line break.
    text(
        "uk_excel_utf8_bom.csv",
        "\ufeffPatient ID,Center,Gender,Age,Histotype,Prior lines,Treatment,Treatment start,PFS_mo,"
        "PD event,OS months,Status,BOR,PD-L1\n"
        'RM-001,Royal Marsden,Male,63,Undifferentiated pleomorphic sarcoma,2,Pembrolizumab,15/01/2019,'
        '3.2,1,7.0,Dead,PD,"TC <1%,\nIC = 1%"\n'
        'RM-002,Royal Marsden,Female,51,"Sarcoma, undifferentiated round cell",1,Nivolumab + Ipilimumab,'
        "02/04/2019,8.5,Yes,49.2,Alive,PR,0%\n"
        "RM-003,Royal Marsden,Female,29,Alveolar soft part sarcoma,0,Atezolizumab,20/09/2020,30.6,No,"
        "36.1,Alive,PR,\n"
        "RM-004,The Christie,Female,70,uLMS,3,Nivolumab / Cabozantinib,11/11/2021,2.5,1,5.4,Dead,SD,N/A\n",
        newline="\r\n",
    )


def tab_separated() -> None:
    # "Text (tab delimited)" export: tabs, LF, NA written for missing.
    rows = [
        ["patient_id", "histotype", "prior_lines", "regimen", "pfs_months", "pfs_event", "os_months",
         "os_event", "best_response", "age"],
        ["T1", "LMS", "1", "pembrolizumab", "4.2", "1", "10.1", "1", "SD", "64"],
        ["T2", "Myxofibrosarcoma", "2", "nivolumab", "NA", "NA", "15.0", "0", "PR", "NA"],
        ["T3", "ASPS", "0", "atezolizumab", "24.0", "0", "24.0", "0", "CR", "33"],
    ]
    text("tab_separated.tsv", "\n".join("\t".join(r) for r in rows) + "\n")


def norwegian_latin1() -> None:
    # Norwegian centre: latin-1, semicolons, dd.mm.yyyy, ja/nei, død/i live.
    text(
        "no_latin1_ja_nei.csv",
        "Pasient;Centre;Histology;Lung metastases;Liver metastases;Primary surgery;Prior lines;"
        "Regimen;Start date;PFS (months);PFS event;OS (months);Status\n"
        "N-01;Tromsø UNN;Leiomyosarkom;ja;nei;ja;2;Pembrolizumab;03.05.2021;6,4;ja;14,0;død\n"
        "N-02;Haukeland sjukehus;Myxofibrosarkom;nei;nei;ja;1;Nivolumab + Ipilimumab;17.08.2020;"
        "11,2;nei;26,3;i live\n"
        "N-03;Oslo universitetssykehus;Angiosarkom;ja;ja;nei;3;Pembrolizumab og aksitinib;09.01.2022;"
        "2,1;ja;3,9;død\n",
        encoding="latin-1",
        newline="\r\n",
    )


def dates_only() -> None:
    text(
        "dates_only.csv",
        "patient_id,histotype,prior_lines,regimen,treatment_start,progression_date,death_date,"
        "last_follow_up\n"
        "D1,UPS,1,pembrolizumab,2021-03-01,2021-06-15,,2022-01-10\n"
        "D2,LMS,2,nivolumab,2020-01-15,,2020-09-30,\n"
        "D3,LPS,0,pembrolizumab + axitinib,2019-05-20,2019-08-01,2020-02-03,2020-01-20\n"
        "D4,Angiosarcoma,1,nivolumab + ipilimumab,2022-02-01,,,2023-02-01\n"
        "D5,UPS,3,pembrolizumab,,,,2023-01-01\n"
        "D6,LMS,1,pembrolizumab,2021-01-01,,,\n",
    )


def synonym_headers() -> None:
    # Headers as a centre might write them; "Site" holds centre names, not the primary site.
    text(
        "synonym_headers.csv",
        "Pt,Site,Gender,Age at ICI start,Histotype,Subtype,Line of therapy,ICI regimen,Regimen type,"
        "PFS_mo,PD event,OS mo,Vital status,RECIST,Lung mets (y/n),Primary tumour site\n"
        "S1,Athens,M,50,LPS,DDLPS,3,Pembrolizumab,ICI monotherapy,4.6,1,18.8,0,PR,y,Retroperitoneum\n"
        "S2,Oslo,F,61,LMS,uterine,1,Nivolumab + Ipilimumab,Double ICI,2.1,1,5.0,1,PD,n,Uterus\n"
        "S3,London,F,45,Other,Chordoma,2,Pembrolizumab + Axitinib,ICI + TKI,9.9,0,12.0,0,SD,n,Trunk\n",
    )


def duplicate_ids() -> None:
    text(
        "duplicate_ids.csv",
        "patient_id,histotype,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event\n"
        "P1,UPS,1,pembrolizumab,4.0,1,9.0,1\n"
        "P2,LMS,2,nivolumab,3.0,1,6.0,0\n"
        "P1,UPS,1,pembrolizumab,5.0,1,10.0,1\n"
        "P3,LPS,0,nivolumab,7.5,0,7.5,0\n"
        " P2 ,LMS,2,nivolumab,3.0,1,6.0,0\n"
        ",AS,1,pembrolizumab,2.0,1,3.0,1\n",
    )


def negative_time() -> None:
    text(
        "negative_time.csv",
        "patient_id,histotype,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event\n"
        "N1,UPS,1,pembrolizumab,-2.0,1,8.0,1\n"
        "N2,LMS,1,nivolumab,abc,1,6.0,0\n"
        "N3,LPS,2,nivolumab,5.0,2,11.0,1\n"
        "N4,UPS,0,pembrolizumab,3.3,1,-1,1\n"
        "N5,AS,1,pembrolizumab,1.0,1,2.0,1\n",
    )


def death_before_start() -> None:
    text(
        "death_before_start.csv",
        "patient_id,histotype,prior_lines,regimen,treatment_start,progression_date,death_date,"
        "last_follow_up\n"
        "B1,UPS,1,pembrolizumab,01/05/2021,,01/04/2021,\n"
        "B2,LMS,2,nivolumab,01/05/2021,01/08/2021,,01/12/2021\n",
    )


def progression_after_death() -> None:
    text(
        "progression_after_death.csv",
        "patient_id,histotype,prior_lines,regimen,treatment_start,progression_date,death_date,"
        "last_follow_up\n"
        "A1,UPS,1,pembrolizumab,01/01/2021,01/08/2021,01/07/2021,\n"
        "A2,LMS,1,nivolumab,01/01/2021,01/03/2021,01/07/2021,\n",
    )


def unknown_response() -> None:
    rows = [("R1", "CR"), ("R2", "Partial response"), ("R3", "MR"), ("R4", "iUPD"), ("R5", "NE"),
            ("R6", "N/A"), ("R7", ""), ("R8", "stable disease"), ("R9", "PD")]
    body = "patient_id,histotype,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event,best_response\n"
    body += "".join(f"{pid},UPS,1,pembrolizumab,3.0,1,6.0,0,{br}\n" for pid, br in rows)
    text("unknown_response.csv", body)


def extra_columns() -> None:
    text(
        "extra_columns.csv",
        "patient_id,ECOG,histotype,Notes,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event,"
        "Weight (kg),,,\n"
        'E1,1,UPS,"responded well, see letter",1,pembrolizumab,4.0,1,9.0,1,70,x,,\n'
        "E2,0,LMS,,2,nivolumab,3.0,1,6.0,0,62,,,\n",
    )


def trailing_empty_rows() -> None:
    # Excel keeps formatted-but-empty rows: they come out as lines of bare separators.
    text(
        "trailing_empty_rows.csv",
        "patient_id;histotype;prior_lines;regimen;pfs_months;pfs_event;os_months;os_event\n"
        "T1;UPS;1;pembrolizumab;4,0;1;9,0;1\n"
        ";;;;;;;\n"
        "T2;LMS;2;nivolumab;3,0;1;6,0;0\n"
        ";;;;;;;\n;;;;;;;\n;;;;;;;\n",
        newline="\r\n",
    )


def us_month_first() -> None:
    text(
        "us_month_first.csv",
        "patient_id,histotype,prior_lines,regimen,treatment_start,progression_date,death_date,"
        "last_follow_up\n"
        "U1,UPS,1,pembrolizumab,03/25/2021,07/04/2021,,12/31/2021\n"
        "U2,LMS,2,nivolumab,01/05/2021,,02/14/2022,\n",
    )


def x_marks() -> None:
    text(
        "x_marks.csv",
        "patient_id,histotype,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event,"
        "Lung metastases,Liver metastases,Prior TKI\n"
        "X1,UPS,1,pembrolizumab,4,1,9,1,x,,yes\n"
        "X2,LMS,2,nivolumab,3,1,6,0,,X,\n"
        "X3,LPS,0,nivolumab,7,0,7,0,x,,no\n",
    )


def regimens() -> None:
    rows = [
        ("G1", "Pembrolizumab"),
        ("G2", "Nivo/Ipi"),
        ("G3", "pembrolizumab + axitinib"),
        ("G4", "Atezolizumab & eribulin"),
        ("G5", '"nivolumab, gemcitabine and docetaxel"'),
        ("G6", "Pembrolizumab + radiotherapy"),
        ("G7", "axitinib"),
        ("G8", "nivolumab + ipilimumab + cabozantinib"),
        ("G9", "Keytruda"),
    ]
    body = "patient_id,histotype,prior_lines,regimen,pfs_months,pfs_event,os_months,os_event\n"
    body += "".join(f"{pid},UPS,1,{reg},3.0,1,6.0,0\n" for pid, reg in rows)
    text("regimens.csv", body)


def line_mismatch() -> None:
    text(
        "line_mismatch.csv",
        "patient_id,histotype,prior_lines,line_of_therapy,regimen,pfs_months,pfs_event,os_months,os_event\n"
        "L1,UPS,1,2,pembrolizumab,4,1,9,1\n"
        "L2,LMS,1,3,nivolumab,3,1,6,0\n"
        "L3,LPS,,3rd line,nivolumab,7,0,7,0\n"
        "L4,UPS,2,,pembrolizumab,5,1,8,1\n",
    )


def missing_required() -> None:
    text(
        "missing_required.csv",
        "Patient ID,Histology,Prior lines,Regimen,PFS censor,Survival status text\n"
        "M1,UPS,1,pembrolizumab,0,alive\n",
    )


def pfs_in_days() -> None:
    text(
        "pfs_in_days.csv",
        "patient_id,histotype,prior_lines,regimen,PFS (days),pfs_event,OS (days),os_event\n"
        "Y1,UPS,1,pembrolizumab,140,1,472,0\n"
        "Y2,LMS,2,nivolumab,30.4375,1,365.25,1\n",
    )


def utf16_unicode_text() -> None:
    # Excel "Unicode Text": UTF-16 little-endian with BOM, tab-separated, CRLF.
    body = (
        "Patient ID\tHistology\tPrior lines\tRegimen\tPFS (months)\tPFS event\tOS (months)\tOS event\n"
        "U-1\tLéiomyosarcome\t1\tPembrolizumab\t4.6\t1\t18.8\t1\n"
        "U-2\tΑγγειοσάρκωμα\t2\tNivolumab\t2.0\t1\t5.4\t1\n"
    ).replace("\n", "\r\n")
    (HERE / "utf16_unicode_text.txt").write_bytes(b"\xff\xfe" + body.encode("utf-16-le"))


def ae_separate_csv() -> None:
    text(
        "ae_separate.csv",
        "Patient ID,AE term,CTCAE grade,Led to delay,Led to discontinuation\n"
        "P1,Colitis,3,yes,yes\n"
        "P1,Fatigue,1,no,no\n"
        "P2,Pneumonitis,G3,no,yes\n"
        "P9,Rash,2,no,no\n"
        "P2,,2,no,no\n"
        "P3,Hypothyroidism,7,no,no\n",
    )


def no_recognisable_columns() -> None:
    text("no_recognisable_columns.csv", "foo,bar,baz\n1,2,3\n4,5,6\n")


def header_only() -> None:
    text("header_only.csv", "patient_id;histotype;prior_lines;regimen;pfs_months;pfs_event;os_months;os_event\n")


def empty() -> None:
    (HERE / "empty.csv").write_bytes(b"")


# --- Workbooks ------------------------------------------------------------------------------------


def excel_serial_dates() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Patients"
    ws.append(["Patient ID", "Histology", "Prior lines", "Regimen", "Start date", "Progression date",
               "Date of death", "Last follow-up"])
    # Serial numbers typed into unformatted cells (44197 = 2021-01-01 in Excel's 1900 system).
    ws.append(["X-1", "UPS", 1, "Pembrolizumab", 44197, 44287, None, 44562])
    ws.append(["X-2", "LMS", 2, "Nivolumab", 44197.0, None, 44348, None])
    # A proper date cell and a serial side by side.
    ws.append(["X-3", "DDLPS", 0, "Pembrolizumab + Axitinib", dt.datetime(2021, 6, 1), None, None, 44713])
    save(wb, "excel_serial_dates.xlsx")


def two_sheets() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Patients"
    ws.append(["Patient ID", "Histology", "Prior lines", "Regimen", "PFS (months)", "PFS event",
               "OS (months)", "OS event", "Best response", "Any AE"])
    ws.append(["P1", "UPS", 1, "Pembrolizumab", 4.6, 1, 18.8, 1, "PR", "yes"])
    ws.append(["P2", "LMS", 2, "Nivolumab", 2.9, 1, 7.8, 1, "PD", "yes"])
    ws.append(["P3", "Kaposi sarcoma", 0, "Pembrolizumab", 15.9, 0, 20.7, 0, "CR", "no"])
    ae = wb.create_sheet("Adverse events")
    ae.append(["Patient ID", "Adverse event", "Grade", "Delay", "Discontinuation"])
    ae.append(["P1", "Colitis", 3, "yes", "yes"])
    ae.append(["P1", "Fatigue", 1, "no", "no"])
    ae.append(["P2", "Hypothyroidism", 2, "no", "no"])
    ae.append(["P7", "Rash", 2, "no", "no"])  # patient not in the patient sheet
    ae.append(["P2", "Myositis", 7, "no", "yes"])  # grade outside 1-5
    save(wb, "two_sheets.xlsx")


def title_block() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Cohort"
    ws.append(["Sarcoma ICI registry - export 01/11/2024"])
    ws.append([])
    ws.append(["Patient ID", "Histology", "Prior lines", "Regimen", "Start date", "PFS (months)",
               "PFS event", "OS (months)", "OS event", "Best % change", "On treatment"])
    ws.append(["W1", "UPS", 1, "Pembrolizumab", dt.datetime(2021, 3, 4), 4.6, 1, 18.8, 1, -0.35, True])
    ws.append(["W2", "LMS", 2, "Nivolumab", dt.datetime(2020, 12, 24), 2.9, 1, 7.8, 0, 0.12, False])
    for row in (4, 5):
        ws.cell(row=row, column=10).number_format = "0%"
        ws.cell(row=row, column=5).number_format = "dd/mm/yyyy"
    save(wb, "title_block.xlsx")


# --- Files that are not tables --------------------------------------------------------------------


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal, structurally valid Compound File Binary (OLE2) container, version 3.

    Streams are padded to >= 4096 bytes so they live in regular sectors (no mini stream).
    """
    sector = 512
    endofchain, freesect, fatsect, nostream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = list(streams)
    data = [streams[n].ljust(4096, b"\x00") for n in names]
    sizes = [len(d) for d in data]
    chains = [len(d) // sector + (len(d) % sector > 0) for d in data]
    # Layout: sector 0 = FAT, sector 1 = directory, then the streams back to back.
    starts = []
    nxt = 2
    for c in chains:
        starts.append(nxt)
        nxt += c
    fat = [fatsect, endofchain]
    for start, c in zip(starts, chains, strict=True):
        fat.extend(list(range(start + 1, start + c)) + [endofchain])
    fat.extend([freesect] * (128 - len(fat)))
    assert len(fat) == 128, "fixture streams must fit one FAT sector"

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00" if name else b""
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", left, right, child)
            + b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
            + struct.pack("<IQ", start, size)
        )

    # Siblings form a binary tree ordered by name length, then upper-case name: a simple chain.
    order = sorted(range(len(names)), key=lambda i: (len(names[i]), names[i].upper()))
    slots = [entry("", 0, nostream, nostream, nostream, 0, 0)] * 4
    slots[0] = entry("Root Entry", 5, nostream, nostream, 1 + order[0], endofchain, 0)
    for pos, i in enumerate(order):
        right = 1 + order[pos + 1] if pos + 1 < len(order) else nostream
        slots[1 + i] = entry(names[i], 2, nostream, right, nostream, starts[i], sizes[i])
    directory = b"".join(slots)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, endofchain, 0, endofchain, 0)
        + struct.pack("<I", 0) + struct.pack("<I", freesect) * 108
    )
    assert len(header) == sector
    fat_bytes = struct.pack("<128I", *fat)
    return header + fat_bytes + directory + b"".join(d.ljust(c * sector, b"\x00") for d, c in zip(data, chains, strict=True))


def encrypted_workbook() -> None:
    # What Excel writes for "Encrypt with password": an OLE2 container, not a ZIP.
    rng = random.Random(7)
    info = struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0"?><encryption/>'
    package = bytes(rng.getrandbits(8) for _ in range(6000))
    (HERE / "encrypted.xlsx").write_bytes(cfb({"EncryptionInfo": info, "EncryptedPackage": package}))


def old_excel() -> None:
    # Excel 97-2003 .xls: an OLE2 container with a BIFF8 "Workbook" stream (BOF record only).
    bof = struct.pack("<HHHHII", 0x0809, 16, 0x0600, 0x0005, 0, 0)
    (HERE / "old_excel.xls").write_bytes(cfb({"Workbook": bof}))


def pdf_renamed() -> None:
    body = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    (HERE / "pdf_renamed.csv").write_bytes(body)


def png_renamed() -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    (HERE / "png_renamed.csv").write_bytes(png)


def zip_renamed() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("cohort.csv", date_time=(2024, 11, 1, 9, 0, 0))
        zf.writestr(info, "patient_id,histotype\nP1,UPS\n")
    (HERE / "zip_renamed.csv").write_bytes(buf.getvalue())


def binary_garbage() -> None:
    rng = random.Random(42)
    (HERE / "binary_garbage.csv").write_bytes(bytes(rng.getrandbits(8) for _ in range(2048)))


def main() -> None:
    for make in (
        swiss_semicolon_cp1252, greek_cp1253, uk_utf8_bom, tab_separated, norwegian_latin1, dates_only,
        synonym_headers, duplicate_ids, negative_time, death_before_start, progression_after_death,
        unknown_response, extra_columns, trailing_empty_rows, us_month_first, x_marks, regimens,
        line_mismatch, missing_required, pfs_in_days, utf16_unicode_text, ae_separate_csv,
        no_recognisable_columns, header_only, empty, excel_serial_dates, two_sheets, title_block,
        encrypted_workbook, old_excel, pdf_renamed, png_renamed, zip_renamed, binary_garbage,
    ):
        make()


if __name__ == "__main__":
    main()
