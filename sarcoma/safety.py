"""Safety (adverse events, discontinuation) and biomarker tables, in the seed paper's wording.

Conventions (decided here, pinned by tests/test_safety.py):

* Percentages are of ALL treated patients unless a row states another denominator (biomarker
  rates are of the patients tested), and are rounded half away from zero like SPSS.
* A missing yes/no value is "not recorded", never "no": it is counted in its own column and left
  out of n. The only inferences made are logical ones: a patient recorded with no AE at all (or
  a worst grade of 0) had no grade 3-4 AE, no delay and no discontinuation for toxicity; a
  patient with a row in the adverse-event table had an AE.
* Without the adverse-event table, event counts (total AEs, grade 3-4 AEs) cannot be known and
  are shown as "not available", with a note saying which table is needed.

PD-L1 positivity rule (``pdl1_positive``): positive when ANY reported PD-L1 score, of tumour
cells (TC/TPS), immune cells (IC) or combined (CPS), is >= 1 %, the seed's threshold. So
"TC < 1%, IC = 1%" is positive (the immune-cell score reaches 1 %), as in SP142 scoring where
IC >= 1 % counts as PD-L1 positive. Text that does not settle the question, e.g. "<5%" (could be
0 or 4 %), a bare number without "%" (could be a fraction 0.2 exported from Excel), "1+"
(staining intensity), "equivocal", or a word contradicting the number, is "not interpretable"
(None) rather than guessed.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from sarcoma.characteristics import CharacteristicsError, _as_flag, format_n_pct, format_number
from sarcoma.errors import SarcomaError
from sarcoma.schema import BEST_RESPONSES, DISCONTINUATION_REASONS

NOT_AVAILABLE = "N/A"
NOT_RECORDED = "Not recorded"


class SafetyDataError(SarcomaError):
    """Input that cannot be tabulated; the message says what to fix."""


# --------------------------------------------------------------------------- helpers


def _check_cohort(cohort: pd.DataFrame) -> None:
    if not isinstance(cohort, pd.DataFrame):
        raise SafetyDataError("The cohort must be a table (pandas DataFrame), one row per patient.")
    if len(cohort) == 0:
        raise SafetyDataError("The cohort has no patients, so there is nothing to tabulate.")
    if "patient_id" in cohort.columns:
        ids = cohort["patient_id"]
        if ids.isna().any():
            raise SafetyDataError("Some patients have no patient_id; every row needs one.")
        dup = ids[ids.duplicated(keep=False)].astype(str).unique().tolist()
        if dup:
            raise SafetyDataError(
                f"Patient id(s) {', '.join(dup[:10])} appear on more than one row of the cohort; "
                "each patient must have exactly one row."
            )


def _flag(cohort: pd.DataFrame, column: str) -> pd.Series:
    """Yes/no column as "boolean" (all <NA> when the column is absent)."""
    if column not in cohort.columns:
        return pd.Series(pd.NA, index=cohort.index, dtype="boolean")
    try:
        return _as_flag(cohort[column], column)
    except CharacteristicsError as exc:
        raise SafetyDataError(str(exc)) from exc


def _numbers(values: pd.Series, column: str, allowed: tuple[int, ...] | None = None) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce").astype(float)
    bad = values.notna() & numeric.isna()
    if allowed is not None:
        bad |= numeric.notna() & ~numeric.isin(allowed)
    if bad.any():
        examples = ", ".join(repr(v) for v in values[bad].astype(object).unique()[:5])
        rule = f"whole numbers {allowed[0]}-{allowed[-1]}" if allowed else "numbers"
        raise SafetyDataError(f"Column '{column}' must contain {rule} (empty if unknown); found {examples}.")
    return numeric


def _kleene_or(*sources: pd.Series) -> pd.Series:
    """Yes if any source says yes; no only if some source says no and none says yes."""
    out = pd.Series(pd.NA, index=sources[0].index, dtype="boolean")
    for s in sources:
        s = s.astype("boolean")
        out = out.mask(s.fillna(False).astype(bool), True)
        out = out.mask(out.isna() & (s == False).fillna(False).astype(bool), False)  # noqa: E712
    return out


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return _missing_text(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# Greek capitals that look like Latin ones: the seed's own Table 3 prints "Ν/Α" in Greek letters.
_LOOKALIKES = str.maketrans({"Ν": "N", "Α": "A", "ν": "n", "α": "a", "Ο": "O", "ο": "o"})
_MISSING_TOKENS = frozenset(
    {
        "", "na", "n/a", "n.a.", "n.a", "nan", "none", "null", "nd", "n.d.", "-", "–", "—", "?",
        "not available", "not done", "not tested", "not assessed", "not performed", "unknown",
        "missing", "pending",
    }
)


def _missing_text(text: str) -> bool:
    return " ".join(text.translate(_LOOKALIKES).casefold().split()) in _MISSING_TOKENS


def _row(measure: str, n: int | float, total: int | None, not_recorded: int | None = None, note: str = "") -> dict:
    if total is None:
        value = "not available" if isinstance(n, float) and math.isnan(n) else str(int(n))
        pct = math.nan
    else:
        value = format_n_pct(int(n), total) if total else f"{int(n)}"
        pct = 100.0 * n / total if total else math.nan
    return {
        "measure": measure,
        "value": value,
        "n": n,
        "N": total,
        "pct": pct,
        "not_recorded": not_recorded,
        "note": note,
    }


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=columns)
    for c in ("n", "N", "not_recorded", "not_interpretable"):
        if c in out:
            out[c] = pd.to_numeric(out[c], errors="coerce").round().astype("Int64")
    return out


# --------------------------------------------------------------------------- AE table


AE_GRADES = (1, 2, 3, 4, 5)


def _check_ae_table(adverse_events: pd.DataFrame, cohort: pd.DataFrame | None = None) -> pd.DataFrame:
    """Validated copy of the AE table with clean term, numeric grade and boolean flags."""
    if not isinstance(adverse_events, pd.DataFrame):
        raise SafetyDataError("The adverse-event table must be a table (pandas DataFrame), one row per event.")
    missing = [c for c in ("patient_id", "term", "grade") if c not in adverse_events.columns]
    if missing:
        raise SafetyDataError(
            f"The adverse-event table needs the column(s) {', '.join(missing)} "
            "(one row per event: patient, CTCAE term, grade 1-5)."
        )
    ae = adverse_events.copy()
    if ae["patient_id"].isna().any():
        raise SafetyDataError(
            f"{int(ae['patient_id'].isna().sum())} adverse event(s) have no patient_id; every event "
            "must name its patient."
        )
    ae["grade"] = _numbers(ae["grade"], "grade", AE_GRADES)
    term = ae["term"].astype(object).map(lambda v: " ".join(str(v).split()) if not _is_missing(v) else None)
    ae["term"] = term.fillna("(term not recorded)")
    for col in ("led_to_delay", "led_to_discontinuation"):
        ae[col] = _flag(ae, col)
    if cohort is not None:
        if "patient_id" not in cohort.columns:
            raise SafetyDataError("To use the adverse-event table the cohort needs a patient_id column.")
        known = set(cohort["patient_id"].astype(str))
        stray = sorted(set(ae["patient_id"].astype(str)) - known)
        if stray:
            raise SafetyDataError(
                f"The adverse-event table lists patient(s) not in the cohort: {', '.join(stray[:10])}. "
                "Check the patient ids in both files."
            )
    return ae


def _per_patient(ae: pd.DataFrame, cohort: pd.DataFrame, values: pd.Series) -> pd.Series:
    """Event-level yes/no aggregated per patient, aligned to the cohort rows.

    Yes if any of the patient's events is yes; no if all are no; not recorded otherwise.
    Patients without events get <NA> (the caller decides what the absence means).
    """
    v = values.astype("boolean")
    key = ae["patient_id"].astype(str)
    any_yes = v.fillna(False).astype(bool).groupby(key).any()
    all_known = v.notna().groupby(key).all()
    per = pd.Series(pd.NA, index=any_yes.index, dtype="boolean")
    per[all_known] = False
    per[any_yes] = True
    return pd.Series(
        per.reindex(cohort["patient_id"].astype(str)).to_numpy(), index=cohort.index, dtype="boolean"
    )


# --------------------------------------------------------------------------- AE summary


def ae_summary(cohort: pd.DataFrame, adverse_events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Patient-level AE summary with explicit denominators, as in the seed's Toxicity paragraph.

    Columns: measure, value (printed, e.g. "24 (33.3)"), n, N (denominator: all treated patients;
    empty for event counts), pct, not_recorded (patients whose status is unknown), note.
    """
    _check_cohort(cohort)
    n_all = len(cohort)
    ae = None if adverse_events is None else _check_ae_table(adverse_events, cohort)
    ae_columns = ("any_ae", "max_ae_grade", "ae_delay", "ae_discontinuation")
    if ae is None and not any(c in cohort.columns for c in ae_columns):
        raise SafetyDataError(
            "There are no adverse-event data: the cohort has none of the columns "
            f"{', '.join(ae_columns)} and no adverse-event table was given."
        )

    # --- any AE
    flag = _flag(cohort, "any_ae")
    grade = (
        _numbers(cohort["max_ae_grade"], "max_ae_grade", (0, *AE_GRADES))
        if "max_ae_grade" in cohort.columns
        else pd.Series(np.nan, index=cohort.index)
    )
    from_grade = pd.Series(pd.NA, index=cohort.index, dtype="boolean").mask(grade >= 1, True).mask(grade == 0, False)
    notes_any: list[str] = []
    graded_but_no = int(((flag == False) & (grade >= 1)).fillna(False).sum())  # noqa: E712
    if graded_but_no:
        notes_any.append(
            f"{graded_but_no} patient(s) recorded with no AE have a worst AE grade of 1 or more; "
            "counted as having an AE"
        )
    sources = [flag, from_grade]
    if ae is not None:
        in_table = cohort["patient_id"].astype(str).isin(set(ae["patient_id"].astype(str)))
        contradicted = int((in_table & (flag == False).fillna(False)).sum())  # noqa: E712
        if contradicted:
            notes_any.append(
                f"{contradicted} patient(s) recorded with no AE have events in the AE table; "
                "counted as having an AE"
            )
        table_src = pd.Series(pd.NA, index=cohort.index, dtype="boolean").mask(in_table, True)
        if "any_ae" not in cohort.columns and "max_ae_grade" not in cohort.columns:
            # The AE table is then the only record: a patient without events had none.
            table_src = table_src.fillna(False)
        sources.append(table_src)
    any_ae = _kleene_or(*sources)
    no_ae = (any_ae == False).fillna(False).astype(bool)  # noqa: E712

    def graded(lo: int, hi: int) -> pd.Series:
        """Had an AE of grade lo..hi: yes / no / not recorded per patient."""
        srcs = [
            # A worst grade inside the band means yes, below it means no; above it says nothing
            # (a patient whose worst AE is grade 5 may also have had a grade 3 one).
            pd.Series(pd.NA, index=cohort.index, dtype="boolean")
            .mask(grade.between(lo, hi), True)
            .mask(grade < lo, False),
            pd.Series(pd.NA, index=cohort.index, dtype="boolean").mask(no_ae, False),
        ]
        if ae is not None:
            in_band = ae["grade"].between(lo, hi).astype("boolean").mask(ae["grade"].isna(), pd.NA)
            srcs.append(_per_patient(ae, cohort, in_band))
        return _kleene_or(*srcs)

    def consequence(column: str, ae_column: str) -> pd.Series:
        srcs = [_flag(cohort, column), pd.Series(pd.NA, index=cohort.index, dtype="boolean").mask(no_ae, False)]
        if ae is not None and ae[ae_column].notna().any():
            srcs.append(_per_patient(ae, cohort, ae[ae_column]))
        return _kleene_or(*srcs)

    def patients(measure: str, status: pd.Series, note: str = "") -> dict:
        yes = int(status.fillna(False).astype(bool).sum())
        return _row(measure, yes, n_all, int(status.isna().sum()), note)

    no_table = "needs the adverse-event table (one row per event)"
    g34 = graded(3, 4)
    rows = [
        _row("Treated patients", n_all, None, note="denominator of every percentage below"),
        patients("Patients with any AE", any_ae, "; ".join(notes_any)),
        _row("AEs in total (all grades)", math.nan if ae is None else len(ae), None,
             note=no_table if ae is None else _ungraded_note(ae)),
        patients("Patients with a grade 3–4 AE", g34),
        _row("Grade 3–4 AEs", math.nan if ae is None else int(ae["grade"].between(3, 4).sum()), None,
             note=no_table if ae is None else _ungraded_note(ae)),
        patients("Patients with a grade 5 (fatal) AE", graded(5, 5)),
        patients("Patients with treatment delay due to toxicity", consequence("ae_delay", "led_to_delay")),
        patients("Patients who discontinued for an AE", consequence("ae_discontinuation", "led_to_discontinuation")),
    ]
    if ae is None and "max_ae_grade" in cohort.columns:
        rows[3]["note"] = (
            "from each patient's worst grade; a patient whose worst AE is grade 5 may also have had "
            "a grade 3–4 AE and is counted as not recorded"
        )
    return _frame(rows, ["measure", "value", "n", "N", "pct", "not_recorded", "note"])


