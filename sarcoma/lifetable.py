"""Life tables: the counts every survival estimate is computed from.

A `LifeTable` holds, per (stratum, group, distinct time), the number of events, censorings and
patients at risk. Kaplan-Meier curves (every CI type, the median and its CI, rates, the at-risk
table), reverse-KM follow-up, the whole log-rank family (weights, strata, trend, pairwise) and
RMST are computed from it, never from patient rows. Two consequences:

* Speed: an endpoint is sorted once (`EndpointSort`); a grouping then costs one stable radix
  sort of small integer codes plus cumulative sums, with no per-group DataFrame.
* Sharing: a table is exactly what a centre can share without patient rows. Tables of several
  centres `merge` into the pooled table (counts summed per stratum, group and time; the numbers
  at risk follow), and labels are kept as data so tables from different files line up.

`sarcoma.survival.kaplan_meier` / `logrank_test` are thin wrappers over this module.
Conventions (ties, the t = 0 row, the median rule, NaN where S = 0) are those documented in
`sarcoma.survival`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sarcoma.survival_results import (
    _TOL,
    CONF_TYPES,
    KMResult,
    LogRankResult,
    SurvivalInputError,
    _codes,
    _spss_median_se,
    _validate,
    _weight_name,
    _z,
    adjust_pvalues,
    format_median,
)

__all__ = [
    "ALL",
    "EndpointSort",
    "LifeTable",
    "km_from_table",
    "life_table",
    "logrank_from_table",
    "medians_from_table",
    "pairwise_from_table",
]

ALL = "All patients"

# Relative tolerance for the rank of the (diagonally scaled) log-rank variance matrix: an
# eigenvalue below it is rounding, not information (R's coxph uses eps^0.75 for Cholesky).
_RANK_TOL = np.finfo(float).eps ** 0.75


def _labels(values: Iterable[Any]) -> np.ndarray:
    out = np.empty(len(values := list(values)), dtype=object)
    out[:] = values
    return out


@dataclass(frozen=True, eq=False)
class LifeTable:
    """Events, censorings and numbers at risk per (stratum, group, distinct time).

    Rows are sorted by stratum, group, time. `stratum`, `group` and `time_index` are integer
    codes into `strata`, `groups` and `times`; `at_risk` counts the patients of the row's
    stratum and group still under observation at its time (events there count as at risk, as
    do censorings: events come first). An unstratified table has one stratum, labelled None.
    """

    times: np.ndarray
    stratum: np.ndarray
    group: np.ndarray
    time_index: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    at_risk: np.ndarray
    groups: np.ndarray
    strata: np.ndarray
    stratified: bool = False

    # ------------------------------------------------------------------ views

    @property
    def time(self) -> np.ndarray:
        """The time of each row."""
        return self.times[self.time_index]

    @property
    def n_rows(self) -> int:
        return int(self.events.size)

    def n_by_group(self) -> np.ndarray:
        """Patients per group (all strata)."""
        return np.bincount(self.group, weights=self.events + self.censored, minlength=self.groups.size).astype(np.int64)

    def events_by_group(self) -> np.ndarray:
        return np.bincount(self.group, weights=self.events, minlength=self.groups.size).astype(np.int64)

    def _segments(self) -> tuple[np.ndarray, np.ndarray]:
        """First row of each (stratum, group) block and one past its last row."""
        key = self.stratum.astype(np.int64) * max(self.groups.size, 1) + self.group
        if key.size == 0:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        starts = _block_starts(key)
        return starts, _then(starts[1:], key.size)

    def to_frame(self) -> pd.DataFrame:
        """One row per (stratum, group, time): what a centre can share (no patient rows)."""
        return pd.DataFrame(
            {
                "stratum": self.strata[self.stratum],
                "group": self.groups[self.group],
                "time": self.time,
                "at_risk": self.at_risk,
                "events": self.events,
                "censored": self.censored,
            }
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, stratified: bool | None = None) -> LifeTable:
        """A table back from `to_frame` (e.g. a centre's shared file); at risk is recomputed
        from the events and censorings, so a shared table cannot contradict itself."""
        missing = [c for c in ("group", "time", "events", "censored") if c not in frame]
        if missing:
            raise SurvivalInputError(f"A life table needs the columns {', '.join(missing)}.")
        strata = frame["stratum"] if "stratum" in frame else pd.Series([None] * len(frame))
        counts = frame[["events", "censored"]].to_numpy()
        if not np.isfinite(counts.astype(float)).all() or (counts < 0).any() or (counts != np.round(counts)).any():
            raise SurvivalInputError("Events and censorings in a life table must be whole numbers >= 0.")
        times = frame["time"].to_numpy(float)
        if not np.isfinite(times).all() or (times < 0).any():
            raise SurvivalInputError("Times in a life table must be finite and zero or positive.")
        if strata.notna().any():
            s_codes, s_labels = _factorize(strata)
        else:  # unstratified: the one stratum is None, as `life_table` labels it (NaN would not
            # match itself, so tables read back from files would not merge)
            s_codes, s_labels = np.zeros(len(frame), dtype=np.intp), [None]
        g_codes, g_labels = _factorize(frame["group"])
        flag = bool(strata.notna().any()) if stratified is None else stratified
        return _aggregate(
            s_codes, g_codes, times, counts[:, 0].astype(np.int64), counts[:, 1].astype(np.int64),
            _labels(s_labels), _labels(g_labels), flag,
        )

    # ------------------------------------------------------------------ transforms

    def reversed(self) -> LifeTable:
        """Censorings as events and events as censorings: the reverse Kaplan-Meier table
        (median follow-up, Schemper & Smith). The numbers at risk do not change."""
        return LifeTable(
            self.times, self.stratum, self.group, self.time_index, self.censored, self.events,
            self.at_risk, self.groups, self.strata, self.stratified,
        )

    def select_groups(self, which: Sequence[int]) -> LifeTable:
        """The rows of the groups with codes `which` (kept in that order, labels with them)."""
        which = np.asarray(which, dtype=np.intp)
        remap = np.full(self.groups.size, -1, dtype=np.intp)
        remap[which] = np.arange(which.size)
        keep = remap[self.group] >= 0
        out = LifeTable(
            self.times, self.stratum[keep], remap[self.group[keep]], self.time_index[keep],
            self.events[keep], self.censored[keep], self.at_risk[keep], self.groups[which],
            self.strata, self.stratified,
        )
        # Reordered groups break the (stratum, group, time) sort: rebuild from the counts.
        return out if np.all(np.diff(which) > 0) else out._resorted()

    def pooled(self) -> LifeTable:
        """All groups as one (per stratum), e.g. the overall curve."""
        return _aggregate(
            self.stratum, np.zeros_like(self.group), self.time, self.events, self.censored,
            self.strata, _labels([ALL]), self.stratified,
        )

    def unstratified(self) -> LifeTable:
        """Strata summed: one table per group over all strata."""
        return _aggregate(
            np.zeros_like(self.stratum), self.group, self.time, self.events, self.censored,
            _labels([None]), self.groups, False,
        )

    def with_stratum(self, label: Any) -> LifeTable:
        """The whole table as one stratum named `label` (e.g. a centre, before merging tables
        of several centres into a centre-stratified table)."""
        return _aggregate(
            np.zeros_like(self.stratum), self.group, self.time, self.events, self.censored,
            _labels([label]), self.groups, True,
        )

    @classmethod
    def merge(cls, tables: Sequence[LifeTable]) -> LifeTable:
        """Sum tables (e.g. of several centres) per (stratum, group, time), matching strata and
        groups by label. The result is the table of the pooled patients, exactly."""
        tables = list(tables)
        if not tables:
            raise SurvivalInputError("Nothing to merge: no life tables given.")
        s_all: dict[Any, int] = {}
        g_all: dict[Any, int] = {}
        parts = []
        for tab in tables:
            s_map = np.array([s_all.setdefault(lab, len(s_all)) for lab in tab.strata], dtype=np.intp)
            g_map = np.array([g_all.setdefault(lab, len(g_all)) for lab in tab.groups], dtype=np.intp)
            parts.append((s_map[tab.stratum] if tab.n_rows else tab.stratum,
                          g_map[tab.group] if tab.n_rows else tab.group, tab.time, tab.events, tab.censored))
        stacked = [np.concatenate([p[i] for p in parts]) for i in range(5)]
        g_labels = _labels(g_all)
        # Groups in sorted order when their labels sort (as a single table orders them).
        try:
            order = np.array(sorted(range(len(g_labels)), key=lambda i: g_labels[i]), dtype=np.intp)
        except TypeError:
            order = np.arange(len(g_labels))
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return _aggregate(
            stacked[0], rank[stacked[1]], stacked[2], stacked[3], stacked[4], _labels(s_all),
            g_labels[order], any(t.stratified for t in tables),
        )

    def _resorted(self) -> LifeTable:
        return _aggregate(self.stratum, self.group, self.time, self.events, self.censored, self.strata, self.groups, self.stratified)

    # ------------------------------------------------------------------ at-risk table

    def at_risk_at(self, ticks: Sequence[float]) -> pd.DataFrame:
        """Patients still under observation (time >= t) per group at each tick (all strata)."""
        ticks = np.asarray(ticks, dtype=float)
        out = np.zeros((self.groups.size, ticks.size), dtype=np.int64)
        starts, ends = self._segments()
        time = self.time
        for a, b in zip(starts, ends, strict=True):
            # Rows of a block are time-sorted: at risk at tick = at risk at the first row >= tick.
            i = a + np.searchsorted(time[a:b], ticks, side="left")
            found = i < b
            out[self.group[a], found] += self.at_risk[i[found]]
        return pd.DataFrame(out, index=list(self.groups), columns=list(ticks))


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and labels, labels sorted when they can be (as `life_table` orders groups)."""
    arr = values.to_numpy(dtype=object)
    try:
        return pd.factorize(arr, sort=True, use_na_sentinel=False)
    except TypeError:  # labels of mixed types cannot be sorted: keep order of appearance
        return pd.factorize(arr, use_na_sentinel=False)


def _block_starts(key: np.ndarray) -> np.ndarray:
    """First index of each run of equal values (np.r_ is ~10x slower on small arrays)."""
    new = np.empty(key.size, dtype=bool)
    new[:1] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    return np.flatnonzero(new)


def _then(values: np.ndarray, last) -> np.ndarray:
    return np.concatenate((values, (last,)))


def _aggregate(stratum, group, time, events, censored, strata, groups, stratified) -> LifeTable:
    """Sum counts per (stratum, group, time) and recompute the numbers at risk."""
    stratum = np.asarray(stratum, dtype=np.intp)
    group = np.asarray(group, dtype=np.intp)
    time = np.asarray(time, dtype=float)
    times, time_index = np.unique(time, return_inverse=True)
    if time.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return LifeTable(times, empty, empty, empty, empty, empty, empty, groups, strata, stratified)
    key = (stratum.astype(np.int64) * groups.size + group) * max(times.size, 1) + time_index
    uniq, inv = np.unique(key, return_inverse=True)
    ev = np.bincount(inv, weights=events, minlength=uniq.size).astype(np.int64)
    ce = np.bincount(inv, weights=censored, minlength=uniq.size).astype(np.int64)
    seg = uniq // max(times.size, 1)
    ti = uniq % max(times.size, 1)
    keep = (ev + ce) > 0
    seg, ti, ev, ce = seg[keep], ti[keep], ev[keep], ce[keep]
    return LifeTable(
        times, seg // groups.size, seg % groups.size, ti, ev, ce, _at_risk(seg, ev + ce),
        groups, strata, stratified,
    )


def _at_risk(segment: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Within each block of equal `segment` (time-sorted rows), patients with time >= t:
    the reverse cumulative sum of removals restarted per block."""
    if removed.size == 0:
        return removed.astype(np.int64)
    rev = np.cumsum(removed[::-1])[::-1]
    starts = _block_starts(segment)
    nxt = _then(starts[1:], removed.size)
    tail = _then(rev, 0)[nxt]
    return (rev - np.repeat(tail, np.diff(_then(starts, removed.size)))).astype(np.int64)


class EndpointSort:
    """One endpoint sorted once; life tables of any grouping are then built without sorting
    times again (the subgroup table builds 15 groupings from one sort)."""

    def __init__(self, time: np.ndarray, event: np.ndarray) -> None:
        order = np.argsort(time, kind="stable")
        ts = time[order]
        new = np.empty(ts.size, dtype=bool)
        if ts.size:
            new[0] = True
            np.not_equal(ts[1:], ts[:-1], out=new[1:])
        self.order = order
        self.times = ts[new]
        self.rank = np.cumsum(new) - 1  # distinct-time index of each sorted patient
        self.event = event[order].astype(np.int64)
        self.n = int(ts.size)

    @classmethod
    def from_arrays(cls, time: Any, event: Any) -> EndpointSort:
        t, e = _validate(time, event)
        return cls(t, e)

    def table(
        self,
        codes: np.ndarray,
        groups: Sequence[Any],
        strata_codes: np.ndarray | None = None,
        strata: Sequence[Any] | None = None,
    ) -> LifeTable:
        """Life table of the patients with a group code >= 0 (and a stratum code >= 0).
        `codes` and `strata_codes` are aligned with the original (unsorted) rows."""
        k = len(groups)
        n_strata = 1 if strata_codes is None else len(strata)
        seg = np.asarray(codes)[self.order].astype(np.int64)
        valid = seg >= 0
        if strata_codes is not None:
            sc = np.asarray(strata_codes)[self.order]
            valid &= sc >= 0
            seg = sc.astype(np.int64) * k + seg
        rank, event = self.rank, self.event
        if not valid.all():
            seg, rank, event = seg[valid], rank[valid], event[valid]
        # Stable, so each block stays time-sorted; numpy radix-sorts 8/16-bit integers.
        small = np.int8 if k * n_strata < 127 else np.int16 if k * n_strata < 32_000 else np.int64
        o = np.argsort(seg.astype(small), kind="stable")
        seg, rank, event = seg[o], rank[o], event[o]
        m = seg.size
        group_labels = _labels(groups)
        strata_labels = _labels([None] if strata is None else strata)
        if m == 0:
            empty = np.zeros(0, dtype=np.int64)
            return LifeTable(self.times, empty, empty, empty, empty, empty, empty, group_labels, strata_labels, strata_codes is not None)
        new = np.empty(m, dtype=bool)
        new[0] = True
        new[1:] = (seg[1:] != seg[:-1]) | (rank[1:] != rank[:-1])
        starts = np.flatnonzero(new)
        events = np.add.reduceat(event, starts)
        removed = np.diff(_then(starts, m))
        row_seg = seg[starts]
        # At risk: patients from this row's first index to the end of its block.
        block = _block_starts(seg)
        block_end = _then(block[1:], m)
        at_risk = block_end[np.searchsorted(block, starts, side="right") - 1] - starts
        return LifeTable(
            times=self.times, stratum=row_seg // k, group=row_seg % k, time_index=rank[starts],
            events=events, censored=removed - events, at_risk=at_risk.astype(np.int64),
            groups=group_labels, strata=strata_labels, stratified=strata_codes is not None,
        )


def life_table(time: Any, event: Any, group: Any = None, *, strata: Any = None) -> LifeTable:
    """Life table of patient rows: per (stratum, group, distinct time) events, censorings and
    numbers at risk. Groups (and strata) are ordered as `logrank_test` orders them: category
    order for a pandas Categorical, else sorted. Missing times, events, groups or strata are
    errors with a plain-language message (drop or fix those patients first)."""
    t, e = _validate(time, event)
    if group is None:
        codes, labels = np.zeros(t.size, dtype=np.intp), _labels([ALL])
    else:
        codes, labels = _codes(group, "the group", t.size)
    s_codes = s_labels = None
    if strata is not None:
        s_codes, s_labels = _codes(strata, "the stratum", t.size)
    return EndpointSort(t, e).table(codes, labels, s_codes, s_labels)


# --------------------------------------------------------------------------- Kaplan-Meier


def _first_where(mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per row of `mask` (curves x rows) and block [start, end): index of the first True,
    `end` where there is none."""
    idx = np.where(mask, np.arange(mask.shape[-1]), mask.shape[-1])
    first = np.minimum.reduceat(idx, starts, axis=-1)
    return np.where(first < ends, first, ends)


def _quantile_times(times, curves, starts, ends, p: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """For each curve (rows of `curves`) in every block at once, R's `quantile.survfit` rule
    (its `findq`): the first time the curve is <= p; where it sits at p exactly (within
    sqrt(eps)) over a flat, the midpoint of the flat, or of the flat and the last time when the
    curve ends on it; NaN when never reached (NaN points never count). Also returns the first
    time <= p (the value SPSS and lifelines print)."""
    last = ends - 1
    i1 = _first_where(curves <= p + _TOL, starts, ends)
    ib = _first_where(curves <= p - _TOL, starts, ends)
    found, below = i1 < ends, ib < ends
    t1 = times[np.minimum(i1, last)]
    end_val = curves[:, last]
    flat_end = found & ~below & ~np.isnan(end_val) & (np.abs(end_val - p) < _TOL)
    out = np.where(below, (t1 + times[np.minimum(ib, last)]) / 2, np.where(flat_end, (t1 + times[last]) / 2, np.nan))
    return out, np.where(found, t1, np.nan)


@dataclass(frozen=True)
class _Curves:
    """Every curve of a table as flat arrays (rows of curve j: starts[j]:ends[j]) and per-curve
    summaries: what `km_from_table` slices into KMResults and the subgroup table reads as is."""

    time: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    keys: list
    n: np.ndarray
    n_events: np.ndarray
    median: np.ndarray
    median_lower: np.ndarray
    median_upper: np.ndarray
    median_first: np.ndarray
    lower_missing: np.ndarray
    upper_missing: np.ndarray


def km_from_table(
    table: LifeTable, *, conf_type: str = "log-log", alpha: float = 0.05
) -> dict[Any, KMResult]:
    """Kaplan-Meier curve of every (stratum, group) block of the table, keyed by group label
    (by (stratum, group) for a stratified table), in the table's group order. Identical to
    `kaplan_meier` on each block's patients (which is this function on a one-group table)."""
    c = _km_curves(table, conf_type, alpha)
    out: dict[Any, KMResult] = {}
    if c is None:
        return out
    for j, key in enumerate(c.keys):
        sl = slice(c.starts[j], c.ends[j])
        out[key] = KMResult(
            time=c.time[sl], survival=c.survival[sl], std_err=c.std_err[sl], lower=c.lower[sl],
            upper=c.upper[sl], at_risk=c.at_risk[sl], events=c.events[sl], censored=c.censored[sl],
            n=int(c.n[j]), n_events=int(c.n_events[j]), median=float(c.median[j]),
            median_lower=float(c.median_lower[j]), median_upper=float(c.median_upper[j]),
            conf_type=conf_type, alpha=float(alpha), median_first=float(c.median_first[j]),
            median_lower_missing=str(c.lower_missing[j]), median_upper_missing=str(c.upper_missing[j]),
        )
    return out


def medians_from_table(table: LifeTable, *, conf_type: str = "log-log", alpha: float = 0.05) -> dict[str, Any]:
    """Per curve (keys as `km_from_table`): n, events, median, its CI and the text shown
    ('4.6 (3.2-5.9)', 'not reached' / 'not estimable'), without building the curves as
    objects: the subgroup table needs only these, for ~100 curves per redraw."""
    c = _km_curves(table, conf_type, alpha)
    if c is None:
        return {"keys": [], "n": [], "events": [], "median": [], "median_lower": [], "median_upper": [], "median_text": []}
    text = [
        format_median(m, lo, hi, lower_missing=lm, upper_missing=um)
        for m, lo, hi, lm, um in zip(c.median.tolist(), c.median_lower.tolist(), c.median_upper.tolist(),
                                     c.lower_missing.tolist(), c.upper_missing.tolist(), strict=True)
    ]
    return {"keys": c.keys, "n": c.n, "events": c.n_events, "median": c.median, "median_lower": c.median_lower,
            "median_upper": c.median_upper, "median_text": text}


def _km_curves(table: LifeTable, conf_type: str, alpha: float) -> _Curves | None:
    if conf_type not in CONF_TYPES:
        raise SurvivalInputError(
            f"Unknown confidence interval type {conf_type!r}; choose one of {', '.join(CONF_TYPES)}."
        )
    z = _z(alpha)
    starts, ends = table._segments()
    if starts.size == 0:
        return None
    time, at_risk, events, censored, starts, ends, source = _with_origin_rows(table, starts, ends)
    n_block = at_risk[starts]
    d = events.astype(float)
    nr = at_risk.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = 1.0 - d / nr
        term = d / (nr * (nr - d))
    surv = _cumulative_by_curve(np.cumprod, factor, 1.0, starts, ends)
    cum = _cumulative_by_curve(np.cumsum, term, 0.0, starts, ends)
    with np.errstate(invalid="ignore"):
        sigma = np.sqrt(cum)
    # n == d makes the Greenwood term infinite: S = 0 there and its SE is undefined.
    zero = surv <= 0.0
    surv[zero] = 0.0
    sigma[zero] = np.nan
    std_err = surv * sigma
    lower, upper = _bands(surv, sigma, std_err, z, conf_type)

    last = ends - 1
    if conf_type == "spss":
        (median,), (median_first,) = _quantile_times(time, surv[None, :], starts, ends)
        # median -/+ z SE(median), SPSS's SE per curve (Collett); not computable without it.
        se = np.array([
            _median_se(time[a:b], surv[a:b], events[a:b], std_err[a:b], float(m))
            for a, b, m in zip(starts, ends, median, strict=True)
        ])
        median_lower, median_upper = median - z * se, median + z * se
        lower_missing = upper_missing = np.where(np.isnan(median), "not reached", "not estimable")
    else:
        (median, median_lower, median_upper), (median_first, _, _) = _quantile_times(
            time, np.vstack([surv, lower, upper]), starts, ends
        )
        lower_missing = np.where(np.isnan(lower[last]), "not estimable", "not reached")
        upper_missing = np.where(np.isnan(upper[last]), "not estimable", "not reached")
    groups, strata = table.groups[table.group[source]], table.strata[table.stratum[source]]
    keys = list(zip(strata.tolist(), groups.tolist(), strict=True)) if table.stratified else groups.tolist()
    return _Curves(
        time, surv, std_err, lower, upper, at_risk, events, censored, starts, ends, keys, n_block,
        np.add.reduceat(events, starts),
        median, median_lower, median_upper, median_first, lower_missing, upper_missing,
    )


def _with_origin_rows(table: LifeTable, starts: np.ndarray, ends: np.ndarray):
    """The table's rows with a t = 0 row (everyone at risk, nothing happened) put in front of
    every curve that has no time-0 row, as lifelines and `KMResult` show curves. Returns the
    new arrays, the curves' new starts and ends, and each curve's first row in `table`."""
    time, at_risk = table.time, table.at_risk
    need = time[starts] > 0
    shift = np.cumsum(need) - need  # rows inserted before each curve
    curve_of_row = np.repeat(np.arange(starts.size), ends - starts)
    pos = np.arange(time.size) + shift[curve_of_row] + need[curve_of_row]
    size = time.size + int(need.sum())
    new_starts = starts + shift
    new_at_risk = _spread(at_risk, pos, size, 0)
    new_at_risk[new_starts[need]] = at_risk[starts[need]]
    return (
        _spread(time, pos, size, 0.0), new_at_risk, _spread(table.events, pos, size, 0),
        _spread(table.censored, pos, size, 0), new_starts, ends + shift + need, starts,
    )


def _bands(surv, sigma, std_err, z: float, conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise interval of S(t) (see `sarcoma.survival.kaplan_meier` for the definitions)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log-log":
            log_s = np.log(surv)
            shift = z * sigma / log_s
            lower = np.exp(-np.exp(np.log(-log_s) - shift))
            upper = np.exp(-np.exp(np.log(-log_s) + shift))
            one = surv >= 1.0
            lower[one] = 1.0
            upper[one] = 1.0
        elif conf_type == "log":
            lower = surv * np.exp(-z * sigma)
            upper = np.minimum(surv * np.exp(z * sigma), 1.0)
        else:  # plain and spss
            lower = np.maximum(surv - z * std_err, 0.0)
            upper = np.minimum(surv + z * std_err, 1.0)
    return lower, upper


def _cumulative_by_curve(accumulate, values: np.ndarray, neutral: float, starts, ends) -> np.ndarray:
    """`accumulate` (np.cumprod / np.cumsum) restarted at each curve. Accumulation is
    sequential, so each curve's values are exactly those of the function on that curve alone.
    Curves are laid out as rows of a padded grid (one call) unless that grid would be mostly
    padding (very unequal groups), then accumulated one by one."""
    lengths = ends - starts
    width = int(lengths.max())
    if starts.size * width > 4 * values.size + 256:
        out = np.empty_like(values)
        for a, b in zip(starts, ends, strict=True):
            accumulate(values[a:b], out=out[a:b])
        return out
    rows = np.repeat(np.arange(starts.size), lengths)
    cols = np.arange(values.size) - np.repeat(starts, lengths)
    grid = np.full((starts.size, width), neutral)
    grid[rows, cols] = values
    return accumulate(grid, axis=1)[rows, cols]


def _spread(values: np.ndarray, pos: np.ndarray, size: int, fill) -> np.ndarray:
    out = np.full(size, fill, dtype=values.dtype)
    out[pos] = values
    return out


def _median_se(times, surv, events, std_err, median: float) -> float:
    if math.isnan(median):
        return math.nan
    se_at_median = float(std_err[np.searchsorted(times, median, side="right") - 1])
    return _spss_median_se(times, surv, events, median, se_at_median)


# --------------------------------------------------------------------------- log-rank family


def _log_km_factor(d: np.ndarray, n: np.ndarray) -> np.ndarray:
    """log(1 - d/n) per event time; -inf (everyone at risk had the event) becomes 0, which is
    harmless: nobody is at risk after that time in its stratum, so no later weight uses it,
    and a finite value keeps the per-stratum offsets of later strata finite."""
    with np.errstate(divide="ignore"):
        out = np.log1p(-d / n)
    out[d >= n] = 0.0
    return out


def _cumsum_by_stratum(values: np.ndarray, strat: np.ndarray, *, inclusive: bool) -> np.ndarray:
    """Cumulative sum restarted at each stratum (rows sorted by stratum, then time);
    `inclusive=False` gives the sum over the earlier rows of the stratum only."""
    total = np.cumsum(values)
    first = _block_starts(strat)
    offset = np.concatenate(((0.0,), total))[first]
    out = total - np.repeat(offset, np.diff(_then(first, total.size)))
    return out if inclusive else out - values


def _chi_square(ome: np.ndarray, var: np.ndarray) -> tuple[float, int, np.ndarray]:
    """Statistic U' V^- U and df = rank(V), with the generalised inverse restricted to the
    same eigen-directions that make up the rank (SAS LIFETEST's definition; R's survdiff
    stops with "exactly singular" where V has lower rank than k - 1).

    V is scaled to unit diagonal first, so a small but real group (one patient at risk among
    a million) is not mistaken for rounding; the tolerance is relative to the largest scaled
    eigenvalue. Returns (statistic, df, mask of groups with no variance).
    """
    diag = np.diag(var).copy()
    silent = ~(diag > 0)
    live = np.flatnonzero(~silent)
    if live.size < 2:
        return 0.0, 0, silent
    if live.size == 2:
        # Two groups with variance: V restricted to them has rank 1 (rows sum to zero), and the
        # statistic is R survdiff's (O - E)^2 / V of the first group.
        a = live[0]
        return float(ome[a] * ome[a] / var[a, a]), 1, silent
    scale = 1.0 / np.sqrt(diag[live])
    v = var[np.ix_(live, live)] * scale[:, None] * scale[None, :]
    u = ome[live] * scale
    eigval, eigvec = np.linalg.eigh((v + v.T) / 2)
    keep = eigval > _RANK_TOL * max(float(eigval[-1]), 1.0)
    proj = eigvec[:, keep].T @ u
    stat = float(np.sum(proj * proj / eigval[keep]))
    return stat, int(keep.sum()), silent



def _dense_counts(table: LifeTable):
    """Deaths and numbers at risk per (stratum, event time) x group, event times only, with
    each row's stratum. Rows of the table are aggregated already, so this is bincounts."""
    k = table.groups.size
    n_t = max(table.times.size, 1)
    st = table.stratum.astype(np.int64) * n_t + table.time_index
    size = table.strata.size * n_t
    if size <= 20_000_000:
        present = np.bincount(st, minlength=size) > 0
        pos = np.cumsum(present) - 1
        key, cells = pos[st], np.flatnonzero(present)
    else:  # many strata x many distinct times: compress by sorting instead
        cells, key = np.unique(st, return_inverse=True)
    n_keys = cells.size
    flat = key * k + table.group
    removed = np.bincount(flat, weights=table.events + table.censored, minlength=n_keys * k).reshape(n_keys, k)
    died = np.bincount(flat, weights=table.events, minlength=n_keys * k).reshape(n_keys, k)
    key_stratum = cells // n_t
    # Reverse cumulative sum gives "time >= t" counts; subtract what belongs to later strata.
    at_risk = np.cumsum(removed[::-1], axis=0)[::-1]
    if table.strata.size > 1:
        stratum_start = _block_starts(key_stratum)
        next_start = _then(stratum_start[1:], n_keys)
        tail = np.vstack([at_risk, np.zeros((1, k))])[next_start]
        at_risk = at_risk - np.repeat(tail, np.diff(_then(stratum_start, n_keys)), axis=0)
    keep = died.sum(1) > 0
    return died[keep], at_risk[keep], key_stratum[keep]


def _weighted_parts(died, at_risk, strat, weights: str):
    """Weighted O - E, its covariance V, and the unweighted observed / expected per group."""
    n_t = at_risk.sum(1)
    d_t = died.sum(1)
    frac = at_risk / n_t[:, None]
    expected_t = frac * d_t[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        hyper = np.where(n_t > 1, d_t * (n_t - d_t) / (n_t - 1), 0.0)
    if weights == "logrank":
        w = np.ones_like(n_t)
    elif weights == "breslow":
        w = n_t
    elif weights == "tarone-ware":
        w = np.sqrt(n_t)
    elif weights == "peto":
        # Peto-Peto: S~(t) = prod_{t_j <= t} (1 - d_j / (n_j + 1)) of the pooled sample within
        # each stratum, evaluated at t itself (Klein & Moeschberger 7.3, SAS LIFETEST
        # TEST=PETO, lifelines' "peto").
        w = np.exp(_cumsum_by_stratum(np.log1p(-d_t / (n_t + 1)), strat, inclusive=True))
    else:
        # Fleming-Harrington rho = 1 (R survdiff(rho = 1)): the pooled Kaplan-Meier estimate
        # just before t, S(t-) = prod_{t_j < t} (1 - d_j / n_j), per stratum.
        w = np.exp(_cumsum_by_stratum(_log_km_factor(d_t, n_t), strat, inclusive=False))
    ome = (w[:, None] * (died - expected_t)).sum(0)
    c = w**2 * hyper
    cf = frac * c[:, None]
    # Off-diagonal -sum c f_g f_h; diagonal sum c f_g (1 - f_g) computed as such, so a group
    # alone at risk (f = 1 exactly) gets an exact zero, not a rounding residue.
    var = -(cf.T @ frac)
    np.fill_diagonal(var, (cf * (1.0 - frac)).sum(0))
    return ome, var, died.sum(0), expected_t.sum(0)


def logrank_from_table(
    table: LifeTable,
    *,
    weights: str = "logrank",
    scores: Sequence[float] | Mapping[Any, float] | None = None,
) -> LogRankResult:
    """The log-rank family from a life table: k-group test on df = rank(V) (see
    `sarcoma.survival.logrank_test`), or with `scores` the test for trend (U = s'(O - E),
    statistic U^2 / s'Vs on 1 df). A stratified table gives the stratified test."""
    wname = _weight_name(weights)
    k = table.groups.size
    if k < 2:
        raise SurvivalInputError(
            f"Comparing survival needs at least two groups, but all patients are in group '{table.groups[0]}'."
            if k == 1 else "Comparing survival needs at least two groups."
        )
    if table.events.sum() == 0:
        raise SurvivalInputError("No events in the selection, so survival cannot be compared.")
    died, at_risk, strat = _dense_counts(table)
    ome, var, observed, expected = _weighted_parts(died, at_risk, strat, wname)
    common = {
        "groups": table.groups, "n": table.n_by_group(), "observed": observed, "expected": expected,
        "o_minus_e": ome, "variance": var, "weights": wname, "stratified": table.stratified,
    }
    if scores is None:
        stat, df, silent = _chi_square(ome, var)
        if df == 0:
            raise SurvivalInputError(
                "Only one group is at risk at each event time (no two groups are ever at risk "
                "together when events occur), so the groups cannot be compared."
            )
        return LogRankResult(
            statistic=stat, df=df, p_value=_chi2_sf(stat, df),
            no_comparison=tuple(table.groups[silent].tolist()), **common,
        )
    sc = _scores(scores, table.groups)
    u = float(sc @ ome)
    v = float(sc @ var @ sc)
    # Relative to the size of the terms: equal scores give 0 up to rounding, not information.
    if not v > _RANK_TOL * float(np.abs(sc) @ np.abs(var) @ np.abs(sc)):
        raise SurvivalInputError(
            "The trend test has no information: the scored groups are never at risk together "
            "when events occur (or all scores are equal)."
        )
    stat = u * u / v
    return LogRankResult(
        statistic=stat, df=1, p_value=_chi2_sf(stat, 1), test="trend", scores=sc, **common,
    )


def _chi2_sf(stat: float, df: int) -> float:
    # scipy.stats.chi2.sf is this ufunc (same digits) behind ~0.1 ms of argument checking per
    # call; imported here so that the app's first page starts without scipy.
    from scipy.special import chdtrc

    return float(chdtrc(df, stat))


def _scores(scores, labels: np.ndarray) -> np.ndarray:
    k = labels.size
    if isinstance(scores, Mapping):
        missing = [lab for lab in labels if lab not in scores]
        if missing:
            raise SurvivalInputError(f"No trend score given for group(s) {missing}.")
        sc = np.array([scores[lab] for lab in labels], dtype=float)
    else:
        sc = np.asarray(scores, dtype=float)
        if sc.shape != (k,):
            raise SurvivalInputError(
                f"Give one score per group: {k} groups ({list(labels)}) but {sc.size} scores."
            )
    if not np.isfinite(sc).all():
        raise SurvivalInputError("Trend scores must be finite numbers.")
    return sc


def pairwise_from_table(table: LifeTable, *, adjust: str = "holm", weights: str = "logrank") -> pd.DataFrame:
    """Log-rank test for every pair of groups (each on that pair's rows only), with adjusted
    p-values. Columns: group_a, group_b, statistic, p_value, p_adjusted, adjust."""
    method = str(adjust).lower()
    method = {"fdr_bh": "bh", "fdr": "bh", "benjamini-hochberg": "bh"}.get(method, method)
    adjust_pvalues([], method)  # validates the name before any work
    wname = _weight_name(weights)
    rows = []
    for a, b in itertools.combinations(range(table.groups.size), 2):
        try:
            res = logrank_from_table(table.select_groups([a, b]), weights=wname)
            stat, p = res.statistic, res.p_value
        except SurvivalInputError:
            # No events in this pair, or never at risk together: nothing to test.
            stat, p = math.nan, math.nan
        rows.append((table.groups[a], table.groups[b], stat, p))
    out = pd.DataFrame(rows, columns=["group_a", "group_b", "statistic", "p_value"])
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(dtype=float), method)
    out["adjust"] = method
    return out
