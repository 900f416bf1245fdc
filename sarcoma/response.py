"""Response statistics: objective response rate (ORR), disease control rate (DCR) and
association tests for response tables.

Conventions (decided here, pinned by tests/test_response.py):

* Best-response labels are the schema vocabulary ``CR, PR, SD, PD, NE``. Case and surrounding
  spaces are ignored. A *missing* value (None, NaN, pandas NA, empty text) counts as ``NE``: the
  patient was treated but has no assessable response. Any other label is an error, because
  guessing what e.g. "MR" or "uCR" means would silently change the ORR.
* ``denominator="evaluable"`` divides by CR+PR+SD+PD (NE excluded, the usual RECIST reporting
  and the seed paper's overall ORR); ``denominator="all"`` divides by every treated patient, NE
  counted as non-responders (intention-to-treat; the seed paper's by-histotype ORR). Every label
  says which one was used.
* Confidence intervals are Clopper-Pearson exact intervals from the beta distribution.
* An empty denominator gives NaN rates and a note, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import gammaln

from sarcoma.errors import SarcomaError
from sarcoma.schema import BEST_RESPONSES, BY_NAME, EVALUABLE_RESPONSES

CI_METHOD = "Clopper-Pearson exact"
DENOMINATORS: tuple[str, ...] = ("evaluable", "all")
TOTAL_LABEL = "Total"
MISSING_GROUP_LABEL = "(missing)"

# Default Monte-Carlo settings for r x c tables too large to enumerate. 100,000 random tables
# give a standard error of at most 0.0016 on the p-value and take well under a second.
DEFAULT_N_RESAMPLES = 100_000
DEFAULT_SEED = 20240601
# Work budget (partial tables visited) of the exact r x c enumeration before falling back to
# Monte-Carlo; keeps a single test call to a few seconds on a small machine.
DEFAULT_ENUMERATION_LIMIT = 2_000_000
# Relative tolerance when comparing table probabilities with the observed one, as R's
# fisher.test does, so that tables equally likely in exact arithmetic count as "as extreme".
_REL_TOL = 1e-7


class ResponseDataError(SarcomaError):
    """Input that cannot be analysed; the message says what to fix."""


# --------------------------------------------------------------------------- helpers


def _clopper_pearson(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Two-sided Clopper-Pearson interval for k successes out of n (NaN when n == 0)."""
    if n == 0:
        return math.nan, math.nan
    # The beta quantiles are undefined at k = 0 / k = n; the exact bounds there are 0 and 1.
    lower = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    upper = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lower, upper


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _check_denominator(denominator: str) -> str:
    if denominator not in DENOMINATORS:
        raise ResponseDataError(
            f"denominator must be 'evaluable' (CR+PR+SD+PD) or 'all' (every treated patient), "
            f"not {denominator!r}."
        )
    return denominator


def _check_alpha(alpha: float) -> float:
    if not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ResponseDataError(
            f"alpha must be a number between 0 and 1 (0.05 gives a 95% CI), not {alpha!r}."
        )
    return float(alpha)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like cell: not a missing scalar
        return False


def _normalise_labels(best_response: Iterable[Any]) -> tuple[list[str], int]:
    """Return canonical labels (missing -> NE) and the number of missing values."""
    if isinstance(best_response, str):
        raise ResponseDataError(
            "best_response must be a list or column of labels, one per patient, not a single "
            f"text {best_response!r}."
        )
    if isinstance(best_response, pd.DataFrame):
        raise ResponseDataError(
            "best_response must be a single column (e.g. df['best_response']), not a whole table."
        )
    try:
        values = list(best_response)
    except TypeError as exc:
        raise ResponseDataError(
            "best_response must be a list or column of labels, one per patient."
        ) from exc
    labels: list[str] = []
    unknown: dict[str, int] = {}
    n_missing = 0
    for value in values:
        if _is_missing(value):
            labels.append("NE")
            n_missing += 1
            continue
        label = value.strip().upper() if isinstance(value, str) else None
        if label in BEST_RESPONSES:
            labels.append(label)
        else:
            unknown[repr(value)] = unknown.get(repr(value), 0) + 1
    if unknown:
        shown = ", ".join(f"{k} ({v}x)" for k, v in list(unknown.items())[:10])
        raise ResponseDataError(
            f"Unknown best-response label(s): {shown}. Allowed labels are "
            f"{', '.join(BEST_RESPONSES)} (RECIST 1.1; NE = not evaluable). Recode these values, "
            "or leave the cell empty if the response is unknown (empty counts as NE)."
        )
    return labels, n_missing