def _ungraded_note(ae: pd.DataFrame) -> str:
    k = int(ae["grade"].isna().sum())
    return f"{k} event(s) without a grade" if k else ""


# --------------------------------------------------------------------------- AE by term


def ae_by_term(adverse_events: pd.DataFrame) -> pd.DataFrame:
    """Events and patients per AE term, by CTCAE grade band, most frequent term first.

    Terms are matched ignoring case and repeated spaces; the most frequent spelling is shown.
    A patient counts once per term (and once per grade band within a term).
    """
    ae = _check_ae_table(adverse_events)
    ae["_key"] = ae["term"].str.casefold()
    spelling = ae.groupby("_key")["term"].agg(lambda s: s.value_counts().index[0])
    bands = {"Grade 1–2": (1, 2), "Grade 3–4": (3, 4), "Grade 5": (5, 5)}
    out = pd.DataFrame(index=spelling.index)
    out["Term"] = spelling
    out["Events (all grades)"] = ae.groupby("_key").size()
    out["Patients (all grades)"] = ae.groupby("_key")["patient_id"].nunique()
    for label, (lo, hi) in bands.items():
        sub = ae[ae["grade"].between(lo, hi)]
        out[f"{label} events"] = sub.groupby("_key").size()
        out[f"{label} patients"] = sub.groupby("_key")["patient_id"].nunique()
    out["Grade not recorded (events)"] = ae[ae["grade"].isna()].groupby("_key").size()
    count_cols = [c for c in out.columns if c != "Term"]
    out[count_cols] = out[count_cols].fillna(0).astype(int)
    out = out.sort_values(
        ["Events (all grades)", "Patients (all grades)", "Term"], ascending=[False, False, True], kind="stable"
    )
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- discontinuation


