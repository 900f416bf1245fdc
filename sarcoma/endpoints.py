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

from sarcoma.schema import DAYS_PER_MONTH

TIME_TO_EVENT = "time-to-event"
DISTRIBUTION = "distribution"
RESPONDERS: tuple[str, ...] = ("CR", "PR")
# Columns of `evaluate_endpoint`: time/event for every patient, and for an eligible patient
# without usable data the reason (problem text, the column it is about, a short kind).
REASON_COLUMNS: tuple[str, ...] = ("reason", "reason_column", "reason_kind")


class UnknownEndpointError(ValueError):
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
    # else: cohort -> DataFrame(time, event[, reason, reason_column, reason_kind]) for every patient
    derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    eligible: Callable[[pd.DataFrame], pd.Series] | None = None  # None: every patient
    not_eligible_reason: str = ""
    kind: str = TIME_TO_EVENT
    # Optional columns the endpoint cannot do without: a file lacking any of them (or holding no
    # value in it) has no data for the endpoint, and views say which column to add.
    requires: tuple[str, ...] = ()
    origin: str = "ICI start"  # where the clock starts: the time axis reads "Months from <origin>"

    def raw(self, cohort: pd.DataFrame) -> pd.DataFrame:
        """(time, event) for every patient of `cohort` (NaN where not recorded)."""
        if self.derive is not None:
            return self.derive(cohort)[["time", "event"]]
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


def _dates(cohort: pd.DataFrame, column: str) -> pd.Series:
    """A date column as datetime64 (NaT where blank or absent)."""
    if column not in cohort:
        return pd.Series(pd.NaT, index=cohort.index, dtype="datetime64[ns]")
    col = cohort[column]
    return col if pd.api.types.is_datetime64_any_dtype(col) else pd.to_datetime(col, errors="coerce")


def _months(end: pd.Series, start: pd.Series) -> pd.Series:
    """Months between two dates, days / 30.4375 as ingest derives PFS and OS."""
    return ((end - start) / np.timedelta64(1, "D") / DAYS_PER_MONTH).astype(float)


def _flag(cohort: pd.DataFrame, column: str) -> pd.Series:
    """A yes/no column as True / False / NA."""
    if column not in cohort:
        return pd.Series(pd.NA, index=cohort.index, dtype="boolean")
    return cohort[column].astype("boolean")


def _text(cohort: pd.DataFrame, column: str) -> pd.Series:
    if column not in cohort:
        return pd.Series(None, index=cohort.index, dtype=object)
    col = cohort[column].astype(object)
    return col.where(col.notna(), None)


def is_responder(cohort: pd.DataFrame) -> pd.Series:
    """Best response CR or PR."""
    if "best_response" not in cohort:
        return pd.Series(False, index=cohort.index)
    return cohort["best_response"].astype(object).isin(RESPONDERS)


class _Reasons:
    """The first reason that applies to each patient, in the order the checks are made."""

    def __init__(self, index: pd.Index) -> None:
        self.frame = pd.DataFrame({c: pd.Series(None, index=index, dtype=object) for c in REASON_COLUMNS})

    @property
    def open(self) -> pd.Series:
        return self.frame["reason"].isna()

    def add(self, mask: pd.Series, problem: str | pd.Series, column: str, kind: str) -> None:
        rows = mask.fillna(False).astype(bool) & self.open
        if not rows.any():
            return
        self.frame.loc[rows, "reason"] = problem[rows] if isinstance(problem, pd.Series) else problem
        self.frame.loc[rows, "reason_column"] = column
        self.frame.loc[rows, "reason_kind"] = kind

    def result(self, time: pd.Series, event: pd.Series, eligible: pd.Series) -> pd.DataFrame:
        """time/event blanked where a reason applies; reasons only for eligible patients."""
        bad = ~self.open | ~eligible
        out = pd.DataFrame({"time": time.astype(float).where(~bad), "event": event.astype(float).where(~bad)})
        reasons = self.frame.copy()
        reasons.loc[~eligible] = None
        return pd.concat([out, reasons], axis=1)


