"""Survival statistics: Kaplan-Meier, log-rank family tests and Cox regression.

Pure numpy/pandas (never streamlit). The dashboard recomputes every panel on each filter
change, so Kaplan-Meier and the log-rank family are computed from life tables
(`sarcoma.lifetable`: one sort, then cumulative sums) instead of calling lifelines; the
patient-row functions here (`kaplan_meier`, `median_follow_up`, `logrank_test`,
`logrank_trend`, `pairwise_logrank`) are thin wrappers over it. R's own output
(tests/reference, tests/test_reference_survival.py), lifelines and statsmodels are the test
oracles. Cox regression is fitted by `sarcoma.coxfit`, which follows R's coxph step for step.

Conventions (they follow R's `survival` package unless stated):

* Ties: at a time with both events and censorings, the events happen first, so patients
  censored at t are still at risk at t.
* `KMResult` has one row per distinct observed time (events and censorings) plus a row at
  t = 0, as lifelines does. The t = 0 row holds any events or censorings at time zero.
* The median is the first time S(t) <= 0.5; if S(t) equals 0.5 exactly over a flat stretch
  the median is the midpoint of that stretch (R's `quantile.survfit`). "Not reached" is NaN.
* Where S(t) = 0 the Greenwood variance is infinite, so the standard error and the pointwise
  interval are NaN there (R does the same; lifelines reports 0). Where S(t) = 1 the interval
  is [1, 1].
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sarcoma.lifetable import (
    EndpointSort,
    km_from_table,
    life_table,
    logrank_from_table,
    pairwise_from_table,
)
from sarcoma.survival_results import (  # re-exported: the patient-row API's names
    CONF_TYPES,
    WEIGHTS,
    CoxFitError,
    KMResult,
    LogRankResult,
    SurvivalAt,
    SurvivalInputError,
    _codes,
    _validate,
    _weight_name,
    _z,
    adjust_pvalues,
    format_median,
)

if TYPE_CHECKING:  # the Cox engine loads scipy.stats (~1 s): imported where a model is fitted
    from sarcoma.coxfit import ChiSquareTest, CoxEngineError, CoxFit

__all__ = [
    "CONF_TYPES",
    "WEIGHTS",
    "CoxFitError",
    "CoxResult",
    "KMResult",
    "LogRankResult",
    "SurvivalAt",
    "SurvivalInputError",
    "adjust_pvalues",
    "cox_hazard_ratios",
    "format_median",
    "kaplan_meier",
    "logrank_test",
    "logrank_trend",
    "median_follow_up",
    "pairwise_logrank",
]

def kaplan_meier(
    time: Any, event: Any, *, conf_type: str = "log-log", alpha: float = 0.05
) -> KMResult:
    """Kaplan-Meier estimate with Greenwood variance, pointwise CI and median with CI.

    `conf_type` sets the pointwise interval for S(t):
      * "log-log" (lifelines/SAS default): exp(-exp(log(-log S) -/+ z*sigma/log S)),
      * "log" (R survfit default): S*exp(-/+ z*sigma), upper limit capped at 1,
      * "plain": S -/+ z*SE(S), clipped to [0, 1],
      * "spss": plain as well. SPSS's KM procedure prints S and its SE but no interval
        (IBM support note "Can SPSS produce confidence intervals for the estimated survival
        function?"), so S -/+ z*SE is what a reader would compute from its output.
    with sigma^2 = sum d/(n(n-d)) (Greenwood on the log scale).

    Median CI: for the first three types, the Brookmeyer-Crowley-type interval R's
    `quantile.survfit` reports: the lower limit is where the *lower* pointwise band first
    reaches 0.5 and the upper limit where the *upper* band does (NaN = not reached).
    For "spss", the symmetric interval median -/+ z*SE(median) with SPSS's SE (Collett's
    formula, see `_spss_median_se`); it is not truncated at zero, as SPSS prints it.
    """
    _z(alpha)
    if conf_type not in CONF_TYPES:
        raise SurvivalInputError(
            f"Unknown confidence interval type {conf_type!r}; choose one of {', '.join(CONF_TYPES)}."
        )
    (km,) = km_from_table(life_table(time, event), conf_type=conf_type, alpha=alpha).values()
    return km


def median_follow_up(
    time: Any, event: Any, *, conf_type: str = "log-log", alpha: float = 0.05
) -> KMResult:
    """Median follow-up by the reverse Kaplan-Meier method (Schemper & Smith 1996).

    Censorings become the "events" and events become censorings, i.e. R's
    `survfit(Surv(time, 1 - status) ~ 1)`; read `.median`, `.median_lower`, `.median_upper`.
    """
    (km,) = km_from_table(life_table(time, event).reversed(), conf_type=conf_type, alpha=alpha).values()
    return km


def _prepare(time, event, group, strata):
    t, e = _validate(time, event)
    g, labels = _codes(group, "the group", t.size)
    s = None
    if strata is not None:
        s, _ = _codes(strata, "the stratum", t.size)
    if labels.size < 2:
        raise SurvivalInputError(
            f"Comparing survival needs at least two groups, but all patients are in "
            f"group '{labels[0]}'."
        )
    if not e.any():
        raise SurvivalInputError("No events in the selection, so survival cannot be compared.")
    return t, e, g, labels, s


def logrank_test(
    time: Any,
    event: Any,
    group: Any,
    *,
    strata: Any = None,
    weights: str = "logrank",
) -> LogRankResult:
    """k-group (weighted, optionally stratified) log-rank test, as R `survdiff`.

    Chi-square from the (O-E) vector U and its hypergeometric covariance V: U' V^- U on
    df = rank(V) (SAS LIFETEST's definition). Usually rank(V) = k - 1; it is lower when a
    group is never at risk together with another at an event time (no expected events, or
    alone at risk in its stratum: `no_comparison` names them) or when the groups split into
    sets never compared with each other (e.g. centre A R1 vs R2, centre B R3 vs R4: df = 2).
    Where rank(V) = k - 1 this is R's survdiff exactly; where it is lower survdiff stops with
    "exactly singular". `weights`: "logrank" (1), "breslow" (Gehan-Breslow-Wilcoxon, number
    at risk), "tarone-ware" (sqrt of number at risk), "peto" (Peto-Peto modified survival
    S~(t) = prod_{t_j <= t} (1 - d_j/(n_j + 1)), as SAS, Klein & Moeschberger and lifelines)
    or "fh-rho1" (the pooled Kaplan-Meier S(t-), R's survdiff(rho = 1)). With `strata`, O-E
    and covariance are summed over strata (survdiff with strata()).
    """
    return logrank_from_table(_table(time, event, group, strata), weights=weights)


def _table(time, event, group, strata):
    """Validated life table of patient rows for the log-rank family (plain-language errors
    for one group, no events, missing groups)."""
    t, e, g, labels, s = _prepare(time, event, group, strata)
    s_labels = None if s is None else np.arange(int(s.max()) + 1)
    return EndpointSort(t, e).table(g, labels, s, s_labels)


def logrank_trend(
    time: Any,
    event: Any,
    group: Any,
    *,
    scores: Sequence[float] | Mapping[Any, float] | None = None,
    strata: Any = None,
    weights: str = "logrank",
) -> LogRankResult:
    """Log-rank test for trend over ordered groups (e.g. ICI line 1, 2, >=3).

    U = sum_g s_g (O_g - E_g), Var = s' V s, statistic U^2 / Var on 1 df (Collett,
    Modelling Survival Data in Medical Research, sec. 2.6). `scores` default to 1..k in sorted
    group order; give a sequence aligned with the sorted groups or a {group: score} mapping.
    """
    table = _table(time, event, group, strata)
    k = table.groups.size
    return logrank_from_table(
        table, weights=weights, scores=np.arange(1, k + 1, dtype=float) if scores is None else scores
    )


def pairwise_logrank(
    time: Any,
    event: Any,
    group: Any,
    *,
    adjust: str = "holm",
    weights: str = "logrank",
    strata: Any = None,
) -> pd.DataFrame:
    """Log-rank test for every pair of groups (each on that pair's patients only).

    Columns: group_a, group_b, statistic, p_value, p_adjusted, adjust. `adjust` is
    "holm" (default), "bh" (Benjamini-Hochberg false discovery rate) or "none".
    """
    adjust_pvalues([], {"fdr_bh": "bh", "fdr": "bh", "benjamini-hochberg": "bh"}.get(str(adjust).lower(), str(adjust).lower()))
    _weight_name(weights)  # both names checked before any work
    return pairwise_from_table(_table(time, event, group, strata), adjust=adjust, weights=weights)


# --------------------------------------------------------------------------- Cox regression


@dataclass(frozen=True, eq=False)
class CoxResult:
    """Cox proportional hazards fit (`sarcoma.coxfit`, Efron ties, fitted as R's coxph).

    `table` has one row per model term, indexed by a readable label ("histotype: LMS vs
    UPS"), with columns covariate, level, reference, hr, lower, upper, p_value (Wald), coef,
    se. `tests` are R's summary(coxph) global tests (likelihood ratio, Wald, score/log-rank),
    `concordance` and `concordance_se` its concordance; `fit` keeps the fitted model (design
    matrix included) for the proportional-hazards test, `terms` maps each covariate to its
    columns in that design.
    """

    table: pd.DataFrame
    n: int
    n_events: int
    n_excluded: int
    references: dict[str, Any]
    strata: tuple[str, ...]
    concordance: float
    alpha: float
    concordance_se: float = math.nan
    tests: tuple[ChiSquareTest, ...] = ()
    fit: CoxFit | None = None
    terms: Mapping[str, Sequence[int]] | None = None

    @property
    def summary(self) -> pd.DataFrame:
        return self.table


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _levels(series: pd.Series) -> list[Any]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [c for c in series.cat.categories if c in present]
    vals = list(pd.unique(series.dropna()))
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=str)


def cox_hazard_ratios(
    df: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: str | Sequence[str],
    *,
    strata: str | Sequence[str] | None = None,
    reference: Mapping[str, Any] | Any = None,
    alpha: float = 0.05,
) -> CoxResult:
    """Hazard ratios with CI and Wald p-values from a Cox model, fitted as R's coxph.

    Text, categorical and boolean covariates are dummy-coded against a reference level:
    `reference={"histotype": "UPS"}` (or a plain value when there is one categorical
    covariate); by default the first level, i.e. the first category of a pandas Categorical
    (its defined order) or else the first in sorted order (False before True), as R does.
    Numeric covariates enter linearly. Patients with a missing covariate or stratum value are
    left out (complete-case analysis, as R and SPSS do) and counted in `n_excluded`.
    Problems that would give meaningless estimates (fewer than 2 events, a single level, a
    level without events, no convergence, separation) raise `CoxFitError`.
    """
    _z(alpha)
    if not isinstance(df, pd.DataFrame):
        raise SurvivalInputError("Cox regression needs the cohort as a table (DataFrame).")
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    strata_cols = [] if strata is None else ([strata] if isinstance(strata, str) else list(strata))
    if not covs:
        raise SurvivalInputError("Choose at least one covariate for the Cox model.")
    needed = [duration_col, event_col, *covs, *strata_cols]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise SurvivalInputError(
            f"Column(s) not found in the data: {', '.join(map(str, missing))}."
        )
    if len(set(needed)) != len(needed):
        raise SurvivalInputError(
            "A column is used twice (time, event, covariate and stratum must all differ)."
        )
    t, e = _validate(df[duration_col], df[event_col])
    complete = df[covs + strata_cols].notna().all(axis=1).to_numpy()
    n_excluded = int((~complete).sum())
    data = df.loc[complete, covs + strata_cols].reset_index(drop=True)
    t, e = t[complete], e[complete]
    if e.sum() < 2:
        raise CoxFitError(
            f"Cox regression needs at least 2 events; this selection has {int(e.sum())}"
            + (
                f" after leaving out {n_excluded} patients with missing values."
                if n_excluded
                else "."
            )
        )

    cat_covs = [c for c in covs if _is_categorical(data[c])]
    if reference is not None and not isinstance(reference, Mapping):
        if len(cat_covs) != 1:
            raise SurvivalInputError(
                "Give reference levels as {covariate: level} when there is not exactly one "
                "categorical covariate."
            )
        reference = {cat_covs[0]: reference}
    reference = dict(reference or {})
    unknown = [c for c in reference if c not in cat_covs]
    if unknown:
        raise SurvivalInputError(f"Reference level given for non-categorical column(s) {unknown}.")

    design = pd.DataFrame(index=data.index)
    term_info: dict[str, tuple[str, str, Any, Any]] = {}
    refs: dict[str, Any] = {}
    for c in covs:
        col = data[c]
        if c in cat_covs:
            levels = _levels(col)
            if len(levels) < 2:
                raise CoxFitError(
                    f"'{c}' has only one value ({levels[0]!r}) among these patients, so no "
                    "hazard ratio can be estimated for it."
                )
            ref = reference.get(c, levels[0])
            if ref not in levels:
                raise SurvivalInputError(
                    f"Reference level {ref!r} for '{c}' is not in the data; levels are {levels}."
                )
            for lev in levels:
                ev = int(e[(col == lev).to_numpy()].sum())
                if ev == 0:
                    raise CoxFitError(
                        f"No events among patients with {c} = {lev!r}; its hazard ratio cannot "
                        "be estimated. Merge it with another level or leave it out."
                    )
            refs[c] = ref
            for j, lev in enumerate(x for x in levels if x != ref):
                name = f"_x{len(term_info)}_{j}"
                design[name] = (col == lev).to_numpy(dtype=float)
                term_info[name] = (f"{c}: {lev} vs {ref}", c, lev, ref)
        else:
            x = col.to_numpy(dtype=float)
            if not np.isfinite(x).all():
                raise SurvivalInputError(f"'{c}' contains infinite values.")
            if np.ptp(x) == 0:
                raise CoxFitError(f"'{c}' has the same value for every patient; it cannot be used.")
            name = f"_x{len(term_info)}"
            design[name] = x
            term_info[name] = (str(c), c, None, None)
    strata_names = []
    for j, c in enumerate(strata_cols):
        name = f"_s{j}"
        design[name] = data[c].to_numpy()
        strata_names.append(name)
    design["_time"] = t
    design["_event"] = e.astype(int)

    names = [c for c in design.columns if c in term_info]
    strata_codes = (
        design[strata_names].groupby(strata_names, sort=True).ngroup().to_numpy() if strata_names else None
    )
    from sarcoma.concordance import concordance as cox_concordance
    from sarcoma.coxfit import CoxEngineError, fit_coxph

    try:
        fit = fit_coxph(t, e, design[names].to_numpy(dtype=float), strata=strata_codes)
    except CoxEngineError as exc:
        raise CoxFitError(_cox_failure_text(exc, [term_info[names[j]][0] for j in exc.columns])) from exc
    lower, upper = fit.confint(alpha)
    table = pd.DataFrame(
        {
            "covariate": [term_info[i][1] for i in names],
            "level": [term_info[i][2] for i in names],
            "reference": [term_info[i][3] for i in names],
            "hr": np.exp(fit.coef),
            "lower": lower,
            "upper": upper,
            "p_value": fit.wald_p,
            "coef": fit.coef,
            "se": fit.se,
        },
        index=pd.Index([term_info[i][0] for i in names], name="term"),
    )
    if not np.isfinite(table[["hr", "lower", "upper"]].to_numpy()).all():
        raise CoxFitError(
            "Some hazard ratios are infinite or undefined (complete separation). Merge small "
            "groups or leave the covariate out."
        )
    terms: dict[str, list[int]] = {}
    for j, name in enumerate(names):
        terms.setdefault(term_info[name][1], []).append(j)
    conc = cox_concordance(fit.time, fit.event, fit.linear_predictor, strata_codes)
    return CoxResult(
        table=table,
        n=int(t.size),
        n_events=int(e.sum()),
        n_excluded=n_excluded,
        references=refs,
        strata=tuple(strata_cols),
        concordance=float(conc.concordance),
        alpha=float(alpha),
        concordance_se=float(conc.se),
        tests=fit.model_tests(),
        fit=fit,
        terms=terms,
    )


def _cox_failure_text(exc: CoxEngineError, terms: list[str]) -> str:
    """Plain-language reason a Cox model has no usable estimate."""
    which = f" ({', '.join(terms)})" if terms else ""
    if exc.reason == "singular":
        return (
            f"Two or more covariates carry the same information{which}, so their effects "
            "cannot be separated. Leave one of them out or merge levels."
        )
    if exc.reason == "infinite":
        return (
            f"A hazard ratio is infinite{which}: the covariate perfectly predicts who has an "
            "event first (complete separation). Merge small groups or leave the covariate out."
        )
    return (
        "The Cox model did not converge. This usually means a covariate (almost) perfectly "
        "predicts who has an event, two covariates carry the same information, or a group is "
        "too small. Try fewer covariates or merge levels."
    )