_REASON_LOOKUP = {r.casefold(): r for r in DISCONTINUATION_REASONS}


def discontinuation_table(cohort: pd.DataFrame) -> pd.DataFrame:
    """Treatment status at data cut-off and reasons for stopping, % of ALL treated patients.

    A patient with a discontinuation reason but no on-treatment flag is counted as discontinued;
    a discontinued patient without a reason is "Not recorded". Columns: section, item, value, n,
    N, pct, note.
    """
    _check_cohort(cohort)
    if "on_treatment" not in cohort.columns and "discontinuation_reason" not in cohort.columns:
        raise SafetyDataError(
            "The discontinuation table needs an on_treatment column (still on ICI yes/no) or a "
            "discontinuation_reason column."
        )
    n_all = len(cohort)
    on = _flag(cohort, "on_treatment")
    raw = cohort["discontinuation_reason"] if "discontinuation_reason" in cohort.columns else pd.Series(None, index=cohort.index, dtype=object)
    reason = raw.astype(object).map(lambda v: None if _is_missing(v) else _REASON_LOOKUP.get(" ".join(str(v).split()).casefold(), str(v)))
    unknown = sorted({r for r in reason.dropna() if r not in DISCONTINUATION_REASONS})
    if unknown:
        raise SafetyDataError(
            f"Unknown discontinuation reason(s): {', '.join(map(repr, unknown[:10]))}. Allowed: "
            f"{', '.join(DISCONTINUATION_REASONS)} (empty if not recorded)."
        )
    still = (on == True).fillna(False).astype(bool)  # noqa: E712
    stopped = (on == False).fillna(False).astype(bool) | (on.isna() & reason.notna())  # noqa: E712
    unknown_status = ~still & ~stopped
    conflict = int((still & reason.notna()).sum())
    rows = [
        {"section": "Status at data cut-off", "item": "Still on treatment", "n": int(still.sum()),
         "note": f"{conflict} of them also have a discontinuation reason; check the data" if conflict else ""},
        {"section": "Status at data cut-off", "item": "Discontinued", "n": int(stopped.sum()), "note": ""},
    ]
    if unknown_status.any():
        rows.append({"section": "Status at data cut-off", "item": "Status not recorded", "n": int(unknown_status.sum()), "note": ""})
    for r in DISCONTINUATION_REASONS:
        rows.append({"section": "Reason for discontinuation", "item": r, "n": int((stopped & (reason == r)).sum()), "note": ""})
    rows.append({"section": "Reason for discontinuation", "item": NOT_RECORDED, "n": int((stopped & reason.isna()).sum()), "note": ""})
    for row in rows:
        row.update(value=format_n_pct(row["n"], n_all), N=n_all, pct=100.0 * row["n"] / n_all)
    return _frame(rows, ["section", "item", "value", "n", "N", "pct", "note"])


