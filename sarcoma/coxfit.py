"""Cox proportional-hazards fit that reproduces R's `coxph` (survival 3.x) to its printed digits.

lifelines' Newton-Raphson takes damped steps (0.95 of the Newton step) and stops on a loose
rule, which leaves coefficients up to 5e-4 (relative) short of the maximum. This module follows
R's C routines `coxfit6` (right-censored data) and `agfit4` (counting-process (start, stop]
data) step for step:

* Efron's approximation for tied event times, risk sets per stratum;
* Newton-Raphson from beta = 0 with full steps; a step that lowers the log partial likelihood is
  halved back towards the last good point (step-halving);
* convergence when the relative change of the log partial likelihood is <= eps (1e-9), at most
  `iter_max` (20) iterations, as `coxph.control()`;
* collinearity from R's `cholesky2` tolerance (eps ** 0.75), and R's check for a coefficient
  that drifts to infinity (complete separation);
* times that differ only by floating-point noise are tied first, as R's `aeqSurv`.

Newton's method is affine invariant, so R's centring and scaling of the covariates do not
change the iterates; we centre only (numerical stability). Everything is vectorised over the
distinct event times (one sort, cumulative sums), so a fit costs a few milliseconds.
The model-level tests are those of R's `summary(coxph)`: likelihood ratio, Wald and score
(log-rank) tests; the concordance is `sarcoma.concordance`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sarcoma.errors import SarcomaError

__all__ = ["ChiSquareTest", "CoxEngineError", "CoxFit", "fit_coxph", "tie_near_equal_times"]

EPS = 1e-9
ITER_MAX = 20
TOLER_CHOL = np.finfo(float).eps ** 0.75
TOLER_INF = math.sqrt(EPS)


class CoxEngineError(SarcomaError):
    """The partial likelihood has no usable maximum; `reason` says why (see `REASONS`)."""

    REASONS = ("no_events", "singular", "not_converged", "infinite")

    def __init__(self, reason: str, message: str, columns: tuple[int, ...] = ()):
        super().__init__(message)
        self.reason = reason
        self.columns = columns


@dataclass(frozen=True)
class ChiSquareTest:
    """A chi-square test as R prints it: statistic on df degrees of freedom, p."""

    name: str
    statistic: float
    df: int
    p_value: float

    @classmethod
    def of(cls, name: str, statistic: float, df: int) -> ChiSquareTest:
        p = float(stats.chi2.sf(statistic, df)) if np.isfinite(statistic) and df > 0 else math.nan
        return cls(name, float(statistic), int(df), p)


class _RiskSets:
    """Index bookkeeping that does not depend on beta: who is at risk at each event time.

    For each distinct event time t of a stratum, the risk set is the rows of that stratum with
    stop >= t (and, for counting-process data, start < t). Rows are sorted by (stratum, stop),
    so a reverse cumulative sum evaluated at the first row with stop >= t, minus its value at
    the stratum's end, sums over the risk set; start times are handled the same way and
    subtracted. Patients censored at t are at risk at t (events happen first, as in R).
    """

    def __init__(self, stop: np.ndarray, event: np.ndarray, strata: np.ndarray, start: np.ndarray | None):
        self.n = stop.size
        self.order_stop = np.lexsort((stop, strata))
        self.order_start = None if start is None else np.lexsort((start, strata))
        death_time, at_stop, end_stop, at_start, end_start, death_stratum = [], [], [], [], [], []
        s_sorted = strata[self.order_stop]
        bounds = np.flatnonzero(np.diff(s_sorted)) + 1
        lo_all = np.concatenate(([0], bounds))
        hi_all = np.concatenate((bounds, [self.n]))
        if start is not None:
            s_start = strata[self.order_start]
            b2 = np.flatnonzero(np.diff(s_start)) + 1
            lo2_all = np.concatenate(([0], b2))
            hi2_all = np.concatenate((b2, [self.n]))
        for k, (lo, hi) in enumerate(zip(lo_all, hi_all, strict=True)):
            rows = self.order_stop[lo:hi]
            times = stop[rows]
            dt = np.unique(times[event[rows]])
            if dt.size == 0:
                continue
            death_time.append(dt)
            death_stratum.append(np.full(dt.size, s_sorted[lo]))
            at_stop.append(lo + np.searchsorted(times, dt, "left"))
            end_stop.append(np.full(dt.size, hi))
            if start is not None:
                lo2, hi2 = lo2_all[k], hi2_all[k]
                starts = start[self.order_start[lo2:hi2]]
                # rows whose interval starts at or after t are not yet at risk at t
                at_start.append(lo2 + np.searchsorted(starts, dt, "left"))
                end_start.append(np.full(dt.size, hi2))
        if not death_time:
            raise CoxEngineError("no_events", "There are no events, so no Cox model can be fitted.")
        self.death_time = np.concatenate(death_time)
        self.death_stratum = np.concatenate(death_stratum)
        self.at_stop, self.end_stop = np.concatenate(at_stop), np.concatenate(end_stop)
        if start is not None:
            self.at_start, self.end_start = np.concatenate(at_start), np.concatenate(end_start)
        # Events, grouped by their event time (global index into death_time).
        ev_rows = np.flatnonzero(event)
        key = {(s, t): i for i, (s, t) in enumerate(zip(self.death_stratum.tolist(), self.death_time.tolist(), strict=True))}
        ev_death = np.array([key[(s, t)] for s, t in zip(strata[ev_rows].tolist(), stop[ev_rows].tolist(), strict=True)], dtype=int)
        by_death = np.argsort(ev_death, kind="stable")
        self.event_rows = ev_rows[by_death]
        self.event_death = ev_death[by_death]
        self.n_dead = np.bincount(self.event_death, minlength=self.death_time.size)
        self.group_start = np.concatenate(([0], np.cumsum(self.n_dead)[:-1]))
        # Efron: the d tied deaths at t give d terms; in term j (0..d-1) a fraction j/d of the
        # deaths' risk is taken out of the risk set.
        self.step_death = np.repeat(np.arange(self.death_time.size), self.n_dead)
        self.step_frac = (np.arange(self.step_death.size) - self.group_start[self.step_death]) / self.n_dead[self.step_death]

    def _risk_sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of `values` (rows first) over each event time's risk set."""

        def reverse_cumsum(v: np.ndarray) -> np.ndarray:
            c = np.cumsum(v[::-1], axis=0)[::-1]
            return np.concatenate((c, np.zeros((1, *v.shape[1:]))), axis=0)

        c = reverse_cumsum(values[self.order_stop])
        total = c[self.at_stop] - c[self.end_stop]
        if self.order_start is not None:
            c2 = reverse_cumsum(values[self.order_start])
            total = total - (c2[self.at_start] - c2[self.end_start])
        return total

    def efron_steps(self, x: np.ndarray, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per Efron term: log of the denominator, weighted mean of x and its covariance."""
        risk = np.exp(eta - eta.max())  # a common factor cancels everywhere
        rx = risk[:, None] * x
        rxx = rx[:, :, None] * x[:, None, :]
        s0, s1, s2 = self._risk_sums(risk), self._risk_sums(rx), self._risk_sums(rxx)
        er = self.event_rows
        d0 = np.add.reduceat(risk[er], self.group_start)
        d1 = np.add.reduceat(rx[er], self.group_start, axis=0)
        d2 = np.add.reduceat(rxx[er], self.group_start, axis=0)
        k, f = self.step_death, self.step_frac
        # A diverging coefficient can underflow a whole risk set to 0: the non-finite result
        # makes the Newton iteration step back (halving), as in R.
        with np.errstate(divide="ignore", invalid="ignore"):
            den = s0[k] - f * d0[k]
            mean = (s1[k] - f[:, None] * d1[k]) / den[:, None]
            cov = (s2[k] - f[:, None, None] * d2[k]) / den[:, None, None] - mean[:, :, None] * mean[:, None, :]
            return np.log(den) + eta.max(), mean, cov

    def derivatives(self, x: np.ndarray, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log partial likelihood, score vector and information matrix at beta."""
        eta = x @ beta
        logden, mean, cov = self.efron_steps(x, eta)
        er = self.event_rows
        loglik = float(eta[er].sum() - logden.sum())
        score = x[er].sum(axis=0) - mean.sum(axis=0)
        return loglik, score, cov.sum(axis=0)


def _cholesky_rank(imat: np.ndarray, toler: float = TOLER_CHOL) -> tuple[int, tuple[int, ...]]:
    """Rank of the information matrix and its aliased columns, by R's `cholesky2` rule.

    A pivot below toler * (largest diagonal element) marks a column as redundant (collinear
    with the columns before it)."""
    m = np.array(imat, dtype=float)
    p = m.shape[0]
    largest = max(float(np.max(np.diag(m))), 0.0) if p else 0.0
    eps = toler if largest == 0 else largest * toler
    aliased = []
    for i in range(p):
        pivot = m[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            aliased.append(i)
            continue
        for j in range(i + 1, p):
            temp = m[j, i] / pivot
            m[j, i] = temp
            m[j, j] -= temp * temp * pivot
            m[j + 1 :, j] -= temp * m[j + 1 :, i]
    return p - len(aliased), tuple(aliased)


@dataclass(frozen=True, eq=False)
class CoxFit:
    """A converged Cox model: R's `coxph` components, plus the data it was fitted on.

    `x` is the design matrix centred on its column means (as R fits it); `strata` are integer
    codes; `start` is None for right-censored data.
    """

    coef: np.ndarray
    var: np.ndarray
    loglik_null: float
    loglik: float
    score_statistic: float
    iterations: int
    time: np.ndarray
    event: np.ndarray
    x: np.ndarray
    strata: np.ndarray
    start: np.ndarray | None
    risk_sets: _RiskSets

    @property
    def n(self) -> int:
        return int(self.time.size)

    @property
    def n_events(self) -> int:
        return int(self.event.sum())

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.var))

    @property
    def z(self) -> np.ndarray:
        return self.coef / self.se

    @property
    def wald_p(self) -> np.ndarray:
        """Per-coefficient Wald p-values, 2 * P(Z > |z|) (R's Pr(>|z|))."""
        return 2 * stats.norm.sf(np.abs(self.z))

    @property
    def linear_predictor(self) -> np.ndarray:
        """x beta with x centred on its means, as R's `fit$linear.predictors`."""
        return self.x @ self.coef

    def confint(self, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
        """Wald confidence limits of the hazard ratios, exp(coef -/+ z * se)."""
        z = stats.norm.ppf(1 - alpha / 2)
        return np.exp(self.coef - z * self.se), np.exp(self.coef + z * self.se)

    @property
    def lr_test(self) -> ChiSquareTest:
        return ChiSquareTest.of("Likelihood ratio test", 2 * (self.loglik - self.loglik_null), self.coef.size)

    @property
    def wald_test(self) -> ChiSquareTest:
        return ChiSquareTest.of("Wald test", float(self.coef @ np.linalg.solve(self.var, self.coef)), self.coef.size)

    @property
    def score_test(self) -> ChiSquareTest:
        return ChiSquareTest.of("Score (log-rank) test", self.score_statistic, self.coef.size)

    def model_tests(self) -> tuple[ChiSquareTest, ChiSquareTest, ChiSquareTest]:
        """The three global tests of R's summary(coxph), in its order."""
        return self.lr_test, self.wald_test, self.score_test


def tie_near_equal_times(time: np.ndarray, start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """R's aeqSurv (coxph's default timefix): times closer than sqrt(machine epsilon), absolutely
    or relative to their mean, become one tied time, so 0.1 + 0.2 and 0.3 are the same day."""
    tol = math.sqrt(np.finfo(float).eps)
    values = time if start is None else np.concatenate((start, time))
    y = np.unique(values[np.isfinite(values)])
    if y.size < 2:
        return time, start
    dy = np.diff(y)
    tied = (dy <= tol) | (dy / np.mean(np.abs(y)) <= tol)
    if not tied.any():
        return time, start
    cuts = y[np.concatenate(([True], ~tied))]

    def snap(v: np.ndarray) -> np.ndarray:
        return cuts[np.searchsorted(cuts, v, "right") - 1]

    return snap(time), (None if start is None else snap(start))


def fit_coxph(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    *,
    strata: np.ndarray | None = None,
    start: np.ndarray | None = None,
    eps: float = EPS,
    iter_max: int = ITER_MAX,
    timefix: bool = True,
) -> CoxFit:
    """Fit a Cox model with Efron ties exactly as R's coxph does (see the module docstring).

    `time` is the event/censoring time (the stop time for counting-process data, whose start
    times go in `start`), `event` 0/1, `x` an (n, p) design matrix, `strata` any labels (one
    baseline hazard each). Raises `CoxEngineError` when there are no events, the covariates are
    collinear, the iterations do not converge, or a coefficient drifts to infinity.
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event).astype(bool)
    xm = np.asarray(x, dtype=float)
    if xm.ndim == 1:
        xm = xm[:, None]
    st = np.zeros(t.size, dtype=int) if strata is None else np.unique(np.asarray(strata), return_inverse=True)[1].ravel()
    t0 = None if start is None else np.asarray(start, dtype=float)
    if timefix:
        t, t0 = tie_near_equal_times(t, t0)
    xc = xm - xm.mean(axis=0)
    rs = _RiskSets(t, e, st, t0)
    p = xc.shape[1]
    counting = t0 is not None

    beta = np.zeros(p)
    loglik0, u, imat = rs.derivatives(xc, beta)
    rank, aliased = _cholesky_rank(imat)
    if rank < p:
        raise CoxEngineError("singular", "The covariates are collinear (one is a combination of the others).", aliased)
    step = np.linalg.solve(imat, u)
    score_stat = float(u @ step)
    best = loglik0
    new_beta = beta + step
    halving = 0
    iterations = 0  # stays 0 unless converged
    for iteration in range(1, iter_max + 1):
        new_lik, new_u, new_imat = rs.derivatives(xc, new_beta)
        finite = np.isfinite(new_lik) and np.isfinite(new_u).all() and np.isfinite(new_imat).all()
        if finite and _cholesky_rank(new_imat)[0] < p:
            finite = False
        # coxfit6 accepts convergence while halving; agfit4 (counting process) does not.
        if finite and abs(1 - best / new_lik) <= eps and not (counting and halving):
            beta, u, imat, best, iterations = new_beta, new_u, new_imat, new_lik, iteration
            break
        if not finite or new_lik < best:
            halving += 1
            new_beta = (new_beta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best, beta, u, imat = new_lik, new_beta, new_u, new_imat
            new_beta = new_beta + np.linalg.solve(new_imat, new_u)
    if not iterations:
        raise CoxEngineError(
            "not_converged", f"The Cox model did not converge in {iter_max} iterations.", tuple(range(p))
        )
    var = np.linalg.inv(imat)
    var = (var + var.T) / 2
    # R (coxph.fit): a coefficient whose remaining Newton step is still large relative to its
    # size is heading to infinity -- the partial likelihood has no finite maximum.
    infs = np.abs(u @ var)
    drifting = ~np.isfinite(u) | ((infs > eps) & (infs > TOLER_INF * np.abs(beta)))
    if drifting.any():
        raise CoxEngineError(
            "infinite", "A coefficient is heading to infinity (complete separation).", tuple(np.flatnonzero(drifting))
        )
    return CoxFit(
        coef=beta, var=var, loglik_null=loglik0, loglik=best, score_statistic=score_stat, iterations=iterations,
        time=t, event=e, x=xc, strata=st, start=t0, risk_sets=rs,
    )
