"""Landmark analysis for groupings that are only known after treatment starts.

A patient has to live long enough to respond (or to have an adverse event), so comparing
responders with non-responders from the start of treatment credits the responders with the
time before their response: guarantee-time bias (Anderson, Cain & Gelber, J Clin Oncol 1983;
Giobbie-Hurder, Gelber & Regan, J Clin Oncol 2013). The landmark method fixes a time L after
treatment start, keeps only the patients still event-free and under observation at L,
classifies them by what was known at L and measures survival from L.

Rules used here:

* A patient is kept when their time is strictly greater than L; an event or a censoring at or
  before L excludes them (they were not "alive and under observation after L"). Both counts are
  reported separately.
* Survival is measured from the landmark: time - L.
* With a `response_date` column (date of first CR/PR), a patient is a responder at the landmark
  when the response date is on or before treatment start + L; later responders count as
  non-responders at the landmark. Without response dates the best response recorded at any time
  is used, and the result says so: responses after L still count (residual bias).
* The naive analysis (from treatment start, same patients and grouping rules) is returned
  alongside, so the difference is visible.

`suggest_landmark` picks the default L (see its docstring). `response_time_dependent_cox`
offers the alternative that uses every patient: Cox regression with response as a
time-dependent covariate ((start, stop] rows, fitted as R's coxph by `sarcoma.coxfit`), when
response dates exist.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sarcoma.coxfit import CoxEngineError, fit_coxph
from sarcoma.groupings import DEFAULT_LINE_CUT, make_groupings
from sarcoma.km_summary import (
    DEFAULT_MIN_GROUP,
    Exclusion,
    GroupedSurvival,
    endpoint_columns,
    format_p,
    survival_by_group,
)
from sarcoma.schema import DAYS_PER_MONTH
from sarcoma.survival import CoxFitError, SurvivalInputError, format_median

__all__ = [
    "LANDMARK_RULE",
    "RESPONSE_DATE",
    "LandmarkError",
    "LandmarkResult",
    "TimeDependentCoxResult",
    "has_response_dates",
    "landmark_analysis",
    "response_intervals",
    "response_months",
    "response_time_dependent_cox",
    "suggest_landmark",
]

RESPONSE_DATE = "response_date"
RESPONDER, NON_RESPONDER = "Responder (CR/PR)", "Non-responder (SD/PD)"
# Rule behind `suggest_landmark`, shown on the page next to the default.
LANDMARK_RULE = (
    "Default landmark: 3 months (the usual first response assessment), or 6 months when fewer "
    "than 10% of patients had the event within 6 months (a later landmark then loses few patients "
    "and lets more responses be seen)."
)
_EARLY_EVENT_SHARE = 0.10
_ENDPOINT_EVENT = {"PFS": "progressed or died", "OS": "died"}


class LandmarkError(SurvivalInputError):
    """The landmark analysis cannot be done as asked; the message says why."""


def _months(value: float) -> str:
    return f"{value:g} month" + ("" if value == 1 else "s")


def _endpoint_data(df: pd.DataFrame, endpoint: str) -> tuple[pd.Series, pd.Series]:
    tcol, ecol = endpoint_columns(endpoint)
    time = pd.to_numeric(df[tcol], errors="coerce") if tcol in df else pd.Series(np.nan, index=df.index)
    event = pd.to_numeric(df[ecol], errors="coerce") if ecol in df else pd.Series(np.nan, index=df.index)
    return time, event


def suggest_landmark(df: pd.DataFrame, endpoint: str) -> float:
    """Default landmark in months: 3, or 6 when < 10% of patients had the event within 6 months.

    Three months is the usual first response assessment under ICI. If few patients have the
    event by 6 months, a 6-month landmark excludes few patients while classifying more
    responses correctly, so it is preferred. The share is events at or before 6 months among
    patients with a usable time and event (censored patients stay in the denominator).
    """
    time, event = _endpoint_data(df, endpoint)
    usable = time.notna() & event.notna()
    n = int(usable.sum())
    if n == 0:
        return 3.0
    early = int(((time <= 6.0) & (event == 1) & usable).sum())
    return 6.0 if early / n < _EARLY_EVENT_SHARE else 3.0


def has_response_dates(df: pd.DataFrame) -> bool:
    """True when the cohort has a `response_date` column with at least one date."""
    return RESPONSE_DATE in df and pd.to_datetime(df[RESPONSE_DATE], errors="coerce").notna().any()


def response_months(df: pd.DataFrame) -> pd.Series:
    """Months from treatment start to first response (NaN when no response date or no start)."""
    if RESPONSE_DATE not in df or "treatment_start" not in df:
        return pd.Series(np.nan, index=df.index)
    start = pd.to_datetime(df["treatment_start"], errors="coerce")
    resp = pd.to_datetime(df[RESPONSE_DATE], errors="coerce")
    return (resp - start).dt.days / DAYS_PER_MONTH


@dataclass(frozen=True)
class LandmarkResult:
    """Landmark and naive (from treatment start) survival by a grouping, with the accounting.

    `landmark` is a GroupedSurvival on the landmark survivors with times measured from the
    landmark; `naive` is the usual analysis from treatment start. `excluded` lists every patient
    of the selection not in the landmark analysis, with the reason.
    """

    endpoint: str
    grouping: str
    grouping_label: str
    landmark_months: float
    naive: GroupedSurvival
    landmark: GroupedSurvival
    n_subset: int
    n_eligible: int
    n_event_before: int
    n_censored_before: int
    excluded: tuple[Exclusion, ...]
    uses_response_dates: bool
    post_baseline: bool
    explanation: str
    residual_bias: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_analysed(self) -> int:
        return self.landmark.n_analysed

    def comparison(self) -> pd.DataFrame:
        """Naive vs landmark side by side: patients, per-group n and median, the test and its p."""
        rows = []
        for name, res, origin in (
            ("Naive (from treatment start)", self.naive, "treatment start"),
            (f"Landmark at {_months(self.landmark_months)}", self.landmark, "the landmark"),
        ):
            groups = "; ".join(
                f"{r['Group']}: n = {int(r['n'])}, median {format_median(r['median'], r['median_lower'], r['median_upper'])}"
                for _, r in res.table.iterrows()
            )
            rows.append(
                {
                    "Analysis": name,
                    "Time measured from": origin,
                    "Patients": res.n_analysed,
                    "Groups (n, median months, 95% CI)": groups,
                    "Test": _test_text(res),
                    "p": format_p(res.test.p_value) if res.test is not None else (res.test_note or "not tested"),
                    "p_value": res.test.p_value if res.test is not None else math.nan,
                }
            )
        return pd.DataFrame(rows)


def _test_text(res: GroupedSurvival) -> str:
    """The comparison's test as the table names it: "Log-rank, χ² = 1.40, df = 1"."""
    if res.test is None:
        return "not tested"
    strata = " stratified by centre" if res.test.stratified else ""
    return f"{res.test_name}{strata}, χ² = {res.test.statistic:.2f}, df = {res.test.df}"