# --------------------------------------------------------------------------- biomarkers


_NUM = r"\d+(?:[.,]\d+)?"
_KEYWORD = (
    r"tps|tc|ic|cps|tumou?r\s+proportion\s+score|combined\s+positive\s+score"
    r"|tumou?r\s+cells?|immune\s+cells?"
)
_COMPONENT = re.compile(
    rf"(?:\b(?P<kw>{_KEYWORD}))?\s*[:=]?\s*(?P<cmp><=|>=|≤|≥|<|>|=)?\s*(?P<a>{_NUM})"
    rf"(?:\s*%?\s*(?:-|–|to)\s*(?P<b>{_NUM}))?\s*(?P<pct>%)?"
)
_POSITIVE_WORD = re.compile(r"\b(?:positive|pos)\b")
_NEGATIVE_WORD = re.compile(r"\b(?:negative|neg)\b")
_UNCERTAIN_WORD = re.compile(
    r"\b(?:not|no|non|unknown|equivocal|indeterminate|inconclusive|failed|insufficient|unclear|"
    r"borderline|pending)\b|\?"
)


def _score_verdict(cmp: str | None, a: float, b: float | None) -> bool | None:
    """Whether one reported score is >= 1 %, or None when the text does not settle it."""
    if a > 100 or (b is not None and b > 100):
        return None
    if b is not None:
        if cmp not in (None, "=", ":"):
            return None
        lo, hi = min(a, b), max(a, b)
        return True if lo >= 1 else False if hi < 1 else None
    if cmp in (None, "="):
        return a >= 1
    if cmp == "<":
        return False if a <= 1 else None
    if cmp in ("<=", "≤"):
        return False if a < 1 else None
    # ">" and ">=": positive when the bound itself is >= 1 %; ">0.5%" does not settle it.
    return True if a >= 1 else None


