"""Centre side: the aggregate file a centre shares instead of patient rows.

`export_aggregates(cohort, centre=...)` writes one self-describing JSON document (UTF-8):

* `format`, `schema_version`, `tool_version`: what reads it and which version wrote it;
* `centre`, `n_patients`, `settings` (minimum cell size, small-cell rule, time precision, line
  cut, whether post-baseline groupings are in) and `disclosure`: every change made to protect
  patients, with its reason in plain words;
* `groupings`: label and kind of each grouping shared (post-baseline ones marked);
* `endpoints`: per time-to-event endpoint of the registry, the life table of all its patients
  and one life table per grouping (one grouping at a time, never crossed): per level and
  distinct time, events and censorings;
* `response`: best-response counts overall and per level of each grouping;
* `table1`: patient-characteristics counts (categories, yes/no rows, numbers in bands).

No patient identifier, no date and no patient row ever enters it: every value is a count, a
time on the months axis or a label of the vocabulary (tests/test_federated.py checks).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sarcoma.endpoints import ENDPOINTS, endpoint_data
from sarcoma.federated.disclosure import (
    MERGED,
    SMALL_CELL_MODES,
    TIME_PRECISIONS,
    DisclosureError,
    Protection,
    check_options,
    coarsen_times,
    describe_protection,
    protect_cells,
)
from sarcoma.federated.table1 import table1_counts
from sarcoma.groupings import DEFAULT_LINE_CUT, Grouping, make_groupings
from sarcoma.lifetable import life_table
from sarcoma.response import MISSING_GROUP_LABEL, _normalise_labels
from sarcoma.schema import BEST_RESPONSES

FORMAT = "sarcoma-ici-explorer aggregate counts"
SCHEMA_VERSION = 1
TIME_TO_EVENT = "time-to-event"
NOT_RECORDED = "(not recorded)"
# Groupings whose levels are the response itself: no response table by them.
RESPONSE_ITSELF = ("responder", "best_response")
MAX_CENTRE_NAME = 100
ABOUT = (
    "Aggregate counts of one centre for a pooled analysis (sarcoma ICI cohort explorer): life tables, "
    "best-response counts and patient-characteristics counts. No patient rows, identifiers or dates."
)


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sarcoma-ici-explorer")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def shared_groupings(line_cut: int = DEFAULT_LINE_CUT, include_post_baseline: bool = False) -> dict[str, Grouping]:
    """The groupings a centre shares: every baseline grouping except the centre itself (the
    file is the centre); post-baseline ones (response, adverse events) only when asked for."""
    return {k: g for k, g in make_groupings(line_cut).items()
            if k != "center" and (include_post_baseline or not g.post_baseline)}


def time_to_event_endpoints() -> dict[str, Any]:
    """The registry's time-to-event endpoints (a distribution such as time to response has no
    life table)."""
    return {k: e for k, e in ENDPOINTS.items() if getattr(e, "kind", TIME_TO_EVENT) == TIME_TO_EVENT}


def export_aggregates(
    cohort: pd.DataFrame,
    *,
    centre: str,
    min_cell: int = 5,
    time_precision: str | None = None,
    include_post_baseline: bool = False,
    small_cells: str = "merge",
    line_cut: int = DEFAULT_LINE_CUT,
) -> bytes:
    """The centre's aggregate file (JSON, UTF-8): see the module docstring. Raises
    `DisclosureError` when the centre has fewer than `min_cell` patients, or for bad options."""
    doc = aggregate_document(cohort, centre=centre, min_cell=min_cell, time_precision=time_precision,
                             include_post_baseline=include_post_baseline, small_cells=small_cells, line_cut=line_cut)
    return document_bytes(doc)


def document_bytes(doc: Mapping[str, Any]) -> bytes:
    # allow_nan=False: a NaN would be invalid JSON for other readers; every number here is finite.
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, indent=1).encode("utf-8")


def aggregate_document(
    cohort: pd.DataFrame,
    *,
    centre: str,
    min_cell: int = 5,
    time_precision: str | None = None,
    include_post_baseline: bool = False,
    small_cells: str = "merge",
    line_cut: int = DEFAULT_LINE_CUT,
) -> dict[str, Any]:
    """The aggregate file as a dict (what `export_aggregates` writes, and the preview shows)."""
    check_options(min_cell, time_precision, small_cells)
    centre = _check_centre(centre)
    _check_cohort(cohort, centre, min_cell)
    groupings = shared_groupings(line_cut, include_post_baseline)
    log = _Log(min_cell, small_cells)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "tool_version": tool_version(),
        "about": ABOUT,
        "centre": centre,
        "n_patients": len(cohort),
        "settings": {
            "min_cell": int(min_cell),
            "small_cells": small_cells,
            "small_cells_words": SMALL_CELL_MODES[small_cells],
            "time_precision": time_precision,
            "time_precision_words": TIME_PRECISIONS[time_precision],
            "time_unit": "months",
            "line_cut": int(line_cut),
            "post_baseline": bool(include_post_baseline),
        },
        "groupings": {k: {"label": g.label, "post_baseline": g.post_baseline, "ordered": g.ordered} for k, g in groupings.items()},
    }
    labels = {k: _labels(g, cohort) for k, g in groupings.items()}
    doc["endpoints"] = {key: _endpoint_section(cohort, key, ep, labels, groupings, time_precision, log)
                        for key, ep in time_to_event_endpoints().items()}
    doc["response"] = _response_section(cohort, labels, groupings, log)
    doc["table1"] = table1_counts(cohort, min_cell, small_cells, line_cut, log.add)
    doc["disclosure"] = log.entries
    return doc


class _Log:
    """The disclosure actions, in the order they were taken (written into the file)."""

    def __init__(self, min_cell: int, mode: str) -> None:
        self.min_cell, self.mode = min_cell, mode
        self.entries: list[dict[str, str]] = []

    def add(self, section: str, reason: str) -> None:
        self.entries.append({"section": section, "reason": reason})

    def protection(self, section: str, protection: Protection) -> None:
        reason = describe_protection(section, protection, self.min_cell, self.mode)
        if reason:
            self.add(section, reason)


def _check_centre(centre: Any) -> str:
    if not isinstance(centre, str) or not centre.strip():
        raise DisclosureError("Give the centre's name: the coordinator needs it to tell the files apart.")
    name = " ".join(centre.split())
    if len(name) > MAX_CENTRE_NAME:
        raise DisclosureError(f"The centre's name is {len(name)} characters long; keep it under {MAX_CENTRE_NAME}.")
    return name


def _check_cohort(cohort: Any, centre: str, min_cell: int) -> None:
    if not isinstance(cohort, pd.DataFrame) or len(cohort) == 0:
        raise DisclosureError("There are no patients to share: load the centre's file (or widen the filters) first.")
    if "patient_id" in cohort:
        ids = cohort["patient_id"]
        if ids[ids.notna()].duplicated().any():
            raise DisclosureError("Some patient IDs appear on more than one row: each patient must be counted once. "
                                  "Fix the file (see the data-quality report) before sharing counts.")
    if len(cohort) < min_cell:
        raise DisclosureError(
            f"{centre} has {len(cohort)} patient(s), fewer than the minimum cell size of {min_cell}: even its overall "
            "counts would single out patients. Share with a lower minimum cell size only if your data-protection "
            "officer agrees, or pool the patients with another centre first."
        )


def _labels(grouping: Grouping, cohort: pd.DataFrame) -> pd.Series:
    try:
        return grouping.make(cohort)
    except KeyError:  # the file has no column for it
        return pd.Series([None] * len(cohort), index=cohort.index, dtype=object)


def _columns(table) -> dict[str, list]:
    frame = table.to_frame()
    return {"time": [float(t) for t in frame["time"]], "events": frame["events"].astype(int).tolist(),
            "censored": frame["censored"].astype(int).tolist()}


def _endpoint_section(cohort, key, endpoint, labels, groupings, precision, log: _Log) -> dict[str, Any]:
    data = endpoint_data(cohort, key)
    time = coarsen_times(data["time"].to_numpy(float), precision)
    event = data["event"].to_numpy(int)
    out: dict[str, Any] = {
        "title": endpoint.title, "eligibility": endpoint.eligibility, "n": len(data),
        "not_analysed": int(len(cohort) - len(data)), "overall": None, "withheld": None, "by": {},
    }
    if len(data) == 0:
        return out
    if len(data) < log.min_cell:
        reason = (f"{key}: not shared, because only {len(data)} patient(s) have data for it (fewer than "
                  f"{log.min_cell}).")
        out["n"] = None
        out["withheld"] = reason
        log.add(key, reason)
        return out
    out["overall"] = _columns(life_table(time, event))
    for gkey, g in groupings.items():
        lab = labels[gkey].reindex(data.index)
        out["by"][gkey] = _grouped_table(f"{key} by {g.label}", time, event, lab, log)
    return out


def _grouped_table(section: str, time: np.ndarray, event: np.ndarray, lab: pd.Series, log: _Log) -> dict[str, Any]:
    values = lab.to_numpy(dtype=object)
    missing = pd.isna(lab).to_numpy()
    counts = pd.Series(values[~missing]).value_counts().to_dict()
    if missing.any():
        counts[NOT_RECORDED] = int(missing.sum())
    protection = protect_cells(counts, log.min_cell, log.mode, outside=(NOT_RECORDED,))
    log.protection(section, protection)
    out: dict[str, Any] = {"levels": [], "level": [], "time": [], "events": [], "censored": [],
                           "not_recorded": 0, "left_out": 0, "merged": [str(m) for m in protection.merged],
                           "withheld": None}
    if protection.withheld:
        out["withheld"] = describe_protection(section, protection, log.min_cell, log.mode)
        out["left_out"] = int(sum(counts.values()))
        return out
    filled = np.where(missing, NOT_RECORDED, values)
    shown = np.array([protection.shown.get(v) for v in filled], dtype=object)
    keep = np.array([s is not None and s != NOT_RECORDED for s in shown])
    out["not_recorded"] = int(sum(1 for s in shown if s == NOT_RECORDED))
    out["left_out"] = int(sum(1 for s in shown if s is None))
    if keep.any():
        table = life_table(time[keep], event[keep], shown[keep].astype(str))
        frame = table.to_frame()
        levels = [str(g) for g in table.groups]
        out["levels"] = levels
        position = {lv: i for i, lv in enumerate(levels)}
        out["level"] = [position[g] for g in frame["group"]]
        out.update(_columns(table))
    return out


def _response_section(cohort: pd.DataFrame, labels, groupings, log: _Log) -> dict[str, Any] | None:
    if "best_response" not in cohort:
        return None
    normalised, _ = _normalise_labels(cohort["best_response"])
    best = np.array(normalised, dtype=object)
    missing_response = np.array([_missing(v) for v in cohort["best_response"]], dtype=bool)
    out: dict[str, Any] = {"overall": _response_counts(best, missing_response), "by": {}}
    for gkey, g in groupings.items():
        if gkey in RESPONSE_ITSELF:
            continue
        lab = labels[gkey]
        # The row-level response table shows patients without a group as their own row.
        values = lab.where(lab.notna(), MISSING_GROUP_LABEL).to_numpy(dtype=object)
        counts = pd.Series(values).value_counts().to_dict()
        section = f"Best response by {g.label}"
        protection = protect_cells(counts, log.min_cell, log.mode)
        log.protection(section, protection)
        entry: dict[str, Any] = {"levels": {}, "merged": [str(m) for m in protection.merged], "left_out": 0, "withheld": None}
        if protection.withheld:
            entry["withheld"] = describe_protection(section, protection, log.min_cell, log.mode)
            entry["left_out"] = len(values)
        else:
            shown = np.array([protection.shown.get(v) for v in values], dtype=object)
            entry["left_out"] = int(sum(1 for s in shown if s is None))
            for level in dict.fromkeys(s for s in shown if s is not None):
                m = shown == level
                entry["levels"][str(level)] = _response_counts(best[m], missing_response[m])
        out["by"][gkey] = entry
    return out


def _missing(value: Any) -> bool:
    from sarcoma.response import _is_missing

    return _is_missing(value)


def _response_counts(best: np.ndarray, missing: np.ndarray) -> dict[str, int]:
    counts = {k: int((best == k).sum()) for k in BEST_RESPONSES}
    counts["missing"] = int(missing.sum())
    return counts


__all__ = ["FORMAT", "MERGED", "NOT_RECORDED", "SCHEMA_VERSION", "aggregate_document", "document_bytes",
           "export_aggregates", "shared_groupings", "time_to_event_endpoints", "tool_version"]
