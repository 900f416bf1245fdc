"""The endpoint registry: every endpoint the tool analyses, in one place.

An `Endpoint` says what the endpoint is called (key, title, the name a methods paragraph uses),
how it is defined (a methods sentence), which patients it applies to, and how its time and
event come from the cohort's canonical columns. Pages, views, the report, the methods paragraph
and the data-quality accounting loop over the registry; adding an endpoint is one entry here
plus, when it is derived from dates, its derivation function.

Two kinds of endpoint:
* time-to-event (`ENDPOINTS`: PFS, OS, DoR, TTF): Kaplan-Meier curves, medians, tests. Every
  loop that draws curves loops over `ENDPOINTS`.
* distribution (`DISTRIBUTIONS`: TTR): every analysed patient has the event by definition (a
  responder's time to response), so it is summarised by its median and range, not by a KM.
`REGISTRY` holds both; `get_endpoint`, `endpoint_data` and `endpoint_exclusions` take any key.

`endpoint_data(cohort, key)` is the one way to get an endpoint's analysis data: a DataFrame
(time, event) indexed like the cohort, for the eligible patients with a usable time and event.
`endpoint_exclusions(cohort, key)` says, for every other patient, why they are not analysed;
derived endpoints give the specific reason (a responder without a response date, a treatment
end before the start, ...), which the data-quality report lists too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcoma.errors import SarcomaError
from sarcoma.schema import DAYS_PER_MONTH

TIME_TO_EVENT = "time-to-event"
DISTRIBUTION = "distribution"
RESPONDERS: tuple[str, ...] = ("CR", "PR")
# Columns of `evaluate_endpoint`: time/event for every patient, and for an eligible patient
# without usable data the reason (problem text, the column it is about, a short kind).
REASON_COLUMNS: tuple[str, ...] = ("reason", "reason_column", "reason_kind")


class UnknownEndpointError(SarcomaError):
    """An endpoint key the registry does not know; the message lists the known ones."""


@dataclass(frozen=True)
class Endpoint:
    key: str  # short name on pages and in the URL: "PFS"
    title: str  # "Progression-free survival"
    name: str  # in running text: "progression-free survival (PFS)"
    event_words: str  # what an event is, in a sentence: "progressed or died"
    definition: str  # the methods sentence
    eligibility: str  # which patients the endpoint applies to, said on every view
    columns: tuple[str, str] | None  # (time, event) columns of the cohort, when stored directly
    # else: cohort -> Derived (time, event and the reason why not, for every patient)
    derive: Callable[[pd.DataFrame], Derived] | None = None
    eligible: Callable[[pd.DataFrame], pd.Series] | None = None  # None: every patient
    not_eligible_reason: str = ""
    kind: str = TIME_TO_EVENT
    # Optional columns the endpoint cannot do without: a file lacking any of them (or holding no
    # value in it) has no data for the endpoint, and views say which column to add.
    requires: tuple[str, ...] = ()
    origin: str = "ICI start"  # where the clock starts: the time axis reads "Months from <origin>"
    curve_label: str = "Survival probability"  # the y axis of its Kaplan-Meier curve

    def raw(self, cohort: pd.DataFrame) -> pd.DataFrame:
        """(time, event) for every patient of `cohort` (NaN where not recorded)."""
        if self.derive is not None:
            derived = self.derive(cohort)
            return pd.DataFrame({"time": derived.time, "event": derived.event}, index=cohort.index)
        tcol, ecol = self.columns  # type: ignore[misc]
        nan = pd.Series(np.nan, index=cohort.index)
        time = pd.to_numeric(cohort[tcol], errors="coerce") if tcol in cohort else nan
        event = pd.to_numeric(cohort[ecol], errors="coerce") if ecol in cohort else nan
        return pd.DataFrame({"time": time.astype(float), "event": event.astype(float)}, index=cohort.index)

    def is_eligible(self, cohort: pd.DataFrame) -> pd.Series:
        if self.eligible is None:
            return pd.Series(True, index=cohort.index)
        return self.eligible(cohort).fillna(False).astype(bool)

    def missing_columns(self, cohort: pd.DataFrame) -> list[str]:
        """Required columns the cohort lacks or leaves entirely blank."""
        return [c for c in self.requires if c not in cohort or not cohort[c].notna().any()]


# --------------------------------------------------------------------------- derivations from dates
# Plain numpy arrays throughout: ingest derives these for every row of a file (a million rows
# in the benchmark), and pandas Series, or a Python string per row, would cost seconds and
# hundreds of MB there. A reason's text is built only for the rows it applies to.

NAT = np.datetime64("NaT", "ns")


def date_column(cohort: pd.DataFrame, column: str) -> np.ndarray:
    """A date column as datetime64[ns] (NaT where blank or absent)."""
    if column not in cohort:
        return np.full(len(cohort), NAT)
    col = cohort[column]
    if not pd.api.types.is_datetime64_any_dtype(col):
        col = pd.to_datetime(col, errors="coerce")
    return col.to_numpy(dtype="datetime64[ns]")


def _months(end: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Months between two dates, days / 30.4375 as ingest derives PFS and OS (NaN if either is NaT)."""
    return (end - start) / np.timedelta64(1, "D") / DAYS_PER_MONTH