def pdl1_positive(text: object) -> bool | None:
    """PD-L1 >= 1 % in any reported score (see module docstring); None if missing or unclear.

    >>> pdl1_positive("20%"), pdl1_positive("0%"), pdl1_positive("TC < 1%, IC = 1%")
    (True, False, True)
    >>> pdl1_positive("<5%") is None, pdl1_positive("0.2") is None
    (True, True)
    """
    if not isinstance(text, str) or _missing_text(text):
        return None
    t = " ".join(text.translate(_LOOKALIKES).casefold().split())
    if _UNCERTAIN_WORD.search(t):
        return None
    # Drop the marker's own name so its "1" is not read as a score.
    t = re.sub(r"pd[\s-]?l[\s-]?1", " ", t)
    verdicts: list[bool | None] = []
    for m in _COMPONENT.finditer(t):
        if not (m.group("pct") or m.group("kw")):
            continue  # a bare number: unit unknown (fraction? intensity? clone name?)
        a = float(m.group("a").replace(",", "."))
        b = None if m.group("b") is None else float(m.group("b").replace(",", "."))
        verdicts.append(_score_verdict(m.group("cmp"), a, b))
    pos_word, neg_word = bool(_POSITIVE_WORD.search(t)), bool(_NEGATIVE_WORD.search(t))
    if pos_word and neg_word:
        return None
    word = True if pos_word else False if neg_word else None
    if not verdicts:
        return word
    if any(v is True for v in verdicts):
        number: bool | None = True
    elif all(v is False for v in verdicts):
        number = False
    else:
        number = None
    if word is None:
        return number
    if number is None or number == word:
        return word
    return None  # the word and the number disagree


