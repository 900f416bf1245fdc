"""Canonical cohort schema: one row per patient, snake_case columns.

This module is the contract between `ingest` (which produces it), `filters`, the statistics
modules and the pages (which consume it). Only names and controlled vocabularies live here;
reading and cleaning live in `ingest`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Days per month used whenever months are derived from dates (365.25 / 12), as SPSS/R users do.
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "str", "category", "int", "float", "bool", "event", "date"
    required: bool
    description: str
    allowed: tuple[str, ...] = ()


# Controlled vocabularies (display labels; the seed's groups and wording).
HISTOTYPES: tuple[str, ...] = (
    "UPS",
    "LMS",
    "LPS",
    "Angiosarcoma",
    "Kaposi sarcoma",
    "Undifferentiated sarcoma",
    "ASPS",
    "Myxofibrosarcoma",
    "Other",
)
REGIMEN_CLASSES: tuple[str, ...] = (
    "ICI monotherapy",
    "Double ICI",
    "ICI + TKI",
    "ICI + chemotherapy",
)
BEST_RESPONSES: tuple[str, ...] = ("CR", "PR", "SD", "PD", "NE")
EVALUABLE_RESPONSES: tuple[str, ...] = ("CR", "PR", "SD", "PD")
SEXES: tuple[str, ...] = ("Male", "Female")
STAGES: tuple[str, ...] = ("Metastatic", "Locally advanced")
PRIMARY_SITES: tuple[str, ...] = (
    "Extremities",
    "Trunk",
    "Retroperitoneum",
    "Head and neck",
    "Uterus",
    "Spermatic cord",
    "Other",
)
DISCONTINUATION_REASONS: tuple[str, ...] = (
    "Progression",
    "Toxicity",
    "Death",
    "Treatment completed",
    "Patient preference",
    "Other",
)

COLUMNS: tuple[Column, ...] = (
    Column("patient_id", "str", True, "Unique patient identifier (pseudonymised)."),
    Column("center", "str", False, "Treating centre."),
    Column("sex", "category", False, "Sex.", SEXES),
    Column("age", "float", False, "Age in years at ICI start."),
    Column("disease_stage", "category", False, "Disease stage at ICI start.", STAGES),
    Column("histotype", "category", True, "Histotype group (controlled vocabulary).", HISTOTYPES),
    Column("histotype_detail", "str", False, "Finer histotype, e.g. 'uterine LMS', 'DDLPS', 'Chordoma'."),
    Column("histotype_original", "str", False, "Histotype label exactly as written in the source file (kept by ingest)."),
    Column("primary_site", "category", False, "Site of the primary tumour.", PRIMARY_SITES),
    Column("met_lung", "bool", False, "Lung metastases."),
    Column("met_liver", "bool", False, "Liver metastases."),
    Column("met_other", "bool", False, "Metastases at other sites."),
    Column("n_met_sites", "int", False, "Number of metastatic sites."),
    Column("periop_chemo", "bool", False, "Adjuvant or neoadjuvant chemotherapy."),
    Column("primary_surgery", "bool", False, "Surgery of the primary tumour."),
    Column("prior_anthracycline", "bool", False, "Prior anthracycline-based therapy."),
    Column("prior_gemcitabine", "bool", False, "Prior gemcitabine-based therapy."),
    Column("prior_trabectedin", "bool", False, "Prior trabectedin."),
    Column("prior_tki", "bool", False, "Prior tyrosine kinase inhibitor."),
    Column("prior_other", "bool", False, "Other prior systemic therapy."),
    Column("prior_lines", "int", True, "Prior lines of systemic therapy for advanced disease (ICI line = prior_lines + 1)."),
    Column("line_of_therapy", "int", False, "Line at which ICI was given (derived: prior_lines + 1)."),
    Column("regimen", "str", True, "ICI regimen, e.g. 'pembrolizumab + axitinib'."),
    Column("regimen_class", "category", True, "Regimen class (derived from regimen when absent).", REGIMEN_CLASSES),
    Column("treatment_start", "date", False, "Date ICI started."),
    Column("progression_date", "date", False, "Date of first progression."),
    Column("death_date", "date", False, "Date of death."),
    Column("last_follow_up", "date", False, "Date last known alive."),
    Column("pfs_months", "float", True, "Progression-free survival time in months from ICI start."),
    Column("pfs_event", "event", True, "1 = progression or death, 0 = censored."),
    Column("os_months", "float", True, "Overall survival time in months from ICI start."),
    Column("os_event", "event", True, "1 = death, 0 = censored (alive at last follow-up)."),
    Column("best_response", "category", False, "Best overall response by RECIST 1.1.", BEST_RESPONSES),
    Column("best_pct_change", "float", False, "Best percentage change of target-lesion sum (negative = shrinkage)."),
    Column("response_date", "date", False, "Date of first documented CR or PR (RECIST); blank for non-responders."),
    Column("on_treatment", "bool", False, "Still on ICI at data cut-off."),
    Column("treatment_end", "date", False,
           "Date of the last ICI dose or of permanent discontinuation, for any reason; blank while on treatment."),
    Column("discontinuation_reason", "category", False, "Why ICI was stopped.", DISCONTINUATION_REASONS),
    Column("any_ae", "bool", False, "Any treatment-related adverse event."),
    Column("max_ae_grade", "int", False, "Highest CTCAE grade of any AE (0 if none)."),
    Column("ae_delay", "bool", False, "AE led to treatment delay."),
    Column("ae_discontinuation", "bool", False, "AE led to permanent discontinuation."),
    Column("pdl1", "str", False, "PD-L1 result as reported (e.g. '20%', 'TC <1%, IC = 1%')."),
    Column("tmb", "float", False, "Tumour mutational burden, mutations/Mb."),
    Column("msi", "category", False, "Microsatellite status.", ("High", "Low")),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}

# Optional second table: one row per adverse event.
AE_COLUMNS: tuple[Column, ...] = (
    Column("patient_id", "str", True, "Patient the event belongs to."),
    Column("term", "str", True, "Adverse event term (CTCAE)."),
    Column("grade", "int", True, "CTCAE grade 1-5."),
    Column("led_to_delay", "bool", False, "Event led to treatment delay."),
    Column("led_to_discontinuation", "bool", False, "Event led to permanent discontinuation."),
)

ENDPOINTS: dict[str, tuple[str, str]] = {
    "PFS": ("pfs_months", "pfs_event"),
    "OS": ("os_months", "os_event"),
}
