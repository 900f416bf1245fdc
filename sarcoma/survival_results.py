"""The shared vocabulary of the survival statistics: input checks, the result types
(`KMResult`, `LogRankResult`), CI and weight names, median formatting and multiplicity
adjustment. `sarcoma.survival` (the patient-row API) and `sarcoma.lifetable` (the engine that
computes from life tables) both stand on it, so neither imports the other at load time.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sarcoma.errors import SarcomaError

CONF_TYPES: tuple[str, ...] = ("log-log", "log", "plain", "spss")
WEIGHTS: tuple[str, ...] = ("logrank", "breslow", "tarone-ware", "peto", "fh-rho1")
_WEIGHT_ALIASES = {
    "log-rank": "logrank",
    "mantel-cox": "logrank",
    "wilcoxon": "breslow",
    "gehan": "breslow",
    "gehan-breslow": "breslow",
    "tarone": "tarone-ware",
    "peto-peto": "peto",
    "fleming-harrington": "fh-rho1",
    "rho1": "fh-rho1",
    "survdiff-rho1": "fh-rho1",
}
_ADJUST = ("holm", "bh", "none")
# R's quantile.survfit tolerance for "the curve equals 0.5 exactly".
_TOL = math.sqrt(np.finfo(float).eps)


class SurvivalInputError(SarcomaError):
    """The data cannot be analysed as given; the message says what to fix."""


class CoxFitError(SurvivalInputError):
    """The Cox model cannot be estimated reliably from these data."""


# --------------------------------------------------------------------------- validation


def _row_list(mask: np.ndarray, limit: int = 5) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(r + 1) for r in rows[:limit])
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    return f"row{'s' if rows.size > 1 else ''} {shown}{more}"


def _as_float(values: Any, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        # Mixed objects (pd.NA, free text): coerce, then report what did not convert.
        series = pd.Series(np.asarray(values, dtype=object).ravel())
        coerced = pd.to_numeric(series, errors="coerce")
        bad = coerced.isna().to_numpy() & series.notna().to_numpy()
        if bad.any():
            raise SurvivalInputError(
                f"{what} must be numbers; found text such as {series[bad].iloc[0]!r} "
                f"in {_row_list(bad)}."
            ) from None
        arr = coerced.to_numpy(dtype=float)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    elif arr.ndim > 1:
        if arr.ndim == 2 and 1 in arr.shape:
            arr = arr.ravel()
        else:
            raise SurvivalInputError(f"{what} must be a single column of values.")
    return arr


def _validate(time: Any, event: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return (time float array, event bool array) or raise a plain-language error."""
    t = _as_float(time, "Survival times")
    e = _as_float(event, "Event indicators")
    if t.size != e.size:
        raise SurvivalInputError(
            f"There are {t.size} survival times but {e.size} event indicators; "
            "each patient needs exactly one of each."
        )
    if t.size == 0:
        raise SurvivalInputError("No patients to analyse: the selection is empty.")
    if np.isnan(t).any():
        raise SurvivalInputError(
            f"Survival time is missing for {_row_list(np.isnan(t))}. "
            "Fill it in or remove those patients before the analysis."
        )
    if np.isnan(e).any():
        raise SurvivalInputError(
            f"The event indicator is missing for {_row_list(np.isnan(e))}. "
            "Use 1 for an event (progression/death) and 0 for censored."
        )
    if not np.isfinite(t).all():
        raise SurvivalInputError(f"Survival time is infinite for {_row_list(~np.isfinite(t))}.")
    if (t < 0).any():
        raise SurvivalInputError(
            f"Survival time is negative for {_row_list(t < 0)}. Check that the start date "
            "is before the progression/death/last follow-up date."
        )
    bad = (e != 0) & (e != 1)
    if bad.any():
        raise SurvivalInputError(
            f"The event indicator must be 1 (event) or 0 (censored); found {e[bad][0]:g} "
            f"in {_row_list(bad)}."
        )
    return t, e == 1


