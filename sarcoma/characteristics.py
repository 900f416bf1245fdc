"""Patient-characteristics table ("Table 1"), overall or by group, in the seed paper's format.

Conventions (decided here, pinned by tests/test_characteristics.py):

* Categorical rows read "n (%)" and continuous rows "median (min–max)", as SPSS prints them in
  the seed paper (e.g. "44 (61.1)", "56 (16–94)"). Percentages are of *all* patients in the
  column, missing included, with one decimal rounded half away from zero (SPSS), never Python's
  round-half-to-even: 1 of 80 is "1 (1.3)", not "1 (1.2)".
* A variable with missing values gets a "Missing" row with its count, so every column adds up to
  its N; missing values are left out of the tests only.
* Variables whose columns are absent from the cohort are left out. Levels are those seen in the
  cohort, in the schema's vocabulary order (then by frequency).
* With ``by``: one column per group, plus the overall column, and one p-value per variable.
  Categorical and yes/no variables: Pearson chi-square without continuity correction; for a 2x2
  table with any expected count < 5, Fisher's exact test instead. Continuous variables:
  Mann-Whitney U (2 groups) or Kruskal-Wallis (> 2 groups). Any expected count < 5 is flagged in
  the "note" column. Patients whose group is not recorded are shown in their own column and left
  out of the tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import stats

from sarcoma.errors import SarcomaError
from sarcoma.formatting import p_value_text
from sarcoma.groupings import DEFAULT_LINE_CUT, Grouping, level_order, line_group, make_groupings
from sarcoma.schema import (
    HISTOTYPES,
    PRIMARY_SITES,
    REGIMEN_CLASSES,
    SEXES,
    STAGES,
)

MISSING_LABEL = "Missing"
OVERALL_LABEL = "All"
GROUP_MISSING_LABEL = "Group not recorded"
EN_DASH = "–"

TEST_CHI2 = "Pearson chi-square"
TEST_FISHER = "Fisher's exact"
TEST_MWU = "Mann-Whitney U"
TEST_KW = "Kruskal-Wallis"


class CharacteristicsError(SarcomaError):
    """Input that cannot be tabulated; the message says what to fix."""


# --------------------------------------------------------------------------- formatting


def pct_half_up(n: int, total: int, decimals: int = 1) -> str:
    """100 * n / total as text, rounded half away from zero like SPSS ("1.3" for 1 of 80).

    Computed with exact fractions so that binary floating point cannot turn a .x5 into .x4999.
    """
    if total <= 0:
        raise CharacteristicsError("A percentage needs a denominator of at least one patient.")
    scaled = Fraction(100 * n * 10**decimals, total)
    # n and total are counts (>= 0), so floor(x + 1/2) is round-half-up.
    units = math.floor(scaled + Fraction(1, 2))
    if decimals == 0:
        return str(units)
    whole, frac = divmod(units, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


def format_n_pct(n: int, total: int) -> str:
    """ "n (%)" as in the seed's tables, e.g. format_n_pct(44, 72) == "44 (61.1)"."""
    if total <= 0:
        return f"{n}"
    return f"{n} ({pct_half_up(n, total)})"


def format_number(value: float, decimals: int = 1) -> str:
    """A median or range bound: integers without decimals ("56"), others half-up ("56.5")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    # repr gives the shortest decimal that round-trips, so 2.25 is rounded as the user typed it.
    d = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if d == d.to_integral_value():
        return str(int(d))
    # Trailing zeros carry no information here ("13.40" -> "13.4").
    return format(d.normalize(), "f")


def format_median_range(median: float, minimum: float, maximum: float) -> str:
    """ "median (min–max)" with an en dash, as the seed prints "56 (16–94)"."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (median, minimum, maximum)):
        return "–"
    return f"{format_number(median)} ({format_number(minimum)}{EN_DASH}{format_number(maximum)})"


def format_p(p: float) -> str:
    """p-value as usually printed: "<0.001", otherwise three decimals; blank when not computed."""
    return p_value_text(p)


# --------------------------------------------------------------------------- variables


