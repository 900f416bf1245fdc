"""The lanes of a swimmer plot: one per patient, time on treatment with what happened on the way.

A lane is the patient's time to treatment failure (sarcoma.endpoints, TTF): from the start of
ICI to the end of treatment, or to the last follow-up while still on treatment (ongoing). On it,
in months from the start: the first CR/PR, progression, death and the last contact (follow-up
goes on after treatment ends). Patients without a usable TTF have no lane and are counted with
the registry's reason. Lanes are sorted by time on treatment, longest first.

Above `MAX_LANES` patients a plot of one lane each is no longer readable, and its payload grows
with every lane: the lanes shown are then evenly spaced over the sorted order (every k-th
patient), which keeps the shape of the distribution, and the figure says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sarcoma.endpoints import date_column, endpoint_data, evaluate_endpoint
from sarcoma.schema import DAYS_PER_MONTH

MAX_LANES = 400
# The dates a swimmer plot needs: the start (every lane), the end of treatment (the bar) and,
# for response onset markers, the date of first CR/PR.
NEEDED: dict[str, str] = {
    "treatment_start": "treatment start date",
    "treatment_end": "treatment end date (last ICI dose or permanent discontinuation; blank while on treatment)",
}
LANE_COLUMNS: tuple[str, ...] = ("patient_id", "duration", "ongoing", "response", "progression", "death", "last_contact")


@dataclass(frozen=True)
class SwimmerLanes:
    """`lanes`: one row per patient shown, longest time on treatment first, indexed like the
    cohort; months from the start of ICI (NaN where the event did not happen or is unknown).
    `excluded`: (reason, number of patients) for the patients without a lane. `n_eligible`
    patients had a lane before the cap, `missing` names the columns the file lacks."""

    lanes: pd.DataFrame
    excluded: tuple[tuple[str, int], ...]
    n_eligible: int
    n_total: int
    missing: tuple[str, ...] = ()

    @property
    def n_shown(self) -> int:
        return len(self.lanes)

    @property
    def capped(self) -> bool:
        return self.n_shown < self.n_eligible


def missing_columns(cohort: pd.DataFrame) -> tuple[str, ...]:
    """The needed date columns the cohort lacks or leaves entirely blank."""
    return tuple(c for c in NEEDED if c not in cohort or not cohort[c].notna().any())


def _months_from_start(cohort: pd.DataFrame, column: str, start: np.ndarray) -> np.ndarray:
    months = (date_column(cohort, column) - start) / np.timedelta64(1, "D") / DAYS_PER_MONTH
    return np.where(months >= 0, months, np.nan)  # a date before the start is a data error reported by ingest, not a marker


def swimmer_lanes(cohort: pd.DataFrame, max_lanes: int = MAX_LANES) -> SwimmerLanes:
    """The lanes of `cohort` (see the module docstring)."""
    missing = missing_columns(cohort)
    ttf = evaluate_endpoint(cohort, "TTF")
    reasons = ttf["reason"]
    excluded = tuple((str(k), int(v)) for k, v in reasons.dropna().value_counts(sort=False).items() if v)
    ok = reasons.isna()
    sub = cohort.loc[ok]
    start = date_column(sub, "treatment_start")
    ids = sub["patient_id"].astype(str) if "patient_id" in sub else pd.Series(sub.index.astype(str), index=sub.index)
    # Response onset from the registry's time to response, so a marker is what TTR counts.
    ttr = endpoint_data(cohort, "TTR")["time"].reindex(sub.index)
    death = _months_from_start(sub, "death_date", start)
    last_contact = _months_from_start(sub, "last_follow_up", start)
    lanes = pd.DataFrame(
        {
            "patient_id": ids,
            "duration": ttf.loc[ok, "time"].astype(float),
            "ongoing": ttf.loc[ok, "event"].astype(float) == 0,
            "response": ttr,
            "progression": _months_from_start(sub, "progression_date", start),
            "death": death,
            "last_contact": np.where(np.isnan(death), last_contact, death),
        },
        index=sub.index,
    )
    lanes = lanes.sort_values(["duration", "patient_id"], ascending=[False, True], kind="stable")
    n_eligible = len(lanes)
    if n_eligible > max_lanes:
        keep = np.unique(np.round(np.linspace(0, n_eligible - 1, max_lanes)).astype(int))
        lanes = lanes.iloc[keep]
    return SwimmerLanes(lanes=lanes, excluded=excluded, n_eligible=n_eligible, n_total=len(cohort), missing=missing)