def _codes(values: Any, what: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..k-1 and the labels: category order for a pandas Categorical (e.g.
    line "1", "2", ">=3"), else sorted when the labels can be sorted."""
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        cat = pd.Categorical(values).remove_unused_categories()
        codes, labels = np.asarray(cat.codes), np.asarray(cat.categories)
    else:
        arr = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
        try:
            codes, labels = pd.factorize(arr.ravel(), sort=True)
        except TypeError:  # labels of mixed types cannot be sorted: keep order of appearance
            codes, labels = pd.factorize(arr.ravel(), sort=False)
    if codes.size != n:
        raise SurvivalInputError(f"There are {n} survival times but {codes.size} values of {what}.")
    if (codes < 0).any():
        raise SurvivalInputError(
            f"{what.capitalize()} is missing for {_row_list(codes < 0)}. "
            "Remove those patients or give them a group before comparing groups."
        )
    return codes.astype(np.intp), np.asarray(labels)


# --------------------------------------------------------------------------- Kaplan-Meier


class SurvivalAt(NamedTuple):
    """Survival estimate and pointwise confidence limits at requested times."""

    survival: Any
    lower: Any
    upper: Any


@dataclass(frozen=True, eq=False)
class KMResult:
    """Kaplan-Meier estimate. Arrays have one entry per distinct observed time plus t = 0.

    `std_err` is Greenwood's standard error of S(t). `median_se` is the SPSS/Collett
    standard error of the median (see `kaplan_meier`); it is computed for every
    `conf_type` but only used for the interval when `conf_type="spss"`.
    """

    time: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    n: int
    n_events: int
    median: float
    median_lower: float
    median_upper: float
    conf_type: str
    alpha: float
    # First time S(t) <= 0.5: the median SPSS and lifelines print. It differs from `median`
    # only when S(t) = 0.5 exactly over a flat stretch (R's midpoint rule, see `median_rule`).
    median_first: float = math.nan
    # Why a median limit is NaN: "not reached" (the band stays above 0.5 wherever it is
    # defined) or "not estimable" (the interval cannot be computed: SE undefined, e.g. n = 1).
    median_lower_missing: str = "not reached"
    median_upper_missing: str = "not reached"

    @functools.cached_property
    def median_se(self) -> float:
        """SPSS's standard error of the median (Collett's formula, `_spss_median_se`);
        computed on first use (only the "spss" interval needs it)."""
        if math.isnan(self.median):
            return math.nan
        se_at_median = float(self.std_err[np.searchsorted(self.time, self.median, side="right") - 1])
        return _spss_median_se(self.time, self.survival, self.events, self.median, se_at_median)

    @property
    def median_rule(self) -> str:
        """"midpoint" when S(t) = 0.5 exactly over a flat and R's midpoint was used (SPSS
        prints the start of the flat, `median_first`), else "first" (or "" if not reached)."""
        if math.isnan(self.median):
            return ""
        return "first" if self.median == self.median_first else "midpoint"

    def median_text(self, digits: int = 1) -> str:
        """'4.6 (3.2-5.9)', saying 'not reached' or 'not estimable' for a missing limit."""
        return format_median(
            self.median, self.median_lower, self.median_upper, digits,
            lower_missing=self.median_lower_missing, upper_missing=self.median_upper_missing,
        )

    def survival_at(self, t: float | Sequence[float] | np.ndarray) -> SurvivalAt:
        """S(t) and its pointwise CI at time(s) `t` (right-continuous step function).

        Times beyond the last observed time give NaN: like R's `summary(survfit, times=)`
        (whose default `extend=FALSE` drops such times) we do not extrapolate past follow-up.
        Except when the curve has reached 0 (the last patient had the event): S stays 0, which
        is known, not extrapolated; its confidence limits are NaN, as R gives them at S = 0.
        Negative or missing times are an error. Scalars in, floats out; arrays in, arrays out.
        """
        scalar = np.ndim(t) == 0
        tt = np.atleast_1d(np.asarray(t, dtype=float))
        if np.isnan(tt).any() or (tt < 0).any():
            raise SurvivalInputError("Times for survival estimates must be zero or positive.")
        idx = np.searchsorted(self.time, tt, side="right") - 1
        beyond = tt > self.time[-1]
        out = []
        for i, arr in enumerate((self.survival, self.lower, self.upper)):
            vals = arr[idx].astype(float)
            vals[beyond] = 0.0 if i == 0 and self.survival[-1] == 0 else np.nan
            out.append(float(vals[0]) if scalar else vals)
        return SurvivalAt(*out)

    def std_err_at(self, t: float | Sequence[float] | np.ndarray) -> Any:
        """Greenwood standard error of S(t) at time(s) `t` (NaN beyond follow-up)."""
        scalar = np.ndim(t) == 0
        tt = np.atleast_1d(np.asarray(t, dtype=float))
        if np.isnan(tt).any() or (tt < 0).any():
            raise SurvivalInputError("Times for survival estimates must be zero or positive.")
        idx = np.searchsorted(self.time, tt, side="right") - 1
        vals = self.std_err[idx].astype(float)
        vals[tt > self.time[-1]] = np.nan
        return float(vals[0]) if scalar else vals

    def to_frame(self) -> pd.DataFrame:
        """The life table as a DataFrame (one row per time)."""
        return pd.DataFrame(
            {
                "time": self.time,
                "at_risk": self.at_risk,
                "events": self.events,
                "censored": self.censored,
                "survival": self.survival,
                "std_err": self.std_err,
                "lower": self.lower,
                "upper": self.upper,
            }
        )


def _z(alpha: float) -> float:
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise SurvivalInputError(f"alpha must be between 0 and 1 (e.g. 0.05), not {alpha!r}.")
    return _normal_quantile(1 - alpha / 2)


@functools.lru_cache(maxsize=16)
def _normal_quantile(q: float) -> float:
    # scipy.stats.norm.ppf is this ufunc (same digits) behind ~0.15 ms of argument checking,
    # and importing scipy at all would slow the app's first start (the Data page needs none).
    from scipy.special import ndtri

    return float(ndtri(q))


def _spss_median_se(
    times: np.ndarray, surv: np.ndarray, events: np.ndarray, median: float, se_at_median: float
) -> float:
    """Standard error of the median as SPSS prints it (Collett's density-based formula).

    SE(t50) = SE(S(t50)) / f, with the density estimated by a finite difference over the
    event times bracketing 0.55 and 0.45:
        f = (S(u) - S(l)) / (l - u),  u = max{t_j : S(t_j) >= 0.55},  l = min{t_j : S(t_j) <= 0.45}
    Sources: D. Collett, Modelling Survival Data in Medical Research, sec. 2.4 (percentile
    standard errors); J.P. Marques de Sa, Applied Statistics Using SPSS, STATISTICA, MATLAB
    and R (2007), sec. 9.2, eq. 9.17; the IBM SPSS Statistics Algorithms "KM" chapter as
    summarised on Cross Validated ("kaplan-meier-using-survfit-confidence-interval-of-the-
    median": SPSS uses a uniform-kernel density estimate based on the estimated 55th and 45th
    percentiles, Klein & Moeschberger practical note 3). The algorithms PDF itself was not
    retrievable here. The t_j are the event times plus the origin (t = 0, S = 1), so u exists
    even when the first event already takes S below 0.55. NaN ("not estimable") when the
    median is not reached, when l does not exist (S never falls to 0.45), when S(t50) = 0
    (its SE is undefined) or when l = u = 0 (events at time zero).
    """
    if math.isnan(median) or math.isnan(se_at_median):
        return math.nan
    is_event = events > 0
    ev_t = np.concatenate(([0.0], times[is_event]))
    ev_s = np.concatenate(([1.0], surv[is_event]))
    # Tolerance so that an exact 0.55 or 0.45 (e.g. 11/12 * 3/5) counts whatever the rounding.
    upper_idx = np.flatnonzero(ev_s >= 0.55 - _TOL)
    lower_idx = np.flatnonzero(ev_s <= 0.45 + _TOL)
    if lower_idx.size == 0:
        return math.nan
    u, lo = upper_idx[-1], lower_idx[0]
    if ev_t[lo] <= ev_t[u]:  # events at t = 0 take S below 0.45: no width to estimate f
        return math.nan
    density = (ev_s[u] - ev_s[lo]) / (ev_t[lo] - ev_t[u])
    return float(se_at_median / density)




def format_median(
    value: float,
    lower: float,
    upper: float,
    digits: int = 1,
    *,
    lower_missing: str = "not reached",
    upper_missing: str = "not reached",
) -> str:
    """'4.6 (3.2-5.9)'; a NaN median reads 'not reached', a NaN limit `lower_missing` /
    `upper_missing` ('not reached' or 'not estimable', see `KMResult.median_text`). Two
    limits missing for the same reason are said once: '5.0 (not estimable)'."""

    def fmt(x: float, missing: str) -> str:
        return missing if x is None or math.isnan(x) else f"{x:.{digits}f}"

    def gone(x: float) -> bool:
        return x is None or math.isnan(x)

    median = fmt(value, "not reached")
    if gone(lower) and gone(upper) and lower_missing == upper_missing:
        if lower_missing == "not reached" and gone(value):
            return "not reached"
        return f"{median} ({lower_missing})"
    return f"{median} ({fmt(lower, lower_missing)}-{fmt(upper, upper_missing)})"


# --------------------------------------------------------------------------- log-rank family


@dataclass(frozen=True, eq=False)
class LogRankResult:
    """Result of a (weighted, possibly stratified) log-rank test.

    `observed` and `expected` are unweighted event counts per group (what a clinician reads in
    a table; identical to R survdiff's for the plain log-rank). The statistic uses the
    weighted `o_minus_e` and its covariance `variance`.
    """

    statistic: float
    df: int
    p_value: float
    groups: np.ndarray
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    o_minus_e: np.ndarray
    variance: np.ndarray
    weights: str
    stratified: bool
    test: str = "overall"
    scores: np.ndarray | None = None
    # Groups never at risk together with another group at an event time (e.g. a regimen used
    # by one centre only, with centre strata): they add nothing to the statistic or the df.
    no_comparison: tuple = ()

    def no_comparison_note(self) -> str | None:
        """Plain-language note naming the groups that contribute no comparison, if any."""
        if not self.no_comparison:
            return None
        names = ", ".join(str(g) for g in self.no_comparison)
        where = "in its stratum" if self.stratified else "at the event times"
        return (
            f"No comparison for {names}: never at risk together with another group {where} "
            f"(e.g. alone at risk), so it adds nothing to the test; df = {self.df}."
        )

    @property
    def summary(self) -> pd.DataFrame:
        """The test as one row of the common summary shape (sarcoma.results)."""
        from sarcoma.results import test_summary

        name = {"logrank": "log-rank"}.get(self.weights, self.weights)
        name = ("trend, " if self.test == "trend" else "") + name + (", stratified" if self.stratified else "")
        return test_summary([(name, self.statistic, self.df, self.p_value)])

    def to_frame(self) -> pd.DataFrame:
        """Per-group table: n, observed and expected events."""
        return pd.DataFrame(
            {
                "group": self.groups,
                "n": self.n,
                "observed": self.observed,
                "expected": self.expected,
            }
        )


def _weight_name(weights: str) -> str:
    name = _WEIGHT_ALIASES.get(str(weights).lower(), str(weights).lower())
    if name not in WEIGHTS:
        raise SurvivalInputError(
            f"Unknown test weighting {weights!r}; choose one of {', '.join(WEIGHTS)}."
        )
    return name




def adjust_pvalues(p_values: Any, method: str = "holm") -> np.ndarray:
    """Multiplicity-adjusted p-values, as R's `p.adjust`.

    `method`: "holm" (step-down, default), "bh" (Benjamini-Hochberg false discovery rate;
    "fdr_bh"/"fdr" accepted) or "none". NaN p-values stay NaN and do not count as tests.
    """
    name = str(method).lower()
    name = {"fdr_bh": "bh", "fdr": "bh", "benjamini-hochberg": "bh"}.get(name, name)
    if name not in _ADJUST:
        raise SurvivalInputError(
            f"Unknown p-value adjustment {method!r}; choose one of {', '.join(_ADJUST)}."
        )
    p = np.atleast_1d(np.asarray(p_values, dtype=float))
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    ps_all = p[ok]
    if ((ps_all < 0) | (ps_all > 1)).any():
        raise SurvivalInputError("p-values must lie between 0 and 1.")
    m = ps_all.size
    if name == "none" or m == 0:
        out[ok] = ps_all
        return out
    order = np.argsort(ps_all, kind="stable")
    ps = ps_all[order]
    if name == "holm":
        adj = np.minimum(np.maximum.accumulate(ps * (m - np.arange(m))), 1.0)
    else:
        adj = np.minimum(np.minimum.accumulate((ps * m / np.arange(1, m + 1))[::-1])[::-1], 1.0)
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out
