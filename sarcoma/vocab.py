"""Value vocabularies used by ingest: how centres spell missing values, yes/no, events and labels.

Everything here is matched on `key(text)`: case-, accent- and punctuation-insensitive, so
"N/A", "n.a." and "#N/A" are one token, and "Όχι" matches "όχι". Greek, Norwegian, German,
French and Italian spellings are included because the seed study pooled centres from Greece,
Norway, Switzerland and the UK.
"""

from __future__ import annotations

import re
import unicodedata

from sarcoma import schema


def key(text: str) -> str:
    """Case-, accent- and punctuation-insensitive lookup key: 'Ν/Α ' -> 'να', 'N.A.' -> 'na'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def words(text: str) -> str:
    """Like `key` but keeps word boundaries as single spaces: 'Uterine-LMS' -> 'uterine lms'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(kept.split())


def _keys(*spellings: str) -> frozenset[str]:
    return frozenset(key(s) for s in spellings)


# Missing-value spellings. '-', '--' and '?' have an empty key, like a blank cell. The Greek
# 'Ν/Α' of the seed's Table 3 is written with GREEK CAPITAL NU and ALPHA, so it is its own key.
MISSING_SPELLINGS: tuple[str, ...] = (
    "", "NA", "N/A", "n/a", "n.a.", "NaN", "-", "--", "?", "unknown", "not available",
    "missing", "none", "null", "not known", "unk", "N/K", "ND", "not done", "#N/A",
    "\u039d/\u0391", "\u0394/\u03a5", "άγνωστο", "ukjent", "unbekannt", "k.A.", "inconnu",
    "sconosciuto", "non noto", "n.d.",
)
MISSING_KEYS: frozenset[str] = _keys(*MISSING_SPELLINGS)

# Yes/no. Single letters only where no language in scope uses them the other way round
# (Greek 'ν' for ναι looks like Latin 'n' for no, so it is deliberately absent).
YES_SPELLINGS: tuple[str, ...] = (
    "yes", "y", "true", "t", "x", "positive", "pos", "present", "ja", "j", "ναι", "oui",
    "si", "sì", "vero",
)
NO_SPELLINGS: tuple[str, ...] = (
    "no", "n", "false", "f", "negative", "neg", "absent", "nei", "nein", "όχι", "non",
    "falso", "ingen",
)
YES_KEYS: frozenset[str] = _keys(*YES_SPELLINGS)
NO_KEYS: frozenset[str] = _keys(*NO_SPELLINGS)
# Tick marks survive `key` as empty strings, so they are checked on the stripped raw text.
CHECK_MARKS: frozenset[str] = frozenset({"x", "X", "✓", "✔", "☑", "√"})

# Event words per endpoint (1 = event, 0 = censored), on top of yes/no and 1/0.
PFS_EVENT_SPELLINGS: dict[int, tuple[str, ...]] = {
    1: ("progressed", "progression", "progressive disease", "PD", "relapse", "relapsed",
        "recurrence", "event", "dead", "died", "death", "deceased"),
    0: ("censored", "cens", "no progression", "not progressed", "progression-free",
        "progression free", "no PD", "no event", "alive without progression"),
}
OS_EVENT_SPELLINGS: dict[int, tuple[str, ...]] = {
    1: ("dead", "died", "death", "deceased", "event", "død", "døde", "verstorben", "tot",
        "décédé", "deceduto", "morto", "απεβίωσε", "νεκρός", "θάνατος"),
    0: ("alive", "censored", "cens", "living", "no event", "i live", "levende", "lebt",
        "lebend", "vivant", "vivo", "ζωντανός", "ζει"),
}

