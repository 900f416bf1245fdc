"""The 72-patient synthetic sample cohort that reproduces the seed paper's tables.

The seed study (Kokkali et al., Acta Oncologica 2025: 72 patients with advanced sarcoma treated
with immune checkpoint inhibitors at 10 European centres, analysed in SPSS) published only
aggregate tables. This module builds one patient-level cohort whose counts match those tables
exactly and whose Kaplan-Meier medians and log-rank directions come close to the published ones.
Every patient here is invented.

How it is built: `_structure` lays out the categorical data under the published counts (some
choices drawn with a seeded generator), and `_survival` turns three standard normal draws per
patient into PFS/OS times through a simple lognormal model. Each patient has its own random
stream, so `sarcoma.synthetic_search` could pick, patient by patient, the draws whose KM medians
and log-rank results come closest to the paper. The result is frozen in `SEED` and `DRAWS`:
`build_seed_cohort()` rebuilds the committed files bit for bit in well under a second, and the
search only needs re-running if this module's model changes.

Choices where the paper is silent or contradicts itself are listed in sample_data/README.md.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.special import ndtr as norm_cdf

from sarcoma.schema import AE_COLUMNS, COLUMN_NAMES, DAYS_PER_MONTH

# The frozen result of `sarcoma.synthetic_search.search()` (python -m sarcoma.synthetic_search):
# the structure seed and, per patient, which draw of its survival-time stream is used. Changing
# either, or the model below, changes the sample files; tests/test_sample_data.py then says
# whether the new cohort still matches the paper.
SEED = 36
DRAWS: tuple[int, ...] = (
    305, 302, 305, 294, 186, 246, 306, 244, 279, 289, 304, 301, 303, 302, 135, 304, 300, 302,
    304, 304, 303, 302, 297, 305, 38, 295, 305, 304, 15, 279, 304, 304, 289, 254, 303, 284, 291,
    300, 298, 304, 244, 295, 296, 287, 290, 304, 306, 305, 302, 304, 302, 271, 301, 302, 293,
    302, 304, 304, 301, 302, 295, 302, 303, 301, 272, 297, 303, 298, 304, 305, 304, 277,
)

N_PATIENTS = 72
# Treatment started between May 2018 and June 2024 (seed paper, Methods); the data cut-off is ours.
FIRST_START = dt.date(2018, 5, 1)
LAST_START = dt.date(2024, 6, 30)
DATA_CUTOFF = dt.date(2024, 10, 31)

CENTRES: tuple[str, ...] = tuple(f"Centre {c} (synthetic)" for c in "ABCDEFGHIJ")
# The sample has every canonical column. The seed paper reports neither response dates nor
# treatment end dates; both are drawn (see `_response_dynamics`) consistently with the published
# discontinuation counts and the other dates, from a random stream of their own, so adding them
# left every other value of the sample unchanged.
SAMPLE_COLUMNS: tuple[str, ...] = COLUMN_NAMES
# Label of the random stream of the response and treatment end dates (issue 14 added them).
DYNAMICS_STREAM = 14

# (histotype, histotype_detail, label as a centre might write it, primary site, n).
# Sites are spread so that Table 1's site counts hold and each histotype sits where it usually
# arises (uterine LMS in the uterus, DDLPS in the retroperitoneum, scalp angiosarcoma in the head
# and neck, ...).
_HISTO_SITES: tuple[tuple[str, str, str, str, int], ...] = (
    ("UPS", "UPS", "Undifferentiated pleomorphic sarcoma", "Extremities", 4),
    ("UPS", "UPS", "Undifferentiated pleomorphic sarcoma", "Trunk", 6),
    ("UPS", "UPS", "Undifferentiated pleomorphic sarcoma", "Retroperitoneum", 1),
    ("UPS", "UPS", "Undifferentiated pleomorphic sarcoma", "Head and neck", 1),
    ("LMS", "uterine LMS", "Uterine leiomyosarcoma", "Uterus", 5),
    ("LMS", "non-uterine LMS", "Leiomyosarcoma", "Retroperitoneum", 4),
    ("LMS", "non-uterine LMS", "Leiomyosarcoma", "Extremities", 2),
    ("LMS", "non-uterine LMS", "Leiomyosarcoma", "Trunk", 1),
    ("LPS", "DDLPS", "Dedifferentiated liposarcoma", "Retroperitoneum", 6),
    ("LPS", "DDLPS", "Dedifferentiated liposarcoma", "Spermatic cord", 1),
    ("LPS", "myxoid LPS", "Myxoid liposarcoma", "Extremities", 2),
    ("LPS", "pleomorphic LPS", "Pleomorphic liposarcoma", "Extremities", 1),
    ("Angiosarcoma", "Angiosarcoma", "Cutaneous angiosarcoma of the scalp", "Head and neck", 4),
    ("Angiosarcoma", "Angiosarcoma", "Radiation-associated angiosarcoma of the breast", "Trunk", 3),
    ("Kaposi sarcoma", "Kaposi sarcoma", "Classic Kaposi sarcoma", "Extremities", 4),
    ("Undifferentiated sarcoma", "Undifferentiated sarcoma", "Undifferentiated uterine sarcoma", "Uterus", 1),
    ("Undifferentiated sarcoma", "Undifferentiated sarcoma", "Undifferentiated sarcoma NOS", "Head and neck", 1),
    ("Undifferentiated sarcoma", "Undifferentiated sarcoma", "Undifferentiated sarcoma NOS", "Trunk", 1),
    ("ASPS", "ASPS", "Alveolar soft part sarcoma", "Extremities", 3),
    ("Myxofibrosarcoma", "Myxofibrosarcoma", "Myxofibrosarcoma", "Extremities", 2),
    ("Myxofibrosarcoma", "Myxofibrosarcoma", "Myxofibrosarcoma", "Trunk", 1),
    # Table 1, footnote 1: the 18 "Other" histotypes.
    ("Other", "Chordoma", "Clival chordoma", "Head and neck", 1),
    ("Other", "Chordoma", "Sacral chordoma", "Trunk", 1),
    ("Other", "Epithelioid sarcoma", "Epithelioid sarcoma", "Extremities", 2),
    ("Other", "Fibrosarcoma", "Fibrosarcoma", "Extremities", 1),
    ("Other", "Fibrosarcoma", "Fibrosarcoma", "Trunk", 1),
    ("Other", "Pleomorphic dermal sarcoma", "Pleomorphic dermal sarcoma", "Head and neck", 2),
    ("Other", "Rhabdomyosarcoma", "Rhabdomyosarcoma", "Head and neck", 1),
    ("Other", "Rhabdomyosarcoma", "Rhabdomyosarcoma", "Extremities", 1),
    ("Other", "Clear cell sarcoma-like tumour of the GI tract", "Clear cell sarcoma-like tumour of the gastrointestinal tract", "Retroperitoneum", 1),
    ("Other", "Dedifferentiated chondrosarcoma", "Dedifferentiated chondrosarcoma", "Trunk", 1),
    ("Other", "Desmoplastic small round cell tumour", "Desmoplastic small round cell tumour", "Retroperitoneum", 1),
    ("Other", "Fibromyxoid sarcoma", "Low-grade fibromyxoid sarcoma", "Trunk", 1),
    ("Other", "Intimal sarcoma of the heart", "Intimal sarcoma of the heart", "Trunk", 1),
    ("Other", "Malignant granular cell tumour", "Malignant granular cell tumour", "Trunk", 1),
    ("Other", "MPNST", "Malignant peripheral nerve sheath tumour", "Retroperitoneum", 1),
    ("Other", "Synovial sarcoma", "Synovial sarcoma", "Extremities", 1),
)

# Table 3, row by row: (best response, histotype_detail, regimen, PD-L1, TMB, MSI).
# Regimens are not in Table 3; they are placed so that Table 4's counts per regimen class hold
# (monotherapy CR2 PR10, double ICI PR2, ICI + TKI CR1 PR6, ICI + chemotherapy PR1).
_RESPONDERS: tuple[tuple[str, str, str, str | None, float | None, str | None], ...] = (
    ("CR", "Undifferentiated sarcoma", "pembrolizumab", None, None, "High"),
    ("CR", "UPS", "pembrolizumab", None, None, None),
    ("CR", "UPS", "pembrolizumab + axitinib", None, None, None),
    ("PR", "DDLPS", "nivolumab + ipilimumab", None, None, None),
    ("PR", "UPS", "pembrolizumab", None, None, None),
    ("PR", "Angiosarcoma", "nivolumab + cabozantinib", None, None, None),
    ("PR", "UPS", "pembrolizumab", "20%", None, None),
    ("PR", "non-uterine LMS", "pembrolizumab + axitinib", None, None, None),
    ("PR", "Angiosarcoma", "pembrolizumab", None, 8.9, None),
    ("PR", "Pleomorphic dermal sarcoma", "pembrolizumab", ">95%", 38.8, None),
    ("PR", "DDLPS", "nivolumab + ipilimumab", None, None, None),
    ("PR", "Dedifferentiated chondrosarcoma", "nivolumab", None, 1.4, None),
    ("PR", "UPS", "nivolumab", None, None, None),
    ("PR", "DDLPS", "pembrolizumab", "TC <1%, IC = 1%", 13.4, "Low"),
    ("PR", "ASPS", "pembrolizumab + axitinib", None, 0.0, "Low"),
    ("PR", "Myxofibrosarcoma", "pembrolizumab", None, None, None),
    ("PR", "non-uterine LMS", "nivolumab", None, None, "High"),
    ("PR", "UPS", "pembrolizumab + axitinib", None, None, None),
    ("PR", "uterine LMS", "nivolumab + gemcitabine + docetaxel", None, None, None),
    ("PR", "UPS", "pembrolizumab + axitinib", None, None, None),
    ("PR", "Kaposi sarcoma", "pembrolizumab", None, None, None),
    ("PR", "non-uterine LMS", "nivolumab + sunitinib", "0%", None, "Low"),
)

REGIMEN_CLASS: dict[str, str] = {
    "pembrolizumab": "ICI monotherapy",
    "nivolumab": "ICI monotherapy",
    "atezolizumab": "ICI monotherapy",
    "nivolumab + ipilimumab": "Double ICI",
    "pembrolizumab + axitinib": "ICI + TKI",
    "nivolumab + cabozantinib": "ICI + TKI",
    "nivolumab + sunitinib": "ICI + TKI",
    "atezolizumab + pazopanib": "ICI + TKI",
    "atezolizumab + eribulin": "ICI + chemotherapy",
    "nivolumab + ifosfamide": "ICI + chemotherapy",
    "nivolumab + gemcitabine + docetaxel": "ICI + chemotherapy",
}
# Regimens of the whole cohort (seed, Results, "Patients' characteristics"). The paper names 42
# monotherapy agents for 43 patients; the 43rd is atezolizumab here (the ICI approved for ASPS).
REGIMEN_COUNTS: dict[str, int] = {
    "pembrolizumab": 27,
    "nivolumab": 15,
    "atezolizumab": 1,
    "pembrolizumab + axitinib": 12,
    "nivolumab + cabozantinib": 7,
    "nivolumab + sunitinib": 1,
    "atezolizumab + pazopanib": 1,
    "nivolumab + ipilimumab": 5,
    "atezolizumab + eribulin": 1,
    "nivolumab + ifosfamide": 1,
    "nivolumab + gemcitabine + docetaxel": 1,
}
# Best response of the non-responders per regimen class: Table 4's rows minus the responders.
_NONRESPONDER_BR: dict[str, dict[str, int]] = {
    "ICI monotherapy": {"SD": 10, "PD": 19, "NE": 2},
    "Double ICI": {"SD": 2, "PD": 1},
    "ICI + TKI": {"SD": 5, "PD": 3, "NE": 6},
    "ICI + chemotherapy": {"SD": 2},
}
# Non-responder regimens placed by histotype (the rest are shuffled): ASPS got atezolizumab or
# axitinib combinations, angiosarcoma cabozantinib (Alliance A091902), eribulin is an LPS drug and
# ifosfamide a synovial sarcoma drug.
_NONRESPONDER_FIXED: tuple[tuple[str, str], ...] = (
    ("ASPS", "atezolizumab"),
    ("ASPS", "pembrolizumab + axitinib"),
    ("Angiosarcoma", "nivolumab + cabozantinib"),
    ("Angiosarcoma", "nivolumab + cabozantinib"),
    ("Angiosarcoma", "nivolumab + cabozantinib"),
    ("myxoid LPS", "atezolizumab + eribulin"),
    ("Synovial sarcoma", "nivolumab + ifosfamide"),
    ("Kaposi sarcoma", "pembrolizumab"),
    ("Kaposi sarcoma", "pembrolizumab"),
    ("Kaposi sarcoma", "pembrolizumab"),
)

# Discontinuation by best response. Totals are the seed's (15 on treatment; progression 43,
# toxicity 7, death 4, completed 2, preference 1). "Clinical progression" is a progression
# discontinuation without radiological progression (see `_survival`).
_DISCONTINUATION_BY_BR: dict[str, dict[str, int]] = {
    "CR": {"On treatment": 2, "Treatment completed": 1},
    "PR": {"On treatment": 7, "Treatment completed": 1, "Patient preference": 1, "Toxicity": 3, "Progression": 7},
    "SD": {"On treatment": 4, "Toxicity": 2, "Death": 1, "Progression": 12},
    "PD": {"Progression": 23},
    "NE": {"On treatment": 2, "Toxicity": 2, "Death": 3, "Clinical progression": 1},
}

# Metastatic pattern of the 63 metastatic patients: (lung, liver, other, n_met_sites, n patients).
# n_met_sites counts organ sites, and "other" may hold more than one (bone, nodes, peritoneum), so
# n_met_sites can exceed the number of flags. Gives lung 39, liver 11, other 41, median 2, range 1-4.
_MET_PATTERNS: tuple[tuple[bool, bool, bool, int, int], ...] = (
    (True, False, False, 1, 17),
    (False, True, False, 1, 2),
    (False, False, True, 1, 12),
    (True, False, True, 2, 9),
    (True, True, False, 2, 3),
    (False, False, True, 2, 8),
    (False, True, True, 2, 2),
    (True, True, True, 3, 3),
    (True, False, True, 3, 4),
    (True, True, True, 4, 1),
    (True, False, True, 4, 2),
)

# Prior lines (Table 1: median 2, range 0-8; 28 patients had ICI as 1st/2nd line, i.e. 0-1 prior).
_PRIOR_LINES_LOW: dict[int, int] = {0: 10, 1: 18}
_PRIOR_LINES_HIGH: dict[int, int] = {2: 14, 3: 12, 4: 8, 5: 5, 6: 2, 7: 2, 8: 1}
# Prior systemic therapies (Table 1).
PRIOR_THERAPY_COUNTS: dict[str, int] = {
    "prior_anthracycline": 45,
    "prior_gemcitabine": 22,
    "prior_trabectedin": 18,
    "prior_tki": 18,
    "prior_other": 37,
}

# Adverse events named in the seed's toxicity paragraph: (term, grade, delay, discontinuation).
# The five grade 3 events are the five grade 3-4 AEs in five patients; encephalitis, colitis and
# memory impairment appear in both lists, so they are one event that delayed and then stopped ICI.
_AE_DELAY_ONLY: tuple[tuple[str, int], ...] = (
    ("Adrenal insufficiency", 2),
    ("Oral mucositis", 2),
    ("Diarrhoea", 2),
    ("Cushing's syndrome", 2),
)
_AE_DISCONTINUATION: tuple[tuple[str, int, bool], ...] = (
    ("Immune-mediated encephalitis (suspected)", 3, True),
    ("Colitis", 3, True),
    ("Memory impairment", 3, True),
    ("Cellulitis-like skin disorder (suspected)", 2, False),
    ("Pneumonitis", 3, False),
    ("Myositis", 3, False),
)
# Common grade 1-2 immune-related and TKI events for the remaining AEs (36 in all, 24 patients).
_AE_MINOR_TERMS: tuple[str, ...] = (
    "Fatigue",
    "Rash maculo-papular",
    "Pruritus",
    "Hypothyroidism",
    "Hyperthyroidism",
    "Arthralgia",
    "Nausea",
    "ALT increased",
    "Anorexia",
    "Hypertension",
    "Palmar-plantar erythrodysaesthesia",
    "Infusion-related reaction",
    "Dry mouth",
    "Vitiligo",
)
N_AE_PATIENTS = 24
N_AE_EVENTS = 36

# Weights and medians (months) of the generating model, tuned by hand so that random draws land
# near the paper; `sarcoma.synthetic_search` then picks the draws.
MODEL: dict = {
    # Cutaneous head and neck primaries respond more often (seed, Discussion).
    "resp_w_head_neck": 5.0,
    # Weight of progression/death among patients with the same best response, by histotype.
    "progress_w": {"UPS": 5.0, "Angiosarcoma": 5.0, "LPS": 1.0},
    "line_w_resp": 1.6,  # weight of a responder being among the 28 first/second-line patients
    "line_w_sd": 1.2,
    "line_w_pd": 0.7,
    "ae_w_resp": 1.2,  # weight of a responder (longer exposure) among the grade 1-2 AE patients
    "ae_w_sd": 1.1,
    "pfs_pd": 1.9,  # PFS of best response PD: the first scan
    "pfs_sd": 4.5,
    "pfs_resp": 10.0,
    "pfs_resp_sigma": 0.8,
    "pfs_line_low": 1.2,
    "pfs_line_high": 0.7,
    "pfs_head_neck": 2.5,
    # Post-progression survival by histotype: the seed found histotype associated with OS
    # (LPS 49.2 > LMS 18.8 > UPS 7.0 > angiosarcoma 5.4 months) but not with PFS.
    "pps": {"LPS": 10.0, "LMS": 5.0, "UPS": 1.5, "Angiosarcoma": 1.0, "Kaposi sarcoma": 8.0, "ASPS": 12.0},
    "pps_default": 2.0,
    "pps_line_low": 4.0,
    "pps_line_high": 0.7,
    "pps_resp": 2.0,
    "fu_on_resp": 12.0,  # follow-up of responders still on treatment
    "fu_tox": 12.0,  # follow-up of patients who stopped for toxicity
}

# Biomarker profiles of the 15 non-responders with any biomarker result: (PD-L1, TMB, MSI).
# With Table 3's nine responders with data this gives 24 patients with a biomarker, MSI-high 2,
# PD-L1 >= 1% in 11, TMB > 10 in 6 of 17 tested and 17 patients positive for at least one.
_NONRESPONDER_BIOMARKERS: tuple[tuple[str | None, float | None, str | None], ...] = (
    ("1%", 1.2, "Low"),
    ("2%", 2.5, None),
    ("5%", 3.8, "Low"),
    ("10%", 4.4, None),
    ("25%", 6.1, "Low"),
    ("40%", None, None),
    ("60%", None, "Low"),
    ("80%", None, None),
    ("0%", 10.5, "Low"),
    ("0%", 12.3, None),
    (None, 17.0, "Low"),
    (None, 24.6, None),
    ("0%", 0.8, "Low"),
    ("<1%", 2.0, None),
    (None, 5.2, "Low"),
)


def _expand_counts(counts: dict, rng: np.random.Generator | None = None) -> list:
    items = [k for k, n in counts.items() for _ in range(n)]
    if rng is not None:
        rng.shuffle(items)
    return items


def _pick(rng: np.random.Generator, candidates: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """k distinct indices from `candidates`, optionally weighted."""
    if k > len(candidates):
        raise RuntimeError(f"Cannot pick {k} of {len(candidates)} candidates.")
    p = None
    if weights is not None:
        p = np.asarray(weights, dtype=float)
        p = p / p.sum()
    return np.sort(rng.choice(candidates, size=k, replace=False, p=p))


def _structure(rng: np.random.Generator) -> pd.DataFrame:
    """Everything but the survival times and dates, under the seed's published counts."""
    rows = [(h, d, o, s) for h, d, o, s, n in _HISTO_SITES for _ in range(n)]
    df = pd.DataFrame(rows, columns=["histotype", "histotype_detail", "histotype_original", "primary_site"])
    n = len(df)

    # Responders (Tables 2-4) on rows of the right histotype.
    df["best_response"] = None
    df["regimen"] = None
    df["pdl1"] = None
    df["tmb"] = np.nan
    df["msi"] = None
    free = np.ones(n, dtype=bool)
    # Cutaneous head and neck primaries respond more often (seed, Discussion), so responder rows
    # are drawn with a higher weight there.
    hn_w = np.where((df["primary_site"] == "Head and neck").to_numpy(), MODEL["resp_w_head_neck"], 1.0)
    for br, detail, regimen, pdl1, tmb, msi in _RESPONDERS:
        cand = np.flatnonzero(free & ((df["histotype_detail"] == detail) | (df["histotype"] == detail)).to_numpy())
        i = int(_pick(rng, cand, 1, hn_w[cand])[0])
        free[i] = False
        df.loc[i, ["best_response", "regimen", "pdl1", "tmb", "msi"]] = [br, regimen, pdl1, tmb, msi]
    responder = ~free

    # Non-responders: regimens (some by histotype, the rest shuffled), then best response per class.
    left = dict(REGIMEN_COUNTS)
    for _, _, regimen, *_ in _RESPONDERS:
        left[regimen] -= 1
    for detail, regimen in _NONRESPONDER_FIXED:
        cand = np.flatnonzero(free & ((df["histotype_detail"] == detail) | (df["histotype"] == detail)).to_numpy())
        cand = cand[df.loc[cand, "regimen"].isna().to_numpy()]
        i = int(rng.choice(cand))
        df.loc[i, "regimen"] = regimen
        left[regimen] -= 1
    open_rows = np.flatnonzero(df["regimen"].isna().to_numpy())
    df.loc[open_rows, "regimen"] = _expand_counts(left, rng)
    df["regimen_class"] = df["regimen"].map(REGIMEN_CLASS)
    for cls, counts in _NONRESPONDER_BR.items():
        rows_c = np.flatnonzero(~responder & (df["regimen_class"] == cls).to_numpy())
        df.loc[rows_c, "best_response"] = _expand_counts(counts, rng)

    # Discontinuation by best response; progression and death go preferably to the histotypes
    # with the seed's shortest OS (UPS, angiosarcoma) and least to LPS.
    df["disc"] = None
    fatal_w = df["histotype"].map(MODEL["progress_w"]).fillna(1.0).to_numpy()
    for br, counts in _DISCONTINUATION_BY_BR.items():
        rows_b = np.flatnonzero((df["best_response"] == br).to_numpy())
        n_bad = counts.get("Progression", 0) + counts.get("Death", 0)
        bad = _pick(rng, rows_b, n_bad, fatal_w[rows_b])
        good = np.setdiff1d(rows_b, bad)
        df.loc[bad, "disc"] = _expand_counts({k: v for k, v in counts.items() if k in ("Progression", "Death")}, rng)
        df.loc[good, "disc"] = _expand_counts({k: v for k, v in counts.items() if k not in ("Progression", "Death")}, rng)

    # Sex: uterine primaries are female, the spermatic cord primary male; 44 M / 28 F overall.
    sex = np.array([None] * n, dtype=object)
    sex[(df["primary_site"] == "Uterus").to_numpy()] = "Female"
    sex[(df["primary_site"] == "Spermatic cord").to_numpy()] = "Male"
    rest = np.flatnonzero(pd.isna(sex))
    n_male_left = 44 - int((sex == "Male").sum())
    males = _pick(rng, rest, n_male_left)
    sex[rest] = "Female"
    sex[males] = "Male"
    df["sex"] = sex

    # Age: an exact template (median 56, range 16-94) handed out by a noisy histotype ranking,
    # so rhabdomyosarcoma, DSRCT, ASPS and synovial sarcoma patients are young, Kaposi old.
    template = _age_template(n)
    young = {"Rhabdomyosarcoma": -30, "Desmoplastic small round cell tumour": -30, "ASPS": -25,
             "Synovial sarcoma": -20, "Epithelioid sarcoma": -15, "Kaposi sarcoma": 20,
             "Angiosarcoma": 12, "Pleomorphic dermal sarcoma": 20, "UPS": 6}
    score = df["histotype_detail"].map(young).fillna(df["histotype"].map(young)).fillna(0).to_numpy()
    score = score + rng.normal(0, 14, n)
    df["age"] = template[np.argsort(np.argsort(score))].astype(float)

    # Stage: 9 locally advanced, more often where local disease dominates (scalp AS, Kaposi,
    # retroperitoneal DDLPS, chordoma).
    local_w = np.where(df["primary_site"].isin(["Head and neck", "Retroperitoneum"]) | df["histotype"].eq("Kaposi sarcoma"), 3.0, 1.0)
    la = _pick(rng, np.arange(n), 9, local_w)
    df["disease_stage"] = "Metastatic"
    df.loc[la, "disease_stage"] = "Locally advanced"

    # Metastatic sites of the 63 metastatic patients; none for locally advanced disease.
    met_rows = np.flatnonzero((df["disease_stage"] == "Metastatic").to_numpy())
    patterns = [p[:4] for p in _MET_PATTERNS for _ in range(p[4])]
    order = rng.permutation(len(patterns))
    df["met_lung"] = False
    df["met_liver"] = False
    df["met_other"] = False
    df["n_met_sites"] = 0
    for i, j in zip(met_rows, order, strict=True):
        df.loc[i, ["met_lung", "met_liver", "met_other", "n_met_sites"]] = list(patterns[j])

    # Surgery of the primary 57, perioperative chemotherapy 23 (only after surgery).
    surg_w = np.where(df["histotype"].eq("Kaposi sarcoma") | df["disease_stage"].eq("Locally advanced"), 0.3, 1.0)
    surgery = _pick(rng, np.arange(n), 57, surg_w)
    df["primary_surgery"] = False
    df.loc[surgery, "primary_surgery"] = True
    periop = _pick(rng, surgery, 23)
    df["periop_chemo"] = False
    df.loc[periop, "periop_chemo"] = True

    # Line of therapy: 28 patients had ICI as 1st/2nd line, drawn with more responders among them.
    br = df["best_response"].to_numpy()
    line_w = np.select([np.isin(br, ["CR", "PR"]), br == "SD", br == "PD"], [MODEL["line_w_resp"], MODEL["line_w_sd"], MODEL["line_w_pd"]], 1.0)
    low = _pick(rng, np.arange(n), 28, line_w)
    prior = np.zeros(n, dtype=int)
    high = np.setdiff1d(np.arange(n), low)
    prior[low] = _expand_counts(_PRIOR_LINES_LOW, rng)
    prior[high] = _expand_counts(_PRIOR_LINES_HIGH, rng)
    df["prior_lines"] = prior
    df["line_of_therapy"] = prior + 1

    # The 9 progressors alive at the cut-off (37 deaths = 4 on treatment + 33 after progression),
    # drawn with the expected post-progression survival as weight.
    prog = np.flatnonzero((df["disc"] == "Progression").to_numpy())
    df["alive_after_progression"] = False
    df.loc[_pick(rng, prog, len(prog) - (N_OS_EVENTS - 4), _pps_weight(df)[prog]), "alive_after_progression"] = True

    # Toxicity discontinuations: six immune-related AEs and one secondary AML (needs prior
    # anthracycline and at least one prior line, so it is placed before the prior therapies).
    tox = np.flatnonzero((df["disc"] == "Toxicity").to_numpy())
    tox_ok = tox[prior[tox] >= 1]
    aml = int(rng.choice(tox_ok))
    df["aml"] = False
    df.loc[aml, "aml"] = True
    _prior_therapies(df, rng, force_anthracycline=aml)

    _adverse_events_flags(df, rng)
    _biomarkers(df, rng, responder)

    df["center"] = rng.choice(np.array(CENTRES), size=n, p=_centre_weights())
    return df