@dataclass(frozen=True)
class Variable:
    """One Table 1 section.

    kind: "categorical" (one row per level), "continuous" (median (range)), "flags" (one yes/no
    row per column, e.g. metastatic sites) or "flag" (a single yes/no row).
    """

    key: str
    label: str
    kind: str
    columns: tuple[str, ...]
    levels: tuple[str, ...] = ()
    # Turns the raw column into display labels (e.g. line 4 -> "≥3").
    transform: Callable[[pd.Series], pd.Series] | None = None


def _line_labels(values: pd.Series) -> pd.Series:
    # Check first: line_group would quietly turn unreadable text into a missing value.
    return line_group(_as_number(values, "line_of_therapy"), DEFAULT_LINE_CUT)


VARIABLES: tuple[Variable, ...] = (
    Variable("sex", "Sex", "categorical", ("sex",), SEXES),
    Variable("age", "Age at ICI initiation (years)", "continuous", ("age",)),
    Variable("disease_stage", "Stage", "categorical", ("disease_stage",), STAGES),
    Variable("histotype", "Histological subtype", "categorical", ("histotype",), HISTOTYPES),
    Variable("primary_site", "Site of primary tumour", "categorical", ("primary_site",), PRIMARY_SITES),
    Variable(
        "metastatic_sites", "Metastatic sites", "flags",
        ("met_lung", "met_liver", "met_other"), ("Lung", "Liver", "Other"),
    ),
    Variable("n_met_sites", "Number of metastatic sites", "continuous", ("n_met_sites",)),
    Variable("periop_chemo", "Adjuvant/neoadjuvant chemotherapy", "flag", ("periop_chemo",), ("Yes",)),
    Variable("primary_surgery", "Surgery of the primary tumour", "flag", ("primary_surgery",), ("Yes",)),
    Variable("prior_lines", "Number of prior lines of systemic therapy", "continuous", ("prior_lines",)),
    Variable(
        "prior_therapies", "Prior systemic therapies", "flags",
        ("prior_anthracycline", "prior_gemcitabine", "prior_trabectedin", "prior_tki", "prior_other"),
        ("Anthracycline-based", "Gemcitabine-based", "Trabectedin", "TKI", "Other"),
    ),
    Variable(
        "line_of_therapy", "Line of therapy", "categorical", ("line_of_therapy",),
        tuple(str(i) for i in range(1, DEFAULT_LINE_CUT)) + (f"≥{DEFAULT_LINE_CUT}",), _line_labels,
    ),
    Variable("regimen_class", "Regimen class", "categorical", ("regimen_class",), REGIMEN_CLASSES),
    Variable("regimen", "Regimen", "categorical", ("regimen",)),
    Variable("center", "Centre", "categorical", ("center",)),
)
VARIABLES_BY_KEY: dict[str, Variable] = {v.key: v for v in VARIABLES}

# Grouping keys whose groups are a variable of the table: that variable is dropped from the rows.
_GROUPING_VARIABLE = {"line": "line_of_therapy", "line_2": "line_of_therapy"}


def available_variables(cohort: pd.DataFrame) -> list[str]:
    """Keys of the Table 1 variables this cohort has data columns for, in table order."""
    return [v.key for v in VARIABLES if any(c in cohort.columns for c in v.columns)]


# --------------------------------------------------------------------------- input checks


def _check_cohort(cohort: pd.DataFrame) -> None:
    if not isinstance(cohort, pd.DataFrame):
        raise CharacteristicsError("The cohort must be a table (pandas DataFrame), one row per patient.")
    if len(cohort) == 0:
        raise CharacteristicsError("The cohort has no patients, so there is nothing to tabulate.")
    if "patient_id" in cohort.columns:
        ids = cohort["patient_id"]
        dup = ids[ids.duplicated(keep=False) & ids.notna()].astype(str).unique().tolist()
        if dup:
            raise CharacteristicsError(
                f"Patient id(s) {', '.join(dup[:10])} appear on more than one row; Table 1 counts "
                "patients, so each patient must have exactly one row."
            )