# --------------------------------------------------------------------------- ORR / DCR


@dataclass(frozen=True)
class ResponseResult:
    """Best-response counts with ORR and DCR (Clopper-Pearson CI) over a stated denominator.

    Rates are proportions (0-1); NaN when the denominator is empty (see ``note``).
    """

    n_cr: int
    n_pr: int
    n_sd: int
    n_pd: int
    n_ne: int
    n_missing: int
    n_total: int
    n_evaluable: int
    denominator: str
    n_denominator: int
    n_responders: int
    n_disease_control: int
    orr: float
    orr_lower: float
    orr_upper: float
    dcr: float
    dcr_lower: float
    dcr_upper: float
    alpha: float = 0.05
    ci_method: str = CI_METHOD
    note: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """Counts keyed by schema label (CR, PR, SD, PD, NE)."""
        return {"CR": self.n_cr, "PR": self.n_pr, "SD": self.n_sd, "PD": self.n_pd, "NE": self.n_ne}

    @property
    def confidence_level(self) -> float:
        return 1 - self.alpha

    @property
    def denominator_words(self) -> str:
        """The denominator in words, e.g. '64 evaluable' or '72 all treated'."""
        return f"{self.n_denominator} {self._denominator_kind}"

    @property
    def _denominator_kind(self) -> str:
        return "evaluable" if self.denominator == "evaluable" else "all treated"

    def _rate_label(self, name: str, k: int, rate: float, lower: float, upper: float) -> str:
        if self.n_denominator == 0:
            return f"{name} not estimable (0 {self._denominator_kind} patients)"
        ci = f"{100 * (1 - self.alpha):g}% CI {_pct(lower)}-{_pct(upper)}"
        return (
            f"{name} {_pct(rate)}% ({k}/{self.n_denominator} {self._denominator_kind}; "
            f"{ci}, Clopper-Pearson)"
        )

    @property
    def label(self) -> str:
        """One-line ORR, e.g. 'ORR 34.4% (22/64 evaluable; 95% CI 22.9-47.3, Clopper-Pearson)'."""
        return self._rate_label("ORR", self.n_responders, self.orr, self.orr_lower, self.orr_upper)

    @property
    def dcr_label(self) -> str:
        """One-line DCR in the same style as ``label``."""
        return self._rate_label(
            "DCR", self.n_disease_control, self.dcr, self.dcr_lower, self.dcr_upper
        )

    def describe(self) -> str:
        """ORR and DCR with their denominators spelled out, for a report or a tooltip."""
        if self.n_total == 0:
            return self.note
        if self.denominator == "evaluable":
            basis = (
                f"Denominator: the {self.n_evaluable} patients with an evaluable best response "
                f"(CR, PR, SD or PD); {self.n_ne} of {self.n_total} treated patients were not "
                "evaluable (NE or missing) and are excluded."
            )
        else:
            basis = (
                f"Denominator: all {self.n_total} treated patients; the {self.n_ne} not "
                "evaluable (NE or missing) count as non-responders."
            )
        parts = [f"{self.label}.", f"{self.dcr_label}.", basis]
        if self.n_missing:
            parts.append(f"{self.n_missing} missing best response(s) were counted as NE.")
        if self.note:
            parts.append(self.note)
        return " ".join(parts)

    def as_row(self) -> dict[str, Any]:
        """Flat dict for tables: counts, denominator, ORR/DCR with CI and display text."""
        return {
            "n": self.n_total,
            "CR": self.n_cr,
            "PR": self.n_pr,
            "SD": self.n_sd,
            "PD": self.n_pd,
            "NE": self.n_ne,
            "evaluable": self.n_evaluable,
            "denominator": self.denominator,
            "n_denominator": self.n_denominator,
            "responders": self.n_responders,
            "ORR": self.orr,
            "ORR_lower": self.orr_lower,
            "ORR_upper": self.orr_upper,
            "DCR": self.dcr,
            "DCR_lower": self.dcr_lower,
            "DCR_upper": self.dcr_upper,
            "ORR (CI)": self.label,
            "DCR (CI)": self.dcr_label,
            "note": self.note,
        }

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame of ``as_row()``."""
        return pd.DataFrame([self.as_row()])


def _result_from_counts(
    counts: dict[str, int], n_missing: int, denominator: str, alpha: float
) -> ResponseResult:
    cr, pr, sd, pdis, ne = (int(counts.get(k, 0)) for k in BEST_RESPONSES)
    n_total = cr + pr + sd + pdis + ne
    n_evaluable = cr + pr + sd + pdis
    n_den = n_evaluable if denominator == "evaluable" else n_total
    responders, control = cr + pr, cr + pr + sd
    note = ""
    if n_total == 0:
        note = "No patients: response rates cannot be computed."
    elif n_den == 0:
        note = (
            f"None of the {n_total} patients had an evaluable best response (all NE or "
            "missing): ORR and DCR over evaluable patients cannot be computed."
        )
    if n_den:
        orr, dcr = responders / n_den, control / n_den
    else:
        orr = dcr = math.nan
    orr_lo, orr_hi = _clopper_pearson(responders, n_den, alpha)
    dcr_lo, dcr_hi = _clopper_pearson(control, n_den, alpha)
    return ResponseResult(
        n_cr=cr,
        n_pr=pr,
        n_sd=sd,
        n_pd=pdis,
        n_ne=ne,
        n_missing=n_missing,
        n_total=n_total,
        n_evaluable=n_evaluable,
        denominator=denominator,
        n_denominator=n_den,
        n_responders=responders,
        n_disease_control=control,
        orr=orr,
        orr_lower=orr_lo,
        orr_upper=orr_hi,
        dcr=dcr,
        dcr_lower=dcr_lo,
        dcr_upper=dcr_hi,
        alpha=alpha,
        note=note,
    )


def objective_response(
    best_response: Iterable[Any], *, denominator: str = "evaluable", alpha: float = 0.05
) -> ResponseResult:
    """ORR = (CR+PR)/denominator and DCR = (CR+PR+SD)/denominator with Clopper-Pearson CIs.

    ``best_response`` holds one label per treated patient; missing values count as NE.
    ``denominator`` is "evaluable" (CR+PR+SD+PD) or "all" (every treated patient).
    """
    _check_denominator(denominator)
    alpha = _check_alpha(alpha)
    labels, n_missing = _normalise_labels(best_response)
    counts = {k: 0 for k in BEST_RESPONSES}
    for label in labels:
        counts[label] += 1
    return _result_from_counts(counts, n_missing, denominator, alpha)


def _group_order(series: pd.Series, column: str) -> list[Any]:
    """Levels in a clinically sensible order: schema vocabulary, categorical order, or sorted."""
    present = list(pd.unique(series.dropna()))
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [c for c in series.cat.categories if c in set(present)]
    allowed = BY_NAME[column].allowed if column in BY_NAME else ()
    known = [a for a in allowed if a in set(present)]
    rest = [v for v in present if v not in set(known)]
    try:
        rest = sorted(rest)
    except TypeError:  # mixed types: fall back to their text
        rest = sorted(rest, key=str)
    return known + rest


def response_table(
    df: pd.DataFrame,
    by: str,
    *,
    response_col: str = "best_response",
    denominator: str = "evaluable",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per level of ``by`` plus a Total row: counts, ORR and DCR with CI.

    The Total row is the sum of the group rows (patients with a missing ``by`` get their own
    "(missing)" row), so rows and total always agree. Columns are those of
    ``ResponseResult.as_row()``; the index is named after ``by``.
    """
    _check_denominator(denominator)
    alpha = _check_alpha(alpha)
    if not isinstance(df, pd.DataFrame):
        raise ResponseDataError("response_table needs the cohort as a pandas DataFrame.")
    for col, role in ((by, "grouping"), (response_col, "best-response")):
        if not isinstance(col, str) or col not in df.columns:
            raise ResponseDataError(
                f"The cohort has no column {col!r} to use as the {role} column. "
                f"Available columns: {', '.join(map(str, df.columns))}."
            )
    labels, _ = _normalise_labels(df[response_col])
    label_idx = np.array([BEST_RESPONSES.index(lab) for lab in labels], dtype=np.int64)
    missing = np.array([_is_missing(v) for v in df[response_col]], dtype=bool)
    groups = df[by]
    order = _group_order(groups, by)
    clash = [g for g in order if str(g) in (TOTAL_LABEL, MISSING_GROUP_LABEL)]
    if clash:
        raise ResponseDataError(
            f"Column {by!r} has a group called {str(clash[0])!r}, which is reserved for the "
            "table's own rows; rename that group."
        )
    group_missing = groups.isna().to_numpy()
    masks: list[tuple[Any, np.ndarray]] = [
        (key, (groups == key).to_numpy() & ~group_missing) for key in order
    ]
    if group_missing.any():
        masks.append((MISSING_GROUP_LABEL, group_missing))

    rows: dict[Any, ResponseResult] = {}
    total = np.zeros(len(BEST_RESPONSES), dtype=np.int64)
    for key, mask in masks:
        counts = np.bincount(label_idx[mask], minlength=len(BEST_RESPONSES))
        rows[key] = _result_from_counts(
            dict(zip(BEST_RESPONSES, counts.tolist(), strict=True)),
            int(missing[mask].sum()),
            denominator,
            alpha,
        )
        total += counts
    # The Total row is built from the group rows' counts, never typed in separately.
    rows[TOTAL_LABEL] = _result_from_counts(
        dict(zip(BEST_RESPONSES, total.tolist(), strict=True)),
        sum(r.n_missing for r in rows.values()),
        denominator,
        alpha,
    )
    return pd.DataFrame([r.as_row() for r in rows.values()], index=pd.Index(list(rows), name=by))