def _pps_weight(df: pd.DataFrame) -> np.ndarray:
    """Expected post-progression survival, used as the weight for staying alive."""
    m = MODEL
    w = df["histotype"].map(m["pps"]).fillna(m["pps_default"]).to_numpy()
    w = w * np.where((df["prior_lines"] <= 1).to_numpy(), m["pps_line_low"], m["pps_line_high"])
    return w * np.where(df["best_response"].isin(["CR", "PR"]).to_numpy(), m["pps_resp"], 1.0)


def _age_template(n: int) -> np.ndarray:
    """n sorted ages, median exactly 56, minimum 16 and maximum 94 (Table 1)."""
    from scipy.stats import norm

    q = (np.arange(n) + 0.5) / n
    ages = np.rint(56 + 15 * norm.ppf(q))
    ages[0], ages[-1] = 16, 94
    return ages


def _centre_weights() -> np.ndarray:
    w = np.array([14, 12, 10, 9, 8, 7, 6, 5, 5, 4], dtype=float)
    return w / w.sum()


def _prior_therapies(df: pd.DataFrame, rng: np.random.Generator, force_anthracycline: int) -> None:
    """Prior-therapy flags with Table 1's totals, at most one class per prior line.

    Every patient with prior lines gets a first class (anthracycline for 45 of the 62, as first-line
    doxorubicin is standard); the remaining flags go greedily to the patients with the most unused
    lines (the Gale-Ryser construction, ties broken at random), so the exact totals are reachable.
    """
    prior = df["prior_lines"].to_numpy()
    treated = np.flatnonzero(prior > 0)
    for col in PRIOR_THERAPY_COUNTS:
        df[col] = False
    others = treated[treated != force_anthracycline]
    anthra = np.append(_pick(rng, others, PRIOR_THERAPY_COUNTS["prior_anthracycline"] - 1), force_anthracycline)
    df.loc[anthra, "prior_anthracycline"] = True
    rest = np.setdiff1d(treated, anthra)
    first = rng.choice(["prior_other", "prior_gemcitabine", "prior_tki"], size=len(rest), p=[0.5, 0.25, 0.25])
    for i, col in zip(rest, first, strict=True):
        df.loc[i, col] = True
    for _attempt in range(100):
        flags = df[list(PRIOR_THERAPY_COUNTS)].to_numpy().copy()
        # A random share of the further lines were re-treatments within a class already used.
        cap = np.minimum(prior, 5) - flags.sum(axis=1)
        cap = np.where(cap > 0, cap - rng.binomial(np.maximum(cap, 0), 0.12), 0)
        ok = True
        for k, total in enumerate(PRIOR_THERAPY_COUNTS.values()):
            need = total - int(flags[:, k].sum())
            eligible = np.flatnonzero(~flags[:, k] & (cap > 0))
            if len(eligible) < need:
                ok = False
                break
            key = cap[eligible] + rng.random(len(eligible))
            chosen = eligible[np.argsort(-key)[:need]]
            flags[chosen, k] = True
            cap[chosen] -= 1
        if ok:
            df[list(PRIOR_THERAPY_COUNTS)] = flags
            return
    raise RuntimeError("Prior-therapy totals are not reachable with these prior lines.")