def _relabel(res: GroupedSurvival, mapping: dict[str, str]) -> GroupedSurvival:
    """The same analysis with group labels renamed (curves, tables, test groups)."""
    test = res.test
    if test is not None:
        test = dataclasses.replace(test, groups=np.array([mapping.get(str(g), g) for g in test.groups], dtype=object))
    table = res.table.copy()
    if "Group" in table:
        table["Group"] = table["Group"].map(lambda g: mapping.get(g, g))
    return dataclasses.replace(
        res,
        curves={mapping.get(k, k): v for k, v in res.curves.items()},
        table=table,
        at_risk=res.at_risk.rename(index=lambda g: mapping.get(g, g)),
        test=test,
        small_groups=tuple(mapping.get(g, g) for g in res.small_groups),
    )


def landmark_analysis(
    df: pd.DataFrame,
    endpoint: str,
    grouping_key: str,
    landmark_months: float,
    *,
    line_cut: int = DEFAULT_LINE_CUT,
    conf_type: str = "log-log",
    test: str = "logrank",
    min_group_size: int = DEFAULT_MIN_GROUP,
    stratify_by_center: bool = False,
    use_response_dates: bool = True,
) -> LandmarkResult:
    """Landmark analysis of `endpoint` by `grouping_key` at `landmark_months` (see module doc).

    Uses `km_summary.survival_by_group` for both the naive and the landmark curves, so groups,
    tests, small-group flags and medians ("not reached") are exactly those of the Survival page.
    """
    try:
        lm = float(landmark_months)
    except (TypeError, ValueError):
        raise LandmarkError(f"The landmark must be a number of months, not {landmark_months!r}.") from None
    if not math.isfinite(lm) or lm <= 0:
        raise LandmarkError("The landmark must be a positive number of months after treatment start.")
    groupings = make_groupings(line_cut)
    if grouping_key not in groupings:
        raise LandmarkError(f"Unknown grouping {grouping_key!r}.")
    g = groupings[grouping_key]
    tcol, _ = endpoint_columns(endpoint)
    time, event = _endpoint_data(df, endpoint)
    ids = df["patient_id"].astype(str) if "patient_id" in df else pd.Series(df.index.astype(str), index=df.index)
    labels = g.make(df)
    usable = time.notna() & event.notna()
    eligible = usable & labels.notna()
    opts = {
        "conf_type": conf_type, "test": test, "min_group_size": min_group_size,
        "line_cut": line_cut, "stratify_by_center": stratify_by_center,
    }
    naive = survival_by_group(df, endpoint, grouping_key, **opts)

    excluded: list[Exclusion] = list(naive.excluded)
    before = eligible & (time <= lm)
    ev_before = before & (event == 1)
    cens_before = before & (event != 1)
    what = _ENDPOINT_EVENT.get(endpoint, "had the event")
    if ev_before.any():
        excluded.append(Exclusion(f"{what} within the first {_months(lm)}", int(ev_before.sum()), tuple(ids[ev_before])))
    if cens_before.any():
        excluded.append(
            Exclusion(f"censored (follow-up ended) within the first {_months(lm)}", int(cens_before.sum()), tuple(ids[cens_before]))
        )
    keep = eligible & (time > lm)

    dates = use_response_dates and grouping_key == "responder" and has_response_dates(df)
    shifted = df.loc[keep].copy()
    shifted[tcol] = time[keep] - lm
    mapping: dict[str, str] = {}
    n_late = 0
    if dates:
        r_months = response_months(df)[keep]
        responded = shifted["best_response"].isin(["CR", "PR"])
        no_date = responded & r_months.isna()
        if no_date.any():
            excluded.append(
                Exclusion("responder (CR/PR) without a usable response date or treatment start", int(no_date.sum()), tuple(ids[keep][no_date]))
            )
            shifted = shifted.loc[~no_date]
            responded, r_months = responded[~no_date], r_months[~no_date]
        late = responded & (r_months > lm)
        n_late = int(late.sum())
        # Responders after the landmark were not responders at the landmark: the responder
        # grouping reads best_response, so mark them as non-responders ("SD") for this analysis.
        shifted.loc[late[late].index, "best_response"] = "SD"
        mapping = {RESPONDER: f"Responded by {_months(lm)}", NON_RESPONDER: f"No response by {_months(lm)}"}

    if shifted.empty:
        raise LandmarkError(
            f"No patient is still event-free and under follow-up at {_months(lm)}: "
            f"{int(ev_before.sum())} {what} and {int(cens_before.sum())} were censored by then. "
            "Choose an earlier landmark."
        )
    landmark = survival_by_group(shifted, endpoint, grouping_key, **opts)
    if mapping:
        landmark = _relabel(landmark, mapping)

    residual = None
    if g.post_baseline and not dates:
        residual = (
            f"{g.label} is the value recorded at any time, because the data have no date of response "
            f"or adverse event: patients whose response (or adverse event) came after {_months(lm)} still "
            "count in that group, so some guarantee-time bias remains. Add a response_date column "
            "(date of first CR/PR) to classify response at the landmark."
        )
    notes = []
    if dates:
        notes.append(
            f"{n_late} patient(s) responded only after {_months(lm)} and are counted as not (yet) responding at the landmark."
        )
    explanation = _explain(
        g.label, g.post_baseline, endpoint, lm, int(eligible.sum()), int(ev_before.sum()),
        int(cens_before.sum()), landmark.n_analysed, dates, what,
    )
    return LandmarkResult(
        endpoint=endpoint, grouping=grouping_key, grouping_label=g.label, landmark_months=lm,
        naive=naive, landmark=landmark, n_subset=len(df), n_eligible=int(eligible.sum()),
        n_event_before=int(ev_before.sum()), n_censored_before=int(cens_before.sum()),
        excluded=tuple(excluded), uses_response_dates=dates, post_baseline=g.post_baseline,
        explanation=explanation, residual_bias=residual, notes=tuple(notes),
    )