def _no_column(cohort: pd.DataFrame, column: str) -> pd.Series:
    """True for every patient when the file has no value at all in `column`."""
    missing = column not in cohort or not cohort[column].notna().any()
    return pd.Series(missing, index=cohort.index)


def _response_reasons(cohort: pd.DataFrame, reasons: _Reasons, response: pd.Series) -> None:
    """A responder's date of first CR/PR: the column, then the patient's own date."""
    reasons.add(_no_column(cohort, "response_date"),
                "the file has no response date (date of first CR or PR)", "response_date", "no response dates in the file")
    reasons.add(response.isna(), "responder (CR or PR) without a usable response date", "response_date",
                "responder without response date")


def derive_dor(cohort: pd.DataFrame) -> pd.DataFrame:
    """Duration of response: from the date of first CR/PR to progression or death (event), else
    censored at the last follow-up, i.e. the PFS clock restarted at the response. A patient whose
    PFS is not usable (contradictory dates, see the PFS issues) has no DoR either."""
    response = _dates(cohort, "response_date")
    progression, death, follow_up = (_dates(cohort, c) for c in ("progression_date", "death_date", "last_follow_up"))
    event_date = progression.where(progression.notna() & ~(death < progression), death)
    end = event_date.where(event_date.notna(), follow_up)
    reasons = _Reasons(cohort.index)
    _response_reasons(cohort, reasons, response)
    if "pfs_months" in cohort:
        reasons.add(pd.to_numeric(cohort["pfs_months"], errors="coerce").isna(),
                    "PFS is not usable for this patient (see its PFS issue), so neither is DoR", "pfs_months", "PFS not usable")
    if "pfs_event" in cohort:
        pfs_event = pd.to_numeric(cohort["pfs_event"], errors="coerce")
        reasons.add((pfs_event == 1) & event_date.isna(),
                    "PFS event without a progression or death date; DoR is measured up to that date", "progression_date",
                    "no progression or death date")
    reasons.add(end.isna(), "no progression, death or last follow-up date to end DoR at", "last_follow_up", "no follow-up date")
    reasons.add(end < response, "the response date is after the end of PFS (progression, death or last follow-up)",
                "response_date", "response after the end of PFS")
    return reasons.result(_months(end, response), event_date.notna().astype(float), is_responder(cohort))


def derive_ttr(cohort: pd.DataFrame) -> pd.DataFrame:
    """Time to response: from ICI start to the date of first CR/PR (every responder's event)."""
    response, start = _dates(cohort, "response_date"), _dates(cohort, "treatment_start")
    reasons = _Reasons(cohort.index)
    _response_reasons(cohort, reasons, response)
    reasons.add(start.isna(), "no treatment start date", "treatment_start", "no treatment start date")
    reasons.add(response < start, "the response date is before treatment start", "response_date", "response before treatment start")
    return reasons.result(_months(response, start), pd.Series(1.0, index=cohort.index), is_responder(cohort))