def _adverse_events_flags(df: pd.DataFrame, rng: np.random.Generator) -> None:
    """Mark who had which seed-named AE; the AE table itself is built by `_ae_table`."""
    n = len(df)
    df["ae_key"] = None
    tox_irae = np.flatnonzero(((df["disc"] == "Toxicity") & ~df["aml"]).to_numpy())
    for i, (term, _grade, _delay) in zip(rng.permutation(tox_irae), _AE_DISCONTINUATION, strict=True):
        df.loc[i, "ae_key"] = term
    br = df["best_response"].to_numpy()
    # Exposure weight: patients on ICI longer have more chance of an AE.
    expo = np.select([np.isin(br, ["CR", "PR"]), br == "SD"], [MODEL["ae_w_resp"], MODEL["ae_w_sd"]], 1.0)
    for term, _grade in _AE_DELAY_ONLY:
        ok = df["ae_key"].isna().to_numpy() & ~df["aml"].to_numpy()
        if term == "Oral mucositis":  # a TKI effect
            ok &= (df["regimen_class"] == "ICI + TKI").to_numpy()
        if term == "Cushing's syndrome":  # steroids for cord compression from bone metastases
            ok &= df["met_other"].to_numpy()
        i = int(_pick(rng, np.flatnonzero(ok), 1, expo[ok])[0])
        df.loc[i, "ae_key"] = term
    keyed = df["ae_key"].notna().to_numpy()
    others_ok = ~keyed & ~df["aml"].to_numpy()
    tki = (df["regimen_class"] != "ICI monotherapy").to_numpy()
    w = expo * np.where(tki, 1.5, 1.0)
    minor_only = _pick(rng, np.flatnonzero(others_ok), N_AE_PATIENTS - int(keyed.sum()), w[others_ok])
    df["any_ae"] = keyed
    df.loc[minor_only, "any_ae"] = True
    assert int(df["any_ae"].sum()) == N_AE_PATIENTS and n == N_PATIENTS


