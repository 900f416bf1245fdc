"""Table 1 from counts: what a centre shares about its patients, and the pooled table.

Shared per variable of `sarcoma.characteristics.VARIABLES` (the centre itself is the file):
* categories: patients per level (small levels merged, see `disclosure.protect_cells`) and
  the number with no value recorded;
* yes/no rows: patients with "yes" and with no value (withheld when "yes" or "no" is small);
* numbers: patients per band (age in 5-year bands; whole-number variables such as prior lines
  per value), tails merged inwards until no band is small. The median is then computed from
  the bands and labelled as such; for whole numbers shared value by value it is exact.

Counts of missing values are shared as they are: they say nothing about any one patient.
`pooled_table1` lays the pooled counts out as `characteristics_table` lays out patient rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sarcoma.characteristics import (
    EN_DASH,
    MISSING_LABEL,
    OVERALL_LABEL,
    VARIABLES,
    Variable,
    _as_flag,
    _as_labels,
    _as_number,
    format_n_pct,
    format_number,
)
from sarcoma.federated.disclosure import (
    MERGED,
    describe_protection,
    median_from_bins,
    median_of_counts,
    protect_bands,
    protect_cells,
)
from sarcoma.groupings import DEFAULT_LINE_CUT

AGE_BAND = 5  # years
BANDED_LABEL = "median (range) from {w}-year bands"
EXACT_LABEL = "median (range)"
FROM_BINS_NOTE = (
    "Age: the patient rows stay at each centre, so the median is estimated from the age bands the centres shared (named "
    "in the age row; patients spread evenly within a band) and the range is given by the edges of the outermost bands."
)


def shared_variables(cohort: pd.DataFrame) -> list[Variable]:
    return [v for v in VARIABLES if v.key != "center" and any(c in cohort.columns for c in v.columns)]


def table1_counts(cohort: pd.DataFrame, min_cell: int, mode: str, line_cut: int = DEFAULT_LINE_CUT,
                  log: Callable[[str, str], None] | None = None) -> dict[str, Any]:
    """The Table 1 section of a centre's file. `log(section, reason)` records each change."""
    log = log or (lambda section, reason: None)
    out: dict[str, Any] = {}
    for v in shared_variables(cohort):
        section = f"Table 1: {v.label}"
        if v.kind == "categorical":
            (col,) = v.columns
            labels = _as_labels(cohort[col] if v.transform is None else v.transform(cohort[col]))
            counts = labels.dropna().value_counts().to_dict()
            protection = protect_cells(counts, min_cell, mode)
            if (reason := describe_protection(section, protection, min_cell, mode)) is not None:
                log(section, reason)
            shown: dict[str, int] = {}
            for level, n in counts.items():
                target = protection.shown.get(level)
                if target is not None:
                    shown[str(target)] = shown.get(str(target), 0) + int(n)
            out[v.key] = {"kind": "categorical", "label": v.label, "counts": shown, "missing": int(labels.isna().sum()),
                          "merged": [str(m) for m in protection.merged], "left_out": int(sum(counts[k] for k in protection.left_out)),
                          "withheld": reason if protection.withheld else None}
        elif v.kind in ("flag", "flags"):
            flags = {}
            for col, flag_label in zip(v.columns, v.levels, strict=True):
                if col not in cohort.columns:
                    continue
                flag = _as_flag(cohort[col], col)
                yes, missing = int(flag.fillna(False).sum()), int(flag.isna().sum())
                no = len(flag) - yes - missing
                entry: dict[str, Any] = {"yes": yes, "missing": missing, "withheld": None}
                if min_cell > 1 and (0 < yes < min_cell or 0 < no < min_cell):
                    reason = (f"{section}, {flag_label}: not shared, because fewer than {min_cell} patients answer "
                              f"{'yes' if 0 < yes < min_cell else 'no'}.")
                    log(section, reason)
                    entry = {"yes": None, "missing": missing, "withheld": reason}
                flags[flag_label] = entry
            out[v.key] = {"kind": v.kind, "label": v.label, "flags": flags}
        else:
            out[v.key] = _binned(cohort, v, section, min_cell, log)
    return out