def _select_variables(cohort: pd.DataFrame, variables: Sequence[str] | None) -> list[Variable]:
    if variables is None:
        return [VARIABLES_BY_KEY[k] for k in available_variables(cohort)]
    if isinstance(variables, str):
        variables = [variables]
    unknown = [k for k in variables if k not in VARIABLES_BY_KEY]
    if unknown:
        raise CharacteristicsError(
            f"Unknown Table 1 variable(s): {', '.join(map(str, unknown))}. Choose from: "
            f"{', '.join(VARIABLES_BY_KEY)}."
        )
    absent = [k for k in variables if k not in available_variables(cohort)]
    if absent:
        needed = {k: "/".join(VARIABLES_BY_KEY[k].columns) for k in absent}
        raise CharacteristicsError(
            "The cohort has no data for: "
            + "; ".join(f"{k} (column {cols})" for k, cols in needed.items())
            + ". Add the column(s) or leave these variables out."
        )
    return [VARIABLES_BY_KEY[k] for k in dict.fromkeys(variables)]


def _as_flag(values: pd.Series, column: str) -> pd.Series:
    """Yes/no column as pandas "boolean" (True/False/<NA>); 1/0 are accepted as yes/no."""
    if isinstance(values.dtype, pd.BooleanDtype):
        return values
    try:
        return values.astype("boolean")
    except (TypeError, ValueError):
        pass
    numeric = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & ~numeric.isin([0, 1])
    if bad.any():
        examples = ", ".join(repr(v) for v in values[bad].astype(object).unique()[:5])
        raise CharacteristicsError(
            f"Column '{column}' must be yes/no (True/False or 1/0; empty if unknown); found "
            f"{examples}."
        )
    return numeric.astype("boolean")


def _as_number(values: pd.Series, column: str) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce").astype(float)
    bad = values.notna() & numeric.isna()
    if bad.any():
        examples = ", ".join(repr(v) for v in values[bad].astype(object).unique()[:5])
        raise CharacteristicsError(
            f"Column '{column}' must contain numbers (empty if unknown); found {examples}."
        )
    return numeric


def _as_labels(values: pd.Series) -> pd.Series:
    """Text labels with surrounding spaces removed; empty text counts as missing."""
    out = values.astype(object).where(values.notna(), None)
    out = out.map(lambda v: v.strip() if isinstance(v, str) else (None if v is None else str(v)))
    return out.where(out != "", None)


# --------------------------------------------------------------------------- grouping


@dataclass(frozen=True)
class _Groups:
    labels: pd.Series  # one label per patient, None where not recorded
    order: list[str]
    drop_variable: str | None


def _resolve_by(cohort: pd.DataFrame, by: str | pd.Series, line_cut: int = DEFAULT_LINE_CUT) -> _Groups:
    grouping: Grouping | None = None
    drop: str | None = None
    if isinstance(by, pd.Series):
        if len(by) != len(cohort) or not by.index.equals(cohort.index):
            raise CharacteristicsError(
                "The grouping must have one value per patient, on the same rows as the cohort."
            )
        raw = by
        drop = by.name if isinstance(by.name, str) and by.name in VARIABLES_BY_KEY else None
    elif isinstance(by, str):
        groupings = make_groupings(line_cut)
        if by in groupings:
            grouping = groupings[by]
            try:
                raw = grouping.make(cohort)
            except KeyError as exc:
                raise CharacteristicsError(
                    f"Cannot group by {grouping.label}: the cohort has no column {exc}."
                ) from exc
        elif by in cohort.columns:
            raw = cohort[by]
            if pd.api.types.is_bool_dtype(raw.dtype):
                raw = raw.astype("boolean").map({True: "Yes", False: "No"}, na_action="ignore")
        else:
            raise CharacteristicsError(
                f"Cannot group by '{by}': it is neither a cohort column nor one of the grouping "
                f"variables ({', '.join(groupings)})."
            )
        drop = _GROUPING_VARIABLE.get(by, by if by in VARIABLES_BY_KEY else None)
    else:
        raise CharacteristicsError("Group by a column name, a grouping key or a column of labels.")
    labels = _as_labels(raw)
    order = level_order(labels, grouping)
    if grouping is None and isinstance(by, str):
        vocab = next((v.levels for v in VARIABLES if v.columns == (by,) and v.levels), ())
        if vocab:
            order = [x for x in vocab if x in order] + [x for x in order if x not in vocab]
    if not order:
        raise CharacteristicsError("No patient has a recorded value for the grouping variable.")
    return _Groups(labels=labels, order=order, drop_variable=drop)