def _biomarkers(df: pd.DataFrame, rng: np.random.Generator, responder: np.ndarray) -> None:
    cand = np.flatnonzero(~responder)
    chosen = _pick(rng, cand, len(_NONRESPONDER_BIOMARKERS))
    for i, (pdl1, tmb, msi) in zip(rng.permutation(chosen), _NONRESPONDER_BIOMARKERS, strict=True):
        df.loc[i, ["pdl1", "tmb", "msi"]] = [pdl1, np.nan if tmb is None else tmb, msi]


N_PFS_EVENTS = 46
N_OS_EVENTS = 37
# Longest and shortest possible follow-up of a patient alive at the cut-off (start dates bound it).
_MAX_MONTHS = (DATA_CUTOFF - FIRST_START).days / DAYS_PER_MONTH - 0.5
_MIN_ALIVE_MONTHS = (DATA_CUTOFF - LAST_START).days / DAYS_PER_MONTH + 0.1


def _patient_normals(seed: int, draws: tuple[int, ...]) -> np.ndarray:
    """Three standard normals per patient; patient i uses draw number draws[i] of its own stream.

    Giving each patient its own stream lets the search redraw one patient at a time.
    """
    return np.array([np.random.default_rng([seed, i, k]).standard_normal(3) for i, k in enumerate(draws)])