def _binned(cohort: pd.DataFrame, v: Variable, section: str, min_cell: int, log) -> dict[str, Any]:
    (col,) = v.columns
    values = _as_number(cohort[col], col).to_numpy()
    present = values[~np.isnan(values)]
    entry: dict[str, Any] = {"kind": "binned", "label": v.label, "missing": int(np.isnan(values).sum()), "bands": [],
                             "band_width": None, "withheld": None}
    if v.key == "age":
        width = AGE_BAND
        lower = np.floor(present / width) * width
    elif present.size and np.all(present == np.round(present)):
        width = 1
        lower = present
    else:
        reason = f"{section}: not shared, because its values are not whole numbers (no bands are defined for it)."
        log(section, reason)
        entry["withheld"] = reason
        return entry
    entry["band_width"] = width
    uniq, counts = np.unique(lower, return_counts=True)
    bands = [(float(lo), float(lo + width), int(n)) for lo, n in zip(uniq, counts, strict=True)]
    protected = protect_bands(bands, min_cell)
    if protected is None or (present.size and len(protected) == 1 and min_cell > 1):
        reason = f"{section}: not shared, because its bands could not be merged into groups of at least {min_cell} patients."
        log(section, reason)
        entry["withheld"] = reason
        return entry
    if len(protected) != len(bands):
        log(section, f"{section}: bands with fewer than {min_cell} patients merged with their neighbours "
                     f"({len(bands)} bands shared as {len(protected)}; an open outermost band hides the extreme values).")
    entry["bands"] = [[lo, hi, n] for lo, hi, n in protected]
    return entry


# --------------------------------------------------------------------------- pooled table


def _row(characteristic: str, level: str, cells: dict[str, str]) -> dict[str, str]:
    return {"Characteristic": characteristic, "level": level, **cells}


