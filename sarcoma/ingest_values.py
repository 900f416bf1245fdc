"""Column parsers: text cells -> typed values, with a per-row verdict (ok, missing, invalid).

Each parser works on the distinct values of a column (pyarrow dictionary encoding), so a
million-row file with a few thousand distinct dates costs a few thousand Python calls.
Numbers take a vectorised pyarrow cast first and fall back to the per-value path only when
the column holds decimal commas, units or junk.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sarcoma import vocab
from sarcoma.vocab import MISSING_KEYS, key

STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas 3's default "str"

OK, MISSING, INVALID = 0, 1, 2


@dataclass
class Parsed:
    """Typed values plus, per row, whether the cell was blank/missing or unusable."""

    values: Any  # numpy array or pandas ExtensionArray of length n
    status: np.ndarray  # int8: OK, MISSING or INVALID
    problems: dict[int, str] = field(default_factory=dict)  # row -> problem, for INVALID rows
    notes: list[str] = field(default_factory=list)  # column-level remarks for the report
    extra: dict[str, Any] = field(default_factory=dict)  # parser-specific by-products

    @property
    def invalid(self) -> np.ndarray:
        return self.status == INVALID

    @property
    def ok(self) -> np.ndarray:
        return self.status == OK


def int_array(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Nullable Int64 from floats with NaN for missing, without per-element conversion."""
    values = np.asarray(values, dtype=float)
    mask = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(mask, 0, values).astype(np.int64), mask)