def _explain(
    label: str, post_baseline: bool, endpoint: str, lm: float, n_eligible: int, n_event: int,
    n_cens: int, n_analysed: int, dates: bool, what: str,
) -> str:
    why = (
        f"Why a landmark: '{label}' is only known after treatment starts. A patient must live "
        "long enough to respond, so comparing groups from treatment start credits the 'better' group "
        "with the time before it could be recognised and makes it look better than it is "
        "(guarantee-time bias; Anderson, Cain & Gelber, J Clin Oncol 1983)."
        if post_baseline
        else f"'{label}' is known at treatment start, so the naive comparison is not affected by "
        "guarantee-time bias; the landmark analysis is shown for comparison only."
    )
    how = (
        f"What was done: of the {n_eligible} patients with a recorded group and {endpoint} data, "
        f"{n_event} {what} and {n_cens} were censored within the first {_months(lm)}; they are left out. "
        f"The remaining {n_analysed} patients are compared with {endpoint} measured from "
        f"{_months(lm)} after treatment start."
    )
    basis = (
        f"Response is classified as of {_months(lm)} (response date on or before the landmark)."
        if dates
        else "Groups use the value recorded at any time (no dates available to classify at the landmark)."
    )
    return f"{why} {how} {basis}"


# --------------------------------------------------------------------------- time-dependent Cox