def _lt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a < b where both dates are known."""
    return ~np.isnat(a) & ~np.isnat(b) & (a < b)


def _flag(cohort: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A yes/no column as two masks: (yes, no); neither where blank or absent."""
    if column not in cohort:
        none = np.zeros(len(cohort), dtype=bool)
        return none, none
    values = pd.to_numeric(cohort[column].astype("boolean"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return values == 1, values == 0


def _equals(cohort: pd.DataFrame, column: str, value: str) -> np.ndarray:
    if column not in cohort:
        return np.zeros(len(cohort), dtype=bool)
    return (cohort[column] == value).fillna(False).to_numpy(dtype=bool)


def _given(cohort: pd.DataFrame, column: str) -> np.ndarray:
    if column not in cohort:
        return np.zeros(len(cohort), dtype=bool)
    return cohort[column].notna().to_numpy(dtype=bool)


def is_responder(cohort: pd.DataFrame) -> pd.Series:
    """Best response CR or PR."""
    if "best_response" not in cohort:
        return pd.Series(False, index=cohort.index)
    return cohort["best_response"].isin(RESPONDERS).fillna(False).astype(bool)


class _Reasons:
    """The first reason that applies to each patient, in the order the checks are made: a small
    code per patient (-1: none) into a list of (reason, column, kind), categorical in the result,
    so a million patients cost a few MB, not a Python string each."""

    def __init__(self, n: int) -> None:
        self.codes = np.full(n, -1, dtype=np.int16)
        self.entries: list[tuple[str, str | None, str]] = []

    @property
    def open(self) -> np.ndarray:
        return self.codes < 0

    def _code(self, entry: tuple[str, str | None, str]) -> int:
        if entry not in self.entries:
            self.entries.append(entry)
        return self.entries.index(entry)

    def add(self, mask: np.ndarray, problem: str | Callable[[np.ndarray], list[str]], column: str | None, kind: str,
            *, first: bool = True) -> None:
        """`problem`: the text, or a function of the row positions giving one text each.
        `first=False` overrides a reason already given (a patient out of the endpoint's scope)."""
        rows = np.flatnonzero(mask & self.open if first else mask)
        if not len(rows):
            return
        if not callable(problem):
            self.codes[rows] = self._code((problem, column, kind))
            return
        texts = np.asarray(problem(rows), dtype=object)
        for text in dict.fromkeys(texts):
            self.codes[rows[texts == text]] = self._code((text, column, kind))

    def columns(self) -> dict[str, pd.Categorical]:
        """reason, reason_column, reason_kind as categoricals (missing where no reason)."""
        out = {}
        for field, name in enumerate(REASON_COLUMNS):
            values = [e[field] for e in self.entries]
            categories = [v for v in dict.fromkeys(values) if v is not None]
            lookup = np.array([categories.index(v) if v is not None else -1 for v in values] + [-1], dtype=np.int16)
            out[name] = pd.Categorical.from_codes(lookup[self.codes], categories=categories)
        return out


@dataclass(frozen=True, eq=False)
class Derived:
    """What a derivation gives for every patient: time and event (NaN where a reason applies)."""

    time: np.ndarray
    event: np.ndarray
    reasons: _Reasons

    @classmethod
    def of(cls, reasons: _Reasons, time: np.ndarray, event: np.ndarray) -> Derived:
        ok = reasons.open
        return cls(np.where(ok, time, np.nan), np.where(ok, event, np.nan), reasons)


def _no_column(cohort: pd.DataFrame, column: str) -> np.ndarray:
    """True for every patient when the file has no value at all in `column`."""
    return np.full(len(cohort), column not in cohort or not cohort[column].notna().any())


def _response_reasons(cohort: pd.DataFrame, reasons: _Reasons, response: np.ndarray) -> None:
    """A responder's date of first CR/PR: the column, then the patient's own date."""
    reasons.add(_no_column(cohort, "response_date"), "the file has no response date (date of first CR or PR)",
                "response_date", "no response dates in the file")
    reasons.add(np.isnat(response), "responder (CR or PR) without a usable response date", "response_date",
                "responder without response date")


def derive_dor(cohort: pd.DataFrame) -> Derived:
    """Duration of response: from the date of first CR/PR to progression or death (event), else
    censored at the last follow-up, i.e. the PFS clock restarted at the response. A patient whose
    PFS is not usable (contradictory dates, see the PFS issues) has no DoR either."""
    response = date_column(cohort, "response_date")
    progression, death, follow_up = (date_column(cohort, c) for c in ("progression_date", "death_date", "last_follow_up"))
    event_date = np.where(np.isnat(progression) | _lt(death, progression), death, progression)
    end = np.where(np.isnat(event_date), follow_up, event_date)
    reasons = _Reasons(len(cohort))
    _response_reasons(cohort, reasons, response)
    if "pfs_months" in cohort:
        reasons.add(pd.to_numeric(cohort["pfs_months"], errors="coerce").isna().to_numpy(),
                    "PFS is not usable for this patient (see its PFS issue), so neither is DoR", "pfs_months", "PFS not usable")
    if "pfs_event" in cohort:
        pfs_event = pd.to_numeric(cohort["pfs_event"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        reasons.add((pfs_event == 1) & np.isnat(event_date),
                    "PFS event without a progression or death date; DoR is measured up to that date", "progression_date",
                    "no progression or death date")
    reasons.add(np.isnat(end), "no progression, death or last follow-up date to end DoR at", "last_follow_up", "no follow-up date")
    reasons.add(_lt(end, response), "the response date is after the end of PFS (progression, death or last follow-up)",
                "response_date", "response after the end of PFS")
    return Derived.of(reasons, _months(end, response), (~np.isnat(event_date)).astype(float))


def derive_ttr(cohort: pd.DataFrame) -> Derived:
    """Time to response: from ICI start to the date of first CR/PR (every responder's event)."""
    response, start = date_column(cohort, "response_date"), date_column(cohort, "treatment_start")
    reasons = _Reasons(len(cohort))
    _response_reasons(cohort, reasons, response)
    reasons.add(np.isnat(start), "no treatment start date", "treatment_start", "no treatment start date")
    reasons.add(_lt(response, start), "the response date is before treatment start", "response_date", "response before treatment start")
    return Derived.of(reasons, _months(response, start), np.ones(len(cohort)))


def derive_ttf(cohort: pd.DataFrame) -> Derived:
    """Time to treatment failure: from ICI start to the end of treatment for any reason (event),
    death on treatment included; censored at the last follow-up while still on treatment.

    A blank treatment end means "still on treatment" unless the row says otherwise (on treatment
    = no, or a discontinuation reason other than death: then the end date is missing). A patient
    who died with no end date and no other reason for stopping ended treatment at death."""
    start, end, death, follow_up = (date_column(cohort, c) for c in ("treatment_start", "treatment_end", "death_date", "last_follow_up"))
    on_yes, on_no = _flag(cohort, "on_treatment")
    on_unknown = ~on_yes & ~on_no
    reason_given = _given(cohort, "discontinuation_reason")
    reason_death = _equals(cohort, "discontinuation_reason", "Death")
    ended, died = ~np.isnat(end), ~np.isnat(death)
    reasons = _Reasons(len(cohort))
    reasons.add(_no_column(cohort, "treatment_end"),
                "the file has no treatment end date (date of last ICI dose or permanent discontinuation)", "treatment_end",
                "no treatment end dates in the file")
    reasons.add(np.isnat(start), "no treatment start date", "treatment_start", "no treatment start date")
    reasons.add(ended & on_yes, "on treatment is 'yes' but a treatment end date is given; correct one of them",
                "treatment_end", "on treatment with a treatment end")
    reasons.add(_lt(end, start), "the treatment end date is before treatment start", "treatment_end", "treatment end before start")
    reasons.add(_lt(death, end), "the treatment end date is after the death date", "treatment_end", "treatment end after death")
    # No end date: died on treatment, still on treatment, or stopped without a date.
    died_on = ~ended & died & (reason_death | (~reason_given & ~on_no))
    ongoing = ~ended & ~died & (on_yes | (on_unknown & ~reason_given))
    stopped = ~ended & ~died_on & ~ongoing

    def stopped_words(rows: np.ndarray) -> list[str]:
        why = cohort["discontinuation_reason"].iloc[rows].astype(object) if "discontinuation_reason" in cohort else [None] * len(rows)
        return [f"treatment stopped ({w if isinstance(w, str) else 'on treatment = no'}) but the treatment end date is missing"
                if isinstance(w, str) or no else "treatment stopped but the treatment end date is missing"
                for w, no in zip(why, on_no[rows], strict=True)]

    reasons.add(stopped, stopped_words, "treatment_end", "treatment end missing")
    reasons.add(died_on & _lt(death, start), "the death date is before treatment start", "death_date", "death before treatment start")
    reasons.add(ongoing & np.isnat(follow_up), "still on treatment but no last follow-up date to censor TTF at", "last_follow_up",
                "no follow-up date")
    reasons.add(ongoing & _lt(follow_up, start), "the last follow-up date is before treatment start", "last_follow_up",
                "follow-up before treatment start")
    stop = np.where(ended, end, np.where(died_on, death, follow_up))
    return Derived.of(reasons, _months(stop, start), (ended | died_on).astype(float))


# --------------------------------------------------------------------------- the registry

ENDPOINTS: dict[str, Endpoint] = {
    e.key: e
    for e in (
        Endpoint(
            key="PFS",
            title="Progression-free survival",
            name="progression-free survival (PFS)",
            event_words="progressed or died",
            definition=(
                "Progression-free survival (PFS) was measured from the start of immune checkpoint inhibitor "
                "(ICI) therapy to radiological progression or death from any cause, whichever came first; "
                "patients alive without progression were censored at their last follow-up."
            ),
            eligibility="all treated patients",
            columns=("pfs_months", "pfs_event"),
        ),
        Endpoint(
            key="OS",
            title="Overall survival",
            name="overall survival (OS)",
            event_words="died",
            definition=(
                "Overall survival (OS) was measured from the start of ICI therapy to death from any cause; "
                "patients alive were censored at their last follow-up."
            ),
            eligibility="all treated patients",
            columns=("os_months", "os_event"),
        ),
        Endpoint(
            key="DoR",
            title="Duration of response",
            name="duration of response (DoR)",
            event_words="progressed or died after responding",
            definition=(
                "Duration of response (DoR) was measured in responders (best response CR or PR) from the date of "
                "the first documented response to progression or death, whichever came first; responders alive "
                "without progression were censored at their last follow-up."
            ),
            eligibility="responders (CR/PR) with a response date",
            columns=None,
            derive=derive_dor,
            eligible=is_responder,
            not_eligible_reason="not a responder (best response not CR or PR)",
            requires=("response_date",),
            origin="first response (CR/PR)",
            curve_label="Probability of remaining in response",
        ),
        Endpoint(
            key="TTF",
            title="Time to treatment failure",
            name="time to treatment failure (TTF)",
            event_words="stopped treatment for any reason or died",
            definition=(
                "Time to treatment failure (TTF) was measured from the start of ICI therapy to its permanent "
                "discontinuation for any reason (progression, toxicity, death, patient preference or completion); "
                "patients still on treatment were censored at their last follow-up."
            ),
            eligibility="all treated patients with a treatment start date",
            columns=None,
            derive=derive_ttf,
            requires=("treatment_end",),
            curve_label="Probability of remaining on treatment",
        ),
    )
}

DISTRIBUTIONS: dict[str, Endpoint] = {
    "TTR": Endpoint(
        key="TTR",
        title="Time to response",
        name="time to response (TTR)",
        event_words="responded",
        definition=(
            "Time to response (TTR) was measured in responders from the start of ICI therapy to the first "
            "documented CR or PR and summarised by its median and range."
        ),
        eligibility="responders (CR/PR) with a response date",
        columns=None,
        derive=derive_ttr,
        eligible=is_responder,
        not_eligible_reason="not a responder (best response not CR or PR)",
        kind=DISTRIBUTION,
        requires=("response_date",),
    ),
}

REGISTRY: dict[str, Endpoint] = {**ENDPOINTS, **DISTRIBUTIONS}


def get_endpoint(key: str) -> Endpoint:
    try:
        return REGISTRY[key]
    except KeyError:
        raise UnknownEndpointError(f"Unknown endpoint {key!r}; choose one of {', '.join(REGISTRY)}.") from None


def available_endpoints(cohort: pd.DataFrame) -> list[str]:
    """Time-to-event endpoints with at least one analysable patient in `cohort` (registry order)."""
    return [key for key in ENDPOINTS if len(endpoint_data(cohort, key))]


def evaluate_endpoint(cohort: pd.DataFrame, key: str) -> pd.DataFrame:
    """Everything about one endpoint for every patient of `cohort`, in one pass: time, event
    (NaN unless analysed), `eligible`, and for the others the reason they are not analysed
    (`reason`, `reason_column`, `reason_kind`, categorical; missing for the analysed)."""
    endpoint = get_endpoint(key)
    eligible = endpoint.is_eligible(cohort).to_numpy(dtype=bool)
    if endpoint.derive is not None:
        derived = endpoint.derive(cohort)
        time, event, reasons = derived.time, derived.event, derived.reasons
    else:
        raw = endpoint.raw(cohort)
        time, event = raw["time"].to_numpy(dtype=float), raw["event"].to_numpy(dtype=float)
        reasons = _Reasons(len(cohort))
    usable = eligible & ~np.isnan(time) & ~np.isnan(event)
    reasons.add(eligible & ~usable, f"no usable {endpoint.key} time or event recorded (see the data-quality report)",
                endpoint.columns[0] if endpoint.columns else None, f"{endpoint.key} missing")
    # Out of scope comes first, whatever else is wrong with the row; never analysed.
    reasons.add(~eligible, endpoint.not_eligible_reason or f"not eligible for {endpoint.key}", None, "not eligible", first=False)
    return pd.DataFrame({"time": np.where(usable, time, np.nan), "event": np.where(usable, event, np.nan),
                         "eligible": eligible, **reasons.columns()}, index=cohort.index)


def endpoint_data(cohort: pd.DataFrame, key: str) -> pd.DataFrame:
    """(time in months, event 0/1) for the patients the endpoint applies to and who have both,
    indexed like `cohort`. Every other patient is accounted for by `endpoint_exclusions`."""
    return endpoint_analysis(cohort, key)[0]


def endpoint_exclusions(cohort: pd.DataFrame, key: str) -> pd.Series:
    """Why each patient of `cohort` is not in the endpoint's analysis (indexed like the cohort;
    None for the analysed). Not eligible comes first, then the first problem with the data."""
    return endpoint_analysis(cohort, key)[1]


def endpoint_analysis(cohort: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.Series]:
    """`endpoint_data` and `endpoint_exclusions` from one evaluation. Endpoints stored as
    columns (PFS, OS) take a numpy path: the subgroup table asks for them dozens of times."""
    endpoint = get_endpoint(key)
    if endpoint.derive is not None:
        table = evaluate_endpoint(cohort, key)
        ok = table["reason"].isna().to_numpy()
        data = pd.DataFrame({"time": table["time"].to_numpy()[ok], "event": table["event"].to_numpy()[ok].astype(int)},
                            index=cohort.index[ok])
        return data, table["reason"].astype(object).where(table["reason"].notna(), None).rename(None)
    raw = endpoint.raw(cohort)
    time, event = raw["time"].to_numpy(float), raw["event"].to_numpy(float)
    eligible = endpoint.is_eligible(cohort).to_numpy(bool)
    usable = eligible & ~np.isnan(time) & ~np.isnan(event)
    reasons = np.full(len(cohort), None, dtype=object)
    reasons[eligible & ~usable] = f"no usable {endpoint.key} time or event recorded (see the data-quality report)"
    reasons[~eligible] = endpoint.not_eligible_reason or f"not eligible for {endpoint.key}"
    data = pd.DataFrame({"time": time[usable], "event": event[usable].astype(int)}, index=cohort.index[usable])
    return data, pd.Series(reasons, index=cohort.index)