def trimmed(col: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(col)


def encode(col: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Row codes and the distinct trimmed values of a text column."""
    encoded = pc.dictionary_encode(trimmed(col))
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def _assemble(
    codes: np.ndarray, results: list[tuple[int, Any, str | None]], uniques: list[str], empty: Any
) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Spread per-unique (status, value, problem) back over the rows."""
    status_u = np.array([r[0] for r in results], dtype=np.int8)
    status = status_u[codes] if len(codes) else np.zeros(0, np.int8)
    problems: dict[int, str] = {}
    bad_u = np.flatnonzero(status_u == INVALID)
    if len(bad_u):
        text_u = {int(u): results[u][2] or f"'{uniques[u]}' could not be read" for u in bad_u}
        for row in np.flatnonzero(np.isin(codes, bad_u)):
            problems[int(row)] = text_u[int(codes[row])]
    return status, status_u, problems


def is_missing(text: str) -> bool:
    return key(text) in MISSING_KEYS


# --- Text and categories -------------------------------------------------------------------------


def parse_text(col: pa.Array) -> Parsed:
    """Free text: trimmed, missing-value tokens become NaN.

    Stays in Arrow: only distinct values that could be a missing token (short, no digits, as
    no token has one) go through Python, so a million distinct patient IDs cost nothing.
    """
    encoded = pc.dictionary_encode(trimmed(col))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    dictionary = encoded.dictionary
    maybe = pc.and_(
        pc.less_equal(pc.utf8_length(dictionary), 40),
        pc.invert(pc.match_substring_regex(dictionary, r"\d")),
    ).to_numpy(zero_copy_only=False)
    missing_u = np.zeros(len(dictionary), dtype=bool)
    for i in np.flatnonzero(maybe):
        missing_u[i] = is_missing(dictionary[int(i)].as_py())
    labels = pc.if_else(pa.array(missing_u), pa.scalar(None, pa.string()), dictionary)
    taken = labels.take(encoded.indices) if len(codes) else pa.array([], pa.string())
    values = STR_DTYPE.construct_array_type()(pa.chunked_array([taken]))
    status = np.where(missing_u[codes], MISSING, OK).astype(np.int8) if len(codes) else np.zeros(0, np.int8)
    return Parsed(values=values, status=status)


def _string_result(
    codes: np.ndarray, uniques: list[str], results: list[tuple[int, Any, str | None]]
) -> Parsed:
    status, _, problems = _assemble(codes, results, uniques, None)
    labels = pa.array([r[1] if r[0] == OK else None for r in results], pa.string())
    taken = labels.take(pa.array(codes, pa.int32())) if len(codes) else pa.array([], pa.string())
    values = STR_DTYPE.construct_array_type()(pa.chunked_array([taken]))
    return Parsed(values=values, status=status, problems=problems)


def parse_category(
    col: pa.Array,
    lookup: Mapping[str, str],
    *,
    allowed: Collection[str],
    other: str | None = None,
) -> Parsed:
    """Controlled vocabulary. Unknown labels become `other` (noted) or are invalid."""
    codes, uniques = encode(col)
    results: list[tuple[int, Any, str | None]] = []
    grouped: dict[str, int] = {}
    for u in uniques:
        label = lookup.get(key(u))
        if label is not None:
            results.append((OK, label, None))
        elif is_missing(u):
            results.append((MISSING, None, None))
        elif other is not None:
            results.append((OK, other, None))
            grouped[u] = 0
        else:
            results.append((INVALID, None, f"'{u}' is not one of {', '.join(allowed)}"))
    parsed = _string_result(codes, uniques, results)
    # Position in `allowed` per row (-1 = missing or invalid): cheap to compare and count.
    order = list(allowed)
    index_u = np.array([order.index(r[1]) if r[0] == OK else -1 for r in results], dtype=np.int8)
    parsed.extra["index"] = index_u[codes] if len(codes) else np.zeros(0, np.int8)
    if grouped:
        counts = np.bincount(codes, minlength=len(uniques))
        for i, u in enumerate(uniques):
            if u in grouped:
                grouped[u] = int(counts[i])
        parsed.extra["grouped"] = grouped
    return parsed


def parse_histotype(col: pa.Array) -> Parsed:
    """Histotype group (schema.HISTOTYPES); extra['detail'] and extra['original'] per row."""
    codes, uniques = encode(col)
    results: list[tuple[int, Any, str | None]] = []
    details: list[str | None] = []
    unrecognised: dict[str, int] = {}
    for u in uniques:
        if is_missing(u):
            results.append((MISSING, None, None))
            details.append(None)
            continue
        group, detail, recognised = vocab.classify_histotype(u)
        results.append((OK, group, None))
        details.append(detail)
        if not recognised:
            unrecognised[u] = 0
    parsed = _string_result(codes, uniques, results)
    idx = pa.array(codes, pa.int32())
    detail_arr = pa.array(details, pa.string()).take(idx) if len(codes) else pa.array([], pa.string())
    parsed.extra["detail"] = STR_DTYPE.construct_array_type()(pa.chunked_array([detail_arr]))
    originals = pa.array([None if r[0] == MISSING else u for r, u in zip(results, uniques, strict=True)], pa.string())
    orig_arr = originals.take(idx) if len(codes) else pa.array([], pa.string())
    parsed.extra["original"] = STR_DTYPE.construct_array_type()(pa.chunked_array([orig_arr]))
    if unrecognised:
        counts = np.bincount(codes, minlength=len(uniques))
        parsed.extra["grouped"] = {u: int(counts[uniques.index(u)]) for u in unrecognised}
    return parsed


# --- Numbers --------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^([+-]?)\s*(\d[\d.,' ]*|[.,]\d+)\s*(.*)$")
_ORDINAL = re.compile(
    r"^(st|nd|rd|th|e|er|re|η|ος|º|°|\.)?\s*(line|linje|linie|ligne|linea|γραμμη|γραμμής)?$"
)
_GRADE_PREFIX = re.compile(r"^(?:grade|gr\.?|g)\s*(?=\d)", re.IGNORECASE)
_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00a0": " "})


def number_from_text(text: str, units: Collection[str] = ()) -> tuple[int, float | None, str | None, bool]:
    """(status, value, problem, used_decimal_comma) for one cell.

    Accepts decimal commas ('4,6'), thousands separators ('1.234,5' / '1,234.5'), a unit
    suffix from `units` (keys, e.g. 'months', '%', 'mutmb') and ordinals ('3rd line').
    """
    if is_missing(text):
        return MISSING, None, None, False
    cleaned = text.translate(_DASHES).strip()
    if "grade" in units:  # CTCAE grades are often written 'G3' or 'Grade 3'
        cleaned = _GRADE_PREFIX.sub("", cleaned)
    m = _NUMBER.match(cleaned)
    if not m:
        return INVALID, None, f"'{text}' is not a number", False
    sign, digits, rest = m.groups()
    rest = rest.strip()
    if rest and not (
        key(rest) in units or (rest == "%" and "%" in units) or _ORDINAL.match(vocab.words(rest) or rest)
    ):
        return INVALID, None, f"'{text}' is not a number", False
    digits = digits.replace(" ", "").replace("'", "")
    comma = False
    if "," in digits and "." in digits:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        digits = digits.replace(thousands, "").replace(decimal, ".")
        comma = decimal == ","
    elif digits.count(",") == 1:
        digits, comma = digits.replace(",", "."), True
    elif digits.count(",") > 1 or digits.count(".") > 1:
        digits = digits.replace(",", "").replace(".", "")
    try:
        value = float(sign + digits)
    except ValueError:
        return INVALID, None, f"'{text}' is not a number", False
    if not math.isfinite(value):
        return INVALID, None, f"'{text}' is not a number", False
    return OK, value, None, comma


def parse_number(
    col: pa.Array,
    *,
    integer: bool = False,
    units: Collection[str] = (),
    lo: float | None = None,
    hi: float | None = None,
) -> Parsed:
    """float64 (or Int64 with `integer`) values; out-of-range values are invalid."""
    fast = _fast_float(col)
    if fast is not None:
        values, status = fast
        problems: dict[int, str] = {}
        comma = False
    else:
        codes, uniques = encode(col)
        parsed_u = [number_from_text(u, units) for u in uniques]
        results = [(s, v, p) for s, v, p, _ in parsed_u]
        status, status_u, problems = _assemble(codes, results, uniques, None)
        values_u = np.array([v if v is not None else np.nan for _, v, _, _ in parsed_u], dtype=float)
        values = values_u[codes] if len(codes) else np.zeros(0)
        comma = any(c for s, _, _, c in parsed_u if s == OK)
        values = np.where(status == OK, values, np.nan)
    ok = status == OK
    checks: list[tuple[np.ndarray, str]] = []
    if integer:
        checks.append((ok & (np.abs(values - np.round(values)) > 1e-9), "is not a whole number"))
    if lo is not None:
        checks.append((ok & (values < lo), f"is below {lo:g}"))
    if hi is not None:
        checks.append((ok & (values > hi), f"is above {hi:g}"))
    raw = None
    for mask, say in checks:
        rows = np.flatnonzero(mask & (status == OK))
        if len(rows):
            raw = raw if raw is not None else trimmed(col)
            for r in rows:
                problems[int(r)] = f"'{raw[int(r)].as_py()}' {say}"
            status = status.copy()
            status[rows] = INVALID
            values = values.copy()
            values[rows] = np.nan
    if integer:
        values = int_array(np.where(status == OK, np.round(values), np.nan))
    parsed = Parsed(values=values, status=status, problems=problems)
    parsed.extra["decimal_comma"] = comma
    return parsed


def _fast_float(col: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """Vectorised path for clean numeric columns (blank = missing); None if anything is odd."""
    t = trimmed(col)
    blank = pc.equal(t, "")
    try:
        nums = pc.cast(pc.if_else(blank, pa.scalar(None, pa.string()), t), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    values = nums.to_numpy(zero_copy_only=False)
    if not np.all(np.isfinite(values[~np.isnan(values)])):
        return None
    missing = blank.to_numpy(zero_copy_only=False)
    if np.any(np.isnan(values) & ~missing):  # "nan" text: let the token path handle it
        return None
    return values, np.where(missing, MISSING, OK).astype(np.int8)


# --- Yes/no and events -----------------------------------------------------------------------------


def _flag(text: str, words: Mapping[str, int] | None = None) -> tuple[int, int | None]:
    """(status, 0/1) for one cell, trying endpoint words, check marks, numbers, yes/no."""
    k = key(text)
    if words and k in words:
        return OK, words[k]
    if text in vocab.CHECK_MARKS:
        return OK, 1
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        number = None
    if number is not None and number in (0.0, 1.0):
        return OK, int(number)
    if k in vocab.YES_KEYS:
        return OK, 1
    if k in vocab.NO_KEYS:
        return OK, 0
    if k in MISSING_KEYS:
        return MISSING, None
    return INVALID, None


def parse_bool(col: pa.Array) -> Parsed:
    """Nullable boolean. In a column that marks 'yes' with x/✓ only, blank cells mean 'no'."""
    codes, uniques = encode(col)
    flags = [_flag(u) for u in uniques]
    results = [
        (s, v, None if s != INVALID else f"'{u}' is not yes/no")
        for (s, v), u in zip(flags, uniques, strict=True)
    ]
    present = [u for (s, _), u in zip(flags, uniques, strict=True) if s != MISSING]
    notes: list[str] = []
    if present and all(u in vocab.CHECK_MARKS for u in present) and "" in uniques:
        blank = uniques.index("")
        results[blank] = (OK, 0, None)
        notes.append("blank cells were read as 'no' because the column marks 'yes' with x")
    status, _, problems = _assemble(codes, results, uniques, None)
    values_u = np.array([bool(r[1]) if r[0] == OK else False for r in results], dtype=bool)
    values = pd.arrays.BooleanArray(values_u[codes] if len(codes) else np.zeros(0, bool), status != OK)
    return Parsed(values=values, status=status, problems=problems, notes=notes)


def parse_event(col: pa.Array, words: Mapping[str, int]) -> Parsed:
    """Event indicator 1/0 (Int64) from numbers, yes/no or endpoint words."""
    codes, uniques = encode(col)
    flags = [_flag(u, words) for u in uniques]
    results = [
        (s, v, None if s != INVALID else f"'{u}' is not 0/1 (or yes/no, event/censored)")
        for (s, v), u in zip(flags, uniques, strict=True)
    ]
    status, _, problems = _assemble(codes, results, uniques, None)
    values_u = np.array([float(r[1]) if r[0] == OK else np.nan for r in results], dtype=float)
    values = int_array(values_u[codes] if len(codes) else np.zeros(0))
    return Parsed(values=values, status=status, problems=problems)


# --- Dates ----------------------------------------------------------------------------------------

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_ISO = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$")
_DMY = re.compile(rf"^(\d{{1,2}})[-/.](\d{{1,2}})[-/.](\d{{4}}|\d{{2}}){_TIME}$")
_D_MON_Y = re.compile(r"^(\d{1,2})[\s./-]*([^\W\d_]{3,})\.?[\s./,-]*(\d{4}|\d{2})$")
_MON_D_Y = re.compile(r"^([^\W\d_]{3,})\.?\s+(\d{1,2}),?\s+(\d{4})$")
_SERIAL = re.compile(r"^\d{1,7}(?:[.,]\d+)?$")
_MONTHS: dict[str, int] = {}
for _names in (
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "january february march april may june july august september october november december",
    "jan feb mär apr mai jun jul aug sept okt nov dez",  # German
    "jan feb mar apr mai jun jul aug sep okt nov des",  # Norwegian
    "janv févr mars avr mai juin juil août sept oct nov déc",  # French
    "gen feb mar apr mag giu lug ago set ott nov dic",  # Italian
):
    for _i, _name in enumerate(_names.split()):
        _MONTHS.setdefault(key(_name), _i + 1)
EARLIEST_DATE = dt.date(1980, 1, 1)  # ICI cohorts start ~2010; older dates are typos


def date_order_evidence(col: pa.Array) -> tuple[bool, bool]:
    """(some value must be day-first, some value must be month-first) among d/m/y dates."""
    _, uniques = encode(col)
    dmy = [f[1] for f in map(date_form, uniques) if f is not None and f[0] == "dmy"]
    return any(a > 12 for a, _, _ in dmy), any(b > 12 for _, b, _ in dmy)


def parse_date(col: pa.Array, *, epoch: dt.datetime, month_first: bool | None = None) -> Parsed:
    """datetime64[ns] from dd/mm/yyyy (also . and -), yyyy-mm-dd, '4-Mar-2021', Excel serials.

    Day/month order: dd/mm unless `month_first` says otherwise. The caller decides it for the
    whole file from `date_order_evidence` (mm/dd only when some value cannot be dd/mm and
    none cannot be mm/dd); None decides from this column alone.
    """
    if month_first is None:
        day_first_seen, month_first_seen = date_order_evidence(col)
        month_first = month_first_seen and not day_first_seen
    codes, uniques = encode(col)
    latest = dt.date.today() + dt.timedelta(days=366)
    results: list[tuple[int, Any, str | None]] = []
    for u in uniques:
        if is_missing(u):
            results.append((MISSING, None, None))
            continue
        day = _to_date(date_form(u), month_first=month_first, epoch=epoch)
        if day is None:
            results.append((INVALID, None, f"'{u}' is not a valid date"))
        elif not EARLIEST_DATE <= day <= latest:
            results.append(
                (INVALID, None, f"'{u}' is outside {EARLIEST_DATE.year} to next year")
            )
        else:
            results.append((OK, day, None))
    status, _, problems = _assemble(codes, results, uniques, None)
    days_u = np.array(
        [np.datetime64(r[1], "D") if r[0] == OK else np.datetime64("NaT") for r in results],
        dtype="datetime64[D]",
    )
    values = (days_u[codes] if len(codes) else np.zeros(0, "datetime64[D]")).astype("datetime64[ns]")
    return Parsed(values=values, status=status, problems=problems)


def date_form(text: str) -> tuple[str, tuple[Any, ...]] | None:
    text = text.strip()
    if m := _ISO.match(text):
        return "ymd", tuple(int(g) for g in m.groups())
    if m := _DMY.match(text):
        return "dmy", tuple(int(g) for g in m.groups())
    if m := _D_MON_Y.match(text):
        return "dmony", (int(m.group(1)), m.group(2), int(m.group(3)))
    if m := _MON_D_Y.match(text):
        return "dmony", (int(m.group(2)), m.group(1), int(m.group(3)))
    if _SERIAL.match(text):
        return "serial", (float(text.replace(",", ".")),)
    return None


def _to_date(form: tuple[str, tuple[Any, ...]] | None, *, month_first: bool, epoch: dt.datetime) -> dt.date | None:
    if form is None:
        return None
    kind, parts = form
    try:
        if kind == "ymd":
            y, m, d = parts
        elif kind == "dmy":
            a, b, y = parts
            d, m = (b, a) if month_first else (a, b)
            y = _full_year(y)
        elif kind == "dmony":
            d, name, y = parts
            m = _MONTHS.get(key(name))
            if m is None:
                return None
            y = _full_year(y)
        else:
            (serial,) = parts
            if serial < 1:
                return None
            return (epoch + dt.timedelta(days=math.floor(serial))).date()
        return dt.date(y, m, d)
    except (ValueError, OverflowError):
        return None


def _full_year(y: int) -> int:
    """Two-digit years: 00-(this year + 1) are 20xx, the rest 19xx."""
    if y >= 100:
        return y
    pivot = dt.date.today().year % 100 + 1
    return 2000 + y if y <= pivot else 1900 + y
