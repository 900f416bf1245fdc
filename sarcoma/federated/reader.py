"""Coordinator side, step one: read a centre's aggregate file back, checking everything.

A file comes from elsewhere: it may be another file altogether (a patient spreadsheet, a PDF),
from a newer version of the tool, cut short in an e-mail, or edited by hand. Every such case
gets a plain-language `AggregateFileError` naming the file; nothing in it is trusted before it
is checked (types, sizes, counts that add up, finite times), and life tables are rebuilt from
their events and censorings, so numbers at risk cannot contradict them.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sarcoma.errors import SarcomaError
from sarcoma.federated.export import FORMAT, SCHEMA_VERSION
from sarcoma.lifetable import ALL, LifeTable
from sarcoma.schema import BEST_RESPONSES

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_LABEL = 200
RESPONSE_KEYS = (*BEST_RESPONSES, "missing")


class AggregateFileError(SarcomaError):
    """An aggregate file that cannot be used; the message names the file and says why."""


@dataclass(frozen=True)
class GroupingInfo:
    label: str
    post_baseline: bool
    ordered: bool


@dataclass(frozen=True, eq=False)
class GroupTable:
    """One grouping's life table of one endpoint at one centre."""

    table: LifeTable | None  # None when withheld or when no patient is in a shared level
    not_recorded: int  # patients with no value for the grouping (not in the curves)
    left_out: int  # patients of suppressed levels
    merged: tuple[str, ...]  # levels counted in "Other (small groups)"
    withheld: str | None


@dataclass(frozen=True, eq=False)
class EndpointCounts:
    key: str
    title: str
    eligibility: str
    n: int | None  # None when withheld
    not_analysed: int
    overall: LifeTable | None
    withheld: str | None
    by: dict[str, GroupTable] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupResponse:
    levels: dict[str, dict[str, int]]
    merged: tuple[str, ...]
    left_out: int
    withheld: str | None


@dataclass(frozen=True)
class ResponseCounts:
    overall: dict[str, int]
    by: dict[str, GroupResponse]


@dataclass(frozen=True, eq=False)
class AggregateFile:
    """A centre's aggregate file, checked."""

    name: str
    centre: str
    schema_version: int
    tool_version: str
    n_patients: int
    settings: dict[str, Any]
    groupings: dict[str, GroupingInfo]
    endpoints: dict[str, EndpointCounts]
    response: ResponseCounts | None
    table1: dict[str, Any]
    disclosure: tuple[tuple[str, str], ...]
    digest: str
    # This session's own patient file, counted here: it needed no disclosure control (minimum
    # cell 1), so its cell size is not a centre's choice to compare with the others'.
    in_session: bool = False

    @property
    def line_cut(self) -> int:
        return int(self.settings["line_cut"])

    @property
    def time_precision(self) -> str | None:
        return self.settings.get("time_precision")


