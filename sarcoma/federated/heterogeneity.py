"""Between-centre heterogeneity: does one centre drive the pooled result?

Per centre, the Peto (log-rank based) hazard ratio of one level against a reference level:
log HR = (O - E) / V and SE = 1 / sqrt(V), with O - E and V the comparison group's observed
minus expected events and their variance from that centre's log-rank test. Pooled over centres
(fixed effect, Peto / Yusuf et al. 1985): log HR = sum(O - E) / sum(V), which is the
centre-stratified log-rank's own estimate. Heterogeneity: Cochran's Q = sum (O - E)^2 / V -
(sum(O - E))^2 / sum(V) on (centres - 1) df, and I^2 = max(0, (Q - df) / Q) (Higgins &
Thompson 2002). Per-centre medians come from each centre's Kaplan-Meier curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcoma.federated.pool import Pooled
from sarcoma.formatting import hr_text, p_value_text
from sarcoma.lifetable import km_from_table, logrank_from_table
from sarcoma.survival import SurvivalInputError, _z


@dataclass(frozen=True)
class CentreEstimate:
    centre: str
    n: int
    events: int
    o_minus_e: float
    variance: float
    hr: float
    lower: float
    upper: float
    note: str = ""


@dataclass(frozen=True)
class Heterogeneity:
    endpoint: str
    grouping: str
    reference: str
    comparison: str
    centres: tuple[CentreEstimate, ...]
    hr: float
    lower: float
    upper: float
    q: float
    df: int
    p_value: float
    i2: float
    alpha: float = 0.05

    @property
    def contributing(self) -> tuple[CentreEstimate, ...]:
        return tuple(c for c in self.centres if not c.note)

    def summary(self) -> str:
        """One line: the pooled Peto HR, Q with its df and p, and I^2."""
        if not self.contributing:
            return "No centre has both groups with events: no per-centre hazard ratio."
        text = (f"Peto HR {self.comparison} vs {self.reference}, all centres (fixed effect): {hr_text(self.hr, self.lower, self.upper)}")
        if self.df >= 1:
            text += f"; Cochran's Q = {self.q:.2f}, df = {self.df}, p = {p_value_text(self.p_value) or 'not computed'}; I² = {100 * self.i2:.0f}%"
        else:
            text += "; one centre contributes, so heterogeneity cannot be assessed"
        return text

    def table(self) -> pd.DataFrame:
        rows = [{"Centre": c.centre, "n": c.n, "Events": c.events, "O - E": c.o_minus_e, "V": c.variance,
                 "HR (95% CI)": hr_text(c.hr, c.lower, c.upper) if not c.note else c.note} for c in self.centres]
        return pd.DataFrame(rows)


def peto_by_centre(pooled: Pooled, endpoint: str, grouping: str, reference: str, comparison: str, *,
                   alpha: float = 0.05) -> Heterogeneity:
    """Per-centre Peto hazard ratios of `comparison` vs `reference`, their fixed-effect pool,
    Cochran's Q and I^2 (see the module docstring)."""
    z = _z(alpha)
    table = pooled.life_table(endpoint, grouping, by_centre=True)
    labels = list(table.groups)
    for level in (reference, comparison):
        if level not in labels:
            raise SurvivalInputError(f"{level!r} is not a level of {pooled.label(grouping)} in the pooled {endpoint} data.")
    pair = [labels.index(reference), labels.index(comparison)]
    estimates = []
    for s, centre in enumerate(table.strata):
        rows = table.stratum == s
        part = _stratum(table, rows)
        n = int((part.events + part.censored)[np.isin(part.group, pair)].sum())
        events = int(part.events[np.isin(part.group, pair)].sum())
        try:
            res = logrank_from_table(part.select_groups(pair))
            ome, var = float(res.o_minus_e[1]), float(res.variance[1, 1])
            if not var > 0:
                raise SurvivalInputError("no variance")
        except SurvivalInputError:
            estimates.append(CentreEstimate(str(centre), n, events, math.nan, math.nan, math.nan, math.nan, math.nan,
                                            note=_why_not(part, pair)))
            continue
        log_hr, se = ome / var, 1 / math.sqrt(var)
        estimates.append(CentreEstimate(str(centre), n, events, ome, var, math.exp(log_hr), math.exp(log_hr - z * se),
                                        math.exp(log_hr + z * se)))
    present = {e.centre for e in estimates}
    for centre in pooled.centres:
        if centre not in present:  # withheld by the centre's disclosure control, or no patients in the two groups
            withheld = any(n.startswith(f"{centre}: ") for n in pooled.notes_for(endpoint, grouping))
            estimates.append(CentreEstimate(centre, 0, 0, math.nan, math.nan, math.nan, math.nan, math.nan,
                                            note="not shared by the centre (disclosure control)" if withheld
                                            else "no patient in the two groups"))
    estimates.sort(key=lambda e: e.centre)
    used = [e for e in estimates if not e.note]
    if not used:
        nan = math.nan
        return Heterogeneity(endpoint, grouping, reference, comparison, tuple(estimates), nan, nan, nan, nan, 0, nan, nan, alpha)
    ome = np.array([e.o_minus_e for e in used])
    var = np.array([e.variance for e in used])
    log_hr, se = ome.sum() / var.sum(), 1 / math.sqrt(var.sum())
    q = float((ome**2 / var).sum() - ome.sum() ** 2 / var.sum())
    q = max(q, 0.0)  # rounding can leave -1e-16 where every centre agrees exactly
    df = len(used) - 1
    p = _chi2_sf(q, df) if df >= 1 else math.nan
    i2 = max(0.0, (q - df) / q) if df >= 1 and q > 0 else 0.0
    return Heterogeneity(endpoint, grouping, reference, comparison, tuple(estimates), math.exp(log_hr),
                         math.exp(log_hr - z * se), math.exp(log_hr + z * se), q, df, p, i2, alpha)