SEX_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Male": ("male", "m", "man", "men", "mann", "männlich", "homme", "masculin", "uomo",
             "maschio", "άνδρας", "άρρεν", "αρσενικό"),
    "Female": ("female", "f", "woman", "women", "kvinne", "k", "weiblich", "w", "femme",
               "féminin", "donna", "femmina", "γυναίκα", "θήλυ"),
}
STAGE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Metastatic": ("metastatic", "metastatic disease", "mets", "metastases", "metastasis",
                   "M1", "stage IV", "IV", "4", "distant", "advanced metastatic"),
    "Locally advanced": ("locally advanced", "LA", "local", "locoregional", "unresectable",
                         "locally advanced unresectable", "inoperable", "stage III", "III"),
}
SITE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Extremities": ("extremities", "extremity", "limb", "limbs", "upper limb", "lower limb",
                    "arm", "leg", "thigh", "upper extremity", "lower extremity", "buttock"),
    "Trunk": ("trunk", "chest wall", "abdominal wall", "back", "thoracic wall", "trunk wall",
              "torso"),
    "Retroperitoneum": ("retroperitoneum", "retroperitoneal", "RP", "RPS", "retroperitoneal space"),
    "Head and neck": ("head and neck", "head & neck", "H&N", "HN", "head neck", "scalp", "face",
                      "neck", "head"),
    "Uterus": ("uterus", "uterine", "womb", "myometrium"),
    "Spermatic cord": ("spermatic cord", "paratesticular", "cord"),
    "Other": ("other",),
}
DISCONTINUATION_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Progression": ("progression", "PD", "progressive disease", "disease progression",
                    "progressed", "clinical progression"),
    "Toxicity": ("toxicity", "AE", "adverse event", "irAE", "immune-related AE", "side effects",
                 "intolerance"),
    "Death": ("death", "died", "dead", "deceased"),
    "Treatment completed": ("treatment completed", "completed", "completion", "2 years completed",
                            "end of treatment", "planned stop"),
    "Patient preference": ("patient preference", "patient choice", "patient decision",
                           "patient wish", "patient request", "preference"),
    "Other": ("other",),
}
MSI_SPELLINGS: dict[str, tuple[str, ...]] = {
    "High": ("high", "H", "MSI-H", "MSI high", "MSI-high", "instable", "unstable", "dMMR"),
    "Low": ("low", "L", "MSI-L", "MSI low", "MSI-low", "MSS", "stable", "pMMR"),
}
RESPONSE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "CR": ("CR", "complete response", "complete", "iCR"),
    "PR": ("PR", "partial response", "partial", "iPR"),
    "SD": ("SD", "stable disease", "stable", "iSD"),
    "PD": ("PD", "progressive disease", "progression", "progressed", "iCPD", "POD"),
    "NE": ("NE", "not evaluable", "non evaluable", "inevaluable", "unevaluable",
           "not assessable", "non assessable", "not evaluated"),
}
REGIMEN_CLASS_SPELLINGS: dict[str, tuple[str, ...]] = {
    "ICI monotherapy": ("ICI monotherapy", "monotherapy", "mono", "ICI mono", "ICI alone",
                        "single agent", "single-agent ICI", "single ICI", "ICI"),
    "Double ICI": ("Double ICI", "dual ICI", "ICI + ICI", "ICI/ICI", "combined ICI",
                   "double checkpoint", "dual checkpoint", "ICI doublet"),
    "ICI + TKI": ("ICI + TKI", "ICI plus TKI", "TKI combo", "TKI combination", "ICI TKI combo",
                  "ICI/TKI", "combination with TKI", "ICI + TKI combination"),
    "ICI + chemotherapy": ("ICI + chemotherapy", "ICI + chemo", "ICI plus chemotherapy",
                           "chemo combo", "chemotherapy combo", "chemo combination",
                           "combination with chemotherapy", "ICI/chemo", "chemo-ICI"),
}


