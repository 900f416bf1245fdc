"""Header matching: map the column headers a centre writes to the canonical schema names.

Headers are compared with `vocab.key` (case, accents, spaces and punctuation ignored), first as
written, then without a bracketed part ("Death (1=yes, 0=no)" -> "Death") and without a
trailing unit or coding word ("Lung metastases yes/no"). Three headers are decided by content:
"Site" (primary site or treating centre), "Death"/"Progression" (an event flag or a date) and
"Response" (the best response or the date of first response).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sarcoma import schema, vocab
from sarcoma.vocab import key

# Canonical name -> header spellings seen in exports (the canonical name itself always matches).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "patient_id": ("patient id", "patient", "patient no", "patient number", "pt", "pt id",
                   "pt no", "id", "subject", "subject id", "study id", "record id", "case",
                   "case id", "case no", "patient code", "code", "pseudonym", "no", "nr",
                   "pasient", "pasient id", "pasientnummer", "pasientnr", "patienten id",
                   "patientennummer", "patient nr", "numero patient", "n patient",
                   "κωδικός ασθενούς", "ασθενής", "α α"),
    "center": ("centre", "center", "institution", "hospital", "clinic", "centre name",
               "center name", "treating centre", "treating center", "institute", "sykehus"),
    "sex": ("sex", "gender", "geschlecht", "kjønn", "φύλο"),
    "age": ("age", "age years", "age at ici", "age at start", "age at ici start",
            "age at treatment", "age at ici initiation", "age yrs", "alter", "alder", "ηλικία"),
    "disease_stage": ("stage", "disease stage", "stage at ici", "extent", "extent of disease",
                      "disease status", "stage at ici start"),
    "histotype": ("histotype", "histology", "histological subtype", "histologic subtype",
                  "subtype", "diagnosis", "tumour type", "tumor type", "sarcoma subtype",
                  "sarcoma type", "histotype group", "histological type", "ιστολογία"),
    "histotype_detail": ("histotype detail", "histology detail", "subtype detail",
                         "detailed histology", "histological subtype detail", "specific subtype"),
    "histotype_original": (),
    "primary_site": ("primary site", "site of primary", "site of primary tumour",
                     "site of primary tumor", "primary tumour site", "primary tumor site",
                     "primary location", "location", "localisation", "localization",
                     "tumour location", "tumor location", "primary tumour location",
                     "primary tumor location", "primary"),
    "met_lung": ("lung metastases", "lung mets", "lung met", "met lung", "mets lung",
                 "pulmonary metastases", "lung metastasis", "metastases lung"),
    "met_liver": ("liver metastases", "liver mets", "liver met", "met liver", "mets liver",
                  "hepatic metastases", "liver metastasis", "metastases liver"),
    "met_other": ("other metastases", "other mets", "other met", "met other", "mets other",
                  "other metastatic sites", "metastases other", "other metastasis"),
    "n_met_sites": ("number of metastatic sites", "no of metastatic sites", "n met sites",
                    "metastatic sites", "n metastatic sites", "number of met sites",
                    "nr of metastatic sites", "met sites"),
    "periop_chemo": ("perioperative chemotherapy", "periop chemo", "perioperative chemo",
                     "adjuvant neoadjuvant chemotherapy", "adjuvant/neoadjuvant chemotherapy",
                     "neo adjuvant chemotherapy", "adjuvant chemotherapy", "adjuvant chemo",
                     "neoadjuvant chemotherapy", "neoadjuvant chemo", "neo adjuvant chemo"),
    "primary_surgery": ("surgery", "primary surgery", "surgery of primary",
                        "surgery of the primary tumour", "surgery of the primary tumor",
                        "surgery of primary tumour", "surgery of primary tumor", "resection"),
    "prior_anthracycline": ("prior anthracycline", "anthracycline", "anthracycline based",
                            "prior anthracyclines", "anthracyclines", "prior doxorubicin"),
    "prior_gemcitabine": ("prior gemcitabine", "gemcitabine", "gemcitabine based",
                          "prior gemcitabine based"),
    "prior_trabectedin": ("prior trabectedin", "trabectedin"),
    "prior_tki": ("prior tki", "tki prior", "previous tki", "prior tkis"),
    "prior_other": ("prior other", "other prior therapy", "other prior therapies",
                    "prior other therapy", "other prior systemic therapy"),
    "prior_lines": ("prior lines", "number of prior lines", "n prior lines", "no of prior lines",
                    "previous lines", "prior systemic lines", "lines before ici",
                    "prior lines of therapy", "number of previous lines", "prior treatment lines",
                    "prior lines of systemic therapy", "nr of prior lines"),
    "line_of_therapy": ("line of therapy", "line", "treatment line", "ici line",
                        "line of treatment", "lot", "therapy line", "line of ici"),
    "regimen": ("regimen", "treatment", "ici regimen", "therapy", "drug", "drugs",
                "immunotherapy", "ici", "ici treatment", "immunotherapy regimen", "agent",
                "ici therapy", "ici drug", "ici drugs", "behandling"),
    "regimen_class": ("regimen class", "regimen type", "treatment class", "ici type",
                      "combination type", "regimen group", "treatment type", "regimen category",
                      "ici class"),
    "treatment_start": ("treatment start", "start date", "ici start", "date of ici start",
                        "start of ici", "start of treatment", "treatment start date",
                        "ici start date", "date of treatment initiation", "initiation date",
                        "date start", "date of start", "start", "ici initiation",
                        "date of ici initiation", "first dose", "date of first dose"),
    "progression_date": ("progression date", "date of progression", "pd date", "date pd",
                         "date of pd", "first progression date", "date of first progression",
                         "progression dt"),
    "death_date": ("death date", "date of death", "dod", "died on", "date died"),
    "last_follow_up": ("last follow up", "last followup", "last fu", "date of last follow up",
                       "last contact", "last visit", "date last seen", "last seen",
                       "date last known alive", "lfu", "follow up date", "last follow up date",
                       "date of last contact", "last known alive"),
    "pfs_months": ("pfs", "pfs months", "pfs mo", "pfs mos", "pfs m", "pfs time",
                   "progression free survival", "progression free survival months",
                   "pfs duration", "pfs in months", "time to progression or death"),
    "pfs_event": ("pfs event", "progression", "pd event", "progressed", "pfs status",
                  "progression event", "event pfs", "progression status", "pd yes no",
                  "pfs event 1 0", "progression or death"),
    "os_months": ("os", "os months", "os mo", "os mos", "os m", "os time", "overall survival",
                  "overall survival months", "os duration", "os in months", "survival months",
                  "survival time"),
    "os_event": ("os event", "death", "dead", "status", "vital status", "deceased", "os status",
                 "died", "event os", "death event", "alive dead", "alive or dead"),
    "best_response": ("best response", "bor", "recist", "best overall response", "response",
                      "best recist response", "recist response", "best response recist",
                      "best response to ici", "recist 1 1", "best response recist 1 1"),
    "best_pct_change": ("best pct change", "best % change", "best percent change",
                        "best percentage change", "max shrinkage", "maximum shrinkage",
                        "best change", "percent change", "best change in target lesions",
                        "waterfall", "best change from baseline", "change in sum of diameters"),
    "response_date": ("response date", "date of response", "date of first response",
                      "first response date", "date of best response", "best response date",
                      "cr pr date", "date of cr pr", "date of first cr pr",
                      "date of objective response", "objective response date", "response dt"),
    "on_treatment": ("on treatment", "ongoing", "still on treatment", "on ici",
                     "treatment ongoing", "ongoing treatment", "still on ici"),
    "treatment_end": ("treatment end", "treatment end date", "end of treatment", "end of treatment date",
                      "date of end of treatment", "end of ici", "ici end", "ici end date", "date of ici end",
                      "last dose", "date of last dose", "last dose date", "last ici dose", "date of last ici dose",
                      "last dose of ici", "date of discontinuation", "discontinuation date",
                      "date of treatment discontinuation", "treatment discontinuation date", "treatment stop date",
                      "stop date", "date stopped", "off treatment date", "eot", "eot date",
                      "therapieende", "behandlungsende", "letzte gabe", "datum letzte gabe", "letzte dosis",
                      "behandlingsslutt", "siste dose", "dato siste dose", "slutt behandling",
                      "fin de traitement", "date de fin de traitement", "derniere dose", "date de derniere dose",
                      "λήξη θεραπείας", "τέλος θεραπείας", "τελευταία δόση", "ημερομηνία τελευταίας δόσης"),
    "discontinuation_reason": ("discontinuation reason", "reason for discontinuation",
                               "reason stopped", "reason off treatment", "stop reason",
                               "reason for stopping", "discontinuation", "reason for stop",
                               "reason for end of treatment", "off treatment reason"),
    "any_ae": ("any ae", "ae", "adverse event", "adverse events", "any adverse event", "irae",
               "trae", "any trae", "any irae", "toxicity", "ae yes no"),
    "max_ae_grade": ("max ae grade", "ae grade", "max grade", "highest ae grade", "worst grade",
                     "ctcae grade", "grade", "maximum ae grade", "max ctcae grade",
                     "highest grade"),
    "ae_delay": ("ae delay", "delay due to ae", "treatment delay", "delay",
                 "ae led to delay", "delay due to toxicity", "treatment delay due to ae"),
    "ae_discontinuation": ("ae discontinuation", "discontinuation due to ae",
                           "ae led to discontinuation", "stopped for toxicity",
                           "discontinued due to ae", "discontinuation due to toxicity"),
    "pdl1": ("pd l1", "pdl1", "pd l1 status", "pd l1 value", "pd l1 expression", "pd l1 cps",
             "pd l1 tps"),
    "tmb": ("tmb", "tumour mutational burden", "tumor mutational burden", "tmb value",
            "tmb mut mb", "mutational burden"),
    "msi": ("msi", "msi status", "microsatellite status", "microsatellite instability",
            "mmr msi", "msi mmr"),
}
AE_HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "patient_id": HEADER_SYNONYMS["patient_id"],
    "term": ("term", "ae", "adverse event", "event", "ae term", "ctcae term", "toxicity",
             "description", "irae", "adverse event term"),
    "grade": ("grade", "ctcae grade", "ae grade", "severity", "toxicity grade"),
    "led_to_delay": ("led to delay", "delay", "treatment delay", "ae delay", "delayed"),
    "led_to_discontinuation": ("led to discontinuation", "discontinuation", "discontinued",
                               "ae discontinuation", "permanent discontinuation", "stopped"),
}
assert set(HEADER_SYNONYMS) == set(schema.COLUMN_NAMES)
assert set(AE_HEADER_SYNONYMS) == {c.name for c in schema.AE_COLUMNS}

# Headers decided by their values: key -> alternatives tried in order.
_SITE_KEYS = frozenset({key("site"), key("tumour site"), key("tumor site")})
# A header read as the first name but holding dates is the second ("Death" with dates is the
# death date, "Response" with dates the date of first response).
_EVENT_OR_DATE = {"pfs_event": "progression_date", "os_event": "death_date", "best_response": "response_date"}
# Time columns may be written in other units; the header tells which (factor to months).
_TIME_UNITS: tuple[tuple[re.Pattern[str], float, str], ...] = (
    (re.compile(r"\b(days?|d|dager|tage|jours|giorni|ημέρες|ημερες)\b"), 1 / schema.DAYS_PER_MONTH, "days"),
    (re.compile(r"\b(weeks?|wks?|w)\b"), 7 / schema.DAYS_PER_MONTH, "weeks"),
    (re.compile(r"\b(years?|yrs?|y)\b"), 12.0, "years"),
)
_TRAILING_CODING = re.compile(
    r"(yesno|janei|neinai|1yes0no|0no1yes|10|01|months|month|mos|days|weeks|wks|years|yrs|"
    r"date|ddmmyyyy|yyyymmdd|percent|pct)$"
)
_BRACKETS = re.compile(r"[\(\[\{].*?[\)\]\}]")


def _lookup(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in table:
        out.setdefault(key(name), name)
    for name, spellings in table.items():
        for s in spellings:
            out.setdefault(key(s), name)
    return out


PATIENT_LOOKUP = _lookup(HEADER_SYNONYMS)
AE_LOOKUP = _lookup(AE_HEADER_SYNONYMS)


def candidate_keys(header: str) -> list[str]:
    """Keys to try for one header, most literal first."""
    full = key(header)
    no_brackets = key(_BRACKETS.sub(" ", header))
    out = [full, no_brackets]
    for k in (full, no_brackets):
        stripped = _TRAILING_CODING.sub("", k)
        if stripped and stripped != k:
            out.append(stripped)
    return [k for i, k in enumerate(out) if k and k not in out[:i]]


def match_one(header: str, lookup: Mapping[str, str]) -> str | None:
    """Canonical name for one header, or None."""
    for k in candidate_keys(header):
        if k in lookup:
            return lookup[k]
    if set(candidate_keys(header)) & _SITE_KEYS and lookup is PATIENT_LOOKUP:
        return "primary_site"
    return None


def header_score(cells: Sequence[str], lookup: Mapping[str, str] = PATIENT_LOOKUP) -> int:
    """How many cells of a row look like known headers (to find the header row)."""
    return sum(1 for c in cells if c.strip() and match_one(c, lookup) is not None)


def time_unit(header: str) -> tuple[float, str]:
    """Factor that converts a PFS/OS time column to months, from units named in its header."""
    text = vocab.words(header)
    for pattern, factor, name in _TIME_UNITS:
        if pattern.search(text):
            return factor, name
    return 1.0, "months"


@dataclass
class HeaderMatch:
    """Result of matching: column position -> canonical name, plus what was left over."""

    mapping: dict[int, str] = field(default_factory=dict)
    unmatched: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def describe(header: Sequence[str], index: int) -> str:
    """A header as the user knows it; unnamed columns get their spreadsheet letter."""
    name = header[index].strip()
    return name if name else f"(unnamed column {column_letter(index)})"


def column_letter(index: int) -> str:
    """0 -> 'A', 26 -> 'AA', as in Excel."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def match_headers(
    header: Sequence[str],
    *,
    lookup: Mapping[str, str],
    valid_names: Iterable[str],
    column_map: Mapping[str, str | None] | None,
    looks_like_dates: Mapping[int, bool],
    looks_like_sites: Mapping[int, bool],
    empty_columns: set[int],
) -> HeaderMatch:
    """Assign canonical names to header positions.

    `column_map` ({"source header": "canonical_name" or None to ignore}) wins over synonyms.
    The first header to claim a canonical name keeps it; later claimants are reported, except
    that a second histotype column becomes histotype_detail ("Histology" + "Subtype").
    """
    valid = set(valid_names)
    result = HeaderMatch()
    claimed: dict[str, int] = {}
    manual: dict[int, str | None] = {}
    for source, target in (column_map or {}).items():
        if target is not None and target not in valid:
            raise ValueError(
                f"Column mapping: '{target}' is not a column name this tool knows. "
                f"Choose one of: {', '.join(sorted(valid))}."
            )
        hits = [i for i, h in enumerate(header) if h == source] or [
            i for i, h in enumerate(header) if key(h) == key(source) and key(source)
        ]
        if not hits:
            shown = ", ".join(f"'{describe(header, i)}'" for i in range(len(header)))
            raise ValueError(
                f"Column mapping: the file has no column headed '{source}'. "
                f"The headers are: {shown}."
            )
        manual[hits[0]] = target
        if target is not None:
            claimed[target] = hits[0]
            result.mapping[hits[0]] = target

    for i, h in enumerate(header):
        if i in manual:
            continue
        if not h.strip():
            if i not in empty_columns:
                result.unmatched.append(i)
            continue
        name = match_one(h, lookup)
        if name is None:
            result.unmatched.append(i)
            continue
        name = _refine(name, h, looks_like_dates.get(i, False), looks_like_sites.get(i, True))
        if name in claimed:
            if name == "histotype" and "histotype_detail" not in claimed:
                name = "histotype_detail"
            else:
                result.warnings.append(
                    f"Two columns look like '{name}': used '{describe(header, claimed[name])}' "
                    f"and ignored '{describe(header, i)}'. Map them by hand if that is wrong."
                )
                result.unmatched.append(i)
                continue
        claimed[name] = i
        result.mapping[i] = name
    return result


def _refine(name: str, header: str, dates: bool, sites: bool) -> str:
    """Content decides the ambiguous headers (see module docstring)."""
    if name in _EVENT_OR_DATE and dates:
        return _EVENT_OR_DATE[name]
    if name == "primary_site" and set(candidate_keys(header)) & _SITE_KEYS and not sites:
        return "center"
    return name


def suggestions(missing: str, header: Sequence[str], unmatched: Sequence[int]) -> list[str]:
    """Unmatched headers that might be the missing column (closest spellings first)."""
    names = {key(header[i]): describe(header, i) for i in unmatched if header[i].strip()}
    targets = [key(missing), *(key(s) for s in HEADER_SYNONYMS.get(missing, ()))]
    found: list[str] = []
    for t in targets:
        for k in difflib.get_close_matches(t, list(names), n=3, cutoff=0.6):
            if names[k] not in found:
                found.append(names[k])
    return found[:3]