def read_aggregates(data: bytes, name: str = "the file") -> AggregateFile:
    """Check and read one centre's aggregate file (bytes from `export_aggregates`)."""
    doc = _parse(data, name)
    check = _Checker(name)
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise check.error("it has no readable schema version, so it may be damaged. Ask the centre to export it again")
    if version > SCHEMA_VERSION:
        raise check.error(f"it was written by a newer version of this tool (file format {version}; this version reads "
                          f"format {SCHEMA_VERSION}). Update this tool, or ask the centre to export with the same version")
    if version < 1:
        raise check.error(f"its file format number {version} is not one this tool ever wrote; it may be damaged")
    settings = check.mapping(doc.get("settings"), "settings")
    check.count(settings.get("min_cell"), "the minimum cell size", minimum=1)
    line_cut = check.count(settings.get("line_cut"), "the line-of-therapy cut", minimum=2)
    precision = settings.get("time_precision")
    if precision is not None and not isinstance(precision, str):
        raise check.error("its time precision is not readable")
    n_patients = check.count(doc.get("n_patients"), "the number of patients", minimum=1)
    groupings = {check.label(k, "a grouping name"): GroupingInfo(
        label=check.label(g.get("label"), "a grouping label"), post_baseline=bool(g.get("post_baseline")),
        ordered=bool(g.get("ordered"))) for k, g in check.mapping(doc.get("groupings"), "groupings").items()
        if check.mapping(g, "a grouping")}
    endpoints = {check.label(k, "an endpoint name"): _endpoint(check, k, e, n_patients, groupings)
                 for k, e in check.mapping(doc.get("endpoints"), "endpoints").items()}
    if not endpoints:
        raise check.error("it holds no endpoint (no life table)")
    response = None if doc.get("response") is None else _response(check, doc["response"], n_patients)
    table1 = check.mapping(doc.get("table1", {}), "Table 1")
    disclosure = tuple((check.text(d.get("section"), "a disclosure entry"), check.text(d.get("reason"), "a disclosure reason"))
                       for d in check.sequence(doc.get("disclosure", []), "the disclosure list") if check.mapping(d, "a disclosure entry"))
    tool = doc.get("tool_version")
    settings = {**settings, "line_cut": line_cut, "time_precision": precision}
    return AggregateFile(
        name=name, centre=check.label(doc.get("centre"), "the centre's name"), schema_version=version,
        tool_version=tool if isinstance(tool, str) else "unknown", n_patients=n_patients, settings=settings,
        groupings=groupings, endpoints=endpoints, response=response, table1=_table1(check, table1), disclosure=disclosure,
        digest=hashlib.sha256(data).hexdigest(),
    )


def _parse(data: bytes, name: str) -> dict[str, Any]:
    def error(why: str) -> AggregateFileError:
        return AggregateFileError(f"{name} cannot be pooled: {why}.")

    if not isinstance(data, bytes | bytearray):
        raise error("it is not a file's contents")
    if len(data) > MAX_FILE_BYTES:
        raise error(f"it is {len(data) / 1e6:.0f} MB, larger than any aggregate file this tool writes "
                    f"({MAX_FILE_BYTES // 1_000_000} MB at most)")
    head = bytes(data[:8])
    if head.startswith(b"PK"):
        raise error("it is a spreadsheet or a zip archive, not an aggregate file. A centre shares the .json file "
                    "from the 'Share aggregates' page (never its patient file)")
    if head.startswith(b"%PDF"):
        raise error("it is a PDF, not an aggregate file")
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error("it is not a text file, so it is not an aggregate file from the 'Share aggregates' page") from None
    if not text.strip():
        raise error("it is empty")
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        raise error("it is not an aggregate file (it looks like a table or text, e.g. a patient file). A centre shares "
                    "the .json file from the 'Share aggregates' page")

    def no_constant(token: str) -> Any:
        raise ValueError(f"the value {token} is not a number")

    try:
        doc = json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        raise error(f"it is damaged or cut short (unreadable at line {exc.lineno}, column {exc.colno}). Ask the centre "
                    "to send it again") from None
    except (ValueError, RecursionError):
        raise error("it is damaged (it holds values that are not numbers or is nested too deeply)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise error("it is a JSON file, but not an aggregate file of the sarcoma ICI cohort explorer")
    return doc


class _Checker:
    def __init__(self, name: str) -> None:
        self.name = name

    def error(self, why: str) -> AggregateFileError:
        return AggregateFileError(f"{self.name} cannot be pooled: {why}.")

    def damaged(self, what: str) -> AggregateFileError:
        return self.error(f"{what} is not readable, so the file may be damaged or edited by hand. Ask the centre to "
                          "export it again")

    def mapping(self, value: Any, what: str) -> dict:
        if not isinstance(value, dict):
            raise self.damaged(what)
        return value

    def sequence(self, value: Any, what: str) -> list:
        if not isinstance(value, list):
            raise self.damaged(what)
        return value

    def count(self, value: Any, what: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.damaged(what)
        return value

    def text(self, value: Any, what: str) -> str:
        if not isinstance(value, str):
            raise self.damaged(what)
        return value

    def label(self, value: Any, what: str) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_LABEL:
            raise self.damaged(what)
        return value

    def counts(self, values: Any, what: str) -> np.ndarray:
        seq = self.sequence(values, what)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in seq):
            raise self.damaged(what)
        return np.asarray(seq, dtype=np.int64)

    def times(self, values: Any, what: str) -> np.ndarray:
        seq = self.sequence(values, what)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0 for v in seq):
            raise self.damaged(what)
        return np.asarray(seq, dtype=float)