@dataclass(frozen=True)
class TimeDependentCoxResult:
    """Cox model with response as a time-dependent covariate (0 before, 1 from the response date)."""

    endpoint: str
    hr: float
    lower: float
    upper: float
    p_value: float
    coef: float
    se: float
    n: int
    n_events: int
    n_responders: int
    n_excluded: int
    intervals: pd.DataFrame

    def text(self) -> str:
        return (
            f"Hazard ratio for {self.endpoint} after a response vs before/without one: "
            f"{self.hr:.2f} (95% CI {self.lower:.2f}-{self.upper:.2f}; Wald {format_p(self.p_value)}), "
            f"{self.n} patients, {self.n_events} events, {self.n_responders} responders."
        )


def response_intervals(df: pd.DataFrame, endpoint: str) -> tuple[pd.DataFrame, int]:
    """Counting-process rows (start, stop, responded, event) per patient, and the number left out.

    A responder contributes (0, r] with responded = 0 and (r, T] with responded = 1; the event
    belongs to the last interval. A response at time 0 gives a single responded row; a response
    date at or after the end of follow-up is ignored (not observed while at risk).
    Left out: no usable time/event, best response not evaluable, or a responder without a
    usable response date.
    """
    time, event = _endpoint_data(df, endpoint)
    ids = df["patient_id"].astype(str) if "patient_id" in df else pd.Series(df.index.astype(str), index=df.index)
    br = df["best_response"] if "best_response" in df else pd.Series(None, index=df.index, dtype=object)
    r = response_months(df)
    responder = br.isin(["CR", "PR"])
    ok = time.notna() & event.notna() & br.isin(["CR", "PR", "SD", "PD"]) & ~(responder & r.isna()) & (time > 0)
    t, e, rr, resp, pid = time[ok].to_numpy(float), event[ok].to_numpy(int), r[ok].to_numpy(float), responder[ok].to_numpy(bool), ids[ok].to_numpy()
    split = resp & (rr < t)
    before = split & (rr > 0)
    at_zero = split & (rr <= 0)
    plain = ~split
    parts = [
        pd.DataFrame({"id": pid[plain], "start": 0.0, "stop": t[plain], "responded": 0, "event": e[plain]}),
        pd.DataFrame({"id": pid[at_zero], "start": 0.0, "stop": t[at_zero], "responded": 1, "event": e[at_zero]}),
        pd.DataFrame({"id": pid[before], "start": 0.0, "stop": rr[before], "responded": 0, "event": 0}),
        pd.DataFrame({"id": pid[before], "start": rr[before], "stop": t[before], "responded": 1, "event": e[before]}),
    ]
    rows = pd.concat(parts, ignore_index=True).sort_values(["id", "start"], kind="stable").reset_index(drop=True)
    return rows, int((~ok).sum())


def response_time_dependent_cox(df: pd.DataFrame, endpoint: str, *, alpha: float = 0.05) -> TimeDependentCoxResult:
    """Hazard ratio of response as a time-dependent covariate (Mantel & Byar 1974 idea).

    Uses every patient from treatment start: time before a response counts as non-responder
    time, which removes guarantee-time bias without discarding early events. Needs response
    dates. Fitted as R's coxph(Surv(start, stop, event) ~ responded) (Efron ties); p is Wald's.
    """
    if not has_response_dates(df):
        raise LandmarkError(
            "A time-dependent analysis needs the date of first response (column response_date) "
            "for the responders."
        )
    rows, n_excl = response_intervals(df, endpoint)
    n_events = int(rows["event"].sum())
    n_resp = int(rows.loc[rows["responded"] == 1, "id"].nunique())
    if n_events < 2:
        raise CoxFitError(f"The time-dependent Cox model needs at least 2 events; there are {n_events}.")
    if n_resp == 0 or n_resp == rows["id"].nunique():
        raise CoxFitError("Everyone or no one responded while at risk, so response cannot be compared.")
    try:
        fit = fit_coxph(rows["stop"], rows["event"], rows[["responded"]].to_numpy(float), start=rows["start"])
    except CoxEngineError as exc:
        raise CoxFitError(
            "The time-dependent Cox model has no reliable estimate (too few events or responders, "
            "or response perfectly predicts the outcome)."
        ) from exc
    lower, upper = fit.confint(alpha)
    return TimeDependentCoxResult(
        endpoint=endpoint, hr=float(np.exp(fit.coef[0])), lower=float(lower[0]), upper=float(upper[0]),
        p_value=float(fit.wald_p[0]), coef=float(fit.coef[0]), se=float(fit.se[0]), n=int(rows["id"].nunique()),
        n_events=n_events, n_responders=n_resp, n_excluded=n_excl, intervals=rows,
    )