def _survival(df: pd.DataFrame, z: np.ndarray) -> pd.DataFrame:
    """PFS/OS in whole days with events, from a per-patient lognormal model.

    Who has which event follows from the discontinuation reasons: the 42 radiological
    progressions and 4 deaths on treatment are the 46 PFS events; everyone else is alive and
    progression-free at last follow-up. 33 of the 42 progressors have died (37 deaths in all).
    """
    m = MODEL
    br = df["best_response"].to_numpy()
    disc = df["disc"].to_numpy()
    low_line = (df["prior_lines"] <= 1).to_numpy()
    head_neck = (df["primary_site"] == "Head and neck").to_numpy()
    responder = np.isin(br, ["CR", "PR"])
    line_f = np.where(low_line, m["pfs_line_low"], m["pfs_line_high"])
    hn_f = np.where(head_neck, m["pfs_head_neck"], 1.0)
    u = norm_cdf(z[:, 2])

    def lognormal(median: np.ndarray | float, sigma: float, k: int = 0) -> np.ndarray:
        return np.exp(np.log(median) + sigma * z[:, k])

    def after(floor: float, median: np.ndarray | float, sigma: float, k: int = 0) -> np.ndarray:
        # A time that cannot be shorter than `floor` (e.g. the first scan): floor + lognormal.
        return floor + lognormal(np.maximum(np.asarray(median) - floor, 0.3), sigma, k)

    # Progression-free survival of the radiological progressors: PD at the first scan (from
    # about 4 weeks), SD confirmed at >= 6-8 weeks, responses at the first scan or later.
    pfs = np.select(
        [br == "PD", br == "SD"],
        [after(0.9, m["pfs_pd"], 0.45), after(1.8, m["pfs_sd"] * line_f * hn_f, 0.6)],
        np.minimum(after(2.0, m["pfs_resp"] * line_f * hn_f, m["pfs_resp_sigma"]), 60.0),
    )
    # Post-progression survival; `_structure` chose the 9 progressors still alive.
    pps_med = df["histotype"].map(m["pps"]).fillna(m["pps_default"]).to_numpy()
    pps_med = pps_med * np.where(low_line, m["pps_line_low"], m["pps_line_high"]) * np.where(responder, m["pps_resp"], 1.0)
    pps = lognormal(pps_med, 0.7, 1)
    alive_prog = df["alive_after_progression"].to_numpy()
    # Alive at the cut-off, so followed at least from the last possible start date (June 2024).
    os_alive = np.maximum(pfs + 0.5 + (0.2 + 0.7 * u) * pps, _MIN_ALIVE_MONTHS + 2.0 * u)
    os_prog = np.where(alive_prog, os_alive, pfs + pps)

    # Deaths on treatment: before the first scan (NE) or after stable disease.
    t_death = np.where(br == "NE", 0.5 + 2.0 * u, 3.0 + 3.0 * u)

    # Event-free patients are censored at last follow-up for both endpoints.
    t_ef = np.select(
        [
            (disc == "On treatment") & responder,
            (disc == "On treatment") & (br == "SD"),
            (disc == "On treatment") & (br == "NE"),
            disc == "Treatment completed",
            disc == "Toxicity",
            disc == "Patient preference",
            disc == "Clinical progression",  # lost to follow-up soon after stopping
        ],
        [
            after(_MIN_ALIVE_MONTHS, m["fu_on_resp"], 0.7),
            after(_MIN_ALIVE_MONTHS, 10.0, 0.6),
            _MIN_ALIVE_MONTHS + u,
            26.0 + 34.0 * u,
            after(_MIN_ALIVE_MONTHS, m["fu_tox"], 0.7),
            10.0 + 25.0 * u,
            1.5 + 1.5 * u,
        ],
        np.nan,
    )
    prog = disc == "Progression"
    death = disc == "Death"
    pfs_m = np.select([prog, death], [pfs, t_death], t_ef)
    os_m = np.minimum(np.select([prog, death], [os_prog, t_death], t_ef), _MAX_MONTHS)
    pfs_m = np.minimum(pfs_m, os_m)
    if np.isnan(pfs_m).any() or np.isnan(os_m).any():
        raise RuntimeError("A patient was left without survival times.")
    pfs_days = np.maximum(1, np.rint(pfs_m * DAYS_PER_MONTH)).astype(int)
    os_days = np.maximum(pfs_days, np.rint(os_m * DAYS_PER_MONTH).astype(int))
    return pd.DataFrame(
        {
            "pfs_days": pfs_days,
            "pfs_event": (prog | death).astype(int),
            "os_days": os_days,
            "os_event": ((prog & ~alive_prog) | death).astype(int),
        },
        index=df.index,
    )