def _life_table(check: _Checker, raw: dict, what: str, levels: list[str] | None) -> LifeTable:
    time = check.times(raw.get("time"), what)
    events = check.counts(raw.get("events"), what)
    censored = check.counts(raw.get("censored"), what)
    if levels is None:
        groups: Any = [ALL] * time.size
        n = time.size
    else:
        codes = check.counts(raw.get("level"), what)
        n = codes.size
        if codes.size and codes.max() >= len(levels):
            raise check.damaged(what)
        groups = np.asarray(levels, dtype=object)[codes] if codes.size else []
    if not (n == time.size == events.size == censored.size) or ((events + censored) == 0).any():
        raise check.damaged(what)
    frame = pd.DataFrame({"group": pd.Series(groups, dtype=object), "time": time, "events": events, "censored": censored})
    return LifeTable.from_frame(frame)


def _endpoint(check: _Checker, key: str, raw: Any, n_patients: int, groupings: dict) -> EndpointCounts:
    raw = check.mapping(raw, f"endpoint {key}")
    withheld = raw.get("withheld")
    n = raw.get("n")
    not_analysed = check.count(raw.get("not_analysed", 0), f"endpoint {key}")
    common = {"key": key, "title": check.text(raw.get("title", key), f"endpoint {key}"),
              "eligibility": check.text(raw.get("eligibility", ""), f"endpoint {key}"), "not_analysed": not_analysed}
    if withheld is not None:
        return EndpointCounts(n=None, overall=None, withheld=check.text(withheld, f"endpoint {key}"), **common)
    n = check.count(n, f"the number of patients of {key}")
    if n + not_analysed != n_patients:
        raise check.error(f"its {key} counts do not add up ({n} analysed + {not_analysed} not analysed is not its "
                          f"{n_patients} patients), so it may be damaged")
    if n == 0:
        return EndpointCounts(n=0, overall=None, withheld=None, **common)
    overall = _life_table(check, check.mapping(raw.get("overall"), f"the {key} life table"), f"the {key} life table", None)
    if int(overall.n_by_group().sum()) != n:
        raise check.error(f"its {key} life table holds {int(overall.n_by_group().sum())} patients, not the {n} it states; "
                          "it may be damaged")
    by = {}
    for gkey, graw in check.mapping(raw.get("by", {}), f"the {key} tables by group").items():
        what = f"the {key} table by {gkey}"
        graw = check.mapping(graw, what)
        merged = tuple(check.label(m, what) for m in check.sequence(graw.get("merged", []), what))
        left_out = check.count(graw.get("left_out", 0), what)
        not_recorded = check.count(graw.get("not_recorded", 0), what)
        if graw.get("withheld") is not None:
            by[gkey] = GroupTable(None, not_recorded, left_out, merged, check.text(graw["withheld"], what))
            continue
        levels = [check.label(lv, what) for lv in check.sequence(graw.get("levels", []), what)]
        if len(set(levels)) != len(levels):
            raise check.damaged(what)
        table = _life_table(check, graw, what, levels) if levels else None
        in_table = 0 if table is None else int(table.n_by_group().sum())
        if in_table + not_recorded + left_out != n:
            raise check.error(f"its {key} table by {groupings.get(gkey, GroupingInfo(gkey, False, False)).label} holds "
                              f"{in_table + not_recorded + left_out} patients, not the {n} it states; it may be damaged")
        by[check.label(gkey, what)] = GroupTable(table, not_recorded, left_out, merged, None)
    return EndpointCounts(n=n, overall=overall, withheld=None, by=by, **common)