def _stratum(table, rows):
    from sarcoma.lifetable import LifeTable

    return LifeTable(table.times, np.zeros(int(rows.sum()), dtype=np.intp), table.group[rows], table.time_index[rows],
                     table.events[rows], table.censored[rows], table.at_risk[rows], table.groups, table.strata[:1], False)


def _why_not(part, pair) -> str:
    present = set(np.unique(part.group[np.isin(part.group, pair)]).tolist())
    if len(present) < 2:
        return "not estimable: the centre has only one of the two groups"
    if part.events[np.isin(part.group, pair)].sum() == 0:
        return "not estimable: no events in the two groups"
    return "not estimable: the two groups are never at risk together at an event time"


def _chi2_sf(stat: float, df: int) -> float:
    from scipy.special import chdtrc

    return float(chdtrc(df, stat))


def medians_by_centre(pooled: Pooled, endpoint: str, grouping: str | None = None, level: str | None = None, *,
                      conf_type: str = "log-log") -> pd.DataFrame:
    """Each centre's Kaplan-Meier median (95% CI) of an endpoint (of one level of a grouping,
    or all patients), with the pooled median last."""
    table = pooled.life_table(endpoint, grouping, by_centre=True)
    curves = km_from_table(table, conf_type=conf_type)
    pooled_curves = km_from_table(table.unstratified(), conf_type=conf_type)
    key = level if grouping is not None else next(iter(pooled_curves))
    rows = []
    for centre in table.strata:
        km = curves.get((centre, key))
        if km is None:
            continue
        rows.append({"Centre": str(centre), "n": km.n, "Events": km.n_events, "median": km.median, "lower": km.median_lower,
                     "upper": km.median_upper, "Median (95% CI), months": km.median_text()})
    km = pooled_curves[key]
    rows.append({"Centre": "All centres (pooled)", "n": km.n, "Events": km.n_events, "median": km.median, "lower": km.median_lower,
                 "upper": km.median_upper, "Median (95% CI), months": km.median_text()})
    return pd.DataFrame(rows)
