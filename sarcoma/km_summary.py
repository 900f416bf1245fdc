"""Survival of a (filtered) cohort by group: curves, summary table, at-risk table and the test.

This is what the Survival page shows; every patient of the subset is either in a curve or
counted in `excluded` with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sarcoma.endpoints import endpoint_analysis
from sarcoma.formatting import p_value_text
from sarcoma.groupings import DEFAULT_LINE_CUT, level_order, make_groupings
from sarcoma.lifetable import EndpointSort, km_from_table, logrank_from_table
from sarcoma.schema import ENDPOINTS
from sarcoma.survival import (
    KMResult,
    LogRankResult,
    SurvivalInputError,
    format_median,
    median_follow_up,
)

ALL = "All patients"
TESTS = {
    "logrank": "Log-rank",
    "breslow": "Breslow (generalised Wilcoxon)",
    "tarone-ware": "Tarone-Ware",
    "peto": "Peto-Peto (SAS/K&M)",
    "fh-rho1": "Fleming-Harrington ρ=1 (R survdiff rho=1)",
    "trend": "Log-rank test for trend",
}
CONF_TYPES = {
    "log-log": "log-log transformed (Kalbfleisch-Prentice; lifelines/SAS default), median CI by Brookmeyer-Crowley",
    "log": "log transformed (R survfit default), median CI by Brookmeyer-Crowley",
    "plain": "plain (linear), median CI by Brookmeyer-Crowley",
    "spss": "SPSS-compatible: median ± 1.96 × SE(median), SE by Collett's density-based formula (SPSS's rule; R's survfit reports the Brookmeyer-Crowley interval instead)",
}
# The reverse-KM follow-up always uses the default interval, whatever the page shows.
FOLLOW_UP_CI = "95% CI by Brookmeyer-Crowley, log-log"
DEFAULT_MIN_GROUP = 5


def format_p(p: float) -> str:
    """p-value as printed in clinical papers: three decimals, "< 0.001" below that."""
    text = p_value_text(p)
    if not text:
        return "p not computed"
    return "p < 0.001" if text == "<0.001" else f"p = {text}"


def endpoint_columns(endpoint: str) -> tuple[str, str]:
    try:
        return ENDPOINTS[endpoint]
    except KeyError:
        raise ValueError(f"Unknown endpoint {endpoint!r}; choose one of {', '.join(ENDPOINTS)}.") from None


@dataclass(frozen=True)
class Exclusion:
    reason: str
    n: int
    patient_ids: tuple[str, ...]


@dataclass(frozen=True)
class GroupedSurvival:
    endpoint: str
    grouping: str | None
    grouping_label: str
    curves: dict[str, KMResult]
    table: pd.DataFrame
    at_risk: pd.DataFrame
    test: LogRankResult | None
    test_name: str | None
    test_note: str | None
    conf_type: str
    follow_up: tuple[float, float, float]  # median follow-up (reverse KM on OS) with 95% CI
    n_subset: int
    excluded: tuple[Exclusion, ...] = field(default_factory=tuple)
    small_groups: tuple[str, ...] = ()
    follow_up_km: KMResult | None = None  # the reverse-KM estimate behind `follow_up`

    @property
    def n_analysed(self) -> int:
        return int(sum(c.n for c in self.curves.values()))

    def test_label(self) -> str | None:
        """The test line (plain text, "\n" between lines): test, statistic, df and p, with notes."""
        if self.test is None:
            return self.test_note
        text = f"{self.test_name}: χ² = {self.test.statistic:.2f}, df = {self.test.df}, {format_p(self.test.p_value)}"
        if self.test.stratified:
            text += " (stratified by centre)"
        elif self.test_note:  # e.g. stratification asked for but not possible: say so
            text += f"\n{self.test_note}"
        if self.test.no_comparison:
            text += f"\n{self.test.no_comparison_note()}"
        if self.small_groups:
            text += f"\n⚠ group(s) with fewer than the minimum size: {', '.join(self.small_groups)}"
        return text

    def display_table(self) -> pd.DataFrame:
        """The summary table as shown: group, n, events, median (95% CI), the fixed-time rates
        (95% CI) and the small-group flag; the raw numeric columns are left out."""
        shown = [c for c in self.table.columns if c in ("Group", "n", "Events", "Small group") or c.endswith("(95% CI)") or c.endswith("(95% CI), months")]
        return self.table[shown]

    def methods_note(self) -> str:
        return (
            f"Kaplan-Meier estimates with Greenwood variance; 95% CI {CONF_TYPES[self.conf_type]}. "
            + (f"Groups compared with the {_test_phrase(self.test_name)}. " if self.test_name else "")
            + " ".join(_median_rule_note(lv, c, self.endpoint) for lv, c in self.curves.items() if c.median_rule == "midpoint")
        ).strip()

    def follow_up_text(self) -> str:
        """The follow-up line: method, CI method, estimate (with 'not reached'/'not estimable')."""
        if self.follow_up_km is None:
            value = format_median(*self.follow_up)
        else:
            value = self.follow_up_km.median_text()
        # Whatever the endpoint shown (DoR counts responders from their response), follow-up is
        # that of every patient of the selection from the start of ICI: say so.
        return (f"Median follow-up (reverse Kaplan-Meier on overall survival; {FOLLOW_UP_CI}): {value} months, "
                f"all {self.n_subset} patients of the selection, from the start of ICI")


def _test_phrase(name: str) -> str:
    # Keep software names (SAS, R) and symbols as written; only the leading word is lowered.
    return f"{name[0].lower()}{name[1:]} test" if not name.endswith("test for trend") else name[0].lower() + name[1:]


def _median_rule_note(level: str, km: KMResult, endpoint: str = "") -> str:
    # Endpoint and group named: a report's methods hold the notes of several endpoints.
    what = f" {endpoint}" if endpoint else ""
    who = "" if level == ALL else f" of {level}"
    if f"{km.median:.1f}" == f"{km.median_first:.1f}":  # the two rules agree at the printed digit
        return (f"Median{what}{who}: S(t) = 0.5 exactly over a short stretch from {km.median_first:.1f} months; R's rule "
                f"(its midpoint) and SPSS and lifelines (its start) both print {km.median:.1f}.")
    return (
        f"Median{what}{who}: S(t) = 0.5 exactly from {km.median_first:.1f} months, so the median shown is the "
        f"midpoint of that stretch, {km.median:.1f} (R's rule); SPSS and lifelines print {km.median_first:.1f}."
    )


def at_risk_times(max_time: float, step: float | None = None) -> list[float]:
    """Tick times for the at-risk table: every 6 months up to 36, then 12 (or the given step)."""
    if not np.isfinite(max_time) or max_time <= 0:
        return [0.0]
    if step is None:
        step = 3.0 if max_time <= 24 else 6.0 if max_time <= 60 else 12.0
    return [float(t) for t in np.arange(0.0, max_time + 1e-9, step)]


def number_at_risk(time: np.ndarray, times: Sequence[float]) -> np.ndarray:
    """Patients still under observation (time >= t) at each t, as in SPSS/R at-risk tables."""
    sorted_t = np.sort(np.asarray(time, float))
    return len(sorted_t) - np.searchsorted(sorted_t, np.asarray(times, float), side="left")


BETWEEN_CENTRES_NOTE = "Not stratified: the comparison is between centres."


def survival_by_group(
    df: pd.DataFrame,
    endpoint: str,
    grouping: str | None = None,
    *,
    conf_type: str = "log-log",
    test: str = "logrank",
    stratify_by_center: bool = False,
    rate_times: Sequence[float] = (6.0, 12.0, 24.0),
    min_group_size: int = DEFAULT_MIN_GROUP,
    line_cut: int = DEFAULT_LINE_CUT,
    at_risk_step: float | None = None,
    labels: pd.Series | None = None,
    follow_up: bool = True,
    summary_only: bool = False,
) -> GroupedSurvival:
    """KM curves of `df` for one endpoint, optionally by a grouping variable (see groupings).

    `labels` may carry the grouping's labels when the caller already computed them (the subgroup
    table does, once per variable for both endpoints); `follow_up=False` skips the reverse KM and
    `summary_only=True` also the at-risk table (the subgroup table needs neither).
    """
    # Time and event from the endpoint registry: its eligible patients with usable data (derived
    # endpoints such as DoR included); everyone else counted below with the registry's reason.
    data, reasons = endpoint_analysis(df, endpoint)
    if test not in TESTS:
        raise ValueError(f"Unknown test {test!r}; choose one of {', '.join(TESTS)}.")
    ids = df["patient_id"] if "patient_id" in df else pd.Series(df.index.astype(str), index=df.index)
    time = data["time"].reindex(df.index)
    event = data["event"].reindex(df.index)
    usable = reasons.isna()
    excluded = []
    if (~usable).any():
        for reason, rows in reasons[~usable].groupby(reasons[~usable], sort=False).groups.items():
            excluded.append(Exclusion(str(reason), len(rows), tuple(ids[rows].astype(str))))

    groupings = make_groupings(line_cut)
    if grouping is None:
        labels = pd.Series(ALL, index=df.index, dtype=object)
        grouping_label, g = "All patients", None
    else:
        g = groupings[grouping]
        labels = g.make(df) if labels is None else labels
        grouping_label = g.label
        no_group = usable & labels.isna()
        if no_group.any():
            excluded.append(Exclusion(f"{g.label} not recorded", int(no_group.sum()), tuple(ids[no_group].astype(str))))
    keep = usable & labels.notna()
    t, e, lab = time[keep].to_numpy(float), event[keep].to_numpy(float), labels[keep]
    levels = level_order(lab, g)
    # Integer codes in display order, then one life table (one sort) for curves and at-risk table.
    codes = pd.Categorical(lab, categories=levels).codes
    sort = EndpointSort.from_arrays(t, e) if len(t) else None
    table = sort.table(codes, levels) if sort is not None else None
    curves = km_from_table(table, conf_type=conf_type) if table is not None else {}
    max_time = float(t.max()) if len(t) else 0.0
    ticks = [] if summary_only else at_risk_times(max_time, at_risk_step)
    if table is not None:
        at_risk = table.at_risk_at(ticks)
    else:
        at_risk = pd.DataFrame(index=levels, columns=ticks)
    table_df = _summary_table(curves, rate_times, min_group_size)
    small = tuple(lv for lv, c in curves.items() if c.n < min_group_size)

    result_test, test_name, note = None, None, None
    if len(levels) >= 2:
        test_table = table
        if stratify_by_center and grouping == "center":  # centre strata would leave nothing to compare
            note = BETWEEN_CENTRES_NOTE
        elif stratify_by_center and "center" in df:
            centers = df.loc[keep, "center"]
            if centers.notna().all() and centers.nunique() > 1:
                s_codes, s_labels = pd.factorize(centers.to_numpy(), sort=True)
                test_table = sort.table(codes, levels, s_codes, list(s_labels))
            else:
                note = "Not stratified: centre is missing for some patients or there is a single centre."
        try:
            if test == "trend":
                result_test = logrank_from_table(test_table, scores=_scores(levels))
            else:
                result_test = logrank_from_table(test_table, weights=test)
            test_name = TESTS[test]
        except SurvivalInputError as exc:
            note = f"{TESTS[test]} not computed: {exc}"
        if test == "trend" and g is not None and not g.ordered:
            note = "Trend test uses groups in the order shown; this grouping has no natural order."
    elif grouping is not None:
        note = "Only one group in the current selection: no comparison possible."

    fu_km = _follow_up(df) if follow_up and not summary_only else None
    follow = (math.nan,) * 3 if fu_km is None else (fu_km.median, fu_km.median_lower, fu_km.median_upper)
    return GroupedSurvival(
        endpoint=endpoint, grouping=grouping, grouping_label=grouping_label, curves=curves, table=table_df,
        at_risk=at_risk, test=result_test, test_name=test_name, test_note=note, conf_type=conf_type,
        follow_up=follow, n_subset=len(df), excluded=tuple(excluded), small_groups=small, follow_up_km=fu_km,
    )


def _follow_up(df: pd.DataFrame) -> KMResult | None:
    """Median follow-up of the selection by reverse Kaplan-Meier on OS (deaths censor, the alive
    are followed), as papers report it (the seed's 20.7 months), whichever endpoint is shown."""
    tcol, ecol = ENDPOINTS["OS"]
    if tcol not in df or ecol not in df:
        return None
    t = pd.to_numeric(df[tcol], errors="coerce")
    e = pd.to_numeric(df[ecol], errors="coerce")
    ok = t.notna() & e.notna()
    if not ok.any():
        return None
    return median_follow_up(t[ok].to_numpy(float), e[ok].to_numpy(int))


def _scores(levels: list[str]) -> list[float]:
    return [float(i + 1) for i in range(len(levels))]


def _summary_table(curves: dict[str, KMResult], rate_times: Sequence[float], min_group_size: int) -> pd.DataFrame:
    rows = []
    for lv, c in curves.items():
        row = {
            "Group": lv,
            "n": c.n,
            "Events": c.n_events,
            "Median (95% CI), months": c.median_text(),
            "median": c.median,
            "median_lower": c.median_lower,
            "median_upper": c.median_upper,
        }
        if rate_times:
            est = c.survival_at(np.asarray(rate_times, float))
            s, lo, hi = (np.atleast_1d(np.asarray(x, float)) for x in (est.survival, est.lower, est.upper))
            for i, rt in enumerate(rate_times):
                row[f"{rt:g}-month rate (95% CI)"] = _rate_text(s[i], lo[i], hi[i])
                row[f"rate_{rt:g}"] = s[i]
        row["Small group"] = c.n < min_group_size
        rows.append(row)
    return pd.DataFrame(rows)


def _rate_text(s: float, lo: float, hi: float) -> str:
    if not np.isfinite(s):
        return "not estimable (beyond follow-up)"
    return f"{100 * s:.1f}% ({100 * lo:.1f}-{100 * hi:.1f})" if np.isfinite(lo) and np.isfinite(hi) else f"{100 * s:.1f}%"