def _response_counts(check: _Checker, raw: Any, what: str) -> dict[str, int]:
    raw = check.mapping(raw, what)
    out = {k: check.count(raw.get(k, 0), what) for k in RESPONSE_KEYS}
    if out["missing"] > out["NE"]:  # a missing response counts as NE
        raise check.damaged(what)
    return out


def _response(check: _Checker, raw: Any, n_patients: int) -> ResponseCounts:
    raw = check.mapping(raw, "the response counts")
    overall = _response_counts(check, raw.get("overall"), "the response counts")
    if sum(overall[k] for k in BEST_RESPONSES) != n_patients:
        raise check.error(f"its best-response counts cover {sum(overall[k] for k in BEST_RESPONSES)} patients, not its "
                          f"{n_patients}; it may be damaged")
    by = {}
    for gkey, graw in check.mapping(raw.get("by", {}), "the response counts by group").items():
        what = f"the response counts by {gkey}"
        graw = check.mapping(graw, what)
        levels = {check.label(lv, what): _response_counts(check, c, what) for lv, c in check.mapping(graw.get("levels", {}), what).items()}
        left_out = check.count(graw.get("left_out", 0), what)
        withheld = graw.get("withheld")
        total = sum(c[k] for c in levels.values() for k in BEST_RESPONSES)
        if withheld is None and total + left_out != n_patients:
            raise check.error(f"its response counts by {gkey} cover {total + left_out} patients, not its {n_patients}; "
                              "it may be damaged")
        by[check.label(gkey, what)] = GroupResponse(
            levels=levels, merged=tuple(check.label(m, what) for m in check.sequence(graw.get("merged", []), what)),
            left_out=left_out, withheld=None if withheld is None else check.text(withheld, what))
    return ResponseCounts(overall=overall, by=by)


def _table1(check: _Checker, raw: dict) -> dict[str, Any]:
    """Table 1 entries, type-checked (their layout is `table1.table1_counts`)."""
    out = {}
    for key, entry in raw.items():
        what = f"Table 1 ({key})"
        entry = check.mapping(entry, what)
        kind = entry.get("kind")
        clean: dict[str, Any] = {"kind": kind, "label": check.label(entry.get("label"), what)}
        if kind == "categorical":
            clean["counts"] = {check.label(k, what): check.count(v, what) for k, v in check.mapping(entry.get("counts"), what).items()}
            clean["missing"] = check.count(entry.get("missing", 0), what)
            clean["merged"] = [check.label(m, what) for m in check.sequence(entry.get("merged", []), what)]
            clean["withheld"] = None if entry.get("withheld") is None else check.text(entry["withheld"], what)
        elif kind in ("flag", "flags"):
            flags = {}
            for flag, f in check.mapping(entry.get("flags"), what).items():
                f = check.mapping(f, what)
                withheld = f.get("withheld")
                flags[check.label(flag, what)] = {
                    "yes": None if withheld is not None else check.count(f.get("yes"), what),
                    "missing": check.count(f.get("missing", 0), what),
                    "withheld": None if withheld is None else check.text(withheld, what)}
            clean["flags"] = flags
        elif kind == "binned":
            bands = []
            for band in check.sequence(entry.get("bands", []), what):
                band = check.sequence(band, what)
                if len(band) != 3:
                    raise check.damaged(what)
                lo, hi, n = band
                for edge in (lo, hi):
                    if edge is not None and (isinstance(edge, bool) or not isinstance(edge, int | float) or not math.isfinite(edge)):
                        raise check.damaged(what)
                if lo is not None and hi is not None and not hi > lo:
                    raise check.damaged(what)
                bands.append((lo, hi, check.count(n, what)))
            width = entry.get("band_width")
            clean.update({"bands": bands, "band_width": width if isinstance(width, int | float) and not isinstance(width, bool) else None,
                          "missing": check.count(entry.get("missing", 0), what),
                          "withheld": None if entry.get("withheld") is None else check.text(entry["withheld"], what)})
        else:
            raise check.damaged(what)
        out[check.label(key, what)] = clean
    return out