def lookup_table(spellings: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Invert a {label: spellings} table into {key(spelling): label}; the label matches itself."""
    table: dict[str, str] = {}
    for label, variants in spellings.items():
        for variant in (label, *variants):
            table.setdefault(key(variant), label)
    return table


SEX_LOOKUP = lookup_table(SEX_SPELLINGS)
STAGE_LOOKUP = lookup_table(STAGE_SPELLINGS)
SITE_LOOKUP = lookup_table(SITE_SPELLINGS)
DISCONTINUATION_LOOKUP = lookup_table(DISCONTINUATION_SPELLINGS)
MSI_LOOKUP = lookup_table(MSI_SPELLINGS)
RESPONSE_LOOKUP = lookup_table(RESPONSE_SPELLINGS)
REGIMEN_CLASS_LOOKUP = lookup_table(REGIMEN_CLASS_SPELLINGS)
PFS_EVENT_LOOKUP = {key(s): v for v, ss in PFS_EVENT_SPELLINGS.items() for s in ss}
OS_EVENT_LOOKUP = {key(s): v for v, ss in OS_EVENT_SPELLINGS.items() for s in ss}

assert set(SEX_SPELLINGS) == set(schema.SEXES)
assert set(STAGE_SPELLINGS) == set(schema.STAGES)
assert set(SITE_SPELLINGS) == set(schema.PRIMARY_SITES)
assert set(DISCONTINUATION_SPELLINGS) == set(schema.DISCONTINUATION_REASONS)
assert set(RESPONSE_SPELLINGS) == set(schema.BEST_RESPONSES)
assert set(REGIMEN_CLASS_SPELLINGS) == set(schema.REGIMEN_CLASSES)


# --- Histotype -------------------------------------------------------------------------------

# Exact labels (by key) -> (group, detail). Detail None means the label is just the group name.
_HISTOTYPE_EXACT: dict[str, tuple[str, str | None]] = {}


def _exact(group: str, detail: str | None, *spellings: str) -> None:
    for s in spellings:
        _HISTOTYPE_EXACT[key(s)] = (group, detail)


_exact("UPS", None, "UPS", "undifferentiated pleomorphic sarcoma", "pleomorphic sarcoma",
       "pleomorphic undifferentiated sarcoma", "high-grade pleomorphic sarcoma", "MFH",
       "malignant fibrous histiocytoma", "undifferentiated pleomorphic sarcoma (UPS)")
_exact("LMS", None, "LMS", "leiomyosarcoma", "leiomyosarcoma (LMS)", "λειομυοσάρκωμα")
_exact("LMS", "uterine LMS", "uLMS", "uterine LMS", "uterine leiomyosarcoma", "LMS uterine",
       "leiomyosarcoma uterine", "leiomyosarcoma of the uterus", "U-LMS")
_exact("LPS", None, "LPS", "liposarcoma", "λιποσάρκωμα")
_exact("LPS", "DDLPS", "DDLPS", "DDL", "dedifferentiated liposarcoma", "dedifferentiated LPS",
       "LPS dedifferentiated", "liposarcoma dedifferentiated", "DD-LPS")
_exact("LPS", "WDLPS", "WDLPS", "well-differentiated liposarcoma", "well differentiated LPS")
_exact("LPS", "myxoid LPS", "MLPS", "myxoid liposarcoma", "myxoid LPS", "MRCLS",
       "myxoid/round cell liposarcoma")
_exact("LPS", "pleomorphic LPS", "PLPS", "pleomorphic liposarcoma")
_exact("Angiosarcoma", None, "AS", "angiosarcoma", "αγγειοσάρκωμα")
_exact("Kaposi sarcoma", None, "KS", "Kaposi", "Kaposi sarcoma", "Kaposi's sarcoma")
_exact("Undifferentiated sarcoma", None, "US", "undifferentiated sarcoma", "sarcoma NOS",
       "unclassified sarcoma", "undifferentiated sarcoma NOS")
_exact("ASPS", None, "ASPS", "alveolar soft part sarcoma", "alveolar soft-part sarcoma")
_exact("Myxofibrosarcoma", None, "MFS", "myxofibrosarcoma", "MXF")
_exact("Other", None, "other", "others")
for _group in schema.HISTOTYPES:
    _HISTOTYPE_EXACT.setdefault(key(_group), (_group, None))

# Phrase rules on `words(label)`, in order: more specific first ('pleomorphic liposarcoma' is
# an LPS, 'pleomorphic dermal sarcoma' is Other, not UPS).
_HISTOTYPE_RULES: tuple[tuple[re.Pattern[str], str, str | None], ...] = tuple(
    (re.compile(pattern), group, detail)
    for pattern, group, detail in (
        (r"dedifferen\w* lipo|lipo\w* dedifferen|\bddlps\b|\bdd lps\b", "LPS", "DDLPS"),
        (r"liposar[ck]om|\blps\b|λιποσαρκωμα", "LPS", ""),
        (r"\bulms\b|uter\w* (leiomyosar[ck]om\w*|lms)|(leiomyosar[ck]om\w*|lms) .*uter",
         "LMS", "uterine LMS"),
        (r"leiomyosar[ck]om|\blms\b|λειομυοσαρκωμα", "LMS", ""),
        (r"undifferentiated pleomorphic sarcoma|\bups\b|fibrous histiocytoma|"
         r"pleomorph\w* (undifferenziert|indifferenci)|indifferenci\w* pleomorph", "UPS", ""),
        (r"myxofibrosar[ck]om|\bmfs\b", "Myxofibrosarcoma", ""),
        (r"alveolar soft part|\basps\b", "ASPS", ""),
        (r"angiosar[ck]om|αγγειοσαρκωμα", "Angiosarcoma", ""),
        (r"kaposi|καποσι", "Kaposi sarcoma", ""),
        (r"undifferentiated.*sar[ck]om|sar[ck]om\w*.*undifferentiated|sarcoma nos|"
         r"spindle cell sarcoma|round cell sarcoma", "Undifferentiated sarcoma", ""),
        (r"chordom|synovial|epithelioid|rhabdo|chondrosar[ck]om|osteosar[ck]om|ewing|mpnst|"
         r"nerve sheath|desmoplastic|dsrct|fibrosar[ck]om|clear cell|intimal|solitary fibrous|"
         r"\bsft\b|pecoma|pleomorphic dermal|fibromyxoid|granular cell|dermatofibrosarcoma|"
         r"\bgist\b|stromal|desmoid|rhabdoid|\bcic\b|bcor|hemangioendothelioma|"
         r"myofibroblastic|adenosarcoma|carcinosarcoma|mesenchymal|phyllodes|giant cell",
         "Other", ""),
    )
)


def classify_histotype(label: str) -> tuple[str, str | None, bool]:
    """Map a histotype label to (group in schema.HISTOTYPES, detail, recognised).

    Unrecognised labels become ("Other", label, False) so no patient is lost; the caller
    reports them. Detail "" from a rule means "keep the label as written".
    """
    exact = _HISTOTYPE_EXACT.get(key(label))
    if exact is not None:
        return exact[0], exact[1], True
    text = words(label)
    for pattern, group, detail in _HISTOTYPE_RULES:
        if pattern.search(text):
            return group, (detail or label.strip()), True
    return "Other", label.strip(), False


# --- Regimen --------------------------------------------------------------------------------

ICI_DRUGS: dict[str, tuple[str, ...]] = {
    "pembrolizumab": ("pembro", "keytruda", "mk3475"),
    "nivolumab": ("nivo", "opdivo"),
    "atezolizumab": ("atezo", "tecentriq"),
    "ipilimumab": ("ipi", "yervoy"),
    "durvalumab": ("durva", "imfinzi"),
    "tremelimumab": ("treme", "imjudo"),
    "avelumab": ("bavencio",),
    "cemiplimab": ("libtayo",),
    "dostarlimab": ("jemperli",),
    "retifanlimab": ("zynyz",),
    "sintilimab": (),
    "toripalimab": (),
    "camrelizumab": (),
    "tislelizumab": (),
    "balstilimab": (),
    "botensilimab": (),
    "relatlimab": (),
    "spartalizumab": (),
    "serplulimab": (),
    "envafolimab": (),
}
TKI_DRUGS: dict[str, tuple[str, ...]] = {
    "axitinib": ("axi", "inlyta", "aksitinib"),
    "cabozantinib": ("cabo", "cabometyx", "cometriq", "kabozantinib"),
    "sunitinib": ("sutent",),
    "pazopanib": ("pazo", "votrient"),
    "lenvatinib": ("lenva", "lenvima"),
    "regorafenib": ("rego", "stivarga"),
    "anlotinib": (),
    "apatinib": (),
    "sorafenib": ("nexavar",),
    "imatinib": ("glivec", "gleevec"),
    "famitinib": (),
    "fruquintinib": (),
    "surufatinib": (),
    "tivozanib": (),
    "nintedanib": (),
}
CHEMO_DRUGS: dict[str, tuple[str, ...]] = {
    "eribulin": ("halaven",),
    "ifosfamide": ("ifo", "ifex", "holoxan", "ifosfamid"),
    "gemcitabine": ("gem", "gemzar", "gemcitabin"),
    "docetaxel": ("doce", "taxotere", "docetaksel"),
    "doxorubicin": ("dox", "doxo", "adriamycin", "caelyx", "doxil", "doksorubicin"),
    "trabectedin": ("yondelis", "trabektedin"),
    "paclitaxel": ("taxol", "abraxane", "paklitaksel"),
    "cyclophosphamide": ("cyclo", "endoxan", "cyclophosphamid", "cyklofosfamid"),
    "dacarbazine": ("dtic",),
    "temozolomide": ("temodal",),
    "vincristine": (),
    "vinorelbine": (),
    "vinblastine": (),
    "epirubicin": (),
    "cisplatin": (),
    "carboplatin": (),
    "etoposide": (),
    "irinotecan": (),
    "methotrexate": (),
    "lurbinectedin": (),
    "trofosfamide": (),
}
# Word -> (drug, class). Brand names, Norwegian/German spellings and the abbreviations
# clinicians type ("Pembro/Axi").
DRUG_WORDS: dict[str, tuple[str, str]] = {}
for _cls, _table in (("ICI", ICI_DRUGS), ("TKI", TKI_DRUGS), ("chemotherapy", CHEMO_DRUGS)):
    for _drug, _aliases in _table.items():
        for _alias in (_drug, *_aliases):
            DRUG_WORDS[key(_alias)] = (_drug, _cls)

_REGIMEN_SPLIT = re.compile(
    r"\s*(?:\+|/|&|,|;|\band\b|\bplus\b|\bwith\b|\bund\b|\bog\b|\bet\b|\bκαι\b)\s*", re.IGNORECASE
)


def classify_regimen(regimen: str) -> tuple[str | None, str | None]:
    """Derive the regimen class from a regimen text such as 'Pembrolizumab + axitinib'.

    Returns (class, None) or (None, reason in plain words). A part with no known drug, or a
    combination outside the four classes, is reported rather than guessed.
    """
    parts = [p for p in _REGIMEN_SPLIT.split(regimen) if p and p.strip()]
    ici: set[str] = set()
    classes: set[str] = set()
    unknown: list[str] = []
    for part in parts:
        found = [DRUG_WORDS[w] for w in words(part).split() if w in DRUG_WORDS]
        if not found:
            unknown.append(part.strip())
            continue
        for drug, cls in found:
            classes.add(cls)
            if cls == "ICI":
                ici.add(drug)
    if unknown:
        listed = ", ".join(f"'{u}'" for u in unknown)
        return None, f"regimen '{regimen}' contains something not recognised as a drug: {listed}"
    if not ici:
        return None, f"regimen '{regimen}' contains no recognised immune checkpoint inhibitor"
    others = classes - {"ICI"}
    if len(others) > 1 or (len(ici) > 1 and others):
        return None, f"regimen '{regimen}' does not fit one of the four regimen classes"
    if not others:
        return ("ICI monotherapy" if len(ici) == 1 else "Double ICI"), None
    return ("ICI + TKI" if "TKI" in others else "ICI + chemotherapy"), None
