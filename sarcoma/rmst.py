"""Restricted mean survival time (RMST): the area under the Kaplan-Meier curve up to a horizon.

RMST(tau) reads "on average, patients lived (or stayed progression-free) X of the first tau
months". Unlike the median it exists whatever the censoring, and unlike the hazard ratio it
needs no proportional-hazards assumption (Royston & Parmar, BMC Med Res Methodol 2013;
Uno et al., J Clin Oncol 2014).

Conventions follow R's survRM2 (`rmst1` / `rmst2`):

* RMST = sum over the steps of the KM curve up to tau of (step width) x S.
* Variance by the Greenwood plug-in formula (Miller 1981; Klein & Moeschberger eq. 4.5.2):
  Var = sum over event times t_j <= tau of A_j^2 d_j / (n_j (n_j - d_j)), where A_j is the
  area under the curve from t_j to tau; the term is 0 when n_j = d_j (survRM2's rule).
* The horizon may not lie beyond a group's follow-up: for every group whose last observation is
  censored, tau must be at most that last time, and tau may never exceed the longest observed
  time (survRM2 stops with an error in the same cases).

Computed with numpy from life tables (`sarcoma.lifetable`; no lifelines on this path); lifelines'
`restricted_mean_survival_time` and published R output are the test oracles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sarcoma.groupings import DEFAULT_LINE_CUT, level_order, make_groupings
from sarcoma.km_summary import DEFAULT_MIN_GROUP, Exclusion, endpoint_columns, format_p
from sarcoma.lifetable import EndpointSort, km_from_table
from sarcoma.survival import KMResult, SurvivalInputError, _validate, kaplan_meier

__all__ = [
    "RMSTDifference",
    "RMSTEstimate",
    "RMSTHorizonError",
    "RMSTTable",
    "horizon_limit",
    "max_horizon",
    "restricted_mean",
    "rmst_by_group",
    "rmst_difference",
    "rmst_from_km",
]


class RMSTHorizonError(SurvivalInputError):
    """The horizon tau cannot be used with these data (beyond follow-up, zero or negative)."""


def _z(alpha: float) -> float:
    if not 0 < alpha < 1:
        raise SurvivalInputError("The confidence level must be between 0 and 100%.")
    return float(stats.norm.ppf(1 - alpha / 2))


def _check_tau(tau: float) -> float:
    try:
        tau = float(tau)
    except (TypeError, ValueError):
        raise RMSTHorizonError(f"The horizon must be a number of months, not {tau!r}.") from None
    if not math.isfinite(tau) or tau <= 0:
        raise RMSTHorizonError("The horizon for the restricted mean must be a positive number of months.")
    return tau


@dataclass(frozen=True)
class RMSTEstimate:
    """RMST of one group up to `tau`, with its standard error and (1 - alpha) CI."""

    label: str
    n: int
    n_events: int
    tau: float
    rmst: float
    se: float
    lower: float
    upper: float
    alpha: float = 0.05
    # Why se = 0 (nothing varies before tau), for the note; "" when se > 0.
    no_variance_reason: str = ""

    @property
    def rmtl(self) -> float:
        """Restricted mean time lost: tau - RMST (months lost to the event within tau)."""
        return self.tau - self.rmst

    def text(self, digits: int = 1) -> str:
        """'8.2 (6.9-9.5)': estimate and CI in months."""
        return f"{self.rmst:.{digits}f} ({self.lower:.{digits}f}-{self.upper:.{digits}f})"


def rmst_from_km(km: KMResult, tau: float, *, label: str = "All patients", alpha: float = 0.05) -> RMSTEstimate:
    """RMST up to `tau` from a Kaplan-Meier result (survRM2's `rmst1`), vectorised.

    The KM result's first row is t = 0 (see `kaplan_meier`), so events at time zero are
    included. `tau` is not checked against follow-up here; `restricted_mean` and
    `rmst_difference` do that.
    """
    tau = _check_tau(tau)
    z = _z(alpha)
    keep = km.time <= tau
    t = km.time[keep]
    s = km.survival[keep]
    n_risk = km.at_risk[keep].astype(float)
    d = km.events[keep].astype(float)
    # S is constant on [t_j, t_{j+1}); the last step runs to tau.
    area = np.diff(np.append(t, tau)) * s
    rmst = float(area.sum())
    # Area under the curve from each t_j to tau (reverse cumulative sum).
    tail = np.cumsum(area[::-1])[::-1]
    free = n_risk - d
    h = np.divide(d, n_risk * free, out=np.zeros_like(d), where=free > 0)
    se = float(math.sqrt(float((tail * tail * h).sum())))
    return RMSTEstimate(
        label=str(label), n=km.n, n_events=km.n_events, tau=tau, rmst=rmst, se=se,
        lower=rmst - z * se, upper=rmst + z * se, alpha=float(alpha),
        no_variance_reason="" if se > 0 else _no_variance_reason(t, d, tau),
    )


def _no_variance_reason(t: np.ndarray, d: np.ndarray, tau: float) -> str:
    """The Greenwood terms vanish only when no event happens before tau, or every event before
    tau took all patients still at risk (the curve fell straight to 0): say which."""
    if not (d[t < tau] > 0).any():
        return f"no event before {tau:g} months (the curve stays at 100%, RMST = τ)"
    return "the curve fell straight to 0: everyone still at risk had the event at the same time"


def _ends_with_event(km: KMResult) -> bool:
    """True when every patient still at risk at the last time had the event (S drops to 0).

    Then the curve is known (zero) beyond the last time; otherwise it stops there. This is
    survRM2's min(status at the last time).
    """
    return bool(km.events[-1] == km.at_risk[-1])


def _limit(kms: Mapping[Any, KMResult]) -> float:
    """survRM2's largest admissible tau for these curves."""
    limit = max(float(km.time[-1]) for km in kms.values())
    for km in kms.values():
        if not _ends_with_event(km):
            limit = min(limit, float(km.time[-1]))
    return limit


def _split(time: Any, event: Any, group: Any) -> dict[Any, KMResult]:
    """One Kaplan-Meier curve per group, in order of first appearance (validated inputs), all
    from one life table."""
    t, e = _validate(time, event)  # explains bad times/events
    if group is None:
        return {"All patients": kaplan_meier(t, e)}
    arr = group.to_numpy() if isinstance(group, pd.Series | pd.Index) else np.asarray(group, dtype=object)
    arr = arr.ravel()
    if arr.size != t.size:
        raise SurvivalInputError(f"There are {t.size} survival times but {arr.size} group labels.")
    codes, labels = pd.factorize(arr, sort=False)
    if (codes < 0).any():
        raise SurvivalInputError("The group is missing for some patients; remove them or give them a group.")
    return km_from_table(EndpointSort(t, e).table(codes, list(labels)))


def max_horizon(time: Any, event: Any, group: Any = None) -> float:
    """The longest usable horizon (survRM2's default tau), for one group or across groups.

    Every group whose last observation is censored limits tau to that time; tau may never exceed
    the longest observed time overall.
    """
    return _limit(_split(time, event, group))


def _check_horizon(kms: Mapping[Any, KMResult], tau: float) -> None:
    allowed = _limit(kms)
    if tau <= allowed:
        return
    for lab, km in kms.items():
        last = float(km.time[-1])
        if tau > last and not _ends_with_event(km):
            who = "the patients" if lab == "All patients" else f"group '{lab}'"
            raise RMSTHorizonError(
                f"The horizon of {tau:g} months is beyond the follow-up of {who}: the last patient "
                f"there was censored at {last:.1f} months, so the curve is unknown afterwards. "
                f"Choose a horizon of at most {allowed:.1f} months."
            )
    raise RMSTHorizonError(
        f"The horizon of {tau:g} months is beyond the longest observed time ({allowed:.1f} months). "
        f"Choose a horizon of at most {allowed:.1f} months."
    )


def restricted_mean(time: Any, event: Any, tau: float, *, alpha: float = 0.05, label: str = "All patients") -> RMSTEstimate:
    """RMST of one group up to `tau` months, refusing a horizon beyond its follow-up."""
    tau = _check_tau(tau)
    km = kaplan_meier(time, event)
    _check_horizon({label: km}, tau)
    return rmst_from_km(km, tau, label=label, alpha=alpha)


@dataclass(frozen=True)
class RMSTDifference:
    """RMST of `group` minus RMST of `reference` at the same tau, with CI and two-sided p."""

    group: RMSTEstimate
    reference: RMSTEstimate
    difference: float
    se: float
    lower: float
    upper: float
    p_value: float
    alpha: float = 0.05

    @property
    def tau(self) -> float:
        return self.group.tau

    @property
    def no_test_note(self) -> str:
        """Why there is no p-value (se = 0), in words; "" when there is one."""
        if self.se > 0:
            return ""
        parts = [f"'{e.label}': {e.no_variance_reason}" for e in (self.group, self.reference)]
        return (
            "No p-value: the difference has no sampling variability up to τ — "
            + "; ".join(parts) + "."
        )

    def text(self, digits: int = 1) -> str:
        """Plain-language sentence for the page."""
        d = self.difference
        more = "longer" if d >= 0 else "shorter"
        return (
            f"Within the first {self.tau:g} months, '{self.group.label}' patients had on average "
            f"{abs(d):.{digits}f} months {more} than '{self.reference.label}' patients "
            f"(difference {d:.{digits}f}, 95% CI {self.lower:.{digits}f} to {self.upper:.{digits}f}; {format_p(self.p_value)})."
            + (f" {self.no_test_note}" if self.no_test_note else "")
        )


def _difference(a: RMSTEstimate, b: RMSTEstimate, alpha: float) -> RMSTDifference:
    z = _z(alpha)
    diff = a.rmst - b.rmst
    se = math.sqrt(a.se**2 + b.se**2)
    # se = 0 only when neither curve varies before tau (see RMSTDifference.no_test_note).
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else math.nan
    return RMSTDifference(
        group=a, reference=b, difference=diff, se=se, lower=diff - z * se, upper=diff + z * se,
        p_value=p, alpha=float(alpha),
    )


def rmst_difference(
    time: Any, event: Any, group: Any, tau: float, *, reference: Any = None, alpha: float = 0.05
) -> RMSTDifference:
    """Difference in RMST between two groups (survRM2's `rmst2`, unadjusted).

    `reference` is the group subtracted (default: the first in order of appearance). Raises
    `RMSTHorizonError` when tau is beyond a group's follow-up, as survRM2 does.
    """
    tau = _check_tau(tau)
    kms = _split(time, event, group)
    labels = list(kms)
    if len(labels) != 2:
        raise SurvivalInputError(f"The RMST difference needs exactly two groups; there are {len(labels)}.")
    ref = labels[0] if reference is None else reference
    if ref not in labels:
        raise SurvivalInputError(f"Reference group {ref!r} is not in the data; groups are {labels}.")
    _check_horizon(kms, tau)
    other = next(lab for lab in labels if lab != ref)
    est = {lab: rmst_from_km(km, tau, label=str(lab), alpha=alpha) for lab, km in kms.items()}
    return _difference(est[other], est[ref], alpha)


@dataclass(frozen=True)
class RMSTTable:
    """RMST per level of a grouping and each level's difference from the reference level."""

    endpoint: str
    grouping: str | None
    grouping_label: str
    tau: float
    max_tau: float
    reference: str
    estimates: dict[str, RMSTEstimate]
    differences: dict[str, RMSTDifference]
    n_subset: int
    excluded: tuple[Exclusion, ...] = field(default_factory=tuple)
    small_groups: tuple[str, ...] = ()
    min_group_size: int = DEFAULT_MIN_GROUP

    def frame(self) -> pd.DataFrame:
        """One row per group: n, events, RMST (95% CI), difference vs reference (95% CI), p, note."""
        rows = []
        for lab, est in self.estimates.items():
            diff = self.differences.get(lab)
            note = ""
            if lab in self.small_groups or (diff is not None and self.reference in self.small_groups):
                note = f"group below {self.min_group_size} patients — p-value unreliable"
            if diff is not None and diff.no_test_note:
                note = f"{note}; {diff.no_test_note}" if note else diff.no_test_note
            rows.append(
                {
                    "Group": lab,
                    "n": est.n,
                    "Events": est.n_events,
                    f"RMST to {self.tau:g} months (95% CI)": est.text(),
                    f"Difference vs {self.reference} (95% CI)": "reference" if diff is None else f"{diff.difference:.1f} ({diff.lower:.1f} to {diff.upper:.1f})",
                    "p": "" if diff is None else format_p(diff.p_value),
                    "Note": note,
                    "rmst": est.rmst,
                    "se": est.se,
                    "difference": math.nan if diff is None else diff.difference,
                    "p_value": math.nan if diff is None else diff.p_value,
                }
            )
        return pd.DataFrame(rows)

    def methods_note(self) -> str:
        return (
            f"Restricted mean survival time: area under the Kaplan-Meier curve up to {self.tau:g} months "
            "(the average number of months lived event-free within that window). Standard errors by the "
            "Greenwood plug-in formula and differences by a normal approximation, as R's survRM2. "
            f"The longest horizon these data allow is {self.max_tau:.1f} months."
        )


@dataclass(frozen=True)
class _Grouped:
    t: np.ndarray
    e: np.ndarray
    labels: pd.Series
    levels: list[str]
    grouping_label: str
    excluded: tuple[Exclusion, ...]


def _grouped(df: pd.DataFrame, endpoint: str, grouping: str | None, line_cut: int) -> _Grouped:
    """Usable patients of `df` with their group; the others counted with the reason."""
    tcol, ecol = endpoint_columns(endpoint)
    ids = df["patient_id"].astype(str) if "patient_id" in df else pd.Series(df.index.astype(str), index=df.index)
    time = pd.to_numeric(df[tcol], errors="coerce") if tcol in df else pd.Series(np.nan, index=df.index)
    event = pd.to_numeric(df[ecol], errors="coerce") if ecol in df else pd.Series(np.nan, index=df.index)
    usable = time.notna() & event.notna()
    excluded = []
    if (~usable).any():
        excluded.append(Exclusion(f"no usable {endpoint} time or event recorded", int((~usable).sum()), tuple(ids[~usable])))
    if grouping is None:
        labels = pd.Series("All patients", index=df.index, dtype=object)
        g, grouping_label = None, "All patients"
    else:
        g = make_groupings(line_cut)[grouping]
        labels = g.make(df)
        grouping_label = g.label
        missing = usable & labels.isna()
        if missing.any():
            excluded.append(Exclusion(f"{g.label} not recorded", int(missing.sum()), tuple(ids[missing])))
    keep = usable & labels.notna()
    if not keep.any():
        raise SurvivalInputError(f"No patient in this selection has a usable {endpoint} time, event and group.")
    lab = labels[keep]
    return _Grouped(
        t=time[keep].to_numpy(float), e=event[keep].to_numpy(float), labels=lab,
        levels=[str(v) for v in level_order(lab, g)], grouping_label=grouping_label, excluded=tuple(excluded),
    )


def _curves(gr: _Grouped) -> dict[str, KMResult]:
    codes = pd.Categorical(gr.labels.astype(str), categories=gr.levels).codes
    return km_from_table(EndpointSort.from_arrays(gr.t, gr.e).table(codes, gr.levels))


def horizon_limit(df: pd.DataFrame, endpoint: str, grouping: str | None, *, line_cut: int = DEFAULT_LINE_CUT) -> float:
    """The longest horizon `rmst_by_group` accepts for this cohort and grouping (survRM2's rule)."""
    return _limit(_curves(_grouped(df, endpoint, grouping, line_cut)))


def rmst_by_group(
    df: pd.DataFrame,
    endpoint: str,
    grouping: str | None,
    tau: float,
    *,
    reference: str | None = None,
    alpha: float = 0.05,
    min_group_size: int = DEFAULT_MIN_GROUP,
    line_cut: int = DEFAULT_LINE_CUT,
) -> RMSTTable:
    """RMST at `tau` for each level of a grouping (see `sarcoma.groupings`) of the cohort.

    Patients without a usable time/event or without a group are left out and counted in
    `excluded`, as on the Survival page. The reference level defaults to the first level in
    display order (natural order for ordered groupings, else the largest group).
    """
    tau = _check_tau(tau)
    gr = _grouped(df, endpoint, grouping, line_cut)
    ref = gr.levels[0] if reference is None else str(reference)
    if ref not in gr.levels:
        raise SurvivalInputError(f"Reference group {ref!r} is not in the selection; groups are {gr.levels}.")
    kms = _curves(gr)
    _check_horizon(kms, tau)
    estimates = {lv: rmst_from_km(km, tau, label=lv, alpha=alpha) for lv, km in kms.items()}
    differences = {lv: _difference(estimates[lv], estimates[ref], alpha) for lv in gr.levels if lv != ref}
    small = tuple(lv for lv in gr.levels if estimates[lv].n < min_group_size)
    return RMSTTable(
        endpoint=endpoint, grouping=grouping, grouping_label=gr.grouping_label, tau=tau,
        max_tau=_limit(kms), reference=ref, estimates=estimates, differences=differences,
        n_subset=len(df), excluded=gr.excluded, small_groups=small, min_group_size=min_group_size,
    )