_MSI_HIGH = frozenset({"high", "h", "msi-h", "msi-high", "msi high", "msih", "unstable", "dmmr"})
_MSI_NOT_HIGH = frozenset({"low", "l", "msi-l", "msi-low", "msi low", "msil", "mss", "stable", "pmmr"})


def msi_high(text: object) -> bool | None:
    """MSI-high -> True; MSI-low or stable -> False; missing or unrecognised -> None."""
    if not isinstance(text, str) or _missing_text(text):
        return None
    t = " ".join(text.translate(_LOOKALIKES).casefold().split())
    if t in _MSI_HIGH:
        return True
    if t in _MSI_NOT_HIGH:
        return False
    return None


def _text_or_na(value: object) -> str:
    return NOT_AVAILABLE if _is_missing(value) else " ".join(str(value).split())


def _tmb_values(cohort: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """TMB as numbers, and a mask of results present but not readable as a number."""
    if "tmb" not in cohort.columns:
        empty = pd.Series(np.nan, index=cohort.index)
        return empty, pd.Series(False, index=cohort.index)
    raw = cohort["tmb"]
    present = ~raw.map(_is_missing).astype(bool)
    # "13.4 mut/Mb" as typed in a spreadsheet: the leading number is the value.
    text = raw.astype(object).map(lambda v: str(v).strip() if not _is_missing(v) else None)
    lead = text.str.extract(rf"^\s*({_NUM})\s*(?:mut(?:ations)?\s*/\s*mb)?\s*$", flags=re.IGNORECASE)[0]
    numeric = pd.to_numeric(lead.str.replace(",", ".", regex=False), errors="coerce").astype(float)
    return numeric, present & numeric.isna()


def _natural_key(value: object) -> tuple:
    parts = re.split(r"(\d+)", str(value))
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def biomarker_table(cohort: pd.DataFrame, *, responders_only: bool = True) -> pd.DataFrame:
    """Biomarkers per patient in the shape of the seed's Table 3; missing shown as "N/A".

    Rows are ordered by best response (CR, PR, SD, PD, NE, not recorded) then patient id.
    Columns: No., Patient, Best response, PD-L1 value, TMB value, MSI, Histological subtype
    (the finer histotype_detail when recorded).
    """
    _check_cohort(cohort)
    if "best_response" not in cohort.columns:
        if responders_only:
            raise SafetyDataError("Listing responders needs a best_response column (CR/PR/SD/PD/NE).")
        best = pd.Series(None, index=cohort.index, dtype=object)
    else:
        best = cohort["best_response"].astype(object).map(lambda v: None if _is_missing(v) else str(v).strip().upper())
    keep = best.isin(["CR", "PR"]) if responders_only else pd.Series(True, index=cohort.index)
    rank = {r: i for i, r in enumerate(BEST_RESPONSES)}
    ids = cohort["patient_id"] if "patient_id" in cohort.columns else pd.Series(cohort.index, index=cohort.index)
    rows_idx = sorted(
        cohort.index[keep.to_numpy()],
        key=lambda i: (rank.get(best[i], len(rank)) if best[i] is not None else len(rank) + 1, _natural_key(ids[i])),
    )
    tmb, _ = _tmb_values(cohort)

    def get(col: str, i: Any) -> object:
        return cohort.at[i, col] if col in cohort.columns else None

    rows = []
    for no, i in enumerate(rows_idx, start=1):
        detail, histo = get("histotype_detail", i), get("histotype", i)
        tmb_text = NOT_AVAILABLE
        if not _is_missing(get("tmb", i)):
            tmb_text = f"{format_number(tmb[i], 2)} mut/Mb" if not math.isnan(tmb[i]) else _text_or_na(get("tmb", i))
        msi = get("msi", i)
        msi_text = _text_or_na(msi)
        if msi_text != NOT_AVAILABLE and msi_text.casefold() in ("high", "low"):
            msi_text = msi_text.capitalize()
        rows.append(
            {
                "No.": no,
                "Patient": str(ids[i]),
                "Best response": best[i] if best[i] is not None else NOT_AVAILABLE,
                "PD-L1 value": _text_or_na(get("pdl1", i)),
                "TMB value": tmb_text,
                "MSI": msi_text,
                "Histological subtype": _text_or_na(detail) if not _is_missing(detail) else _text_or_na(histo),
            }
        )
    columns = ["No.", "Patient", "Best response", "PD-L1 value", "TMB value", "MSI", "Histological subtype"]
    return pd.DataFrame(rows, columns=columns)


TMB_HIGH_CUTOFF = 10.0  # mutations/Mb; the seed counts "TMB > 10 mutations/Mb" (strictly above)


def biomarker_status(cohort: pd.DataFrame) -> pd.DataFrame:
    """Per patient: pdl1_positive, tmb_high, msi_high (True/False/<NA>) and whether tested.

    Columns: pdl1_tested, pdl1_positive, tmb_tested, tmb_high, msi_tested, msi_high, any_tested,
    n_positive (number of positive biomarkers).
    """
    _check_cohort(cohort)
    idx = cohort.index
    pdl1 = cohort["pdl1"] if "pdl1" in cohort.columns else pd.Series(None, index=idx, dtype=object)
    msi = cohort["msi"] if "msi" in cohort.columns else pd.Series(None, index=idx, dtype=object)
    tmb, tmb_unreadable = _tmb_values(cohort)
    out = pd.DataFrame(index=idx)
    out["pdl1_tested"] = ~pdl1.map(_is_missing).astype(bool)
    out["pdl1_positive"] = pd.array([pdl1_positive(v) for v in pdl1], dtype="boolean")
    out["tmb_tested"] = tmb.notna() | tmb_unreadable
    out["tmb_high"] = pd.array(
        [pd.NA if math.isnan(v) else v > TMB_HIGH_CUTOFF for v in tmb], dtype="boolean"
    )
    out["msi_tested"] = ~msi.map(_is_missing).astype(bool)
    out["msi_high"] = pd.array([msi_high(v) for v in msi], dtype="boolean")
    out["any_tested"] = out["pdl1_tested"] | out["tmb_tested"] | out["msi_tested"]
    positives = out[["pdl1_positive", "tmb_high", "msi_high"]].fillna(False).astype(int)
    out["n_positive"] = positives.sum(axis=1)
    return out


def biomarker_summary(cohort: pd.DataFrame) -> pd.DataFrame:
    """Biomarker availability and positivity, each rate over the patients tested for it.

    Columns: measure, value, n, N, denominator (what N counts), pct, not_interpretable (results
    present that could not be read; excluded from N), note.
    """
    s = biomarker_status(cohort)
    n_all = len(cohort)
    any_n = int(s["any_tested"].sum())

    def rate(measure: str, status: pd.Series, tested: pd.Series, what: str, note: str = "") -> dict:
        readable = tested & status.notna()
        unreadable = int((tested & status.isna()).sum())
        row = _row(measure, int(status.fillna(False).astype(bool).sum()), int(readable.sum()), note=note)
        row.update(denominator=what, not_interpretable=unreadable)
        return row

    available = _row("Patients with any biomarker result (PD-L1, TMB or MSI)", any_n, n_all)
    available.update(denominator="all treated patients", not_interpretable=0)
    tested_any = s["any_tested"]
    rows = [
        available,
        rate("MSI-high", s["msi_high"], s["msi_tested"], "patients with an MSI result"),
        rate("PD-L1 positive (≥1% of tumour or immune cells)", s["pdl1_positive"], s["pdl1_tested"],
             "patients with an interpretable PD-L1 result",
             note="positive if any reported PD-L1 score (TC, IC or CPS) is ≥1%"),
        rate(f"TMB > {TMB_HIGH_CUTOFF:g} mut/Mb", s["tmb_high"], s["tmb_tested"], "patients with a TMB result"),
    ]
    for k in (1, 2):
        row = _row(f"Positive for ≥{k} biomarker{'s' if k > 1 else ''}", int((tested_any & (s["n_positive"] >= k)).sum()), any_n)
        row.update(denominator="patients with any biomarker result", not_interpretable=0)
        rows.append(row)
    return _frame(rows, ["measure", "value", "n", "N", "denominator", "pct", "not_interpretable", "note"])