def derive_ttf(cohort: pd.DataFrame) -> pd.DataFrame:
    """Time to treatment failure: from ICI start to the end of treatment for any reason (event),
    death on treatment included; censored at the last follow-up while still on treatment.

    A blank treatment end means "still on treatment" unless the row says otherwise (on treatment
    = no, or a discontinuation reason other than death): then the end date is missing. A patient
    who died with no end date and no other reason for stopping ended treatment at death."""
    start, end, death, follow_up = (_dates(cohort, c) for c in ("treatment_start", "treatment_end", "death_date", "last_follow_up"))
    on = _flag(cohort, "on_treatment")
    stop_reason = _text(cohort, "discontinuation_reason")
    reasons = _Reasons(cohort.index)
    reasons.add(_no_column(cohort, "treatment_end"),
                "the file has no treatment end date (date of last ICI dose or permanent discontinuation)", "treatment_end",
                "no treatment end dates in the file")
    reasons.add(start.isna(), "no treatment start date", "treatment_start", "no treatment start date")
    ended = end.notna()
    reasons.add(ended & (on == True), "on treatment is 'yes' but a treatment end date is given; correct one of them",  # noqa: E712
                "treatment_end", "on treatment with a treatment end")
    reasons.add(ended & (end < start), "the treatment end date is before treatment start", "treatment_end", "treatment end before start")
    reasons.add(ended & (end > death), "the treatment end date is after the death date", "treatment_end", "treatment end after death")
    # No end date: died on treatment, still on treatment, or stopped without a date.
    other_stop = stop_reason.notna() & (stop_reason != "Death")
    died_on = ~ended & death.notna() & ((stop_reason == "Death") | (stop_reason.isna() & (on != False)).fillna(True))  # noqa: E712
    ongoing = ~ended & death.isna() & ((on == True) | (on.isna() & stop_reason.isna())).fillna(False)  # noqa: E712
    stopped = ~ended & ~died_on & ~ongoing
    words = ("treatment stopped (" + stop_reason.fillna("on treatment = no") + ") but the treatment end date is missing").where(
        other_stop | (on == False).fillna(False), "treatment stopped but the treatment end date is missing")  # noqa: E712
    reasons.add(stopped, words, "treatment_end", "treatment end missing")
    reasons.add(died_on & (death < start), "the death date is before treatment start", "death_date", "death before treatment start")
    reasons.add(ongoing & follow_up.isna(), "still on treatment but no last follow-up date to censor TTF at", "last_follow_up",
                "no follow-up date")
    reasons.add(ongoing & (follow_up < start), "the last follow-up date is before treatment start", "last_follow_up",
                "follow-up before treatment start")
    stop = end.where(ended, death.where(died_on, follow_up))
    event = (ended | died_on).astype(float)
    return reasons.result(_months(stop, start), event, pd.Series(True, index=cohort.index))


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
    (`reason`, `reason_column`, `reason_kind`; None for the analysed)."""
    endpoint = get_endpoint(key)
    eligible = endpoint.is_eligible(cohort)
    if endpoint.derive is not None:
        derived = endpoint.derive(cohort)
        out = derived[["time", "event"]].astype(float)
        reasons = derived.reindex(columns=list(REASON_COLUMNS)).astype(object)
        reasons = reasons.where(reasons.notna(), None)
    else:
        out = endpoint.raw(cohort)
        reasons = pd.DataFrame({c: pd.Series(None, index=cohort.index, dtype=object) for c in REASON_COLUMNS})
    if not eligible.all():  # a time is never analysed for a patient the endpoint does not apply to
        out = out.copy()
        out.loc[~eligible] = np.nan
    usable = eligible & out["time"].notna() & out["event"].notna()
    unexplained = eligible & ~usable & reasons["reason"].isna()
    reasons.loc[unexplained, "reason"] = f"no usable {endpoint.key} time or event recorded (see the data-quality report)"
    reasons.loc[unexplained, "reason_column"] = endpoint.columns[0] if endpoint.columns else None
    reasons.loc[unexplained, "reason_kind"] = f"{endpoint.key} missing"
    reasons.loc[~eligible, "reason"] = endpoint.not_eligible_reason or f"not eligible for {endpoint.key}"
    reasons.loc[~eligible, "reason_kind"] = "not eligible"
    return pd.concat([out, pd.DataFrame({"eligible": eligible}), reasons], axis=1)


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
        out = table.loc[table["reason"].isna()]
        data = pd.DataFrame({"time": out["time"].astype(float), "event": out["event"].astype(int)}, index=out.index)
        return data, table["reason"].rename(None)
    raw = endpoint.raw(cohort)
    time, event = raw["time"].to_numpy(float), raw["event"].to_numpy(float)
    eligible = endpoint.is_eligible(cohort).to_numpy(bool)
    usable = eligible & ~np.isnan(time) & ~np.isnan(event)
    reasons = np.full(len(cohort), None, dtype=object)
    reasons[eligible & ~usable] = f"no usable {endpoint.key} time or event recorded (see the data-quality report)"
    reasons[~eligible] = endpoint.not_eligible_reason or f"not eligible for {endpoint.key}"
    data = pd.DataFrame({"time": time[usable], "event": event[usable].astype(int)}, index=cohort.index[usable])
    return data, pd.Series(reasons, index=cohort.index)
