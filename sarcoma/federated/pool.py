"""Coordinator side, step two: pool the centres' files into exact pooled results.

Life tables of the centres add up to the life table of all their patients (`LifeTable.merge`),
so the pooled Kaplan-Meier curves (every CI type, medians, rates), the log-rank family (with
each centre as a stratum, too) and the response proportions are those of the pooled patient
rows, exactly, for every level a centre shared as it is. What a centre merged, left out or
withheld to protect its patients, and any mismatch between files, is said in `notes` and in
`notes_for(...)`, naming the centre and the file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sarcoma.errors import SarcomaError
from sarcoma.federated.disclosure import MERGED
from sarcoma.federated.reader import AggregateFile, GroupingInfo
from sarcoma.federated.table1 import pooled_table1
from sarcoma.groupings import Grouping, make_groupings, order_levels
from sarcoma.lifetable import ALL, LifeTable, km_from_table, logrank_from_table
from sarcoma.response import (
    MISSING_GROUP_LABEL,
    TOTAL_LABEL,
    ResponseResult,
    _check_alpha,
    _check_denominator,
    _group_order,
    _result_from_counts,
)
from sarcoma.schema import BEST_RESPONSES, HISTOTYPES, PRIMARY_SITES, REGIMEN_CLASSES, SEXES, STAGES
from sarcoma.survival import KMResult, LogRankResult, SurvivalInputError

CENTRE = "center"  # the grouping key of the centre (each file is one centre)
CENTRE_INFO = GroupingInfo("Centre", False, False)
# Controlled vocabularies a file's levels are checked against (a label outside them is pooled
# as a group of its own, which the coordinator should know about).
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "histotype": HISTOTYPES, "regimen_class": REGIMEN_CLASSES, "sex": SEXES, "disease_stage": STAGES,
    "primary_site": PRIMARY_SITES,
}


class PoolError(SarcomaError):
    """Files that cannot be pooled together; the message names the files."""


def pool(files: Sequence[AggregateFile]) -> Pooled:
    """Pool centres' aggregate files (from `read_aggregates`). Raises `PoolError` when files
    cannot be pooled (none, the same file twice, different line-of-therapy cuts); every other
    mismatch is pooled and said in `Pooled.notes`."""
    files = list(files)
    if not files:
        raise PoolError("Add at least one centre's aggregate file to pool.")
    seen: dict[str, str] = {}
    for f in files:
        if f.digest in seen:
            raise PoolError(f"{f.name} and {seen[f.digest]} are the same file: its patients would be counted twice. "
                            "Remove one of them.")
        seen[f.digest] = f.name
    cuts = {f.line_cut for f in files}
    if len(cuts) > 1:
        first = files[0]
        other = next(f for f in files if f.line_cut != first.line_cut)
        raise PoolError(
            f"{other.name} groups the line of therapy at {other.line_cut} or later, {first.name} at {first.line_cut}: "
            "their line groups differ. Ask the centres to export with the same line-of-therapy cut "
            "(sidebar, Grouping options)."
        )
    return Pooled(tuple(files))


class Pooled:
    """Several centres' aggregate files, pooled. Each file is one centre (a stratum)."""

    def __init__(self, files: tuple[AggregateFile, ...], universe: Pooled | None = None) -> None:
        self.files = files
        self.universe = universe or self  # the whole pool, before a centre filter
        self.line_cut = files[0].line_cut
        self.centres = _centre_labels(files)
        self.notes = tuple(_pool_notes(files, self.centres))
        self._groupings = make_groupings(self.line_cut)

    # ------------------------------------------------------------------ what the pool holds

    @property
    def n_patients(self) -> int:
        return sum(f.n_patients for f in self.files)

    @property
    def digest(self) -> str:
        return "|".join(f.digest for f in self.files)

    def centre_sizes(self) -> dict[str, int]:
        return {c: f.n_patients for c, f in zip(self.centres, self.files, strict=True)}

    def select(self, centres: Iterable[str]) -> Pooled:
        """The pool of the chosen centres only (the centre filter; a centre is a stratum)."""
        chosen = set(centres)
        unknown = chosen - set(self.centres)
        if unknown:
            raise PoolError(f"No file in the pool is from {', '.join(sorted(unknown))}.")
        keep = tuple(f for f, c in zip(self.files, self.centres, strict=True) if c in chosen)
        if not keep:
            raise PoolError("Choose at least one centre.")
        return Pooled(keep, self.universe)

    def endpoints(self) -> dict[str, str]:
        """Endpoints every file has, with patients in the pool: key -> title."""
        keys = [k for k in self.files[0].endpoints if all(k in f.endpoints for f in self.files)]
        return {k: self.files[0].endpoints[k].title for k in keys if self.endpoint_n(k) > 0}

    def endpoint_n(self, endpoint: str) -> int:
        return sum(f.endpoints[endpoint].n or 0 for f in self.files if endpoint in f.endpoints)

    def groupings(self) -> dict[str, GroupingInfo]:
        """Groupings every file shares (the centre itself included): key -> label and kind."""
        keys = [k for k in self.files[0].groupings if all(k in f.groupings for f in self.files)]
        out = {k: self.files[0].groupings[k] for k in keys}
        return {**out, CENTRE: CENTRE_INFO}

    def grouping(self, key: str) -> Grouping:
        try:
            return self._groupings[key]
        except KeyError:
            raise PoolError(f"Unknown grouping {key!r}.") from None

    def label(self, key: str | None) -> str:
        return "All patients" if key is None else self.groupings().get(key, CENTRE_INFO if key == CENTRE else GroupingInfo(key, False, False)).label

    def _endpoint(self, endpoint: str) -> None:
        if endpoint not in self.endpoints():
            have = ", ".join(self.endpoints()) or "none"
            raise PoolError(f"The pooled files have no {endpoint} data for every centre (pooled endpoints: {have}).")

    def _check_grouping(self, grouping: str | None) -> None:
        if grouping is not None and grouping not in self.groupings():
            missing = [f.name for f in self.files if grouping not in f.groupings]
            raise PoolError(f"{self.label(grouping)} is not in {', '.join(missing) or 'the files'}, so it cannot be pooled.")

    # ------------------------------------------------------------------ life tables

    def _part(self, f: AggregateFile, centre: str, endpoint: str, grouping: str | None) -> LifeTable | None:
        ep = f.endpoints[endpoint]
        if ep.overall is None:
            return None
        if grouping is None:
            return ep.overall
        if grouping == CENTRE:
            return dataclasses.replace(ep.overall, groups=_objects([centre]))
        part = ep.by.get(grouping)
        return None if part is None else part.table

    def life_table(self, endpoint: str, grouping: str | None = None, *, by_centre: bool = False) -> LifeTable:
        """The pooled life table of an endpoint, by a grouping (levels in display order, the
        merged small groups last), optionally with each centre as a stratum."""
        self._endpoint(endpoint)
        self._check_grouping(grouping)
        parts = []
        # Strata in sorted order, as a patient-row table orders centres (same sums, same digits).
        for centre, f in sorted(zip(self.centres, self.files, strict=True), key=lambda cf: cf[0]):
            part = self._part(f, centre, endpoint, grouping)
            if part is not None and part.n_rows:
                parts.append(part.with_stratum(centre) if by_centre else part)
        if not parts:
            raise SurvivalInputError(f"No centre shared a {endpoint} table" + (f" by {self.label(grouping)}." if grouping else "."))
        merged = LifeTable.merge(parts)
        labels = list(merged.groups)
        counts = merged.n_by_group()
        real = [lv for lv in labels if lv != MERGED]
        ordered = order_levels(real, [int(counts[labels.index(lv)]) for lv in real], self._groupings.get(grouping or ""))
        if MERGED in labels:
            ordered.append(MERGED)
        return merged.select_groups([labels.index(lv) for lv in ordered])

    def curves(self, endpoint: str, grouping: str | None = None, *, conf_type: str = "log-log", alpha: float = 0.05) -> dict[Any, KMResult]:
        """Kaplan-Meier curve of every level (all patients when `grouping` is None)."""
        return km_from_table(self.life_table(endpoint, grouping), conf_type=conf_type, alpha=alpha)

    def kaplan_meier(self, endpoint: str, grouping: str | None = None, level: Any = None, *, conf_type: str = "log-log",
                     alpha: float = 0.05) -> KMResult:
        """The pooled Kaplan-Meier estimate (same type as `sarcoma.survival.kaplan_meier`): of all
        patients, or of one level of a grouping."""
        curves = self.curves(endpoint, grouping, conf_type=conf_type, alpha=alpha)
        if grouping is None:
            return curves[ALL]
        if level not in curves:
            raise PoolError(f"{self.label(grouping)} has no level {level!r} in the pooled {endpoint} data "
                            f"(levels: {', '.join(map(str, curves))}).")
        return curves[level]

    def logrank(self, endpoint: str, grouping: str, *, strata: str | None = "centre", weights: str = "logrank",
                scores: Sequence[float] | None = None, levels: Sequence[Any] | None = None) -> LogRankResult:
        """The log-rank family on the pooled tables: stratified by centre (each file a stratum)
        or not; `levels` restricts the comparison to those levels (e.g. without the merged
        small groups)."""
        if strata not in ("centre", None):
            raise PoolError(f"Pooled tests are stratified by 'centre' or not at all (None), not {strata!r}.")
        table = self.life_table(endpoint, grouping, by_centre=strata == "centre")
        if table.strata.size == 1:
            # One centre holds every compared patient: the plain test (as the patient-row page says).
            table = table.unstratified()
        if levels is not None:
            table = table.select_groups([list(table.groups).index(lv) for lv in levels])
        return logrank_from_table(table, weights=weights, scores=scores)

    def follow_up(self) -> KMResult | None:
        """Median follow-up: reverse Kaplan-Meier of the pooled overall-survival table."""
        if "OS" not in self.endpoints():
            return None
        (km,) = km_from_table(self.life_table("OS").reversed()).values()
        return km

    # ------------------------------------------------------------------ what the numbers leave out

    def notes_for(self, endpoint: str | None, grouping: str | None) -> list[str]:
        """What the centres merged, left out or withheld for this endpoint and grouping, and
        patients whose grouping was not recorded, centre by centre."""
        out: list[str] = []
        for centre, f in zip(self.centres, self.files, strict=True):
            ep = f.endpoints.get(endpoint) if endpoint else None
            if endpoint and ep is not None and ep.withheld:
                out.append(f"{centre}: {ep.withheld}")
                continue
            if ep is not None and grouping not in (None, CENTRE) and (part := ep.by.get(grouping)) is not None:
                if part.withheld:
                    out.append(f"{centre}: {part.withheld}")
                if part.merged:
                    out.append(f"{centre}: {', '.join(part.merged)} counted in '{MERGED}' (groups below the centre's "
                               f"minimum cell size of {f.settings.get('min_cell')}).")
                if part.left_out and not part.withheld:
                    out.append(f"{centre}: {part.left_out} patient(s) of small groups left out of the {endpoint} curves by "
                               f"{self.label(grouping)}.")
        return out

    def not_in_curves(self, endpoint: str, grouping: str | None) -> list[tuple[str, int]]:
        """(reason, number of patients) for the pooled patients not in the curves."""
        out = []
        n_not = sum(f.endpoints[endpoint].not_analysed for f in self.files if endpoint in f.endpoints)
        if n_not:
            out.append((f"no usable {endpoint} time or event recorded (counted by each centre)", n_not))
        if grouping not in (None, CENTRE):
            parts = [f.endpoints[endpoint].by.get(grouping) for f in self.files if endpoint in f.endpoints]
            nr = sum(p.not_recorded for p in parts if p is not None)
            lo = sum(p.left_out for p in parts if p is not None)
            if nr:
                out.append((f"{self.label(grouping)} not recorded", nr))
            if lo:
                out.append((f"{self.label(grouping)}: small groups left out or withheld by their centre", lo))
        withheld = sum(f.n_patients for f in self.files if endpoint in f.endpoints and f.endpoints[endpoint].withheld)
        if withheld:
            out.append((f"{endpoint} withheld by their centre (too few patients)", withheld))
        return out

    # ------------------------------------------------------------------ response

    def has_response(self) -> bool:
        return any(f.response is not None for f in self.files)

    def _response_levels(self, grouping: str | None) -> tuple[dict[Any, dict[str, int]], list[str]]:
        levels: dict[Any, dict[str, int]] = {}
        notes = []
        for centre, f in zip(self.centres, self.files, strict=True):
            if f.response is None:
                notes.append(f"{centre}: no best-response column in {f.name}; its patients are not in the response tables.")
                continue
            if f.response.overall["missing"] == f.n_patients:
                notes.append(f"{centre}: no best response recorded for any patient; they count as not evaluable (NE).")
            if grouping is None:
                parts = {ALL: f.response.overall}
            elif grouping == CENTRE:
                parts = {centre: f.response.overall}
            else:
                by = f.response.by.get(grouping)
                if by is None:
                    notes.append(f"{centre}: no response counts by {self.label(grouping)} in {f.name}.")
                    continue
                if by.withheld:
                    notes.append(f"{centre}: {by.withheld}")
                if by.merged:
                    notes.append(f"{centre}: {', '.join(by.merged)} counted in '{MERGED}' (groups below the centre's minimum "
                                 f"cell size of {f.settings.get('min_cell')}).")
                parts = by.levels
            for level, counts in parts.items():
                held = levels.setdefault(level, dict.fromkeys((*BEST_RESPONSES, "missing"), 0))
                for k in held:
                    held[k] += int(counts.get(k, 0))
        return levels, notes

    def objective_response(self, grouping: str | None = None, level: Any = None, *, denominator: str = "evaluable",
                           alpha: float = 0.05) -> ResponseResult:
        """ORR and DCR with Clopper-Pearson CIs from the pooled best-response counts (of all
        patients, or of one level of a grouping), as `sarcoma.response.objective_response`."""
        _check_denominator(denominator)
        alpha = _check_alpha(alpha)
        levels, _ = self._response_levels(grouping)
        key = ALL if grouping is None else level
        if key not in levels:
            raise PoolError(f"No pooled response counts for {level!r} of {self.label(grouping)}.")
        counts = levels[key]
        return _result_from_counts(counts, counts["missing"], denominator, alpha)

    def response_table(self, grouping: str, *, denominator: str = "evaluable", alpha: float = 0.05) -> tuple[pd.DataFrame, list[str]]:
        """One row per level plus Total, columns of `ResponseResult.as_row()`, rows ordered as
        `sarcoma.response.response_table` orders them; and the notes on what centres merged."""
        _check_denominator(denominator)
        alpha = _check_alpha(alpha)
        levels, notes = self._response_levels(grouping)
        real = [lv for lv in levels if lv not in (MISSING_GROUP_LABEL, MERGED)]
        order = _group_order(pd.Series(real, dtype=object), grouping)
        order += [lv for lv in (MERGED, MISSING_GROUP_LABEL) if lv in levels]
        rows = {lv: _result_from_counts(levels[lv], levels[lv]["missing"], denominator, alpha) for lv in order}
        total = {k: sum(levels[lv][k] for lv in order) for k in (*BEST_RESPONSES, "missing")}
        rows[TOTAL_LABEL] = _result_from_counts(total, total["missing"], denominator, alpha)
        table = pd.DataFrame([r.as_row() for r in rows.values()], index=pd.Index(list(rows), name=grouping))
        return table, notes

    # ------------------------------------------------------------------ Table 1

    def table1(self, *, by_centre: bool = False) -> tuple[pd.DataFrame, list[str]]:
        return pooled_table1([(c, f.n_patients, f.table1) for c, f in zip(self.centres, self.files, strict=True)], by_centre=by_centre)


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _centre_labels(files: Sequence[AggregateFile]) -> list[str]:
    """One label per file: the centre's name, with the file name added when two files name
    the same centre (they must stay separate strata)."""
    names = [" ".join(f.centre.split()) for f in files]
    folded = [n.casefold() for n in names]
    return [f"{n} ({f.name})" if folded.count(n.casefold()) > 1 else n for n, f in zip(names, files, strict=True)]