# --------------------------------------------------------------------------- association


@dataclass(frozen=True, eq=False)
class AssociationResult:
    """Pearson chi-square and an exact (or Monte-Carlo) test of independence for an r x c table.

    ``method`` names the exact test actually used; ``exact_p`` is its p-value. For 2x2 tables the
    Yates continuity-corrected chi-square is reported too, as SPSS prints both.
    """

    table: pd.DataFrame
    expected: pd.DataFrame
    chi2: float
    df: int
    chi2_p: float
    exact_p: float
    method: str
    monte_carlo: bool
    n_resamples: int | None
    seed: int | None
    mc_standard_error: float | None
    chi2_yates: float | None
    chi2_yates_p: float | None
    odds_ratio: float | None
    min_expected: float
    n_cells_expected_below_5: int
    share_expected_below_5: float
    any_expected_below_1: bool
    expected_warning: str
    notes: tuple[str, ...] = field(default=())

    @property
    def summary(self) -> pd.DataFrame:
        """Both tests (and Yates for 2x2) in the common summary shape (sarcoma.results)."""
        from sarcoma.results import test_summary

        rows = [("Pearson chi-square", self.chi2, self.df, self.chi2_p)]
        if self.chi2_yates is not None:
            rows.append(("Pearson chi-square, Yates continuity correction", self.chi2_yates, self.df, self.chi2_yates_p))
        rows.append((self.method, float("nan"), float("nan"), self.exact_p))
        return test_summary(rows)

    @property
    def statistic(self) -> float:
        """Pearson chi-square statistic (alias of ``chi2``)."""
        return self.chi2

    @property
    def p_value(self) -> float:
        """The exact test's p-value: valid whatever the expected counts."""
        return self.exact_p

    @property
    def cochran_ok(self) -> bool:
        """Cochran's rule: no expected count below 1 and at most 20% of cells below 5."""
        return not self.any_expected_below_1 and self.share_expected_below_5 <= 0.2

    def describe(self) -> str:
        """Plain-language summary of both tests and any caveat."""
        r, c = self.table.shape
        parts = [
            f"{r}x{c} table, n = {int(self.table.to_numpy().sum())}.",
            f"Pearson chi-square = {self.chi2:.3f}, df = {self.df}, p = {self.chi2_p:.4g}.",
        ]
        if self.chi2_yates is not None:
            parts.append(
                f"With Yates continuity correction: chi-square = {self.chi2_yates:.3f}, "
                f"p = {self.chi2_yates_p:.4g}."
            )
        if self.monte_carlo and self.mc_standard_error is not None:
            parts.append(
                f"{self.method}: p = {self.exact_p:.4g} "
                f"(Monte-Carlo standard error {self.mc_standard_error:.2g})."
            )
        else:
            parts.append(f"{self.method}: p = {self.exact_p:.4g}.")
        if self.expected_warning:
            parts.append(self.expected_warning)
        parts.extend(self.notes)
        return " ".join(parts)


