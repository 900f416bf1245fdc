"""Harrell's concordance of a Cox model, as R's `coxph` reports it (`summary(fit)$concordance`).

R (survival 3.x, `concordancefit(y, lp, strata, reverse = TRUE, timefix = FALSE)`):

* a pair is comparable when the shorter time is an event: patient i has the event at t_i and
  patient j of the same stratum is still at risk, i.e. t_j > t_i or j is censored at t_i;
  two events at the same time are "tied on y" and not comparable;
* concordant when the patient with the event has the higher risk score (linear predictor),
  discordant when lower, "tied on x" when equal; concordance = (C + T/2) / (C + D + T);
* standard error by the infinitesimal jackknife: every patient's share of the concordant,
  discordant and tied pairs (R's `dfbeta`), var = sum(dfbeta^2) / 4.

Pairs are counted in blocks of events (memory grows with block size x patients).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Concordance", "concordance"]

_BLOCK = 512


@dataclass(frozen=True)
class Concordance:
    concordance: float
    se: float
    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float


def concordance(time: np.ndarray, event: np.ndarray, risk: np.ndarray, strata: np.ndarray | None = None) -> Concordance:
    """Concordance of `risk` (higher = earlier event expected) with right-censored times."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event).astype(bool)
    x = np.asarray(risk, dtype=float)
    st = np.zeros(t.size, dtype=int) if strata is None else np.unique(np.asarray(strata), return_inverse=True)[1].ravel()
    # Per patient: comparable pairs it belongs to that are concordant, discordant, tied on x.
    share = np.zeros((t.size, 3))
    tied_y = tied_xy = 0.0
    for s in np.unique(st):
        rows = np.flatnonzero(st == s)
        ts, es, xs = t[rows], e[rows], x[rows]
        events = np.flatnonzero(es)
        for lo in range(0, events.size, _BLOCK):
            i = events[lo : lo + _BLOCK]
            comparable = (ts[None, :] > ts[i, None]) | ((ts[None, :] == ts[i, None]) & ~es[None, :])
            for col, kind in enumerate((np.greater, np.less, np.equal)):
                pair = comparable & kind(xs[i, None], xs[None, :])
                share[rows[i], col] += pair.sum(axis=1)
                share[rows, col] += pair.sum(axis=0)
            same_time = (ts[None, :] == ts[i, None]) & es[None, :] & (np.arange(rows.size)[None, :] < i[:, None])
            tied_y += float(same_time.sum())
            tied_xy += float((same_time & (xs[None, :] == xs[i, None])).sum())
    # Each pair was added to both of its patients.
    conc, disc, tx = share.sum(axis=0) / 2
    npair = conc + disc + tx
    if npair == 0:
        return Concordance(math.nan, math.nan, 0.0, 0.0, 0.0, tied_y - tied_xy, tied_xy)
    somers_d = (conc - disc) / npair
    dfbeta = (share[:, 0] - share[:, 1]) / npair - somers_d / npair * share.sum(axis=1)
    return Concordance(
        concordance=(somers_d + 1) / 2, se=math.sqrt(float(np.sum(dfbeta**2)) / 4), concordant=float(conc),
        discordant=float(disc), tied_x=float(tx), tied_y=tied_y - tied_xy, tied_xy=tied_xy,
    )
