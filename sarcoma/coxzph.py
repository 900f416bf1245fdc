"""Proportional-hazards test of a Cox model: R's `cox.zph` (survival >= 3.0).

Grambsch & Therneau (Biometrika 1994) test whether a coefficient changes with g(t), a chosen
transform of time. survival 3.x computes it as a score test: the model is extended with the
covariates x * g(t) and one Newton step is taken from (beta_hat, 0), i.e. the score for the
time-interaction terms is tested against the full 2p x 2p information matrix (C routine
`zph1`). This module does the same on the fitted model of `sarcoma.coxfit`:

* g(t) is computed once for all rows, ignoring strata, and centred on its mean over events:
  "km" (default): 1 - S(t-) with S the Kaplan-Meier of the pooled data;
  "rank": rank of the time among all rows (ties get their average rank);
  "identity": the time itself.
* Risk sets, and so the score and information, are those of the model: per stratum, Efron
  ties. Ties and strata therefore cannot depend on row order (lifelines' rank transform did).
* One test per term (a factor with k levels is one term on k - 1 df, as R's default
  `terms = TRUE`) and a GLOBAL test on all p df.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sarcoma.coxfit import CoxFit
from sarcoma.errors import SarcomaError

__all__ = ["DEFAULT_TRANSFORM", "TRANSFORMS", "ZphResult", "ZphSingularError", "cox_zph", "time_transform"]

DEFAULT_TRANSFORM = "km"

TRANSFORMS: dict[str, str] = {
    "km": "1 - Kaplan-Meier survival, R's default",
    "rank": "rank of time",
    "identity": "time itself",
}


class ZphSingularError(SarcomaError):
    """The time-interaction information matrix is singular (R: "system is computationally
    singular"): too few distinct event times with patients left at risk to test a trend."""


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # R's solve() refuses a matrix whose reciprocal condition number is below machine epsilon.
    if not np.isfinite(a).all() or 1 / np.linalg.cond(a, 1) < np.finfo(float).eps:
        raise ZphSingularError(
            "The proportional-hazards test cannot be computed: there are too few distinct event "
            "times with patients still at risk to see a change over time."
        )
    return np.linalg.solve(a, b)


@dataclass(frozen=True)
class ZphResult:
    """`table`: one row per term plus "GLOBAL", columns chisq, df, p (R's `cox.zph(fit)$table`)."""

    table: pd.DataFrame
    transform: str

    @property
    def global_p(self) -> float:
        return float(self.table.loc["GLOBAL", "p"])


def time_transform(time: np.ndarray, event: np.ndarray, transform: str) -> np.ndarray:
    """g(t) for every row, before centring (R's `ttimes`)."""
    if transform == "identity":
        return time.astype(float)
    if transform == "rank":
        return stats.rankdata(time, method="average")
    if transform == "km":
        times, inverse = np.unique(time, return_inverse=True)
        deaths = np.bincount(inverse, weights=event.astype(float), minlength=times.size)
        leaving = np.bincount(inverse, minlength=times.size)
        at_risk = time.size - np.concatenate(([0], np.cumsum(leaving)[:-1]))
        surv = np.cumprod(1 - deaths / at_risk)
        before = np.concatenate(([1.0], surv[:-1]))  # S(t-): survival just before each time
        return 1 - before[inverse]
    raise ValueError(f"Unknown time transform {transform!r}; choose one of {', '.join(TRANSFORMS)}.")


def cox_zph(fit: CoxFit, terms: Mapping[str, Sequence[int]] | None = None, transform: str = DEFAULT_TRANSFORM) -> ZphResult:
    """Grambsch-Therneau test per term and globally, as R's cox.zph(fit, transform).

    `terms` maps a term name to its columns of the design matrix (default: one term per
    column, named x1, x2, ...). Right-censored fits only. Raises `ZphSingularError` where R's
    cox.zph stops with a singular system.
    """
    if fit.start is not None:
        raise ValueError("The proportional-hazards test is implemented for right-censored data only.")
    p = fit.coef.size
    terms = dict(terms) if terms is not None else {f"x{j + 1}": [j] for j in range(p)}
    g_rows = time_transform(fit.time, fit.event, transform)
    g_rows = g_rows - g_rows[fit.event].mean()

    rs = fit.risk_sets
    x = fit.x
    _, mean, cov = rs.efron_steps(x, fit.linear_predictor)
    # g is a function of time only, so every event at one event time shares it.
    g_death = np.empty(rs.death_time.size)
    g_death[rs.event_death] = g_rows[rs.event_rows]
    g_step = g_death[rs.step_death]
    er = rs.event_rows
    u_time = (g_rows[er, None] * x[er]).sum(axis=0) - (g_step[:, None] * mean).sum(axis=0)
    imat = np.zeros((2 * p, 2 * p))
    imat[:p, :p] = cov.sum(axis=0)
    imat[:p, p:] = (g_step[:, None, None] * cov).sum(axis=0)
    imat[p:, :p] = imat[:p, p:].T
    imat[p:, p:] = (g_step[:, None, None] ** 2 * cov).sum(axis=0)
    # The score for beta itself is 0 at the MLE (R uses 0, not the numerical residue).
    u = np.concatenate((np.zeros(p), u_time))

    rows = []
    for name, cols in terms.items():
        kk = np.concatenate((np.arange(p), p + np.asarray(cols, dtype=int)))
        chisq = float(u[kk] @ _solve(imat[np.ix_(kk, kk)], u[kk]))
        rows.append((name, chisq, len(cols)))
    rows.append(("GLOBAL", float(u @ _solve(imat, u)), p))
    table = pd.DataFrame(rows, columns=["term", "chisq", "df"]).set_index("term")
    table["p"] = stats.chi2.sf(table["chisq"], table["df"])
    return ZphResult(table=table, transform=transform)