def pooled_table1(parts: Sequence[tuple[str, int, dict[str, Any]]], *, by_centre: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Table 1 of the pool: `parts` = (centre, n patients, the file's table1 section) per file.
    Columns as `characteristics_table`: Characteristic, level, "All (N = ...)" and, with
    `by_centre`, one column per centre. Returns the table and notes (what was merged, withheld
    or estimated from bands)."""
    columns = [(OVERALL_LABEL, list(range(len(parts))))]
    if by_centre:
        columns += [(centre, [i]) for i, (centre, _, _) in enumerate(parts)]
    headers = {name: f"{name} (N = {sum(parts[i][1] for i in idx)})" for name, idx in columns}
    notes: list[str] = []
    rows: list[dict[str, str]] = []
    keys = list(dict.fromkeys(k for _, _, t in parts for k in t))
    order = [v for v in VARIABLES if v.key in keys]
    banded = False
    for v in order:
        entries = [t.get(v.key) for _, _, t in parts]
        absent = [parts[i][0] for i, e in enumerate(entries) if e is None]
        if absent:
            notes.append(f"{v.label}: not in the file of {', '.join(absent)}.")
        kind = next(e["kind"] for e in entries if e is not None)
        if kind == "categorical":
            rows += _categorical_rows(v, entries, parts, columns, headers, notes)
        elif kind in ("flag", "flags"):
            rows += _flag_rows(v, entries, parts, columns, headers, notes)
        else:
            new, was_banded = _binned_rows(v, entries, parts, columns, headers, notes)
            rows += new
            banded |= was_banded
    # The centre as a variable: each file is one centre.
    if len(parts) > 1:
        centre_counts = {}
        for centre, n, _ in parts:
            centre_counts[centre] = centre_counts.get(centre, 0) + n
        rows.append(_row("Centre", "", dict.fromkeys(headers.values(), "")))
        for centre in sorted(centre_counts, key=lambda c: (-centre_counts[c], c)):
            cells = {}
            for name, idx in columns:
                total = sum(parts[i][1] for i in idx)
                n = sum(parts[i][1] for i in idx if parts[i][0] == centre)
                cells[headers[name]] = format_n_pct(n, total)
            rows.append(_row("", centre, cells))
    if banded:
        notes.insert(0, FROM_BINS_NOTE)
    table = pd.DataFrame(rows, columns=["Characteristic", "level", *headers.values()])
    return table, notes


def _shared_label(label: str, usable: list[int], parts) -> str:
    """The variable's name, saying so when only some centres shared it (percentages are then of
    their patients)."""
    if len(usable) == len(parts):
        return label
    n = sum(parts[i][1] for i in usable)
    return f"{label} (shared by {len(usable)} of {len(parts)} centres, {n} patients)"


def _cells(columns, headers, usable, text) -> dict[str, str]:
    """One cell per column: `text(indices of the column's centres that shared)`, or 'not
    shared' when none of them did."""
    out = {}
    for name, idx in columns:
        shared = [i for i in idx if i in usable]
        out[headers[name]] = text(shared) if shared else "not shared"
    return out


def _level_order(v: Variable, totals: dict[str, int]) -> list[str]:
    known = [lv for lv in v.levels if lv in totals]
    extra = sorted((lv for lv in totals if lv not in v.levels and lv != MERGED), key=lambda lv: (-totals[lv], lv))
    return known + extra + ([MERGED] if MERGED in totals else [])


def _categorical_rows(v, entries, parts, columns, headers, notes) -> list[dict]:
    usable = [i for i, e in enumerate(entries) if e is not None and not e.get("withheld")]
    for i, e in enumerate(entries):
        if e is None:
            continue
        if e.get("withheld"):
            notes.append(f"{parts[i][0]}: {e['withheld']}")
        elif e.get("merged"):
            notes.append(f"{parts[i][0]}: {v.label}: {', '.join(map(str, e['merged']))} counted in '{MERGED}' (fewer than the "
                         "minimum cell size).")
    if not usable:
        notes.append(f"{v.label}: no centre could share it.")
        return []
    totals: dict[str, int] = {}
    for i in usable:
        for level, n in entries[i]["counts"].items():
            totals[level] = totals.get(level, 0) + int(n)
    rows = [_row(_shared_label(v.label, usable, parts), "", dict.fromkeys(headers.values(), ""))]

    def share(key, idx):
        return format_n_pct(sum(int(entries[i]["counts"].get(key, 0)) for i in idx), sum(parts[i][1] for i in idx))

    for level in _level_order(v, totals):
        rows.append(_row("", level, _cells(columns, headers, usable, lambda idx, lv=level: share(lv, idx))))
    if any(entries[i]["missing"] for i in usable):
        rows.append(_row("", MISSING_LABEL, _cells(columns, headers, usable, lambda idx: format_n_pct(
            sum(int(entries[i]["missing"]) for i in idx), sum(parts[i][1] for i in idx)))))
    return rows


def _flag_rows(v, entries, parts, columns, headers, notes) -> list[dict]:
    rows = [] if v.kind == "flag" else [_row(v.label, "", dict.fromkeys(headers.values(), ""))]
    for flag_label in v.levels:
        per = [e["flags"].get(flag_label) if e is not None else None for e in entries]
        if all(p is None for p in per):
            continue
        usable = [i for i, p in enumerate(per) if p is not None and p.get("withheld") is None]
        for i, p in enumerate(per):
            if p is not None and p.get("withheld"):
                notes.append(f"{parts[i][0]}: {p['withheld']}")
        if not usable:
            notes.append(f"{v.label}, {flag_label}: no centre could share it.")
            continue
        label = _shared_label(v.label, usable, parts) if v.kind == "flag" else ""
        level = "Yes" if v.kind == "flag" else flag_label
        if v.kind == "flags" and len(usable) < len(parts):
            level = _shared_label(flag_label, usable, parts)
        rows.append(_row(label, level, _cells(columns, headers, usable, lambda idx, per=per: format_n_pct(
            sum(int(per[i]["yes"]) for i in idx), sum(parts[i][1] for i in idx)))))
        if any(per[i]["missing"] for i in usable):
            missing_label = MISSING_LABEL if v.kind == "flag" else f"{flag_label}: {MISSING_LABEL.lower()}"
            rows.append(_row("", missing_label, _cells(columns, headers, usable, lambda idx, per=per: format_n_pct(
                sum(int(per[i]["missing"]) for i in idx), sum(parts[i][1] for i in idx)))))
    return rows if len(rows) > (v.kind == "flags") else []


def _binned_rows(v, entries, parts, columns, headers, notes) -> tuple[list[dict], bool]:
    usable = [i for i, e in enumerate(entries) if e is not None and not e.get("withheld")]
    for i, e in enumerate(entries):
        if e is not None and e.get("withheld"):
            notes.append(f"{parts[i][0]}: {e['withheld']}")
    if not usable:
        notes.append(f"{v.label}: no centre could share it.")
        return [], False
    widths = {entries[i]["band_width"] for i in usable}
    exact = widths == {1} and all(lo is not None and hi is not None and hi - lo == 1 for i in usable for lo, hi, _ in entries[i]["bands"])
    level = EXACT_LABEL if exact else BANDED_LABEL.format(w=max(widths) if widths else AGE_BAND)
    if not exact and widths == {1}:
        level = "median (range) from merged bands"
    elif not exact and not all(_regular(entries[i]) for i in usable):
        # A centre merged its bands (e.g. <60 / ≥60): say which bands, not the nominal width.
        level = "median (range) from the shared bands (" + "; ".join(
            f"{parts[i][0]}: {_bands_text(entries[i]['bands'])}" for i in usable) + ")"
    cells = _cells(columns, headers, usable, lambda idx: _median_range_text([tuple(b) for i in idx for b in entries[i]["bands"]], exact))
    rows = [_row(_shared_label(v.label, usable, parts), level, cells)]
    if any(entries[i]["missing"] for i in usable):
        rows.append(_row("", MISSING_LABEL, _cells(columns, headers, usable, lambda idx: format_n_pct(
            sum(int(entries[i]["missing"]) for i in idx), sum(parts[i][1] for i in idx)))))
    if not exact and widths == {1}:
        notes.append(f"{v.label}: the median is estimated from bands (some centres merged values into bands).")
    return rows, v.key == "age"


def _regular(entry: dict) -> bool:
    """True when the entry's closed bands are all of its nominal width (open-ended outer bands
    such as '<35' are part of every export); False when it merged them, e.g. into <60 / ≥60."""
    closed = [(lo, hi) for lo, hi, _ in entry["bands"] if lo is not None and hi is not None]
    return bool(closed) and all(hi - lo == entry["band_width"] for lo, hi in closed)


def _bands_text(bands: list) -> str:
    """'<60, ≥60' or '50-55, 55-60': the bands as a centre shared them."""
    def one(lo, hi) -> str:
        if lo is None:
            return f"<{format_number(hi)}"
        if hi is None:
            return f"≥{format_number(lo)}"
        return f"{format_number(lo)}{EN_DASH}<{format_number(hi)}"
    return ", ".join(one(lo, hi) for lo, hi, _ in bands)


def _median_range_text(bands: list[tuple], exact: bool) -> str:
    if exact:
        values = np.array([lo for lo, _, _ in bands], dtype=float)
        counts = np.array([n for _, _, n in bands], dtype=np.int64)
        uniq = np.unique(values)
        summed = np.array([counts[values == u].sum() for u in uniq])
        median = median_of_counts(uniq, summed)
        return f"{format_number(median)} ({format_number(uniq.min())}{EN_DASH}{format_number(uniq.max())})"
    median = median_from_bins(bands)
    lows = [lo for lo, _, _ in bands]
    highs = [hi for _, hi, _ in bands]
    low = "<" + format_number(min(hi for lo, hi, _ in bands if lo is None)) if None in lows else format_number(min(lows))
    high = "≥" + format_number(max(lo for lo, hi, _ in bands if hi is None)) if None in highs else format_number(max(highs))
    shown = format_number(median) if not math.isnan(median) else "not estimable from the shared bands"
    return f"{shown} ({low}{EN_DASH}{high})"