# --------------------------------------------------------------------------- counting


def _levels(labels: pd.Series, variable: Variable) -> list[str]:
    present = labels.dropna()
    counts = present.value_counts()
    known = [lv for lv in variable.levels if lv in counts.index]
    extra = sorted((lv for lv in counts.index if lv not in variable.levels), key=lambda v: (-counts[v], v))
    return known + extra


def _column_sets(cohort: pd.DataFrame, groups: _Groups | None) -> list[tuple[str, np.ndarray]]:
    """(column label, boolean row mask) for the overall column and each group column."""
    cols = [(OVERALL_LABEL, np.ones(len(cohort), dtype=bool))]
    if groups is not None:
        labels = groups.labels.to_numpy(dtype=object)
        cols += [(g, labels == g) for g in groups.order]
        not_recorded = groups.labels.isna().to_numpy()
        if not_recorded.any():
            cols.append((GROUP_MISSING_LABEL, not_recorded))
    return cols


def _row(variable: Variable, level: str, kind: str, group: str, total: int, n: int, **extra: float) -> dict:
    row = {
        "variable": variable.key,
        "characteristic": variable.label,
        "level": level,
        "kind": kind,
        "group": group,
        "N": total,
        "n": n,
        # For a median (range) row n is the number of patients with a value; no percentage.
        "pct": 100.0 * n / total if total and kind != "summary" else math.nan,
        "median": math.nan,
        "min": math.nan,
        "max": math.nan,
    }
    row.update(extra)
    row["value"] = (
        format_median_range(row["median"], row["min"], row["max"]) if kind == "summary" else format_n_pct(n, total)
    )
    return row


def _flag_missing_label(variable: Variable, flag_label: str) -> str:
    return MISSING_LABEL if variable.kind == "flag" else f"{flag_label}: {MISSING_LABEL.lower()}"


def _variable_rows(cohort: pd.DataFrame, variable: Variable, columns: list[tuple[str, np.ndarray]]) -> list[dict]:
    rows: list[dict] = []
    if variable.kind == "categorical":
        (col,) = variable.columns
        labels = _as_labels(cohort[col] if variable.transform is None else variable.transform(cohort[col]))
        levels = _levels(labels, variable)
        arr, missing = labels.to_numpy(dtype=object), labels.isna().to_numpy()
        for level in levels:
            is_level = arr == level
            for group, mask in columns:
                rows.append(_row(variable, level, "count", group, int(mask.sum()), int((mask & is_level).sum())))
        if missing.any():
            for group, mask in columns:
                rows.append(_row(variable, MISSING_LABEL, "missing", group, int(mask.sum()), int((mask & missing).sum())))
    elif variable.kind in ("flag", "flags"):
        for col, flag_label in zip(variable.columns, variable.levels, strict=True):
            if col not in cohort.columns:
                continue
            flag = _as_flag(cohort[col], col)
            yes = flag.fillna(False).to_numpy(dtype=bool)
            missing = flag.isna().to_numpy()
            for group, mask in columns:
                rows.append(_row(variable, flag_label, "count", group, int(mask.sum()), int((mask & yes).sum())))
            if missing.any():
                for group, mask in columns:
                    rows.append(
                        _row(variable, _flag_missing_label(variable, flag_label), "missing", group,
                             int(mask.sum()), int((mask & missing).sum()))
                    )
    elif variable.kind == "continuous":
        (col,) = variable.columns
        values = _as_number(cohort[col], col).to_numpy()
        missing = np.isnan(values)
        for group, mask in columns:
            v = values[mask & ~missing]
            summary = (
                {"median": float(np.median(v)), "min": float(v.min()), "max": float(v.max())} if v.size else {}
            )
            rows.append(_row(variable, "median (range)", "summary", group, int(mask.sum()), int(v.size), **summary))
        if missing.any():
            for group, mask in columns:
                rows.append(_row(variable, MISSING_LABEL, "missing", group, int(mask.sum()), int((mask & missing).sum())))
    else:  # pragma: no cover - VARIABLES is fixed above
        raise AssertionError(variable.kind)
    return rows