def _ae_table(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per AE: the seed-named events plus grade 1-2 events up to 36 in 24 patients."""
    events: list[tuple[int, str, int, bool, bool]] = []
    for term, grade, delay in _AE_DISCONTINUATION:
        i = int(np.flatnonzero((df["ae_key"] == term).to_numpy())[0])
        events.append((i, term, grade, delay, True))
    for term, grade in _AE_DELAY_ONLY:
        i = int(np.flatnonzero((df["ae_key"] == term).to_numpy())[0])
        events.append((i, term, grade, True, False))
    ae_rows = np.flatnonzero(df["any_ae"].to_numpy())
    minor_only = np.flatnonzero((df["any_ae"] & df["ae_key"].isna()).to_numpy())
    n_extra = N_AE_EVENTS - len(events) - len(minor_only)
    # Every minor-only patient has one event; the remaining ones go to any AE patient.
    owners = np.concatenate([minor_only, rng.choice(ae_rows, size=n_extra, replace=True)])
    tki_terms = {"Hypertension", "Palmar-plantar erythrodysaesthesia"}
    used: dict[int, set[str]] = {i: {t for j, t, *_ in events if j == i} for i in ae_rows}
    for i in owners:
        with_tki = df.loc[i, "regimen_class"] == "ICI + TKI"
        terms = [t for t in _AE_MINOR_TERMS if t not in used[i] and (with_tki or t not in tki_terms)]
        term = str(rng.choice(terms))
        used[i].add(term)
        events.append((int(i), term, int(rng.choice([1, 2], p=[0.6, 0.4])), False, False))
    ae = pd.DataFrame(events, columns=["row", "term", "grade", "led_to_delay", "led_to_discontinuation"])
    return ae


def _dates(df: pd.DataFrame, sv: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Treatment start and event dates consistent with the survival times (days)."""
    cutoff = pd.Timestamp(DATA_CUTOFF)
    first, last = pd.Timestamp(FIRST_START), pd.Timestamp(LAST_START)
    n = len(df)
    start = []
    for i in range(n):
        os_days = int(sv["os_days"].iat[i])
        if sv["os_event"].iat[i] == 1:
            latest = min(last, cutoff - pd.Timedelta(days=os_days))
            span = (latest - first).days
            start.append(first + pd.Timedelta(days=int(rng.integers(0, span + 1))))
        elif df["disc"].iat[i] == "Clinical progression":
            start.append(first + pd.Timedelta(days=int(rng.integers(0, (last - first).days + 1))))
        else:
            # Alive: last seen in the six weeks before the cut-off.
            lo = max(0, (cutoff - last).days - os_days)
            hi = min(45, (cutoff - first).days - os_days)
            if lo > hi:
                raise RuntimeError("Follow-up does not fit between the first start date and the cut-off.")
            off = int(rng.integers(lo, hi + 1))
            start.append(cutoff - pd.Timedelta(days=off + os_days))
    start_s = pd.Series(start, index=df.index, dtype="datetime64[ns]")
    end_os = start_s + pd.to_timedelta(sv["os_days"], unit="D")
    end_pfs = start_s + pd.to_timedelta(sv["pfs_days"], unit="D")
    progressed = (sv["pfs_event"] == 1) & (df["disc"] != "Death")
    return pd.DataFrame(
        {
            "treatment_start": start_s,
            "progression_date": end_pfs.where(progressed),
            "death_date": end_os.where(sv["os_event"] == 1),
            # Registries record the date of death as the last contact of patients who died.
            "last_follow_up": end_os,
        },
        index=df.index,
    )


def _response_dynamics(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Date of first CR/PR and date treatment ended, consistent with the row's other dates.

    Responses: mostly at the first or second scan (median about 2.6 months, from 6 weeks on),
    always at least two weeks before progression or the last follow-up. Treatment ended at the
    progression scan or up to three weeks before it (the last dose), at death for the deaths on
    treatment, after two years for the completions, and part-way through the progression-free
    time for toxicity and preference stops; the clinical progression (lost to follow-up) stopped
    one to three weeks before the last contact. Still on treatment: no end date.
    """
    start = df["treatment_start"].to_numpy()
    day = np.timedelta64(1, "D")
    response, end = [], []
    for i in range(len(df)):
        pfs_days, os_days = int(df["pfs_days"].iat[i]), int(df["os_days"].iat[i])
        ttr = None
        if df["best_response"].iat[i] in ("CR", "PR"):
            ttr = int(np.clip(np.rint(np.exp(np.log(2.6 * DAYS_PER_MONTH) + 0.4 * rng.standard_normal())), 42, pfs_days - 14))
        disc = df["disc"].iat[i]
        if disc == "On treatment":
            stop = None
        elif disc == "Progression":
            stop = pfs_days - int(rng.integers(0, 22))
        elif disc == "Death":
            stop = os_days
        elif disc == "Treatment completed":
            stop = 730 + int(rng.integers(-20, 21))
        elif disc == "Clinical progression":
            stop = os_days - int(rng.integers(7, 22))
        else:  # toxicity, patient preference: part-way through the progression-free time
            stop = int(np.rint(pfs_days * rng.uniform(0.2, 0.7)))
        if stop is not None:
            stop = int(np.clip(stop, max(21, ttr or 0), os_days))
        response.append(start[i] + ttr * day if ttr is not None else np.datetime64("NaT"))
        end.append(start[i] + stop * day if stop is not None else np.datetime64("NaT"))
    return pd.DataFrame({"response_date": np.array(response, dtype="datetime64[ns]"),
                         "treatment_end": np.array(end, dtype="datetime64[ns]")}, index=df.index)


def _pct_change(br: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Best % change of the target-lesion sum, consistent with RECIST 1.1 best response."""
    n = len(br)
    out = np.full(n, np.nan)
    out[br == "CR"] = -100.0
    out[br == "PR"] = -30.0 - 60.0 * rng.beta(1.5, 2.0, int((br == "PR").sum()))
    out[br == "SD"] = rng.uniform(-29.0, 19.0, int((br == "SD").sum()))
    out[br == "PD"] = 20.0 + 70.0 * rng.beta(1.2, 3.0, int((br == "PD").sum()))
    return np.round(out, 1)


def _assemble(seed: int, draws: tuple[int, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    df = _structure(rng)
    sv = _survival(df, _patient_normals(seed, draws))
    ae = _ae_table(df, rng)
    dates = _dates(df, sv, rng)
    df = pd.concat([df, sv, dates], axis=1)
    df["best_pct_change"] = _pct_change(df["best_response"].to_numpy(), rng)

    df["pfs_months"] = np.round(df["pfs_days"] / DAYS_PER_MONTH, 2)
    df["os_months"] = np.round(df["os_days"] / DAYS_PER_MONTH, 2)
    df["on_treatment"] = df["disc"] == "On treatment"
    df["discontinuation_reason"] = df["disc"].replace({"Clinical progression": "Progression", "On treatment": None})

    grade = ae.groupby("row")["grade"].max()
    df["max_ae_grade"] = grade.reindex(df.index).fillna(0).astype(int)
    df["ae_delay"] = ae.groupby("row")["led_to_delay"].any().reindex(df.index, fill_value=False).astype(bool)
    df["ae_discontinuation"] = (
        ae.groupby("row")["led_to_discontinuation"].any().reindex(df.index, fill_value=False).astype(bool)
    )
    df["any_ae"] = df["max_ae_grade"] > 0
    df = pd.concat([df, _response_dynamics(df, np.random.default_rng([seed, DYNAMICS_STREAM]))], axis=1)

    # Patient numbers follow the order of treatment start, as in a centre's register.
    order = np.lexsort((df.index.to_numpy(), df["treatment_start"].to_numpy()))
    ids = np.empty(len(df), dtype=object)
    ids[order] = [f"SYN-{k + 1:03d}" for k in range(len(df))]
    df["patient_id"] = ids
    ae["patient_id"] = ids[ae["row"].to_numpy()]

    patients = df.iloc[order][list(SAMPLE_COLUMNS)].reset_index(drop=True)
    ae_cols = [c.name for c in AE_COLUMNS]
    ae = ae.assign(_k=ae["patient_id"]).sort_values(["_k", "grade", "term"], ascending=[True, False, True])
    return patients, ae[ae_cols].reset_index(drop=True)


def build_seed_cohort(seed: int = SEED, draws: tuple[int, ...] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sample cohort (72 patients, canonical schema) and its adverse-event table.

    With the defaults (the frozen search result) this is exactly what sample_data/ holds.
    """
    if draws is None:
        draws = DRAWS if seed == SEED else (0,) * N_PATIENTS
    if len(draws) != N_PATIENTS:
        raise ValueError(f"draws must hold one number per patient ({N_PATIENTS}).")
    return _assemble(seed, tuple(draws))
