"""Disclosure control for what a centre shares: coarser times and no cell below `min_cell`.

A cell is a set of patients whose aggregate leaves the centre: a level of a grouping (its life
table, its response counts), a Table 1 category, an age band. A cell with fewer than `min_cell`
patients could let a reader single out a patient, so:

* Levels below `min_cell` are merged into one "Other (small groups)" cell ("merge") or left out
  ("suppress"). The centre's total is shared too (the overall life table, N), so the patients
  left out of a grouping form a cell of their own (total minus the levels shown): that
  complement must not be small either. When it would be, the next smallest level joins it
  (secondary merging or suppression, as statistical offices do), until it reaches `min_cell`.
* Bands of a number (age, prior lines) merge with their neighbours instead, from the tails
  inwards, so a band always stays a range of values.
* Times can be coarsened to 0.1 month, 1 week or 1 month (rounded half up), which removes
  the exact day an event happened.

Every action is recorded with its reason in plain words; the file carries them and the
coordinator's pages show them.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sarcoma.errors import SarcomaError
from sarcoma.schema import DAYS_PER_MONTH

MERGED = "Other (small groups)"
SMALL_CELL_MODES: dict[str, str] = {
    "merge": "merged into 'Other (small groups)'",
    "suppress": "left out (suppressed)",
}
# Precision -> (months per unit, label). None: the file's own precision.
TIME_PRECISIONS: dict[str | None, str] = {
    None: "as recorded in the file (no rounding)",
    "0.1 month": "rounded to 0.1 month",
    "1 week": "rounded to whole weeks (7 days; times stay in months)",
    "1 month": "rounded to whole months",
}


class DisclosureError(SarcomaError):
    """An export that would disclose individual patients, or an unknown disclosure option."""


def check_options(min_cell: int, time_precision: str | None, small_cells: str) -> None:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int | np.integer) or min_cell < 1:
        raise DisclosureError(f"The minimum cell size must be a whole number of patients, 1 or more (not {min_cell!r}).")
    if time_precision not in TIME_PRECISIONS:
        raise DisclosureError(
            f"Unknown time precision {time_precision!r}; choose one of: "
            + ", ".join("the file's own" if k is None else repr(k) for k in TIME_PRECISIONS) + "."
        )
    if small_cells not in SMALL_CELL_MODES:
        raise DisclosureError(f"Small cells are either 'merge'd or 'suppress'ed, not {small_cells!r}.")


def coarsen_times(time: Sequence[float] | np.ndarray, precision: str | None) -> np.ndarray:
    """Times in months at the chosen precision, rounded half up (monotone: the order of times
    is kept, ties may appear). The coordinator's results equal the row-level results on
    exactly these times."""
    t = np.asarray(time, dtype=float)
    if precision is None:
        return t.copy()
    if precision == "0.1 month":
        # Multiplying (not dividing by 0.1) keeps 0.25 at 2.5 tenths, which rounds up to 0.3.
        return np.floor(t * 10 + 0.5) / 10
    if precision == "1 week":
        weeks = np.floor(t * (DAYS_PER_MONTH / 7) + 0.5)
        return weeks * (7 / DAYS_PER_MONTH)
    if precision == "1 month":
        return np.floor(t + 0.5)
    raise DisclosureError(f"Unknown time precision {precision!r}.")


@dataclass(frozen=True)
class Protection:
    """What happens to the cells of one partition: `shown` maps each original cell to the cell
    it is shared as (itself, MERGED) or None (left out); `merged` and `left_out` list the
    original cells concerned; `withheld` is True when no split could be shared at all."""

    shown: dict[Hashable, Hashable | None]
    merged: tuple[Hashable, ...] = ()
    left_out: tuple[Hashable, ...] = ()
    withheld: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.merged or self.left_out or self.withheld)


def protect_cells(
    counts: Mapping[Hashable, int],
    min_cell: int,
    mode: str = "merge",
    *,
    outside: Sequence[Hashable] = (),
) -> Protection:
    """Cells of a partition of a centre's patients (whose total is shared elsewhere), with no
    shared cell below `min_cell`.

    `counts`: patients per cell. `outside`: cells that are never shown as a level even when
    large (e.g. "grouping not recorded": those patients are not in a grouping's curves), so
    together with the cells left out they form the complement (total minus the levels shown),
    which must be empty or at least `min_cell` too.
    In "merge" mode the small cells form one MERGED cell; in "suppress" mode they are left out.
    Then, while the merged cell or the complement is non-empty but below `min_cell`, the
    smallest remaining level joins it (secondary merging / suppression). When no level would be
    left to show, the partition is withheld.
    """
    counts = {k: int(v) for k, v in counts.items() if int(v) > 0}
    if min_cell <= 1:
        return Protection({k: k for k in counts})
    small = [k for k, n in counts.items() if n < min_cell]
    pooled = small if mode == "merge" else []
    dropped = [] if mode == "merge" else list(small)

    def total(cells) -> int:
        return sum(counts[k] for k in cells)

    def next_level() -> Hashable | None:
        rest = [k for k in counts if k not in pooled and k not in dropped and k not in outside]
        return min(rest, key=lambda k: (counts[k], str(k))) if rest else None

    def complement() -> int:
        return total(dropped) + total(k for k in outside if k in counts and k not in pooled and k not in dropped)

    ok = True
    while ok and 0 < total(pooled) < min_cell:
        k = next_level()
        ok = k is not None
        if ok:
            pooled.append(k)
    while ok and 0 < complement() < min_cell:
        k = next_level()
        ok = k is not None
        if ok:
            dropped.append(k)
    levels_left = [k for k in counts if k not in pooled and k not in dropped and k not in outside]
    if not ok or not levels_left:
        # No level of the grouping can be shown on its own: the split is not shared.
        return Protection(dict.fromkeys(counts), left_out=tuple(counts), withheld=True)
    if not small and not dropped and not pooled:
        return Protection({k: k for k in counts})
    shown: dict[Hashable, Hashable | None] = {k: k for k in counts}
    shown.update(dict.fromkeys(pooled, MERGED))
    shown.update(dict.fromkeys(dropped))
    return Protection(shown, merged=tuple(pooled), left_out=tuple(dropped))


def protect_bands(
    bands: Sequence[tuple[float, float, int]], min_cell: int
) -> list[tuple[float | None, float | None, int]] | None:
    """Adjacent bands (lower, upper, n) of a number, in order, merged with their neighbours
    until none holds 1..min_cell-1 patients: a small lowest or highest band merges inwards and
    becomes open (its outer edge is None: "below 30", "85 or more", so the extreme values are
    not given away), then any small band inside merges with its smaller neighbour. Empty bands
    are dropped. None when the bands cannot be shared (fewer than `min_cell` patients)."""
    cells = [[lo, hi, n] for lo, hi, n in bands if n > 0]
    if not cells:
        return None
    if min_cell <= 1:
        return [tuple(c) for c in cells]  # type: ignore[misc]
    if sum(c[2] for c in cells) < min_cell:
        return None
    open_low = open_high = False
    while len(cells) > 1:
        small = [i for i, c in enumerate(cells) if c[2] < min_cell]
        if not small:
            break
        if small[0] == 0:
            i, j, open_low = 0, 1, True
        elif small[-1] == len(cells) - 1:
            i, j, open_high = len(cells) - 1, len(cells) - 2, True
        else:
            i = small[0]
            j = i - 1 if cells[i - 1][2] <= cells[i + 1][2] else i + 1
        a, b = sorted((i, j))
        cells[a:b + 1] = [[cells[a][0], cells[b][1], cells[a][2] + cells[b][2]]]
    if open_low:
        cells[0][0] = None
    if open_high:
        cells[-1][1] = None
    return [tuple(c) for c in cells]  # type: ignore[misc]


def describe_protection(section: str, protection: Protection, min_cell: int, mode: str) -> str | None:
    """The reason written into the file for one partition, in plain words (None: unchanged)."""
    if not protection.changed:
        return None
    if protection.withheld:
        return (f"{section}: not shared, because no split into groups of at least {min_cell} patients "
                "was possible (the total is shared).")
    parts = []
    if protection.merged:
        parts.append(f"{_names(protection.merged)} merged into '{MERGED}' (groups of fewer than {min_cell} patients)")
    if protection.left_out:
        parts.append(f"{_names(protection.left_out)} left out (fewer than {min_cell} patients, "
                     "or needed so that the patients left out are not fewer than that)")
    return f"{section}: " + "; ".join(parts) + "."


def _names(cells: Sequence[Hashable]) -> str:
    return ", ".join(f"'{c}'" for c in cells)


def median_from_bins(bins: Sequence[tuple[float | None, float | None, int]]) -> float:
    """Median of grouped data: the value where the cumulative count reaches n/2, patients
    spread evenly within each band (linear interpolation, the textbook grouped median). Bands
    may overlap, as when centres merged different bands: their distributions add up. An open
    band (None edge) has an unknown spread: NaN when the median falls where that matters."""
    bins = [(lo, hi, int(n)) for lo, hi, n in bins if n > 0]
    total = sum(n for _, _, n in bins)
    edges = sorted({float(e) for lo, hi, _ in bins for e in (lo, hi) if e is not None})
    if total == 0 or not edges:
        return math.nan

    def cdf(e: float) -> tuple[float, float]:
        """Patients below e: lower and upper bound (equal where no open band is partial)."""
        low = high = 0.0
        for lo, hi, n in bins:
            if hi is not None and e >= hi:
                low += n
                high += n
            elif lo is not None and e <= lo:
                continue
            elif lo is None or hi is None:
                high += n  # somewhere in the open band: anywhere from none to all below e
            else:
                low += n * (e - lo) / (hi - lo)
                high += n * (e - lo) / (hi - lo)
        return low, high

    bounds = [cdf(e) for e in edges]
    half = total / 2
    for k, (low, high) in enumerate(bounds):
        if high < half:
            continue
        if low != high or (k and bounds[k - 1][0] != bounds[k - 1][1]):
            return math.nan
        if k == 0:
            return edges[0] if low == half else math.nan  # else inside the open lowest band
        lo_c = bounds[k - 1][0]
        return float(edges[k - 1] + (half - lo_c) / (low - lo_c) * (edges[k] - edges[k - 1]))
    return math.nan


def median_of_counts(values: Sequence[float], counts: Sequence[int]) -> float:
    """Exact median of values given as a frequency table (as numpy's median of the rows)."""
    order = np.argsort(values)
    v = np.asarray(values, dtype=float)[order]
    c = np.asarray(counts, dtype=np.int64)[order]
    total = int(c.sum())
    if total == 0:
        return math.nan
    cum = np.cumsum(c)
    lo = v[np.searchsorted(cum, (total + 1) // 2, side="left")]
    hi = v[np.searchsorted(cum, total // 2 + 1, side="left")]
    return float((lo + hi) / 2)