def characteristics_long(
    cohort: pd.DataFrame,
    *,
    by: str | pd.Series | None = None,
    variables: Sequence[str] | None = None,
    line_cut: int = DEFAULT_LINE_CUT,
) -> pd.DataFrame:
    """Tidy Table 1: one row per variable x level x column with raw numbers.

    Columns: variable, characteristic, level, kind ("count", "missing" or "summary"), group
    ("All", a group label, or "Group not recorded"), N (patients in the column), n, pct (100*n/N,
    unrounded), median, min, max (continuous only; n is then the number with a value) and value
    (the printed string).
    """
    _check_cohort(cohort)
    groups = None if by is None else _resolve_by(cohort, by, line_cut)
    chosen = _select_variables(cohort, variables)
    if groups is not None and groups.drop_variable is not None and variables is None:
        chosen = [v for v in chosen if v.key != groups.drop_variable]
    columns = _column_sets(cohort, groups)
    rows: list[dict] = []
    for variable in chosen:
        rows.extend(_variable_rows(cohort, variable, columns))
    out = pd.DataFrame(
        rows,
        columns=["variable", "characteristic", "level", "kind", "group", "N", "n", "pct", "median", "min", "max", "value"],
    )
    return out


# --------------------------------------------------------------------------- tests


def _categorical_test(labels: pd.Series, groups: pd.Series) -> tuple[float, str, str]:
    """Chi-square (or Fisher for a sparse 2x2) of levels x groups, missing excluded."""
    keep = labels.notna() & groups.notna()
    if not keep.any():
        return math.nan, "", "not tested: no patient with both values recorded"
    # Counting with factorize + bincount: pd.crosstab is ~20x slower on these small tables.
    rows, _ = pd.factorize(labels[keep])
    cols, _ = pd.factorize(groups[keep])
    n_cols = cols.max() + 1
    table = np.bincount(rows * n_cols + cols, minlength=(rows.max() + 1) * n_cols).reshape(-1, n_cols)
    if table.shape[0] < 2 or table.shape[1] < 2:
        return math.nan, "", "not tested: only one level or one group with data"
    result = stats.chi2_contingency(table, correction=False)
    expected = np.asarray(result.expected_freq)
    n_small = int((expected < 5).sum())
    if table.shape == (2, 2) and n_small:
        p = float(stats.fisher_exact(table).pvalue)
        return p, TEST_FISHER, f"expected count < 5 in {n_small} of 4 cells: Fisher's exact test used"
    note = (
        f"expected count < 5 in {n_small} of {expected.size} cells: chi-square may be unreliable"
        if n_small
        else ""
    )
    return float(result.pvalue), TEST_CHI2, note


def _continuous_test(values: pd.Series, groups: pd.Series, order: list[str]) -> tuple[float, str, str]:
    samples = [values[(groups == g) & values.notna()].to_numpy() for g in order]
    samples = [s for s in samples if s.size]
    if len(samples) < 2:
        return math.nan, "", "not tested: fewer than two groups with values"
    if np.unique(np.concatenate(samples)).size < 2:
        return math.nan, "", "not tested: all values are identical"
    if len(samples) == 2:
        return float(stats.mannwhitneyu(samples[0], samples[1], alternative="two-sided").pvalue), TEST_MWU, ""
    return float(stats.kruskal(*samples).pvalue), TEST_KW, ""