def _as_count_table(
    table_or_df: Any, row: str | None, col: str | None
) -> tuple[pd.DataFrame, list[str]]:
    notes: list[str] = []
    if row is not None or col is not None:
        if row is None or col is None:
            raise ResponseDataError(
                "Give both row= and col= (two column names of the cohort) to cross-tabulate."
            )
        if not isinstance(table_or_df, pd.DataFrame):
            raise ResponseDataError("row=/col= need the cohort as a pandas DataFrame.")
        for name in (row, col):
            if name not in table_or_df.columns:
                raise ResponseDataError(f"The cohort has no column {name!r}.")
        sub = table_or_df[[row, col]]
        n_drop = int(sub.isna().any(axis=1).sum())
        if n_drop:
            notes.append(f"{n_drop} patient(s) with a missing {row!r} or {col!r} were left out.")
        counts = pd.crosstab(sub[row], sub[col], dropna=True)
    elif isinstance(table_or_df, pd.DataFrame):
        counts = table_or_df.copy()
    else:
        try:
            arr = np.asarray(table_or_df, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ResponseDataError(
                "The table must be a grid of counts (list of rows, array or DataFrame)."
            ) from exc
        if arr.ndim != 2:
            raise ResponseDataError(
                f"The table must be two-dimensional (rows x columns of counts); got {arr.ndim} "
                "dimension(s)."
            )
        counts = pd.DataFrame(arr)
    try:
        values = counts.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ResponseDataError(
            "The table must contain only counts (whole numbers); pass row= and col= to "
            "cross-tabulate two cohort columns instead."
        ) from exc
    if values.size == 0:
        raise ResponseDataError("The table is empty: there is nothing to test.")
    if np.isnan(values).any():
        raise ResponseDataError("The table has empty cells; use 0 for categories with no patients.")
    if (values < 0).any() or (values != np.round(values)).any():
        raise ResponseDataError("The table must contain whole, non-negative patient counts.")
    return pd.DataFrame(values.astype(np.int64), index=counts.index, columns=counts.columns), notes


def association_test(
    table_or_df: Any,
    row: str | None = None,
    col: str | None = None,
    *,
    exact: str = "auto",
    n_resamples: int = DEFAULT_N_RESAMPLES,
    seed: int = DEFAULT_SEED,
    enumeration_limit: int = DEFAULT_ENUMERATION_LIMIT,
) -> AssociationResult:
    """Pearson chi-square plus Fisher's exact (2x2) / Fisher-Freeman-Halton (r x c) test.

    ``table_or_df`` is a table of counts (list of rows, array or DataFrame), or the cohort
    DataFrame with ``row`` and ``col`` naming the two columns to cross-tabulate. Rows or
    columns that are all zero are dropped with a note.

    ``exact``: "auto" enumerates every table with the observed margins when that takes at most
    ``enumeration_limit`` steps and otherwise estimates the p-value from ``n_resamples`` random
    tables with the same margins (seeded with ``seed``); "enumerate" insists on the exact
    enumeration (error if too large); "monte-carlo" always simulates.
    """
    if exact not in ("auto", "enumerate", "monte-carlo"):
        raise ResponseDataError(
            f"exact must be 'auto', 'enumerate' or 'monte-carlo', not {exact!r}."
        )
    if not isinstance(n_resamples, int) or n_resamples < 1:
        raise ResponseDataError(
            f"n_resamples must be a positive whole number, not {n_resamples!r}."
        )
    counts, notes = _as_count_table(table_or_df, row, col)

    zero_rows = [str(i) for i, s in zip(counts.index, counts.sum(axis=1), strict=True) if s == 0]
    zero_cols = [str(c) for c, s in zip(counts.columns, counts.sum(axis=0), strict=True) if s == 0]
    if zero_rows:
        notes.append(f"Row(s) with no patients dropped: {', '.join(zero_rows)}.")
    if zero_cols:
        notes.append(f"Column(s) with no patients dropped: {', '.join(zero_cols)}.")
    counts = counts.loc[counts.sum(axis=1) > 0, counts.sum(axis=0) > 0]
    if counts.shape[0] < 2 or counts.shape[1] < 2:
        raise ResponseDataError(
            "An association test needs at least two groups and two outcomes with patients; "
            f"after dropping empty rows/columns the table is {counts.shape[0]} x "
            f"{counts.shape[1]}."
        )
    obs = counts.to_numpy()

    chi = stats.chi2_contingency(obs, correction=False)
    expected = np.asarray(chi.expected_freq, dtype=float)
    chi2_yates = chi2_yates_p = odds_ratio = None
    if obs.shape == (2, 2):
        yates = stats.chi2_contingency(obs, correction=True)
        chi2_yates, chi2_yates_p = float(yates.statistic), float(yates.pvalue)

    mc_se: float | None = None
    used_mc = False
    if obs.shape == (2, 2) and exact != "monte-carlo":
        fe = stats.fisher_exact(obs)
        exact_p, odds_ratio = float(fe.pvalue), float(fe.statistic)
        method = "Fisher's exact test (two-sided, 2x2)"
    else:
        exact_p_or_none = None
        if exact != "monte-carlo":
            exact_p_or_none = fisher_freeman_halton_exact(obs, enumeration_limit=enumeration_limit)
            if exact_p_or_none is None and exact == "enumerate":
                raise ResponseDataError(
                    "This table has too many possible arrangements to enumerate within "
                    f"enumeration_limit={enumeration_limit}; use exact='auto' or 'monte-carlo'."
                )
        if exact_p_or_none is not None:
            exact_p = exact_p_or_none
            method = "Fisher-Freeman-Halton exact test (full enumeration of tables with the observed margins)"
        else:
            used_mc = True
            exact_p = fisher_freeman_halton_monte_carlo(obs, n_resamples=n_resamples, seed=seed)
            mc_se = math.sqrt(exact_p * (1 - exact_p) / n_resamples)
            reason = "" if exact == "monte-carlo" else " (too many tables to enumerate)"
            method = (
                f"Fisher-Freeman-Halton test, Monte-Carlo p-value from {n_resamples:,} random "
                f"tables with the observed margins, seed {seed}{reason}"
            )

    n_cells = expected.size
    below5 = int((expected < 5).sum())
    below1 = bool((expected < 1).any())
    share = below5 / n_cells
    warning = ""
    if below5 or below1:
        warning = (
            f"{below5} of {n_cells} cells ({100 * share:.0f}%) have an expected count below 5"
            + (" and at least one is below 1" if below1 else "")
            + f" (minimum expected count {expected.min():.2f})."
        )
        if below1 or share > 0.2:
            warning += (
                " Cochran's rule (no expected count below 1, at most 20% below 5) is not met, "
                "so the chi-square p-value is unreliable: use the exact test's p-value."
            )
    return AssociationResult(
        table=counts,
        expected=pd.DataFrame(expected, index=counts.index, columns=counts.columns),
        chi2=float(chi.statistic),
        df=int(chi.dof),
        chi2_p=float(chi.pvalue),
        exact_p=float(exact_p),
        method=method,
        monte_carlo=used_mc,
        n_resamples=n_resamples if used_mc else None,
        seed=seed if used_mc else None,
        mc_standard_error=mc_se,
        chi2_yates=chi2_yates,
        chi2_yates_p=chi2_yates_p,
        odds_ratio=odds_ratio,
        min_expected=float(expected.min()),
        n_cells_expected_below_5=below5,
        share_expected_below_5=share,
        any_expected_below_1=below1,
        expected_warning=warning,
        notes=tuple(notes),
    )


def response_crosstab(
    df: pd.DataFrame,
    by: str,
    *,
    response_col: str = "best_response",
    outcome: str = "responder",
    denominator: str = "evaluable",
) -> pd.DataFrame:
    """Counts table of ``by`` x response, ready for ``association_test``.

    ``outcome``: "responder" (CR/PR vs not), "disease_control" (CR/PR/SD vs not) or
    "best_response" (CR, PR, SD, PD columns, plus NE when ``denominator="all"``).
    With ``denominator="evaluable"`` NE patients are left out; with "all" they count as
    non-responders (or get their own NE column for "best_response").
    """
    table = response_table(df, by, response_col=response_col, denominator=denominator)
    table = table.drop(index=TOTAL_LABEL)
    if outcome == "best_response":
        cols = list(EVALUABLE_RESPONSES) + (["NE"] if denominator == "all" else [])
        out = table[cols]
    elif outcome in ("responder", "disease_control"):
        yes = table["responders"] if outcome == "responder" else table[["CR", "PR", "SD"]].sum(1)
        base = table["n_denominator"]
        name = "Responder" if outcome == "responder" else "Disease control"
        out = pd.DataFrame({f"{name}: yes": yes, f"{name}: no": base - yes})
    else:
        raise ResponseDataError(
            f"outcome must be 'responder', 'disease_control' or 'best_response', not {outcome!r}."
        )
    return out.astype(np.int64)


# --------------------------------------------------------------------------- exact r x c


def _fillings(states: np.ndarray, total: int, cap: int) -> tuple[np.ndarray, np.ndarray] | None:
    """All ways to fill one column of sum ``total`` under each row-capacity vector in ``states``.

    Returns (parent index per filling, fillings as an (m, r) array) grouped by parent, or None
    as soon as more than ``cap`` partial fillings would be needed.
    """
    n_states, r = states.shape
    # tail[:, i] = capacity of rows i.. ; lets each row take only amounts the rest can complete.
    tail = np.zeros((n_states, r + 1), dtype=np.int64)
    tail[:, :r] = np.cumsum(states[:, ::-1], axis=1)[:, ::-1]
    parent = np.arange(n_states)
    used = np.zeros(n_states, dtype=np.int64)
    cols: list[np.ndarray] = []
    for i in range(r):
        lo = np.maximum(0, total - used - tail[parent, i + 1])
        hi = np.minimum(states[parent, i], total - used)
        n_opt = np.maximum(hi - lo + 1, 0)
        if int(n_opt.sum()) > cap:
            return None
        idx = np.repeat(np.arange(parent.size), n_opt)
        x = lo[idx] + (np.arange(idx.size) - np.repeat(np.cumsum(n_opt) - n_opt, n_opt))
        cols = [c[idx] for c in cols] + [x]
        parent, used = parent[idx], used[idx] + x
    return parent, np.column_stack(cols)


def fisher_freeman_halton_exact(
    table: Sequence[Sequence[int]] | np.ndarray,
    *,
    enumeration_limit: int = DEFAULT_ENUMERATION_LIMIT,
) -> float | None:
    """Exact Fisher-Freeman-Halton p-value for an r x c table, or None if too large.

    p = sum of the probabilities of all tables with the observed margins that are no more
    likely than the observed table (multivariate hypergeometric null; the definition used by
    R's ``fisher.test``). Network algorithm in the spirit of Mehta & Patel (1983): the table is
    filled column by column; a node is the sorted vector of remaining row totals; exact longest
    and shortest remaining paths let whole sub-networks be counted or discarded at once, and
    partial tables reaching the same node with the same probability are merged. The last free
    column is summed by binary search instead of being expanded.
    ``enumeration_limit`` caps the work (edges generated plus partial tables expanded).
    """
    raw = np.asarray(table, dtype=float)
    if raw.ndim != 2:
        raise ResponseDataError("The table must be two-dimensional (rows x columns of counts).")
    if not np.isfinite(raw).all() or (raw < 0).any() or (raw != np.round(raw)).any():
        raise ResponseDataError("The table must contain whole, non-negative patient counts.")
    t = raw.astype(np.int64)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return 1.0  # a single row or column admits only the observed table
    # Rows are the state, columns the stages: keep the state vector short and, for square
    # tables, the largest free column small (it dominates the work).
    if t.shape[0] > t.shape[1] or (
        t.shape[0] == t.shape[1] and np.sort(t.sum(axis=1))[-2] < np.sort(t.sum(axis=0))[-2]
    ):
        t = t.T
    n = int(t.sum())
    r = t.shape[0]
    base = n + 1
    if r * math.log(base) > 62 * math.log(2):
        return None  # node keys would overflow int64; such tables are far too large anyway
    lf = gammaln(np.arange(n + 2, dtype=float) + 1)  # lf[x] = log(x!)
    row_sums = np.sort(t.sum(axis=1))
    # The largest column is filled last, where the filling is forced (no branching).
    col_sums = np.sort(t.sum(axis=0))
    last = col_sums.size - 2  # last stage with a free choice
    log_p_obs = lf[row_sums].sum() + lf[col_sums].sum() - lf[n] - lf[t].sum()
    threshold = log_p_obs + math.log1p(_REL_TOL)
    weights = base ** np.arange(r, dtype=np.int64)

    # Forward pass: nodes per stage and edges (parent, child, conditional log-probability of
    # the column filling given the remaining row totals: a multivariate hypergeometric term).
    stage_states = [row_sums[None, :]]
    edges: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    work = 0
    for k in range(last + 1):
        states = stage_states[k]
        c_k = int(col_sums[k])
        filled = _fillings(states, c_k, enumeration_limit - work)
        if filled is None:
            return None
        parent, fill = filled
        work += parent.size
        rem = states[parent]
        s = rem.sum(axis=1)
        log_w = (lf[rem] - lf[fill] - lf[rem - fill]).sum(axis=1) - (lf[s] - lf[c_k] - lf[s - c_k])
        if k == last:
            edges.append((parent, np.zeros(0, dtype=np.int64), log_w))
            break
        child_states = np.sort(rem - fill, axis=1)
        _, first, child = np.unique(child_states @ weights, return_index=True, return_inverse=True)
        stage_states.append(child_states[first])
        edges.append((parent, child.ravel(), log_w))

    # Backward pass: exact longest/shortest remaining log-probability from every node.
    n_nodes = [len(s) for s in stage_states]
    longest: list[np.ndarray] = [np.empty(0)] * (last + 1)
    shortest: list[np.ndarray] = [np.empty(0)] * (last + 1)
    for k in range(last, -1, -1):
        parent, child, log_w = edges[k]
        starts = np.searchsorted(parent, np.arange(n_nodes[k]))
        tail_hi = log_w if k == last else log_w + longest[k + 1][child]
        tail_lo = log_w if k == last else log_w + shortest[k + 1][child]
        longest[k] = np.maximum.reduceat(tail_hi, starts)
        shortest[k] = np.minimum.reduceat(tail_lo, starts)

    # Traversal: (node, past log-probability, merged mass) items, pruned with the bounds.
    p_value = 0.0
    node = np.zeros(1, dtype=np.int64)
    past = np.zeros(1)
    mass = np.ones(1)
    for k in range(last + 1):
        all_in = past + longest[k][node] <= threshold
        # Every completion is at least as extreme; their conditional probabilities sum to 1.
        p_value += float(mass[all_in].sum())
        open_ = ~all_in & (past + shortest[k][node] <= threshold)
        if not open_.any():
            break
        node, past, mass = node[open_], past[open_], mass[open_]
        parent, child, log_w = edges[k]
        first_edge = np.searchsorted(parent, np.arange(n_nodes[k]))
        n_edges = np.diff(np.r_[first_edge, parent.size])
        if k == last:
            p_value += _sum_last_column(node, past, mass, parent, log_w, threshold)
            break
        reps = n_edges[node]
        work += int(reps.sum())
        if work > enumeration_limit:
            return None
        item = np.repeat(np.arange(node.size), reps)
        e = first_edge[node][item] + (
            np.arange(item.size) - np.repeat(np.cumsum(reps) - reps, reps)
        )
        new_node = child[e]
        new_past = past[item] + log_w[e]
        new_mass = mass[item] * np.exp(log_w[e])
        # Merge partial tables at the same node whose log-probabilities agree to 1e-9.
        key_past = np.round(new_past * 1e9).astype(np.int64)
        order = np.lexsort((key_past, new_node))
        new_node, key_past = new_node[order], key_past[order]
        boundary = np.r_[True, (new_node[1:] != new_node[:-1]) | (key_past[1:] != key_past[:-1])]
        starts = np.flatnonzero(boundary)
        node = new_node[starts]
        past = new_past[order][starts]
        mass = np.add.reduceat(new_mass[order], starts)
    return min(p_value, 1.0)


def _sum_last_column(
    node: np.ndarray,
    past: np.ndarray,
    mass: np.ndarray,
    parent: np.ndarray,
    log_w: np.ndarray,
    threshold: float,
) -> float:
    """Mass of the completions with past + log_w <= threshold, per node by binary search."""
    total = 0.0
    order = np.lexsort((log_w, parent))  # edges by node, then by log-probability
    w_sorted, p_sorted = log_w[order], parent[order]
    bounds = np.searchsorted(p_sorted, np.arange(int(p_sorted[-1]) + 2))
    for nd in np.unique(node):
        lo, hi = bounds[nd], bounds[nd + 1]
        w = w_sorted[lo:hi]
        cum = np.r_[0.0, np.cumsum(np.exp(w))]
        sel = node == nd
        k = np.searchsorted(w, threshold - past[sel], side="right")
        total += float((mass[sel] * cum[k]).sum())
    return total


def fisher_freeman_halton_monte_carlo(
    table: Sequence[Sequence[int]] | np.ndarray,
    *,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> float:
    """Monte-Carlo Fisher-Freeman-Halton p-value from random tables with the observed margins.

    Uses scipy's ``fisher_exact`` with ``MonteCarloMethod`` (random tables from
    ``scipy.stats.random_table``); p = (count as extreme + 1) / (n_resamples + 1), like R's
    ``fisher.test(simulate.p.value = TRUE)``.
    """
    t = np.asarray(table, dtype=np.int64)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    method = stats.MonteCarloMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
    # scipy may return the p-value of a 2x2 table as a one-element array (also 2-d when every
    # simulated table ties with the observed one): take the number itself.
    return float(np.asarray(stats.fisher_exact(t, method=method).pvalue, dtype=float).reshape(-1)[0])