def _pool_notes(files: Sequence[AggregateFile], centres: list[str]) -> list[str]:
    notes: list[str] = []
    by_centre: dict[str, list[str]] = {}
    for f in files:
        by_centre.setdefault(" ".join(f.centre.split()).casefold(), []).append(f.name)
    for names in by_centre.values():
        if len(names) > 1:
            notes.append(f"{' and '.join(names)} say they come from the same centre: if they hold the same patients, those "
                         "patients are counted twice. Keep both only if they are different patients (e.g. two periods).")
    versions = {f.tool_version for f in files}
    if len(versions) > 1:
        notes.append("The files were written by different versions of this tool ("
                     + "; ".join(f"{f.name}: {f.tool_version}" for f in files) + "). They use the same file format, so they pool.")
    precisions = {f.time_precision for f in files}
    if len(precisions) > 1:
        notes.append("Times were shared at different precisions (" + "; ".join(
            f"{f.name}: {f.time_precision or 'as recorded'}" for f in files) + "): the pooled curves mix them.")
    shared = [f for f in files if not f.in_session]  # the session's own file needs no disclosure control
    cells = {f.settings.get("min_cell") for f in shared}
    if len(cells) > 1:
        notes.append("The centres used different minimum cell sizes (" + "; ".join(
            f"{f.name}: {f.settings.get('min_cell')}" for f in shared) + ").")
    all_endpoints = list(dict.fromkeys(k for f in files for k in f.endpoints))
    for key in all_endpoints:
        lacking = [f.name for f in files if key not in f.endpoints]
        if lacking:
            notes.append(f"{key} is not in {', '.join(lacking)}, so {key} is not pooled.")
    all_groupings = list(dict.fromkeys(k for f in files for k in f.groupings))
    for key in all_groupings:
        lacking = [f.name for f in files if key not in f.groupings]
        if lacking:
            label = next(f.groupings[key].label for f in files if key in f.groupings)
            post = any(f.groupings[key].post_baseline for f in files if key in f.groupings)
            why = " (a post-baseline grouping some centres chose to share)" if post else ""
            notes.append(f"{label}{why} is not in {', '.join(lacking)}, so results by it are not pooled.")
    for f in files:
        if any(g.post_baseline for g in f.groupings.values()):
            notes.append(f"{f.name} includes groupings known only after treatment starts (response, adverse events): "
                         "comparisons by them suffer from guarantee-time bias.")
    for key, vocab in VOCABULARIES.items():
        for f in files:
            seen = set()
            for ep in f.endpoints.values():
                part = ep.by.get(key)
                if part is not None and part.table is not None:
                    seen.update(str(g) for g in part.table.groups)
            if f.response is not None and key in f.response.by:
                seen.update(f.response.by[key].levels)
            odd = sorted(seen - set(vocab) - {MERGED, MISSING_GROUP_LABEL})
            if odd:
                label = f.groupings[key].label if key in f.groupings else key
                notes.append(f"{f.name} uses {label.lower()} labels outside this tool's vocabulary ({', '.join(odd)}): "
                             "they are pooled as groups of their own, not with similar labels of other centres.")
    return notes