def characteristics_tests(
    cohort: pd.DataFrame,
    *,
    by: str | pd.Series,
    variables: Sequence[str] | None = None,
    line_cut: int = DEFAULT_LINE_CUT,
) -> pd.DataFrame:
    """One association test per variable (per yes/no row for multi-flag sections).

    Columns: variable, characteristic, level (the flag label for yes/no rows, else ""), p, test,
    note. Missing values of the variable and of the grouping are excluded.
    """
    _check_cohort(cohort)
    groups = _resolve_by(cohort, by, line_cut)
    chosen = _select_variables(cohort, variables)
    if groups.drop_variable is not None and variables is None:
        chosen = [v for v in chosen if v.key != groups.drop_variable]
    rows = []
    for variable in chosen:
        if variable.kind == "categorical":
            (col,) = variable.columns
            raw = cohort[col] if variable.transform is None else variable.transform(cohort[col])
            p, test, note = _categorical_test(_as_labels(raw), groups.labels)
            rows.append((variable.key, variable.label, "", p, test, note))
        elif variable.kind in ("flag", "flags"):
            for col, flag_label in zip(variable.columns, variable.levels, strict=True):
                if col not in cohort.columns:
                    continue
                flag = _as_flag(cohort[col], col).astype(object)
                labels = flag.where(flag.notna(), None)
                p, test, note = _categorical_test(labels, groups.labels)
                rows.append((variable.key, variable.label, flag_label, p, test, note))
        else:
            (col,) = variable.columns
            p, test, note = _continuous_test(_as_number(cohort[col], col), groups.labels, groups.order)
            rows.append((variable.key, variable.label, "median (range)", p, test, note))
    return pd.DataFrame(rows, columns=["variable", "characteristic", "level", "p", "test", "note"])


# --------------------------------------------------------------------------- display


def characteristics_table(
    cohort: pd.DataFrame,
    *,
    by: str | pd.Series | None = None,
    variables: Sequence[str] | None = None,
    line_cut: int = DEFAULT_LINE_CUT,
) -> pd.DataFrame:
    """Table 1 for display: Characteristic / level / "All (N = 72)" [/ "UPS (N = 12)" ... / p].

    Section headers carry the characteristic name; level rows below them leave it blank, as the
    seed prints it. With ``by``, the p-value, the test used and any caveat ("note") sit on the
    row of the variable (the header row of categorical sections).
    """
    long = characteristics_long(cohort, by=by, variables=variables, line_cut=line_cut)
    tests = characteristics_tests(cohort, by=by, variables=variables, line_cut=line_cut) if by is not None else None
    group_order = list(dict.fromkeys(long["group"]))
    sizes = long.drop_duplicates("group").set_index("group")["N"]
    headers = {g: f"{g} (N = {int(sizes[g])})" for g in group_order}
    value_cols = [headers[g] for g in group_order]

    def p_fields(variable: str, level: str) -> dict:
        if tests is None:
            return {}
        hit = tests[(tests["variable"] == variable) & (tests["level"] == level)]
        if hit.empty:
            return {"p": "", "test": "", "note": ""}
        r = hit.iloc[0]
        return {"p": format_p(r["p"]), "test": r["test"], "note": r["note"]}

    def blank_fields() -> dict:
        return {} if tests is None else {"p": "", "test": "", "note": ""}

    cell = {(r.variable, r.level, r.group): r.value for r in long.itertuples(index=False)}
    out_rows: list[dict] = []
    for key in dict.fromkeys(long["variable"]):
        variable = VARIABLES_BY_KEY[key]
        levels = list(dict.fromkeys(long.loc[long["variable"] == key, "level"]))

        def values(level: str, _key: str = key) -> dict:
            return {headers[g]: cell[(_key, level, g)] for g in group_order}

        if variable.kind in ("categorical", "flags"):
            header = {"Characteristic": variable.label, "level": "", **dict.fromkeys(value_cols, "")}
            header.update(p_fields(key, "") if variable.kind == "categorical" else blank_fields())
            out_rows.append(header)
            for level in levels:
                row = {"Characteristic": "", "level": level, **values(level)}
                row.update(p_fields(key, level) if variable.kind == "flags" else blank_fields())
                out_rows.append(row)
        else:
            for i, level in enumerate(levels):
                row = {"Characteristic": variable.label if i == 0 else "", "level": level, **values(level)}
                row.update(p_fields(key, level) if i == 0 else blank_fields())
                out_rows.append(row)
    columns = ["Characteristic", "level", *value_cols] + ([] if tests is None else ["p", "test", "note"])
    return pd.DataFrame(out_rows, columns=columns)
