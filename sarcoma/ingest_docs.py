"""Renders docs/data-dictionary.md from the schema and the ingest vocabularies (one source of truth)."""

from __future__ import annotations

from sarcoma import schema, vocab
from sarcoma.ingest_headers import AE_HEADER_SYNONYMS, HEADER_SYNONYMS
from sarcoma.ingest_read import LEGACY_ENCODINGS, MAX_UPLOAD_BYTES

_KIND = {
    "str": "text",
    "category": "category",
    "int": "whole number",
    "float": "number",
    "bool": "yes/no",
    "event": "event 1/0",
    "date": "date",
}
_REQUIRED = {
    "patient_id": "yes",
    "histotype": "yes",
    "prior_lines": "yes, or line_of_therapy",
    "regimen": "yes, or regimen_class",
    "regimen_class": "derived from regimen if absent",
    "pfs_months": "yes, or dates (see rules)",
    "pfs_event": "yes, or dates (see rules)",
    "os_months": "yes, or dates (see rules)",
    "os_event": "yes, or dates (see rules)",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _spellings(items: tuple[str, ...] | list[str]) -> str:
    shown = [s if s else "(blank)" for s in items]
    return ", ".join(f"`{s}`" for s in shown)


def render_data_dictionary() -> str:
    """The whole data dictionary as Markdown."""
    out: list[str] = []
    w = out.append
    w("# Data dictionary")
    w("")
    w("Generated from `sarcoma/schema.py` and the ingest vocabularies by")
    w("`sarcoma.ingest.data_dictionary_markdown()`. Do not edit by hand: a test checks that this")
    w("file equals the generated text. The template `sample_data/template.csv` has every column")
    w("below (except `histotype_original`, which the tool fills in) and one example patient.")
    w("")
    w("## Files the tool reads")
    w("")
    w(f"- **CSV** (also `.txt`, `.tsv`) or **Excel `.xlsx`**, at most {MAX_UPLOAD_BYTES // 2**20} MB. The type is")
    w("  decided by the file's content, not its name. Old `.xls`, `.ods`, SPSS `.sav`, PDF, images,")
    w("  ZIP archives and password-protected workbooks are refused with a message saying what to do")
    w("  (usually: open the file and save it as `.xlsx` or CSV).")
    w("- **Encoding**: UTF-8 (with or without the BOM Excel adds), UTF-16 (Excel's \"Unicode text\"),")
    w(f"  or a Windows/ISO encoding detected by charset-normalizer among {', '.join(LEGACY_ENCODINGS)}")
    w("  (Western European, Greek).")
    w("- **Separator**: comma, semicolon, tab or pipe, detected by clevercsv.")
    w("- **Decimal comma** (`4,6`) is read as 4.6 in any number column; `1.234,5` and `1,234.5` too.")
    w("- **Header row**: the first row, or the best-matching row among the first 10 if a title block")
    w("  sits above it. Headers are matched ignoring case, accents, spaces and punctuation, against")
    w("  the names in the last column of the table below; a bracketed part or a trailing unit/coding")
    w("  word is ignored (`PFS (months)`, `Lung metastases yes/no`). Unrecognised columns are listed")
    w("  in the report and can be mapped by hand (`column_map`). Some headers are decided by their")
    w("  values: `Site` is the primary site if it holds sites (Extremities, Trunk, ...), otherwise the")
    w("  treating centre; `Death` or `Progression` holding dates is the death or progression date;")
    w("  `Response` holding dates is the response date (`response_date`).")
    w("- **Time units**: a PFS/OS column whose header says days, weeks or years is converted to months")
    w(f"  (1 month = {schema.DAYS_PER_MONTH} days = 365.25 / 12).")
    w("- **Workbooks**: the patient table is the first sheet not named like an adverse-event sheet")
    w("  that holds a table (a cover or instructions sheet is passed over), unless a sheet is chosen.")
    w("  A sheet named like `Adverse events`, `AE`, `AEs` or `Toxicity` is read as the adverse-event")
    w("  table.")
    w("- **Rows**: `source_row` in the cohort and the report is the row number shown in Excel (the")
    w("  header is row 1). Empty rows at the end are ignored.")
    w("")
    w("## Patient table (one row per patient)")
    w("")
    w("| Column | Type | Required | Description | Allowed values | Headers also recognised |")
    w("|---|---|---|---|---|---|")
    for col in schema.COLUMNS:
        allowed = ", ".join(col.allowed)
        synonyms = ", ".join(HEADER_SYNONYMS.get(col.name, ()))
        required = _REQUIRED.get(col.name, "no")
        w(f"| `{col.name}` | {_KIND[col.kind]} | {required} | {_cell(col.description)} | "
          f"{_cell(allowed)} | {_cell(synonyms)} |")
    w("")
    w("The cohort returned by `load_cohort` also has `source_row`. Types in the cohort: text and")
    w("categories as pandas `str`, numbers and times `float64` (NaN = missing), whole numbers and")
    w("events `Int64`, yes/no `boolean`, dates `datetime64[ns]`.")
    w("")
    w("## How values are read")
    w("")
    w(f"- **Missing**: {_spellings(vocab.MISSING_SPELLINGS)} (any case; the Greek `Ν/Α` of the seed")
    w("  paper is written with Greek capitals).")
    w(f"- **Yes**: {_spellings(vocab.YES_SPELLINGS)}, `1`, and tick marks `✓`.")
    w(f"- **No**: {_spellings(vocab.NO_SPELLINGS)}, `0`.")
    w("  In a column that only ever marks *yes* with `x`/`✓`, a blank cell means *no*.")
    w(f"- **PFS event**: 1/0, yes/no, or 1 = {_spellings(vocab.PFS_EVENT_SPELLINGS[1])}; "
      f"0 = {_spellings(vocab.PFS_EVENT_SPELLINGS[0])}.")
    w(f"- **OS event**: 1/0, yes/no, or 1 = {_spellings(vocab.OS_EVENT_SPELLINGS[1])}; "
      f"0 = {_spellings(vocab.OS_EVENT_SPELLINGS[0])}.")
    w("- **Dates**: `dd/mm/yyyy`, `dd.mm.yyyy`, `dd-mm-yyyy` (two-digit years allowed),")
    w("  `yyyy-mm-dd`, `4-Mar-2021`, Excel date cells, and Excel serial numbers (1900 date system, or")
    w("  the workbook's own). A column whose values only make sense month-first (`03/25/2021`) is")
    w("  read month-first and this is noted. Dates before 1980 or after next year are rejected as typos.")
    w("- **Numbers** may carry a unit: `56 years`, `4.6 months`, `-35%`, `8.9 mut/Mb`; a percent-")
    w("  formatted Excel cell is read as shown (35%, not 0.35).")
    w("")
    w("Categories and their accepted spellings:")
    w("")
    for label, table in (
        ("Sex", vocab.SEX_SPELLINGS),
        ("Disease stage", vocab.STAGE_SPELLINGS),
        ("Primary site (unrecognised -> Other, noted)", vocab.SITE_SPELLINGS),
        ("Best response (RECIST 1.1)", vocab.RESPONSE_SPELLINGS),
        ("Discontinuation reason (unrecognised -> Other, noted)", vocab.DISCONTINUATION_SPELLINGS),
        ("MSI", vocab.MSI_SPELLINGS),
        ("Regimen class", vocab.REGIMEN_CLASS_SPELLINGS),
    ):
        w(f"- **{label}**: " + "; ".join(f"{k} = {_spellings(v)}" for k, v in table.items()) + ".")
    w("")
    w("## Derived values")
    w("")
    w("- **Histotype**: labels are mapped to the groups " + ", ".join(schema.HISTOTYPES) + ".")
    w("  Examples: `Undifferentiated pleomorphic sarcoma` -> UPS; `uLMS`, `uterine leiomyosarcoma` ->")
    w("  LMS with detail `uterine LMS`; `DDLPS`, `dedifferentiated liposarcoma` -> LPS with detail")
    w("  `DDLPS`; `AS` -> Angiosarcoma; `MFS` -> Myxofibrosarcoma; chordoma, synovial sarcoma and other")
    w("  named sarcomas -> Other with the name as detail. A label not recognised at all is grouped as")
    w("  Other (detail = the label) and counted in a report warning. The label as written is kept in")
    w("  `histotype_original`; a `histotype_detail` column in the file takes precedence.")
    w("- **Line of therapy**: `line_of_therapy` = `prior_lines` + 1; whichever is missing is derived.")
    w("  If both are given and disagree, both are left blank for that patient and reported.")
    w("- **Regimen class** (when `regimen_class` is blank): the regimen is split at `+`, `/`, `&`, `,`,")
    w("  `and`, `plus`, `with`; each part must contain a known drug (generic, brand or common")
    w("  abbreviation such as Pembro, Nivo, Ipi, Axi, Cabo). One ICI alone -> ICI monotherapy; two or")
    w("  more ICIs -> Double ICI; one ICI + TKI -> ICI + TKI; one ICI + chemotherapy -> ICI +")
    w("  chemotherapy. Anything else (unknown part, no ICI, ICI + TKI + chemotherapy) is reported and")
    w("  left blank, never guessed. A class given in the file that disagrees with the regimen is kept")
    w("  and reported.")
    for label, drugs in (("ICI", vocab.ICI_DRUGS), ("TKI", vocab.TKI_DRUGS), ("Chemotherapy", vocab.CHEMO_DRUGS)):
        w(f"  - {label}: " + ", ".join(drugs) + ".")
    w("- **PFS and OS**: taken from `pfs_months` + `pfs_event` (`os_months` + `os_event`) when both")
    w("  are present and valid for the patient; otherwise derived from the dates, with")
    w(f"  months = days / {schema.DAYS_PER_MONTH}:")
    w("  - PFS: event (1) at the earliest of progression and death; if neither, censored (0) at the")
    w("    last follow-up date.")
    w("  - OS: event (1) at death; otherwise censored (0) at the last follow-up date.")
    w("  - Excluded from the endpoint (and reported): missing, unreadable or negative time; missing or")
    w("    unreadable event; death before treatment start (PFS and OS); progression before treatment")
    w("    start or after death (PFS); last follow-up before treatment start when it is the censoring")
    w("    date; an event column saying 0 while the event date is filled in. PFS longer than OS is")
    w("    reported but kept.")
    w("- **Response**: the response endpoint counts patients with an evaluable best response (CR, PR,")
    w("  SD, PD); NE, missing or unrecognised responses are excluded from it and reported.")
    w("- **Response date** (`response_date`, optional): the date of the first documented CR or PR. It")
    w("  starts the clock of the duration of response and stops that of the time to response; the")
    w("  landmark analysis uses it to class a patient as a responder only from that date on (without")
    w("  it, the best response at any time is used). It never changes the response rate. Left blank")
    w("  (not used) and reported: an unreadable date; a date for a patient whose best response is SD,")
    w("  PD or NE; a date before treatment start; a date after the death, progression or last follow-up")
    w("  date. A responder's problem is listed under DoR (the patient leaves DoR and TTR), anyone")
    w("  else's under Response. Reported and kept: a date for a patient whose best response is missing")
    w("  or unreadable, and (when the column holds any dates) a CR or PR without a date, which is")
    w("  counted in the response rate but excluded from DoR, TTR and the landmark analysis by date.")
    w("- **Treatment end** (`treatment_end`, optional): the date of the last ICI dose or of permanent")
    w("  discontinuation for any reason; blank while the patient is still on treatment. A blank date")
    w("  counts as \"still on treatment\" unless the row says otherwise (`on_treatment` = no, or a")
    w("  discontinuation reason other than death: then the date is missing); a patient who died with")
    w("  no end date and no other reason for stopping ended treatment at death.")
    w("- **Duration of response (DoR)**, responders (CR/PR) only: from the response date to")
    w("  progression or death (event, the earliest), otherwise censored at the last follow-up date;")
    w("  months = days / 30.4375. A responder is excluded from DoR (and reported) without a usable")
    w("  response date, when their PFS is not usable, with a PFS event but no progression or death")
    w("  date, or with no date to end DoR at.")
    w("- **Time to response (TTR)**, responders only: from treatment start to the response date; shown")
    w("  as median and range (every responder has responded: no censoring, no Kaplan-Meier).")
    w("- **Time to treatment failure (TTF)**, every patient with a start date: from treatment start to")
    w("  the treatment end for any reason, death on treatment included (event); censored at the last")
    w("  follow-up date while on treatment. Excluded from TTF (and reported): a treatment end before")
    w("  treatment start or after the death date; `on_treatment` = yes together with a treatment end")
    w("  date; a stopped treatment without an end date.")
    w("")
    w("## The data-quality report")
    w("")
    w("- A row is left out of the cohort entirely only if it is empty, has no patient ID, or repeats")
    w("  an earlier patient ID (the first row is kept).")
    w("- For each endpoint (PFS, OS, Response; DoR when the file has response dates, TTF when it has")
    w("  treatment end dates): rows read = analysed + excluded, and every excluded row has at least one")
    w("  reason in the issues table (columns: source_row, patient_id, endpoint, column, value as")
    w("  written, problem, action, excludes), except the patients an endpoint does not apply to")
    w("  (non-responders for DoR), which are counted in the summary instead of listed one by one.")
    w("- A value that cannot be read outside the endpoints (e.g. age `abc`) is left blank and reported;")
    w("  the patient stays in every analysis that does not need it.")
    w("")
    w("## Adverse-event table (optional, one row per event)")
    w("")
    w("From a separate CSV or a workbook sheet named like `Adverse events`/`AE`/`Toxicity`.")
    w("")
    w("| Column | Type | Required | Description | Headers also recognised |")
    w("|---|---|---|---|---|")
    for col in schema.AE_COLUMNS:
        synonyms = ", ".join(AE_HEADER_SYNONYMS.get(col.name, ()))
        w(f"| `{col.name}` | {_KIND[col.kind]} | {'yes' if col.required else 'no'} | "
          f"{_cell(col.description)} | {_cell(synonyms)} |")
    w("")
    w("Rows without patient ID or term, or (when read with the cohort) for a patient not in the")
    w("patient table, are excluded and reported; a grade outside 1-5 is left blank and reported.")
    w("")
    return "\n".join(out)
